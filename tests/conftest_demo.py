"""The session-wide platform with the real published history."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import demo_platform
from yangfan.context import Yangfan


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Yangfan:
    """The platform with the real published history, built once per session."""
    return demo_platform(Path(tmp_path_factory.mktemp("demo")))
