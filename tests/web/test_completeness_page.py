"""报送情况: the completeness page's numbers are ``collect.completeness.by`` over the same returns; ranks say
among how many reported; scope; the cockpit's panel for the ministry."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.web.test_returns_review import TODAY, log_in, reporting_platform, rows_of
from yangfan.collect import completeness
from yangfan.collect.completeness import Tally
from yangfan.collect.reporting import Obligation, obligations
from yangfan.context import Yangfan
from yangfan.geo.orgunits import NATION
from yangfan.store.db import session_scope
from yangfan.web.app import create_app

FIELDS = ("expected", "received", "on_time", "late", "missing", "open")


@pytest.fixture(scope="module")
def reporting(tmp_path_factory: pytest.TempPathFactory) -> tuple[Yangfan, dict[str, int]]:
    """The returns of ``test_returns_review``, on a platform of this module's own."""
    return reporting_platform(Path(tmp_path_factory.mktemp("completeness")))


def found(y: Yangfan, province: str | None = None) -> list[Obligation]:
    """Every return open by today, or those of one province."""
    with session_scope(y.engine) as s:
        return obligations(s, y.forms, y.tree, y.today(),
                           None if province is None else lambda r: r.org_unit == province)


def shown(html: str, table: str, key: str) -> dict[str, dict[str, str]]:
    """The numbers of a table's rows, by the row's ``key`` attribute(s) (``form|period``)."""
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    out = {}
    for attrs, cells in re.findall(r"<tr ([^>]*data-[^>]*)>(.*?)</tr>", body, re.S):
        a = dict(re.findall(r'data-([a-z]+)="([^"]*)"', attrs))
        out["|".join(a[k] for k in key.split("|"))] = dict(re.findall(r'data-field="([a-z_]+)">([^<]*)<', cells))
    return out


def expected_cells(t: Tally) -> dict[str, str]:
    """A tally as the page writes it."""
    rate = {k: "—" if v is None else f"{v:.1f}%" for k, v in
            (("reporting_rate", t.reporting_rate), ("timeliness_rate", t.timeliness_rate))}
    return {f: str(getattr(t, f)) for f in FIELDS} | rate


def test_the_numbers_are_those_of_completeness_by(reporting: tuple[Yangfan, dict[str, int]]) -> None:
    y, _ids = reporting
    client = log_in(y, "chief")
    page = client.get("/reporting/completeness?form=OPM&period=2026-03")
    assert page.status_code == 200
    everything = found(y)
    by_group = completeness.by(everything, "form", "period")
    assert shown(page.text, "group-table", "form|period") == {
        f"{f}|{p}": expected_cells(t) for (f, p), t in by_group.items()}
    march = [o for o in everything if o.form.code == "OPM" and str(o.period) == "2026-03"]
    by_unit = completeness.by(march, "org_unit")
    assert shown(page.text, "province-table", "code") == {u: expected_cells(t) for (u,), t in by_unit.items()}
    assert len(by_unit) == 31
    guangdong = by_unit[("440000",)]
    assert (guangdong.expected, guangdong.on_time, guangdong.late, guangdong.missing) == (4, 2, 1, 1)


def test_ranks_say_among_how_many_reported(reporting: tuple[Yangfan, dict[str, int]]) -> None:
    y, _ids = reporting
    text = log_in(y, "chief").get("/reporting/completeness?form=OPM&period=2026-03").text
    ranks = {r["code"]: r for r in rows_of(text, "province-table")}
    assert set(ranks) >= {"440000", "110000", "310000"}

    def rank(code: str) -> str:
        row = text.split(f'data-code="{code}"', 1)[1].split("</tr>", 1)[0]
        match = re.search(r'class="nowrap rank">([^<]*)<', row)
        assert match
        return match[1]

    # Guangdong 3 of 4 received, Beijing 2, Shanghai 1; 28 provinces received none and are not ranked.
    assert (rank("440000"), rank("110000"), rank("310000")) == ("第 1 / 已报 3 个省", "第 2 / 已报 3 个省",
                                                                "第 3 / 已报 3 个省")
    assert rank("650000") == "未报"
    assert "1/1" not in text
    en = log_in(y, "chief").get("/reporting/completeness?form=OPM&period=2026-03&lang=en").text
    assert "1 of 3 that reported" in en


def test_each_operators_return_is_named(reporting: tuple[Yangfan, dict[str, int]]) -> None:
    y, _ids = reporting
    text = log_in(y, "chief").get("/reporting/completeness?form=OPM&period=2026-03").text
    row = text.split('data-code="440000"', 1)[1].split("</tr>", 1)[0]
    cells = dict(re.findall(r'data-reporter="([a-z]+)"[^>]*>\s*<span class="timeliness ([a-z_]+)">', row))
    assert cells == {"cmcc": "on_time", "ctcc": "late", "cucc": "on_time", "cbn": "missing"}
    head = text.split('id="province-table"', 1)[1].split("</thead>", 1)[0]
    assert "中国移动" in head and "中国广电" in head


def test_the_map_data_is_the_reporting_rate_per_province(reporting: tuple[Yangfan, dict[str, int]]) -> None:
    import json

    y, _ids = reporting
    text = log_in(y, "chief").get("/reporting/completeness?form=OPM&period=2026-03").text
    data = json.loads(re.search(r'<script type="application/json" id="completeness-data">(.*?)</script>', text,
                                re.S)[1])  # type: ignore[index]
    rates = {r["code"]: r["value"] for r in data["rows"]}
    assert len(rates) == 31 and rates["440000"] == 75.0 and rates["110000"] == 50.0 and rates["650000"] == 0.0
    assert NATION not in rates


def test_provincial_users_see_their_own_province_only(reporting: tuple[Yangfan, dict[str, int]]) -> None:
    y, _ids = reporting
    for user in ("gd-reporter", "gd-reviewer"):
        page = log_in(y, user).get("/reporting/completeness?form=OPM&period=2026-03")
        assert page.status_code == 200
        assert set(shown(page.text, "province-table", "code")) == {"440000"}
        assert "已报 3 个省" not in page.text and "北京市" not in page.text  # no rank among others, no others
        ours = found(y, "440000")
        assert shown(page.text, "group-table", "form|period") == {
            f"{f}|{p}": expected_cells(t) for (f, p), t in completeness.by(ours, "form", "period").items()}


def test_others_are_refused(reporting: tuple[Yangfan, dict[str, int]]) -> None:
    y, _ids = reporting
    public = TestClient(create_app(y)).get("/reporting/completeness")
    assert public.status_code == 401 and 'href="/login' in public.text
    operator = log_in(y, "cmcc-gd").get("/reporting/completeness")
    assert operator.status_code == 403 and "报送情况仅部级人员" in operator.text


def test_the_cockpit_panel_is_the_ministrys(reporting: tuple[Yangfan, dict[str, int]]) -> None:
    y, _ids = reporting
    assert y.today() == TODAY
    march = [o for o in found(y) if str(o.period.end_month) == "2026-03" and o.due and o.ret.org_unit != NATION]
    t = completeness.tally(march)
    assert (t.expected, t.received, t.on_time) == (124, 6, 5)
    text = log_in(y, "chief").get("/").text
    panel = text.split('id="reporting-panel"', 1)[1].split("</aside>", 1)[0]
    assert "2026-03" in panel and 'href="/reporting/completeness' in panel
    assert f'id="panel-reporting-rate">{t.reporting_rate:.1f}%<' in panel  # 6 ÷ 124
    assert f'id="panel-timeliness-rate">{t.timeliness_rate:.1f}%<' in panel
    for client in (log_in(y, "gd-reviewer"), TestClient(create_app(y))):
        assert 'id="reporting-panel"' not in client.get("/").text


def test_forms_of_national_or_not_yet_due_returns(reporting: tuple[Yangfan, dict[str, int]]) -> None:
    y, _ids = reporting
    client = log_in(y, "chief")
    departments = client.get("/reporting/completeness?form=DPY&period=2025").text
    assert set(shown(departments, "province-table", "code")) == {NATION}  # CAICT's national return: no map
    assert 'id="completeness-map"' not in departments and "中国信息通信研究院" in departments
    quarter = client.get("/reporting/completeness?form=PRQ&period=2026Q1").text
    data = re.search(r'id="completeness-data">(.*?)</script>', quarter, re.S)
    assert data and '"value": null' in data[1] and '"value": 0' not in data[1]  # nothing due yet: grey
    assert "未到期" in quarter and "已报 0 个省" not in quarter
