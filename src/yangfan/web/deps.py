"""Dependencies shared by the routers: the platform instance, paging parameters, bounded integers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, get_args

from fastapi import Depends, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import TypeAdapter, ValidationError

from yangfan.context import Yangfan

#: The largest integer a query or path parameter may hold, either way: what JSON clients (JavaScript) keep
#: exactly, far above any page, offset or id, and small enough that a route's arithmetic on it (page × page
#: size) stays within the store's 64-bit integers (/audit?page=10**18 overflowed SQLite's OFFSET).
MAX_INTEGER = 2**53 - 1
_INT = TypeAdapter(int)


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


def _holds_int(annotation: Any) -> bool:
    """True for int, int | None, list[int] and the like (bool is its own type, not int)."""
    return annotation is int or any(_holds_int(a) for a in get_args(annotation))


def _params(dependant: Dependant) -> Iterator[tuple[str, str]]:
    for kind, fields in (("query", dependant.query_params), ("path", dependant.path_params)):
        yield from ((kind, f.alias) for f in fields if _holds_int(f.field_info.annotation))
    for sub in dependant.dependencies:
        yield from _params(sub)


async def bounded_integers(request: Request) -> None:
    """Refuse (422) any integer query or path parameter beyond ±MAX_INTEGER, on every route, before the
    route's own parameters are read; a parameter without an upper bound of its own is thus still bounded."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    errors = []
    # The route's own declarations say which parameters are integers (a walk over a few fields per request).
    for kind, name in dict.fromkeys(_params(route.dependant)):
        values = request.query_params.getlist(name) if kind == "query" else [request.path_params.get(name, "")]
        for value in values:
            try:
                number = _INT.validate_python(value)
            except ValidationError:  # not an integer at all: the route's own validation says so
                continue
            if abs(number) > MAX_INTEGER:
                errors.append({"type": "integer_too_large", "loc": (kind, name), "msg": "integer out of range",
                               "input": None, "ctx": {"limit": MAX_INTEGER}})
    if errors:
        raise RequestValidationError(errors)
