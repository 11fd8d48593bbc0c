"""Closed-loop HTTP load with wrk (Debian's native load generator, scripts/setup installs it):
N keep-alive connections on one wrk thread, the POST bodies rotated by wrk_post.lua; latency
percentiles, throughput and errors from wrk, and the CPU the servers spent per request from /proc
(utime + stime of every server process, PostgreSQL's backends included): the figure a shared
machine disturbs least, since a busy neighbour delays a request but does not add to its CPU."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from .common import BenchError, log
from .stack import children

WRK_SCRIPT = Path(__file__).with_name("wrk_post.lua")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

Processes = Callable[[], dict[int, str]]  # {pid: role} of the servers a load exercises


def error_kind(response: httpx.Response | None, exc: Exception | None) -> str:
    if exc is not None:
        return type(exc).__name__
    assert response is not None
    code = ""
    with contextlib.suppress(Exception):
        code = response.json()["error"]["code"]
    return f"HTTP {response.status_code} {code}".strip()


# ---- server CPU (/proc) -------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of the whole process (every thread), in seconds; None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # fields 14 and 15 of proc(5)


def cpu_snapshot(processes: Processes) -> dict[int, tuple[str, float]]:
    out = {}
    for pid, role in processes().items():
        seconds = cpu_seconds(pid)
        if seconds is not None:
            out[pid] = (role, seconds)
    return out


def cpu_by_role(
    before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]
) -> dict[str, float]:
    """CPU seconds spent between two snapshots, summed by role; a process born in between counts
    whole (a backend that ended in between is lost: the pools keep theirs for the run)."""
    out: dict[str, float] = {}
    for pid, (role, seconds) in after.items():
        out[role] = out.get(role, 0.0) + seconds - before.get(pid, (role, 0.0))[1]
    return out


def postgres_processes(db_url: str) -> Processes:
    """{pid: "postgres"} of the postmaster and every process it forked (the backends, the
    background workers): found through a backend's parent."""
    from trainer.db import connect

    with connect(db_url) as conn:
        row = conn.execute("select pg_backend_pid()").fetchone()
    assert row is not None
    status = Path(f"/proc/{row[0]}/status").read_text()
    postmaster = int(next(ln for ln in status.splitlines() if ln.startswith("PPid:")).split()[1])
    return lambda: {postmaster: "postgres", **{pid: "postgres" for pid in children(postmaster)}}


# ---- wrk ----------------------------------------------------------------------------------------


def wrk_command(url: str, headers: dict[str, str], connections: int, seconds: float) -> list[str]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise BenchError("wrk is not installed (scripts/setup installs it: apt-get install wrk)")
    header_args = [arg for k, v in headers.items() for arg in ("-H", f"{k}: {v}")]
    return [
        wrk, "-t1", f"-c{connections}", f"-d{max(int(seconds), 1)}s", "--timeout", "10s",
        *header_args, "-s", str(WRK_SCRIPT), url,
    ]  # fmt: skip


def run_wrk(
    url: str,
    bodies: list[bytes],
    headers: dict[str, str],
    connections: int,
    seconds: float,
    processes: Processes,
    expect: str = '"result"',
) -> dict[str, Any]:
    """One wrk run; wrk's figures (a response that is not a 200 whose body holds `expect` counts
    as `unexpected`), the servers' CPU by role and wrk's own CPU."""
    with tempfile.NamedTemporaryFile("wb", suffix=".jsonl") as f:
        f.write(b"\n".join(bodies) + b"\n")
        f.flush()
        command = [*wrk_command(url, {"Content-Type": "application/json", **headers},
                                connections, seconds), "--", f.name, expect]  # fmt: skip
        client_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        before = cpu_snapshot(processes)
        done = subprocess.run(command, capture_output=True, text=True)
        after = cpu_snapshot(processes)
        client_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise BenchError(f"wrk failed ({done.returncode}): {(done.stderr or done.stdout)[-300:]}")
    out = json.loads(lines[-1])
    out["server_cpu_s"] = cpu_by_role(before, after)
    out["client_cpu_s"] = (client_after.ru_utime + client_after.ru_stime) - (
        client_before.ru_utime + client_before.ru_stime
    )
    return out


def summarize(run: dict[str, Any], connections: int) -> dict[str, Any]:
    """The bench's figures of one wrk run (times in ms; CPU per request in ms)."""
    requests = run["requests"]
    # "unexpected" holds every non-200 (wrk's own "status" counts only 4xx and 5xx)
    kinds = ("connect", "read", "write", "timeout", "unexpected")
    error_kinds = {k: run[k] for k in kinds if run[k]}
    per_request = 1000 / max(requests, 1)
    cpu = run["server_cpu_s"]
    return {
        "connections": connections,
        "requests": requests,
        "errors": sum(error_kinds.values()),
        "error_kinds": error_kinds,
        "elapsed_s": round(run["duration_us"] / 1e6, 3),
        "throughput_rps": round(requests / (run["duration_us"] / 1e6), 1),
        **{f"{p}_ms": round(run[f"{p}_us"] / 1000, 3) for p in ("p50", "p90", "p99", "max")},
        "mean_ms": round(run["mean_us"] / 1000, 3),
        "server_cpu_ms_per_request": round(sum(cpu.values()) * per_request, 3),
        "server_cpu_ms_by_role": {k: round(v * per_request, 3) for k, v in sorted(cpu.items())},
        "client_cpu_ms_per_request": round(run["client_cpu_s"] * per_request, 3),
    }


def measure(
    label: str,
    url: str,
    bodies: list[bytes],
    headers: dict[str, str],
    connections: int,
    seconds: float,
    warmup_seconds: float,
    processes: Processes,
) -> dict[str, Any]:
    """A warm-up run (its figures dropped), then the measured run."""
    if warmup_seconds > 0:
        warm = run_wrk(url, bodies, headers, connections, warmup_seconds, processes)
        if warm["requests"] == 0 or warm["unexpected"] == warm["requests"]:
            raise BenchError(f"{label}: no warm-up request succeeded: {warm}")
    summary = summarize(run_wrk(url, bodies, headers, connections, seconds, processes), connections)
    log(
        f"{label}: p50 {summary['p50_ms']:.2f} ms, p99 {summary['p99_ms']:.2f} ms,"
        f" {summary['throughput_rps']:.0f} req/s, {summary['errors']} errors in"
        f" {summary['requests']}, server CPU {summary['server_cpu_ms_per_request']:.3f} ms/request"
        f" {summary['server_cpu_ms_by_role']}"
    )
    return summary
