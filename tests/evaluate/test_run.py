"""The evaluation on the demo platform: every city ranked with its interval, from the analytics and the
registries; the script interface `yangfan evaluate run --format json`."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import numpy as np

from tests.conftest import ROOT
from yangfan.context import Yangfan
from yangfan.evaluate.inputs import gather, registry_counts
from yangfan.evaluate.method import load_method
from yangfan.evaluate.run import evaluate
from yangfan.registry.counts import records
from yangfan.store.db import session_scope


def test_every_city_is_ranked_with_an_interval_that_holds_its_rank(demo: Yangfan) -> None:
    e = evaluate(demo, runs=200)
    assert len(e.cities) == len(demo.tree.cities())
    assert [c.rank for c in e.cities] == sorted(c.rank for c in e.cities) and e.cities[0].rank == 1
    for c in e.cities:
        assert 1 <= c.rank_p5 <= c.rank_median <= c.rank_p95 <= len(e.cities)
    assert abs(sum(w["effective"] for w in e.effective) - 1) < 1e-9
    assert {c.org_unit for c in e.cities if c.designated} >= {"440300", "110000"}  # the real 2024 key cities
    assert e.meta()["demo"] is True


def test_registry_inputs_are_the_records_counted_in_each_city(demo: Yangfan) -> None:
    g = gather(demo, load_method())
    with session_scope(demo.engine) as s:
        found = records(s)
    from datetime import date

    n = registry_counts(found, demo.tree, ("organisation",), ("supplier",), date(g.year, 12, 31))
    col = g.table.codes.index("suppliers")
    got = dict(zip(g.table.units, g.table.values[:, col], strict=True))
    assert all(got[c] == n[c] for c in g.table.units) and sum(n.values()) > 100
    # An indicator no city has (5G-A share: reported by provinces only) is left out, and said to be.
    assert "bs_5ga_share" not in g.table.codes and g.left_out[0][0] == "bs_5ga_share"
    assert not np.isnan(g.table.values[:, g.table.codes.index("bs_5g_per_10k")]).all()


def test_cli_json_contract(demo: Yangfan) -> None:
    env = {"YANGFAN_DATA_DIR": str(demo.settings.data_dir), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([ROOT / ".venv" / "bin" / "yangfan", "evaluate", "run", "--runs", "100", "--format",
                          "json"], capture_output=True, text=True, check=True, env=env)
    cities: list[dict[str, Any]] = json.loads(out.stdout)
    assert len(cities) == len(demo.tree.cities())
    for c in cities:
        assert {"org_unit", "score", "rank", "rank_p5", "rank_p95"} <= set(c)
        assert c["rank_p5"] <= c["rank_p95"]
