"""Indicators and targets of the catalog."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from yangfan.catalog.models import Indicator
from yangfan.errors import YangfanError
from yangfan.records import target_record
from yangfan.web.deps import PageDep, YangfanDep
from yangfan.web.responses import cached_json, paged_json

router = APIRouter(tags=["catalog"])


def indicator_record(i: Indicator) -> dict[str, Any]:
    """An indicator as the API shows it."""
    return {"code": i.code, "name_zh": i.name_zh, "name_en": i.name_en, "definition_zh": i.definition_zh,
            "definition_en": i.definition_en, "unit": i.unit, "display_unit": i.display_unit,
            "display_divisor": i.display_divisor, "kind": i.kind, "numerator": list(i.numerator),
            "denominator": list(i.denominator), "scale": i.scale, "period_type": i.period_type,
            "org_aggregation": i.org_aggregation, "time_aggregation": i.time_aggregation, "decimals": i.decimals}


@router.get("/indicators", summary="Indicators of the catalog / 指标目录")
def list_indicators(request: Request, y: YangfanDep, page: PageDep, kind: str | None = None) -> Response:
    rows = [indicator_record(i) for i in y.catalog.indicators.values() if kind is None or i.kind == kind]
    return paged_json(request, rows, page)


@router.get("/indicators/{code}", summary="One indicator / 单个指标")
def get_indicator(code: str, request: Request, y: YangfanDep) -> Response:
    return cached_json(request, indicator_record(y.catalog.indicator(code)))


@router.get("/targets", summary="Targets of the plans / 规划目标")
def list_targets(request: Request, y: YangfanDep, page: PageDep, plan: str | None = None) -> Response:
    if plan is not None and plan not in y.catalog.plans:
        raise YangfanError.single("plan.unknown", f"未知的规划“{plan}”", f"unknown plan '{plan}'")
    rows = [target_record(t) for t in y.catalog.targets.values() if plan is None or t.plan == plan]
    return paged_json(request, rows, page)


@router.get("/targets/{code}", summary="One target / 单个目标")
def get_target(code: str, request: Request, y: YangfanDep) -> Response:
    target = y.catalog.targets.get(code)
    if target is None:
        raise YangfanError.single("target.unknown", f"未知的目标“{code}”", f"unknown target '{code}'")
    return cached_json(request, target_record(target))
