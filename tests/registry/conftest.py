"""A platform with an empty store for the registry tests, on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import platform
from yangfan.context import Yangfan


@pytest.fixture
def y(store_url: str, tmp_path: Path) -> Yangfan:
    return platform(tmp_path, None if store_url.startswith("sqlite") else store_url)
