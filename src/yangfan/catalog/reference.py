"""The indicator and target reference (docs/indicators.md), generated from the catalog."""

from __future__ import annotations

from yangfan.catalog.load import Catalog
from yangfan.catalog.models import HORIZON_DEADLINE, PLATFORM_READING

_TIME = {"stock": "存量 stock (period end)", "flow": "流量 flow (sum)", "ytd": "年内累计 year-to-date flow"}


def _formula(ind) -> str:  # type: ignore[no-untyped-def]
    num = " + ".join(f"`{c}`" for c in ind.numerator)
    den = " + ".join(f"`{c}`" for c in ind.denominator)
    return f"({num}) ÷ ({den}) × {ind.scale:g}"


def indicator_reference(catalog: Catalog) -> str:
    """Markdown listing every indicator and every target; regenerate with ``yangfan docs``."""
    out = ["# 指标与目标 / Indicators and targets", "",
           "Generated from `src/yangfan/catalog/data/` by `yangfan docs`; a test fails when it is stale.", "",
           "## Indicators", ""]
    for ind in catalog.indicators.values():
        out += [f"### `{ind.code}` — {ind.name_zh} / {ind.name_en}", "",
                f"- {ind.definition_zh}", f"- {ind.definition_en}",
                f"- unit: {ind.unit}" + (f" (shown in {ind.display_unit})" if ind.display else ""),
                f"- decimals: {ind.decimals}"]
        if ind.kind == "derived":
            out.append(f"- derived: {_formula(ind)}, from aggregated inputs at every level")
        else:
            out += [f"- reported per {ind.period_type}; over org units: {ind.org_aggregation}; "
                    f"over time: {_TIME[ind.time_aggregation]}"]
        out.append("")
    out += ["## Targets", "", "| code | plan | indicator | target | deadline | clause |", "|---|---|---|---|---|---|"]
    for t in catalog.targets.values():
        ind = catalog.indicators[t.indicator]
        value = "—" if t.value is None else f"{t.comparator} {t.value / ind.display_divisor:g} {ind.display_unit}"
        if t.reading:
            value += f" ({PLATFORM_READING['zh']} / {PLATFORM_READING['en']}: {t.reading.zh})"
        deadline = f"{t.deadline or '—'}" + (f" ({HORIZON_DEADLINE['zh']})" if t.deadline_from == "plan" else "")
        out.append(f"| {t.code} | {t.plan} | `{t.indicator}` | {value} | {deadline} | "
                   f"{t.clause.section}：{t.clause.quote} |")
    return "\n".join(out) + "\n"
