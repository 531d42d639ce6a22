"""Progress against the targets on the real history: honest statuses."""

from __future__ import annotations

from yangfan.analytics.progress import Progress
from yangfan.context import Yangfan


def by_target(rows: list[Progress]) -> dict[str, Progress]:
    return {p.target.code: p for p in rows if p.org_unit == "100000"}


def test_upgrade_plan_statuses(demo: Yangfan) -> None:
    rows = by_target(demo.progress("sailing-2024"))
    u01, u02, u07, u11 = rows["U01"], rows["U02"], rows["U07"], rows["U11"]
    # 12.38亿 ÷ 140828万 (2026-02 divides by end-2025) = 87.9% > 85%, by far more than its uncertainty.
    assert u01.status == "met" and u01.latest is not None and u01.latest.rounded() == 87.9 and not u01.uncertain
    assert str(u01.latest.period) == "2026-02"
    # 超500万 at 2026-05 (a floor, so said); the last 12 months' pace beats what is needed to reach 38 by 2027-12.
    assert u07.status == "on_track" and u07.latest is not None and str(u07.latest.period) == "2026-05"
    assert u07.latest.lower_bound and any("下限" in n for n in u07.notes)
    assert u07.recent_pace is not None and u07.required_pace is not None and u07.recent_pace > u07.required_pace
    assert u07.months_left == 19
    # MIIT stopped quoting the traffic share after 2024-04: too old for a verdict on pace.
    assert u02.status == "insufficient" and u02.latest is not None and u02.latest.value == 55.4
    assert any("months old" in n for n in u02.notes)
    # U11 and T03 filled from real figures: ≈6.4万 networks at 2025-11, 330+ 5G-A cities at 2026-05.
    assert u11.latest is not None and u11.latest.value == 64_000 and u11.latest.approx
    assert any("约数" in n for n in u11.notes)
    t03 = rows["T03"]
    assert t03.status == "tracked" and t03.latest is not None and t03.latest.value == 330
    assert rows["U13"].status == "tracked"
    assert rows["U03"].status == "insufficient" and rows["U03"].latest is not None and rows["U03"].latest.lower_bound


def test_earlier_plan_shows_how_it_ended(demo: Yangfan) -> None:
    rows = by_target(demo.progress("sailing-2021"))
    assert rows["S02"].status == "met" and str(rows["S02"].met_at) == "2022-12"  # 5.61亿 > 5.6亿 a year early
    assert rows["S06"].status == "met" and rows["S06"].deadline_value is not None
    assert rows["S01"].status == "met"
    assert rows["S07"].status == "met" and str(rows["S07"].met_at) == "2022-05"  # 6,518 networks
    # 2023 full year "接近50%" against 超50%: not met on the figure, but by less than it can be off — said so.
    s03 = rows["S03"]
    assert s03.status == "not_met" and s03.uncertain and any("结论存疑" in n for n in s03.notes)
    assert rows["S04"].status == "no_data"


def test_ratio_targets_are_also_shown_for_regions_with_data(demo: Yangfan) -> None:
    rows = demo.progress("sailing-2024")
    units = {p.org_unit for p in rows if p.target.code == "U01"}
    assert "central" in units  # all six central provinces have an end-2024 population
    assert {p.org_unit for p in rows if p.target.code == "U11"} == {"100000"}
