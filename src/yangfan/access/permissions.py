"""Who may write what: checked on the server for every request, never left to the pages."""

from __future__ import annotations

from collections.abc import Sequence

from yangfan.access.accounts import Grant
from yangfan.access.roles import SCOPED_TO_OPERATOR, SCOPED_TO_PLACE, Role
from yangfan.geo.orgunits import OrgUnitTree
from yangfan.store.values import NewValue, Status

UNSCOPED_WRITERS = {Role.administrator, Role.ministry_analyst}


def may_write(grants: Sequence[Grant], value: NewValue, tree: OrgUnitTree) -> bool:
    """A value may be written by a ministry-level role, a provincial role whose unit contains its org
    unit, or an operator reporter for its own operator (as reporting unit or as disaggregation)."""
    for g in grants:
        if g.role in UNSCOPED_WRITERS:
            return True
        if g.role in SCOPED_TO_PLACE and g.org_unit is not None and value.org_unit in tree.units and (
                value.org_unit == g.org_unit or g.org_unit in tree.ancestors(value.org_unit)):
            return True
        if g.role in SCOPED_TO_OPERATOR and g.org_unit is not None and (
                value.org_unit == g.org_unit or value.disaggregation == f"operator={g.org_unit}"):
            return True
    return False


def import_status(grants: Sequence[Grant]) -> Status:
    """Values from ministry-level roles are approved on import; reporters' values await review."""
    return "approved" if any(g.role in UNSCOPED_WRITERS for g in grants) else "submitted"
