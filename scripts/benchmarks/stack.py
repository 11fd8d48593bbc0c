"""The running local stack, its processes (/proc), and function processes spawned as the
gateway spawns them."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from .common import FUNCTIONS_DIR, ROOT, SHIM, BenchError, log, log_tail

# ---- the stack ----------------------------------------------------------------------------------


@dataclass
class Stack:
    url: str
    db_url: str
    anon_key: str
    service_key: str
    env: dict[str, str]  # what `scripts/stack env` exports
    state_dir: Path
    gateway_pid: int
    engine: str  # the ONNX engine its functions' runtime offers (EDGE_RUNTIME_ORT at `up`)

    @property
    def api_port(self) -> int:
        return int(httpx.URL(self.url).port or 80)

    def function_url(self, name: str) -> str:
        return f"{self.url}/functions/v1/{name}"

    @property
    def gateway_log(self) -> Path:
        return self.state_dir / "gateway.log"


def stack_env() -> dict[str, str]:
    """The variables of `scripts/stack env` (which honours STACK_PG_PORT / STACK_API_PORT)."""
    out = subprocess.run(
        [str(ROOT / "scripts" / "stack"), "env"], check=True, capture_output=True, text=True
    ).stdout
    env = {}
    for line in out.splitlines():
        words = shlex.split(line)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            name, value = words[1].split("=", 1)
            env[name] = value
    return env


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return Path(f"/proc/{pid}").exists() and proc_state(pid) != "Z"


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


def find_stack() -> Stack:
    env = stack_env()
    url = env["SUPABASE_URL"]
    port = int(httpx.URL(url).port or 80)
    state_dir = ROOT / ".stack" / str(port)
    hint = (
        f"the local stack at {url} is not running: start it with scripts/stack up"
        " (same STACK_PG_PORT / STACK_API_PORT), then python -m trainer ingest and"
        " python -m trainer publish"
    )
    pid_file = state_dir / "gateway.pid"
    if not pid_file.exists() or not pid_alive(int(pid_file.read_text().strip())):
        raise SystemExit(f"bench: {hint}")
    if not port_open(port):
        raise SystemExit(f"bench: the gateway does not answer on port {port}: {hint}")
    from trainer.db import connect

    try:
        with connect(env["SUPABASE_DB_URL"]) as conn:
            active = conn.execute("select count(*) from public.games where is_active").fetchone()
            models = conn.execute(
                "select count(*) from public.model_registry where is_active"
            ).fetchone()
    except ConnectionError as exc:
        raise SystemExit(f"bench: {exc}") from None
    if not active or active[0] == 0:
        raise SystemExit("bench: no active games: run python -m trainer ingest (--db-url ...)")
    if not models or models[0] == 0:
        log("warning: no active model in model_registry: the functions use the bundled models")
    return Stack(
        url=url,
        db_url=env["SUPABASE_DB_URL"],
        anon_key=env["SUPABASE_ANON_KEY"],
        service_key=env["SUPABASE_SERVICE_ROLE_KEY"],
        env=env,
        state_dir=state_dir,
        gateway_pid=int(pid_file.read_text().strip()),
        engine=(state_dir / "ort_engine").read_text().strip()
        if (state_dir / "ort_engine").exists()
        else "builtin",
    )


# ---- /proc --------------------------------------------------------------------------------------


def proc_state(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def proc_cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def proc_memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS over the process's life) in bytes; empty when it is gone."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) * 1024
    except OSError:
        pass
    return out


def children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            out += [int(p) for p in task.read_text().split()]
    return out


def descendants(pid: int) -> list[int]:
    out, todo = [], children(pid)
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children(p)
    return out


def function_name(pid: int) -> str:
    match = re.search(r"supabase/functions/([^/ ]+)/index\.ts", proc_cmdline(pid))
    return match.group(1) if match else f"pid {pid}"


def function_pids(gateway_pid: int, name: str) -> list[int]:
    marker = f"supabase/functions/{name}/index.ts"
    return [p for p in descendants(gateway_pid) if marker in proc_cmdline(p)]


MEMORY_LINE = re.compile(r"edge-runtime memory (\{.*\})")


def heap_reports(log_path: Path, offset: int) -> list[dict[str, int]]:
    """The shim's Deno.memoryUsage() lines (pid, rss, heapTotal, heapUsed, external) logged after
    `offset` in a function's log."""
    out = []
    for m in MEMORY_LINE.finditer(log_tail(log_path, offset)):
        with contextlib.suppress(ValueError):
            out.append(json.loads(m.group(1)))
    return out


@functools.cache
def reports_memory(pid: int) -> bool:
    """The shim answers SIGUSR2 in this process (else the signal would end it)."""
    with contextlib.suppress(OSError):
        return b"EDGE_RUNTIME_MEMORY_REPORT=1" in Path(f"/proc/{pid}/environ").read_bytes()
    return False


class MemorySampler:
    """Every `interval` seconds: the RSS (/proc) of each process `processes()` names ({pid: name}),
    and a SIGUSR2 to each function process, which the shim answers with its Deno.memoryUsage() in
    `log_path` (V8 heap + external: what an isolate's memory limit is measured on)."""

    def __init__(
        self,
        processes: Callable[[], dict[int, str]],
        log_path: Path,
        interval: float = 0.05,
        gateway_pid: int | None = None,
    ):
        self.processes = processes
        self.log_path = log_path
        self.gateway_pid = gateway_pid
        self.interval = interval
        self.peak_total = 0
        self.peak_gateway = 0
        self.peak_by_process: dict[str, int] = {}
        self.names: dict[int, str] = {}
        self.samples = 0
        self._offset = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        total = 0
        for pid, name in self.processes().items():
            rss = proc_memory(pid).get("VmRSS", 0)
            total += rss
            self.peak_by_process[name] = max(self.peak_by_process.get(name, 0), rss)
            if pid == self.gateway_pid:
                self.peak_gateway = max(self.peak_gateway, rss)
            elif reports_memory(pid):
                self.names[pid] = name
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGUSR2)
        self.peak_total = max(self.peak_total, total)
        self.samples += 1

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> MemorySampler:
        self._offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        time.sleep(0.2)  # the last reports reach the log

    def heap_by_process(self) -> dict[str, dict[str, int]]:
        """Per function: peak heapTotal + external, peak heapUsed + external, reports counted."""
        out: dict[str, dict[str, int]] = {}
        for r in heap_reports(self.log_path, self._offset):
            name = self.names.get(r.get("pid", -1))
            if name is None:
                continue
            peak = out.setdefault(name, {"heap_total_external": 0, "heap_used_external": 0, "n": 0})
            peak["heap_total_external"] = max(
                peak["heap_total_external"], r["heapTotal"] + r["external"]
            )
            peak["heap_used_external"] = max(
                peak["heap_used_external"], r["heapUsed"] + r["external"]
            )
            peak["n"] += 1
        return out

    def report(self) -> dict[str, Any]:
        return {
            "samples": self.samples,
            "interval_s": self.interval,
            "peak_total_bytes": self.peak_total,
            "peak_gateway_bytes": self.peak_gateway,
            "peak_by_process_bytes": self.peak_by_process,
            "heap_external_by_function_bytes": self.heap_by_process(),
            "gateway_hwm_bytes": proc_memory(self.gateway_pid).get("VmHWM")
            if self.gateway_pid
            else None,
        }


def gateway_processes(gateway_pid: int) -> Callable[[], dict[int, str]]:
    """{pid: name} of the gateway and the function processes under it."""
    return lambda: {
        gateway_pid: "gateway",
        **{pid: function_name(pid) for pid in descendants(gateway_pid)},
    }


def wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists():
            return True
        time.sleep(0.01)
    return False


def deno_command(name: str) -> list[str]:
    """The command the gateway runs for a function (scripts/local/gateway.ts, startWorker); the
    engine comes from EDGE_RUNTIME_ORT in its environment."""
    deno = shutil.which("deno")
    if deno is None:
        raise BenchError("deno is not on PATH")
    return [
        deno,
        "run",
        "--allow-net",
        "--allow-env",
        "--allow-read",
        "--allow-sys",
        "--allow-ffi",
        "--config",
        str(FUNCTIONS_DIR / "deno.json"),
        "--preload",
        str(SHIM),
        str(FUNCTIONS_DIR / name / "index.ts"),
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FunctionProcess:
    """A function served by its own `deno run` process, as the gateway starts it; always stopped
    on exit. `started` is the perf_counter time just before the spawn."""

    def __init__(self, name: str, env: dict[str, str], log_path: Path, engine: str = "builtin"):
        self.name = name
        self.engine = engine
        self.port = free_port()
        self.log_path = log_path
        self.env = {
            **os.environ,
            **env,
            "DENO_SERVE_ADDRESS": f"tcp:127.0.0.1:{self.port}",
            "NO_COLOR": "1",
            "EDGE_RUNTIME_ORT": engine,
            "EDGE_RUNTIME_MEMORY_REPORT": "1",
        }
        self.proc: subprocess.Popen | None = None
        self.started = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{self.name}"

    def __enter__(self) -> FunctionProcess:
        log_file = self.log_path.open("ab")
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            deno_command(self.name),
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log_file.close()
        return self

    def wait_port(self, timeout: float = 30) -> float:
        """Seconds from the spawn until the port accepts a connection."""
        assert self.proc is not None
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(
                    f"{self.name} exited with {self.proc.returncode} (see {self.log_path})"
                )
            if port_open(self.port):
                return time.perf_counter() - self.started
            time.sleep(0.002)
        raise BenchError(f"{self.name} did not open its port in {timeout} s")

    def memory(self) -> dict[str, int]:
        return proc_memory(self.proc.pid) if self.proc else {}

    def __exit__(self, *exc: object) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def serve_port(pid: int) -> int | None:
    """The port a function process serves on (its DENO_SERVE_ADDRESS), if readable."""
    with contextlib.suppress(OSError):
        for item in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
            if item.startswith(b"DENO_SERVE_ADDRESS="):
                return int(item.rsplit(b":", 1)[1])
    return None
