"""The ``yangfan`` command as scripts use it: JSON contract, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from yangfan.context import Yangfan

YANGFAN = Path(sys.executable).parent / "yangfan"


def run(demo: Yangfan, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "YANGFAN_DATA_DIR": str(demo.settings.data_dir)}
    return subprocess.run([str(YANGFAN), *args], capture_output=True, text=True, env=env, timeout=120)


def test_query_json_contract(demo: Yangfan) -> None:
    out = run(demo, "query", "--indicator", "bs_5g_per_10k", "--org-unit", "100000", "--period", "2025-12",
              "--format", "json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    first = rows[0]
    assert {"indicator", "name_zh", "org_unit", "period", "value", "numerator", "denominator"} <= first.keys()
    assert isinstance(first["value"], float) and round(first["value"], 1) == 34.4
    # December divides by its own year's population (NBS publishes it before MIIT publishes December)
    assert first["numerator"] == 4_838_000 and first["denominator"] == 1_404_890_000
    assert first["sources"]


def test_query_many_and_csv(demo: Yangfan) -> None:
    out = run(demo, "query", "-i", "users_5g_share", "-i", "bs_5g", "-o", "100000", "-o", "east", "-p", "2023-09",
              "-f", "csv")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0].startswith("indicator,name_zh") and len(lines) == 5


@pytest.mark.parametrize("args,needle", [
    (("query", "-i", "bs_5g", "-o", "100000", "-p", "2025-13"), "2025-13"),
    (("query", "-i", "no_such", "-o", "100000", "-p", "2025-12"), "no_such"),
    (("query", "-i", "bs_5g", "-o", "999999", "-p", "2025-12"), "999999"),
    (("progress", "--plan", "nope"), "nope"),
])
def test_errors_are_one_line_and_non_zero(demo: Yangfan, args: tuple[str, ...], needle: str) -> None:
    out = run(demo, *args)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0]


def test_progress_and_indicators_json(demo: Yangfan) -> None:
    out = run(demo, "progress", "-f", "json")
    assert out.returncode == 0, out.stderr
    rows = {r["target"]: r for r in json.loads(out.stdout) if r["org_unit"] == "100000"}
    assert rows["U07"]["status_zh"] == "按期" and rows["U01"]["status_zh"] == "已达成"
    out = run(demo, "indicators", "-f", "json")
    codes = {r["code"] for r in json.loads(out.stdout)}
    assert {"bs_5g_per_10k", "users_5g_penetration", "iot_share_of_connections"} <= codes


def test_import_rejection_report(demo: Yangfan, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("indicator,org_unit,period,value,unit\nbs_5g,440000,2025-13,1,万个\n", encoding="utf-8")
    report = tmp_path / "report.csv"
    out = run(demo, "import", str(bad), "--report", str(report))
    assert out.returncode == 2 and "row 2" in out.stderr
    text = report.read_text(encoding="utf-8")
    assert "period" in text and "月份" in text


def test_cli_api_and_page_give_the_same_figure(demo: Yangfan) -> None:
    """One engine behind every face: the same query gives the same number everywhere."""
    from fastapi.testclient import TestClient

    from yangfan.web.app import create_app

    args = {"indicator": "users_5g_penetration", "org_unit": "100000", "period": "2026-02"}
    out = run(demo, "query", "-i", args["indicator"], "-o", args["org_unit"], "-p", args["period"], "-f", "json")
    cli = json.loads(out.stdout)[0]
    api = TestClient(create_app(demo)).get("/api/v1/data-values", params=args).json()[0]
    assert cli == api
    page = TestClient(create_app(demo)).get("/").text
    assert f"{cli['display_value']} %" in page  # the cockpit shows U01 at the same figure (87.9 %)
