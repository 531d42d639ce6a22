"""Validate incoming rows of data values: every problem named by file, row and field, in zh and en."""

from __future__ import annotations

import math
import re
import sys
import unicodedata
from collections.abc import Iterable, Mapping
from decimal import Context, Decimal
from urllib.parse import urlsplit

from yangfan.catalog import Catalog, Indicator
from yangfan.errors import Issue, Location, YangfanError
from yangfan.geo.orgunits import OrgUnitTree
from yangfan.geo.periods import Period, parse_period
from yangfan.store.values import QUALIFIERS, NewValue, Qualifier

REQUIRED = ("indicator", "org_unit", "period", "value")
#: Every column an import file may have: any other is refused, so that nothing in a file is silently ignored.
COLUMNS = (*REQUIRED, "unit", "qualifier", "disaggregation", "scope", "priority", "source_url", "note")
#: Other names a header may give each column: the Chinese headings of the sheets reporters already keep. A header
#: is matched after ``header_key`` (full-width forms folded, spaces and brackets around it dropped, case ignored).
ALIASES: dict[str, tuple[str, ...]] = {
    "indicator": ("指标", "指标代码"),
    "org_unit": ("组织单元", "单位代码", "地区代码", "行政区划代码"),
    "period": ("期间", "统计期"),
    "value": ("数值", "值"),
    "unit": ("单位", "计量单位"),
    "qualifier": ("限定词",),
    "disaggregation": ("分组", "分类"),
    "scope": ("口径",),
    "priority": ("优先级",),
    "source_url": ("来源网址", "来源"),
    "note": ("备注", "说明"),
}
# Around a header, not inside it: spaces (a BOM and zero-width ones too) and brackets or quotes, as people
# decorate headings (（数值）, 【备注】, “期间”); NFKC has already folded the full-width （）［］ into ASCII.
_HEADER_DECORATION = " \t\r\n\ufeff\u200b()[]{}<>【】〔〕〖〗《》〈〉「」『』“”‘’\"'"
_ENGLISH_GAP = re.compile(r"[ \-]+")
PREFIXES = {"": Decimal(1), "万": Decimal(10_000), "亿": Decimal(100_000_000)}
#: Longer numbers carry no meaning for a statistic and only make Decimal and float work hard.
MAX_NUMBER_CHARS = 50
PRIORITIES = range(-999, 1000)
MAX_URL_CHARS = 2000
#: The store's column width (``data_value.disaggregation``); PostgreSQL would refuse a longer one mid-batch.
MAX_DISAGGREGATION_CHARS = 100

# ASCII digits only: Decimal() also takes full-width and other Unicode digits, "1_000", "NaN" and "Infinity".
_PLAIN = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
# Thousands separators only in groups of three: "1,5" may be a decimal comma and is not guessed at.
_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")
_INTEGER = re.compile(r"[+-]?[0-9]{1,4}")
#: Digits enough for the exact product of any accepted number (``MAX_NUMBER_CHARS``) and a unit's factor.
_EXACT = Context(prec=2 * MAX_NUMBER_CHARS)


def header_key(name: str) -> str:
    """A column heading as it is compared: NFKC (full-width letters and brackets folded), decoration around it
    dropped, case folded, and spaces or hyphens inside an English name read as ``_`` (``Org Unit`` = org_unit)."""
    key = unicodedata.normalize("NFKC", name).strip(_HEADER_DECORATION).casefold()
    return _ENGLISH_GAP.sub("_", key) if key.isascii() else key


_BY_KEY = {header_key(name): column for column in COLUMNS for name in (column, *ALIASES.get(column, ()))}


def column_of(name: str) -> str | None:
    """The column a header names (``数值`` → value), or None for a heading that is no known column."""
    return _BY_KEY.get(header_key(name))


def known_columns(lang: str) -> str:
    """Every column with the other names it may be given, for the message that refuses an unknown heading."""
    sep, left, right = ("、", "（", "）") if lang == "zh" else (", ", " (", ")")
    names = (f"{c}{left}{sep.join(ALIASES[c])}{right}" if ALIASES.get(c) else c for c in COLUMNS)
    return ("；" if lang == "zh" else "; ").join(names)


def shown(text: str, limit: int = 60) -> str:
    """``text`` fit for a message: control characters escaped, long text cut."""
    safe = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text[:limit])
    return safe + ("…" if len(text) > limit else "")


def _wide_digits(text: str) -> bool:
    """True when ``text`` holds digits other than ASCII 0-9 (full-width １２３, Arabic-Indic, …)."""
    return any(c.isdigit() and not c.isascii() for c in text)


def parse_number(text: str) -> Decimal:
    """A published figure as an exact decimal: ASCII digits, an optional exponent, thousands separators in
    groups of three; anything else (NaN, Infinity, full-width digits, 1_000, 12%) is a clear error."""
    if len(text) > MAX_NUMBER_CHARS:
        raise YangfanError.single("row.value_long", f"数值“{shown(text, 20)}”超过 {MAX_NUMBER_CHARS} 个字符",
                                  f"value '{shown(text, 20)}' is longer than {MAX_NUMBER_CHARS} characters")
    if _PLAIN.fullmatch(text):  # the usual figure, tried first: a plain number has no separators to read
        pass
    elif _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    elif "," in text and _PLAIN.fullmatch(text.replace(",", "")):
        raise YangfanError.single("row.value_separator",
                                  f"数值“{shown(text)}”的千分位逗号应每三位一个（小数点请用“.”）",
                                  f"value '{shown(text)}' has thousands separators out of place: one every three "
                                  "digits ('.' for decimals)")
    elif _wide_digits(text) or any("\uff00" <= c <= "\uffef" for c in text):
        raise YangfanError.single("row.value_fullwidth", f"数值“{shown(text)}”含全角字符，请使用半角数字",
                                  f"value '{shown(text)}' has full-width characters: write it in ASCII digits")
    else:
        raise YangfanError.single("row.value", f"数值“{shown(text)}”不是有效数字",
                                  f"value '{shown(text)}' is not a number")
    try:
        return Decimal(text)
    except ArithmeticError:  # an exponent beyond even Decimal's range, e.g. 1e99999999999999999999
        raise YangfanError.single("row.value_range", f"数值“{shown(text)}”超出可存储的范围",
                                  f"value '{shown(text)}' is out of the range that can be stored") from None


def to_base(value: Decimal, factor: Decimal) -> float | None:
    """``value × factor`` as the float the store keeps, or None when a float cannot hold it: beyond ±1.8e308,
    or so small that it would become 0 or a subnormal that has lost digits.

    The range is checked on the exponent first, so that 1e999999999 costs no arithmetic; the product is
    exact (enough digits for any accepted number) and rounded to a float once.
    """
    if value.is_zero():
        return 0.0  # -0 is stored as 0: the same number, and it would print as "-0" in exports
    if not -400 < value.adjusted() < 400:
        return None
    result = float(_EXACT.multiply(value, factor))
    if math.isinf(result) or abs(result) < sys.float_info.min:
        return None
    return result


def valid_url(text: str) -> bool:
    """True for an absolute http:// or https:// address with a host, free of spaces and control characters."""
    if len(text) > MAX_URL_CHARS or any(unicodedata.category(c)[0] in "CZ" for c in text):
        return False
    try:
        parts = urlsplit(text)
        _ = parts.port  # raises ValueError on a port that is not a number in 0..65535
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def unit_factor(given: str, base: str) -> Decimal | None:
    """Multiplier from a published unit (万个, 亿户) to the indicator's base unit (个, 户); None if unrelated."""
    if given in ("", base):
        return Decimal(1)
    for prefix, factor in PREFIXES.items():
        if prefix and given == prefix + base:
            return factor
    return None


class _RowChecker:
    """Checks one row at a time and collects issues."""

    def __init__(self, catalog: Catalog, tree: OrgUnitTree, file: str, source_kind: str = "import",
                 source_title: str = "") -> None:
        self.catalog, self.tree, self.file = catalog, tree, file
        self.source_kind, self.source_title = source_kind, source_title
        self.issues: list[Issue] = []
        # A file names a few periods, units and units of measure on many rows: each is parsed or looked up once.
        self._periods: dict[str, Period] = {}
        self._existed: dict[tuple[str, str], bool] = {}  # by org unit and period text: str hashes are cached
        self._factors: dict[tuple[str, str], Decimal | None] = {}
        self._codes: dict[str, str] = {}
        self._scopes: dict[tuple[str, str], str] = {}

    def problem(self, row: int, fld: str, code: str, zh: str, en: str) -> None:
        self.issues.append(Issue(code, zh, en, Location(file=self.file, row=row, field=fld)))

    def check(self, n: int, raw: Mapping[str, str | None]) -> NewValue | None:
        """The row as a data value, or None after recording its problems."""
        # Empty cells are left out: optional fields are read with a default, required ones checked first.
        get = {k: v.strip() for k, v in raw.items() if k is not None and v}
        if not (get.get("indicator") and get.get("org_unit") and get.get("period") and get.get("value")):
            for f in REQUIRED:
                if not get.get(f):
                    self.problem(n, f, "row.missing", "缺少必填字段", "required field is empty")
            return None
        ind, period = self._key(n, get)
        qualifier = self._qualifier(n, get.get("qualifier") or "exact")
        number = self._number(n, get["value"])
        factor = self._factor(n, get.get("unit", ""), ind.unit if ind else None)
        details = self._details(n, get)
        # The value's range is checked whenever it can be, so that one reading names every problem of the row.
        value = (self._base_value(n, get["value"], number, factor, ind.unit)
                 if ind is not None and number is not None and factor is not None else None)
        if ind is None or period is None or qualifier is None or value is None or details is None:
            return None
        scope = self._scope(n, ind, period, get["period"], get.get("scope", ""), get.get("disaggregation", ""))
        if scope is None:
            return None
        priority, url = details
        return NewValue(
            indicator=ind.code, org_unit=get["org_unit"], period=self._codes[get["period"]], value=value,
            disaggregation=get.get("disaggregation", ""), qualifier=qualifier, scope=scope, priority=priority,
            source_kind=self.source_kind, source_title=self.source_title, source_url=url, source_row=n,
            note=get.get("note", ""))

    def _qualifier(self, n: int, qualifier: str) -> Qualifier | None:
        for q in QUALIFIERS:
            if qualifier == q:
                return q
        self.problem(n, "qualifier", "row.qualifier", f"限定词“{shown(qualifier)}”无效，应为 {'/'.join(QUALIFIERS)}",
                     f"qualifier '{shown(qualifier)}' is not one of {', '.join(QUALIFIERS)}")
        return None

    def _details(self, n: int, get: dict[str, str]) -> tuple[int, str | None] | None:
        """Priority and source address of a row, its disaggregation checked for width; None after a problem."""
        text, url, disaggregation = get.get("priority", ""), get.get("source_url", ""), get.get("disaggregation", "")
        ok = True
        if text and not (_INTEGER.fullmatch(text) and int(text) in PRIORITIES):
            ok = False
            self.problem(n, "priority", "row.priority",
                         f"优先级“{shown(text)}”应为 {PRIORITIES[0]} 到 {PRIORITIES[-1]} 之间的整数",
                         f"priority '{shown(text)}' must be a whole number from {PRIORITIES[0]} to {PRIORITIES[-1]}")
        if url and not valid_url(url):
            ok = False
            self.problem(n, "source_url", "row.source_url",
                         f"来源网址“{shown(url)}”无效：应为以 http:// 或 https:// 开头、含主机名、不含空格的完整网址",
                         f"source_url '{shown(url)}' is not an absolute http:// or https:// address with a host "
                         "and without spaces")
        if len(disaggregation) > MAX_DISAGGREGATION_CHARS:
            ok = False
            self.problem(n, "disaggregation", "row.disaggregation_long",
                         f"分组“{shown(disaggregation, 20)}”超过 {MAX_DISAGGREGATION_CHARS} 个字符",
                         f"disaggregation '{shown(disaggregation, 20)}' is longer than {MAX_DISAGGREGATION_CHARS} "
                         "characters")
        return (int(text or 0), url or None) if ok else None

    def _key(self, n: int, get: dict[str, str]) -> tuple[Indicator | None, Period | None]:
        """Indicator, org unit and period of a row, each checked and checked against the others."""
        ind = self._indicator(n, get["indicator"])
        known_unit = get["org_unit"] in self.tree
        if not known_unit:
            self.problem(n, "org_unit", "row.org_unit", f"未知的组织单元代码“{get['org_unit']}”",
                         f"unknown org unit code '{get['org_unit']}'")
        period = self._period(n, get["period"])
        if period is None:
            return ind, None
        if known_unit and not self._unit_existed(get["org_unit"], get["period"], period):
            self.problem(n, "org_unit", "row.org_unit_validity",
                         f"组织单元 {get['org_unit']} 在 {period} 不存在（已撤销或尚未设立）",
                         f"org unit {get['org_unit']} did not exist in {period} (abolished or not yet created)")
            return ind, None
        if ind is not None and period.type != ind.period_type:
            self.problem(n, "period", "row.period_type", f"{ind.code} 按{ind.period_type}报送，不能使用期间 {period}",
                         f"{ind.code} is reported per {ind.period_type}, not for period {period}")
            return ind, None
        return ind, period if known_unit else None

    def _period(self, n: int, text: str) -> Period | None:
        """A row's period, parsed once per distinct text; None after a problem."""
        period = self._periods.get(text)
        if period is not None:
            return period
        if _wide_digits(text):  # parse_period's \d takes them too: refused, as in values
            self.problem(n, "period", "period.format", f"期间“{shown(text)}”含全角字符，请使用半角数字",
                         f"period '{shown(text)}' has full-width characters: write it in ASCII digits")
            return None
        try:
            period = parse_period(text)
        except YangfanError as exc:
            i = exc.issues[0]
            self.problem(n, "period", i.code, i.message_zh, i.message_en)
            return None
        self._periods[text] = period
        self._codes[text] = str(period)
        return period

    def _unit_existed(self, code: str, text: str, period: Period) -> bool:
        """True when the (known) org unit existed at the end of ``period`` (written ``text``)."""
        existed = self._existed.get((code, text))
        if existed is None:
            existed = self._existed[(code, text)] = self.tree.get(code).valid_on(period.end_month.start)
        return existed

    def _scope(self, n: int, ind: Indicator, period: Period, text: str, given: str, disaggregation: str
               ) -> str | None:
        """The figure's coverage: the catalog's for its period; a restatement on a later coverage says so in
        its disaggregation (``scope=basic_4``) and is kept beside the figure as published, never instead of it."""
        restated = disaggregation.removeprefix("scope=") if disaggregation.startswith("scope=") else None
        if restated is not None and restated in {e.code for e in ind.scopes}:
            expected = restated
        else:
            expected = self._scope_at(ind, period, text)
        if not ind.scopes and (given or restated):
            self.problem(n, "scope", "row.scope_none", f"{ind.code} 的口径未变化过，不能标注口径“{given or restated}”",
                         f"{ind.code} has one coverage throughout: scope '{given or restated}' does not apply")
            return None
        if restated is not None and restated != expected:
            self.problem(n, "disaggregation", "row.scope_restated", f"{ind.code} 没有口径“{restated}”",
                         f"{ind.code} has no coverage '{restated}'")
            return None
        if given and given != expected:
            self.problem(n, "scope", "row.scope", f"{ind.code} 在 {period} 的口径为“{expected}”，不是“{given}”"
                         "（调整后口径的重述数请在分组列写 scope=口径）",
                         f"{ind.code} covers '{expected}' in {period}, not '{given}' (a restatement on a later "
                         "coverage goes in the disaggregation column as scope=<code>)")
            return None
        return expected

    def _scope_at(self, ind: Indicator, period: Period, text: str) -> str:
        """The catalog's coverage of ``ind`` in ``period`` (written ``text``), looked up once per indicator and
        period."""
        key = (ind.code, text)
        scope = self._scopes.get(key)
        if scope is None:
            scope = self._scopes[key] = ind.scope_at(period)
        return scope

    def _indicator(self, n: int, code: str) -> Indicator | None:
        ind = self.catalog.indicators.get(code)
        if ind is None:
            self.problem(n, "indicator", "row.indicator", f"未知指标“{code}”", f"unknown indicator '{code}'")
        elif ind.kind == "derived":
            self.problem(n, "indicator", "row.derived", f"{ind.code} 是派生指标，由分子分母计算，不能直接报送",
                         f"{ind.code} is derived from its numerator and denominator and cannot be reported")
            return None
        return ind

    def _number(self, n: int, text: str) -> Decimal | None:
        try:
            return parse_number(text)
        except YangfanError as exc:
            i = exc.issues[0]
            self.problem(n, "value", i.code, i.message_zh, i.message_en)
            return None

    def _base_value(self, n: int, text: str, number: Decimal, factor: Decimal, base: str) -> float | None:
        # Checked after the unit: 1e305 万个 is a finite number of 万 but an infinite number of 个.
        value = to_base(number, factor)
        if value is None:
            self.problem(n, "value", "row.value_range", f"数值“{shown(text)}”换算为{base}后超出可存储的范围",
                         f"value '{shown(text)}' in {base} is out of the range that can be stored "
                         "(beyond ±1.8e308, or too close to 0)")
        return value

    def _factor(self, n: int, unit: str, base: str | None) -> Decimal | None:
        if base is None:
            return None
        if (unit, base) not in self._factors:
            self._factors[(unit, base)] = unit_factor(unit, base)
        factor = self._factors[(unit, base)]
        if factor is None:
            self.problem(n, "unit", "row.unit", f"单位“{unit}”与指标单位“{base}”不相容",
                         f"unit '{unit}' does not convert to the indicator's unit '{base}'")
        return factor


def validate_rows(rows: Iterable[Mapping[str, str | None]], catalog: Catalog, tree: OrgUnitTree, file: str,
                  first_row: int = 2, source_kind: str = "import", source_title: str = "",
                  numbers: Iterable[int] | None = None) -> list[NewValue]:
    """Turn raw rows into data values, or raise one error listing every problem.

    ``numbers`` are the rows' numbers in the file (a file's blank rows are skipped); without them rows count
    on from ``first_row``, the file's row number of the first data row (2 under a CSV header).
    Two rows with the same indicator × org unit × period × disaggregation from the same source
    are a duplicate.
    """
    checker = _RowChecker(catalog, tree, file, source_kind, source_title)
    out: list[NewValue] = []
    seen: dict[tuple[object, ...], int] = {}
    numbered = enumerate(rows, start=first_row) if numbers is None else zip(numbers, rows, strict=True)
    for n, raw in numbered:
        v = checker.check(n, raw)
        if v is None:
            continue
        key = (v.indicator, v.org_unit, v.period, v.disaggregation, v.source_kind, v.source_url, v.source_title)
        dup = seen.get(key)
        if dup is not None:
            checker.problem(n, "period", "row.duplicate", f"与第 {dup} 行重复（同一指标、单元、期间、分组和来源）",
                            f"duplicates row {dup} (same indicator, org unit, period, disaggregation and source)")
            continue
        seen[key] = n
        out.append(v)
    if checker.issues:
        raise YangfanError(checker.issues)
    return out

