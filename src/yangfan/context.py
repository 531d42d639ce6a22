"""The running platform: settings, store, catalog, org units and analytics, wired once.

The CLI and the web app each build one ``Yangfan`` and call its methods; nothing else wires parts.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from yangfan.analytics.builder import Builder
from yangfan.analytics.progress import Progress, progress_table
from yangfan.analytics.query import Analytics, Figure, Query
from yangfan.catalog import Catalog, get_catalog
from yangfan.errors import YangfanError
from yangfan.geo.orgunits import OrgUnitTree, get_tree
from yangfan.settings import Settings, get_settings

# The store (SQLAlchemy, Alembic) is imported where it is used: a query needs only DuckDB,
# and this keeps `yangfan query` quick to start.
if TYPE_CHECKING:
    from sqlalchemy import Engine

    from yangfan.collect.demo_returns import DemoRound
    from yangfan.collect.forms import Form
    from yangfan.collect.rules import Rules
    from yangfan.registry.kinds import Registry
    from yangfan.store.repository import WriteResult


_THREAD_LOCK = threading.Lock()


@contextmanager
def build_lock(analytics: Path) -> Iterator[None]:
    """Exclusive right to build the analytics file: a thread lock within the process, a file lock between
    processes (released by the kernel if the holder dies, so a killed build never blocks the next one)."""
    analytics.parent.mkdir(parents=True, exist_ok=True)
    with _THREAD_LOCK, open(analytics.with_suffix(".lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class Yangfan:
    """One platform instance over one store and one analytics file."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self._builder: Builder | None = None

    @cached_property
    def engine(self) -> Engine:
        """The store's SQLAlchemy engine."""
        from yangfan.store import audit
        from yangfan.store.db import make_engine

        engine = make_engine(self.settings.store_url)
        audit.bind(engine, self.settings)  # the audit key and the checkpoint folder of this platform
        return engine

    def today(self) -> date:
        """The reporting calendar's date (``settings.today``, else the system date)."""
        return self.settings.today or date.today()

    @cached_property
    def forms(self) -> dict[str, Form]:
        """The report forms (报表), checked against the catalog and the org units."""
        from yangfan.collect.forms import get_forms

        return get_forms(self.catalog, self.tree)

    @cached_property
    def rules(self) -> Rules:
        """The validation rules (审核公式) every return and import passes."""
        from yangfan.collect.rules import load_rules

        return load_rules()

    @cached_property
    def registry(self) -> Registry:
        """The registries (名录): kinds of record and the counts that feed the catalog."""
        from yangfan.registry.kinds import get_registry

        return get_registry(self.catalog)

    @cached_property
    def catalog(self) -> Catalog:
        """Indicators, plans and targets."""
        return get_catalog()

    @cached_property
    def tree(self) -> OrgUnitTree:
        """Org units, groups and reporting units."""
        return get_tree(self.settings.division_dir)

    @cached_property
    def analytics(self) -> Analytics:
        """The query engine over the analytics file."""
        from yangfan.analytics.timerules import population_year_rule

        return Analytics(self.settings.analytics_path, self.catalog, self.tree,
                         population_year_rule(self.settings.population_vintage))

    def init(self) -> None:
        """Create or upgrade the store's schema and mirror the catalog and org units into it."""
        from yangfan.store.db import migrate, session_scope
        from yangfan.store.repository import sync_reference

        migrate(self.engine)
        with session_scope(self.engine) as session:
            sync_reference(session, self.catalog, self.tree)

    def load_history(self) -> dict[str, WriteResult]:
        """Load the real published history (idempotent)."""
        from yangfan.collect.published import load_history

        return load_history(self.engine, self.catalog, self.tree)

    def load_demo_values(self) -> WriteResult:
        """Demo figures (演示数据) for provinces and cities, apportioned from the published totals
        in the analytics table (so rebuild first, and again after); repeating it changes nothing."""
        from yangfan.collect.synthetic import demo_values, fingerprint
        from yangfan.store.db import session_scope
        from yangfan.store.repository import write_batch

        values = demo_values(self.analytics, self.tree)
        with session_scope(self.engine) as session:
            return write_batch(session, "demo-subnational", fingerprint(values), values, status="published")

    def rebuild(self, say: Callable[[str], None] = lambda _m: None) -> dict[str, float]:
        """Rebuild the analytics in full from the store's released values (recovery; one build at a time, across
        processes)."""
        from yangfan.analytics.cube import rebuild

        with build_lock(self.settings.analytics_path):
            return rebuild(self.engine, self.settings.analytics_path, self.catalog, self.tree, say)

    def behind(self) -> bool:
        """True when the store holds committed changes that the analytics build does not include."""
        return self.pending() > 0

    def pending(self) -> int:
        """How many changes committed to the store the analytics build does not include yet."""
        from sqlalchemy import func, select

        from yangfan.store.db import session_scope
        from yangfan.store.models import ChangeRow

        try:
            applied = self.analytics.build.applied_change
        except YangfanError:  # not built yet: everything is pending
            applied = 0
        with session_scope(self.engine) as session:
            return int(session.scalar(select(func.count()).where(ChangeRow.id > applied)) or 0)

    def follow(self, say: Callable[[str], None] = lambda _m: None) -> dict[str, float] | None:
        """Bring the analytics up to the store's last change, recomputing only what the changes touched;
        returns the build's figures, or None when there was nothing to apply.

        Callers that arrive while a build runs wait for it and then find nothing left to do: changes that
        arrive together are applied by one build.
        """
        from yangfan.analytics.incremental import update

        with build_lock(self.settings.analytics_path):
            return update(self.engine, self.settings.analytics_path, self.catalog, self.tree, say)

    def start_builder(self, after: Callable[[], object] | None = None) -> Builder:
        """Start this process's background builder (a server does; the CLI builds in the foreground); ``after``
        runs after each build it applies."""
        if self._builder is None:
            path = self.settings.analytics_path
            self._builder = Builder(self.follow, path.with_suffix(".leader"), self.settings.build_poll_seconds,
                                    after)
            self._builder.start()
        return self._builder

    def stop_builder(self) -> None:
        if self._builder is not None:
            self._builder.stop()
            self._builder = None

    @property
    def builder(self) -> Builder | None:
        """This process's background builder, when it runs one."""
        return self._builder

    def changed(self) -> None:
        """A change was committed to the store: have the builder apply it (no waiting for the build)."""
        if self._builder is not None:
            self._builder.notify()

    def load_demo_returns(self, say: Callable[[str, int, int], None] = lambda _m, _i, _n: None) -> DemoRound:
        """The demo's 2026 reporting rounds (演示数据), filed through the reporting pipeline; the analytics must
        hold the demo's provincial totals first (``load_demo_values`` and a rebuild)."""
        from yangfan.collect import demo_returns

        done = demo_returns.fill(self.engine, self.analytics, self.catalog, self.tree, self.forms, self.today(), say)
        self.count_returns()
        return done

    def count_returns(self) -> WriteResult:
        """Store the completeness and timeliness of reporting as of today (``reports_*`` per province and
        month); counts that have not moved change nothing."""
        from yangfan.collect import completeness
        from yangfan.collect.reporting import obligations
        from yangfan.collect.synthetic import fingerprint
        from yangfan.store.db import session_scope
        from yangfan.store.repository import write_batch

        with session_scope(self.engine) as session:
            found = completeness.values(obligations(session, self.forms, self.tree, self.today()))
            return write_batch(session, f"completeness {self.today()}", fingerprint(found), found,
                               status="approved")

    def count_registry(self) -> WriteResult:
        """Store the registry counts as of today; counts that have not moved change nothing, and a figure whose
        records are gone (withdrawn, merged, moved) is set to 0, never left standing."""
        import hashlib
        from datetime import UTC, datetime

        from yangfan.collect.synthetic import fingerprint
        from yangfan.registry import counts
        from yangfan.store.db import session_scope
        from yangfan.store.repository import WriteResult, write_batch

        with session_scope(self.engine) as session:
            found = counts.values(session, self.registry, self.catalog, self.tree, self.today())
            changed = counts.changes(session, found)
            if not changed:
                return WriteResult(None, 0, 0, len(found), repeated=True)
            # Only the figures that moved; the batch's identity names the moment too, so that figures going back to
            # what an earlier recount wrote (a record merged away again) are written, not taken for a repeat.
            digest = hashlib.sha256(f"{fingerprint(changed)} {datetime.now(UTC).isoformat()}".encode()).hexdigest()
            # Recognised records are public (the registries are published lists): so are their counts.
            return write_batch(session, f"registry {self.today()}", digest, changed, status="published")

    def registry_changed(self) -> None:
        """Registry records moved: recount and have the builder apply the counts."""
        self.count_registry()
        self.changed()

    def load_demo_registry(self, say: Callable[[int, int], None] = lambda _i, _n: None) -> int:
        """Demo registry records (演示数据) placed by the analytics' city populations, and their counts."""
        from yangfan.geo.periods import Period
        from yangfan.registry import demo
        from yangfan.store.db import session_scope

        cities = tuple(u.code for u in self.tree.cities())
        year = Period(self.today().year - 2, "year")
        population = {f.org_unit: f.value / 10_000 for f in self.query(Query(("population",), cities, (year,)))
                      if f.value}
        with session_scope(self.engine) as session:
            added = demo.load(session, self.registry, self.tree, population, self.today(), say)
        self.count_registry()
        return added

    def reporting_changed(self, _key: object = None) -> None:
        """A return moved: recount completeness and have the builder apply both."""
        self.count_returns()
        self.changed()

    def query(self, q: Query) -> list[Figure]:
        """Figures for a query: the same numbers for the CLI, the API and every page."""
        return self.analytics.run(q)

    def progress(self, plan: str | None = None, org_units: list[str] | None = None,
                 published_only: bool = False) -> list[Progress]:
        """Progress against the targets of one plan (all plans when None)."""
        if plan is not None and plan not in self.catalog.plans:
            raise YangfanError.single("plan.unknown", f"未知的规划“{plan}”", f"unknown plan '{plan}'")
        targets = [t for t in self.catalog.targets.values() if plan is None or t.plan == plan]
        return progress_table(self.analytics, self.catalog.plans, targets, org_units, published_only)
