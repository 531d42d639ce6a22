"""The real published history (MIIT, NBS) that ships with Yangfan as the demo's default content."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from yangfan.catalog import Catalog
from yangfan.collect.importer import import_csv
from yangfan.geo.orgunits import OrgUnitTree
from yangfan.store.repository import WriteResult

FOLDER = Path(__file__).parent / "published"
FILES = ("population.csv", "national.csv", "regional.csv", "national_2023_2026.csv", "restated.csv")


def load_history(engine: Engine, catalog: Catalog, tree: OrgUnitTree) -> dict[str, WriteResult]:
    """Import every published-history file as published figures; repeating it changes nothing."""
    return {name: import_csv(engine, FOLDER / name, catalog, tree, status="published", source_kind="published")
            for name in FILES}
