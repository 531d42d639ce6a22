"""File fuzzing of imports: thousands of generated CSV and XLSX files, valid and broken, through the real
``import_content`` into a real SQLite store.

The laws: nothing but a YangfanError escapes; a refused file writes nothing (data values, batches, audit
entries, sources); an accepted file stores exactly its rows, each number equal to the file's number in the
base unit; importing it again changes nothing. A file built only from valid parts must be accepted, a file
with a known defect refused. The figures go to test-artifacts/fuzz-files.json.

Hypothesis draws each file's recipe (row count, defects, encoding, line ends, blank rows, container); the
cells come from a random stream seeded by the whole example. Drawing every cell through hypothesis cost 30 ms
a file, three times the import itself, and 10,000 files have to fit in about a minute and a half.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import random
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Literal

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import select

from tests.builders import platform
from yangfan.collect.importer import import_content
from yangfan.context import Yangfan
from yangfan.errors import YangfanError
from yangfan.store.db import session_scope
from yangfan.store.models import DataValueRow, SourceRow

Verdict = Literal["accept", "refuse", "either"]

INDICATORS = {"bs_5g": "个", "bs_4g": "个", "users_5g_a": "户", "mobile_internet_traffic": "GB",
              "phone_shipments_5g": "部"}
UNITS = ["100000", "440000", "440300", "110101", "east"]
REQUIRED = ["indicator", "org_unit", "period", "value"]
OPTIONAL = ["unit", "qualifier", "disaggregation", "priority", "source_url", "note"]
FACTORS = {"": 1, "万": 10_000, "亿": 100_000_000}
EDGE_NUMBERS = ["0", "-0", "+.5", "7.", "1E3", "1e-300", "2.2250738585072014e-300", "0.30000000000000004",
                "1e300", "-1.7976931348623157e300"]
BAD_NUMBERS = ["NaN", "sNaN", "-nan", "Infinity", "-inf", "1e309", "-1e309", "1e-400", "5e-324", "1e99999",
               "1e999999999", "1e99999999999999999999999", "１２３", "1,5", "12,34", "1_000", "12%", "0x1F", "3 4",
               "1.2.3", "٣", "1" * 60, "--1", "e5", ""]
GOOD_URLS = ["", "https://example.org/a", "http://www.miit.gov.cn/x.html?y=1#z", "HTTPS://例子.中国/路径",
             "http://127.0.0.1:8080/"]
BAD_URLS = ["javascript:alert(1)", '=HYPERLINK("http://x")', "data:text/html,x", "/relative", "example.org",
            "ftp://example.org/a", "http://", "https://a b.org", "https://x.org/\x01", "https://x.org:99999/",
            "file:///etc/passwd", "https://x.org/\u202e"]
#: Characters of notes: CJK, quotes, separators, line breaks, a BOM, emoji, a line separator.
NOTE_CHARS = list("aZ 09,;\"'\t\n\r中文注释，。") + ["\ufeff", "\u2028", "\U0001f4f6", "\u00a0", "\\", "="]
#: XML holds no control characters and turns CR into LF; a note starting "=" is written as a formula.
XLSX_NOTE_CHARS = [c for c in NOTE_CHARS if c not in "\t\n\r="]
#: What can break one row: a field's text, or (XLSX) a cell of the wrong kind.
CSV_DEFECTS: list[tuple[str, object]] = [
    *(("value", t) for t in BAD_NUMBERS), ("overflow", "1e305"), *(("source_url", u) for u in BAD_URLS),
    *(("priority", t) for t in ["1.5", "x", "1e3", "1000", "１"]),
    *(("indicator", t) for t in ["no_such_code", "bs_5g_per_10k", ""]),
    *(("org_unit", t) for t in ["449999", "", "100000x"]),
    *(("period", t) for t in ["2025-13", "２０２５-０６", "2025Q2", "2025", "June", "1900-01"]),
    *(("unit", t) for t in ["千个", "万", "stations"]), ("qualifier", "about"), ("qualifier", "EXACT"),
    ("disaggregation", "x" * 101)]
XLSX_DEFECTS: list[tuple[str, object]] = [
    *((k, v) for k, v in CSV_DEFECTS if str(v).isprintable()),  # a cell cannot hold control characters
    *(("formula", c) for c in REQUIRED + ["note"]), ("date", date(2025, 6, 1)),
    ("error", "#N/A"), ("error", "#DIV/0!"), ("cell", float("inf")), ("cell", float("nan"))]
FILE_DEFECTS = ["duplicate", "header_only", "missing_column", "unknown_column", "repeated_column", "extra_cell"]

TALLY: Counter[str] = Counter()
DISTINCT: set[bytes] = set()
_names = itertools.count()

#: One store per test, shared by its examples: a fresh store per example would cost a second each.
FUZZ = settings(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="module", autouse=True)
def tally(artifacts_dir: Path) -> Iterator[None]:
    """Write the module's figures once its tests have run."""
    yield
    keys = ("files", "csv", "xlsx", "raw", "large", "accepted", "accepted_csv", "accepted_xlsx", "accepted_new",
            "accepted_repeat", "rejected", "built_valid", "built_broken", "built_unknown", "crashes",
            "writes_from_rejected")
    figures = {k: TALLY[k] for k in keys} | {"distinct_files": len(DISTINCT)}
    (artifacts_dir / "fuzz-files.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class Store:
    """The platform under test, and a plain second connection to its SQLite file that counts rows from outside."""

    y: Yangfan
    observer: sqlite3.Connection

    def counts(self) -> tuple[int, ...]:
        """Rows of every table an import writes to: data values, batches, audit entries, sources."""
        return tuple(self.observer.execute(
            "SELECT (SELECT count(*) FROM data_value), (SELECT count(*) FROM import_batch),"
            " (SELECT count(*) FROM audit_log), (SELECT count(*) FROM source)").fetchone())


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    # The store file on tmpfs where there is one: thousands of commits would otherwise wait on the disk's
    # fsync (a minute of the run), and durability is no part of the laws tested here.
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else tmp_path) as store_dir:
        y = platform(tmp_path, f"sqlite:///{store_dir}/store.sqlite")
        observer = sqlite3.connect(f"{store_dir}/store.sqlite", isolation_level=None)  # autocommit: sees commits
        try:
            yield Store(y, observer)
        finally:
            observer.close()
            y.engine.dispose()


# --- generated files ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    """One generated data row: its cells' text, and the number the store must hold for it (None once broken)."""

    cells: dict[str, str]
    value: float | None
    #: XLSX only: cells written as a number, a date, an error or a formula instead of text.
    typed: dict[str, object] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, ...]:
        """What makes two rows of one file duplicates."""
        c = self.cells
        return (c["indicator"], c["org_unit"], c["period"], c.get("disaggregation", ""), c.get("source_url", ""))


@dataclass(frozen=True)
class Spec:
    """A generated file before it is written out: its header, its rows and what must happen to it."""

    header: list[str]
    rows: list[Row]
    verdict: Verdict
    #: The defects built in, for the report of a failing case.
    defects: tuple[object, ...] = ()


def base_value(number: str, prefix: str) -> float:
    """The file's number in the base unit: the exact product, rounded to a float once; -0 is stored as 0."""
    with localcontext(prec=120):
        return float(Decimal(number.replace(",", "")) * FACTORS[prefix]) + 0.0


def random_number(rng: random.Random, prefix: str) -> str:
    """A valid number as people and programs write them; never one that overflows once multiplied by 10⁸."""
    kind = rng.randrange(5)
    if kind == 0:
        return str(Decimal(rng.randrange(-10**15, 10**15)).scaleb(-rng.randrange(7)))
    if kind == 1:
        return repr(rng.choice([-1, 1]) * 10 ** rng.uniform(-300, 300 if prefix != "亿" else 290))
    if kind == 2:
        return f"{rng.randrange(-10**15, 10**15):,}" + rng.choice(["", f".{rng.randrange(100):02d}"])
    if kind == 3:
        return rng.choice(EDGE_NUMBERS[:-2] if prefix == "亿" else EDGE_NUMBERS)
    return str(rng.randrange(0, 100_000))


def random_row(rng: random.Random, header: list[str], xlsx: bool, key: tuple[str, str, str] | None = None) -> Row:
    """A valid row holding the columns of ``header`` (for indicator, org unit and period ``key`` when given)."""
    ind, unit, period = key or (rng.choice(sorted(INDICATORS)), rng.choice(UNITS),
                                f"{rng.randrange(2019, 2031)}-{rng.randrange(1, 13):02d}")
    prefix = rng.choice(sorted(FACTORS)) if "unit" in header else ""
    number = random_number(rng, prefix)
    chars = XLSX_NOTE_CHARS if xlsx else NOTE_CHARS
    cells = {"indicator": ind, "org_unit": unit, "period": period, "value": number,
             "unit": prefix + INDICATORS[ind] if prefix or rng.random() < 0.5 else "",
             "qualifier": rng.choice(["", "exact", "approx", "lower_bound"]),
             "disaggregation": rng.choice(["", "operator=cmcc", "operator=cbn"]),
             "priority": rng.choice(["", str(rng.randrange(-999, 1000))]), "source_url": rng.choice(GOOD_URLS),
             "note": "".join(rng.choices(chars, k=rng.randrange(12)))}
    cells = {k: v for k, v in cells.items() if k in header}
    typed: dict[str, object] = {}
    if xlsx and rng.random() < 0.5 and "," not in number:  # (a cell holds no thousands separators)
        # A numeric cell: openpyxl writes it with "%.16g"; the file's number is the double that text denotes.
        typed["value"] = float(number)
        number = cells["value"] = repr(float(f"{float(number):.16g}"))
    if xlsx and rng.random() < 0.5 and cells["org_unit"].isdigit():
        typed["org_unit"] = int(cells["org_unit"])
    return Row(cells, base_value(number, prefix), typed)


#: The column a defect needs: without it in the header the defect cannot be written and the row stays valid.
_NEEDS = {"overflow": "unit", "date": "period", "error": "value", "cell": "value"}


def broken(row: Row, defect: tuple[str, object], header: list[str]) -> Row:
    """``row`` with ``defect``, or ``row`` itself when the header has no column to carry it."""
    kind, what = defect
    if (str(what) if kind == "formula" else _NEEDS.get(kind, kind)) not in header:
        return row
    cells, typed = dict(row.cells), dict(row.typed)
    if kind == "overflow":  # finite in 亿, infinite in the base unit: checked after the unit
        cells["value"], cells["unit"] = "1e305", "亿" + INDICATORS.get(cells["indicator"], "个")
        typed.pop("value", None)
    elif kind == "formula":
        typed[str(what)] = "=1+1"
    elif kind == "date":
        typed["period"] = what
    elif kind in ("error", "cell"):
        typed["value"] = what
    else:
        cells[kind] = str(what)
        typed.pop(kind, None)
    return replace(row, cells=cells, typed=typed, value=None)


@dataclass(frozen=True)
class Recipe:
    """What hypothesis draws for one file; the cells come from a random stream (see ``build``).

    Weighted choices are kept as the number drawn, not as the choice it maps to: two different draws then
    never make equal recipes, so that no two examples seed the same stream (see ``stream``).
    """

    xlsx: bool
    rows: int
    #: Half the files get no row defect: rolls 0 and 1 give none, 2 one, 3 two.
    defect_roll: int
    defects: tuple[tuple[str, object], ...]
    file_roll: int

    @property
    def file_defect(self) -> str | None:
        """Six files in ten without a defect of the whole file."""
        return None if self.file_roll < 9 else FILE_DEFECTS[self.file_roll - 9]


@st.composite
def recipes(draw: st.DrawFn, xlsx: bool, max_rows: int = 8) -> Recipe:
    """Up to ``max_rows`` rows, their defects and the file's."""
    roll = draw(st.integers(0, 3))
    defects = tuple(draw(st.sampled_from(XLSX_DEFECTS if xlsx else CSV_DEFECTS)) for _ in range((0, 0, 1, 2)[roll]))
    return Recipe(xlsx, draw(st.integers(1, max_rows)), roll, defects, draw(st.integers(0, 8 + len(FILE_DEFECTS))))


def build(recipe: Recipe, rng: random.Random) -> Spec:
    """A file: every required column and some optional ones in any order, valid rows, then the defects."""
    header = [*REQUIRED, *(c for c in OPTIONAL if rng.random() < 0.6)]
    rng.shuffle(header)
    rows: list[Row] = []
    for _ in range(recipe.rows):
        row = random_row(rng, header, recipe.xlsx)
        if row.key not in {r.key for r in rows}:
            rows.append(row)
    defects: list[object] = []
    for defect in recipe.defects:
        i = rng.randrange(len(rows))
        if (b := broken(rows[i], defect, header)) is not rows[i]:
            rows[i] = b
            defects.append((i, *defect))
    if recipe.file_defect is None:
        return Spec(header, rows, "refuse" if defects else "accept", tuple(defects))
    return Spec(*with_file_defect(rng, header, rows, recipe.file_defect), "refuse", (*defects, recipe.file_defect))


def stream(example: object) -> random.Random:
    """The random stream of one example, seeded by everything hypothesis drew for it.

    Hypothesis repeats drawn values often (of 9,000 seeds drawn, 2,100 differed), but never a whole example:
    a seed made of the whole example keeps files apart, and replaying the example rebuilds the same files.
    """
    return random.Random(repr(example))


def with_file_defect(rng: random.Random, header: list[str], rows: list[Row], defect: str
                     ) -> tuple[list[str], list[Row]]:
    """Header and rows with a defect of the whole file: each makes the file one to refuse."""
    if defect == "duplicate":
        return header, [*rows, replace(rows[0], value=None)]
    if defect == "header_only":
        return header, []
    if defect == "missing_column":
        dropped = rng.choice(REQUIRED)
        return [h for h in header if h != dropped], rows
    if defect == "unknown_column":
        # Not "Value" or "备注": those name columns (rows.ALIASES), and are repeated or read.
        return [*header, rng.choice(["comment", "数量", "values", "Value 2"])], rows
    if defect == "repeated_column":
        return [*header, rng.choice(header)], rows
    assert defect == "extra_cell"
    return header, [*rows[:-1], replace(rows[-1], cells={**rows[-1].cells, "": "stray"}, value=None)]


def _csv_line(cells: list[str], eol: str) -> str:
    # Quoted by hand: csv.writer leaves "\n" unquoted when the line end is "\r" (Python 3.11).
    return ",".join('"' + c.replace('"', '""') + '"' if any(ch in c for ch in ',"\r\n') else c for c in cells) + eol


def csv_bytes(spec: Spec, eol: str, encoding: str, blank_every: int) -> tuple[bytes, list[int]]:
    """The CSV file and each data row's number (a blank line takes a number, as in a spreadsheet)."""
    lines = [_csv_line(spec.header, eol)]
    numbers = []
    for i, r in enumerate(spec.rows):
        if blank_every and i % blank_every == blank_every - 1:
            lines.append(eol)
        numbers.append(len(lines) + 1)
        stray = [r.cells[""]] if "" in r.cells else []
        lines.append(_csv_line([r.cells.get(h, "") for h in spec.header] + stray, eol))
    if blank_every:
        lines.append(",,," + eol)  # a row of empty cells, as spreadsheets save them
    return "".join(lines).encode(encoding), numbers


def xlsx_bytes(spec: Spec, gap: int) -> tuple[bytes, list[int]]:
    """The workbook (data on the first sheet, a second sheet that is not read) and each data row's number."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("data")
    sheet.append(spec.header)
    numbers = []
    n = 1
    for i, r in enumerate(spec.rows):
        if gap and i % gap == gap - 1:
            sheet.append([])
            n += 1
        n += 1
        numbers.append(n)
        stray = [r.cells[""]] if "" in r.cells else []
        sheet.append([r.typed.get(h, r.cells.get(h, "")) for h in spec.header] + stray)
    book.create_sheet("notes").append(["not read"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), numbers


# --- the laws -----------------------------------------------------------------------------------------------

def _stored(y: Yangfan, batch_id: int | None) -> list[tuple[object, ...]]:
    with session_scope(y.engine) as s:
        rows = s.execute(select(DataValueRow, SourceRow.url).join(SourceRow, SourceRow.id == DataValueRow.source_id)
                         .where(DataValueRow.batch_id == batch_id)).all()
        return sorted(((r.source_row, r.indicator_code, r.org_unit_code, r.period_code, r.disaggregation, r.value,
                        r.qualifier, r.priority, url, r.note) for r, url in rows), key=repr)


def expected_rows(spec: Spec, numbers: list[int]) -> list[tuple[object, ...]]:
    """What the store must hold for an accepted file, in the order of ``_stored``."""
    out = []
    for n, r in zip(numbers, spec.rows, strict=True):
        c = {k: v.strip() for k, v in r.cells.items()}
        out.append((n, c["indicator"], c["org_unit"], c["period"], c.get("disaggregation", ""), r.value,
                    c.get("qualifier") or "exact", int(c.get("priority") or 0), c.get("source_url") or None,
                    c.get("note", "")))
    return sorted(out, key=repr)


def check_import(store: Store, content: bytes, suffix: str, verdict: Verdict,
                 expected: list[tuple[object, ...]] | None = None, defects: tuple[object, ...] = ()) -> None:
    """Import ``content`` under a new name and check the laws; ``expected`` is what an accepted file stores."""
    name = f"fuzz-{next(_names)}{suffix}"
    TALLY["files"] += 1
    DISTINCT.add(hashlib.sha256(content).digest())
    TALLY[{"accept": "built_valid", "refuse": "built_broken", "either": "built_unknown"}[verdict]] += 1
    note(f"{name} ({verdict}, defects {defects}): {content[:2000]!r}")
    y = store.y
    before = store.counts()
    try:
        result = import_content(y.engine, content, name, y.catalog, y.tree)
    except YangfanError as exc:
        TALLY["rejected"] += 1
        if store.counts() != before:
            TALLY["writes_from_rejected"] += 1
            pytest.fail("a refused file wrote to the store")
        assert exc.issues and all(i.message_zh and i.message_en and i.location.file == name for i in exc.issues)
        assert verdict != "accept", f"a valid file was refused: {exc}"
        return
    except Exception:
        TALLY["crashes"] += 1
        raise
    TALLY["accepted"] += 1
    TALLY["accepted_xlsx" if content.startswith(b"PK") else "accepted_csv"] += 1
    assert verdict != "refuse", "a file with a defect was accepted"
    after = store.counts()
    if result.repeated:  # the same bytes came earlier under another name: a no-op
        TALLY["accepted_repeat"] += 1
        assert after == before
        return
    TALLY["accepted_new"] += 1
    stored = _stored(y, result.batch_id)
    assert (result.inserted, result.revised) == (len(stored), 0)  # each file is a new source: nothing to revise
    assert after[:3] == (before[0] + len(stored), before[1] + 1, before[2] + 1)
    if expected is not None:
        assert stored == expected
    again = import_content(y.engine, content, name, y.catalog, y.tree)
    assert again.repeated and store.counts() == after


def _csv_verdict(spec: Spec, content: bytes, encoding: str) -> Verdict:
    if encoding != "gb18030" or content.isascii():
        return spec.verdict  # ASCII is the same bytes in GB18030 and UTF-8
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return spec.verdict  # not UTF-8, so read as GB18030: the same text
    return "either"  # GB18030 bytes that happen to be UTF-8 are read as UTF-8 (mojibake): cannot be told apart


# --- the tests ----------------------------------------------------------------------------------------------

def _several(strategy: st.SearchStrategy[object]) -> st.SearchStrategy[list[object]]:
    # Three files an example: hypothesis's own cost per example is as large as a refused import's.
    return st.lists(strategy, min_size=3, max_size=3)


CSV_FILES = _several(st.tuples(recipes(xlsx=False), st.sampled_from(["\n", "\r\n", "\r"]),
                               st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]), st.integers(0, 3)))


@settings(FUZZ, max_examples=1700)
@given(CSV_FILES)
def test_generated_csv_files(store: Store, files: list[tuple[Recipe, str, str, int]]) -> None:
    rng = stream(files)
    for recipe, eol, encoding, blank_roll in files:
        spec = build(recipe, rng)
        content, numbers = csv_bytes(spec, eol, encoding, (0, 0, 2, 3)[blank_roll])
        TALLY["csv"] += 1
        verdict = _csv_verdict(spec, content, encoding)
        check_import(store, content, ".csv", verdict, expected_rows(spec, numbers) if verdict == "accept" else None,
                     spec.defects)


@settings(FUZZ, max_examples=340)
@given(_several(st.tuples(recipes(xlsx=True), st.integers(0, 2), st.sampled_from([".xlsx", ".XLSX", ""]))))
def test_generated_xlsx_files(store: Store, files: list[tuple[Recipe, int, str]]) -> None:
    rng = stream(files)
    for recipe, gap_roll, suffix in files:
        spec = build(recipe, rng)
        content, numbers = xlsx_bytes(spec, (0, 0, 2)[gap_roll])
        TALLY["xlsx"] += 1
        check_import(store, content, suffix, spec.verdict,
                     expected_rows(spec, numbers) if spec.verdict == "accept" else None, spec.defects)


@st.composite
def damages(draw: st.DrawFn) -> tuple[str, bytes | Recipe]:
    """Random bytes, a valid header over random bytes, or (a recipe of) a file to cut short or overwrite."""
    kind = draw(st.sampled_from(["bytes", "header", "cut", "flip"]))
    if kind == "bytes":
        return kind, draw(st.binary(max_size=400))
    if kind == "header":
        return kind, (",".join(REQUIRED) + "\n").encode() + draw(st.binary(max_size=200))
    return kind, draw(recipes(xlsx=draw(st.booleans())))


def damaged(kind: str, what: bytes | Recipe, rng: random.Random) -> bytes:
    if isinstance(what, bytes):
        return what
    spec = build(what, rng)
    content = xlsx_bytes(spec, 0)[0] if what.xlsx else csv_bytes(spec, "\n", "utf-8", 0)[0]
    if kind == "cut":
        return content[:rng.randrange(len(content))]
    flipped = bytearray(content)
    for _ in range(rng.randrange(1, 4)):
        flipped[rng.randrange(len(flipped))] = rng.randrange(256)
    return bytes(flipped)


@settings(FUZZ, max_examples=1300)
@given(_several(damages()), st.sampled_from([".csv", ".xlsx", ""]))
def test_damaged_files(store: Store, files: list[tuple[str, bytes | Recipe]], suffix: str) -> None:
    rng = stream(files)
    for kind, what in files:
        TALLY["raw"] += 1
        check_import(store, damaged(kind, what, rng), suffix, "either")


@settings(FUZZ, max_examples=8)
@given(st.integers(300, 2500), st.booleans(), st.integers(0, 2**32 - 1))
def test_large_files(store: Store, n: int, xlsx: bool, seed: int) -> None:
    rng = random.Random(seed)
    header = REQUIRED + OPTIONAL
    periods = [f"{year}-{month:02d}" for year in range(2019, 2031) for month in range(1, 13)]
    keys = itertools.product(sorted(INDICATORS), UNITS, periods)
    rows = [random_row(rng, header, xlsx, key) for key in itertools.islice(keys, n)]
    spec = Spec(header, rows, "accept")
    content, numbers = xlsx_bytes(spec, 0) if xlsx else csv_bytes(spec, "\r\n", "utf-8-sig", 0)
    TALLY["large"] += 1
    check_import(store, content, ".xlsx" if xlsx else ".csv", "accept", expected_rows(spec, numbers))
    huge = (",".join(REQUIRED + ["note"]) + "\nbs_5g,100000,2025-01,1," + "x" * 200_000 + "\n").encode()
    check_import(store, huge, ".csv", "refuse")
