"""``yangfan query`` reproduces MIIT's published ratios from the published counts and population.

MIIT computes from unrounded inputs; we only have inputs rounded as published. So a figure is
reproduced when the published ratio (± half its last digit) overlaps the range our ratio can
take with every input anywhere inside its own rounding interval. Mismatched inputs (a wrong
period, a wrong population vintage, an average of ratios) miss that range.

Each row of ``tests/data/miit_published_ratios.csv`` names the page it was read from and a
comparator: ``=`` a figure to reproduce to the published rounding, ``>`` a published lower bound
(超/超过) that our figure must exceed. A row with ``known_mismatch`` documents a published figure
we do not reproduce, and why; its test asserts that it is still not reproduced, so the row has to
be revisited when that changes (``no inputs: …`` rows: the inputs are still missing).
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from yangfan.analytics.query import Cell, Figure, Query
from yangfan.collect.published import FILES, FOLDER
from yangfan.collect.rows import unit_factor
from yangfan.context import Yangfan

GOLDEN = Path(__file__).parents[1] / "data" / "miit_published_ratios.csv"


def _published_rows() -> dict[tuple[str, str, str], list[dict[str, str]]]:
    out: dict[tuple[str, str, str], list[dict[str, str]]] = {}
    for name in FILES:
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


def _id(row: dict[str, str]) -> str:
    return f"{row['indicator']}@{row['period']}{row['comparator']}{row['published']}"


def _figure(demo: Yangfan, row: dict[str, str]) -> Figure:
    return demo.query(Query.parse([row["indicator"]], ["100000"], [row["period"]]))[0]


def _range(demo: Yangfan, fig: Figure) -> tuple[float, float]:
    """The values our ratio can take with every input anywhere inside its published rounding."""
    ind = fig.indicator
    cells = demo.analytics.inputs(fig)
    num_cells = [c for c in cells if c.indicator in ind.numerator]
    den_cells = [c for c in cells if c.indicator in ind.denominator]
    num_err = sum(half_unit(c, demo) for c in num_cells)
    den_err = sum(half_unit(c, demo) for c in den_cells)
    assert fig.numerator is not None and fig.denominator is not None
    return ((fig.numerator - num_err) / (fig.denominator + den_err) * ind.scale,
            (fig.numerator + num_err) / (fig.denominator - den_err) * ind.scale)


def reproduced(demo: Yangfan, row: dict[str, str]) -> tuple[bool, str]:
    """Whether our figure agrees with the published one under the row's comparator, and what ours is."""
    fig = _figure(demo, row)
    if fig.value is None:
        return False, "no figure: inputs missing"
    published = Decimal(row["published"])
    if row["comparator"] == ">":  # 超/超过: ours must be above the published floor
        return fig.value > float(published), f"ours {fig.value:.4f}, published more than {published}"
    assert row["comparator"] == "=", row
    lo, hi = _range(demo, fig)
    exponent = published.as_tuple().exponent
    assert isinstance(exponent, int)
    p_half = float(Decimal(1).scaleb(exponent) / 2)
    ok = lo <= float(published) + p_half and hi >= float(published) - p_half
    return ok, f"published {published}, ours {fig.value:.4f} in [{lo:.4f}, {hi:.4f}]"


def test_golden_rows_are_well_formed() -> None:
    """Every row has a comparator and the address of a page of the published history."""
    pages = {r["source_url"] for rows in PUBLISHED.values() for r in rows}
    for row in golden():
        assert row["comparator"] in ("=", ">"), row
        assert row["source_url"] in pages, f"{_id(row)}: {row['source_url']} is not a page of the published history"


@pytest.mark.parametrize("row", [r for r in golden() if not r["known_mismatch"]], ids=_id)
def test_published_ratio_is_reproduced(demo: Yangfan, row: dict[str, str]) -> None:
    ok, detail = reproduced(demo, row)
    assert ok, f"{row['indicator']} {row['period']}: {detail}"


@pytest.mark.parametrize("row", [r for r in golden() if r["known_mismatch"]], ids=_id)
def test_known_mismatch_is_still_not_reproduced(demo: Yangfan, row: dict[str, str]) -> None:
    """A doubtful published figure stays documented: if we ever reproduce it, its row must be revisited."""
    ok, detail = reproduced(demo, row)
    assert not ok, f"{_id(row)} is reproduced now ({detail}): revisit '{row['known_mismatch']}'"
    if row["known_mismatch"].startswith("no inputs"):
        assert _figure(demo, row).value is None, f"{_id(row)} has inputs now: {detail}"
    else:
        assert _figure(demo, row).value is not None, f"{_id(row)} lost its inputs: {row['known_mismatch']}"


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
