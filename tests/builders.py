"""Builders of test data: one place that makes stores, platforms and import files."""

from __future__ import annotations

import csv
from pathlib import Path

from yangfan.context import Yangfan
from yangfan.settings import Settings

IMPORT_COLUMNS = ["indicator", "org_unit", "period", "value", "unit", "disaggregation", "qualifier", "source_url"]


def platform(data_dir: Path, database_url: str | None = None) -> Yangfan:
    """A platform on its own data directory (and store URL), schema created."""
    # The tests log in hundreds of times from one address: the per-address limit has its own test.
    y = Yangfan(Settings(data_dir=data_dir, database_url=database_url, login_attempts_per_minute=10_000))
    y.init()
    return y


def demo_platform(data_dir: Path, database_url: str | None = None, registry: bool = False) -> Yangfan:
    """A platform loaded as `yangfan demo` loads it: the real published history, demo sub-national values, and
    with ``registry`` the demo registry records and their counts (about 25 s: only the session's shared demo)."""
    y = platform(data_dir, database_url)
    y.load_history()
    y.rebuild()
    y.load_demo_values()
    y.rebuild()
    if registry:
        y.load_demo_registry()
        y.rebuild()
    return y


def write_import(path: Path, rows: list[dict[str, str]]) -> Path:
    """A CSV import file with the given rows (missing columns left empty)."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, IMPORT_COLUMNS)
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in IMPORT_COLUMNS})
    return path


def good_rows() -> list[dict[str, str]]:
    """Three valid rows for Guangdong and Shenzhen."""
    return [
        {"indicator": "bs_5g", "org_unit": "440000", "period": "2025-06", "value": "35.2", "unit": "万个"},
        {"indicator": "bs_5g", "org_unit": "440300", "period": "2025-06", "value": "8.1", "unit": "万个"},
        {"indicator": "users_5g_mobile_phone", "org_unit": "440000", "period": "2025-06", "value": "11000",
         "unit": "万户"},
    ]
