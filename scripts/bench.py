"""scripts/bench: DESIGN.md's bars for the edge functions, measured on a running local stack.

    scripts/bench [--requests 5000] [--json PATH] [--skip cold,scale] [--with-export] ...

What it measures (each section can be skipped with --skip):
  predict  `predict`, warm, one game per request over HTTP on loopback through the gateway (JWT
           check, proxy, function, PostgreSQL read), rotating over the active games: p50/p99 at
           1 and 16 concurrent clients (httpx, keep-alive, one Client per thread), error count;
           and the gateway's peak memory (RSS of the gateway and its function processes, sampled
           from /proc during the run).
  cold     new process to first answer: the gateway's predict process killed (by pid, this
           stack's only), then the next request timed (the gateway spawns the function); and the
           function spawned directly with `deno run` as the gateway does, timed to its first 200.
  batch    `daily-batch` through the gateway with the service key for a fixed run_date (default:
           the latest snapshot day), run twice: end to end and the handler's own timings_ms.
  scale    `daily-batch` for the Texas games replicated over 50 states in a scratch database
           (created and dropped here), served by a daily-batch process spawned for it; run twice.
  onnx     each .onnx size from onnx_models/manifest.json.
  native   the same single-game prediction in Python (metrics, features, the four models, the
           prediction row): with onnxruntime on the committed models, and with the native
           scikit-learn / XGBoost models refitted with the manifest's hyperparameters.
  export   (only with --with-export) `python -m trainer export --force --out <tmpdir>`.

It needs the stack up with data and models (scripts/stack up; python -m trainer ingest; python -m
trainer publish), and stops everything it starts (its own deno processes, the scratch database).
No test asserts a time: this prints numbers; the exit code is non-zero only when a measurement could
not be made.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import itertools
import json
import math
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS_DIR = ROOT / "supabase" / "functions"
SHIM = ROOT / "scripts" / "local" / "edge_runtime_shim.ts"
SECTIONS = ["predict", "cold", "batch", "scale", "onnx", "native", "export"]
MB = 1024 * 1024
# The 50 US states: the Texas games are replicated under each code for the scale test.
STATE_CODES = (
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ "
    "NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY"
)
STATES = STATE_CODES.split()
# Beyond 50 (--states), made-up codes that are no US state: ZA, ZB, ...
EXTRA_CODES = [
    a + b
    for a in "ZYXWVUTSRQPONMLKJIHGFEDCBA"
    for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    if a + b not in STATES
]
# A run_date before any snapshot: the batch loads its models and connects, and writes nothing.
EMPTY_RUN_DATE = "1970-01-01"

# Bars of DESIGN.md ("Bars"), in the units printed here.
BAR_P50_MS = 5.0
BAR_P99_MS = 25.0
BAR_MIN_REQUESTS = 5000
BAR_COLD_MS = 500.0
BAR_BATCH_MS = 2000.0
BAR_EXPORT_S = 180.0
BAR_ONNX_BYTES = 2 * MB
BAR_MEMORY_BYTES = 256 * MB


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class BenchError(RuntimeError):
    """A measurement that could not be made (shown in the table; the exit code is 1)."""


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


class MemorySampler:
    """RSS of the gateway and of every process under it, sampled every `interval` seconds."""

    def __init__(self, gateway_pid: int, interval: float = 0.05):
        self.gateway_pid = gateway_pid
        self.interval = interval
        self.peak_total = 0
        self.peak_gateway = 0
        self.peak_by_process: dict[str, int] = {}
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        gateway = proc_memory(self.gateway_pid).get("VmRSS", 0)
        total = gateway
        for pid in descendants(self.gateway_pid):
            rss = proc_memory(pid).get("VmRSS", 0)
            total += rss
            name = function_name(pid)
            self.peak_by_process[name] = max(self.peak_by_process.get(name, 0), rss)
        self.peak_gateway = max(self.peak_gateway, gateway)
        self.peak_total = max(self.peak_total, total)
        self.samples += 1

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def report(self) -> dict[str, Any]:
        return {
            "samples": self.samples,
            "interval_s": self.interval,
            "peak_total_bytes": self.peak_total,
            "peak_gateway_bytes": self.peak_gateway,
            "peak_by_process_bytes": self.peak_by_process,
            "gateway_hwm_bytes": proc_memory(self.gateway_pid).get("VmHWM"),
        }


# ---- statistics ---------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def median(values: list[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    return ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


# ---- HTTP load ----------------------------------------------------------------------------------


@dataclass
class LoadResult:
    concurrency: int
    requests: int
    latencies_s: list[float]  # successful requests only
    errors: dict[str, int]
    elapsed_s: float

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def summary(self) -> dict[str, Any]:
        lat = self.latencies_s or [math.nan]
        return {
            "concurrency": self.concurrency,
            "requests": self.requests,
            "ok": len(self.latencies_s),
            "errors": self.error_count,
            "error_kinds": self.errors,
            "elapsed_s": round(self.elapsed_s, 3),
            "throughput_rps": round(self.requests / self.elapsed_s, 1),
            "p50_ms": ms(percentile(lat, 50)),
            "p90_ms": ms(percentile(lat, 90)),
            "p99_ms": ms(percentile(lat, 99)),
            "max_ms": ms(max(lat)),
            "mean_ms": ms(sum(lat) / len(lat)),
        }


def error_kind(response: httpx.Response | None, exc: Exception | None) -> str:
    if exc is not None:
        return type(exc).__name__
    assert response is not None
    code = ""
    with contextlib.suppress(Exception):
        code = response.json()["error"]["code"]
    return f"HTTP {response.status_code} {code}".strip()


def run_load(
    clients: list[httpx.Client],
    url: str,
    bodies: list[bytes],
    requests: int,
    label: str,
    expect: bytes = b'"result"',
) -> LoadResult:
    """`requests` POSTs spread over one thread per client, each waiting for its answer before
    sending the next (closed loop); the body rotates over `bodies`."""
    counter = itertools.count()
    lock = threading.Lock()
    latencies: list[float] = []
    errors: dict[str, int] = {}
    step = max(1, requests // 4)
    start = threading.Barrier(len(clients) + 1)

    def worker(client: httpx.Client) -> None:
        mine: list[float] = []
        failed: list[str] = []
        start.wait()
        while (i := next(counter)) < requests:
            body = bodies[i % len(bodies)]
            t0 = time.perf_counter()
            response, exc = None, None
            try:
                response = client.post(url, content=body)
                ok = response.status_code == 200 and expect in response.content
            except httpx.HTTPError as e:
                exc, ok = e, False
            elapsed = time.perf_counter() - t0
            if ok:
                mine.append(elapsed)
            else:
                failed.append(error_kind(response, exc))
            if i and i % step == 0:
                log(f"  {label}: {i}/{requests}")
        with lock:
            latencies.extend(mine)
            for kind in failed:
                errors[kind] = errors.get(kind, 0) + 1

    threads = [threading.Thread(target=worker, args=(c,), daemon=True) for c in clients]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return LoadResult(len(clients), requests, latencies, errors, time.perf_counter() - t0)


GATEWAY_LINE = re.compile(r"^POST /functions/v1/predict (\d{3}) ([\d.]+)ms$")


def gateway_latencies(log_path: Path, offset: int) -> list[float]:
    """The gateway's own per-request times (seconds) of predict 200s logged after `offset`."""
    if not log_path.exists():
        return []
    with log_path.open("rb") as f:
        f.seek(offset)
        text = f.read().decode(errors="replace")
    out = []
    for line in text.splitlines():
        m = GATEWAY_LINE.match(line.strip())
        if m and m.group(1) == "200":
            out.append(float(m.group(2)) / 1000)
    return out


# ---- the table ----------------------------------------------------------------------------------


@dataclass
class Row:
    what: str
    measured: str
    bar: str = ""
    ok: bool | None = None  # None: no bar (information)
    notes: str = ""

    @property
    def result(self) -> str:
        return "-" if self.ok is None else "pass" if self.ok else "FAIL"


@dataclass
class Bench:
    args: argparse.Namespace
    stack: Stack
    rows: list[Row] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    _frame: Any = None

    def row(self, *args: Any, **kwargs: Any) -> None:
        self.rows.append(Row(*args, **kwargs))

    def frame(self) -> Any:
        """The canonical Texas frame (loaded once)."""
        if self._frame is None:
            from trainer.scratchoff.load import load_scratchoff

            self._frame = load_scratchoff()
        return self._frame

    def headers(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}


def render(rows: list[Row]) -> str:
    header = ["what", "measured", "bar", "result", "notes"]
    cells = [[r.what, r.measured, r.bar, r.result, r.notes] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(header)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"
    sep = "| " + " | ".join("-" * w for w in widths) + " |"
    body = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(cell, widths, strict=True)) + " |"
        for cell in cells
    ]
    return "\n".join([line, sep, *body])


# ---- sections -----------------------------------------------------------------------------------


def active_games(db_url: str) -> list[tuple[int, str, str]]:
    from trainer.db import connect

    with connect(db_url) as conn:
        return conn.execute(
            "select id, state, game_number from public.games where is_active order by id"
        ).fetchall()


def latest_snapshot(db_url: str) -> str:
    from trainer.db import connect

    with connect(db_url) as conn:
        row = conn.execute(
            "select max(t.snapshot_date)::text from public.prize_tiers t"
            " join public.games g on g.id = t.game_id where g.is_active"
        ).fetchone()
    if not row or row[0] is None:
        raise BenchError("no snapshot of an active game in the database")
    return row[0]


def bench_predict(b: Bench) -> None:
    games = active_games(b.stack.db_url)
    bodies = [json.dumps({"state": s, "game_number": g}).encode() for _, s, g in games]
    url = b.stack.function_url("predict")
    headers = b.headers(b.stack.anon_key)
    log(f"predict: {len(games)} active games, {b.args.requests} requests per concurrency level")
    results = {}
    for concurrency in b.args.concurrency:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        clients = [
            httpx.Client(headers=headers, timeout=30, limits=limits) for _ in range(concurrency)
        ]
        try:
            label = f"{concurrency} client{'s' if concurrency > 1 else ''}"
            log(f"predict, {label}: warm-up, {b.args.warmup} requests")
            warm = run_load(clients, url, bodies, b.args.warmup, f"{label} warm-up")
            if warm.error_count == warm.requests:
                raise BenchError(f"predict: every warm-up request failed: {warm.errors}")
            offset = b.stack.gateway_log.stat().st_size if b.stack.gateway_log.exists() else 0
            log(f"predict, {label}: {b.args.requests} requests")
            with MemorySampler(b.stack.gateway_pid) as memory:
                result = run_load(clients, url, bodies, b.args.requests, label)
        finally:
            for c in clients:
                c.close()
        summary = result.summary()
        summary["memory"] = memory.report()
        logged = gateway_latencies(b.stack.gateway_log, offset)
        if logged:
            summary["gateway_logged"] = {
                "n": len(logged),
                "p50_ms": ms(percentile(logged, 50)),
                "p99_ms": ms(percentile(logged, 99)),
            }
        results[concurrency] = summary
        log(
            f"predict, {label}: p50 {summary['p50_ms']:.2f} ms, p99 {summary['p99_ms']:.2f} ms,"
            f" {summary['errors']} errors, {summary['throughput_rps']:.0f} req/s"
        )
    b.details["predict"] = {"games": len(games), "by_concurrency": results}
    direct = predict_direct(b, bodies, headers)

    for concurrency, s in results.items():
        at = f"{concurrency} client{'s' if concurrency > 1 else ''}"
        bar_note = "" if concurrency == 16 else "bar is set at 16 clients"
        logged = s.get("gateway_logged")
        extras = {"p50": f"{s['throughput_rps']:.0f} req/s", "p99": f"max {s['max_ms']:.1f} ms"}
        for q, bar in (("p50", BAR_P50_MS), ("p99", BAR_P99_MS)):
            notes = (
                bar_note,
                f"gateway-logged {q} {logged[f'{q}_ms']:.2f} ms" if logged else "",
                extras[q],
            )
            b.row(
                f"predict warm, {at}: {q}",
                f"{s[f'{q}_ms']:.2f} ms",
                f"<= {bar:g} ms",
                s[f"{q}_ms"] <= bar,
                "; ".join(x for x in notes if x),
            )
        b.row(
            f"predict warm, {at}: errors",
            f"{s['errors']} in {s['requests']}",
            f"0 in >= {BAR_MIN_REQUESTS:,}",
            s["errors"] == 0 and s["requests"] >= BAR_MIN_REQUESTS,
            "; ".join(
                [f"{k}: {v}" for k, v in s["error_kinds"].items()]
                + (["too few requests for the bar"] if s["requests"] < BAR_MIN_REQUESTS else [])
            ),
        )
    if direct:
        b.row(
            "predict warm, 1 client, straight to the function process (no gateway)",
            f"p50 {direct['p50_ms']:.2f} ms, p99 {direct['p99_ms']:.2f} ms",
            "",
            None,
            f"diagnostic: the gateway hop is the difference; {direct['requests']} requests,"
            f" {direct['errors']} errors",
        )
    top = max(results)
    mem = results[top]["memory"]
    per = ", ".join(
        f"{name} {v / MB:.0f}" for name, v in sorted(mem["peak_by_process_bytes"].items())
    )
    b.row(
        f"gateway + function processes, peak RSS ({top} clients)",
        f"{mem['peak_total_bytes'] / MB:.0f} MiB",
        f"<= {BAR_MEMORY_BYTES // MB} MB",
        mem["peak_total_bytes"] <= BAR_MEMORY_BYTES,
        f"RSS of whole processes, {mem['samples']} samples; per process (MiB): {per}",
    )
    b.row(
        f"gateway process alone, peak RSS ({top} clients)",
        f"{mem['peak_gateway_bytes'] / MB:.0f} MiB",
        f"<= {BAR_MEMORY_BYTES // MB} MB",
        mem["peak_gateway_bytes"] <= BAR_MEMORY_BYTES,
        f"lifetime VmHWM {mem['gateway_hwm_bytes'] / MB:.0f} MiB"
        if mem.get("gateway_hwm_bytes")
        else "",
    )


def serve_port(pid: int) -> int | None:
    """The port a function process serves on (its DENO_SERVE_ADDRESS), if readable."""
    with contextlib.suppress(OSError):
        for item in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
            if item.startswith(b"DENO_SERVE_ADDRESS="):
                return int(item.rsplit(b":", 1)[1])
    return None


def predict_direct(b: Bench, bodies: list[bytes], headers: dict[str, str]) -> dict | None:
    """1 client straight to the gateway's predict process: how much of the latency is the hop."""
    ports = [serve_port(p) for p in function_pids(b.stack.gateway_pid, "predict")]
    if not ports or ports[0] is None:
        log("predict direct: the function's port is not readable; skipped")
        return None
    url = f"http://127.0.0.1:{ports[0]}/predict"
    n = min(1000, b.args.requests)
    log(f"predict, 1 client straight to the function ({url}): {n} requests")
    with httpx.Client(headers=headers, timeout=30) as client:
        run_load([client], url, bodies, min(100, b.args.warmup), "direct warm-up")
        summary = run_load([client], url, bodies, n, "direct").summary()
    b.details["predict"]["direct_to_function_1_client"] = summary
    log(f"predict direct: p50 {summary['p50_ms']:.2f} ms, p99 {summary['p99_ms']:.2f} ms")
    return summary


def wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists():
            return True
        time.sleep(0.01)
    return False


def deno_command(name: str) -> list[str]:
    """The command the gateway runs for a function (scripts/local/gateway.ts, startWorker)."""
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

    def __init__(self, name: str, env: dict[str, str], log_path: Path):
        self.name = name
        self.port = free_port()
        self.log_path = log_path
        self.env = {
            **os.environ,
            **env,
            "DENO_SERVE_ADDRESS": f"tcp:127.0.0.1:{self.port}",
            "NO_COLOR": "1",
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


def bench_cold(b: Bench) -> None:
    games = active_games(b.stack.db_url)
    body = json.dumps({"state": games[0][1], "game_number": games[0][2]}).encode()
    headers = b.headers(b.stack.anon_key)
    runs = b.args.cold_runs

    # 1. Through the gateway: kill this gateway's predict process, time the next request.
    via_gateway: list[float] = []
    failures: list[str] = []
    with httpx.Client(headers=headers, timeout=60) as client:
        client.post(b.stack.function_url("predict"), content=body)  # the gateway connection
        for i in range(runs):
            for pid in function_pids(b.stack.gateway_pid, "predict"):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
                if not wait_gone(pid, 5):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                    wait_gone(pid, 5)
            time.sleep(0.3)  # let the gateway see the exit and settle
            t0 = time.perf_counter()
            response = client.post(b.stack.function_url("predict"), content=body)
            elapsed = time.perf_counter() - t0
            if response.status_code == 200:
                via_gateway.append(elapsed)
            else:
                failures.append(error_kind(response, None))
            log(f"cold start via gateway {i + 1}/{runs}: {ms(elapsed):.0f} ms")

    # 2. Directly: `deno run` as the gateway does, timed to the first 200.
    direct: list[float] = []
    port_times: list[float] = []
    log_path = b.stack.state_dir / "bench-functions.log"
    env = {**b.stack.env}
    for i in range(runs):
        with FunctionProcess("predict", env, log_path) as fn:
            port_times.append(fn.wait_port())
            with httpx.Client(headers=headers, timeout=60) as client:
                response = client.post(fn.url, content=body)
            elapsed = time.perf_counter() - fn.started
        if response.status_code == 200:
            direct.append(elapsed)
        else:
            failures.append(f"direct: {error_kind(response, None)}")
        log(f"cold start direct {i + 1}/{runs}: {ms(elapsed):.0f} ms")

    b.details["cold_start"] = {
        "runs": runs,
        "via_gateway_ms": [ms(x) for x in via_gateway],
        "direct_ms": [ms(x) for x in direct],
        "direct_port_open_ms": [ms(x) for x in port_times],
        "failures": failures,
    }
    for label, values, note in (
        (
            "cold start via gateway (process killed -> first 200)",
            via_gateway,
            "gateway spawns deno, waits for the port, proxies",
        ),
        (
            "cold start, `deno run` spawned directly -> first 200",
            direct,
            f"port open after median {ms(median(port_times)):.0f} ms",
        ),
    ):
        if not values:
            b.row(label, "no successful run", f"<= {BAR_COLD_MS:g} ms", False, "; ".join(failures))
            continue
        b.row(
            label,
            f"median {ms(median(values)):.0f} ms, max {ms(max(values)):.0f} ms",
            f"<= {BAR_COLD_MS:g} ms",
            ms(max(values)) <= BAR_COLD_MS,
            f"n={len(values)}, judged on the max; {note}"
            + (f"; failures: {failures}" if failures else ""),
        )


def call_batch(url: str, key: str, run_date: str, timeout: float = 300) -> dict[str, Any]:
    body = json.dumps({"run_date": run_date}).encode()
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    t0 = time.perf_counter()
    response = httpx.post(url, content=body, headers=headers, timeout=timeout)
    elapsed = time.perf_counter() - t0
    if response.status_code != 200:
        raise BenchError(f"daily-batch answered {response.status_code}: {response.text[:300]}")
    out = response.json()
    return {
        "end_to_end_ms": ms(elapsed),
        "timings_ms": out.get("timings_ms"),
        "games": out.get("games"),
        "predictions": out.get("predictions"),
        "historical_snapshots": out.get("historical_snapshots"),
        "skipped": len(out.get("skipped", [])),
        "model_source": out.get("model_source"),
    }


def batch_rows(b: Bench, label: str, runs: list[dict[str, Any]], bar: bool) -> None:
    for i, r in enumerate(runs, 1):
        t = r["timings_ms"] or {}
        p = r["predictions"] or {}
        b.row(
            f"{label}, run {i}",
            f"{r['end_to_end_ms']:.0f} ms",
            f"<= {BAR_BATCH_MS:g} ms" if bar else "",
            r["end_to_end_ms"] <= BAR_BATCH_MS if bar else None,
            f"handler load {t.get('load')} / predict {t.get('predict')} / write {t.get('write')}"
            f" / total {t.get('total')} ms; {r['games']} games, {p.get('rows')} rows"
            f" ({p.get('inserted')} inserted, {p.get('updated')} updated), {r['skipped']} skipped",
        )


def bench_batch(b: Bench) -> None:
    run_date = b.args.run_date or latest_snapshot(b.stack.db_url)
    url = b.stack.function_url("daily-batch")
    log(f"daily-batch (shipped games) through the gateway, run_date {run_date}")
    warm = call_batch(url, b.stack.service_key, EMPTY_RUN_DATE)
    log(f"  warm-up (run_date {EMPTY_RUN_DATE}, writes nothing): {warm['end_to_end_ms']:.0f} ms")
    runs = []
    for i in range(2):
        runs.append(call_batch(url, b.stack.service_key, run_date))
        log(f"  run {i + 1}: {runs[-1]['end_to_end_ms']:.0f} ms, handler {runs[-1]['timings_ms']}")
    b.details["daily_batch_shipped"] = {"run_date": run_date, "warm_up": warm, "runs": runs}
    batch_rows(b, f"daily batch, shipped games ({runs[0]['games']}), via gateway", runs, False)


def replicated_frame(b: Bench) -> tuple[Any, str]:
    """The canonical Texas frame's last `days` snapshot days under each of `states` state codes."""
    import pandas as pd

    frame = b.frame()
    days = sorted(frame["snapshot_date"].unique())[-b.args.days :]
    recent = frame[frame["snapshot_date"].isin(days)]
    codes = (STATES + EXTRA_CODES)[: b.args.states]
    big = pd.concat([recent.assign(state=code) for code in codes], ignore_index=True)
    return big, str(pd.Timestamp(days[-1]).date())


def bench_scale(b: Bench) -> None:
    from trainer.db import connect, scratch_database
    from trainer.registry import publish
    from trainer.scratchoff.store import write_scratchoff

    big, run_date = replicated_frame(b)
    n_games = big.groupby(["state", "game_number"]).ngroups
    log(
        f"daily-batch at scale: {n_games} games ({b.args.states} states x the Texas games,"
        f" last {b.args.days} snapshot days, {len(big)} tier rows) in a scratch database"
    )
    name = f"bench_scale_{b.stack.api_port}"
    t0 = time.perf_counter()
    with scratch_database(name, url=b.stack.db_url) as scratch_url:
        with connect(scratch_url) as conn, conn.transaction():
            counts = write_scratchoff(conn, big)
        for c in counts:
            log(f"  {c}")
        publish(db_url=scratch_url, progress=lambda _: None)
        with connect(scratch_url) as conn:
            active = conn.execute("select count(*) from public.games where is_active").fetchone()
        setup_s = time.perf_counter() - t0
        log(f"  scratch database {name} ready in {setup_s:.1f}s ({active[0]} active games)")
        env = {**b.stack.env, "SUPABASE_DB_URL": scratch_url}
        with FunctionProcess("daily-batch", env, b.stack.state_dir / "bench-functions.log") as fn:
            fn.wait_port()
            warm = call_batch(fn.url, b.stack.service_key, EMPTY_RUN_DATE)
            log(f"  warm-up (run_date {EMPTY_RUN_DATE}): {warm['end_to_end_ms']:.0f} ms")
            runs = []
            for i in range(2):
                runs.append(call_batch(fn.url, b.stack.service_key, run_date))
                log(
                    f"  run {i + 1}: {runs[-1]['end_to_end_ms']:.0f} ms,"
                    f" handler {runs[-1]['timings_ms']}"
                )
            memory = fn.memory()
    log(f"  scratch database {name} dropped")
    b.details["daily_batch_scale"] = {
        "states": b.args.states,
        "snapshot_days": b.args.days,
        "games": n_games,
        "active_games": active[0],
        "tier_rows": len(big),
        "run_date": run_date,
        "setup_s": round(setup_s, 1),
        "warm_up": warm,
        "runs": runs,
        "function_memory_bytes": memory,
    }
    batch_rows(
        b,
        f"daily batch, {active[0]} active of {n_games} games ({b.args.states} states)",
        runs,
        True,
    )
    if memory.get("VmHWM"):
        b.row(
            "daily-batch process at scale, peak RSS",
            f"{memory['VmHWM'] / MB:.0f} MiB",
            f"<= {BAR_MEMORY_BYTES // MB} MB",
            memory["VmHWM"] <= BAR_MEMORY_BYTES,
            "the hosted per-function memory limit (DESIGN.md, Edge functions)",
        )


def bench_onnx(b: Bench) -> None:
    from trainer.export import MODELS_DIR, load_manifest

    manifest = load_manifest(MODELS_DIR)
    sizes = {}
    for name, entry in sorted(manifest["models"].items()):
        path = MODELS_DIR / entry["file"]
        size = path.stat().st_size if path.exists() else entry["size_bytes"]
        sizes[name] = size
        b.row(
            f"{name}.onnx",
            f"{size / 1024:.0f} KiB",
            "<= 2 MB",
            size <= BAR_ONNX_BYTES,
            "" if size == entry["size_bytes"] else "file size differs from the manifest!",
        )
    b.details["onnx_bytes"] = sizes


@dataclass
class GameInput:
    tiers: list[Any]
    price: float
    odds: float | None
    printed: float | None
    history: dict[int, Any]  # day -> metrics, the WINDOW_DAYS days before t
    t: int
    first_seen: int


def native_inputs(frame: Any) -> list[GameInput]:
    """Each game present on the frame's last day, as the predict function reads it."""
    import pandas as pd

    from trainer.scratchoff.analytics import tiers_from_arrays
    from trainer.scratchoff.features import WINDOW_DAYS, day_number, game_histories

    last = frame["snapshot_date"].max()
    histories = game_histories(frame)
    out = []
    for (state, game), rows in frame[frame["snapshot_date"] == last].groupby(
        ["state", "game_number"]
    ):
        rows = rows.sort_values("prize_amount")
        head = rows.iloc[0]
        history = histories[(state, game)][1]
        t = day_number(last)
        out.append(
            GameInput(
                tiers=tiers_from_arrays(
                    rows["prize_amount"].to_numpy(float),
                    rows["prizes_printed"].to_numpy(),
                    rows["prizes_remaining"].to_numpy(),
                ),
                price=float(head["ticket_price"]),
                odds=None if pd.isna(head["overall_odds"]) else float(head["overall_odds"]),
                printed=None
                if pd.isna(head["total_tickets_printed"])
                else float(head["total_tickets_printed"]),
                history={d: m for d, m in history.items() if t - WINDOW_DAYS <= d < t},
                t=t,
                first_seen=min(history),
            )
        )
    return out


def predict_one(
    g: GameInput, run_models: Callable[[Any], tuple[list[float], list[float]]], manifest: dict
) -> Any:
    """The predict function's work for one game, in Python: metrics, features, models, row."""
    import numpy as np

    from trainer.scratchoff.analytics import game_metrics
    from trainer.scratchoff.features import game_features
    from trainer.scratchoff.prediction import prediction_row

    metrics = game_metrics(g.tiers, g.price, g.odds, g.printed)
    history = {**g.history, g.t: metrics}
    x = game_features(history, g.t, g.first_seen)
    if x is None:
        return None
    changes, claims = run_models(np.asarray([x], dtype=np.float32))
    entry = manifest["ev_change_14d_rf"]
    return prediction_row(
        metrics,
        max(1, g.t - g.first_seen + 1),
        changes,
        claims,
        entry["ai_score_reference"],
        entry["confidence_spread_scale"],
    )


def bench_native(b: Bench) -> None:
    from trainer.export import MODELS_DIR, load_manifest, ort_session
    from trainer.scratchoff.features import feature_frame
    from trainer.scratchoff.forecast import SPECS, fit_fixed, labelled

    manifest = load_manifest(MODELS_DIR)["models"]
    frame = b.frame()
    inputs = native_inputs(frame)
    regressors = [s for s in SPECS if s.kind == "regressor"]
    classifiers = [s for s in SPECS if s.kind == "classifier"]

    sessions = {
        s.name: ort_session((MODELS_DIR / manifest[s.name]["file"]).read_bytes()) for s in SPECS
    }

    def run_ort(X: Any) -> tuple[list[float], list[float]]:
        changes = [float(sessions[s.name].run(None, {"input": X})[0][0, 0]) for s in regressors]
        claims = [float(sessions[s.name].run(None, {"input": X})[1][0, 1]) for s in classifiers]
        return changes, claims

    log("native: refitting the four scratch-off models with the manifest's hyperparameters")
    t0 = time.perf_counter()
    features = feature_frame(frame)
    estimators = {}
    for spec in SPECS:
        params = {k: v for k, v in manifest[spec.name]["hyperparameters"].items()}
        estimators[spec.name] = fit_fixed(spec, labelled(features, spec.target), params)
    fit_s = time.perf_counter() - t0

    def run_native(X: Any) -> tuple[list[float], list[float]]:
        changes = [float(estimators[s.name].predict(X)[0]) for s in regressors]
        claims = [float(estimators[s.name].predict_proba(X)[0, 1]) for s in classifiers]
        return changes, claims

    # The two backends agree (the refit reproduces the exported models).
    delta = 0.0
    for g in inputs:
        a, c = predict_one(g, run_ort, manifest), predict_one(g, run_native, manifest)
        if a is not None and c is not None and a.ai_score is not None:
            delta = max(delta, abs(a.ai_score - c.ai_score))

    out: dict[str, Any] = {"games": len(inputs), "runs": b.args.native_runs, "refit_s": fit_s}
    for label, runner in (("onnxruntime", run_ort), ("native", run_native)):
        for g in inputs[:5]:
            predict_one(g, runner, manifest)  # warm-up
        times = []
        for i in range(b.args.native_runs):
            g = inputs[i % len(inputs)]
            t = time.perf_counter()
            predict_one(g, runner, manifest)
            times.append(time.perf_counter() - t)
        out[label] = {"p50_ms": ms(percentile(times, 50)), "p99_ms": ms(percentile(times, 99))}
        log(f"native, {label}: p50 {out[label]['p50_ms']:.3f} ms")
    out["max_ai_score_delta"] = delta
    b.details["python_single_game"] = out
    b.row(
        "Python, one game: metrics + features + 4 models (onnxruntime, 1 thread)",
        f"p50 {out['onnxruntime']['p50_ms']:.2f} ms, p99 {out['onnxruntime']['p99_ms']:.2f} ms",
        "",
        None,
        f"committed .onnx files; in process, no DB, no HTTP; n={b.args.native_runs}",
    )
    b.row(
        "Python, one game: metrics + features + 4 models (scikit-learn / XGBoost)",
        f"p50 {out['native']['p50_ms']:.2f} ms, p99 {out['native']['p99_ms']:.2f} ms",
        "",
        None,
        f"refitted with the manifest's hyperparameters in {fit_s:.0f}s; ai_score vs onnxruntime"
        f" within {delta:.1e}",
    )


def bench_export(b: Bench) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-export-") as out:
        log(f"export: python -m trainer export --force --out {out}")
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "trainer", "export", "--force", "--out", out],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise BenchError(f"export failed ({proc.returncode}): {proc.stderr[-500:]}")
    b.details["export_s"] = round(elapsed, 1)
    b.row(
        "python -m trainer export --force, all models",
        f"{elapsed:.0f} s",
        f"<= {BAR_EXPORT_S / 60:g} min on 2 cores",
        elapsed <= BAR_EXPORT_S,
        f"{os.cpu_count()} CPUs here",
    )


# ---- main ---------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="scripts/bench",
        description="Measure DESIGN.md's bars for the edge functions on the running local stack.",
    )
    p.add_argument("--requests", type=int, default=5000, help="predict requests per level (5000)")
    p.add_argument(
        "--concurrency",
        type=lambda s: sorted({int(x) for x in s.split(",")}),
        default=[1, 16],
        help="comma-separated client counts (1,16)",
    )
    p.add_argument("--warmup", type=int, default=300, help="unmeasured requests per level (300)")
    p.add_argument("--cold-runs", type=int, default=5, help="cold starts of each kind (5)")
    p.add_argument("--run-date", default=None, help="daily-batch run_date (latest snapshot day)")
    p.add_argument(
        "--states",
        type=int,
        default=50,
        help="states in the scale test (50; more use made-up codes)",
    )
    p.add_argument("--days", type=int, default=15, help="snapshot days replicated (15)")
    p.add_argument("--native-runs", type=int, default=1000, help="Python single-game runs (1000)")
    p.add_argument(
        "--skip",
        type=lambda s: [x for x in s.split(",") if x],
        default=[],
        help=f"sections to skip, comma-separated: {','.join(SECTIONS[:-1])}",
    )
    p.add_argument("--with-export", action="store_true", help="also time trainer export --force")
    p.add_argument("--json", type=Path, default=None, help="default: .stack/<api port>/bench.json")
    args = p.parse_args(argv)
    unknown = set(args.skip) - set(SECTIONS)
    if unknown:
        p.error(f"unknown sections {sorted(unknown)}; known: {SECTIONS}")
    if not 1 <= args.states <= len(STATES) + len(EXTRA_CODES):
        p.error(f"--states must be 1..{len(STATES) + len(EXTRA_CODES)}")
    if args.requests < 1 or args.days < 1 or args.cold_runs < 1 or args.native_runs < 1:
        p.error("counts must be positive")
    return args


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so every `finally` (processes, scratch database) runs."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def deno_version() -> str:
    with contextlib.suppress(Exception):
        out = subprocess.run(["deno", "--version"], capture_output=True, text=True).stdout
        return out.splitlines()[0]
    return "unknown"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(ROOT))
    stack = find_stack()
    b = Bench(args, stack)
    sections = [s for s in SECTIONS if s not in args.skip and (s != "export" or args.with_export)]
    started = time.perf_counter()
    meta = {
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "stack": stack.url,
        "db": stack.db_url.split("@")[-1],
        "cpus": os.cpu_count(),
        "load_average_start": os.getloadavg(),
        "deno": deno_version(),
        "python": sys.version.split()[0],
        "client": f"httpx {httpx.__version__}, keep-alive, one Client per thread",
        "sections": sections,
    }
    log(f"stack {stack.url} (gateway pid {stack.gateway_pid}); {os.cpu_count()} CPUs")
    if meta["load_average_start"][0] > 0.5 * (os.cpu_count() or 1):
        log(f"note: load average {meta['load_average_start'][0]:.1f}: numbers may be noisy")
    runners = {
        "predict": bench_predict,
        "cold": bench_cold,
        "batch": bench_batch,
        "scale": bench_scale,
        "onnx": bench_onnx,
        "native": bench_native,
        "export": bench_export,
    }
    with terminate_as_interrupt():
        for name in sections:
            log(f"== {name}")
            try:
                runners[name](b)
            except (BenchError, httpx.HTTPError, ConnectionError, OSError) as exc:
                message = f"{name}: {type(exc).__name__}: {exc}"
                log(f"error: {message}")
                b.errors.append(message)
                b.row(f"{name} (section failed)", "error", "", False, str(exc)[:200])
    meta["load_average_end"] = os.getloadavg()
    meta["seconds"] = round(time.perf_counter() - started, 1)

    table = render(b.rows)
    print()
    print(
        f"Scratch Oracle bench, {meta['started_at']}, {stack.url}, {meta['cpus']} CPUs,"
        f" load average {meta['load_average_start'][0]:.1f} -> {meta['load_average_end'][0]:.1f},"
        f" {meta['deno']}, {meta['seconds']:.0f}s"
    )
    print(table)
    path = args.json or stack.state_dir / "bench.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "meta": meta,
        "rows": [
            {
                "what": r.what,
                "measured": r.measured,
                "bar": r.bar,
                "result": r.result,
                "notes": r.notes,
            }
            for r in b.rows
        ],
        "details": b.details,
        "errors": b.errors,
    }
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"\nJSON: {path}")
    return 1 if b.errors else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        log("interrupted")
        sys.exit(130)
