"""扬帆之城评价 pages and JSON: the ranking says exactly what ``evaluate`` computed, with rank intervals; a city's
page, the audit and the key cities read the same run; an unknown city is a 404 that says why."""

from __future__ import annotations

import html as html_lib
import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.web.test_pages import logged_in, page_json
from yangfan.context import Yangfan
from yangfan.evaluate.run import Evaluation, evaluate
from yangfan.web.evaluation import evaluation
from yangfan.web.i18n import TEXTS

TEMPLATES = Path(__file__).parents[2] / "src" / "yangfan" / "web" / "templates"
#: A ranking row: the row's data attributes, then the rank cell, the interval's text and the median cell.
ROW = re.compile(r'<tr data-code="(\d{6})" data-rank="(\d+)" data-p5="(\d+)" data-median="(\d+)" data-p95="(\d+)"'
                 r'[^>]*>\s*<td class="num rank">(\d+)</td>\s*<td class="interval"><span class="range"[^>]*>'
                 r'(\d+)–(\d+)</span>.*?<td class="num median">(\d+)</td>', re.S)


@pytest.fixture(scope="module")
def public_run(demo: Yangfan) -> Evaluation:
    """The public's evaluation, computed afresh (the pages read a cached one)."""
    return evaluate(demo, published_only=True)


def rows(html: str) -> list[tuple[str, int, int, int, int]]:
    """(code, rank, p5, median, p95) of a ranking table, each number checked against the text the reader sees."""
    out = []
    for m in ROW.finditer(html):
        code, rank, p5, median, p95 = m[1], *map(int, m.groups()[1:5])
        assert (int(m[6]), int(m[7]), int(m[8]), int(m[9])) == (rank, p5, p95, median), code
        out.append((code, rank, p5, median, p95))
    return out


def test_the_ranking_table_is_the_evaluation(client: TestClient, public_run: Evaluation) -> None:
    html = client.get("/evaluate").text
    assert rows(html) == [(c.org_unit, c.rank, c.rank_p5, c.rank_median, c.rank_p95) for c in public_run.cities]
    assert all(p5 <= median <= p95 for _code, _rank, p5, median, p95 in rows(html))
    meta = public_run.meta()
    assert meta["title_zh"] in html and f"评价方法 {meta['method_version']}" in html
    assert ('id="ev-state">评价方法为草案' in html) != meta["published"]
    assert ('id="ev-demo"' in html) == meta["demo"]
    for left in meta["left_out"]:
        assert f'data-indicator="{left["indicator"]}"' in html.split('id="ev-left-out"')[1].split("</p>")[0]
    first = public_run.cities[0]
    assert f'<a href="/evaluate/cities/{first.org_unit}?lang=zh">{first.name}</a>' in html
    assert html.count('class="flag u13"') == sum(c.designated for c in public_run.cities)
    data = page_json(html, "evaluation-data")
    assert data["n"] == len(public_run.cities) and len(data["rows"]) == data["n"]  # the map: every city
    assert data["rows"][0] == {"code": first.org_unit, "name": first.name, "score": round(first.score, 1),
                               "rank": first.rank, "median": first.rank_median, "p5": first.rank_p5,
                               "p95": first.rank_p95, "designated": first.designated}


def test_the_filters_keep_national_ranks(client: TestClient, public_run: Evaluation, demo: Yangfan) -> None:
    guangdong = rows(client.get("/evaluate", params={"province": "440000"}).text)
    assert [c for c, *_ in guangdong] == [c.org_unit for c in public_run.cities
                                         if demo.tree.units[c.org_unit].parent == "440000"]
    keys = rows(client.get("/evaluate", params={"designated": "true", "lang": "en"}).text)
    assert [(c, r) for c, r, *_ in keys] == [(c.org_unit, c.rank) for c in public_run.cities if c.designated]
    assert client.get("/evaluate", params={"province": "x"}).status_code == 422


def test_the_api_gives_the_ranking_and_the_audit(client: TestClient, public_run: Evaluation) -> None:
    r = client.get("/api/v1/evaluate")
    assert r.status_code == 200 and r.headers["cache-control"].startswith("public")
    body = r.json()
    assert body["meta"] == public_run.meta()
    first = body["cities"][0]
    assert {"org_unit", "name", "score", "rank", "rank_p5", "rank_median", "rank_p95", "pillars",
            "designated"} <= set(first)
    assert [(c["org_unit"], c["rank"], c["rank_p5"], c["rank_median"], c["rank_p95"]) for c in body["cities"]] == \
        [(c.org_unit, c.rank, c.rank_p5, c.rank_median, c.rank_p95) for c in public_run.cities]
    text = client.get("/api/v1/evaluate/audit").content.decode()
    audit = json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} is not JSON"))
    assert set(audit) == {"meta", "effective", "correlation", "sensitivity", "outliers", "runs", "seed"}
    codes = audit["correlation"]["codes"]
    assert codes == public_run.correlation_codes and len(audit["correlation"]["matrix"]) == len(codes)
    assert all(len(row) == len(codes) for row in audit["correlation"]["matrix"])
    assert [s["choice"] for s in audit["sensitivity"]] == [d for d, _ in public_run.sensitivity]
    assert (audit["runs"], audit["seed"]) == (public_run.runs, public_run.seed)


def test_the_ministry_reads_the_run_on_approved_figures(client: TestClient, page_users: dict[str, str],
                                                        demo: Yangfan) -> None:
    admin = logged_in(client, page_users["admin"]).get("/api/v1/evaluate")
    assert admin.headers["cache-control"].startswith("private")
    mine = evaluation(demo, False)  # the run on approved figures, as the page reads it
    assert [(c["org_unit"], c["rank"], c["rank_p95"]) for c in admin.json()["cities"]] == \
        [(c.org_unit, c.rank, c.rank_p95) for c in mine.cities]
    reporter = logged_in(client, page_users["reporter"]).get("/api/v1/evaluate")  # not the ministry: the public run
    assert reporter.headers["cache-control"].startswith("public")


def test_a_city_page_explains_its_rank(client: TestClient, public_run: Evaluation) -> None:
    city = next(c for c in public_run.cities if c.org_unit == "440300")
    html = client.get("/evaluate/cities/440300").text
    facts = re.search(r'id="city-rank" data-rank="(\d+)" data-p5="(\d+)" data-median="(\d+)" data-p95="(\d+)"', html)
    assert facts and tuple(map(int, facts.groups())) == (city.rank, city.rank_p5, city.rank_median, city.rank_p95)
    assert f"第 {city.rank} 名 / 共 {len(public_run.cities)} 个城市" in html and f"{city.score:.1f}" in html
    assert 'href="/regions/440300?lang=zh"' in html
    names = {i.code: i.name_zh for i in public_run.method.indicators}
    strengths = html.split('id="strengths">')[1].split("</li>")[0]
    assert [names[s] for s in city.strengths] == re.findall("|".join(map(re.escape, names.values())), strengths)
    indicators = re.findall(r'<tr data-indicator="(\w+)"', html.split('id="indicators"')[1])
    assert indicators == [i.code for i in public_run.method.indicators]
    assert html.count('class="flag strength"') == len(city.strengths)
    chart = page_json(html, "evaluation-data")
    assert [p["score"] for p in chart["pillars"]] == [round(s, 1) for s in city.pillars.values()]
    en = client.get("/evaluate/cities/440300", params={"lang": "en"}).text
    assert "Guangdong" in en and f"{city.rank} of {len(public_run.cities)}" in en and "Strengths:" in en


@pytest.mark.parametrize(("code", "lang", "message"), [
    ("999999", "zh", "没有代码为“999999”的参评城市"),
    ("440000", "zh", "广东省（440000）不是参评城市"),
    ("999999", "en", "no evaluated city has the code '999999'"),
])
def test_an_unknown_city_is_a_404_that_says_why(client: TestClient, code: str, lang: str, message: str) -> None:
    r = client.get(f"/evaluate/cities/{code}", params={"lang": lang})
    assert r.status_code == 404 and message in html_lib.unescape(r.text)


def test_the_audit_page_explains_the_method(client: TestClient, public_run: Evaluation) -> None:
    html = client.get("/evaluate/audit").text
    names = {i.code: i.name_zh for i in public_run.method.indicators}
    weights = re.findall(r'<tr data-indicator="(\w+)"><td>.*?</td><td>.*?</td>\s*<td class="num">([\d.]+)%</td>',
                         html.split('id="weights-table"')[1], re.S)
    assert weights == [(w["indicator"], f"{w['nominal'] * 100:.1f}") for w in public_run.effective]
    choices = re.findall(r'<tr data-choice="(\w+)">', html)
    assert choices == [d for d, _ in public_run.sensitivity]
    assert f"共模拟 {public_run.runs} 次，随机种子为 {public_run.seed}" in html
    flags = re.findall(r"<li>(.*?)</li>", html.split('id="flags">')[1].split("</ul>")[0])
    assert len(flags) == len(public_run.correlation_flags)
    for flag, raw in zip(flags, public_run.correlation_flags, strict=True):  # codes written as names
        named = re.search(r"指标 (\w+) ", raw["zh"])
        assert named and named[1] not in flag and f"“{names[named[1]]}”" in html_lib.unescape(flag)
    for code in public_run.outliers:
        assert f'<tr data-indicator="{code}">' in html.split('id="outliers-table"')[1]
    chart = page_json(html, "evaluation-data")
    assert chart["codes"] == public_run.correlation_codes
    en = client.get("/evaluate/audit", params={"lang": "en"}).text
    assert "Effective and nominal weights" in en and "Sensitivity" in en


def test_the_key_cities_as_a_group(client: TestClient, public_run: Evaluation) -> None:
    html = client.get("/evaluate/designated").text
    group = [c for c in public_run.cities if c.designated]
    assert rows(html) == [(c.org_unit, c.rank, c.rank_p5, c.rank_median, c.rank_p95) for c in group]
    assert f'id="group-size">{len(group)}<' in html
    quarter = -(-len(public_run.cities) // 4)
    assert f'id="top-quarter">{sum(c.rank <= quarter for c in group)}<' in html
    assert f'id="stable">{sum(c.rank_p95 <= quarter for c in group)}<' in html
    assert re.search(r'id="group-series">.*?<td>2024</td><td class="num">\d+</td>', html, re.S)
    assert "Key cities (U13)" in client.get("/evaluate/designated", params={"lang": "en"}).text


def test_the_city_layer_draws_every_evaluated_city(client: TestClient, public_run: Evaluation) -> None:
    r = client.get("/api/v1/evaluate/boundaries")
    assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
    codes = {f["properties"]["code"] for f in r.json()["features"]}
    assert {c.org_unit for c in public_run.cities} <= codes
    assert None in codes and "710000" in codes  # the dashed line and Taiwan, as on the nation's map
    assert len(r.content) < 1_500_000  # simplified for the nation: the provinces' files together are ~6 MB


def test_every_text_of_the_pages_exists_in_both_languages() -> None:
    used = {k for p in TEMPLATES.glob("evaluation*.html") for k in re.findall(r"\bt\.(\w+)", p.read_text("utf-8"))}
    assert used and used <= set(TEXTS), used - set(TEXTS)
    assert all(TEXTS[k]["zh"] and TEXTS[k]["en"] for k in used)


def test_the_nav_leads_to_the_evaluation(client: TestClient) -> None:
    assert '<a href="/evaluate?lang=en" id="evaluation-link"' in client.get("/indicators?lang=en").text
    assert "City evaluation" in client.get("/evaluate", params={"lang": "en"}).text
