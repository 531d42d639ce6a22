"""Domain models of the catalog: plain frozen dataclasses used by the engine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from yangfan.geo.periods import Period, PeriodType

Comparator = Literal["超", "达", "track"]
#: How a value that is Yangfan's reading, not the plan's number, is labelled wherever it shows.
PLATFORM_READING = {"zh": "本平台口径", "en": "Yangfan's reading"}
#: How a deadline taken from the plan's horizon, not from the clause, is labelled.
HORIZON_DEADLINE = {"zh": "规划期末，条款未写明期限", "en": "the plan's horizon: the clause sets no date"}
TimeAggregation = Literal["stock", "flow", "ytd"]


@dataclass(frozen=True, slots=True)
class Display:
    """How people read a raw value: the unit they see and what to divide the base value by."""

    unit: str
    unit_en: str
    divisor: float = 1.0


@dataclass(frozen=True, slots=True)
class ScopeEra:
    """From ``start`` on (from the first figure when None), an indicator's figures cover ``code`` (口径)."""

    code: str
    start: Period | None = None


@dataclass(frozen=True, slots=True)
class Indicator:
    """An indicator (指标): raw values are stored; derived ones are computed from aggregated inputs."""

    code: str
    name_zh: str
    name_en: str
    definition_zh: str
    definition_en: str
    unit: str
    kind: Literal["raw", "derived"]
    decimals: int
    period_type: PeriodType = "month"
    org_aggregation: Literal["sum", "none"] = "sum"
    time_aggregation: TimeAggregation = "stock"
    numerator: tuple[str, ...] = ()
    denominator: tuple[str, ...] = ()
    scale: float = 1.0
    display: Display | None = None
    unit_en: str = ""
    #: Coverage eras, oldest first; empty when the coverage never changed (then figures carry no scope).
    scopes: tuple[ScopeEra, ...] = ()

    def __post_init__(self) -> None:
        starts = [e.start for e in self.scopes[1:] if e.start is not None]
        if self.scopes and (self.scopes[0].start is not None or len(starts) < len(self.scopes) - 1
                            or starts != sorted(starts)):
            raise ValueError(f"scopes of {self.code}: the first era has no start, the others start in order")
        if self.kind == "derived" and not (self.numerator and self.denominator):
            raise ValueError(f"derived indicator {self.code} needs a numerator and a denominator")
        if self.kind == "raw" and (self.numerator or self.denominator):
            raise ValueError(f"raw indicator {self.code} cannot have a numerator or denominator")

    def __repr__(self) -> str:
        return f"Indicator({self.code!r}, {self.kind})"

    def scope_at(self, period: Period) -> str:
        """The coverage of this indicator's figure for ``period`` ('' when its coverage never changed)."""
        code = ""
        for era in self.scopes:
            if era.start is None or era.start.start <= period.end_month.start:
                code = era.code
        return code

    @property
    def inputs(self) -> tuple[str, ...]:
        """Raw indicators a derived indicator is computed from (itself for a raw one)."""
        return tuple(dict.fromkeys(self.numerator + self.denominator)) if self.kind == "derived" else (self.code,)

    @property
    def display_unit(self) -> str:
        """The unit shown to people (万个, 亿户, %, …)."""
        return self.display.unit if self.display else self.unit

    @property
    def half_unit(self) -> float:
        """Half a unit of the last digit published (its ``decimals`` in its display unit), in the base unit:
        how far a published figure can be from the figure it rounds."""
        return 0.5 * self.display_divisor / float(10 ** self.decimals)

    @property
    def display_divisor(self) -> float:
        """Divide a stored base-unit value by this to show it in ``display_unit``."""
        return self.display.divisor if self.display else 1.0


@dataclass(frozen=True, slots=True)
class Clause:
    """Where in a plan a target is set: the section and the phrase that sets it."""

    section: str
    quote: str


@dataclass(frozen=True, slots=True)
class Plan:
    """A policy plan whose targets Yangfan tracks."""

    code: str
    title_zh: str
    title_en: str
    issued: Period
    issuer_zh: str
    baseline_period: Period
    on_track: float
    behind: float
    #: The plan's own horizon (到2027年底), which applies to clauses that set no date.
    horizon: Period | None = None
    #: The plan's full text, relative to the shared folder, where it is held.
    text: str | None = None


@dataclass(frozen=True, slots=True)
class Reading:
    """Yangfan's operational reading (本平台口径) of a clause that gives no number: why the value is what it is."""

    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class Target:
    """A target (目标) of a plan: indicator, value, comparator (超 strictly above, 达 at least), deadline."""

    code: str
    plan: str
    indicator: str
    comparator: Comparator
    clause: Clause
    scope: str = "nation"
    value: float | None = None
    deadline: Period | None = None
    note: str = ""
    #: Set when the value is Yangfan's reading of a clause without a number, not the plan's own figure.
    reading: Reading | None = None
    #: 'clause': the clause sets the date; 'plan': it sets none and the plan's horizon applies.
    deadline_from: Literal["clause", "plan"] = "clause"
    #: A derived indicator that computes the same figure from reported inputs (the operators' traffic, the
    #: provinces' survey counts): it stands in at the periods for which the published figure is missing.
    computed: str | None = None
    #: A count of registry records (名录) of the same thing: shown beside the published figure with the
    #: difference, never in its place.
    registry: str | None = None

    def __post_init__(self) -> None:
        if self.comparator != "track" and self.value is None:
            raise ValueError(f"target {self.code} with comparator {self.comparator} needs a value")
        if self.reading is not None and self.value is None:
            raise ValueError(f"target {self.code} has a reading but no value to read")

    @property
    def platform_reading(self) -> bool:
        """The value is Yangfan's reading (本平台口径), not a number the plan states."""
        return self.reading is not None

    def __repr__(self) -> str:
        return f"Target({self.code!r}, {self.indicator} {self.comparator} {self.value})"

    def is_met(self, value: float) -> bool:
        """超 is strictly above; 达 is at least."""
        if self.value is None:
            return False
        return value > self.value if self.comparator == "超" else value >= self.value
