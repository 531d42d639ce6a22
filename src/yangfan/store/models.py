"""SQLAlchemy storage models. Only ``store/`` touches these tables."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of every table."""


class IndicatorRow(Base):
    """An indicator of the catalog, mirrored so that data values can reference it."""

    __tablename__ = "indicator"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(10))
    definition_zh: Mapped[str] = mapped_column(Text, default="")


class TargetRow(Base):
    """A plan target, mirrored from the catalog."""

    __tablename__ = "target"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    plan: Mapped[str] = mapped_column(String(40))
    indicator_code: Mapped[str] = mapped_column(ForeignKey("indicator.code"))
    value: Mapped[float | None] = mapped_column(Float)
    comparator: Mapped[str] = mapped_column(String(8))
    deadline: Mapped[str | None] = mapped_column(String(10))
    scope: Mapped[str] = mapped_column(String(16))
    clause_section: Mapped[str] = mapped_column(String(200))
    clause_quote: Mapped[str] = mapped_column(Text)


class OrgUnitRow(Base):
    """An org unit (place, group or reporting unit) with its validity."""

    __tablename__ = "org_unit"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(20))
    level: Mapped[int | None] = mapped_column(Integer)
    parent_code: Mapped[str | None] = mapped_column(String(32), index=True)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class GroupMemberRow(Base):
    """Membership of a province in a group (MIIT region, 京津冀, 长三角)."""

    __tablename__ = "org_group_member"
    group_code: Mapped[str] = mapped_column(ForeignKey("org_unit.code"), primary_key=True)
    member_code: Mapped[str] = mapped_column(ForeignKey("org_unit.code"), primary_key=True)


class PeriodRow(Base):
    """A period that data values refer to."""

    __tablename__ = "period"
    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    type: Mapped[str] = mapped_column(String(8))
    start_date: Mapped[date] = mapped_column(Date)
    end_month: Mapped[str] = mapped_column(String(7))


class SourceRow(Base):
    """Where data values come from: a published document, an import file, a form, a network-data run."""

    __tablename__ = "source"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300), default="")
    url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    __table_args__ = (UniqueConstraint("kind", "url", "title", name="uq_source"),)


class ImportBatchRow(Base):
    """One imported file; its checksum makes a repeated import a no-op."""

    __tablename__ = "import_batch"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_name: Mapped[str] = mapped_column(String(300))
    checksum: Mapped[str] = mapped_column(String(64), unique=True)
    row_count: Mapped[int] = mapped_column(Integer)
    imported_by: Mapped[str] = mapped_column(String(100), default="system")
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class DataValueRow(Base):
    """A data value (数据值): indicator × org unit × period × disaggregation, from one source, versioned."""

    __tablename__ = "data_value"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator_code: Mapped[str] = mapped_column(ForeignKey("indicator.code"))
    org_unit_code: Mapped[str] = mapped_column(ForeignKey("org_unit.code"))
    period_code: Mapped[str] = mapped_column(ForeignKey("period.code"))
    disaggregation: Mapped[str] = mapped_column(String(100), default="")
    value: Mapped[float] = mapped_column(Float)
    #: 'exact', 'lower_bound' (超/突破) or 'approx' (约/近).
    qualifier: Mapped[str] = mapped_column(String(12), default="exact")
    #: Coverage of the figure, e.g. 'basic_3' (three operators, to 2023) or 'basic_4' (with 中国广电).
    scope: Mapped[str] = mapped_column(String(20), default="")
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))
    source_row: Mapped[int | None] = mapped_column(Integer)
    #: Where in the file the value stood, when a row is not enough: "Sheet!C5" of a form's workbook.
    source_cell: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(12), default="draft")
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Among current rows for one key from several sources, higher priority wins.
    priority: Mapped[int] = mapped_column(Integer, default=0)
    preferred: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    __table_args__ = (
        UniqueConstraint(
            "indicator_code", "org_unit_code", "period_code", "disaggregation", "source_id", "version",
            name="uq_data_value_version",
        ),
        Index("ix_data_value_key", "indicator_code", "org_unit_code", "period_code", "disaggregation"),
        # The slices of an incremental analytics build, and the current rows of a batch's indicators and periods.
        Index("ix_data_value_slice", "indicator_code", "period_code"),
    )


class UserRow(Base):
    """An account; the password is kept only as an argon2id hash."""

    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    #: Set by an administrator's password reset: the next login must choose a new password first.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class GrantRow(Base):
    """A role held by a user, scoped to an org unit (and its descendants) where the role is scoped."""

    __tablename__ = "user_grant"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    role: Mapped[str] = mapped_column(String(32))
    org_unit_code: Mapped[str | None] = mapped_column(ForeignKey("org_unit.code"))
    __table_args__ = (UniqueConstraint("user_id", "role", "org_unit_code", name="uq_user_grant"),)


class ApiTokenRow(Base):
    """A machine client's token; only its SHA-256 is stored."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)


class AuditRow(Base):
    """One entry of the append-only audit log; ``hash`` chains it to the entry before."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(200))
    before: Mapped[str] = mapped_column(Text, default="")
    after: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class SessionRow(Base):
    """A server-side login session; the cookie holds a random value, the store only its SHA-256."""

    __tablename__ = "login_session"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class ChangeRow(Base):
    """A committed change that the analytics must apply (an import or a review that moved released values).

    Written in the same transaction as the change, so that the analytics can tell, after any crash,
    which changes its build includes: a build records the highest id it has seen.
    """

    __tablename__ = "change_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    kind: Mapped[str] = mapped_column(String(32))
    #: Which values (the ids, or the batch) and what they touched: ``slices`` (indicator, period) and ``units``,
    #: the cells an incremental build recomputes (a change without them is applied by a full build).
    detail: Mapped[str] = mapped_column(Text, default="")


class DownloadCountRow(Base):
    """Public downloads counted per day, indicator and format (not one audit entry each)."""

    __tablename__ = "download_count"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    item: Mapped[str] = mapped_column(String(100), primary_key=True)
    format: Mapped[str] = mapped_column(String(10), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class SubmissionRow(Base):
    """A return (填报) of one form by one reporting unit for one org unit and period, and where it stands."""

    __tablename__ = "submission"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_code: Mapped[str] = mapped_column(String(32))
    org_unit_code: Mapped[str] = mapped_column(ForeignKey("org_unit.code"))
    #: The reporting unit when it is not the org unit itself: an operator reporting for a province ('' otherwise).
    reporter: Mapped[str] = mapped_column(String(32), default="")
    period_code: Mapped[str] = mapped_column(String(10))
    #: draft, submitted, returned, approved, accepted, published.
    state: Mapped[str] = mapped_column(String(12), default="draft")
    #: 1 for the first return; each correction after an unlock is a new round.
    round: Mapped[int] = mapped_column(Integer, default=1)
    #: The reviewer's message of the latest return, shown to the reporter until it resubmits.
    message: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    submitted_by: Mapped[str] = mapped_column(String(64), default="")
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    __table_args__ = (UniqueConstraint("form_code", "org_unit_code", "reporter", "period_code",
                                       name="uq_submission"),
                      Index("ix_submission_period", "form_code", "period_code"))


class SubmissionCellRow(Base):
    """One cell of a return: the figure entered (kept from the first draft on), its explanation of soft-rule
    hits, and whether it is open for correction after approval."""

    __tablename__ = "submission_cell"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    indicator_code: Mapped[str] = mapped_column(String(64))
    disaggregation: Mapped[str] = mapped_column(String(100), default="")
    value: Mapped[float | None] = mapped_column(Float)
    explanation: Mapped[str] = mapped_column(Text, default="")
    #: Unlocked by a reviewer for a correction after approval (with the reason in the submission's history).
    unlocked: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The reviewer returned this cell: its message is the submission's.
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    __table_args__ = (UniqueConstraint("submission_id", "indicator_code", "disaggregation", name="uq_submission_cell"),)


class SubmissionEventRow(Base):
    """The append-only history of a return: who did what, when, with which message and which values changed."""

    __tablename__ = "submission_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    state_before: Mapped[str] = mapped_column(String(12))
    state_after: Mapped[str] = mapped_column(String(12))
    round: Mapped[int] = mapped_column(Integer, default=1)
    message: Mapped[str] = mapped_column(Text, default="")
    #: JSON: the cells changed (indicator, disaggregation, old, new) or unlocked, the values moved.
    detail: Mapped[str] = mapped_column(Text, default="")


class RegistryCallRow(Base):
    """A call for applications (征集): which kind of record it collects, when it is open, what it asks for."""

    __tablename__ = "registry_call"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    category: Mapped[str] = mapped_column(String(32), default="")
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    opens: Mapped[date] = mapped_column(Date)
    closes: Mapped[date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(64), default="system")
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class RegistryRecordRow(Base):
    """A registry record (名录): an organisation, carrier, standard, product, network, case, city or policy.

    Counted towards the plan's targets while ``recognised`` (or ``withdrawn``, up to ``valid_to``) and valid.
    """

    __tablename__ = "registry_record"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    category: Mapped[str] = mapped_column(String(32), default="")
    name: Mapped[str] = mapped_column(String(200))
    #: The name without legal-form words and brackets: what duplicate detection compares.
    name_norm: Mapped[str] = mapped_column(String(200))
    #: Pinyin initials of the name, for search (“zgyd” finds 中国移动).
    initials: Mapped[str] = mapped_column(String(200), default="")
    #: Name, normalised name, initials, credit code and own number, folded: what one search text is matched in.
    search_text: Mapped[str] = mapped_column(Text, default="")
    #: Unified social credit code (统一社会信用代码) of an organisation, check digit verified.
    uscc: Mapped[str | None] = mapped_column(String(18))
    #: The record's own identifier where it has one: a standard's number, a product's model and certificate.
    ref: Mapped[str] = mapped_column(String(100), default="")
    sector: Mapped[str] = mapped_column(String(24), default="")
    org_unit_code: Mapped[str] = mapped_column(ForeignKey("org_unit.code"))
    operator: Mapped[str] = mapped_column(String(8), default="")
    #: applied, recognised, rejected, withdrawn, merged.
    status: Mapped[str] = mapped_column(String(12), default="applied")
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    #: The kind's own fields (body, certificate, customer sector, …) as JSON.
    attrs: Mapped[str] = mapped_column(Text, default="{}")
    call_id: Mapped[int | None] = mapped_column(ForeignKey("registry_call.id"))
    merged_into: Mapped[int | None] = mapped_column(ForeignKey("registry_record.id"))
    #: Demo records (演示数据) are labelled wherever they show, and so is every count they enter.
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(120), default="")
    created_by: Mapped[str] = mapped_column(String(64), default="system")
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    __table_args__ = (Index("ix_registry_record_kind", "kind", "status"),
                      Index("ix_registry_record_uscc", "uscc"),
                      Index("ix_registry_record_name_norm", "kind", "name_norm"))


class RegistryEventRow(Base):
    """The append-only history of a registry record: created, changed, applied, decided, merged, withdrawn."""

    __tablename__ = "registry_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("registry_record.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text, default="")
    #: JSON: the fields changed (old → new), the record merged in, the batch imported from.
    detail: Mapped[str] = mapped_column(Text, default="")


class RegistryAttachmentRow(Base):
    """A PDF attached to a record (an application's evidence), stored outside the web root by its SHA-256."""

    __tablename__ = "registry_attachment"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("registry_record.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime)
