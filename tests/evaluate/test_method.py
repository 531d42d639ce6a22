"""The evaluation method as data: the 2025 file loads, and broken methods are refused with clear messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from yangfan.errors import YangfanError
from yangfan.evaluate.method import DATA, load_method, method_from_dict, methods, read_method


def raw_2025() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DATA / "method-2025.yaml").read_text(encoding="utf-8"))
    return data


def test_2025_method_loads() -> None:
    assert 2025 in methods()
    m = load_method(2025)
    assert load_method() == load_method(methods()[-1])
    assert (m.version, m.year, m.published) == ("2025.1", 2025, False)
    assert [p.code for p in m.pillars] == ["network", "application", "industry", "ecosystem"]
    assert [p.name_zh for p in m.pillars] == ["网络", "应用", "产业", "生态"]
    assert len(m.indicators) == 15 and len(set(m.codes)) == 15
    assert m.nominal_weights().sum() == pytest.approx(1)
    assert all(i.weight_range == (0.5 * i.weight, 1.5 * i.weight) and i.direction == 1 for i in m.indicators)
    targets = {i.code: i.target for i in m.indicators if i.target is not None}
    assert targets == {"bs_5g_per_10k": 38, "users_5g_share": 85}
    u = m.uncertainty
    assert (u.runs, u.seed, u.normalisation, u.aggregation, u.imputation) == (
        1000, 2025, ("minmax", "zscore"), ("arithmetic", "geometric"), ("mean", "median"))
    assert (m.outliers.skewness, m.outliers.kurtosis, m.outliers.max_points) == (2.0, 3.5, 5)


def refused(raw: dict[str, Any]) -> str:
    with pytest.raises(YangfanError) as exc:
        method_from_dict(raw, "method-2025.yaml")
    return str(exc.value)


def test_bad_direction_refused() -> None:
    raw = raw_2025()
    raw["indicators"][1]["direction"] = "up"
    message = refused(raw)
    assert "indicators 2 (bs_5g_share)" in message and "field 'direction'" in message
    assert "'higher' or 'lower'" in message and "字段值无效" in message and "method-2025.yaml" in message


def test_negative_weight_refused() -> None:
    raw = raw_2025()
    raw["indicators"][0]["weight"] = -1
    message = refused(raw)
    assert "权重须为正数" in message and "weight must be positive: -1" in message and "bs_5g_per_10k" in message


def test_unknown_normalisation_refused() -> None:
    raw = raw_2025()
    raw["normalisation"] = "rank"
    assert "field 'normalisation'" in refused(raw)
    raw = raw_2025()
    raw["uncertainty"]["aggregation"] = ["arithmetic", "harmonic"]
    assert "field 'uncertainty.aggregation.1'" in refused(raw)


@pytest.mark.parametrize(("change", "expected"), [
    (lambda r: r.update(weights="equal"), "未知字段 / unknown field"),
    (lambda r: r["pillars"][0].update(weight=0.5), "pillar weights must sum to 1, not 1.25"),
    (lambda r: r["indicators"][0].update(pillar="nowhere"), "unknown pillar nowhere"),
    (lambda r: r["indicators"][0].update(weight_range=[2, 3]), "weight range must be positive and contain"),
    (lambda r: r["indicators"][0].update(target=0), "target must be positive"),
    (lambda r: r["indicators"][1].update(code="bs_5g_per_10k"), "duplicate indicator code bs_5g_per_10k"),
    (lambda r: r["indicators"][0].pop("weight"), "required field is missing"),
    (lambda r: r["outliers"].update(max_points=-1), "outlier thresholds and points cannot be negative"),
])
def test_other_problems_refused(change: Any, expected: str) -> None:
    raw = raw_2025()
    change(raw)
    assert expected in refused(raw)


def test_file_year_and_missing_year(tmp_path: Path) -> None:
    raw = raw_2025()
    raw["year"] = 2026
    path = tmp_path / "method-2025.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(YangfanError, match="year field 2026"):
        read_method(path)
    with pytest.raises(YangfanError, match="no evaluation method for 1999"):
        load_method(1999)
