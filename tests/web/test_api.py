"""The read API under /api/v1: resources, paging, caching, errors, OpenAPI."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from yangfan.web.app import API_PREFIX, API_ROUTERS


def api_routes() -> set[str]:
    """Every API path, from the routers themselves (so that a new endpoint cannot be forgotten)."""
    return {API_PREFIX + r.path for router in API_ROUTERS for r in router.routes if isinstance(r, APIRoute)}


def test_openapi_describes_every_api_route(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    routes = api_routes()
    assert routes and routes <= set(spec["paths"])
    assert {"/api/v1/indicators", "/api/v1/targets", "/api/v1/org-units", "/api/v1/periods",
            "/api/v1/data-values", "/api/v1/progress"} <= routes


def test_openapi_describes_the_errors_and_the_import_body(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in spec["components"]["schemas"]  # FastAPI's English-only 422 is gone
    for path in api_routes():
        for operation in spec["paths"][path].values():
            responses = operation["responses"]
            refs = {code: responses[code]["content"]["application/json"]["schema"]["$ref"]
                    for code in responses if code in ("422", "4XX", "5XX")}
            assert refs == dict.fromkeys(("422", "4XX", "5XX"), "#/components/schemas/ErrorOut"), path
    body = spec["paths"]["/api/v1/imports"]["post"]["requestBody"]["content"]["text/csv"]
    assert body["example"].startswith("indicator,org_unit,period,value")


def test_indicators_and_one_indicator(client: TestClient) -> None:
    rows = client.get("/api/v1/indicators", params={"kind": "derived"}).json()
    assert {r["code"] for r in rows} >= {"bs_5g_per_10k", "users_5g_share", "iot_share_of_connections"}
    one = client.get("/api/v1/indicators/bs_5g_per_10k").json()
    assert (one["numerator"], one["denominator"], one["scale"]) == (["bs_5g"], ["population"], 10000)


def test_targets_filtered_by_plan(client: TestClient) -> None:
    rows = client.get("/api/v1/targets", params={"plan": "sailing-2021"}).json()
    assert [r["code"] for r in rows] == [f"S0{i}" for i in range(1, 9)]
    assert client.get("/api/v1/targets/U07").json()["clause_quote"] == "每万人拥有5G基站数达38个"


def test_org_units_paging_and_filters(client: TestClient) -> None:
    r = client.get("/api/v1/org-units", params={"level": 1, "limit": 10})
    assert r.status_code == 200 and r.headers["x-total-count"] == "31" and len(r.json()) == 10
    assert 'rel="next"' in r.headers["link"] and "offset=10" in r.headers["link"]
    last = client.get("/api/v1/org-units", params={"level": 1, "limit": 10, "offset": 30})
    assert len(last.json()) == 1 and "link" not in last.headers
    shenzhen = client.get("/api/v1/org-units", params={"q": "深圳"}).json()
    assert [u["code"] for u in shenzhen] == ["440300"]
    east = client.get("/api/v1/org-units/east").json()
    assert len(east["members"]) == 10 and east["kind"] == "region"
    assert "440300" in client.get("/api/v1/org-units/440000").json()["children"]


def test_periods_with_values(client: TestClient) -> None:
    rows = client.get("/api/v1/periods", params={"type": "month", "limit": 1000}).json()
    codes = [r["code"] for r in rows]
    # The latest month is the last that ended: the registry counts, counted at every month's end, reach it.
    from yangfan.registry.counts import period_of

    last = period_of(client.app.state.yangfan.today(), "month").shift(-1)  # type: ignore[attr-defined]
    assert codes[0] == "2019-12" and codes[-1] == str(last) and codes == sorted(codes)


def test_etag_gives_304(client: TestClient) -> None:
    first = client.get("/api/v1/progress")
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("public")
    again = client.get("/api/v1/progress", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""


@pytest.mark.parametrize("path,status,code", [
    ("/api/v1/indicators/no_such", 404, "indicator.unknown"),
    ("/api/v1/targets/U99", 404, "target.unknown"),
    ("/api/v1/org-units/999999", 404, "org_unit.unknown"),
    ("/api/v1/targets?plan=nope", 404, "plan.unknown"),
    ("/api/v1/data-values?indicator=bs_5g&org_unit=100000&period=2025Q5", 400, "period.invalid"),
])
def test_errors_are_json_with_a_code_in_both_languages(client: TestClient, path: str, status: int,
                                                       code: str) -> None:
    r = client.get(path)
    assert r.status_code == status
    err = r.json()["error"]
    assert err["code"] == code and err["message_zh"] and err["message_en"]


def test_data_values_many_units_are_paged(client: TestClient) -> None:
    params = {"indicator": "bs_5g", "org_unit": ["east", "central", "west", "northeast"],
              "period": ["2023-09", "2024-09"], "limit": 5}
    r = client.get("/api/v1/data-values", params=params)
    assert r.headers["x-total-count"] == "8" and len(r.json()) == 5
    east = r.json()[0]
    assert (east["org_unit"], east["period"], east["value"]) == ("east", "2023-09", 1_483_000)
