"""``yangfan user list|disable|enable|unlock|reset-password|revoke-tokens`` next to ``create|grant|revoke|token``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from tests.builders import platform
from yangfan.access import accounts, sessions
from yangfan.access.roles import Role
from yangfan.cli import app
from yangfan.context import Yangfan
from yangfan.errors import YangfanError
from yangfan.settings import get_settings
from yangfan.store.db import session_scope
from yangfan.store.models import AuditRow

PASSWORD = "correct horse battery"


@pytest.fixture
def y(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Yangfan]:
    """A store that the in-process CLI opens with the same settings (through the environment)."""
    monkeypatch.setenv("YANGFAN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("YANGFAN_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield platform(tmp_path)
    get_settings.cache_clear()


def cli(*args: str, stdin: str | None = None) -> Result:
    result = CliRunner().invoke(app, ["user", *args], input=stdin)
    if result.exception is not None and not isinstance(result.exception, SystemExit | YangfanError):
        raise result.exception
    return result


def _logs_in(y: Yangfan, username: str, password: str) -> bool:
    with session_scope(y.engine) as s:
        return isinstance(sessions.login(s, username, password), sessions.NewSession)


def test_the_existing_commands_and_the_list(y: Yangfan) -> None:
    assert cli("create", "root", "--role", "administrator", "--password-stdin", stdin=PASSWORD + "\n").exit_code == 0
    assert cli("create", "gd", "--display-name", "广东填报", "--password-stdin", stdin=PASSWORD + "\n").exit_code == 0
    assert cli("grant", "gd", "provincial_reporter", "-o", "440000").exit_code == 0
    assert cli("grant", "gd", "provincial_reviewer", "-o", "440000").exit_code == 0
    assert cli("revoke", "gd", "provincial_reviewer", "-o", "440000").exit_code == 0
    token = cli("token", "gd", "--name", "uploads").stdout.strip()
    assert token.startswith("yf_")
    listed = json.loads(cli("list", "--format", "json").stdout)
    assert [u["username"] for u in listed] == ["gd", "root"]
    assert listed[0] == {"username": "gd", "display_name": "广东填报", "active": True, "locked": False,
                         "must_change_password": False, "tokens": 1, "last_login": None,
                         "grants": [{"role": "provincial_reporter", "org_unit": "440000"}]}
    table = cli("list").stdout
    assert "provincial_reporter@440000" in table and "广东填报" in table and "administrator" in table


def test_disable_enable_unlock_and_revoke_tokens(y: Yangfan) -> None:
    with session_scope(y.engine) as s:
        accounts.create_user(s, "test", "gd", PASSWORD)
        token = accounts.create_token(s, "test", "gd", "uploads")
    out = cli("disable", "gd")
    assert out.exit_code == 0 and "disabled gd" in out.stderr and not _logs_in(y, "gd", PASSWORD)
    assert "already disabled" in cli("disable", "gd").stderr
    assert "enabled gd" in cli("enable", "gd").stderr and _logs_in(y, "gd", PASSWORD)
    for _ in range(5):
        _logs_in(y, "gd", "wrong password")
    assert json.loads(cli("list", "-f", "json").stdout)[0]["locked"] is True
    assert "unlocked gd" in cli("unlock", "gd").stderr and _logs_in(y, "gd", PASSWORD)
    assert "was not locked" in cli("unlock", "gd").stderr
    assert "1 token(s) of gd revoked" in cli("revoke-tokens", "gd").stderr
    with session_scope(y.engine) as s:
        assert accounts.user_for_token(s, token) is None
        actors = set(s.scalars(select(AuditRow.actor).where(AuditRow.action.in_(
            ["user.disable", "user.enable", "user.unlock", "token.revoke"]))))
    assert len(actors) == 1 and actors.pop().startswith("cli:")


def test_reset_password_prints_the_temporary_password_once(y: Yangfan) -> None:
    with session_scope(y.engine) as s:
        accounts.create_user(s, "test", "gd", PASSWORD)
    out = cli("reset-password", "gd")
    temporary = out.stdout.strip()
    assert out.exit_code == 0 and len(temporary) == 19 and "must be changed at the next login" in out.stderr
    assert _logs_in(y, "gd", temporary) and not _logs_in(y, "gd", PASSWORD)
    assert json.loads(cli("list", "-f", "json").stdout)[0]["must_change_password"] is True
    given = cli("reset-password", "gd", "--password-stdin", stdin="handed over in person\n")
    assert given.exit_code == 0 and given.stdout == "" and _logs_in(y, "gd", "handed over in person")


def test_refusals_name_the_problem(y: Yangfan) -> None:
    with session_scope(y.engine) as s:
        accounts.create_user(s, "test", "root", PASSWORD)
        accounts.grant(s, "test", "root", Role.administrator, None, y.tree)
    for args, code in ((("disable", "root"), "user.last_administrator"),
                       (("revoke", "root", "administrator"), "user.last_administrator"),
                       (("unlock", "nobody"), "user.unknown"),
                       (("reset-password", "root", "--password-stdin"), "password.short")):
        result = cli(*args, stdin="short\n")
        assert isinstance(result.exception, YangfanError), args
        assert result.exception.issues[0].code == code
