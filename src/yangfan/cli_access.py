"""``yangfan user …`` and ``yangfan audit …``: accounts, grants, tokens and the audit chain."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Annotated

import typer

from yangfan.context import Yangfan
from yangfan.output import Format, render

user_app = typer.Typer(help="Accounts, roles and API tokens. / 用户与权限。", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log. / 审计日志。", no_args_is_help=True)
ACTOR = "cli:" + getpass.getuser()
OrgUnitOpt = Annotated[str | None, typer.Option("--org-unit", "-o", help="scope of the role")]


def _session(y: Yangfan):  # type: ignore[no-untyped-def]
    from yangfan.store.db import session_scope

    return session_scope(y.engine)


@user_app.command("create")
def create(username: str, display_name: Annotated[str, typer.Option()] = "",
           role: Annotated[str | None, typer.Option(help="grant this role at once")] = None,
           org_unit: OrgUnitOpt = None,
           password_stdin: Annotated[bool, typer.Option(help="read the password from standard input")] = False,
           ) -> None:
    """Create an account (password asked for, or read from stdin). / 创建用户。"""
    from yangfan.access import accounts
    from yangfan.access.roles import parse_role

    password = sys.stdin.readline().rstrip("\n") if password_stdin else getpass.getpass("password: ")
    y = Yangfan()
    with _session(y) as session:
        accounts.create_user(session, ACTOR, username, password, display_name)
        if role:
            accounts.grant(session, ACTOR, username, parse_role(role), org_unit, y.tree)
    typer.echo(f"created {username}", err=True)


@user_app.command("grant")
def grant(username: str, role: str, org_unit: OrgUnitOpt = None) -> None:
    """Give a user a role, scoped to an org unit where the role is scoped. / 授权。"""
    from yangfan.access import accounts
    from yangfan.access.roles import parse_role

    y = Yangfan()
    with _session(y) as session:
        accounts.grant(session, ACTOR, username, parse_role(role), org_unit, y.tree)


@user_app.command("revoke")
def revoke(username: str, role: str, org_unit: OrgUnitOpt = None) -> None:
    """Take a role away. / 撤销授权。"""
    from yangfan.access import accounts
    from yangfan.access.roles import parse_role

    with _session(Yangfan()) as session:
        accounts.revoke(session, ACTOR, username, parse_role(role), org_unit)


@user_app.command("token")
def token(username: str, name: Annotated[str, typer.Option(help="what the token is for")]) -> None:
    """Create an API token; it is printed once and only its hash is kept. / 创建 API 令牌。"""
    from yangfan.access import accounts

    with _session(Yangfan()) as session:
        typer.echo(accounts.create_token(session, ACTOR, username, name))


@user_app.command("list")
def list_users(fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.table) -> None:
    """Every account: state, roles, live API tokens, last login. / 用户列表。"""
    from yangfan.access import accounts

    with _session(Yangfan()) as session:
        records = [a.as_dict() for a in accounts.list_users(session)]
    if fmt is not Format.json:  # a table cell per grant: role@org unit
        for r in records:
            r["grants"] = [g["role"] + (f"@{g['org_unit']}" if g["org_unit"] else "") for g in r["grants"]]
    typer.echo(render(records, fmt, ["username", "display_name", "active", "locked", "must_change_password",
                                     "grants", "tokens", "last_login"]))


def _report(done: str, unchanged: str, changed: bool) -> None:
    typer.echo(done if changed else unchanged, err=True)


@user_app.command("disable")
def disable(username: str) -> None:
    """Disable an account: its sessions end, it cannot log in, its tokens stop working. / 停用用户。"""
    from yangfan.access import accounts

    with _session(Yangfan()) as session:
        change = accounts.disable_user(session, ACTOR, username)
    _report(f"disabled {username}; {change.sessions_ended} session(s) ended / 已停用",
            f"{username} was already disabled / 已是停用状态", change.changed)


@user_app.command("enable")
def enable(username: str) -> None:
    """Enable a disabled account again. / 启用用户。"""
    from yangfan.access import accounts

    with _session(Yangfan()) as session:
        change = accounts.enable_user(session, ACTOR, username)
    _report(f"enabled {username} / 已启用", f"{username} was already active / 本已在用", change.changed)


@user_app.command("unlock")
def unlock(username: str) -> None:
    """Lift a lockout after repeated failed logins. / 解除登录锁定。"""
    from yangfan.access import accounts

    with _session(Yangfan()) as session:
        change = accounts.unlock(session, ACTOR, username)
    _report(f"unlocked {username} / 已解锁", f"{username} was not locked / 未被锁定", change.changed)


@user_app.command("reset-password")
def reset_password(username: str, password_stdin: Annotated[bool, typer.Option(
        help="read the temporary password from standard input instead of generating one")] = False) -> None:
    """Reset a password: a temporary one (printed once) to change at the next login; tokens revoked. / 重置密码。"""
    from yangfan.access import accounts

    given = sys.stdin.readline().rstrip("\n") if password_stdin else None
    with _session(Yangfan()) as session:
        change = accounts.reset_password(session, ACTOR, username, given)
    if given is None:
        typer.echo(change.password)
    typer.echo(f"password of {username} reset: it must be changed at the next login; {change.tokens_revoked} "
               f"token(s) revoked, {change.sessions_ended} session(s) ended / 密码已重置，下次登录须修改", err=True)


@user_app.command("revoke-tokens")
def revoke_tokens(username: str) -> None:
    """Revoke every API token of a user. / 撤销全部 API 令牌。"""
    from yangfan.access import accounts

    with _session(Yangfan()) as session:
        change = accounts.revoke_tokens(session, ACTOR, username)
    typer.echo(f"{change.tokens_revoked} token(s) of {username} revoked / 已撤销令牌", err=True)


@audit_app.command("verify")
def verify(anchor: Annotated[list[Path] | None, typer.Option(
        "--anchor", exists=True, dir_okay=False,
        help="a checkpoint file kept elsewhere (from `audit checkpoint --out`), checked with the anchor folder; "
             "repeatable")] = None) -> None:
    """Check the keyed hash chain and the checkpoints; exit 1 naming what was broken. / 校验审计日志。"""
    from yangfan.store import audit

    with _session(Yangfan()) as session:
        verdict = audit.verify(session, anchor or [])
    if not verdict.intact:
        typer.echo(f"error: [{verdict.breach}] {verdict.reason}", err=True)
        raise typer.Exit(1)
    typer.echo(f"audit log intact: {verdict.entries} entries / 审计日志完整：{verdict.entries} 条", err=True)


@audit_app.command("checkpoint")
def checkpoint(out: Annotated[Path | None, typer.Option(
        "--out", dir_okay=False, help="write it to this file, to keep off-site (default: into the anchor folder)",
        )] = None) -> None:
    """Sign the current head of a verified log into a checkpoint file. / 为审计日志写签名检查点。"""
    from yangfan.store import audit

    with _session(Yangfan()) as session:
        path = audit.checkpoint(session, out)
    typer.echo(f"checkpoint written: {path} / 检查点已写入", err=True)


@audit_app.command("list")
def list_entries(fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
                 limit: int = 50) -> None:
    """The latest entries of the audit log. / 审计记录。"""
    from yangfan.store.audit import AuditFilter, entries

    with _session(Yangfan()) as session:
        _, rows = entries(session, AuditFilter(), limit)
        records = [{"id": r.id, "at": r.at, "actor": r.actor, "action": r.action, "entity": r.entity,
                    "entity_id": r.entity_id, "before": r.before, "after": r.after} for r in rows]
    typer.echo(render(records, fmt, ["id", "at", "actor", "action", "entity", "entity_id", "after"]))
