"""Progress against the targets on the real history: honest statuses."""

from __future__ import annotations

from yangfan.analytics.progress import Progress
from yangfan.context import Yangfan


def by_target(rows: list[Progress]) -> dict[str, Progress]:
    return {p.target.code: p for p in rows if p.org_unit == "100000"}


def test_upgrade_plan_statuses(demo: Yangfan) -> None:
    rows = by_target(demo.progress("sailing-2024"))
    u01, u02, u07, u11 = rows["U01"], rows["U02"], rows["U07"], rows["U11"]
    # 12.04亿 ÷ 140828万 = 85.5% > 85%: 超 is strict, and it holds.
    assert u01.status == "met" and u01.latest is not None and u01.latest.rounded() == 85.5
    # 34.35 per 10k at 2025-12; the last 12 months' pace (≈0.35/month) beats the ≈0.15/month needed.
    assert u07.status == "on_track" and u07.latest is not None and str(u07.latest.period) == "2025-12"
    assert u07.recent_pace is not None and u07.required_pace is not None and u07.recent_pace > u07.required_pace
    assert u07.months_left == 24
    # The newest figures are old (2024-02) or a floor (超2.9万 at 2023-12): no verdict on pace.
    assert u02.status == "insufficient" and u02.latest is not None and u02.latest.value == 53.3
    assert u11.status == "insufficient" and u11.latest is not None and u11.latest.lower_bound
    assert any("下限" in n for n in u11.notes) and any("months old" in n for n in u02.notes)
    assert rows["U13"].status == "tracked" and rows["U03"].status == "no_data"


def test_earlier_plan_shows_how_it_ended(demo: Yangfan) -> None:
    rows = by_target(demo.progress("sailing-2021"))
    assert rows["S02"].status == "met" and str(rows["S02"].met_at) == "2022-12"  # 5.61亿 > 5.6亿 a year early
    assert rows["S06"].status == "met" and rows["S06"].deadline_value is not None
    assert rows["S01"].status == "met"
    assert rows["S07"].status == "met" and str(rows["S07"].met_at) == "2022-05"  # 6,518 networks
    # No end-2023 traffic-share figure exists: not claimed either way.
    assert rows["S03"].status == "no_data" and any("deadline" in n for n in rows["S03"].notes)
    assert rows["S04"].status == "no_data"


def test_ratio_targets_are_also_shown_for_regions_with_data(demo: Yangfan) -> None:
    rows = demo.progress("sailing-2024")
    units = {p.org_unit for p in rows if p.target.code == "U01"}
    assert "central" in units  # all six central provinces have an end-2024 population
    assert {p.org_unit for p in rows if p.target.code == "U11"} == {"100000"}
