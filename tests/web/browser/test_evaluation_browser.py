"""扬帆之城评价 in Debian's Chromium: the map colours every city by its score and a click opens the city's page;
the city, audit and key-city pages draw their charts. Screenshots land in test-artifacts/issue13/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.web.reporting_builders import console_errors

pytestmark = pytest.mark.browser
MAP = "window.yangfanEvaluationMap"
#: A point inside 重庆市, the largest municipality: a click there cannot land on a neighbour.
CHONGQING = (107.5, 30.0)


def test_the_map_opens_a_city_and_the_pages_draw(page: Any, live_url: str, artifacts_dir: Path) -> None:
    shots = artifacts_dir / "issue13"
    shots.mkdir(exist_ok=True)
    errors = console_errors(page)
    page.goto(live_url + "/evaluate")
    page.wait_for_selector("#evaluation-map.ready canvas")
    option = page.evaluate(f"{MAP}.getOption()")
    # ECharts adds the areas without a score: Taiwan, the county-level cities under their provinces, the sea.
    scored = {d["name"]: d.get("value") for d in option["series"][0]["data"] if d.get("value") is not None}
    assert len(scored) == page.locator("#ranking tbody tr").count()  # every city of the table is on the map
    assert "500000" in scored
    page.screenshot(path=str(shots / "ranking.png"))
    x, y = page.evaluate(f"{MAP}.convertToPixel({{seriesIndex: 0}}, [{CHONGQING[0]}, {CHONGQING[1]}])")
    box = page.locator("#evaluation-map").bounding_box()
    page.mouse.move(box["x"] + x, box["y"] + y)
    page.wait_for_selector("#evaluation-map >> text=重庆市")  # the tooltip names the city
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_url("**/evaluate/cities/500000?lang=zh")
    page.wait_for_selector("#city-pillars.ready canvas")
    assert "重庆市" in page.locator("h2.city-title").inner_text()
    page.screenshot(path=str(shots / "city.png"), full_page=True)
    page.goto(live_url + "/evaluate/audit")
    page.wait_for_selector("#weights-chart.ready canvas")
    page.wait_for_selector("#correlation-chart.ready canvas")
    page.screenshot(path=str(shots / "audit.png"), full_page=True)
    page.goto(live_url + "/evaluate/designated")
    page.wait_for_selector("#designated-pillars.ready canvas")
    page.screenshot(path=str(shots / "designated.png"), full_page=True)
    assert errors == []
