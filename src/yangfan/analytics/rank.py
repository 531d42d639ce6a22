"""Ranks of org units by a figure: the highest value is 1, ties share a rank (1, 2, 2, 4)."""

from __future__ import annotations

from collections.abc import Iterable

from yangfan.analytics.query import Figure


def ranks(figures: Iterable[Figure]) -> dict[str, int]:
    """Rank of each org unit whose figure has a value, by its published precision (so ties look like ties)."""
    values = {f.org_unit: r for f in figures if (r := f.rounded()) is not None}
    ordered = sorted(values.values(), reverse=True)
    first: dict[float, int] = {}
    for i, v in enumerate(ordered):
        first.setdefault(v, i + 1)
    return {u: first[v] for u, v in values.items()}
