"""The pages other than the cockpit: indicator, downloads, map, region, login, audit, errors, English."""

from __future__ import annotations

import csv
import io
import json
import re
from itertools import pairwise
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.web.conftest import PASSWORD
from yangfan.context import Yangfan
from yangfan.geo.periods import parse_period
from yangfan.store.db import session_scope
from yangfan.web.indicator import time_line


def logged_in(client: TestClient, username: str) -> TestClient:
    c = TestClient(client.app)
    assert c.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD}).status_code == 200
    return c


def page_json(html: str, block: str) -> Any:
    """The JSON a page hands to its script (CSP: a data block, not an inline script)."""
    return json.loads(html.split(f'id="{block}">')[1].split("</script>")[0])


def test_indicator_page_shows_definition_clause_targets_and_sources(client: TestClient) -> None:
    html = client.get("/indicators/bs_5g_per_10k").text
    assert "每万人拥有5G基站数" in html and "(5G基站数) ÷ (年末常住人口) × 10000" in html
    assert "U07" in html and "每万人拥有5G基站数达38个" in html  # the clause of the plan, quoted
    assert "2025-12" in html and "34.44" in html and "已发布" in html
    assert "https://www.workercn.cn/papers/grrb/2026/01/29/3/news-2.html" in html
    assert "演示数据" not in html.split("<main>")[1].split("<script")[0]  # national figures are real


def test_frequencies_aggregate_by_the_time_rules(client: TestClient) -> None:
    quarterly = client.get("/indicators/bs_5g?freq=quarter").text
    assert "2025Q4" in quarterly and "483.8" in quarterly.replace(",", "")  # a stock: the value at quarter end
    annual = client.get("/indicators/bs_5g?freq=year").text
    assert ">2024<" in annual


def test_the_csv_download_is_exactly_the_table(client: TestClient) -> None:
    html = client.get("/indicators/bs_5g_per_10k?org_unit=440000").text
    r = client.get("/indicators/bs_5g_per_10k/download.csv?org_unit=440000")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    text = r.content.decode("utf-8-sig")
    assert text.startswith("# 演示数据")  # demo figures say so in the file itself
    rows = list(csv.reader(line for line in text.splitlines() if not line.startswith("#")))
    assert rows[0][:4] == ["指标", "组织单元", "期间", "数值（个/万人）"]
    body = rows[1:]
    assert len(body) == html.count('<tr class="demo-row">')
    assert all(r[rows[0].index("演示数据")] == "演示数据" for r in body)
    latest = max(body, key=lambda r: r[2])
    assert f">{latest[2]}</td>" in html and f">{float(latest[3]):,.2f}</td>" in html
    assert rows[0][4:6] == ["精确值", "精确值单位"]
    assert all(r[5] == "个/万人" and round(float(r[4]), 2) == float(r[3]) for r in body)


def test_downloads_carry_the_full_precision_value_and_its_unit(client: TestClient) -> None:
    api = client.get("/api/v1/data-values", params={"indicator": "bs_5g_per_10k", "org_unit": "100000",
                                                    "period": "2025-12"}).json()[0]["value"]
    text = client.get("/indicators/bs_5g_per_10k/download.csv").content.decode("utf-8-sig")
    row = next(r for r in csv.reader(text.splitlines()) if r[2] == "2025-12")
    assert (row[3], float(row[4]), row[5]) == (f"{round(api, 2):.2f}", api, "个/万人")  # the ratio, unrounded
    assert len(row[4]) > len(row[3])
    ws = load_workbook(io.BytesIO(client.get("/indicators/bs_5g/download.xlsx?lang=en").content)).active
    assert ws is not None
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0][3:6]) == ["value (million)", "full-precision value", "unit of full-precision value"]
    dec2024 = next(r for r in rows if r[2] == "2024-12")
    assert dec2024[3:6] == (4.251, 4251000, "count")  # 425.1万个 as published, in millions and in full


def test_the_xlsx_download_opens_with_numbers_as_numbers(client: TestClient) -> None:
    r = client.get("/indicators/bs_5g/download.xlsx?lang=en&freq=quarter")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws is not None
    header = [c.value for c in ws[1]]
    assert header[:3] == ["indicator", "org unit", "period"]
    values = [row[3] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert values and all(isinstance(v, int | float) for v in values)


def test_time_line_breaks_where_periods_are_missing() -> None:
    months = time_line((parse_period(p), v) for p, v in [("2025-11", 1.0), ("2025-12", 2.0), ("2026-02", 3.0)])
    assert months == [{"name": "2025-11", "value": ["2025-11-01", 1.0]},
                      {"name": "2025-12", "value": ["2025-12-01", 2.0]},
                      {"name": "", "value": ["2026-01-01", None]},  # 2026-01 is missing: the line breaks
                      {"name": "2026-02", "value": ["2026-02-01", 3.0]}]
    quarters = time_line((parse_period(p), 1.0) for p in ["2025Q3", "2025Q4", "2026Q2"])
    assert [q["name"] for q in quarters] == ["2025Q3", "2025Q4", "", "2026Q2"]
    assert [q["value"][0] for q in quarters] == ["2025-07-01", "2025-10-01", "2026-01-01", "2026-04-01"]
    years = time_line((parse_period(p), 1.0) for p in ["2023", "2024", "2025"])
    assert [y["value"][0] for y in years] == ["2023-01-01", "2024-01-01", "2025-01-01"]  # no gap, no break


def test_the_chart_puts_periods_on_a_time_axis_and_breaks_at_gaps(client: TestClient, demo: Yangfan) -> None:
    chart = page_json(client.get("/indicators/bs_5g_per_10k").text, "chart-data")
    assert chart["demo"] == [] and chart["freq"] == "month"
    named = [x["name"] for x in chart["real"] if x["name"]]
    assert set(named) <= {p.code for p in demo.analytics.series("bs_5g_per_10k", "100000")}
    gaps = [i for i, x in enumerate(chart["real"]) if x["value"][1] is None]
    apart = [(a, b) for a, b in pairwise(named) if parse_period(a).shift(1) != parse_period(b)]
    assert gaps and len(gaps) == len(apart)  # one break for each run of missing months, none elsewhere
    for i in gaps:
        before, after = parse_period(chart["real"][i - 1]["name"]), parse_period(chart["real"][i + 1]["name"])
        assert before.shift(1) != after and chart["real"][i]["value"][0] == before.shift(1).start.isoformat()
    u07 = next(t for t in chart["targets"] if t["label"].startswith("U07"))
    assert (u07["value"], u07["deadline"], u07["at"]) == (38, "2027-12", "2027-12-01")
    assert chart["end"] == "2027-12-01"  # the axis runs on to the last deadline
    annual = page_json(client.get("/indicators/bs_5g_per_10k?freq=year").text, "chart-data")
    assert {t["at"] for t in annual["targets"]} >= {"2027-01-01"}  # a year sits at its start, as its figure does


def test_demo_figures_are_a_line_of_their_own(client: TestClient) -> None:
    html = client.get("/indicators/population?org_unit=440000&freq=year").text
    chart = page_json(html, "chart-data")
    real = {x["name"] for x in chart["real"] if x["name"]}
    demo = {x["name"] for x in chart["demo"] if x["name"]}
    assert real and demo and not real & demo  # Guangdong publishes some years; the others are demo
    rows = re.findall(r'<tr( class="demo-row")?>\s*<td class="nowrap">(\d{4})</td>', html)
    assert demo == {p for flag, p in rows if flag} and real == {p for flag, p in rows if not flag}


def test_english_pages_write_counts_in_millions_never_in_10k(client: TestClient) -> None:
    pages = ["/", "/indicators", "/indicators/bs_5g", "/indicators/users_mobile_phone?org_unit=440000",
             "/map?indicator=bs_5g", "/map?indicator=users_5g_mobile_phone&parent=440000", "/regions/440000"]
    for path in pages:
        html = client.get(path, params={"lang": "en"}).text
        assert not re.search(r"\d 10k|× 10k|\d 100 million|万|亿", html.split('id="chart-data"')[0]
                             .split("<main>")[1].split("</main>")[0].replace("演示数据", "")), path
    cockpit = client.get("/?lang=en").text
    assert "&gt; 100 million" in cockpit  # U03: 1亿 5G IoT connections
    bs = client.get("/indicators/bs_5g?lang=en").text
    assert "Value (million)" in bs and ">4.251</td>" in bs  # 2024-12: 425.1万
    assert page_json(bs, "chart-data")["unit"] == "million"
    region = client.get("/regions/440000?lang=en").text
    assert re.search(r">\d\.\d{3} billion<", region)  # the nation's mobile users
    zh = client.get("/indicators/bs_5g").text
    assert "数值（万个）" in zh and ">425.1</td>" in zh


def test_a_public_download_is_counted_not_audited(client: TestClient, demo: Yangfan) -> None:
    from sqlalchemy import func, select

    from yangfan.store.counters import downloads
    from yangfan.store.models import AuditRow

    def state() -> tuple[int, int]:
        with session_scope(demo.engine) as s:
            count = sum(d.count for d in downloads(s) if d.item == "users_5g_penetration" and d.format == "csv")
            return count, int(s.scalar(select(func.count()).select_from(AuditRow)) or 0)

    (count, entries) = state()
    assert client.get("/indicators/users_5g_penetration/download.csv?org_unit=110000").status_code == 200
    assert state() == (count + 1, entries)


def test_map_lists_every_province_ranked_with_demo_labels(client: TestClient, demo: Yangfan) -> None:
    html = client.get("/map?indicator=bs_5g_per_10k&period=2025-06").text
    assert html.count('<tr data-code="') == 31
    assert ">1</td>" in html and "演示数据" in html and "2025-06" in html
    cities = client.get("/map?indicator=bs_5g&parent=440000").text
    assert cities.count('<tr data-code="') == len(demo.tree.children["440000"])
    assert "深圳市" in cities and "返回全国" in cities


def test_boundaries_join_the_map_rows(client: TestClient) -> None:
    geo = client.get("/api/v1/boundaries/100000").json()
    codes = {f["properties"]["code"] for f in geo["features"]}
    html = client.get("/map").text
    rows = {part.split('"')[0] for part in html.split('<tr data-code="')[1:]}
    assert rows <= codes


def test_region_page_compares_with_the_nation_and_ranks(client: TestClient) -> None:
    html = client.get("/regions/440000").text
    assert "广东省" in html and "/31" in html and "全国" in html and "演示数据" in html
    assert "U07" in html  # progress against the plan's targets
    city = client.get("/regions/440300?lang=en").text
    assert '<html lang="en">' in city and "Relative to national" in city and "/31" not in city


def test_unknown_codes_give_an_html_error_page_with_status(client: TestClient) -> None:
    r = client.get("/indicators/nope")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"] and "未知的指标代码" in r.text
    r = client.get("/regions/999999?lang=en")
    assert r.status_code == 404 and "unknown" in r.text.lower()


def test_audit_page_is_for_administrators_only(client: TestClient, page_users: dict[str, str]) -> None:
    assert client.get("/audit").status_code == 401
    assert logged_in(client, page_users["reporter"]).get("/audit").status_code == 403
    admin = logged_in(client, page_users["admin"])
    r = admin.get("/audit?action=auth.login")
    assert r.status_code == 200 and "哈希链完整" in r.text and "pages-admin" in r.text
    assert "data.import" not in r.text.split('id="audit-table"')[1]  # the filter holds


@pytest.mark.parametrize("path", ["/", "/indicators", "/indicators/bs_5g", "/map", "/regions/440000", "/login"])
def test_every_page_has_the_language_switch(client: TestClient, path: str) -> None:
    zh = client.get(path).text
    assert '<html lang="zh-CN">' in zh and ">English</a>" in zh and "lang=en" in zh
    en = client.get(path, params={"lang": "en"}).text
    assert '<html lang="en">' in en and ">中文</a>" in en
