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
