"""A throwaway PostgreSQL server for the tests: a real server, started in a temporary folder.

As root (CI, the developers' machines) initdb and the server run as the `postgres` system user, which
Debian's `postgresql` package creates; initdb and postgres refuse to run as root.
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

INSTALL_HINT = "install with: scripts/setup.sh test"


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries (or the user to run them as) are missing, or the server did not start."""


def _bin_dir() -> Path:
    """The bin folder of the newest PostgreSQL installed under /usr/lib/postgresql."""

    def version(path: str) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", Path(path).parents[1].name))

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version)
    if not found:
        raise PostgresUnavailable(f"PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin; {INSTALL_HINT}")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _traversable_tmp() -> str:
    """A temp root the `postgres` user can reach: $TMPDIR may sit under root's private home."""
    base = tempfile.gettempdir()
    path = Path(base).resolve()
    for p in [path, *path.parents]:
        if not os.stat(p).st_mode & 0o001:  # no search permission for others
            return "/tmp"
    return base


class PostgresServer:
    """initdb + pg_ctl in a temporary folder on a free port of 127.0.0.1; trust authentication, user `postgres`."""

    def __init__(self) -> None:
        self.bin = _bin_dir()
        self.port = 0
        self.dir: Path | None = None
        self._as: list[str] = []
        self._running = False

    # -- helpers -----------------------------------------------------------------------------------------

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        # cwd: the postgres user must be able to read its working directory (the repo may be under /root).
        return subprocess.run([*self._as, *args], capture_output=True, text=True, timeout=120, cwd=self.dir,
                              check=False)

    def _check(self, what: str, proc: subprocess.CompletedProcess[str]) -> None:
        if proc.returncode == 0:
            return
        log = ""
        if self.dir is not None and (self.dir / "server.log").exists():
            log = (self.dir / "server.log").read_text(errors="replace")[-2000:]
        raise PostgresUnavailable(f"{what} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}{log}")

    @property
    def data(self) -> Path:
        assert self.dir is not None, "server not started"
        return self.dir / "data"

    # -- lifecycle ---------------------------------------------------------------------------------------

    def start(self) -> PostgresServer:
        """Create the cluster and start the server; returns self."""
        self.dir = Path(tempfile.mkdtemp(prefix="yangfan-pg-", dir=_traversable_tmp()))
        try:
            if os.geteuid() == 0:
                try:
                    user = pwd.getpwnam("postgres")
                except KeyError:
                    raise PostgresUnavailable(f"no `postgres` system user to run the server as; {INSTALL_HINT}") \
                        from None
                os.chmod(self.dir, 0o700)
                os.chown(self.dir, user.pw_uid, user.pw_gid)
                self._as = ["runuser", "-u", "postgres", "--"]
            self._initdb()
            self.port = _free_port()
            opts = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                    "-c synchronous_commit=off -c full_page_writes=off")
            proc = self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60", "-o", opts,
                             "-l", str(self.dir / "server.log"), "start")
            self._check("pg_ctl start", proc)
            self._running = True
            atexit.register(self.stop)  # a crashed or interrupted session leaves no server behind
        except BaseException:
            self.stop()
            raise
        return self

    def _initdb(self) -> None:
        base = [str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--encoding=UTF8"]
        proc = self._run(*base, "--locale=C.UTF-8")
        if proc.returncode != 0 and "locale" in (proc.stdout + proc.stderr).lower():
            shutil.rmtree(self.data, ignore_errors=True)
            proc = self._run(*base, "--no-locale")
        self._check("initdb", proc)

    def stop(self) -> None:
        """Stop the server (immediate) and remove its folder; safe to call twice."""
        if self._running:
            self._running = False
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- databases ---------------------------------------------------------------------------------------

    def url(self, dbname: str = "postgres") -> str:
        """SQLAlchemy URL of a database on this server."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)
