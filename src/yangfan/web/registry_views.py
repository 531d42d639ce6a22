"""What the registry pages and the registry API share: a search from query parameters, the records behind a
count, records and their history as people and clients read them, and record input from a form or JSON.

The rules (who may do what, what a valid record is) are those of ``registry.records``; this module only turns
requests into its inputs and its rows into views.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import Query as QueryParam
from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from yangfan.access.accounts import Grant
from yangfan.access.roles import SCOPED_TO_OPERATOR, Role
from yangfan.analytics.query import Query
from yangfan.context import Yangfan
from yangfan.errors import Location, YangfanError
from yangfan.geo.orgunits import NATION, OrgUnitTree
from yangfan.geo.periods import parse_period
from yangfan.registry import records
from yangfan.registry.counts import counted_on, period_of
from yangfan.registry.kinds import Registry
from yangfan.registry.records import RecordInput, Search
from yangfan.store.models import RegistryAttachmentRow, RegistryCallRow, RegistryEventRow, RegistryRecordRow
from yangfan.web.auth import Principal
from yangfan.web.i18n import Lang, texts, unit_name
from yangfan.web.pages import render

#: One page of a registry list.
PAGE_SIZE = 50
#: The most records one export holds (the whole demo registry fits).
MAX_EXPORT = 20_000
#: A record's fields besides the kind's own (``attrs``), in the order forms and exports show them.
FIELDS = ("kind", "category", "name", "uscc", "ref", "sector", "org_unit", "operator", "valid_from", "valid_to")
log = logging.getLogger("yangfan.web")


class Recounter:
    """Recounts one platform's registries after changes, in a background thread, as the analytics builder applies
    changes: no request waits for a recount (seconds over the whole registry), changes that arrive while one runs
    are taken by the next, and recounts never overlap (a late one cannot leave older counts standing).

    A daemon thread: it writes the store only (``Yangfan.registry_changed``), never the analytics file, and a
    recount cut off at exit is rolled back whole; the next change recounts everything again.
    """

    def __init__(self, y: Yangfan) -> None:
        self.y = y
        self._lock = threading.Lock()
        self._wanted = False
        self._thread: threading.Thread | None = None

    def notify(self) -> None:
        """A registry change was committed: recount soon."""
        with self._lock:
            self._wanted = True
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="yangfan-registry-recount", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._wanted:
                    self._thread = None
                    return
                self._wanted = False
            try:
                self.y.registry_changed()
            except Exception:  # logged; the next change tries again
                log.exception("registry recount failed")

    def wait(self, timeout: float = 60.0) -> None:
        """Until no recount runs or is wanted (tests, and a caller that must read the new counts)."""
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout)


_recounters: dict[int, Recounter] = {}
_recounters_lock = threading.Lock()


def recounter(y: Yangfan) -> Recounter:
    """The platform's one recounter."""
    with _recounters_lock:
        if id(y) not in _recounters or _recounters[id(y)].y is not y:
            _recounters[id(y)] = Recounter(y)
        return _recounters[id(y)]


def recount(y: Yangfan) -> None:
    """After a registry change: the counts are recounted and the analytics builder told, without waiting."""
    recounter(y).notify()


def render_page(request: Request, name: str, principal: Principal, lang: Lang, y: Yangfan, status_code: int = 200,
                **context: Any) -> HTMLResponse:
    """A registry page: with what its links between the pages need (may the user enter records, decide)."""
    return render(request, name, principal, lang, status_code=status_code,
                  may_decide=records.may_decide(principal.grants),
                  may_enter=bool(enterable_kinds(principal.grants, y.registry)), **context)


def label(text: Any, lang: Lang) -> str:
    """A registry label (``kinds.Label``, ``Sector``) in the page's language."""
    return str(text.zh if lang == "zh" else text.en)


def unknown_record(record_id: int) -> YangfanError:
    """The same answer for a record that does not exist and for one the caller may not read (404)."""
    t_zh, t_en = texts("zh")["rg_unknown"], texts("en")["rg_unknown"]
    return YangfanError.single("registry.unknown", t_zh.format(id=record_id), t_en.format(id=record_id),
                               Location(entry=str(record_id)))


def readable(s: Session, y: Yangfan, grants: Sequence[Grant], record_id: int) -> RegistryRecordRow:
    """The record if the caller may read it; otherwise the refusal of an unknown record."""
    row = s.get(RegistryRecordRow, record_id)
    if row is None or not records.may_read(grants, row, y.tree):
        raise unknown_record(record_id)
    return row


def ministry_only(grants: Sequence[Grant]) -> None:
    """Refuse anyone but the ministry (recognition, merges, calls, the review and duplicates pages)."""
    if not records.may_decide(grants):
        t_zh, t_en = texts("zh")["rg_ministry_only"], texts("en")["rg_ministry_only"]
        raise YangfanError.single("permission.registry", t_zh, t_en)


def enterable_kinds(grants: Sequence[Grant], reg: Registry) -> list[str]:
    """The kinds a user may enter somewhere: every kind for the ministry, an operator's networks and nodes for
    its reporters, the other kinds for a province's reporters."""
    if records.may_decide(grants):
        return list(reg.kinds)
    operator = any(g.role in SCOPED_TO_OPERATOR for g in grants)
    province = any(g.role == Role.provincial_reporter for g in grants)
    return [code for code, k in reg.kinds.items() if (k.operator and operator) or (not k.operator and province)]


# --- searching ------------------------------------------------------------------------------------------------

#: The year records became valid: empty (the list form sends every field, chosen or not) or four digits.
Year = Annotated[str, QueryParam(pattern=r"^(20\d\d)?$", description="the year records became valid, e.g. 2024")]


@dataclass(frozen=True, slots=True)
class Filters:
    """A registry list's query parameters as given (the form shows them back)."""

    q: str = ""
    kind: str = ""
    category: str = ""
    sector: str = ""
    org_unit: str = ""
    operator: str = ""
    status: str = ""
    year: int | None = None
    indicator: str = ""
    period: str = ""

    @classmethod
    def of(cls, q: str, kind: str, category: str, sector: str, org_unit: str, operator: str, status: str, year: str,
           indicator: str, period: str) -> Filters:
        """From a request's query parameters (the year as text)."""
        return cls(q, kind, category, sector, org_unit, operator, status, int(year) if year else None, indicator,
                   period)

    def query(self, **change: Any) -> dict[str, str]:
        """The parameters that are set, for links (``change`` overrides)."""
        values = {**{k: getattr(self, k) for k in Filters.__slots__}, **change}
        return {k: str(v) for k, v in values.items() if v not in ("", None)}


@dataclass(frozen=True, slots=True)
class Behind:
    """The records behind one count: the indicator's figure beside the number of records the list shows."""

    indicator: str
    indicator_name: str
    org_unit: str
    place: str
    period: str
    day: date
    count: float | None
    listed: int = 0

    @property
    def equal(self) -> bool:
        """The count is the list's length."""
        return self.count is not None and int(self.count) == self.listed


def search_of(y: Yangfan, f: Filters, published_only: bool, lang: Lang) -> tuple[Search, Behind | None]:
    """The search a list's parameters ask for; with ``indicator`` (and ``period``), the records its count takes
    at the org unit and period, and the count itself as the analytics hold it."""
    base = Search(f.q.strip()[:100], f.kind, f.category, sector=f.sector, org_unit=f.org_unit, operator=f.operator,
                  status=f.status, year=f.year)
    if not f.indicator:
        return base, None
    count = y.registry.count_for(f.indicator)
    if count is None:
        choices = ", ".join(c.indicator for c in y.registry.counts)
        raise YangfanError.single("registry.indicator", texts("zh")["rg_behind_unknown"].format(
            indicator=f.indicator, choices=choices), texts("en")["rg_behind_unknown"].format(
            indicator=f.indicator, choices=choices), Location(field="indicator"))
    ind = y.catalog.indicators[f.indicator]
    # By default the last period that has ended: a count is taken at its period's end (``registry.counts``).
    period = parse_period(f.period) if f.period else period_of(y.today(), ind.period_type).shift(-1)
    unit = f.org_unit or NATION
    place = unit_name(y.tree.get(unit), lang)
    day = counted_on(period, y.today())
    disaggregation = f"sector={f.sector}" if f.sector else ""
    found = y.query(Query((f.indicator,), (unit,), (period,), disaggregation, published_only=published_only))
    search = Search(base.text, count.kind, f.category, count.categories, f.sector, unit, f.operator, "", None, day)
    return search, Behind(f.indicator, ind.name_zh if lang == "zh" else ind.name_en, unit, place, str(period), day,
                          found[0].value if found else None)


# --- records as people and clients read them ------------------------------------------------------------------

def place_text(tree: OrgUnitTree, code: str, lang: Lang) -> str:
    """A record's place with its province: 广东省 · 广州市."""
    if code not in tree.units:
        return code
    chain = [code, *tree.ancestors(code)][:-1]  # without the nation
    return " · ".join(unit_name(tree.units[c], lang) for c in reversed(chain)) or unit_name(tree.units[code], lang)


def operator_name(tree: OrgUnitTree, code: str, lang: Lang) -> str:
    """An operator's name (中国移动), or nothing for a record without one."""
    return unit_name(tree.units[code], lang) if code in tree.units else code


def record_dict(row: RegistryRecordRow, y: Yangfan) -> dict[str, Any]:
    """A record for the API, with its labels in both languages."""
    reg = y.registry
    kind = reg.kinds.get(row.kind)
    category = kind.categories.get(row.category) if kind else None
    sector = reg.sectors.get(row.sector)
    status = reg.statuses.get(row.status)
    return {"id": row.id, "kind": row.kind, "kind_zh": kind.zh if kind else "", "kind_en": kind.en if kind else "",
            "category": row.category, "category_zh": category.zh if category else "",
            "category_en": category.en if category else "", "name": row.name, "uscc": row.uscc, "ref": row.ref,
            "sector": row.sector, "sector_zh": sector.zh if sector else "", "sector_en": sector.en if sector else "",
            "org_unit": row.org_unit_code, "place_zh": place_text(y.tree, row.org_unit_code, "zh"),
            "place_en": place_text(y.tree, row.org_unit_code, "en"), "operator": row.operator,
            "status": row.status, "status_zh": status.zh if status else row.status,
            "status_en": status.en if status else row.status,
            "valid_from": row.valid_from.isoformat() if row.valid_from else None,
            "valid_to": row.valid_to.isoformat() if row.valid_to else None,
            "attrs": json.loads(row.attrs or "{}"), "call_id": row.call_id, "merged_into": row.merged_into,
            "demo": row.demo, "source": row.source}


@dataclass(frozen=True, slots=True)
class RowView:
    """One record in a list, in the page's language."""

    id: int
    name: str
    kind: str
    category: str
    place: str
    sector: str
    operator: str
    status: str
    status_text: str
    valid_from: str
    valid_to: str
    demo: bool
    uscc: str
    ref: str


def row_view(row: RegistryRecordRow, y: Yangfan, lang: Lang) -> RowView:
    """A record as a list shows it."""
    reg = y.registry
    kind = reg.kinds.get(row.kind)
    category = kind.categories.get(row.category) if kind else None
    sector = reg.sectors.get(row.sector)
    status = reg.statuses.get(row.status)
    return RowView(row.id, row.name, label(kind, lang) if kind else row.kind,
                   label(category, lang) if category else row.category, place_text(y.tree, row.org_unit_code, lang),
                   label(sector, lang) if sector else row.sector,
                   operator_name(y.tree, row.operator, lang) if row.operator else "", row.status,
                   label(status, lang) if status else row.status,
                   row.valid_from.isoformat() if row.valid_from else "",
                   row.valid_to.isoformat() if row.valid_to else "", row.demo, row.uscc or "", row.ref)


EXPORT_COLUMNS = ("id", "name", "kind", "category", "uscc", "ref", "org_unit", "place", "sector", "operator",
                  "status", "valid_from", "valid_to", "demo")


def export_rows(rows: Sequence[RegistryRecordRow], y: Yangfan, lang: Lang) -> tuple[list[str], list[list[Any]]]:
    """The header (in the page's language) and the rows of an export: codes beside their labels."""
    t = texts(lang)
    header = ["id", t["rg_name"], t["rg_kind"], t["rg_category"], t["rg_uscc"], t["rg_ref"], "org_unit",
              t["rg_place"], t["rg_sector"], t["rg_operator"], t["rg_status"], t["rg_valid_from"], t["rg_valid_to"],
              t["demo"]]
    out = []
    for r in rows:
        v = row_view(r, y, lang)
        out.append([r.id, r.name, v.kind, v.category, r.uscc or "", r.ref, r.org_unit_code, v.place, v.sector,
                    v.operator, v.status_text, v.valid_from, v.valid_to, t["demo"] if r.demo else ""])
    return header, out


def event_dict(e: RegistryEventRow) -> dict[str, Any]:
    """One event of a record's history for the API."""
    return {"id": e.id, "record_id": e.record_id, "at": e.at.isoformat(timespec="seconds"), "actor": e.actor,
            "action": e.action, "message": e.message, "detail": json.loads(e.detail or "{}")}


def attachment_dict(a: RegistryAttachmentRow) -> dict[str, Any]:
    """An attachment and where to download it."""
    return {"id": a.id, "file_name": a.file_name, "size": a.size, "sha256": a.sha256, "uploaded_by": a.uploaded_by,
            "at": a.at.isoformat(timespec="seconds"), "url": f"/registry/{a.record_id}/attachments/{a.id}"}


def attachments_of(s: Session, record_id: int) -> list[RegistryAttachmentRow]:
    """A record's attachments, oldest first."""
    return list(s.scalars(select(RegistryAttachmentRow).where(RegistryAttachmentRow.record_id == record_id)
                          .order_by(RegistryAttachmentRow.id)))


def merged_from(s: Session, record_id: int) -> list[RegistryRecordRow]:
    """The records merged into this one."""
    return list(s.scalars(select(RegistryRecordRow).where(RegistryRecordRow.merged_into == record_id)
                          .order_by(RegistryRecordRow.id)))


def call_dict(c: RegistryCallRow, applications: int, today: date) -> dict[str, Any]:
    """A call for applications for the API."""
    return {"id": c.id, "kind": c.kind, "category": c.category, "title_zh": c.title_zh, "title_en": c.title_en,
            "description": c.description, "opens": c.opens.isoformat(), "closes": c.closes.isoformat(),
            "state": call_state(c, today), "applications": applications}


def call_state(c: RegistryCallRow, today: date) -> str:
    """open, closed or upcoming."""
    return "upcoming" if today < c.opens else "closed" if today > c.closes else "open"


# --- record input -----------------------------------------------------------------------------------------------

def parse_day(text: str, name: str) -> date | None:
    """A date field (YYYY-MM-DD) or None when empty; a clear error naming the field otherwise."""
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise YangfanError.single("registry.date", f"日期“{text[:20]}”无效，应为 2025-03-31 这样的格式",
                                  f"date '{text[:20]}' is not valid: use 2025-03-31",
                                  Location(field=name)) from None


def record_input(fields: Mapping[str, Any], reg: Registry, call_id: int | None = None) -> RecordInput:
    """A record from a form's or a JSON body's fields; the kind's own fields come as ``attr_<code>`` (forms) or
    an ``attrs`` object (JSON). Checking is ``records.checked``'s: this only reads."""
    def text(name: str, limit: int = 200) -> str:
        value = fields.get(name)
        return str(value).strip()[:limit] if value is not None else ""

    kind = text("kind", 24)
    attrs: dict[str, str] = {}
    given = fields.get("attrs")
    if isinstance(given, Mapping):
        attrs = {str(k)[:40]: str(v).strip()[:200] for k, v in given.items() if str(v).strip()}
    elif kind in reg.kinds:
        attrs = {a: text(f"attr_{a}") for a in reg.kinds[kind].attrs if text(f"attr_{a}")}
    return RecordInput(kind, text("category", 32), text("name", 201), text("org_unit", 32), text("uscc", 40) or None,
                       text("ref", 100), text("sector", 24), text("operator", 8),
                       parse_day(text("valid_from", 20), "valid_from"), parse_day(text("valid_to", 20), "valid_to"),
                       attrs, call_id)


def form_values(row: RegistryRecordRow) -> dict[str, str]:
    """A record's fields as a form shows them."""
    values = {"kind": row.kind, "category": row.category, "name": row.name, "uscc": row.uscc or "", "ref": row.ref,
              "sector": row.sector, "org_unit": row.org_unit_code, "operator": row.operator,
              "valid_from": row.valid_from.isoformat() if row.valid_from else "",
              "valid_to": row.valid_to.isoformat() if row.valid_to else ""}
    values.update({f"attr_{k}": str(v) for k, v in json.loads(row.attrs or "{}").items()})
    return values


def places(tree: OrgUnitTree, grants: Sequence[Grant], lang: Lang) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """The places a user may enter records in, as (province code, name, its cities): every province for the
    ministry and operators, their own for a province's reporters."""
    mine = {g.org_unit for g in grants if g.role == Role.provincial_reporter and g.org_unit}
    wide = records.may_decide(grants) or any(g.role in SCOPED_TO_OPERATOR for g in grants)
    out = []
    for p in tree.at_level(1):
        if not wide and p.code not in mine and not any(m in tree.ancestors(p.code) for m in mine if m in tree.units):
            continue
        cities = [(c, unit_name(tree.units[c], lang)) for c in tree.children.get(p.code, [])
                  if tree.units[c].is_city]
        out.append((p.code, unit_name(p, lang), sorted(cities)))
    return out


def operators(tree: OrgUnitTree, grants: Sequence[Grant], lang: Lang) -> list[tuple[str, str]]:
    """The operators a user may enter networks and nodes for: all for the ministry, its own for an operator."""
    mine = {g.org_unit for g in grants if g.role in SCOPED_TO_OPERATOR}
    wide = records.may_decide(grants)
    return [(code, operator_name(tree, code, lang)) for code in records.OPERATORS if wide or code in mine]


def field_labels(lang: Lang) -> dict[str, str]:
    """A record's fields as the pages name them."""
    t = texts(lang)
    return {f: t.get(f"rg_{f}", f) for f in (*FIELDS, "status")} | {"org_unit": t["rg_place"],
                                                                     "attrs": t["rg_kind_fields"]}


def error_lines(exc: YangfanError, reg: Registry, lang: Lang) -> list[str]:
    """Each problem of an error in the page's language, named by the field's label where it has one."""
    t = texts(lang)
    names = field_labels(lang)
    out = []
    for i in exc.issues:
        message = i.message_zh if lang == "zh" else i.message_en
        where = names.get(i.location.field or "", i.location.field or "")
        if i.location.row is not None:
            where = f"{t['rg_row']} {i.location.row}" + (f" · {where}" if where else "")
        out.append(f"{where}{'：' if lang == 'zh' else ': '}{message}" if where else message)
    return out
