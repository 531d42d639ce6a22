"""Validation issues and the one error type the core raises.

An issue is a value (level, code, location, zh and en message) so that a batch of
problems can be sorted, rendered as a table or JSON, and shown in both languages.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

Level = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Location:
    """Where a problem sits: a file and row/field, or an indicator × org unit × period."""

    file: str | None = None
    row: int | None = None
    field: str | None = None
    entry: str | None = None

    def __str__(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.entry:
            parts.append(self.entry)
        if self.field:
            parts.append(f"field '{self.field}'")
        return ", ".join(parts) or "-"


@dataclass(frozen=True, slots=True)
class Issue:
    """One validation problem, in Chinese and English."""

    code: str
    message_zh: str
    message_en: str
    location: Location = field(default_factory=Location)
    level: Level = "error"

    def __str__(self) -> str:
        where = str(self.location)
        prefix = "" if where == "-" else f"{where}: "
        return f"{prefix}{self.message_zh} / {self.message_en} [{self.code}]"

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready form for reports and API errors."""
        return {
            "level": self.level,
            "code": self.code,
            "file": self.location.file,
            "row": self.location.row,
            "field": self.location.field,
            "entry": self.location.entry,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }


class YangfanError(Exception):
    """A domain error carrying one or more issues; the CLI and web map it to output."""

    def __init__(self, issues: Iterable[Issue]) -> None:
        self.issues = tuple(issues)
        super().__init__("\n".join(str(i) for i in self.issues))

    @classmethod
    def single(
        cls, code: str, zh: str, en: str, location: Location | None = None
    ) -> YangfanError:
        """Shorthand for an error with one issue."""
        return cls([Issue(code, zh, en, location or Location())])


def raise_if_errors(issues: Iterable[Issue]) -> None:
    """Raise when any issue is an error; warnings pass."""
    errors = [i for i in issues if i.level == "error"]
    if errors:
        raise YangfanError(errors)
