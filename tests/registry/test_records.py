"""Registry records: checked input, scope, the workflow from application to recognition, merges that keep
history, and counts that equal the records behind them."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from yangfan.access.accounts import Grant
from yangfan.access.roles import Role
from yangfan.context import Yangfan
from yangfan.errors import YangfanError
from yangfan.geo.periods import Period
from yangfan.registry import counts, records
from yangfan.registry.records import RecordInput, Search
from yangfan.store.db import session_scope
from yangfan.store.models import AuditRow, RegistryRecordRow

MINISTRY = [Grant(Role.ministry_analyst, None)]
GD_REPORTER = [Grant(Role.provincial_reporter, "440000")]
CMCC = [Grant(Role.operator_reporter, "cmcc")]
SUPPLIER = RecordInput("organisation", "supplier", "广州智联通信技术有限公司", "440100", "91440300708461136T",
                       sector="industrial_internet", valid_from=date(2025, 3, 1))


def test_a_record_with_many_problems_is_refused_naming_each_field(y: Yangfan) -> None:
    bad = RecordInput("organisation", "nope", "", "999999", "91440300708461136X", sector="x", operator="cmcc",
                      valid_from=date(2025, 1, 2), valid_to=date(2024, 1, 1), attrs={"colour": "red"})
    with session_scope(y.engine) as s, pytest.raises(YangfanError) as exc:
        records.create(s, y.registry, y.tree, MINISTRY, "ana", bad)
    fields = {i.location.field for i in exc.value.issues}
    assert fields == {"category", "name", "org_unit", "uscc", "sector", "operator", "valid_to", "attrs"}
    assert all(i.message_zh and i.message_en for i in exc.value.issues)
    with session_scope(y.engine) as s:
        assert s.scalar(select(RegistryRecordRow.id)) is None


def test_scope_operator_and_province(y: Yangfan) -> None:
    vpn = RecordInput("vpn", "shared", "某港口专网", "440300", operator="cmcc", sector="transport")
    with session_scope(y.engine) as s:
        row = records.create(s, y.registry, y.tree, CMCC, "op", vpn)
        assert row.status == "recognised"  # an operator's inventory counts as entered
        with pytest.raises(YangfanError, match="无权"):
            records.create(s, y.registry, y.tree, CMCC, "op", RecordInput(**{**records._fields(vpn),
                                                                             "name": "别家", "operator": "ctcc"}))
        with pytest.raises(YangfanError, match="无权"):  # an operator does not enter suppliers
            records.create(s, y.registry, y.tree, CMCC, "op", SUPPLIER)
        with pytest.raises(YangfanError, match="无权"):  # a province only inside itself
            records.create(s, y.registry, y.tree, GD_REPORTER, "gd",
                           RecordInput(**{**records._fields(SUPPLIER), "org_unit": "110000"}))
        mine = records.create(s, y.registry, y.tree, GD_REPORTER, "gd", SUPPLIER)
        assert mine.status == "applied"  # a province's entry awaits the ministry
        with pytest.raises(YangfanError, match="无权"):
            records.decide(s, GD_REPORTER, "gd", mine, "recognise", "")


def test_the_same_key_twice_is_refused_naming_the_record(y: Yangfan) -> None:
    with session_scope(y.engine) as s:
        first = records.create(s, y.registry, y.tree, MINISTRY, "ana", SUPPLIER)
        with pytest.raises(YangfanError, match=f"#{first.id}"):
            records.create(s, y.registry, y.tree, MINISTRY, "ana",
                           RecordInput(**{**records._fields(SUPPLIER), "name": "另一个名字"}))


def test_application_recognition_withdrawal_and_what_is_visible(y: Yangfan) -> None:
    with session_scope(y.engine) as s:
        row = records.create(s, y.registry, y.tree, GD_REPORTER, "gd", SUPPLIER)
        public: list[Grant] = []
        assert records.search(s, Search(), y.tree, public)[0] == 0  # an application is not public
        assert records.search(s, Search(), y.tree, [Grant(Role.provincial_reviewer, "440000")])[0] == 1
        assert records.search(s, Search(), y.tree, [Grant(Role.provincial_reporter, "110000")])[0] == 0
        with pytest.raises(YangfanError, match="理由"):
            records.decide(s, MINISTRY, "ana", row, "reject", " ")
        records.decide(s, MINISTRY, "ana", row, "recognise", "符合条件", date(2025, 6, 1))
        assert row.status == "recognised" and row.valid_from == date(2025, 6, 1)
        assert records.search(s, Search("xyz"), y.tree, public)[0] == 0
        assert records.search(s, Search("gzzl"), y.tree, public)[0] == 1
        assert records.search(s, Search("91440300708461136T"), y.tree, public)[0] == 1
        records.withdraw(s, MINISTRY, "ana", row, "不再经营", date(2026, 2, 1))
        actions = [e.action for e in records.history(s, row.id)]
        assert actions == ["create", "recognise", "withdraw"]
        audited = s.scalars(select(AuditRow.action).where(AuditRow.entity == "registry_record")).all()
        assert audited == ["registry.create", "registry.recognise", "registry.withdraw"]


def test_merge_keeps_history_fills_gaps_and_moves_attachments(y: Yangfan, tmp_path: object) -> None:
    from yangfan.registry import intake

    with session_scope(y.engine) as s:
        keep = records.create(s, y.registry, y.tree, MINISTRY, "ana", SUPPLIER)
        drop = records.create(s, y.registry, y.tree, MINISTRY, "ana", RecordInput(
            "organisation", "supplier", "广州智联通信技术股份有限公司", "440100", "911100007109250324",
            sector="power", valid_from=date(2024, 1, 1)))
        keep.sector = ""
        pdf = intake.attach(s, y.settings.attachments_dir, MINISTRY, y.registry, y.tree, "ana", drop, "证明.pdf",
                            b"%PDF-1.4 test")
        took = records.merge(s, MINISTRY, "ana", keep, drop, "同一企业")
        assert took["sector"] == "power" and keep.valid_from == date(2024, 1, 1)
        assert drop.status == "merged" and drop.merged_into == keep.id and pdf.record_id == keep.id
        assert {e.action for e in records.history(s, keep.id)} >= {"create", "merge", "merged", "attach"}
        with pytest.raises(YangfanError):
            records.merge(s, MINISTRY, "ana", keep, drop)


def test_attachments_must_be_small_pdfs(y: Yangfan) -> None:
    from yangfan.registry import intake

    with session_scope(y.engine) as s:
        row = records.create(s, y.registry, y.tree, MINISTRY, "ana", SUPPLIER)
        with pytest.raises(YangfanError, match="不是 PDF"):
            intake.attach(s, y.settings.attachments_dir, MINISTRY, y.registry, y.tree, "ana", row, "x.pdf",
                          b"MZ\x90\x00 an exe")
        with pytest.raises(YangfanError, match="10 MB"):
            intake.attach(s, y.settings.attachments_dir, MINISTRY, y.registry, y.tree, "ana", row, "big.pdf",
                          b"%PDF-" + b"0" * (10 * 1024 * 1024))
        a = intake.attach(s, y.settings.attachments_dir, MINISTRY, y.registry, y.tree, "ana", row, "../../etc/ok.pdf",
                          b"%PDF-1.7 fine")
        assert a.file_name == "ok.pdf"
        assert intake.attachment_path(y.settings.attachments_dir, a).read_bytes() == b"%PDF-1.7 fine"


def test_counts_equal_the_records_behind_them_at_every_level(y: Yangfan) -> None:
    today = date(2027, 1, 10)  # 2026 has ended: its count is read at its last day
    places = ["440100", "440300", "440300", "110000", "440100"]
    with session_scope(y.engine) as s:
        for i, place in enumerate(places):
            records.create(s, y.registry, y.tree, MINISTRY, "ana", RecordInput(
                "case", "leader", f"领航者{i}", place, sector="health", valid_from=date(2025 + i % 2, 3, 1)))
        gone = records.create(s, y.registry, y.tree, MINISTRY, "ana", RecordInput(
            "case", "leader", "撤销者", "440100", valid_from=date(2025, 1, 1)))
        records.withdraw(s, MINISTRY, "ana", gone, "撤销", date(2025, 12, 1))
        found = {(v.org_unit, v.period, v.disaggregation): v.value for v in counts.values(s, y.registry, y.catalog,
                                                                                           y.tree, today)
                 if v.indicator == "application_leaders"}
        assert found[("100000", "2025", "")] == 3  # the withdrawn one ended before 2025-12-31
        assert found[("100000", "2026", "")] == 5
        assert found[("440000", "2026", "")] == 4 and found[("440300", "2026", "")] == 2
        assert found[("100000", "2026", "sector=health")] == 5 and found[("650000", "2026", "")] == 0
        for (unit, period, dis), n in found.items():
            if dis:
                continue
            listed = records.search(s, Search(kind="case", categories=("leader",), org_unit=unit,
                                              counted_at=counts.counted_on(Period(int(period), "year"), today)),
                                    y.tree, MINISTRY)[0]
            assert listed == n, (unit, period)


def test_a_count_whose_records_are_gone_goes_to_zero(y: Yangfan) -> None:
    with session_scope(y.engine) as s:
        row = records.create(s, y.registry, y.tree, MINISTRY, "ana", RecordInput(
            "policy", "policy", "某市政策", "440100", valid_from=date(2026, 1, 5)))
    y.count_registry()
    with session_scope(y.engine) as s:
        records.merge(s, MINISTRY, "ana", records.create(s, y.registry, y.tree, MINISTRY, "ana", RecordInput(
            "policy", "policy", "某市政策（修订）", "440000", valid_from=date(2026, 1, 5))), records.get(s, row.id))
    y.count_registry()
    y.rebuild()
    from yangfan.analytics.query import Query

    got = {f.org_unit: f.value for f in y.query(Query(("provincial_policies_registry",), ("440100", "440000"),
                                                      (Period(2026, "quarter", 1),)))}
    assert got == {"440100": 0, "440000": 1}
