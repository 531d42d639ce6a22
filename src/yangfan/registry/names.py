"""Names as search and duplicate detection read them: legal-form words and brackets dropped, pinyin initials."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pypinyin import Style, lazy_pinyin
from rapidfuzz import fuzz, process

#: Words that say what legal form an organisation has, not which one it is (longest first, so that
#: 股份有限公司 goes before 有限公司). Dropping them makes “某某科技股份有限公司” and “某某科技有限公司” one name.
_LEGAL_FORMS = ("股份有限公司", "有限责任公司", "有限公司", "集团公司", "股份公司", "（集团）", "(集团)", "集团",
                "分公司", "公司", "股份", "有限")
_BRACKETS = re.compile(r"[（(][^（()）]*[)）]")
_DROP = re.compile(r"[\s·•．.,，、'\"“”‘’\-—_/]+")
#: Two normalised names at least this similar (rapidfuzz ratio, 0–100) are shown as possible duplicates.
SIMILAR = 90.0


def normalise(name: str) -> str:
    """The name duplicate detection compares: full-width folded, legal forms and bracketed words removed."""
    folded = _fold(name)
    text = folded
    for word in _LEGAL_FORMS:
        text = text.replace(_fold(word), "")
    text = _BRACKETS.sub("", text)
    # Dropping a space can join a combining mark to a letter: compose again.
    return unicodedata.normalize("NFKC", _DROP.sub("", text)) or folded


def _fold(text: str) -> str:
    """Full-width and compatibility forms folded, case folded (and folded again: case folding can undo NFKC)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold()).strip()


def searchable(name: str, *keys: str | None) -> str:
    """The text a search is matched in: the name folded, its normalised form, initials and the record's keys."""
    return "|".join([_fold(name), normalise(name), initials(name), *(_fold(k) for k in keys if k)])


def folded(text: str) -> str:
    """A search text as ``searchable`` folds it."""
    return _fold(text)


def initials(name: str) -> str:
    """Pinyin initials of the Chinese characters (中国移动 → zgyd); other characters as they are, lower case."""
    # Each Chinese character gives its initial; a run of other characters ("5G") comes back whole.
    letters = lazy_pinyin(unicodedata.normalize("NFKC", name), style=Style.FIRST_LETTER, errors="default")
    return "".join(ch for p in letters for ch in p if ch.isalnum()).lower()


@dataclass(frozen=True, slots=True)
class Candidate:
    """A record as duplicate detection sees it."""

    id: int
    kind: str
    name_norm: str
    uscc: str | None
    ref: str = ""


@dataclass(frozen=True, slots=True)
class Pair:
    """Two records that may be one: why, and how similar their names are."""

    a: int
    b: int
    reason: str  # 'uscc', 'ref' or 'name'
    score: float


def duplicates_of(new: Candidate, existing: Iterable[Candidate]) -> list[Pair]:
    """Records of the same kind that ``new`` may duplicate: the same credit code or own number, or a name
    at least ``SIMILAR`` alike after normalising."""
    out = []
    for c in existing:
        if c.id == new.id or c.kind != new.kind:
            continue
        if new.uscc and c.uscc == new.uscc:
            out.append(Pair(c.id, new.id, "uscc", 100.0))
        elif new.ref and c.ref == new.ref:
            out.append(Pair(c.id, new.id, "ref", 100.0))
        elif not _told_apart(c, new):
            score = fuzz.ratio(new.name_norm, c.name_norm)
            if score >= SIMILAR:
                out.append(Pair(c.id, new.id, "name", score))
    return sorted(out, key=lambda p: -p.score)


def _told_apart(a: Candidate, b: Candidate) -> bool:
    """Two records with different own numbers (standards, products) are two, however alike their names."""
    return bool(a.ref and b.ref and a.ref != b.ref)


def _same_keys(records: Sequence[Candidate]) -> dict[tuple[int, int], Pair]:
    """Pairs with the same credit code or own number."""
    found: dict[tuple[int, int], Pair] = {}
    for attr in ("uscc", "ref"):
        groups: dict[tuple[str, str], list[int]] = {}
        for r in records:
            key = getattr(r, attr)
            if key:
                groups.setdefault((r.kind, key), []).append(r.id)
        for ids in groups.values():
            for i, a in enumerate(ids):
                for b in ids[i + 1:]:
                    found.setdefault((a, b), Pair(a, b, attr, 100.0))
    return found


def pairs(records: Sequence[Candidate]) -> list[Pair]:
    """Every pair of possible duplicates among ``records``: equal keys by grouping, alike names with rapidfuzz's
    all-against-all matrix per kind (a few thousand names a kind take well under a second)."""
    found = _same_keys(records)
    # Names are compared within blocks of one kind and the same first two characters (mostly the place): a
    # typo there hides a pair, and in exchange all-against-all stays small for a hundred thousand records.
    blocks: dict[tuple[str, str], list[Candidate]] = {}
    for r in records:
        blocks.setdefault((r.kind, r.name_norm[:2]), []).append(r)
    for group in blocks.values():
        if len(group) < 2:
            continue
        names = [r.name_norm for r in group]
        scores = process.cdist(names, names, scorer=fuzz.ratio, score_cutoff=SIMILAR, workers=1)
        for i, j in zip(*scores.nonzero(), strict=True):
            a, b = group[i], group[j]
            if i < j and not _told_apart(a, b):
                found.setdefault((a.id, b.id), Pair(a.id, b.id, "name", float(scores[i, j])))
    return sorted(found.values(), key=lambda p: (-p.score, p.a, p.b))
