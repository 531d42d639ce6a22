"""The pages other than the cockpit: indicator, downloads, map, region, login, audit, errors, English."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.web.conftest import PASSWORD
from yangfan.context import Yangfan
from yangfan.store.db import session_scope


def logged_in(client: TestClient, username: str) -> TestClient:
    c = TestClient(client.app)
    assert c.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD}).status_code == 200
    return c


def test_indicator_page_shows_definition_clause_targets_and_sources(client: TestClient) -> None:
    html = client.get("/indicators/bs_5g_per_10k").text
    assert "每万人拥有5G基站数" in html and "(5G基站数) ÷ (年末常住人口) × 10000" in html
    assert "U07" in html and "每万人拥有5G基站数达38个" in html  # the clause of the plan, quoted
    assert "2025-12" in html and "34.35" in html and "已发布" in html
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
    assert all(r[7] == "演示数据" for r in body)
    latest = max(body, key=lambda r: r[2])
    assert f"<td>{latest[2]}</td>" in html and f"{float(latest[3]):,}" in html


def test_the_xlsx_download_opens_with_numbers_as_numbers(client: TestClient) -> None:
    r = client.get("/indicators/bs_5g/download.xlsx?lang=en&freq=quarter")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws is not None
    header = [c.value for c in ws[1]]
    assert header[:3] == ["indicator", "org unit", "period"]
    values = [row[3] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert values and all(isinstance(v, int | float) for v in values)


def test_every_export_is_in_the_audit_log(client: TestClient, demo: Yangfan) -> None:
    from sqlalchemy import select

    from yangfan.store.models import AuditRow

    client.get("/indicators/users_5g_penetration/download.csv?org_unit=110000")
    with session_scope(demo.engine) as s:
        last = s.scalars(select(AuditRow).where(AuditRow.action == "export").order_by(AuditRow.id.desc())).first()
        assert last is not None and last.entity_id == "users_5g_penetration" and '"110000"' in last.after


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
