"""Data values (computed figures) and progress against targets."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from yangfan.analytics.query import Query as FigureQuery
from yangfan.context import Yangfan
from yangfan.records import figure_record, progress_record
from yangfan.web.auth import PrincipalDep
from yangfan.web.cache import per_build
from yangfan.web.deps import Page, PageDep, YangfanDep
from yangfan.web.responses import Encoded, encode_page, respond_page

router = APIRouter(tags=["figures"])


@per_build
def _data_values(y: Yangfan, q: FigureQuery) -> list[dict[str, Any]]:
    # Figures change only with a rebuild: each distinct query is computed once per build, whichever page is
    # asked for (fuzzing found each new offset recomputing it), and each page it is asked for encoded once.
    return [figure_record(f, y.tree) for f in y.query(q)]


@per_build
def _data_values_page(y: Yangfan, q: FigureQuery, page: Page) -> Encoded:
    return encode_page(_data_values(y, q), page)


@router.get("/data-values", summary="Figures: indicators × org units × periods / 指标数值")
async def data_values(request: Request, y: YangfanDep, page: PageDep, principal: PrincipalDep,
                indicator: Annotated[list[str], Query(min_length=1)],
                org_unit: Annotated[list[str], Query(min_length=1)],
                period: Annotated[list[str], Query(min_length=1)], disaggregation: str = "") -> Response:
    """The same computation as ``yangfan query``: derived figures from aggregated numerator and denominator."""
    q = replace(FigureQuery.parse(indicator, org_unit, period, disaggregation), published_only=principal.published_only)
    # A repeated query is answered on the event loop; a new one is computed in a worker thread.
    enc = _data_values_page.cached(y, q, page)
    if enc is None:
        enc = await run_in_threadpool(_data_values_page.__call__, y, q, page)
    return respond_page(request, enc, page, private=not principal.published_only)


@per_build
def _progress(y: Yangfan, plan: str | None, org_units: tuple[str, ...], published_only: bool) -> list[dict[str, Any]]:
    # Once per build for every page, as for the figures above.
    found = y.progress(plan, list(org_units) or None, published_only)
    return [progress_record(p, y.catalog, y.tree) for p in found]


@per_build
def _progress_page(y: Yangfan, plan: str | None, org_units: tuple[str, ...], published_only: bool,
                   page: Page) -> Encoded:
    return encode_page(_progress(y, plan, org_units, published_only), page)


@router.get("/progress", summary="Progress against targets / 目标进度")
def progress(request: Request, y: YangfanDep, page: PageDep, principal: PrincipalDep,
             plan: str | None = "sailing-2024",
             org_unit: Annotated[list[str] | None, Query()] = None) -> Response:
    """Every target at every org unit with data (or at the units asked for), computed once per build."""
    enc = _progress_page(y, plan or None, tuple(org_unit or ()), principal.published_only, page)
    return respond_page(request, enc, page, private=not principal.published_only)
