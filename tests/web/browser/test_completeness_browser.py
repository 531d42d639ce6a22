"""报送情况 in Debian's Chromium: the map colours the provinces by reporting rate, its tooltip says the rank
among how many reported; the cockpit's panel links there. Screenshots land in test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import serving
from tests.web.reporting_builders import console_errors
from tests.web.test_returns_review import PASSWORD, reporting_platform
from yangfan.web.app import create_app

pytestmark = pytest.mark.browser
MAP = "window.yangfanCompletenessMap"


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The platform with its returns, served."""
    y, _ids = reporting_platform(Path(tmp_path_factory.mktemp("completeness-browser")))
    with serving(create_app(y)) as served:
        yield served


def test_the_map_colours_the_provinces_by_reporting_rate(page: Any, url: str, artifacts_dir: Path) -> None:
    errors = console_errors(page)
    page.goto(url + "/login")
    page.fill("#username", "chief")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#logout")
    panel = page.locator("#reporting-panel")
    assert "报送情况" in panel.inner_text() and "4.8%" in panel.inner_text()  # 6 of 124 due in March
    page.screenshot(path=str(artifacts_dir / "cockpit-reporting-panel.png"))
    page.click("#panel-link")
    page.wait_for_selector("#completeness-map.ready canvas")
    option = page.evaluate(f"{MAP}.getOption()")
    data = {d["name"]: d.get("value") for d in option["series"][0]["data"]}  # None: nothing due
    # Every province has a rate (ECharts adds the regions without data: Taiwan, Hong Kong, Macao, the sea).
    assert len([v for v in data.values() if v is not None]) == 31
    assert (data["440000"], data["110000"], data["310000"], data["650000"]) == (75, 50, 25, 0)
    assert option["visualMap"][0]["type"] == "piecewise"
    # The canvas is drawn: Guangdong (75%) in its piece's colour where Guangzhou is.
    x, y = page.evaluate(f"{MAP}.convertToPixel({{seriesIndex: 0}}, [113.26, 23.13])")
    colour = page.evaluate(
        f"""(() => {{ const c = document.querySelector('#completeness-map canvas');
                     const r = window.devicePixelRatio || 1;
                     return Array.from(c.getContext('2d').getImageData({x} * r, {y} * r, 1, 1).data); }})()""")
    assert colour[:3] == [0xF2, 0xB2, 0x33]  # 50–79%
    box = page.locator("#completeness-map").bounding_box()
    page.mouse.move(box["x"] + x, box["y"] + y)
    page.wait_for_selector("text=第 1 / 已报 3 个省")
    assert "广东省" in page.locator("#completeness-map").inner_text()
    page.screenshot(path=str(artifacts_dir / "completeness-map.png"), full_page=True)
    page.goto(url + "/reporting/completeness?form=OPM&period=2026-03&lang=en")
    page.wait_for_selector("#completeness-map.ready canvas")
    assert "1 of 3 that reported" in page.locator("#province-table").inner_text()
    page.screenshot(path=str(artifacts_dir / "completeness-map-en.png"), full_page=True)
    assert errors == []
