"""Review of stored values: a submission never hides a released figure; approve, return, publish; all or none."""

from __future__ import annotations

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
from yangfan.store.review import review

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
    assert [i.code for i in err.value.issues] == ["review.state"] and str(ids[1]) in err.value.issues[0].message_en
    with session_scope(y.engine) as s:
        review(s, "r", ids[:1], "publish", lambda _r: True)
        assert [s.get(DataValueRow, i).status for i in ids] == ["published", "returned"]  # type: ignore[union-attr]


def test_a_review_is_all_or_nothing_and_names_every_problem(y: Yangfan) -> None:
    ids = _import(y, "bs_5g,440100,2025-06,20,万个\nbs_5g,110000,2025-06,3,万个\n", "submitted", "mixed.csv")
    in_guangdong = lambda r: r.org_unit_code.startswith("44")  # noqa: E731
    with pytest.raises(YangfanError) as err, session_scope(y.engine) as s:
        review(s, "gd-reviewer", [*ids, 999_999], "approve", in_guangdong)
    assert sorted(i.code for i in err.value.issues) == ["permission.denied", "review.unknown"]
    with session_scope(y.engine) as s:
        assert {s.get(DataValueRow, i).status for i in ids} == {"submitted"}  # type: ignore[union-attr]
        assert s.scalars(select(AuditRow).where(AuditRow.action == "data.approve")).first() is None
