"""Check a plan's targets against the plan's own text: quotes verbatim, numbers and comparators as worded.

The plan's text is not shipped with Yangfan (it lives in the shared folder), so this is a check the
tests run where the text is present, not part of loading the catalog.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal

from yangfan.catalog.models import Target
from yangfan.errors import Issue, Location

#: Fragments of one clause are quoted joined by this.
ELLIPSIS = "……"
_TOP = re.compile(r"^([一二三四五六七八九十]+)、", re.M)
# A number as the plan writes it: not part of 5G, 4K/8K, IPv6 or 5G-A.
_NUMBER = re.compile(r"(?<![A-Za-z0-9.])(\d+(?:\.\d+)?)(万|亿)?(?![\d.]|[GKA-Za-z])")
_SCALE = {None: Decimal(1), "万": Decimal(10_000), "亿": Decimal(100_000_000)}
#: Words that make a number a floor to exceed (超); anything else — 达, 以上, 建成, 培育 … — is reached (达).
_STRICT = ("超", "突破", "超过")


def top_sections(text: str) -> dict[str, str]:
    """The plan's text under each top-level heading (一、二、…), by numeral."""
    marks = list(_TOP.finditer(text))
    return {m[1]: text[m.start():marks[i + 1].start() if i + 1 < len(marks) else len(text)]
            for i, m in enumerate(marks)}


def _numbers(quote: str) -> list[tuple[Decimal, str]]:
    """Each number in a quote, in base units, with the words just before it."""
    return [(Decimal(m[1]) * _SCALE[m[2]], quote[max(0, m.start() - 2):m.start()]) for m in _NUMBER.finditer(quote)]


def _issue(t: Target, file: str, fld: str, zh: str, en: str) -> Issue:
    return Issue("catalog.plan_text", zh, en, Location(file=file, entry=t.code, field=fld))


def check_targets(targets: Iterable[Target], text: str, file: str) -> list[Issue]:
    """Every problem of the targets against the plan text, each naming the target and the field."""
    sections = top_sections(text)
    issues: list[Issue] = []
    for t in targets:
        named = re.findall(r"([一二三四五六七八九十]+)[、（]", t.clause.section)
        where = [sections[n] for n in named if n in sections] or [text]
        for part in t.clause.quote.split(ELLIPSIS):
            if not any(part in w for w in where):
                issues.append(_issue(t, file, "clause.quote", f"引文不在方案原文（{t.clause.section}）中：“{part}”",
                                     f"quoted text is not in the plan (section {t.clause.section}): '{part}'"))
        issues.extend(_check_number(t, file))
    return issues


def _check_number(t: Target, file: str) -> list[Issue]:
    numbers = _numbers(t.clause.quote)
    if t.reading is not None:
        return []  # Yangfan's own reading: the number is not the plan's and says so wherever it shows
    if t.value is None:
        if numbers:
            return [_issue(t, file, "value", f"条款含数值 {numbers[0][0]:f}，目标却没有数值",
                           f"the clause states {numbers[0][0]:f} but the target has no value")]
        return []
    found = [(n, before) for n, before in numbers if n == Decimal(str(t.value))]
    if not found:
        return [_issue(t, file, "value", f"目标值 {t.value:g} 不在条款原文中",
                       f"target value {t.value:g} is not in the clause")]
    worded = "超" if any(found[0][1].endswith(w) for w in _STRICT) else "达"
    if t.comparator != worded:
        return [_issue(t, file, "comparator",
                       f"比较符“{t.comparator}”与条款措辞不符，应为“{worded}”（以上＝达，超/突破＝超）",
                       f"comparator '{t.comparator}' contradicts the wording: it reads '{worded}' "
                       "(以上 = at least, 超/突破 = strictly above)")]
    return []
