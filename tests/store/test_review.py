"""Review of stored values: a submission never hides a released figure; approve, return, publish; all or none."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.builders import platform
from yangfan.analytics.query import Query
from yangfan.collect.importer import import_content
from yangfan.context import Yangfan
from yangfan.errors import YangfanError
from yangfan.store.db import session_scope
from yangfan.store.models import AuditRow, DataValueRow
from yangfan.store.review import TRANSITIONS, review

HEADER = "indicator,org_unit,period,value,unit\n"


def _import(y: Yangfan, rows: str, status: str, name: str) -> list[int]:
    result = import_content(y.engine, (HEADER + rows).encode(), name, y.catalog, y.tree, status=status)  # type: ignore[arg-type]
    with session_scope(y.engine) as s:
        return list(s.scalars(select(DataValueRow.id).where(DataValueRow.batch_id == result.batch_id)
                              .order_by(DataValueRow.id)))


def _value(y: Yangfan, org_unit: str = "440300") -> float | None:
    return y.query(Query.parse(["bs_5g"], [org_unit], ["2025-06"]))[0].value


@pytest.fixture
def y(tmp_path: Path, store_url: str) -> Yangfan:
    p = platform(tmp_path, store_url)
    _import(p, "bs_5g,440300,2025-06,10,万个\n", "published", "published.csv")
    p.rebuild()
    return p


@pytest.fixture
def store(tmp_path: Path, store_url: str) -> Yangfan:
    """A platform whose analytics are never built: for what happens in the store alone."""
    return platform(tmp_path, store_url)


def test_a_submission_does_not_hide_the_released_figure_until_approved(y: Yangfan) -> None:
    ids = _import(y, "bs_5g,440300,2025-06,12,万个\n", "submitted", "revision.csv")
    y.rebuild()
    assert _value(y) == 100_000  # the published figure stays while the revision awaits review
    with session_scope(y.engine) as s:
        review(s, "reviewer", ids, "approve", lambda _r: True, "checked against the operator's report")
    y.rebuild()
    assert _value(y) == 120_000
    with session_scope(y.engine) as s:
        entry = s.scalars(select(AuditRow).where(AuditRow.action == "data.approve")).one()
        assert entry.actor == "reviewer" and '"approved"' in entry.after and "operator" in entry.after


def test_return_and_publish_follow_the_workflow(y: Yangfan) -> None:
    ids = _import(y, "bs_5g,440100,2025-06,20,万个\nbs_5g,440200,2025-06,3,万个\n", "submitted", "two.csv")
    with session_scope(y.engine) as s:
        review(s, "r", ids[:1], "approve", lambda _r: True)
        review(s, "r", ids[1:], "return", lambda _r: True)
    with pytest.raises(YangfanError) as err, session_scope(y.engine) as s:
        review(s, "r", ids, "publish", lambda _r: True)  # the returned one cannot be published: neither is
    assert [i.code for i in err.value.issues] == ["review.conflict"] and str(ids[1]) in err.value.issues[0].message_en
    with session_scope(y.engine) as s:
        review(s, "r", ids[:1], "publish", lambda _r: True)
        assert [s.get(DataValueRow, i).status for i in ids] == ["published", "returned"]  # type: ignore[union-attr]


def test_a_review_is_all_or_nothing_and_names_every_problem(y: Yangfan) -> None:
    ids = _import(y, "bs_5g,440100,2025-06,20,万个\nbs_5g,110000,2025-06,3,万个\n", "submitted", "mixed.csv")
    in_guangdong = lambda r: r.org_unit_code.startswith("44")  # noqa: E731
    with pytest.raises(YangfanError) as err, session_scope(y.engine) as s:
        review(s, "gd-reviewer", [*ids, 999_999], "approve", in_guangdong)
    # Outside the scope and not existing answer alike: an error must not tell which ids exist or whose they are.
    assert [i.code for i in err.value.issues] == ["review.unknown", "review.unknown"]
    assert "110000" not in str(err.value) and "440100" not in str(err.value)
    with session_scope(y.engine) as s:
        assert {s.get(DataValueRow, i).status for i in ids} == {"submitted"}  # type: ignore[union-attr]
        assert s.scalars(select(AuditRow).where(AuditRow.action == "data.approve")).first() is None


def _public(y: Yangfan, org_unit: str = "440300") -> float | None:
    q = Query.parse(["bs_5g"], [org_unit], ["2025-06"])
    return y.query(Query(q.indicators, q.org_units, q.periods, published_only=True))[0].value


def test_a_submission_from_the_same_file_and_source_never_hides_the_published_figure(y: Yangfan) -> None:
    # The published figure came from published.csv; a reporter sends a file of the same name (the same source).
    ids = _import(y, "bs_5g,440300,2025-06,12,万个\n", "submitted", "published.csv")
    y.rebuild()
    assert _value(y) == _public(y) == 100_000
    with session_scope(y.engine) as s:
        review(s, "reviewer", ids, "return", lambda _r: True, "wrong month")
    y.rebuild()
    assert _value(y) == _public(y) == 100_000  # a return leaves the released figure where it was
    again = _import(y, "bs_5g,440300,2025-06,12.5,万个\n", "submitted", "published.csv")
    with session_scope(y.engine) as s:
        review(s, "reviewer", again, "approve", lambda _r: True)
    y.rebuild()
    assert _value(y) == 125_000 and _public(y) == 100_000  # approved: the ministry sees it, the public not yet
    # and so do the sums above it (incomplete: one city of Guangdong reported)
    assert {a: y.analytics.cells_at("bs_5g", ["440000"], "2025-06", published_only=a)["440000"].value
            for a in (False, True)} == {False: 125_000, True: 100_000}
    with session_scope(y.engine) as s:
        review(s, "publisher", again, "publish", lambda _r: True)
    y.rebuild()
    assert _value(y) == _public(y) == 125_000
    with session_scope(y.engine) as s:  # only now is the old version replaced; both stay in the history
        rows = s.scalars(select(DataValueRow).where(DataValueRow.org_unit_code == "440300")
                         .order_by(DataValueRow.version)).all()
        assert [(r.status, r.is_current) for r in rows] == [("published", False), ("returned", False),
                                                            ("published", True)]


def test_an_approval_from_another_source_keeps_the_public_figure_until_publication(y: Yangfan) -> None:
    ids = _import(y, "bs_5g,440300,2025-06,11,万个\n", "submitted", "province-return.csv")
    with session_scope(y.engine) as s:
        review(s, "gd-reviewer", ids, "approve", lambda _r: True)
    y.rebuild()
    assert _value(y) == 110_000 and _public(y) == 100_000
    assert "2025-06" in [p.code for p in y.analytics.periods(published_only=True)]


def test_a_month_only_approved_is_invisible_to_the_public_lists(y: Yangfan) -> None:
    ids = _import(y, "bs_5g,440300,2025-07,11,万个\n", "submitted", "july.csv")
    with session_scope(y.engine) as s:
        review(s, "gd-reviewer", ids, "approve", lambda _r: True)
    y.rebuild()
    assert "2025-07" in [p.code for p in y.analytics.periods()]
    assert "2025-07" not in [p.code for p in y.analytics.periods(published_only=True)]
    assert [p.code for p in y.analytics.series("bs_5g", "440300", published_only=True)] == ["2025-06"]
    assert _public(y) == 100_000


def test_four_eyes_nobody_approves_their_own_import(store: Yangfan) -> None:
    y = store
    result = import_content(y.engine, (HEADER + "bs_5g,440100,2025-06,20,万个\n").encode(), "own.csv", y.catalog,
                            y.tree, status="submitted", user="li")
    with session_scope(y.engine) as s:
        ids = list(s.scalars(select(DataValueRow.id).where(DataValueRow.batch_id == result.batch_id)))
    with pytest.raises(YangfanError) as err, session_scope(y.engine) as s:
        review(s, "li", ids, "approve", lambda _r: True)
    assert err.value.issues[0].code == "review.four_eyes"
    with session_scope(y.engine) as s:
        review(s, "li", ids, "return", lambda _r: True)  # returning one's own work is allowed
    again = import_content(y.engine, (HEADER + "bs_5g,440100,2025-06,21,万个\n").encode(), "own2.csv", y.catalog,
                           y.tree, status="submitted", user="li")
    with session_scope(y.engine) as s:
        ids = list(s.scalars(select(DataValueRow.id).where(DataValueRow.batch_id == again.batch_id)))
        review(s, "li", ids, "approve", lambda _r: True, four_eyes=False)  # the rule can be turned off
        review(s, "wang", ids, "publish", lambda _r: True)


RACES = [("approve", "approve"), ("approve", "return"), ("return", "approve"), ("return", "return"),
         ("publish", "publish")]


@pytest.mark.parametrize(("first", "second"), RACES, ids=["-".join(r) for r in RACES])
def test_two_reviews_of_the_same_values_at_once_exactly_one_wins(store: Yangfan, first: str, second: str) -> None:
    y = store
    ids = _import(y, "bs_5g,440100,2025-06,20,万个\nbs_5g,440200,2025-06,3,万个\n",
                  "approved" if first == "publish" else "submitted", f"race-{first}-{second}.csv")
    # Both reviewers have read the values before either writes: the barrier sits in the permission check.
    barrier = threading.Barrier(2, timeout=20)

    def allowed(_row: DataValueRow) -> bool:
        if _row.id == ids[0]:
            barrier.wait()
        return True

    outcomes: dict[str, object] = {}

    def act(name: str, action: str) -> None:
        try:
            with session_scope(y.engine) as s:
                outcomes[name] = review(s, name, ids, action, allowed)  # type: ignore[arg-type]
        except YangfanError as exc:
            outcomes[name] = exc

    threads = [threading.Thread(target=act, args=(n, a)) for n, a in (("r1", first), ("r2", second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    won = [n for n, o in outcomes.items() if not isinstance(o, YangfanError)]
    lost = [o for o in outcomes.values() if isinstance(o, YangfanError)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert {i.code for i in lost[0].issues} == {"review.conflict"}
    winner_action = first if won == ["r1"] else second
    with session_scope(y.engine) as s:
        statuses = {s.get(DataValueRow, i).status for i in ids}  # type: ignore[union-attr]
        entries = s.scalars(select(AuditRow).where(AuditRow.action.like("data.%"), AuditRow.action != "data.import")
                            ).all()
    assert statuses == {TRANSITIONS[winner_action][1]}  # type: ignore[index]
    assert [e.actor for e in entries] == won  # one audit entry, the winner's
