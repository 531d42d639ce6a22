"""The workflow of returns: random sequences of submit, approve, return, accept, publish, unlock and withdraw keep
its invariants; completeness counts what the calendar expects; the CLI's contracts."""

from __future__ import annotations

import itertools
import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from typer.testing import CliRunner

from tests.builders import platform
from yangfan.cli import app
from yangfan.collect import completeness, reporting
from yangfan.context import Yangfan
from yangfan.errors import YangfanError
from yangfan.settings import Settings
from yangfan.store import submissions
from yangfan.store.db import session_scope
from yangfan.store.models import DataValueRow, SubmissionEventRow
from yangfan.store.submissions import CellInput

TODAY = date(2026, 12, 3)
PROVINCES = ["110000", "120000", "130000", "140000", "150000", "210000", "220000", "230000", "310000", "320000"]
_keys = itertools.product(PROVINCES, ("cmcc", "ctcc", "cucc", "cbn"), [f"2026-{m:02d}" for m in range(1, 11)])


@pytest.fixture(scope="module")
def y(tmp_path_factory: pytest.TempPathFactory) -> Yangfan:
    p = platform(tmp_path_factory.mktemp("returns"))
    p.settings.today = TODAY
    return p


def _cells(scale: float = 1.0) -> dict[tuple[str, str], CellInput]:
    base = {"bs_mobile_total": 300000, "bs_4g": 150000, "bs_5g": 120000, "bs_5g_redcap": 20000, "bs_5ga": 5000,
            "users_mobile_phone": 9e7, "users_5g_mobile_phone": 6e7, "users_5g_a": 1e6,
            "iot_5g_connections": 2e6, "new_calling_users": 5e6, "mobile_internet_traffic": 3e9, "traffic_5g": 2e9}
    return {(k, ""): CellInput(round(v * scale)) for k, v in base.items()}


def _with_op(cells: dict[tuple[str, str], CellInput], op: str) -> dict[tuple[str, str], CellInput]:
    return {(k, f"operator={op}"): c for (k, _), c in cells.items()}


def _released(y: Yangfan, source_title: str) -> dict[tuple[str, str], float]:
    with session_scope(y.engine) as s:
        rows = s.execute(select(DataValueRow.indicator_code, DataValueRow.period_code, DataValueRow.value,
                                DataValueRow.status)
                         .join(DataValueRow.__table__.metadata.tables["source"],
                               DataValueRow.source_id == DataValueRow.__table__.metadata.tables["source"].c.id)
                         .where(DataValueRow.is_current.is_(True),
                                DataValueRow.__table__.metadata.tables["source"].c.title == source_title,
                                DataValueRow.status.in_(("approved", "accepted", "published")))).all()
    return {(i, p): v for i, p, v, _s in rows}


STEPS = st.lists(st.sampled_from(["submit", "resubmit", "approve", "return", "accept", "publish", "unlock",
                                  "withdraw"]), min_size=1, max_size=10)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_random_workflows_keep_the_invariants(y: Yangfan, steps: list[str]) -> None:
    org_unit, op, period = next(_keys)
    form = y.forms["OPM"]
    key = reporting.key_for(form, org_unit, op, period, y.tree)
    title = submissions.source_title(key)
    history: list[tuple[str, str, str]] = []
    unlocked_since_release = False
    for n, step in enumerate(steps):
        released_before = _released(y, title)
        try:
            with session_scope(y.engine) as s:
                row = submissions.find(s, key)
                if step in ("submit", "resubmit"):
                    scale = 1.0 + 0.01 * n if step == "resubmit" else 1.0
                    reporting.submit_return(s, y.catalog, y.tree, form, key, _with_op(_cells(scale), op), "rep",
                                            TODAY)
                elif row is None:
                    continue
                else:
                    cells = [("bs_5g", f"operator={op}")] if step in ("return", "unlock") else []
                    actor = "rep" if step == "withdraw" else "rev"
                    submissions.act(s, actor, row.id, step, lambda _r: True,  # type: ignore[arg-type]
                                    f"请核实 {n}" if step in ("return", "unlock") else "", cells)
        except YangfanError:
            pass  # a step its state does not allow: refused, nothing changed (checked below)
        with session_scope(y.engine) as s:
            row = submissions.find(s, key)
            events = [(e.action, e.state_before, e.state_after) for e in
                      s.scalars(select(SubmissionEventRow).where(SubmissionEventRow.submission_id == row.id)
                                .order_by(SubmissionEventRow.id))] if row else []
            state, message = (row.state, row.message) if row else ("not_started", "")
        # History is append-only: what was there stays, in order.
        assert events[:len(history)] == history
        history = events
        if events and events[-1][0] == "unlock":
            unlocked_since_release = True
        if events and events[-1][0] == "approve":
            unlocked_since_release = False
        released_after = _released(y, title)
        # No released value changes without an unlock (withdrawn or returned submissions never touch them).
        if released_before and not unlocked_since_release:
            changed = {k for k in released_before if released_after.get(k) != released_before[k]}
            assert not changed or (events and events[-1][0] == "approve"), (step, changed)
        # A return always carries its message to the reporter.
        if state == "returned":
            assert message.startswith("请核实")


def _submitted(y: Yangfan) -> int:
    """A fresh return, submitted by 'rep'; its id."""
    org_unit, op, period = next(_keys)
    form = y.forms["OPM"]
    key = reporting.key_for(form, org_unit, op, period, y.tree)
    with session_scope(y.engine) as s:
        row, _w, _v = reporting.submit_return(s, y.catalog, y.tree, form, key, _with_op(_cells(), op), "rep", TODAY)
        return row.id


@pytest.mark.parametrize(("actor", "step", "message", "code"), [
    ("rev", "return", "  ", "return.message"),       # a return without a message tells the reporter nothing
    ("rep", "approve", "", "review.four_eyes"),      # nobody approves their own figures
    ("rev", "publish", "", "return.state"),          # publication comes after acceptance
])
def test_steps_that_are_refused_change_nothing(y: Yangfan, actor: str, step: str, message: str, code: str) -> None:
    sid = _submitted(y)
    with pytest.raises(YangfanError) as err, session_scope(y.engine) as s:
        submissions.act(s, actor, sid, step, lambda _r: True, message)  # type: ignore[arg-type]
    assert err.value.issues[0].code == code
    with session_scope(y.engine) as s:
        assert s.get(submissions.SubmissionRow, sid).state == "submitted"  # type: ignore[union-attr]


def test_completeness_counts_due_received_on_time_late_and_missing(tmp_path: Path) -> None:
    y = Yangfan(Settings(data_dir=tmp_path, today=date(2026, 2, 20)))
    y.init()
    prq_free = {k: v for k, v in y.forms.items() if k == "OPM"}
    form = prq_free["OPM"]
    late = reporting.key_for(form, "440000", "cmcc", "2026-01", y.tree)
    with session_scope(y.engine) as s:
        reporting.submit_return(s, y.catalog, y.tree, form, late, _with_op(_cells(), "cmcc"), "rep",
                                date(2026, 2, 20))
        found = reporting.obligations(s, prq_free, y.tree, y.today())
    t = completeness.by(found, "form", "period")[("OPM", "2026-01")]
    assert (t.expected, t.received, t.late, t.on_time, t.missing) == (124, 1, 1, 0, 123)
    assert t.reporting_rate == pytest.approx(100 / 124)
    values = completeness.values(found)
    gd = {(v.indicator, v.period): v.value for v in values if v.org_unit == "440000"}
    assert gd[("reports_expected", "2026-01")] == 4 and gd[("reports_received", "2026-01")] == 1
    assert gd[("reports_on_time", "2026-01")] == 0


def test_form_list_json_and_validate_json_keep_their_contract(y: Yangfan, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YANGFAN_DATA_DIR", str(y.settings.data_dir))
    monkeypatch.setenv("YANGFAN_TODAY", TODAY.isoformat())
    from yangfan.settings import get_settings

    get_settings.cache_clear()
    runner = CliRunner()
    forms = json.loads(runner.invoke(app, ["form", "list", "--format", "json"]).stdout)
    opm = next(f for f in forms if f["code"] == "OPM")
    assert opm["period_type"] == "month" and "traffic_5g" in opm["indicators"] and opm["units"] == ["province"]
    bad = tmp_path / "bad.csv"
    bad.write_text("indicator,org_unit,period,value\nbs_5g,440000,2026-09,-5\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(bad), "--format", "json"])
    out = json.loads(result.stdout)
    assert result.exit_code == 1 and out["ok"] is False
    p = out["problems"][0]
    assert {"row", "column", "indicator", "severity", "message_zh", "message_en"} <= p.keys()
    assert (p["row"], p["indicator"], p["severity"]) == (2, "bs_5g", "hard")
    good = tmp_path / "good.csv"
    good.write_text("indicator,org_unit,period,value\nbs_5g,440000,2026-09,5\n", encoding="utf-8")
    ok = runner.invoke(app, ["validate", str(good), "--format", "json"])
    assert ok.exit_code == 0 and json.loads(ok.stdout) == {"ok": True, "file": "good.csv", "problems": []}
    template = tmp_path / "t.xlsx"
    made = runner.invoke(app, ["form", "template", "OPM", "--org-unit", "440000", "--reporter", "cmcc",
                               "--period", "2026-09", "--out", str(template)])
    assert made.exit_code == 0 and template.read_bytes()[:2] == b"PK"
    empty = json.loads(runner.invoke(app, ["validate", str(template), "--format", "json"]).stdout)
    assert not empty["ok"] and {p["column"] for p in empty["problems"]} == {"F"}  # every item still empty
    get_settings.cache_clear()
