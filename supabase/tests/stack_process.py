"""The local stack's processes and files, for the reliability and security tests: the gateway and
the function processes it spawned (found from .stack/<api port>/gateway.pid and /proc, never by
name, so that another stack on this machine is never touched), their memory, the logs, and
PostgreSQL's pg_ctl. The stack is the one the `stack` fixture points at (SUPABASE_URL)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")


@dataclass(frozen=True)
class StackFiles:
    api_port: int
    pg_port: int

    @property
    def state(self) -> Path:
        return ROOT / ".stack" / str(self.api_port)

    @property
    def gateway_log(self) -> Path:
        return self.state / "gateway.log"

    @property
    def pg_home(self) -> Path:
        return (self.state / "pgdata").resolve()

    @property
    def pgdata(self) -> Path:
        return self.pg_home / "pgdata"

    @property
    def postgres_log(self) -> Path:
        return self.pg_home / "postgres.log"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "STACK_PG_PORT": str(self.pg_port),
            "STACK_API_PORT": str(self.api_port),
        }

    def gateway_pid(self) -> int:
        return int((self.state / "gateway.pid").read_text().strip())

    def ort_engine(self) -> str:
        """The ONNX engine the functions' runtime offers (EDGE_RUNTIME_ORT when it came up)."""
        path = self.state / "ort_engine"
        return path.read_text().strip() if path.exists() else "builtin"


def files_of(stack) -> StackFiles:
    return StackFiles(urlparse(stack.url).port or 80, urlparse(stack.db_url).port or 5432)


# ---- processes -----------------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except FileNotFoundError:
        return out
    for task in tasks:
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return sorted(set(out))


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (FileNotFoundError, ProcessLookupError):
        return ""


def rss_kib(pid: int) -> int:
    """VmRSS of a process in KiB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def function_pid(files: StackFiles, name: str) -> int | None:
    """The process of one function, a child of this stack's gateway; None when not started."""
    marker = f"supabase/functions/{name}/index.ts"
    for pid in children(files.gateway_pid()):
        if marker in cmdline(pid):
            return pid
    return None


def wait_gone(pid: int, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        try:  # a zombie until the gateway reaps it
            if Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z"):
                break
        except (ProcessLookupError, FileNotFoundError, IndexError):  # gone while being read
            break
        time.sleep(0.02)


def restart_function(stack, name: str) -> None:
    """Ends this stack's process of one function (by pid); the gateway starts a fresh one on the
    next request, with empty caches."""
    files = files_of(stack)
    pid = function_pid(files, name)
    if pid is not None:
        os.kill(pid, signal.SIGTERM)
        wait_gone(pid)
        time.sleep(0.2)  # the gateway notices the exit before the next request


# ---- HTTP ----------------------------------------------------------------------------------------


def bearer(key: str | None) -> dict[str, str]:
    return {} if key is None else {"Authorization": f"Bearer {key}"}


def wait_healthy(stack, seconds: float = 60.0) -> None:
    """The gateway, the predict function and the database all answer."""
    deadline = time.monotonic() + seconds
    last = ""
    with httpx.Client(timeout=10) as client:
        while time.monotonic() < deadline:
            try:
                r = client.post(
                    stack.functions_url("predict"),
                    headers=bearer(stack.anon_key),
                    json={"game_id": 1},
                )
                if r.status_code in (200, 404):
                    return
                last = f"{r.status_code} {r.text[:200]}"
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.25)
    raise AssertionError(f"the stack did not become healthy in {seconds} s: {last}")


# ---- logs ----------------------------------------------------------------------------------------


class LogTail:
    """What a log file gained since this object was made."""

    def __init__(self, path: Path):
        self.path = path
        self.offset = path.stat().st_size if path.exists() else 0

    def read(self) -> str:
        if not self.path.exists():
            return ""
        with self.path.open("rb") as f:
            f.seek(self.offset)
            return f.read().decode("utf-8", errors="replace")


# ---- PostgreSQL ----------------------------------------------------------------------------------


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def pg_stop(files: StackFiles) -> None:
    subprocess.run(
        _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(files.pgdata), "-m", "fast", "-w", "stop"]),
        check=True,
        capture_output=True,
    )


def pg_running(files: StackFiles) -> bool:
    return (
        subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(files.pgdata), "status"]),
            capture_output=True,
        ).returncode
        == 0
    )


def stack_up(files: StackFiles) -> None:
    """`scripts/stack up` for this stack (idempotent: starts only what is not running)."""
    subprocess.run(
        [str(ROOT / "scripts" / "stack"), "up"],
        env=files.env(),
        check=True,
        capture_output=True,
        timeout=120,
    )


def table_digest(db_url: str, tables: list[str]) -> dict[str, tuple[int, str]]:
    """Row count and an md5 of every row's text, per table."""
    out = {}
    with psycopg.connect(db_url, autocommit=True) as conn:
        for table in tables:
            out[table] = conn.execute(
                f"select count(*), coalesce(md5(string_agg(t::text, '|' order by t::text)), '')"
                f" from {table} t"
            ).fetchone()
    return out
