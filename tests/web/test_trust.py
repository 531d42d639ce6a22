"""Numbers a ministry can sign, as the pages show them: quality notes, every source, lineage, readings, breaks."""

from __future__ import annotations

import csv
import json

import pytest
from fastapi.testclient import TestClient

from yangfan.analytics.lineage import lineage
from yangfan.analytics.query import Query
from yangfan.context import Yangfan


def _block(html: str, block: str) -> dict:  # type: ignore[type-arg]
    return json.loads(html.split(f'id="{block}">')[1].split("</script>")[0])  # type: ignore[no-any-return]


def test_a_doubtful_input_carries_its_quality_note_on_the_page_the_api_and_the_download(client: TestClient) -> None:
    html = client.get("/indicators/users_mobile_phone").text
    row = html.split(">2024-06</td>")[1].split("</tr>")[0]
    assert "质量提示" in row and "17.68亿户" in row
    api = client.get("/api/v1/data-values", params={"indicator": "mobile_penetration_per_100", "org_unit": "100000",
                                                     "period": "2024-06"}).json()[0]
    assert len(api["quality"]) == 1 and "users_mobile_phone 100000 2024-06" in api["quality"][0]
    text = client.get("/indicators/users_mobile_phone/download.csv").content.decode("utf-8-sig")
    rows = list(csv.reader(text.splitlines()))
    header = rows[0]
    flagged = next(r for r in rows if r[2] == "2024-06")
    assert "17.68亿户" in flagged[header.index("质量提示")]
    assert next(r for r in rows if r[2] == "2024-05")[header.index("质量提示")] == ""


def test_every_source_page_of_a_figure_is_listed_not_the_first(client: TestClient) -> None:
    row = client.get("/indicators/users_mobile_phone").text.split(">2025-12</td>")[1].split("</tr>")[0]
    assert row.count('rel="noopener noreferrer"') >= 2


def test_lineage_opens_a_sum_into_its_parts_with_their_sources(demo: Yangfan) -> None:
    figure = demo.query(Query.parse(["bs_5g_per_10k"], ["east"], ["2024-06"]))[0]
    nodes = lineage(demo.analytics, demo.engine, figure)
    population = next(n for n in nodes if n.cell.indicator == "population")
    assert population.cell.origin == "sum" and len(population.parts) == 10  # the ten eastern provinces
    assert sum(p.cell.value for p in population.parts) == pytest.approx(population.cell.value)
    assert all(p.sources for p in population.parts)
    zhejiang = next(p for p in population.parts if p.cell.org_unit == "330000")
    assert zhejiang.sources[0].kind == "published" and zhejiang.sources[0].url  # a real figure, with its page


def test_the_lineage_page_in_both_languages(client: TestClient) -> None:
    html = client.get("/indicators/bs_5g_per_10k/lineage", params={"org_unit": "east", "period": "2024-06"}).text
    assert "溯源" in html and html.count('class="depth-1"') == 10 and "演示数据" in html
    en = client.get("/indicators/mobile_penetration_per_100/lineage", params={"period": "2024-06", "lang": "en"}).text
    assert "Lineage" in en and "Quality note" in en and "1.768 billion" in en
    assert client.get("/indicators/bs_5g/lineage", params={"period": "2024-13"}).status_code == 400


def test_the_cockpit_says_which_numbers_are_yangfans_reading_and_which_dates_are_the_plans_horizon(
        client: TestClient) -> None:
    html = client.get("/").text
    u10 = html.split(">U10<")[1].split("</tr>")[0]
    assert "本平台口径" in u10 and "100%" in u10
    u17 = html.split(">U17<")[1].split("</tr>")[0]
    assert "规划期末，条款未写明期限" in u17
    u07 = html.split(">U07<")[1].split("</tr>")[0]
    assert "规划期末" not in u07 and "本平台口径" not in u07
    s03 = html.split(">S03<")[1].split("</tr>")[0]
    assert "未达成（存疑）" in s03 and "结论存疑" in s03
    en = client.get("/?lang=en").text.split(">U19<")[1].split("</tr>")[0]
    assert "Yangfan&#39;s reading" in en
    t = client.get("/api/v1/targets/U10").json()
    assert t["value_basis"] == "platform_reading" and t["reading_zh"].startswith("本平台口径")
    assert client.get("/api/v1/targets/U18").json()["comparator"] == "达"


def test_the_chart_marks_the_coverage_break_and_the_restated_base(client: TestClient) -> None:
    chart = _block(client.get("/indicators/users_5g_penetration").text, "chart-data")
    assert [b["at"] for b in chart["breaks"]] == ["2024-01-01"] and chart["breaks"][0]["label"] == "口径调整"
    assert "2024-01起：三家基础电信企业及中国广电" in client.get("/indicators/users_5g_penetration").text
    (restated,) = chart["restated"]
    assert restated["name"] == "2023-12" and restated["value"][1] == pytest.approx(8.22e8 / 1.40967e9 * 100, abs=0.05)
    assert _block(client.get("/indicators/bs_5g").text, "chart-data")["breaks"] == []  # stations were not restated


def test_data_as_of_is_the_latest_national_month(client: TestClient) -> None:
    # The demo's registry counts (monthly ones: networks, 5G-A cities) reach the last month that has ended.
    from yangfan.registry.counts import period_of

    last = period_of(client.app.state.yangfan.today(), "month").shift(-1)  # type: ignore[attr-defined]
    assert f"数据截至 {last}" in client.get("/").text
