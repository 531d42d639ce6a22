"""Documentation that is checked: the reference matches the catalog, every setting is documented."""

from __future__ import annotations

from pathlib import Path

from yangfan.catalog import get_catalog
from yangfan.catalog.reference import indicator_reference
from yangfan.settings import Settings

DOCS = Path(__file__).parents[1] / "docs"


def test_indicator_reference_is_current() -> None:
    current = (DOCS / "indicators.md").read_text(encoding="utf-8")
    assert current == indicator_reference(get_catalog()), "docs/indicators.md is stale: run `yangfan docs`"


def test_every_indicator_and_target_is_documented() -> None:
    text = (DOCS / "indicators.md").read_text(encoding="utf-8")
    cat = get_catalog()
    assert all(f"`{code}`" in text for code in cat.indicators)
    assert all(f"| {code} |" in text for code in cat.targets)


def test_every_setting_is_documented() -> None:
    text = (DOCS / "settings.md").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"`YANGFAN_{name.upper()}`" in text, name


def test_the_default_secret_is_refused_outside_development() -> None:
    import pytest
    from pydantic import ValidationError

    for environment in ("production", "test"):
        with pytest.raises(ValidationError, match="SECRET_KEY"):
            Settings(environment=environment)  # type: ignore[arg-type]
    assert Settings(environment="production", secret_key="x" * 32).environment == "production"
