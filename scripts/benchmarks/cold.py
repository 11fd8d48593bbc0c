"""Cold start: process to first answer, through the gateway and spawned directly."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time

import httpx

from .common import BAR_COLD_MS, Bench, active_games, log, median, ms
from .load import error_kind
from .stack import FunctionProcess, function_pids, wait_gone


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

    # 2. Directly: `deno run` as the gateway does, timed to the first 200, with each engine.
    log_path = b.stack.state_dir / "bench-functions.log"
    direct: dict[str, list[float]] = {}
    port_times: dict[str, list[float]] = {}
    for engine in ("builtin", "web"):
        direct[engine], port_times[engine] = [], []
        for i in range(runs):
            with FunctionProcess("predict", b.stack.env, log_path, engine) as fn:
                port_times[engine].append(fn.wait_port())
                with httpx.Client(headers=headers, timeout=60) as client:
                    response = client.post(fn.url, content=body)
                elapsed = time.perf_counter() - fn.started
            if response.status_code != 200:
                failures.append(f"direct {engine}: {error_kind(response, None)}")
            elif response.json()["result"]["engine"] != engine:
                failures.append(
                    f"direct {engine}: answered by {response.json()['result']['engine']}"
                )
            else:
                direct[engine].append(elapsed)
            log(f"cold start direct, {engine} engine, {i + 1}/{runs}: {ms(elapsed):.0f} ms")

    engine = b.stack.engine
    b.details["cold_start"] = {
        "runs": runs,
        "via_gateway_engine": engine,
        "via_gateway_ms": [ms(x) for x in via_gateway],
        "direct_ms": {k: [ms(x) for x in v] for k, v in direct.items()},
        "direct_port_open_ms": {k: [ms(x) for x in v] for k, v in port_times.items()},
        "failures": failures,
    }
    cases = [
        (
            f"cold start via gateway, {engine} engine (process killed -> first 200)",
            via_gateway,
            BAR_COLD_MS[engine],
            "gateway spawns deno, waits for the port, proxies",
        )
    ]
    for name, values in direct.items():
        cases.append(
            (
                f"cold start, `deno run` spawned directly -> first 200, {name} engine",
                values,
                BAR_COLD_MS[name],
                f"port open after median {ms(median(port_times[name])):.0f} ms"
                if port_times[name]
                else "",
            )
        )
    for label, values, bar, note in cases:
        if not values:
            b.row(label, "no successful run", f"<= {bar:g} ms", False, "; ".join(failures))
            continue
        b.row(
            label,
            f"median {ms(median(values)):.0f} ms, max {ms(max(values)):.0f} ms",
            f"<= {bar:g} ms",
            ms(median(values)) <= bar,
            f"n={len(values)}, judged on the median; {note}"
            + (f"; failures: {failures}" if failures else ""),
        )
