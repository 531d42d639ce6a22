"""The cockpit page and the first API routes."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient


def test_cockpit_lists_every_target_with_status_and_source(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    html = r.text
    assert '<html lang="zh-CN">' in html and "驾驶舱" in html
    for code in [f"U{i:02d}" for i in range(1, 20)]:
        assert f">{code}<" in html
    assert "每万人拥有5G基站数" in html and "按期" in html and "已达成" in html
    assert "公开发布的真实数据" in html  # the demo says what its figures are
    assert "https://github.com/DuckBurnIncense/xin-wen-lian-bo/blob/master/news/20260607.md" in html  # U07's source
    assert "S06" in html and "F01" in html  # the ended plans


def test_english_version(client: TestClient) -> None:
    html = client.get("/?lang=en").text
    assert '<html lang="en">' in html and "5G base stations per 10,000 residents" in html and "on track" in html


def test_security_headers(client: TestClient) -> None:
    r = client.get("/")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in r.text and "style=" not in r.text


def test_api_progress_and_values(client: TestClient) -> None:
    rows = {p["target"]: p for p in client.get("/api/v1/progress").json() if p["org_unit"] == "100000"}
    assert rows["U01"]["status"] == "met"
    values = client.get("/api/v1/data-values", params={"indicator": "bs_5g_per_10k", "org_unit": "100000",
                                                       "period": "2025-12"}).json()
    assert values[0]["value"] == pytest.approx(34.437, abs=1e-3)  # 483.8万 ÷ 140489万 (end-2025)


def test_api_error_is_json_in_both_languages(client: TestClient) -> None:
    r = client.get("/api/v1/data-values", params={"indicator": "bs_5g", "org_unit": "100000", "period": "2025-13"})
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == "period.invalid" and "月份" in err["message_zh"] and "2025-13" in err["message_en"]


@pytest.mark.browser
def test_cockpit_in_chromium(page, live_url: str, artifacts_dir: Path) -> None:  # type: ignore[no-untyped-def]
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(live_url + "/")
    page.wait_for_selector(".spark.ready canvas")
    assert page.locator("h1").inner_text().startswith("5G规模化应用")
    sparks = page.evaluate("[...document.querySelectorAll('.spark.ready')].map("
                           "el => echarts.getInstanceByDom(el).getOption())")
    assert sparks and all(o["xAxis"][0]["type"] == "time" for o in sparks)
    # months without a figure are an empty point: the line breaks there rather than bridging them
    assert any(x["value"][1] is None for o in sparks for x in o["series"][0]["data"])
    assert all(o["series"][0]["connectNulls"] is False for o in sparks)
    assert page.locator("tr[data-status=on_track] .badge").first.inner_text() == "按期"
    page.screenshot(path=str(artifacts_dir / "cockpit.png"), full_page=True)
    page.goto(live_url + "/?lang=en")
    page.wait_for_selector(".spark.ready canvas")
    page.screenshot(path=str(artifacts_dir / "cockpit-en.png"), full_page=True)
    assert errors == []


def test_registry_counts_link_to_their_records_and_stand_beside_published_figures(client: TestClient) -> None:
    import re

    html = client.get("/").text
    u11 = html[html.index(">U11<"):html.index(">U12<")]
    # MIIT's published figure stays the headline; the registry count stands beside it, with the difference.
    headline = re.search(r'<td class="num">([\d,]+) 个', u11)
    beside = re.search(r'名录登记 <a class="records" href="([^"]+)"[^>]*>([\d,]+) 个', u11)
    difference = re.search(r"公布数 − 名录数 = \+?(-?[\d,]+) 个", u11)
    assert headline and beside and difference, u11
    number = [int(m.replace(",", "")) for m in (headline[1], beside[2], difference[1])]
    assert number[0] - number[1] == number[2] and "indicator=vpn_5g_industry_registry" in beside[1]
    u05 = html[html.index(">U05<"):html.index(">U06<")]
    assert 'class="records" href="/registry?indicator=standards_5g_fusion' in u05 and "演示数据" in u05
