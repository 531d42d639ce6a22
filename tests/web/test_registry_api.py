"""The registry API (名录) on the session's demo platform: search and paging, a record with its history, entering
within one's scope (403 outside it, with the reason), the credit-code check, decisions and merges by the ministry,
imports that are checked whole (a dry run writes nothing, a refused file names each row and field), duplicates,
calls, and counts that follow the records."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.web.registry_builders import BAD_USCC, credit_code, entered, signed_in, unique
from yangfan.analytics.query import Query
from yangfan.context import Yangfan
from yangfan.geo.orgunits import NATION
from yangfan.geo.periods import Period
from yangfan.store.db import session_scope
from yangfan.store.models import RegistryRecordRow
from yangfan.web.registry_views import recounter

API = "/api/v1/registry"


@pytest.fixture(scope="module")
def ministry(app: FastAPI, registry_users: dict[str, str]) -> TestClient:
    c, csrf = signed_in(app, registry_users["admin"])
    c.headers["X-CSRF-Token"] = csrf
    return c


@pytest.fixture(scope="module")
def operator(app: FastAPI, registry_users: dict[str, str]) -> TestClient:
    c, csrf = signed_in(app, registry_users["operator"])
    c.headers["X-CSRF-Token"] = csrf
    return c


@pytest.fixture(scope="module")
def guangdong(app: FastAPI, registry_users: dict[str, str]) -> TestClient:
    c, csrf = signed_in(app, registry_users["reporter"])
    c.headers["X-CSRF-Token"] = csrf
    return c


def records_named(y: Yangfan, name: str) -> int:
    with session_scope(y.engine) as s:
        return int(s.scalar(select(func.count()).where(RegistryRecordRow.name == name)) or 0)


def test_search_pages_and_the_public_sees_recognised_records(client: TestClient, ministry: TestClient) -> None:
    r = client.get(f"{API}/records", params={"kind": "organisation", "limit": 5})
    assert r.status_code == 200 and len(r.json()) == 5 and int(r.headers["x-total-count"]) > 400
    assert 'rel="next"' in r.headers["link"] and r.headers["cache-control"].startswith("private")
    assert {x["status"] for x in r.json()} <= {"recognised", "withdrawn"}
    first = r.json()[0]
    assert first["kind_zh"] == "企业和机构" and first["place_zh"] and first["category_en"]
    assert client.get(f"{API}/records", params={"status": "applied"}).headers["x-total-count"] == "0"
    assert int(ministry.get(f"{API}/records", params={"status": "applied"}).headers["x-total-count"]) > 0
    behind = client.get(f"{API}/records", params={"indicator": "solution_suppliers", "period": "2025", "limit": 1})
    assert behind.headers["x-counted-on"] == "2025-12-31" and int(behind.headers["x-total-count"]) > 100


def test_a_record_with_its_history_and_the_same_answer_for_unknown_and_hidden(client: TestClient, demo: Yangfan,
                                                                              ministry: TestClient) -> None:
    shown, _ = entered(demo, "standard", "group", unique("测试团体标准"), "110000", ref=unique("T/TEST "))
    hidden, _ = entered(demo, "standard", "group", unique("测试团体标准"), "110000", status="applied",
                        ref=unique("T/TEST "))
    body = client.get(f"{API}/records/{shown}").json()
    assert body["status"] == "recognised" and [e["action"] for e in body["history"]] == ["create"]
    assert body["history"][0]["detail"]["after"]["ref"] == body["ref"]
    for path in (f"{API}/records/{hidden}", f"{API}/records/999999999"):
        r = client.get(path)
        assert r.status_code == 404 and r.json()["error"]["code"] == "registry.unknown"
        assert "无权查看" in r.json()["error"]["message_zh"]
    assert ministry.get(f"{API}/records/{hidden}").status_code == 200


def test_an_operator_enters_its_own_networks_only(operator: TestClient, demo: Yangfan) -> None:
    vpn = {"kind": "vpn", "category": "shared", "name": unique("API测试专网"), "org_unit": "440100",
           "operator": "cmcc", "sector": "power", "attrs": {"customer": "南方电网"}}
    r = operator.post(f"{API}/records", json=vpn)
    assert r.status_code == 201 and r.json()["status"] == "recognised" and r.json()["attrs"] == {"customer": "南方电网"}
    other = operator.post(f"{API}/records", json={**vpn, "name": unique("API测试专网"), "operator": "ctcc"})
    error = other.json()["error"]
    assert other.status_code == 403 and error["code"] == "permission.registry"
    assert error["message_zh"] == "无权登记该记录" and error["message_en"] == "not allowed to enter this record"
    firm = operator.post(f"{API}/records", json={"kind": "organisation", "category": "supplier", "org_unit": "440100",
                                                 "name": unique("运营商不登记的企业"), "uscc": credit_code()})
    assert firm.status_code == 403
    assert records_named(demo, vpn["name"]) == 1


def test_a_province_stays_inside_itself_and_credit_codes_are_checked(guangdong: TestClient, demo: Yangfan) -> None:
    firm = {"kind": "organisation", "category": "sme", "name": unique("专精特新测试有限公司"), "org_unit": "440300",
            "uscc": credit_code()}
    outside = guangdong.post(f"{API}/records", json={**firm, "org_unit": "310000"})
    assert outside.status_code == 403 and outside.json()["error"]["message_en"].startswith("not allowed")
    bad = guangdong.post(f"{API}/records", json={**firm, "uscc": BAD_USCC})
    issue = bad.json()["error"]["issues"][0]
    assert bad.status_code == 400 and issue["field"] == "uscc"
    assert "校验码错误：第18位应为 T，实为 X" in issue["message_zh"] and "should be T, not X" in issue["message_en"]
    created = guangdong.post(f"{API}/records", json=firm)
    assert created.status_code == 201 and created.json()["status"] == "applied"
    assert guangdong.post(f"{API}/records", json=firm).json()["error"]["code"] == "registry.duplicate"
    check = guangdong.get(f"{API}/check-uscc", params={"code": BAD_USCC}).json()
    assert check == {"code": BAD_USCC, "valid": False, "reason_zh": "校验码错误：第18位应为 T，实为 X",
                     "reason_en": "wrong check digit: the 18th character should be T, not X"}
    assert guangdong.get(f"{API}/check-uscc", params={"code": "9144 0300 7084 6113 6T"}).json()["valid"] is True


def test_changes_need_the_csrf_token(app: FastAPI, registry_users: dict[str, str]) -> None:
    c, _csrf = signed_in(app, registry_users["admin"])  # a session cookie without the header
    r = c.post(f"{API}/records", json={"kind": "case", "category": "leader", "name": "x", "org_unit": "440100"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "auth.csrf"


def test_decisions_are_the_ministrys(ministry: TestClient, guangdong: TestClient, demo: Yangfan) -> None:
    record, _ = entered(demo, "carrier", "testbed", unique("测试床测试"), "440100", status="applied")
    refused = guangdong.post(f"{API}/records/{record}/decision", json={"decision": "recognise"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission.registry"
    reason = ministry.post(f"{API}/records/{record}/decision", json={"decision": "reject"})
    assert reason.status_code == 400 and reason.json()["error"]["message_zh"] == "驳回须说明理由"
    r = ministry.post(f"{API}/records/{record}/decision", json={"decision": "recognise", "valid_from": "2025-05-01"})
    assert r.status_code == 200 and (r.json()["status"], r.json()["valid_from"]) == ("recognised", "2025-05-01")
    again = ministry.post(f"{API}/records/{record}/decision", json={"decision": "reject", "message": "x"})
    assert again.status_code == 400 and again.json()["error"]["code"] == "registry.not_applied"


def test_a_merge_keeps_both_histories_and_the_count_follows(ministry: TestClient, client: TestClient,
                                                             demo: Yangfan) -> None:
    """Two records entered, then merged into one and that one into a third: the count goes up by two, then back
    down to exactly what it was (a state counted before is written again, not taken for a repeat)."""
    year = demo.today().year - 1  # the last year that has ended: its count stands
    recounter(demo).wait()

    def count() -> float | None:
        demo.count_registry()
        demo.follow()
        q = Query(("solution_suppliers",), (NATION,), (Period(year, "year"),), published_only=True)
        return demo.query(q)[0].value

    then = {"valid_from": date(year, 6, 1)}
    base, _ = entered(demo, "organisation", "supplier", unique("合并计数基础有限公司"), "440100", uscc=credit_code(),
                      **then)
    before = count()
    keep, _ = entered(demo, "organisation", "supplier", unique("合并计数测试股份有限公司"), "440100",
                      uscc=credit_code(), **then)
    drop, _ = entered(demo, "organisation", "supplier", unique("合并计数测试有限公司"), "440100", uscc=credit_code(),
                      **then)
    assert before is not None and count() == before + 2
    refused = ministry.post(f"{API}/records/{keep}/merge", json={"drop": keep})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "registry.merge"
    r = ministry.post(f"{API}/records/{keep}/merge", json={"drop": drop, "message": "同一企业"})
    assert r.status_code == 200 and r.json()["merged"] == drop
    history = ministry.get(f"{API}/records/{keep}").json()
    assert sorted(e["action"] for e in history["history"]) == ["create", "create", "merge", "merged"]
    assert history["merged_from"] == [drop] and ministry.get(f"{API}/records/{drop}").json()["merged_into"] == keep
    assert client.get(f"{API}/records/{drop}").status_code == 404  # merged away: no longer a public record
    assert count() == before + 1
    listed = client.get(f"{API}/records", params={"indicator": "solution_suppliers", "period": str(year)})
    assert int(listed.headers["x-total-count"]) == before + 1 == float(listed.headers["x-count-value"])
    assert ministry.post(f"{API}/records/{base}/merge", json={"drop": keep}).status_code == 200
    assert count() == before


IMPORT = ("kind,category,name,org_unit,uscc,sector,valid_from\n"
          "organisation,supplier,{a},440100,{ua},industrial_internet,2026-01-15\n"
          "case,typical_case,{b},440300,,health,\n")


def test_an_import_is_checked_first_and_written_whole(ministry: TestClient, demo: Yangfan) -> None:
    a, b = unique("导入测试科技有限公司"), unique("导入测试案例")
    body = IMPORT.format(a=a, b=b, ua=credit_code()).encode()
    dry = ministry.post(f"{API}/imports", files={"file": ("名录.csv", body)})  # a dry run unless told otherwise
    assert dry.status_code == 200
    assert dry.json() == {"file": "名录.csv", "rows": 2, "created": 2, "updated": 0, "unchanged": 0,
                          "repeated": False, "dry_run": True}
    assert records_named(demo, a) == records_named(demo, b) == 0  # nothing written
    done = ministry.post(f"{API}/imports", params={"dry_run": "false"}, files={"file": ("名录.csv", body)})
    assert done.status_code == 200 and done.json()["created"] == 2 and done.json()["dry_run"] is False
    assert records_named(demo, a) == records_named(demo, b) == 1
    again = ministry.post(f"{API}/imports", params={"dry_run": "false"}, files={"file": ("名录.csv", body)})
    assert again.json()["repeated"] is True


def test_a_refused_import_names_each_row_and_field(guangdong: TestClient, demo: Yangfan) -> None:
    name = unique("拒绝导入测试有限公司")
    body = (IMPORT.format(a=name, b=unique("拒绝导入测试案例"), ua=BAD_USCC)
            + f"case,typical_case,{unique('外省案例')},110000,,,\ncase,nope,x,440100,,,2026-13-01\n").encode()
    r = guangdong.post(f"{API}/imports", params={"dry_run": "false"}, files={"file": ("bad.csv", body)})
    assert r.status_code == 403  # one row is outside Guangdong: a refusal of scope
    issues = {(i["row"], i["field"]): i for i in r.json()["error"]["issues"]}
    assert set(issues) == {(2, "uscc"), (4, "org_unit"), (5, "category"), (5, "valid_from")}
    assert "校验码错误" in issues[(2, "uscc")]["message_zh"] and issues[(5, "valid_from")]["message_en"]
    assert records_named(demo, name) == 0
    csv_ = guangdong.post(f"{API}/imports", files={"file": ("x.csv", "名称\nfoo\n".encode())})
    assert csv_.status_code == 400 and re.search("缺少列", csv_.json()["error"]["message_zh"])
    raw = guangdong.post(f"{API}/imports", content=b"kind\n", headers={"content-type": "text/csv"})
    assert raw.status_code == 400 and raw.json()["error"]["code"] == "upload.part"


def test_duplicates_and_calls(ministry: TestClient, guangdong: TestClient, client: TestClient) -> None:
    r = ministry.get(f"{API}/duplicates", params={"kind": "organisation", "limit": 3})
    assert r.status_code == 200 and len(r.json()) == 3 and int(r.headers["x-total-count"]) >= 8
    assert {"a", "b", "reason_zh", "reason_en", "score"} <= set(r.json()[0])
    assert guangdong.get(f"{API}/duplicates").status_code == 403
    calls = client.get(f"{API}/calls", params={"open": "true"}).json()
    assert any(c["kind"] == "organisation" and c["state"] == "open" for c in calls)
    kinds = client.get(f"{API}/kinds").json()
    assert kinds["kinds"]["vpn"]["operator"] is True
    assert "solution_suppliers" in {c["indicator"] for c in kinds["counts"]}
