"""The analytics rebuild reads the same figures from a SQLite and from a PostgreSQL store."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import demo_platform
from yangfan.analytics.query import Query


def test_rebuild_from_either_store(tmp_path: Path, store_url: str) -> None:
    y = demo_platform(tmp_path, store_url)
    figures = y.query(Query.parse(["bs_5g_per_10k", "users_5g_share", "mobile_internet_traffic"], ["100000"],
                                  ["2025-12", "2022-09"]))
    got = {(f.indicator.code, str(f.period)): f.value for f in figures}
    # December divides by its own year end (140489万)
    assert got[("bs_5g_per_10k", "2025-12")] == pytest.approx(4_838_000 / 1_404_890_000 * 10_000)
    # Two sources disagree (bulletin 5.1亿, speech 5.2亿): both kept, the bulletin preferred.
    assert got[("users_5g_share", "2022-09")] == pytest.approx(510_000_000 / 1_682_000_000 * 100)


def test_rebuild_is_atomic_and_repeatable(tmp_path: Path) -> None:
    y = demo_platform(tmp_path)
    before = y.query(Query.parse(["bs_5g"], ["100000"], ["2024-12"]))[0].value
    stats = y.rebuild()
    assert stats["facts"] > 400 and not (tmp_path / "analytics.building").exists()
    assert y.query(Query.parse(["bs_5g"], ["100000"], ["2024-12"]))[0].value == before == 4_251_000


def test_an_empty_store_builds_an_empty_cube(tmp_path: Path, store_url: str) -> None:
    from tests.builders import platform

    y = platform(tmp_path, store_url)
    assert y.rebuild()["cube"] == 0
    assert y.query(Query.parse(["bs_5g_per_10k"], ["100000"], ["2025-12"]))[0].value is None
