"""Who may write what: checked on the server for every request, never left to the pages."""

from __future__ import annotations

from collections.abc import Sequence

from yangfan.access.accounts import Grant
from yangfan.access.roles import SCOPED_TO_OPERATOR, SCOPED_TO_PLACE, Role
from yangfan.geo.orgunits import OrgUnitTree
from yangfan.store.models import DataValueRow
from yangfan.store.values import NewValue, Status

UNSCOPED_WRITERS = {Role.administrator, Role.ministry_analyst}


def in_place(g: Grant, org_unit: str, tree: OrgUnitTree) -> bool:
    """True when a grant scoped to a place covers this org unit: the place itself or a place below it."""
    return (g.role in SCOPED_TO_PLACE and g.org_unit is not None and org_unit in tree.units
            and (org_unit == g.org_unit or g.org_unit in tree.ancestors(org_unit)))


def _within(g: Grant, org_unit: str, disaggregation: str, tree: OrgUnitTree) -> bool:
    """True when a scoped grant covers this org unit (or operator)."""
    if g.org_unit is None:
        return False
    if g.role in SCOPED_TO_PLACE:
        return in_place(g, org_unit, tree)
    if g.role in SCOPED_TO_OPERATOR:
        return org_unit == g.org_unit or disaggregation == f"operator={g.org_unit}"
    return False


def may_write(grants: Sequence[Grant], value: NewValue, tree: OrgUnitTree) -> bool:
    """A value may be written by a ministry-level role, a provincial role whose unit contains its org
    unit, or an operator reporter for its own operator (as reporting unit or as disaggregation)."""
    return any(g.role in UNSCOPED_WRITERS or _within(g, value.org_unit, value.disaggregation, tree) for g in grants)


def may_see(grants: Sequence[Grant], row: DataValueRow, tree: OrgUnitTree) -> bool:
    """Unpublished values: ministry-level roles see all; scoped roles those inside their scope."""
    return any(g.role in UNSCOPED_WRITERS or _within(g, row.org_unit_code, row.disaggregation, tree) for g in grants)


def ministry_level(grants: Sequence[Grant]) -> bool:
    """Administrators and ministry analysts: unscoped, and the only ones who read or publish approved figures."""
    return any(g.role in UNSCOPED_WRITERS for g in grants)


def reviews_some(grants: Sequence[Grant]) -> bool:
    """True for a user who may approve or return at least some submissions (see ``may_review``)."""
    return ministry_level(grants) or any(g.role == Role.provincial_reviewer for g in grants)


def may_review(grants: Sequence[Grant], row: DataValueRow, tree: OrgUnitTree) -> bool:
    """Approve or return a submission: ministry-level roles anywhere, provincial reviewers inside their unit."""
    return any(g.role in UNSCOPED_WRITERS or (g.role == Role.provincial_reviewer
                                              and _within(g, row.org_unit_code, row.disaggregation, tree))
               for g in grants)


def may_publish(grants: Sequence[Grant]) -> bool:
    """Publication is the ministry's."""
    return ministry_level(grants)


def import_status(grants: Sequence[Grant]) -> Status:
    """Values from ministry-level roles are approved on import; reporters' values await review."""
    return "approved" if ministry_level(grants) else "submitted"
