"""Fuzzing every API route with schemathesis, as the public and as every role: no answer ≥ 500, and every
answer conforms to what the OpenAPI document declares (status code, content type, body schema).

Each generated request (schema examples, the coverage phase's boundary values, then positive and negative
fuzzing) is sent once per role, so every role gets the same requests. The app runs on a copy of the demo
store made for this module: fuzzed imports and reviews change nothing that other tests read. Generation is
derandomized with a fixed seed, so a run repeats the last one. The number of requests per role and their
statuses go to test-artifacts/fuzz-api.json.

Not stateful: the API declares no OpenAPI links and its lists have no response schemas, so schemathesis
infers no operation whose output feeds another. The chain worth following (POST /imports → GET /submissions
→ POST /reviews) needs a response model on GET /submissions and links from it to the review's ids.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from yangfan.access import accounts
from yangfan.access.roles import Role
from yangfan.context import Yangfan
from yangfan.settings import Settings
from yangfan.store.db import session_scope
from yangfan.web.app import create_app

#: Every role, scoped where it is scoped; the public sends no credentials.
ROLES: dict[str, tuple[Role, str | None] | None] = {
    "public": None,
    "administrator": (Role.administrator, None),
    "ministry_analyst": (Role.ministry_analyst, None),
    "provincial_reporter": (Role.provincial_reporter, "440000"),
    "provincial_reviewer": (Role.provincial_reviewer, "440000"),
    "operator_reporter": (Role.operator_reporter, "cmcc"),
}
PASSWORD = "fuzzing test password"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
#: Fuzzed examples per operation and mode, on top of the examples and coverage phases: about 1,000 requests
#: per role and under two minutes for the module (most of it the first /progress of each plan, and argon2).
MAX_EXAMPLES = 20
SEED = 20260101
CONFIG = schemathesis.Config.from_dict({
    "seed": SEED,
    "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none", "mode": "all"},
})
# The OpenAPI document does not depend on the data, so it is read at collection time from an app over an
# untouched platform, as schemathesis' pytest plugin needs (its fixture-based loader fails on pytest 9).
SPEC = create_app(Yangfan(Settings())).openapi()
schema = schemathesis.openapi.from_dict(SPEC, config=CONFIG)


def copy_of(demo: Yangfan, data_dir: Path) -> Yangfan:
    """A platform over a copy of the demo's store (SQLite's backup API: a consistent copy) and analytics file."""
    source = demo.settings.data_dir
    shutil.copytree(source, data_dir, ignore=shutil.ignore_patterns("yangfan.sqlite*", "*.lock"))
    src, dst = sqlite3.connect(source / "yangfan.sqlite"), sqlite3.connect(data_dir / "yangfan.sqlite")
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    return Yangfan(Settings(data_dir=data_dir, login_attempts_per_minute=10_000))


@pytest.fixture(scope="module")
def fuzzed(demo: Yangfan, tmp_path_factory: pytest.TempPathFactory) -> tuple[FastAPI, dict[str, str]]:
    """The app over the copy, and an API token per role (tokens need no CSRF token, and no lockout applies)."""
    y = copy_of(demo, tmp_path_factory.mktemp("fuzz") / "data")
    tokens = {}
    with session_scope(y.engine) as s:
        for name, grant in ROLES.items():
            if grant is not None:
                accounts.create_user(s, "test", f"fuzz-{name}", PASSWORD)
                accounts.grant(s, "test", f"fuzz-{name}", grant[0], grant[1], y.tree)
                tokens[name] = accounts.create_token(s, "test", f"fuzz-{name}", "fuzzing")
    return create_app(y), tokens


@pytest.fixture(scope="module")
def tally(artifacts_dir: Path) -> Iterator[dict[str, Counter[int]]]:
    """Responses per role and status; written out when the module ends, for the record."""
    counts: dict[str, Counter[int]] = defaultdict(Counter)
    yield counts
    summary: dict[str, Any] = {
        role: {"requests": sum(c.values()), "server_errors": sum(n for status, n in c.items() if status >= 500),
               "statuses": {str(status): n for status, n in sorted(c.items())}}
        for role, c in counts.items()}
    summary["all"] = {"requests": sum(v["requests"] for v in summary.values()),
                      "server_errors": sum(v["server_errors"] for v in summary.values()),
                      "max_examples": MAX_EXAMPLES, "seed": SEED}
    (artifacts_dir / "fuzz-api.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")


def test_the_fuzzed_document_is_the_apps(fuzzed: tuple[FastAPI, dict[str, str]]) -> None:
    assert fuzzed[0].openapi() == SPEC
    assert {"/api/v1/imports", "/api/v1/reviews", "/api/v1/auth/login"} <= set(SPEC["paths"])


@schema.parametrize()
def test_no_route_fails_or_breaks_its_schema(case: Any, fuzzed: tuple[FastAPI, dict[str, str]],
                                              tally: dict[str, Counter[int]]) -> None:
    app, tokens = fuzzed
    for role in ROLES:
        headers = {"Authorization": f"Bearer {tokens[role]}"} if role in tokens else None
        response = case.call(headers=headers, app=app)
        tally[role][response.status_code] += 1
        case.validate_response(response, checks=CHECKS, headers=headers)
