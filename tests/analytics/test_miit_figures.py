"""``yangfan query`` reproduces MIIT's published ratios from the published counts and population.

MIIT computes from unrounded inputs; we only have inputs rounded as published. So a figure is
reproduced when the published ratio (± half its last digit) overlaps the range our ratio can
take with every input anywhere inside its own rounding interval. Mismatched inputs (a wrong
period, a wrong population vintage, an average of ratios) miss that range.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from yangfan.analytics.query import Cell, Query
from yangfan.collect.published import FOLDER
from yangfan.collect.rows import unit_factor
from yangfan.context import Yangfan

GOLDEN = Path(__file__).parents[1] / "data" / "miit_published_ratios.csv"


def _published_rows() -> dict[tuple[str, str, str], list[dict[str, str]]]:
    out: dict[tuple[str, str, str], list[dict[str, str]]] = {}
    for name in ("national.csv", "population.csv", "regional.csv"):
        for r in csv.DictReader((FOLDER / name).open(encoding="utf-8")):
            out.setdefault((r["indicator"], r["org_unit"], r["period"]), []).append(r)
    return out


PUBLISHED = _published_rows()


def half_unit(cell: Cell, y: Yangfan) -> float:
    """Half of the last published digit of the input, in the indicator's base unit."""
    rows = PUBLISHED[(cell.indicator, cell.org_unit, cell.period)]
    base = y.catalog.indicators[cell.indicator].unit
    for r in rows:
        factor = unit_factor(r["unit"], base)
        assert factor is not None
        if float(Decimal(r["value"]) * factor) == cell.value:
            exponent = Decimal(r["value"]).as_tuple().exponent
            assert isinstance(exponent, int)
            return float(Decimal(1).scaleb(exponent) / 2 * factor)
    raise AssertionError(f"no published row for {cell}")


def golden() -> list[dict[str, str]]:
    return list(csv.DictReader(GOLDEN.open(encoding="utf-8")))


@pytest.mark.parametrize("row", golden(), ids=lambda r: f"{r['indicator']}@{r['period']}")
def test_published_ratio_is_reproduced(demo: Yangfan, row: dict[str, str]) -> None:
    fig = demo.query(Query.parse([row["indicator"]], ["100000"], [row["period"]]))[0]
    assert fig.value is not None, f"inputs missing for {row}"
    ind = fig.indicator
    cells = demo.analytics.inputs(fig)
    num_cells = [c for c in cells if c.indicator in ind.numerator]
    den_cells = [c for c in cells if c.indicator in ind.denominator]
    num_err = sum(half_unit(c, demo) for c in num_cells)
    den_err = sum(half_unit(c, demo) for c in den_cells)
    assert fig.numerator is not None and fig.denominator is not None
    lo = (fig.numerator - num_err) / (fig.denominator + den_err) * ind.scale
    hi = (fig.numerator + num_err) / (fig.denominator - den_err) * ind.scale
    published = Decimal(row["published"])
    exponent = published.as_tuple().exponent
    assert isinstance(exponent, int)
    p_half = float(Decimal(1).scaleb(exponent) / 2)
    assert lo <= float(published) + p_half and hi >= float(published) - p_half, (
        f"{row['indicator']} {row['period']}: published {published}, ours {fig.value:.4f} in [{lo:.4f}, {hi:.4f}]")


def test_rounded_inputs_alone_can_miss_by_one_digit(demo: Yangfan) -> None:
    """Why the test above works with ranges: 321.5万 ÷ 141175万 gives 22.77, MIIT published 22.78."""
    fig = demo.query(Query.parse(["bs_5g_per_10k"], ["100000"], ["2023-10"]))[0]
    assert fig.rounded() == 22.77
    assert fig.denominator == 1_411_750_000  # end-2022 population: the latest year end in October 2023


def test_regional_sums_reconcile_with_the_national_total(demo: Yangfan) -> None:
    """MIIT's four regions add up to the national figure within rounding (±0.1万 stations, ±0.01亿 users)."""
    checked = 0
    for period in ("2022-04", "2022-09", "2023-09", "2024-09", "2025-07"):
        regions = demo.query(Query.parse(["bs_5g", "users_5g_mobile_phone"],
                                         ["east", "central", "west", "northeast"], [period]))
        nation = {f.indicator.code: f.value for f in demo.query(
            Query.parse(["bs_5g", "users_5g_mobile_phone"], ["100000"], [period]))}
        for code, tolerance in (("bs_5g", 2_000), ("users_5g_mobile_phone", 2_000_000)):
            parts = [f.value for f in regions if f.indicator.code == code]
            if None in parts or nation.get(code) is None:
                continue
            assert abs(sum(parts) - nation[code]) <= tolerance, (period, code, sum(parts), nation[code])  # type: ignore[arg-type, operator]
            checked += 1
    assert checked >= 4
