"""The catalog: complete definitions, both plans, and refusal of broken files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from yangfan.catalog import get_catalog, load_catalog
from yangfan.catalog.load import DATA
from yangfan.errors import YangfanError

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
    plan_text = (Path(__file__).parents[3] / "shared" / "plan" / "upgrade-plan-2024.zh.txt")
    if plan_text.exists():  # every quoted phrase is really in the plan
        text = plan_text.read_text(encoding="utf-8")
        for t in cat.targets_of("sailing-2024"):
            for part in t.clause.quote.split("；"):
                assert part in text, (t.code, part)


def test_earlier_plan_is_in_the_catalog() -> None:
    cat = get_catalog()
    s = {t.code: t for t in cat.targets_of("sailing-2021")}
    assert s["S06"].value == 18 and s["S06"].comparator == "超" and str(s["S06"].deadline) == "2023-12"
    assert len(s) == 8


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
