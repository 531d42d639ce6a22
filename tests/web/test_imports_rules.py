"""The import API applies the validation rules: -5 base stations, a share of 925, a future month and an unexplained
10× jump are refused with each problem named, nothing stored; an explanation in the note lifts a soft hit."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.web.test_imports_multipart import csv, logged_in, y  # noqa: F401  (the fixture)
from yangfan.context import Yangfan
from yangfan.store.db import session_scope
from yangfan.store.models import DataValueRow

HEADER = "indicator,org_unit,period,value,note"


def _count(y: Yangfan) -> int:  # noqa: F811
    with session_scope(y.engine) as s:
        return int(s.scalar(select(func.count()).select_from(DataValueRow)) or 0)


def test_the_mistakes_a_new_reporter_made_are_refused_and_nothing_is_stored(y: Yangfan) -> None:  # noqa: F811
    c, h = logged_in(y, "gd")
    first = c.post("/api/v1/imports?file_name=may.csv", headers=h,
                   content=csv("bs_5g,440000,2026-05,10000,", header=HEADER))
    assert first.status_code == 200, first.text
    before = _count(y)
    r = c.post("/api/v1/imports?file_name=june.csv", headers=h, content=csv(
        "bs_5g,440100,2026-06,-5,", "traffic_5g_share,440000,2026-06,925,", "bs_5g,440000,2026-06,100000,",
        "bs_5g,440300,2031-01,5,", header=HEADER))
    assert r.status_code == 400, r.text
    issues = r.json()["error"]["issues"]
    codes = {e["code"] for e in issues}
    assert {"rule.non_negative", "rule.percent_range", "rule.month_change", "rule.no_future_period"} <= codes
    assert all(e["message_zh"] and e["message_en"] and e["row"] and e["field"] == "value" for e in issues)
    assert {e["level"] for e in issues if e["code"] == "rule.month_change"} == {"warning"}
    assert _count(y) == before
    explained = c.post("/api/v1/imports?file_name=june2.csv", headers=h, content=csv(
        "bs_5g,440000,2026-06,100000,全省集中开通5G-A站点（已核实）", header=HEADER))
    assert explained.status_code == 200, explained.text
    assert _count(y) == before + 1


def test_checking_a_file_of_another_province_quotes_none_of_its_figures(y: Yangfan) -> None:  # noqa: F811
    admin, ha = logged_in(y, "admin")
    assert admin.post("/api/v1/imports?file_name=bj.csv", headers=ha,
                      content=csv("bs_5g,110000,2026-05,10000,", header=HEADER)).status_code == 200
    c, h = logged_in(y, "gd")
    r = c.post("/api/v1/uploads/check", headers=h,
               files={"file": ("bj.csv", csv("bs_5g,110000,2026-06,90000,", header=HEADER), "text/csv")})
    assert r.status_code == 200, r.text
    problems = r.json()["problems"]
    assert [p["rule"] for p in problems] == ["permission.denied"]
    assert "1.0万" not in r.text and "较上月" not in r.text
