"""`predict` warm through the gateway, straight to its process, and the Python peer doing the same
work (peer_server.py), under the same wrk load (load.py) at each connection level, one after the
other, in one run: latency, throughput, errors and the servers' CPU per request; and the memory of
the gateway and of each function process under the gateway's load."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import httpx

from .common import (
    BAR_CPU_MS,
    BAR_HEAP_BYTES,
    BAR_MEMORY_BYTES,
    BAR_MIN_REQUESTS,
    BAR_MIN_RPS,
    BAR_P50_MS,
    BAR_P99_MS,
    BAR_PEER_RATIO,
    MB,
    Bench,
    BenchError,
    active_games,
    log,
)
from .load import Processes, measure, postgres_processes
from .peer import peer_server
from .stack import MemorySampler, function_pids, gateway_processes, serve_port

# The three servers, as named in the table; the bars of DESIGN.md apply to the first two.
TARGETS = {
    "gateway": "predict via gateway",
    "direct": "predict straight to the function process",
    "peer": "Python peer (Starlette + uvicorn, psycopg pool, onnxruntime)",
}
BAR_LEVEL = 16  # the connection level the throughput, p99, errors, CPU and ratio bars are set at


def connections_label(n: int) -> str:
    return f"{n} connection{'s' if n > 1 else ''}"


def served_engine(url: str, body: bytes, headers: dict[str, str]) -> str:
    """The ONNX engine the predict process answers with (its response names it)."""
    response = httpx.post(url, content=body, headers=headers, timeout=60)
    if response.status_code != 200:
        raise BenchError(f"predict answered {response.status_code}: {response.text[:200]}")
    return response.json()["result"]["engine"]


def bench_predict(b: Bench) -> None:
    games = active_games(b.stack.db_url)
    bodies = [json.dumps({"state": s, "game_number": g}).encode() for _, s, g in games]
    url = b.stack.function_url("predict")
    headers = b.headers(b.stack.anon_key)
    engine = served_engine(url, bodies[0], headers)
    ports = [serve_port(p) for p in function_pids(b.stack.gateway_pid, "predict")]
    if len(ports) != 1 or ports[0] is None:
        raise BenchError(f"expected one predict process with a readable port, found {ports}")
    log(
        f"predict: {len(games)} active games, engine {engine}, {b.args.duration} s a run after"
        f" {b.args.warmup} s of warm-up, connections {b.args.concurrency}"
    )
    postgres = postgres_processes(b.stack.db_url)
    gateway = gateway_processes(b.stack.gateway_pid)

    def servers(*more: Processes) -> Processes:
        return lambda: {pid: role for p in (postgres, *more) for pid, role in p().items()}

    def gateway_and_predict() -> dict[int, str]:  # not the stack's other functions' processes
        return {pid: role for pid, role in gateway().items() if role in ("gateway", "predict")}

    ours = servers(gateway_and_predict)
    results: dict[str, dict[int, dict[str, Any]]] = {t: {} for t in TARGETS}
    memory: dict[str, Any] = {}
    with peer_server(b) as (peer_url, peer_pid):
        for c in b.args.concurrency:
            runs = {
                "gateway": (url, headers, ours),
                "direct": (f"http://127.0.0.1:{ports[0]}/predict", headers, ours),
                "peer": (peer_url, {}, servers(lambda: {peer_pid: "peer"})),
            }
            for target, (where, hdrs, processes) in runs.items():
                label = f"{TARGETS[target]}, {connections_label(c)}"
                sampler = (
                    MemorySampler(gateway, b.stack.gateway_log, gateway_pid=b.stack.gateway_pid)
                    if target == "gateway"
                    else None
                )
                with sampler or contextlib.nullcontext():
                    results[target][c] = measure(
                        label, where, bodies, hdrs, c, b.args.duration, b.args.warmup, processes
                    )
                if sampler is not None:
                    memory[c] = sampler.report()
    b.details["predict"] = {"games": len(games), "engine": engine, "by_target": results}
    predict_rows(b, results, engine)
    top = max(memory)
    memory_rows(b, memory[top], connections_label(top))


def predict_rows(b: Bench, results: dict[str, dict[int, dict[str, Any]]], engine: str) -> None:
    """One row of figures per server and level, then the bars."""
    for target, levels in results.items():
        for c, s in levels.items():
            roles = ", ".join(f"{k} {v:.3f}" for k, v in s["server_cpu_ms_by_role"].items())
            b.row(
                f"{TARGETS[target]}, {connections_label(c)}",
                f"p50 {s['p50_ms']:.2f} ms, p99 {s['p99_ms']:.2f} ms,"
                f" {s['throughput_rps']:,.0f} req/s",
                "",
                None,
                f"{s['errors']} errors in {s['requests']:,}; server CPU"
                f" {s['server_cpu_ms_per_request']:.3f} ms/request ({roles}); wrk"
                f" {s['client_cpu_ms_per_request']:.3f} ms/request"
                + (f"; engine {engine}" if target != "peer" else ""),
            )
    for target in ("gateway", "direct"):
        levels = results[target]
        name = TARGETS[target]
        if 1 in levels:
            p50 = levels[1]["p50_ms"]
            b.row(f"{name}, 1 connection: p50", f"{p50:.2f} ms", f"<= {BAR_P50_MS[target]:g} ms",
                  p50 <= BAR_P50_MS[target])  # fmt: skip
        s = levels.get(BAR_LEVEL)
        if s is None:
            continue
        at = f"{name}, {connections_label(BAR_LEVEL)}"
        rps, cpu = s["throughput_rps"], s["server_cpu_ms_per_request"]
        b.row(f"{at}: requests/s", f"{rps:,.0f}", f">= {BAR_MIN_RPS[target]:,.0f}",
              rps >= BAR_MIN_RPS[target])  # fmt: skip
        b.row(f"{at}: p99", f"{s['p99_ms']:.2f} ms", f"<= {BAR_P99_MS:g} ms",
              s["p99_ms"] <= BAR_P99_MS)  # fmt: skip
        b.row(
            f"{at}: errors",
            f"{s['errors']} in {s['requests']:,}",
            f"0 in >= {BAR_MIN_REQUESTS:,}",
            s["errors"] == 0 and s["requests"] >= BAR_MIN_REQUESTS,
            "; ".join(f"{k}: {v}" for k, v in s["error_kinds"].items()),
        )
        b.row(f"{at}: server CPU per request", f"{cpu:.3f} ms", f"<= {BAR_CPU_MS:g} ms",
              cpu <= BAR_CPU_MS, "gateway + function + PostgreSQL, utime + stime")  # fmt: skip
    for c, peer in results["peer"].items():
        for target in ("gateway", "direct"):
            ours = results[target].get(c)
            if ours is None:
                continue
            ratio = ours["throughput_rps"] / max(peer["throughput_rps"], 1e-9)
            barred = c == BAR_LEVEL
            b.row(
                f"{TARGETS[target]} / Python peer, requests/s, {connections_label(c)}",
                f"{ratio:.2f}x",
                f">= {BAR_PEER_RATIO:g}x" if barred else "",
                ratio >= BAR_PEER_RATIO if barred else None,
                f"{ours['throughput_rps']:,.0f} vs {peer['throughput_rps']:,.0f} req/s; server CPU"
                f" {ours['server_cpu_ms_per_request']:.3f} vs"
                f" {peer['server_cpu_ms_per_request']:.3f} ms/request",
            )


def memory_rows(b: Bench, mem: dict[str, Any], under: str) -> None:
    """Per function process: V8 heap + external and RSS; the gateway's RSS."""
    for name, heap in sorted(mem["heap_external_by_function_bytes"].items()):
        b.row(
            f"{name} process under load ({under}): V8 heap + external",
            f"{heap['heap_total_external'] / MB:.0f} MiB",
            f"<= {BAR_HEAP_BYTES // MB} MB",
            heap["heap_total_external"] <= BAR_HEAP_BYTES,
            f"peak heapTotal + external (heapUsed + external {heap['heap_used_external'] / MB:.0f}"
            f" MiB), {heap['n']} reports",
        )
    for name, rss in sorted(mem["peak_by_process_bytes"].items()):
        b.row(
            f"{name} process under load ({under}): peak RSS",
            f"{rss / MB:.0f} MiB",
            f"<= {BAR_MEMORY_BYTES // MB} MB",
            rss <= BAR_MEMORY_BYTES,
            f"{mem['samples']} samples"
            + (
                f"; lifetime VmHWM {mem['gateway_hwm_bytes'] / MB:.0f} MiB"
                if name == "gateway" and mem.get("gateway_hwm_bytes")
                else ""
            ),
        )
