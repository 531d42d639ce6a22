"""What each role's lists, defaults and summaries show is computed from what it may read: an approved month
that is not yet published shows up for the ministry only — not in the periods, the map's default period, the
cockpit's data-as-of, a region's rankings, the indicator's table or the figures of anyone else."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tests.builders import platform
from yangfan.access import accounts
from yangfan.access.roles import Role
from yangfan.collect.importer import import_content
from yangfan.context import Yangfan
from yangfan.store.db import session_scope
from yangfan.web.app import create_app

PASSWORD = "a long enough password"
ROLES = {"public": None, "admin": (Role.administrator, None), "analyst": (Role.ministry_analyst, None),
         "gd-reporter": (Role.provincial_reporter, "440000"), "gd-reviewer": (Role.provincial_reviewer, "440000"),
         "bj-reporter": (Role.provincial_reporter, "110000"), "cm-reporter": (Role.operator_reporter, "cmcc")}
MINISTRY = {"admin", "analyst"}
HEADER = "indicator,org_unit,period,value,unit\n"


@pytest.fixture(scope="module")
def y(tmp_path_factory: pytest.TempPathFactory) -> Yangfan:
    p = platform(tmp_path_factory.mktemp("visibility"))
    published = "".join(f"bs_5g,{u},2025-0{m},{10 + m},万个\n" for u in ("100000", "440000", "110000") for m in (4, 5))
    import_content(p.engine, (HEADER + published + "population,100000,2024,140828,万人\n"
                              "population,440000,2024,12780,万人\npopulation,110000,2024,2183,万人\n").encode(),
                   "published.csv", p.catalog, p.tree, status="published")
    # June: approved by the ministry, not yet published.
    import_content(p.engine, (HEADER + "bs_5g,100000,2025-06,20,万个\nbs_5g,440000,2025-06,19,万个\n"
                              "bs_5g,110000,2025-06,18,万个\n").encode(), "june.csv", p.catalog, p.tree,
                   status="approved")
    with session_scope(p.engine) as s:
        for name, grant in ROLES.items():
            if grant is not None:
                accounts.create_user(s, "test", name, PASSWORD)
                accounts.grant(s, "test", name, grant[0], grant[1], p.tree)
    p.rebuild()
    return p


def _client(y: Yangfan, name: str) -> TestClient:
    c = TestClient(create_app(y))
    if ROLES[name] is not None:
        assert c.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD}).status_code == 200
    return c


def _data(html: str, block: str) -> dict:  # type: ignore[type-arg]
    return json.loads(html.split(f'id="{block}">')[1].split("</script>")[0])  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", list(ROLES))
def test_lists_and_defaults_hold_only_what_the_role_may_read(y: Yangfan, name: str) -> None:
    c = _client(y, name)
    sees_june = name in MINISTRY
    periods = [p["code"] for p in c.get("/api/v1/periods", params={"limit": 1000}).json()]
    assert ("2025-06" in periods) is sees_june and "2025-05" in periods
    assert _data(c.get("/map", params={"indicator": "bs_5g"}).text, "map-data")["period"] == (
        "2025-06" if sees_june else "2025-05")
    region = c.get("/regions/440000").text
    assert ("2025-06" in region) is sees_june and ("2025-05" in region) is not sees_june  # the latest it may read
    table = c.get("/indicators/bs_5g").text
    assert (">2025-06<" in table) is sees_june
    figure = c.get("/api/v1/data-values", params={"indicator": "bs_5g", "org_unit": "440000",
                                                  "period": "2025-06"}).json()[0]
    assert (figure["value"] is not None) is sees_june
    # The cockpit shows published figures to everyone: its data-as-of is the last published month.
    assert "2025-05" in c.get("/").text.split("数据截至")[1][:80]
    progress = c.get("/api/v1/progress", params={"plan": "sailing-2024", "org_unit": "440000"}).json()
    assert ("2025-06" in {r["period"] for r in progress}) is sees_june
