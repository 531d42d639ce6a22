"""View models computed once per analytics build: the figures behind a page change only when it is rebuilt."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import wraps
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

from yangfan.context import Yangfan

P = ParamSpec("P")
R = TypeVar("R")
SIZE = 512


def per_build(fn: Callable[Concatenate[Yangfan, P], R]) -> Callable[Concatenate[Yangfan, P], R]:
    """Cache ``fn(y, *args)`` by its arguments and the analytics build; the least recently used go first."""
    cache: OrderedDict[Hashable, Any] = OrderedDict()
    lock = threading.Lock()

    @wraps(fn)
    def wrapper(y: Yangfan, *args: P.args, **kwargs: P.kwargs) -> R:
        key = (id(y), y.analytics.version, args, tuple(sorted(kwargs.items())))
        with lock:
            if key in cache:
                cache.move_to_end(key)
                return cache[key]  # type: ignore[no-any-return]
        value = fn(y, *args, **kwargs)
        with lock:
            cache[key] = value
            while len(cache) > SIZE:
                cache.popitem(last=False)
        return value

    def cached(y: Yangfan, *args: Any) -> Any:
        """The cached result, or None: lets an async route skip the thread hop when nothing is computed."""
        with lock:
            return cache.get((id(y), y.analytics.version, args, ()))

    wrapper.cached = cached  # type: ignore[attr-defined]
    return cast(Callable[Concatenate[Yangfan, P], R], wrapper)
