"""`predict` warm through the gateway and straight to its process at each concurrency level, and
the memory of the gateway and of each function process while it runs."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from .common import (
    BAR_HEAP_BYTES,
    BAR_MEMORY_BYTES,
    BAR_MIN_REQUESTS,
    BAR_MIN_RPS,
    BAR_P50_MS,
    BAR_P99_MS,
    MB,
    Bench,
    BenchError,
    active_games,
    log,
    ms,
    percentile,
)
from .load import gateway_latencies, run_load
from .stack import MemorySampler, function_pids, gateway_processes, serve_port


def clients_label(n: int) -> str:
    return f"{n} client{'s' if n > 1 else ''}"


def load_levels(
    b: Bench,
    name: str,
    url: str,
    bodies: list[bytes],
    headers: dict[str, str],
    sampler: Callable[[], MemorySampler] | None = None,
) -> dict[int, dict[str, Any]]:
    """At each concurrency level: a warm-up, then b.args.requests measured (closed loop, one
    keep-alive client per thread); the summary, with the memory sampled during the run."""
    results = {}
    for concurrency in b.args.concurrency:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        clients = [
            httpx.Client(headers=headers, timeout=30, limits=limits) for _ in range(concurrency)
        ]
        label = f"{name}, {clients_label(concurrency)}"
        try:
            log(f"{label}: warm-up, {b.args.warmup} requests")
            warm = run_load(clients, url, bodies, b.args.warmup, f"{label} warm-up")
            if warm.error_count == warm.requests:
                raise BenchError(f"{name}: every warm-up request failed: {warm.errors}")
            log(f"{label}: {b.args.requests} requests")
            if sampler is None:
                result = run_load(clients, url, bodies, b.args.requests, label)
                memory = None
            else:
                with sampler() as memory:
                    result = run_load(clients, url, bodies, b.args.requests, label)
        finally:
            for c in clients:
                c.close()
        summary = result.summary()
        if memory is not None:
            summary["memory"] = memory.report()
        results[concurrency] = summary
        log(
            f"{label}: p50 {summary['p50_ms']:.2f} ms, p99 {summary['p99_ms']:.2f} ms,"
            f" {summary['errors']} errors, {summary['throughput_rps']:.0f} req/s"
        )
    return results


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
    log(f"predict: {len(games)} active games, engine {engine}, {b.args.requests} requests a level")
    offset = b.stack.gateway_log.stat().st_size if b.stack.gateway_log.exists() else 0
    results = load_levels(
        b,
        "predict via gateway",
        url,
        bodies,
        headers,
        lambda: MemorySampler(
            gateway_processes(b.stack.gateway_pid),
            b.stack.gateway_log,
            gateway_pid=b.stack.gateway_pid,
        ),
    )
    logged = gateway_latencies(b.stack.gateway_log, offset)
    direct = predict_direct(b, bodies, headers)
    b.details["predict"] = {
        "games": len(games),
        "engine": engine,
        "by_concurrency": results,
        "direct_to_function": direct,
        "gateway_logged": {"n": len(logged), "p50_ms": ms(percentile(logged, 50))}
        if logged
        else None,
    }
    for concurrency, s in results.items():
        at = f"predict warm via gateway, {clients_label(concurrency)} ({engine})"
        rate = f"{s['throughput_rps']:.0f} req/s"
        if concurrency == 1:
            b.row(
                f"{at}: p50",
                f"{s['p50_ms']:.2f} ms",
                f"<= {BAR_P50_MS:g} ms",
                s["p50_ms"] <= BAR_P50_MS,
                f"p99 {s['p99_ms']:.2f} ms; {rate}",
            )
        else:
            b.row(
                f"{at}: requests/s",
                rate,
                f">= {BAR_MIN_RPS:,.0f} at 16",
                s["throughput_rps"] >= BAR_MIN_RPS if concurrency == 16 else None,
                f"p50 {s['p50_ms']:.2f} ms",
            )
            b.row(
                f"{at}: p99",
                f"{s['p99_ms']:.2f} ms",
                f"<= {BAR_P99_MS:g} ms at 16",
                s["p99_ms"] <= BAR_P99_MS if concurrency == 16 else None,
                f"max {s['max_ms']:.1f} ms",
            )
        b.row(
            f"{at}: errors",
            f"{s['errors']} in {s['requests']}",
            f"0 in >= {BAR_MIN_REQUESTS:,}",
            s["errors"] == 0 and s["requests"] >= BAR_MIN_REQUESTS,
            "; ".join(
                [f"{k}: {v}" for k, v in s["error_kinds"].items()]
                + (["too few requests for the bar"] if s["requests"] < BAR_MIN_REQUESTS else [])
            ),
        )
    for concurrency, s in (direct or {}).items():
        b.row(
            f"predict straight to the function process, {clients_label(concurrency)}",
            f"p50 {s['p50_ms']:.2f} ms, p99 {s['p99_ms']:.2f} ms, {s['throughput_rps']:.0f} req/s",
            "",
            None,
            f"no gateway; {s['errors']} errors in {s['requests']}",
        )
    memory_rows(b, results[max(results)]["memory"], f"{max(results)} clients")


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


def predict_direct(
    b: Bench, bodies: list[bytes], headers: dict[str, str]
) -> dict[int, dict[str, Any]] | None:
    """The same load straight to the gateway's predict process: the gateway hop is the
    difference, and the fair comparison with the Python peer (no gateway either)."""
    ports = [serve_port(p) for p in function_pids(b.stack.gateway_pid, "predict")]
    if not ports or ports[0] is None:
        log("predict direct: the function's port is not readable; skipped")
        return None
    return load_levels(b, "predict direct", f"http://127.0.0.1:{ports[0]}/predict", bodies, headers)
