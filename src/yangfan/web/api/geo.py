"""Org units and periods."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from yangfan.geo.orgunits import OrgUnit
from yangfan.web.auth import PrincipalDep
from yangfan.web.deps import PageDep, YangfanDep
from yangfan.web.responses import cached_json, paged_json

router = APIRouter(tags=["org units and periods"])


def org_unit_record(u: OrgUnit) -> dict[str, Any]:
    """An org unit as the API shows it."""
    return {"code": u.code, "name_zh": u.name_zh, "name_en": u.name_en, "kind": u.kind, "level": u.level,
            "parent": u.parent, "valid_from": u.valid_from.isoformat() if u.valid_from else None,
            "valid_to": u.valid_to.isoformat() if u.valid_to else None}


@router.get("/org-units", summary="Org units, groups and reporting units / 组织单元")
def list_org_units(request: Request, y: YangfanDep, page: PageDep,
                   level: Annotated[int | None, Query(ge=0, le=3)] = None, parent: str | None = None,
                   kind: str | None = None, q: Annotated[str | None, Query(max_length=50)] = None) -> Response:
    units = [u for u in y.tree.all()
             if (level is None or u.level == level) and (parent is None or u.parent == parent)
             and (kind is None or u.kind == kind) and (q is None or q in u.name_zh or q.lower() in u.name_en.lower())]
    return paged_json(request, [org_unit_record(u) for u in units], page)


@router.get("/org-units/{code}", summary="One org unit with its children / 单个组织单元")
def get_org_unit(code: str, request: Request, y: YangfanDep) -> Response:
    unit = y.tree.get(code)
    record = org_unit_record(unit)
    record["children"] = sorted(y.tree.children.get(code, []))
    record["members"] = list(y.tree.groups[code].members) if code in y.tree.groups else []
    return cached_json(request, record)


@router.get("/periods", summary="Periods that have values / 有数据的期间")
def list_periods(request: Request, y: YangfanDep, page: PageDep, principal: PrincipalDep,
                 type: Annotated[str | None, Query(pattern="^(month|quarter|year)$")] = None) -> Response:
    """Periods with values the caller may read: an approved month not yet published is the ministry's only."""
    periods = [p for p in y.analytics.periods(principal.published_only) if type is None or p.type == type]
    rows = [{"code": p.code, "type": p.type, "start": p.start.isoformat(), "end_month": p.end_month.code}
            for p in periods]
    return paged_json(request, rows, page, private=not principal.published_only)
