"""Consistency checks at every rebuild (质量提示): regions against the nation, parts against wholes, jumps.

The rules are data (``catalog/data/quality.yaml``). The checks read the reported values of a build and
return one note per failing value, in Chinese and English, naming the value compared with and why; the
cube carries the notes on the value and on every sum and ratio computed from it.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import duckdb
import pyarrow as pa
import yaml
from pydantic import BaseModel, ConfigDict

from yangfan.catalog import Catalog
from yangfan.geo.orgunits import NATION

RULES = Path(__file__).parents[1] / "catalog" / "data" / "quality.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ImpliedWhole(_Strict):
    whole: str
    part: str
    share: str


class PartOf(_Strict):
    part: str
    whole: str


class Rules(_Strict):
    """The checks and their thresholds."""

    regions: list[str]
    regions_sum: list[str]
    implied_wholes: list[ImpliedWhole]
    parts: list[PartOf]
    monthly_jump: float


@lru_cache(maxsize=1)
def get_rules(path: Path = RULES) -> Rules:
    """The packaged rules, read once."""
    return Rules.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def monthly_stocks(catalog: Catalog) -> list[str]:
    """The indicators whose monthly values are checked against the month before and the year before."""
    return [i.code for i in catalog.indicators.values()
            if i.kind == "raw" and i.period_type == "month" and i.time_aggregation == "stock"
            and i.org_aggregation == "sum"]


#: Months back that a monthly value is judged against (``_Checker.monthly``): the month before, and the month
#: a year before that.
MONTHS_JUDGED_AGAINST = (1, 13)


class _Checker:
    """Runs each check over the ``candidates`` of a build connection, against its ``reported`` values, and
    writes a note for each failing value into the temp table ``flags``."""

    def __init__(self, con: duckdb.DuckDBPyConnection, catalog: Catalog, rules: Rules) -> None:
        self.con, self.catalog, self.rules = con, catalog, rules
        # A rule whose indicators are not all among the values finds nothing: its statement is skipped (an
        # incremental build of a few indicators then runs only the checks that concern them).
        self.present = {r[0] for r in con.execute("SELECT DISTINCT indicator::VARCHAR FROM candidates").fetchall()}

    def half(self, code: str) -> float:
        """Half a unit of the last digit MIIT publishes, in the base unit."""
        return self.catalog.indicators[code].half_unit

    def regions_sum(self) -> None:
        """The nation against the sum of the four regions' own figures."""
        regions = self.rules.regions
        for code in (c for c in self.rules.regions_sum if c in self.present):
            self.con.execute("""
                INSERT INTO flags
                SELECT n.value_id, concat($code, ' ', $nation, ' ', n.period::VARCHAR, '：',
                       format('与四大地区合计（{}）不符 / differs from the sum of the four regions ({})',
                              show_zh(s.total, f), show_en(s.total, f)))
                FROM candidates n
                JOIN (SELECT period, sum(value) AS total, count(*) AS k FROM reported
                      WHERE indicator = $code AND disagg = '' AND org_unit::VARCHAR IN (SELECT unnest($regions))
                      GROUP BY period) s USING (period)
                JOIN formats f ON f.code = $code
                WHERE n.indicator = $code AND n.org_unit = $nation AND n.disagg = '' AND s.k = len($regions)
                  AND abs(n.value - s.total) > $tolerance""",
                {"code": code, "regions": regions, "nation": NATION,
                 "tolerance": self.half(code) * (len(regions) + 1)})

    def implied_wholes(self) -> None:
        """The nation's whole against the regions' wholes implied by a part and its published share of it."""
        for rule in (r for r in self.rules.implied_wholes if {r.whole, r.part, r.share} <= self.present):
            self.con.execute("""
                INSERT INTO flags
                WITH r AS (
                    SELECT p.period, sum(p.value * 100 / s.value) AS implied,
                           sum($hp * 100 / s.value + p.value * 100 * $hs / (s.value * s.value)) AS error,
                           count(*) AS k
                    FROM reported p JOIN reported s USING (org_unit, period, disagg)
                    WHERE p.indicator = $part AND s.indicator = $share AND p.disagg = '' AND s.value > 0
                      AND p.org_unit::VARCHAR IN (SELECT unnest($regions))
                    GROUP BY p.period)
                SELECT n.value_id, concat($whole, ' ', $nation, ' ', n.period::VARCHAR, '：',
                       format('与四大地区由{}及其占比推算的合计（{}±{}）不符 / differs from the regions'' total '
                              'implied by {} and its share ({} ± {})', fp.name_zh, show_zh(r.implied, f),
                              show_zh(r.error, f), fp.name_en, show_en(r.implied, f), show_en(r.error, f)))
                FROM candidates n JOIN r USING (period)
                JOIN formats f ON f.code = $whole JOIN formats fp ON fp.code = $part
                WHERE n.indicator = $whole AND n.org_unit = $nation AND n.disagg = '' AND r.k = len($regions)
                  AND abs(n.value - r.implied) > r.error + $hw""",
                {"part": rule.part, "share": rule.share, "whole": rule.whole, "regions": self.rules.regions,
                 "nation": NATION, "hp": self.half(rule.part), "hs": self.half(rule.share),
                 "hw": self.half(rule.whole)})

    def formats(self) -> None:
        """How each raw indicator is written (as ``show`` and ``show_en`` write it), for the checks in SQL."""
        raw = [i for i in self.catalog.indicators.values() if i.kind == "raw"]
        self.con.register("formats_arrow", pa.table({
            "code": [i.code for i in raw], "divisor": [i.display_divisor for i in raw],
            "decimals": [i.decimals for i in raw], "unit_zh": [i.display_unit for i in raw],
            "unit_en": [i.unit_en for i in raw], "name_zh": [i.name_zh for i in raw],
            "name_en": [i.name_en for i in raw],
            "precision": [round(math.log10(i.display_divisor)) - i.decimals for i in raw]}))
        self.con.execute("CREATE OR REPLACE TEMP TABLE formats AS SELECT * FROM formats_arrow")
        self.con.execute("""CREATE OR REPLACE TEMP MACRO show_zh(v, f) AS
                            format('{:,.{}f}{}', v / f.divisor, f.decimals, f.unit_zh)""")
        self.con.execute("""CREATE OR REPLACE TEMP MACRO show_en(v, f) AS CASE
                              WHEN f.divisor = 1 THEN trim(format('{:,.{}f} {}', v, f.decimals, f.unit_en))
                              WHEN abs(v) >= 1e9 THEN format('{:,.{}f} billion', v / 1e9, greatest(9 - f.precision, 0))
                              WHEN abs(v) >= 1e6 THEN format('{:,.{}f} million', v / 1e6, greatest(6 - f.precision, 0))
                              ELSE format('{:,.0f}', v) END""")

    def parts(self) -> None:
        """Parts above their wholes, written straight into ``flags``: each side judged against the other's
        preferred value (a candidate part against the whole, a candidate whole against the part)."""
        for rule in (r for r in self.rules.parts if {r.part, r.whole} <= self.present):
            tolerance = self.half(rule.part) + self.half(rule.whole)
            for judged, a_rel, b_rel in (("a", "candidates", "reported"), ("b", "reported", "candidates")):
                self.con.execute(f"""
                    INSERT INTO flags
                    SELECT {judged}.value_id, concat({judged}.indicator::VARCHAR, ' ', a.org_unit::VARCHAR, ' ',
                           a.period::VARCHAR, '：', format('部分大于整体：{{}} {{}} ＞ {{}} {{}} / a part exceeds its '
                           'whole: {{}} {{}} > {{}} {{}}', fa.name_zh, show_zh(a.value, fa), fb.name_zh,
                           show_zh(b.value, fb), fa.name_en, show_en(a.value, fa), fb.name_en, show_en(b.value, fb)))
                    FROM {a_rel} a JOIN {b_rel} b USING (org_unit, period, disagg)
                    JOIN formats fa ON fa.code = a.indicator::VARCHAR JOIN formats fb ON fb.code = b.indicator::VARCHAR
                    WHERE a.indicator = $part AND b.indicator = $whole AND a.value > b.value + $tolerance""",
                    {"part": rule.part, "whole": rule.whole, "tolerance": tolerance})

    def monthly(self) -> None:
        """Jumps and falls of monthly stocks, written straight into ``flags`` in SQL: a flood of reports that
        all jump (or a benchmark's random numbers) must not become a million Python objects."""
        stocks = monthly_stocks(self.catalog)
        # Each reported month with the month before and the month a year before that (window functions over
        # one sorted pass, not self-joins over every value); another source's value is judged against the same
        # neighbours as the preferred one of its key.
        self.con.execute("""
            INSERT INTO flags
            WITH m AS (
                SELECT *, lag(value) OVER w AS before, lag(k) OVER w AS before_k,
                       first_value(value) OVER (w RANGE BETWEEN 13 PRECEDING AND 13 PRECEDING) AS year_ago
                FROM (SELECT indicator, org_unit, disagg, period, value, value_id,
                             CAST(substr(period::VARCHAR, 1, 4) AS INT) * 12
                               + CAST(substr(period::VARCHAR, 6, 2) AS INT) AS k
                      FROM reported
                      WHERE length(period::VARCHAR) = 7 AND indicator::VARCHAR IN (SELECT unnest($stocks))
                        AND NOT lower_bound AND NOT approx AND NOT demo)
                WINDOW w AS (PARTITION BY indicator, org_unit, disagg ORDER BY k)),
            judged AS (
                SELECT value_id, indicator, org_unit, period, value AS now, before, before_k, year_ago, k FROM m
                UNION ALL
                SELECT a.value_id, m.indicator, m.org_unit, m.period, a.value, m.before, m.before_k, m.year_ago, m.k
                FROM candidates a JOIN m USING (indicator, org_unit, period, disagg)
                WHERE NOT a.preferred AND NOT a.lower_bound AND NOT a.approx),
            hit AS (
                SELECT j.value_id, j.indicator::VARCHAR AS code, j.org_unit::VARCHAR AS unit,
                       j.period::VARCHAR AS period, j.now, j.before, f.*,
                       show_zh(j.before, f) AS zh, show_en(j.before, f) AS en
                FROM judged j JOIN formats f ON f.code = j.indicator::VARCHAR
                WHERE j.before_k = j.k - 1
                  AND (abs(j.now - j.before) > $jump * j.before
                       OR (j.now < j.before AND j.year_ago < j.before
                           AND j.before - j.now > f.divisor / 10 ^ f.decimals)))
            SELECT value_id, concat(code, ' ', unit, ' ', period, '：', CASE
                WHEN abs(now - before) > $jump * before THEN
                    format('较上月（{}）变动{}，超过{} / changed {} from the month before ({}), beyond {}',
                           zh, change, limit_, change, en, limit_)
                ELSE format('较上月（{}）下降，而此前一年在增长 / fell from the month before ({}) '
                            'against a rising year', zh, en) END)
            FROM (SELECT *, CASE WHEN before = 0 THEN '∞' ELSE format('{:+.0f}%', (now / before - 1) * 100) END
                            AS change, format('{:.0f}%', $jump * 100) AS limit_ FROM hit)""",
            {"jump": self.rules.monthly_jump, "stocks": stocks})


def check(con: duckdb.DuckDBPyConnection, catalog: Catalog, rules: Rules | None = None) -> int:
    """Check every candidate value of the build on ``con`` against the preferred values of the others (its
    ``candidates`` and ``reported`` views); the failing ones go into the temp table ``flags`` (value id, note).
    Returns how many notes were written."""
    c = _Checker(con, catalog, rules or get_rules())
    con.execute("CREATE OR REPLACE TEMP TABLE flags (value_id BIGINT, note VARCHAR)")
    c.formats()
    c.regions_sum()
    c.implied_wholes()
    c.parts()
    c.monthly()
    return int(con.execute("SELECT count(*) FROM flags").fetchone()[0])  # type: ignore[index]
