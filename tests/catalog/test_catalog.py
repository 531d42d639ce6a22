"""The catalog: complete definitions, both plans, and refusal of broken files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from yangfan.catalog import get_catalog, load_catalog
from yangfan.catalog.load import DATA
from yangfan.catalog.plantext import check_targets
from yangfan.errors import Issue, YangfanError

REQUIRED_DERIVED = {
    "bs_5g_per_10k": (("bs_5g",), ("population",), 10_000),
    "users_5g_penetration": (("users_5g_mobile_phone",), ("population",), 100),
    "users_5g_share": (("users_5g_mobile_phone",), ("users_mobile_phone",), 100),
    "bs_5g_share": (("bs_5g",), ("bs_mobile_total",), 100),
    "mobile_penetration_per_100": (("users_mobile_phone",), ("population",), 100),
    "iot_share_of_connections": (("users_cellular_iot",), ("users_mobile_phone", "users_cellular_iot"), 100),
}


def test_every_indicator_is_fully_defined() -> None:
    for ind in get_catalog().indicators.values():
        assert ind.name_zh and ind.name_en and ind.definition_zh and ind.definition_en, ind.code
        assert ind.unit, ind.code
        assert ind.decimals >= 0
        if ind.kind == "raw":
            assert ind.org_aggregation in ("sum", "none") and ind.time_aggregation in ("stock", "flow", "ytd")


def test_contract_derived_indicators_are_formulas_of_their_inputs() -> None:
    cat = get_catalog()
    for code, (num, den, scale) in REQUIRED_DERIVED.items():
        ind = cat.indicators[code]
        assert (ind.kind, ind.numerator, ind.denominator, ind.scale) == ("derived", num, den, scale)


def test_upgrade_plan_has_u01_to_u19_with_clauses() -> None:
    cat = get_catalog()
    codes = {t.code for t in cat.targets_of("sailing-2024")}
    assert {f"U{i:02d}" for i in range(1, 20)} <= codes
    u07 = cat.targets["U07"]
    assert (u07.indicator, u07.value, u07.comparator, str(u07.deadline)) == ("bs_5g_per_10k", 38, "达", "2027-12")
    assert "38" in u07.clause.quote


def test_earlier_plan_is_in_the_catalog() -> None:
    cat = get_catalog()
    s = {t.code: t for t in cat.targets_of("sailing-2021")}
    assert s["S06"].value == 18 and s["S06"].comparator == "超" and str(s["S06"].deadline) == "2023-12"
    assert len(s) == 8


PLAN_TEXT = Path(__file__).parents[3] / "shared" / "plan" / "upgrade-plan-2024.zh.txt"
needs_plan_text = pytest.mark.skipif(not PLAN_TEXT.exists(), reason="the plan text lives in ../shared (present in CI)")


@needs_plan_text
def test_every_clause_is_quoted_verbatim_with_its_number_and_wording() -> None:
    """Every quote is in the plan (in the section named), every target number is in its clause, 超 where it
    says 超/突破 and 达 where it says 达/以上 or just names the count."""
    cat = get_catalog()
    assert cat.plans["sailing-2024"].text == "plan/upgrade-plan-2024.zh.txt"
    assert check_targets(cat.targets_of("sailing-2024"), PLAN_TEXT.read_text(encoding="utf-8"), "plan-2024.yaml") == []


def _plan_issues(catalog_copy: Path, code: str, **changes: object) -> list[Issue]:
    def change(d):  # type: ignore[no-untyped-def]
        next(t for t in d["targets"] if t["code"] == code).update(changes)

    _edit(catalog_copy / "plan-2024.yaml", change)
    cat = load_catalog(catalog_copy)
    return check_targets(cat.targets_of("sailing-2024"), PLAN_TEXT.read_text(encoding="utf-8"), "plan-2024.yaml")


@needs_plan_text
def test_a_quote_not_in_the_plan_is_named(catalog_copy: Path) -> None:
    quote = "打造5G工厂建设标杆……建设一批5G港口"
    issues = _plan_issues(catalog_copy, "T02", clause={"section": "二、应用升级", "quote": quote})
    assert [(i.location.entry, i.location.field) for i in issues] == [("T02", "clause.quote")]
    assert "建设一批5G港口" in issues[0].message_zh


@needs_plan_text
def test_a_quote_in_another_section_is_named(catalog_copy: Path) -> None:
    moved = {"section": "二（一）", "quote": "提炼30项以上原子化5G应用安全能力"}  # the words are in 三（五）
    issues = _plan_issues(catalog_copy, "U18", clause=moved)
    assert [(i.location.entry, i.location.field) for i in issues] == [("U18", "clause.quote")]


@needs_plan_text
def test_a_comparator_against_the_wording_is_named(catalog_copy: Path) -> None:
    issues = _plan_issues(catalog_copy, "U18", comparator="超")  # 30项以上 is at least 30
    assert [(i.location.entry, i.location.field) for i in issues] == [("U18", "comparator")]
    assert "以上" in issues[0].message_zh


@needs_plan_text
def test_a_strict_comparator_read_as_at_least_is_named(catalog_copy: Path) -> None:
    issues = _plan_issues(catalog_copy, "U17", comparator="达")  # 突破1亿 is strictly above
    assert [(i.location.entry, i.location.field) for i in issues] == [("U17", "comparator")]


@needs_plan_text
def test_a_number_not_in_the_clause_is_named(catalog_copy: Path) -> None:
    issues = _plan_issues(catalog_copy, "U07", value=40)
    assert [(i.location.entry, i.location.field) for i in issues] == [("U07", "value")]


@needs_plan_text
def test_a_number_the_plan_does_not_give_is_named(catalog_copy: Path) -> None:
    issues = _plan_issues(catalog_copy, "U09", value=100, comparator="达")  # 全面支持IPv6 gives no number
    assert [(i.location.entry, i.location.field) for i in issues] == [("U09", "value")]


def test_targets_without_a_number_are_tracked_or_read_as_yangfans() -> None:
    cat = get_catalog()
    assert cat.targets["U09"].comparator == "track" and cat.targets["U09"].value is None
    for code in ("U10", "U19"):
        t = cat.targets[code]
        assert t.platform_reading and t.reading and "100%" in t.reading.zh
    assert cat.targets["U18"].comparator == "达" and cat.targets["U18"].is_met(30)


def test_clauses_without_a_date_take_the_plans_horizon() -> None:
    cat = get_catalog()
    undated = {t.code for t in cat.targets_of("sailing-2024") if t.deadline_from == "plan"}
    assert {"U17", "U18", "U19", "T02", "T03", "T04", "T05"} <= undated
    assert not undated & {f"U{i:02d}" for i in range(1, 17)}  # 一、总体要求: 到2027年底
    assert all(str(cat.targets[c].deadline) == "2027-12" for c in undated)


def test_the_tracked_items_the_plan_names_are_in_the_catalog() -> None:
    cat = get_catalog()
    quotes = " ".join(t.clause.quote for t in cat.targets_of("sailing-2024"))
    for phrase in ("扬帆之城”总结评估", "专精特新企业", "创新工场和体验中心", "关键共性能力平台", "5G专用频率规划",
                   "5G校园", "5G景区", "5G智慧医院", "数字文博", "广电视听"):
        assert phrase in quotes, phrase


def test_a_deadline_off_the_horizon_is_refused(catalog_copy: Path) -> None:
    def change(d):  # type: ignore[no-untyped-def]
        next(t for t in d["targets"] if t["code"] == "U18")["deadline"] = "2026-12"

    _edit(catalog_copy / "plan-2024.yaml", change)
    with pytest.raises(YangfanError) as exc:
        load_catalog(catalog_copy)
    assert (exc.value.issues[0].location.entry, exc.value.issues[0].location.field) == ("entry 18 (U18)", "deadline")


def test_comparators_strict_and_at_least() -> None:
    cat = get_catalog()
    assert not cat.targets["U01"].is_met(85) and cat.targets["U01"].is_met(85.01)  # 超 is strict
    assert cat.targets["U07"].is_met(38)  # 达 is at least


@pytest.fixture
def catalog_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "catalog"
    shutil.copytree(DATA, folder)
    return folder


def _edit(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")


def test_missing_field_names_file_entry_and_field(catalog_copy: Path) -> None:
    _edit(catalog_copy / "indicators.yaml", lambda d: d[0].pop("unit"))
    with pytest.raises(YangfanError) as exc:
        load_catalog(catalog_copy)
    issue = exc.value.issues[0]
    assert issue.location.file == "indicators.yaml" and issue.location.field == "unit"
    assert "bs_5g" in (issue.location.entry or "")
    assert "缺少" in issue.message_zh and "missing" in issue.message_en


def test_target_with_unknown_indicator_is_refused(catalog_copy: Path) -> None:
    _edit(catalog_copy / "plan-2024.yaml", lambda d: d["targets"][0].update(indicator="no_such"))
    with pytest.raises(YangfanError) as exc:
        load_catalog(catalog_copy)
    issue = exc.value.issues[0]
    assert (issue.location.file, issue.location.field) == ("plan-2024.yaml", "indicator")


def test_derived_input_must_be_summable_raw(catalog_copy: Path) -> None:
    def change(d):  # type: ignore[no-untyped-def]
        next(i for i in d if i["code"] == "bs_5g_per_10k")["denominator"] = ["traffic_5g_share"]

    _edit(catalog_copy / "indicators.yaml", change)
    with pytest.raises(YangfanError) as exc:
        load_catalog(catalog_copy)
    assert exc.value.issues[0].location.entry == "bs_5g_per_10k"
    assert exc.value.issues[0].location.field == "denominator"


def test_bad_deadline_and_comparator_are_refused(catalog_copy: Path) -> None:
    _edit(catalog_copy / "plan-2021.yaml", lambda d: d["targets"][0].update(deadline="2023-13", comparator="大于"))
    with pytest.raises(YangfanError) as exc:
        load_catalog(catalog_copy)
    fields = {i.location.field for i in exc.value.issues}
    assert {"deadline", "comparator"} <= fields
