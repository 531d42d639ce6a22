"""Lineage (溯源) of a figure: its input cells, each with every source that gives it, sums opened into parts.

A reported cell lists every source in the store for its key — the preferred one, those that corroborate
it, then the alternatives that give another value — so that nothing behind a figure hides behind its
first source. A cell that is a sum (a region's population from its provinces, a province's from its
cities) opens into the cells it was summed from, down to what was reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from sqlalchemy import Engine

from yangfan.analytics.query import Analytics, Cell, Figure
from yangfan.store.db import session_scope
from yangfan.store.repository import SourceInfo, sources_of_keys
from yangfan.store.values import RELEASED

#: Sums are opened this many levels down (nation → region → province → city → county).
MAX_DEPTH = 4


@dataclass(frozen=True, slots=True)
class Node:
    """One input cell, where its value comes from, and the cells it was summed from."""

    cell: Cell
    depth: int = 0
    sources: tuple[SourceInfo, ...] = ()
    parts: tuple[Node, ...] = ()

    def walk(self) -> Iterator[Node]:
        """This node and every node below it, depth first."""
        yield self
        for p in self.parts:
            yield from p.walk()


def _key(c: Cell) -> tuple[str, str, str, str]:
    return (c.indicator, c.org_unit, c.period, "")


def _open(a: Analytics, cell: Cell, depth: int, published_only: bool) -> Node:
    """A cell, and when it is a sum, the cells below it (the units under it, or a group's members)."""
    below: list[str] = []
    if cell.origin == "sum" and depth < MAX_DEPTH:
        below = list(a.tree.groups[cell.org_unit].members) if cell.org_unit in a.tree.groups \
            else list(a.tree.children.get(cell.org_unit, []))
    found = a.cells_at(cell.indicator, below, cell.period, published_only=published_only) if below else {}
    return Node(cell, depth, (), tuple(_open(a, found[u], depth + 1, published_only) for u in below if u in found))


def lineage(a: Analytics, store: Engine, figure: Figure, published_only: bool = False) -> list[Node]:
    """The figure's inputs as trees, every reported cell with all its released sources (published ones only
    for those who see published figures only)."""
    roots = [_open(a, c, 0, published_only) for c in a.inputs(figure, True, published_only)]
    used = {_key(n.cell): n.cell.value for r in roots for n in r.walk() if n.cell.origin == "reported"}
    with session_scope(store) as session:
        sources = sources_of_keys(session, set(used), ("published",) if published_only else RELEASED, used)

    def attach(n: Node) -> Node:
        return replace(n, sources=tuple(sources.get(_key(n.cell), ())), parts=tuple(attach(p) for p in n.parts))

    return [attach(r) for r in roots]
