"""扬帆之城评价 pages: the cities ranked with their rank intervals and a map, one city's profile, the audit of the
method, and the key cities (U13) as a group.

Every page reads one ``evaluate`` run, computed once per analytics build and audience (the public's on published
figures, the ministry's on approved ones too); the view models only arrange it for reading.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from yangfan.analytics.query import Query as FigureQuery
from yangfan.context import Yangfan
from yangfan.errors import Location, YangfanError
from yangfan.evaluate.method import Method, load_method
from yangfan.evaluate.run import CityResult, Evaluation, evaluate
from yangfan.geo.orgunits import NATION, OrgUnitTree
from yangfan.web.auth import PrincipalDep
from yangfan.web.cache import per_build
from yangfan.web.deps import YangfanDep
from yangfan.web.i18n import TEXTS, Lang, unit_name
from yangfan.web.pages import LangParam, language, render

router = APIRouter(include_in_schema=False)
#: The target whose group the key-city page shows: 推动建设一批5G应用规模发展城市 (tracked, no number).
GROUP_TARGET = "U13"


@per_build
def evaluation(y: Yangfan, published_only: bool) -> Evaluation:
    """The latest method's evaluation on the figures this audience may read (published ones for the public)."""
    return evaluate(y, published_only=published_only)


def finite(x: float | None, digits: int = 4) -> float | None:
    """A number for JSON and the pages, None where there is none (an index that does not vary gives NaN)."""
    return None if x is None or not math.isfinite(x) else round(x, digits)


def number_text(value: float | None) -> str:
    """An indicator's raw value as a table writes it: whole counts in full, ratios to two decimals, small
    per-capita rates to three significant digits."""
    if value is None or not math.isfinite(value):
        return "—"
    if value == int(value) or abs(value) >= 100:
        return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"
    return f"{value:.2f}" if abs(value) >= 1 else f"{value:.3g}"


def _median(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None and math.isfinite(v)]
    return statistics.median(present) if present else None


@dataclass(frozen=True, slots=True)
class Header:
    """What every evaluation page says first: the method, its state, the data it ran on, what it left out."""

    title: str
    version: str
    year: int
    published: bool
    demo: bool
    cities: int
    designated: int
    runs: int
    seed: int
    #: Indicators left out of the year's run for lack of data: code, name, share of cities with a value.
    left_out: list[tuple[str, str, float]]


@dataclass(frozen=True, slots=True)
class RankRow:
    """One city in the ranking: its score and rank, the rank interval of the uncertainty analysis, pillar scores."""

    code: str
    name: str
    province: str
    province_name: str
    score: float
    rank: int
    median: int
    p5: int
    p95: int
    pillars: tuple[float, ...]
    designated: bool

    def bar(self, n: int) -> dict[str, float]:
        """Where the interval bar draws the p5–p95 span, the median and the rank, on a 0–100 scale of 1…n."""
        def at(rank: int) -> float:
            return round((rank - 1) / (n - 1) * 100, 2) if n > 1 else 50.0

        return {"x": at(self.p5), "width": max(at(self.p95) - at(self.p5), 0.6), "median": at(self.median),
                "rank": at(self.rank)}

    def record(self) -> dict[str, Any]:
        """The row as the map script reads it."""
        return {"code": self.code, "name": self.name, "score": round(self.score, 1), "rank": self.rank,
                "median": self.median, "p5": self.p5, "p95": self.p95, "designated": self.designated}


@dataclass(frozen=True, slots=True)
class RankingView:
    """The ranking page: every city in rank order, the provinces to filter by."""

    header: Header
    pillars: list[tuple[str, str]]
    rows: list[RankRow]
    provinces: list[tuple[str, str]]

    def filtered(self, province: str, designated: bool) -> list[RankRow]:
        """The rows of one province and/or of the key cities only (ranks stay national)."""
        return [r for r in self.rows if (not province or r.province == province) and (not designated or r.designated)]

    def map_data(self) -> dict[str, Any]:
        """What the map script draws: every city, whatever the table's filter."""
        return {"n": len(self.rows), "rows": [r.record() for r in self.rows]}


def _header(e: Evaluation, lang: Lang) -> Header:
    meta, full = e.meta(), load_method(e.gathered.year)
    names = _indicator_names(full, lang)
    return Header(meta["title_zh"] if lang == "zh" else meta["title_en"], meta["method_version"], meta["year"],
                  meta["published"], meta["demo"], len(e.cities), sum(c.designated for c in e.cities), e.runs, e.seed,
                  [(x["indicator"], names[x["indicator"]], x["coverage"]) for x in meta["left_out"]])


def _indicator_names(method: Method, lang: Lang) -> dict[str, str]:
    return {i.code: i.name_zh if lang == "zh" else i.name_en for i in method.indicators}


def _pillar_names(method: Method, lang: Lang) -> list[tuple[str, str]]:
    return [(p.code, p.name_zh if lang == "zh" else p.name_en) for p in method.pillars]


def _province(tree: OrgUnitTree, code: str) -> str:
    """The provincial-level unit a city lies in: a municipality is its own."""
    if tree.units[code].level == 1:
        return code
    return next(a for a in tree.ancestors(code) if tree.units[a].level == 1)


def _rows(y: Yangfan, e: Evaluation, lang: Lang) -> list[RankRow]:
    pillars = [p.code for p in e.method.pillars]
    out = []
    for c in e.cities:
        province = _province(y.tree, c.org_unit)
        out.append(RankRow(c.org_unit, unit_name(y.tree.get(c.org_unit), lang), province,
                           unit_name(y.tree.get(province), lang), c.score, c.rank, c.rank_median, c.rank_p5,
                           c.rank_p95, tuple(c.pillars[p] for p in pillars), c.designated))
    return out


@per_build
def ranking_view(y: Yangfan, published_only: bool, lang: Lang) -> RankingView:
    """The ranking page's rows, in rank order."""
    e = evaluation(y, published_only)
    rows = _rows(y, e, lang)
    provinces = sorted({(r.province, r.province_name) for r in rows})
    return RankingView(_header(e, lang), _pillar_names(e.method, lang), rows, provinces)


@dataclass(frozen=True, slots=True)
class PillarScore:
    """A pillar's score beside the median of all cities."""

    code: str
    name: str
    score: float
    median: float | None


@dataclass(frozen=True, slots=True)
class IndicatorScore:
    """One indicator of a city: raw value with unit, normalised score, the cities' medians, how it was treated."""

    code: str
    name: str
    pillar: str
    value: str
    unit: str
    normalised: float
    median_value: str
    median_normalised: float | None
    imputed: bool
    winsorised: bool
    #: "strength", "weakness" or "".
    profile: str


@dataclass(frozen=True, slots=True)
class CityView:
    """A city's page: the ranking row, pillar and indicator scores, strengths and weaknesses in words."""

    header: Header
    row: RankRow
    pillars: list[PillarScore]
    indicators: list[IndicatorScore]
    strengths: list[str]
    weaknesses: list[str]
    imputed: list[str]

    def chart(self) -> dict[str, Any]:
        """What the pillar chart draws: the city's score and the median of all cities per pillar."""
        return {"name": self.row.name, "pillars": [
            {"code": p.code, "name": p.name, "score": round(p.score, 1),
             "median": None if p.median is None else round(p.median, 1)} for p in self.pillars]}


def _city(y: Yangfan, e: Evaluation, code: str) -> CityResult:
    found = next((c for c in e.cities if c.org_unit == code), None)
    if found is not None:
        return found
    known = y.tree.units.get(code)
    zh = (f"{known.name_zh}（{code}）不是参评城市：扬帆之城评价只比较 {len(e.cities)} 个地级及以上城市" if known else
          f"没有代码为“{code}”的参评城市")
    en = (f"{known.name_en or known.name_zh} ({code}) is not an evaluated city: the Sailing City evaluation compares "
          f"the {len(e.cities)} prefecture-level-and-above cities" if known else
          f"no evaluated city has the code '{code}'")
    raise YangfanError.single("evaluate.city.unknown", zh, en, Location(field="code"))


@per_build
def city_view(y: Yangfan, code: str, published_only: bool, lang: Lang) -> CityView:
    """One city's page; an unknown code (or a unit that is not an evaluated city) is a 404 that says so."""
    e = evaluation(y, published_only)
    c = _city(y, e, code)
    row = next(r for r in ranking_view(y, published_only, lang).rows if r.code == code)
    names = _indicator_names(e.method, lang)
    pillar_names = dict(_pillar_names(e.method, lang))
    pillars = [PillarScore(p, pillar_names[p], s, _median(x.pillars[p] for x in e.cities))
               for p, s in c.pillars.items()]
    indicators = []
    for i in e.method.indicators:
        indicators.append(IndicatorScore(
            i.code, names[i.code], pillar_names[i.pillar], number_text(c.values[i.code]),
            (i.unit_zh if lang == "zh" else i.unit_en) or "", c.normalised[i.code],
            number_text(_median(x.values[i.code] for x in e.cities)), _median(x.normalised[i.code] for x in e.cities),
            i.code in c.imputed, code in e.outliers.get(i.code, []),
            "strength" if i.code in c.strengths else "weakness" if i.code in c.weaknesses else ""))
    return CityView(_header(e, lang), row, pillars, indicators, [names[s] for s in c.strengths],
                    [names[w] for w in c.weaknesses], [names[m] for m in c.imputed])


@dataclass(frozen=True, slots=True)
class WeightRow:
    """An indicator's nominal weight beside its effective weight (its measured influence on the index)."""

    code: str
    name: str
    pillar: str
    nominal: float
    effective: float | None

    @property
    def ratio(self) -> float | None:
        """Effective ÷ nominal: below 1 the indicator moves the index less than its weight says."""
        return None if self.effective is None or not self.nominal else self.effective / self.nominal


@dataclass(frozen=True, slots=True)
class AuditView:
    """The audit page: the method's choices, effective weights, correlations, sensitivity, outliers, Monte Carlo."""

    header: Header
    #: (what, the method's choice) in words.
    choices: list[tuple[str, str]]
    #: (dimension, the options the Monte Carlo samples) in words.
    sampled: list[tuple[str, str]]
    outlier_rule: tuple[float, float, int]
    weights: list[WeightRow]
    codes: list[str]
    names: list[str]
    matrix: list[list[float | None]]
    flags: list[str]
    #: (dimension, in words, mean |rank shift|), largest first.
    sensitivity: list[tuple[str, str, float]]
    #: (indicator code, name, the cities whose value was winsorised as (code, name)).
    outliers: list[tuple[str, str, list[tuple[str, str]]]]

    def chart(self) -> dict[str, Any]:
        """What the weights chart and the correlation heatmap draw."""
        return {"weights": [{"code": w.code, "name": w.name, "nominal": round(w.nominal * 100, 2),
                             "effective": None if w.effective is None else round(w.effective * 100, 2)}
                            for w in self.weights],
                "codes": self.codes, "names": self.names, "matrix": self.matrix}


def _named(message: str, names: dict[str, str], lang: Lang) -> str:
    """A flag of the audit with the indicators and pillars it names by code written by name."""
    if not names:
        return message
    codes = re.compile(r"\b(" + "|".join(re.escape(c) for c in sorted(names, key=len, reverse=True)) + r")\b")
    return codes.sub(lambda m: f"“{names[m[1]]}”" if lang == "zh" else names[m[1]], message)


def _word(choice: str, lang: Lang) -> str:
    return TEXTS[f"ev_{choice}"][lang]


@per_build
def audit_view(y: Yangfan, published_only: bool, lang: Lang) -> AuditView:
    """The audit of the run, in words for analysts."""
    e = evaluation(y, published_only)
    m = e.method
    names = _indicator_names(m, lang)
    pillar_names = dict(_pillar_names(m, lang))
    n, u = m.nominal, m.uncertainty
    choices = [(TEXTS["ev_dim_normalisation"][lang], _word(n.normalisation, lang)),
               (TEXTS["ev_dim_aggregation"][lang], _word(n.aggregation, lang)),
               (TEXTS["ev_dim_imputation"][lang], _word(n.imputation, lang))]
    comma = "、" if lang == "zh" else ", "
    sampled = [(TEXTS[f"ev_dim_{d}"][lang], comma.join(_word(o, lang) for o in options))
               for d, options in (("normalisation", u.normalisation), ("aggregation", u.aggregation),
                                  ("imputation", u.imputation))]
    if u.weights:
        sampled.insert(0, (TEXTS["ev_dim_weights"][lang], TEXTS["ev_weights_sampled"][lang]))
    weights = [WeightRow(w["indicator"], names[w["indicator"]], pillar_names[w["pillar"]], w["nominal"],
                         finite(w["effective"], 6)) for w in e.effective]
    city_names = {r.code: r.name for r in ranking_view(y, published_only, lang).rows}
    return AuditView(
        _header(e, lang), choices, sampled, (m.outliers.skewness, m.outliers.kurtosis, m.outliers.max_points), weights,
        e.correlation_codes, [names[c] for c in e.correlation_codes],
        [[finite(x, 3) for x in row] for row in e.correlation_matrix],
        [_named(f[lang], {**names, **pillar_names}, lang) for f in e.correlation_flags],
        [(d, TEXTS[f"ev_dim_{d}"][lang], s) for d, s in e.sensitivity],
        [(code, names[code], [(c, city_names.get(c, c)) for c in cities]) for code, cities in e.outliers.items()])


@dataclass(frozen=True, slots=True)
class GroupPillar:
    """A pillar: the key cities' median score beside all cities'."""

    code: str
    name: str
    group: float | None
    all: float | None


@dataclass(frozen=True, slots=True)
class DesignatedView:
    """The key cities (U13) as a group: where they rank, how sure that is, their pillars against all cities."""

    header: Header
    n: int
    rows: list[RankRow]
    pillars: list[GroupPillar]
    median_rank: float | None
    #: How many rank in the top tenth and the top quarter, and how many stay in the top quarter across the runs.
    top_tenth: int
    top_quarter: int
    stable: int
    tenth_cut: int
    quarter_cut: int
    #: The U13 count per year (the registry's recognised cities), and whether any is demo data.
    series: list[tuple[str, int]]
    series_demo: bool

    def chart(self) -> dict[str, Any]:
        """What the group chart draws: per pillar the key cities' median and all cities'."""
        return {"pillars": [{"name": p.name, "group": finite(p.group, 1), "all": finite(p.all, 1)}
                            for p in self.pillars]}


def _group_series(y: Yangfan, published_only: bool) -> tuple[list[tuple[str, int]], bool]:
    """The national figure of U13's indicator at every year it has one (the cities recognised at the year's end)."""
    if GROUP_TARGET not in y.catalog.targets:
        return [], False
    code = y.catalog.targets[GROUP_TARGET].indicator
    years = tuple(p for p in y.analytics.series(code, NATION, published_only=published_only) if p.type == "year")
    figures = y.query(FigureQuery((code,), (NATION,), years, published_only=published_only)) if years else []
    present = sorted((f for f in figures if f.value is not None), key=lambda f: f.period.code)
    return [(f.period.code, int(f.value)) for f in present if f.value is not None], any(f.demo for f in present)


@per_build
def designated_view(y: Yangfan, published_only: bool, lang: Lang) -> DesignatedView:
    """The key cities of the evaluation, in rank order, as a group."""
    e = evaluation(y, published_only)
    ranking = ranking_view(y, published_only, lang)
    n = len(ranking.rows)
    rows = [r for r in ranking.rows if r.designated]
    group = [c for c in e.cities if c.designated]
    pillars = [GroupPillar(code, name, _median(c.pillars[code] for c in group),
                           _median(c.pillars[code] for c in e.cities)) for code, name in ranking.pillars]
    tenth, quarter = max(1, math.ceil(n / 10)), max(1, math.ceil(n / 4))
    series, demo = _group_series(y, published_only)
    return DesignatedView(
        ranking.header, n, rows, pillars, statistics.median(r.rank for r in rows) if rows else None,
        sum(r.rank <= tenth for r in rows), sum(r.rank <= quarter for r in rows),
        sum(r.p95 <= quarter for r in rows), tenth, quarter, series, demo)


Province = Annotated[str, Query(pattern=r"^(\d{6})?$")]


@router.get("/evaluate", response_class=HTMLResponse)
def ranking_page(request: Request, y: YangfanDep, principal: PrincipalDep, lang: LangParam = None,
                 province: Province = "", designated: bool = False) -> HTMLResponse:
    """扬帆之城评价: the cities ranked, each rank with its interval, on a map and in a table."""
    language_ = language(lang)
    view = ranking_view(y, principal.published_only, language_)
    return render(request, "evaluation.html", principal, language_, view=view,
                  rows=view.filtered(province, designated), province=province, designated=designated,
                  data=view.map_data())


@router.get("/evaluate/cities/{code}", response_class=HTMLResponse)
def city_page(request: Request, code: str, y: YangfanDep, principal: PrincipalDep,
              lang: LangParam = None) -> HTMLResponse:
    """One city: score, rank and interval, pillars against the median, every indicator, strengths and weaknesses."""
    language_ = language(lang)
    view = city_view(y, code, principal.published_only, language_)
    return render(request, "evaluation_city.html", principal, language_, view=view, chart=view.chart())


@router.get("/evaluate/audit", response_class=HTMLResponse)
def audit_page(request: Request, y: YangfanDep, principal: PrincipalDep, lang: LangParam = None) -> HTMLResponse:
    """The method's audit: effective weights, correlations, sensitivity, outliers and the Monte Carlo."""
    language_ = language(lang)
    view = audit_view(y, principal.published_only, language_)
    return render(request, "evaluation_audit.html", principal, language_, view=view, chart=view.chart())


@router.get("/evaluate/designated", response_class=HTMLResponse)
def designated_page(request: Request, y: YangfanDep, principal: PrincipalDep,
                    lang: LangParam = None) -> HTMLResponse:
    """The key cities (U13) as a group."""
    language_ = language(lang)
    view = designated_view(y, principal.published_only, language_)
    return render(request, "evaluation_designated.html", principal, language_, view=view, chart=view.chart())
