"""View models computed once per analytics build: the figures behind a page change only when it is rebuilt."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Concatenate, Generic, ParamSpec, TypeVar

from yangfan.context import Yangfan

P = ParamSpec("P")
R = TypeVar("R")
SIZE = 512


class per_build(Generic[P, R]):  # lower case: used as a decorator, like functools.cached_property
    """``fn(y, *args)`` cached by its arguments and the analytics build; the least recently used go first."""

    def __init__(self, fn: Callable[Concatenate[Yangfan, P], R]) -> None:
        self.fn = fn
        self.__doc__ = fn.__doc__
        self._cache: OrderedDict[Hashable, R] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _key(y: Yangfan, args: tuple[object, ...], kwargs: dict[str, object]) -> Hashable:
        return (id(y), y.analytics.version, args, tuple(sorted(kwargs.items())))

    def cached(self, y: Yangfan, *args: P.args, **kwargs: P.kwargs) -> R | None:
        """The cached result, or None: lets an async route skip the thread hop when nothing is computed."""
        key = self._key(y, args, kwargs)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        return None

    def __call__(self, y: Yangfan, *args: P.args, **kwargs: P.kwargs) -> R:
        found = self.cached(y, *args, **kwargs)
        if found is not None:
            return found
        value = self.fn(y, *args, **kwargs)
        with self._lock:
            self._cache[self._key(y, args, kwargs)] = value
            while len(self._cache) > SIZE:
                self._cache.popitem(last=False)
        return value
