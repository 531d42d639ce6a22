"""A fresh demo data dir and local server processes, for the benchmarks that talk HTTP to Yangfan.

Every server runs in its own process as ``yangfan serve`` runs Yangfan's: one uvicorn process,
``uvicorn.run(app, host, port, log_level="info")`` (access log on, written to a file), so that a
baseline app and Yangfan pay the same server costs.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
YANGFAN = ROOT / ".venv" / "bin" / "yangfan"


def demo_data_dir(data: Path) -> dict[str, str]:
    """``yangfan init`` and ``yangfan demo`` into a new data dir; returns the environment that points at it."""
    env = {**os.environ, "YANGFAN_DATA_DIR": str(data)}
    t0 = time.perf_counter()
    for command in ("init", "demo"):
        done = subprocess.run([str(YANGFAN), command], capture_output=True, text=True, env=env, check=False)
        if done.returncode != 0:
            sys.exit(f"yangfan {command} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    lines = (done.stdout + done.stderr).strip().splitlines()
    print(f"set-up (init + demo) {time.perf_counter() - t0:.1f} s: {lines[-1] if lines else ''}", flush=True)
    return env


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def yangfan_command(port: int) -> list[str]:
    """``yangfan serve`` on 127.0.0.1."""
    return [str(YANGFAN), "serve", "--host", "127.0.0.1", "--port", str(port)]


def serve_app(app: object, port: int) -> None:
    """Run a baseline app with the very settings of ``yangfan serve``."""
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="info")  # type: ignore[arg-type]


def _wait_ready(base: str, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> float:
    """Seconds until the server gives any HTTP answer; exits with its log if it dies or never answers."""
    import httpx

    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            sys.exit(f"server exited with {proc.returncode}:\n{log.read_text(encoding='utf-8')[-3000:]}")
        try:
            httpx.get(base + "/favicon.ico", timeout=2)  # a 404 will do: it proves the server is up
            return time.perf_counter() - t0
        except httpx.TransportError:
            time.sleep(0.2)
    sys.exit(f"server not ready after {timeout:.0f} s:\n{log.read_text(encoding='utf-8')[-3000:]}")


@contextmanager
def serving(name: str, cmd: list[str], env: dict[str, str], log: Path, port: int,
            timeout: float = 90) -> Iterator[str]:
    """Start a server process, wait until it answers, yield its base URL; stop it (SIGTERM) on the way out."""
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        print(f"{name} ready in {_wait_ready(base, proc, log, timeout):.1f} s ({base})", flush=True)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def workspace(keep: Path | None, prefix: str) -> tuple[Path, dict[str, str]]:
    """The benchmark's folder (a new temporary one unless ``keep``) with a fresh demo data dir inside."""
    work = keep or Path(tempfile.mkdtemp(prefix=prefix))
    work.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(work / "data", ignore_errors=True)
    return work, demo_data_dir(work / "data")


def start_yangfan(stack: ExitStack, env: dict[str, str], work: Path) -> str:
    """``yangfan serve`` on a free port for the length of ``stack``; its base URL."""
    port = free_port()
    return stack.enter_context(serving("yangfan serve", yangfan_command(port), env, work / "yangfan-serve.log", port))


def save_results(name: str, result: dict[str, object], work: Path, keep: bool) -> None:
    """Write the run's figures to benchmarks/results/<name>_<date>.json; remove the work folder unless kept."""
    out = ROOT / "benchmarks" / "results" / f"{name}_{date.today().isoformat()}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"results: {out}")
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
