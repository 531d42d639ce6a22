"""Dependencies shared by the routers: the platform instance and paging parameters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request

from yangfan.context import Yangfan


async def _yangfan(request: Request) -> Yangfan:  # async: no I/O, so no thread hop
    platform: Yangfan = request.app.state.yangfan
    return platform


YangfanDep = Annotated[Yangfan, Depends(_yangfan)]


@dataclass(frozen=True, slots=True)
class Page:
    """Which slice of a list to return."""

    limit: int
    offset: int


async def _page(limit: Annotated[int, Query(ge=1, le=1000)] = 100, offset: Annotated[int, Query(ge=0)] = 0) -> Page:
    return Page(limit, offset)


PageDep = Annotated[Page, Depends(_page)]
