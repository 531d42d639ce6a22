"""Roles and their scopes."""

from __future__ import annotations

from enum import StrEnum

from yangfan.errors import YangfanError
from yangfan.geo.orgunits import OrgUnitTree


class Role(StrEnum):
    """What a user may do; the scoped roles hold for one org unit and everything under it."""

    administrator = "administrator"  # 管理员
    ministry_analyst = "ministry_analyst"  # 部级分析人员
    provincial_reporter = "provincial_reporter"  # 省级填报人员
    provincial_reviewer = "provincial_reviewer"  # 省级审核人员
    operator_reporter = "operator_reporter"  # 运营商填报人员
    public = "public"  # 公众: published data only


SCOPED_TO_PLACE = {Role.provincial_reporter, Role.provincial_reviewer}
SCOPED_TO_OPERATOR = {Role.operator_reporter}


def check_scope(role: Role, org_unit: str | None, tree: OrgUnitTree) -> None:
    """A scoped role needs a fitting org unit; an unscoped one takes none."""
    if role in SCOPED_TO_PLACE or role in SCOPED_TO_OPERATOR:
        if org_unit is None:
            raise YangfanError.single("grant.scope_missing", f"角色 {role} 需要指定组织单元",
                                      f"role {role} needs an org unit")
        unit = tree.get(org_unit)
        fits = unit.is_place if role in SCOPED_TO_PLACE else unit.kind == "operator"
        if not fits:
            raise YangfanError.single("grant.scope_kind", f"角色 {role} 不能授予给 {org_unit}（{unit.kind}）",
                                      f"role {role} cannot be scoped to {org_unit} ({unit.kind})")
    elif org_unit is not None:
        raise YangfanError.single("grant.scope_extra", f"角色 {role} 不按组织单元授权",
                                  f"role {role} is not scoped to an org unit")


def parse_role(text: str) -> Role:
    """A role from its name, or a clear error listing the roles."""
    try:
        return Role(text)
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise YangfanError.single("role.unknown", f"未知角色“{text}”，可选：{names}",
                                  f"unknown role '{text}'; roles: {names}") from None
