"""`daily-batch` on the shipped games through the gateway."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from .common import BAR_BATCH_MS, EMPTY_RUN_DATE, Bench, BenchError, latest_snapshot, log, ms


def call_batch(
    url: str, key: str, body: dict[str, Any], client: httpx.Client | None = None
) -> dict[str, Any]:
    """One daily-batch call (body: run_date and, for one part of the day, part); `client` keeps
    its connection (a new httpx client costs tens of ms of the bench's CPU: its TLS setup)."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    t0 = time.perf_counter()
    content = json.dumps(body).encode()
    if client is None:
        response = httpx.post(url, content=content, headers=headers, timeout=300)
    else:
        response = client.post(url, content=content, headers=headers, timeout=300)
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
        "engine": out.get("engine"),
        "part": out.get("part"),
        "memory_bytes": out.get("memory_bytes"),
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
            f" ({p.get('inserted')} inserted, {p.get('updated')} updated), {r['skipped']} skipped;"
            f" engine {r['engine']}",
        )


def bench_batch(b: Bench) -> None:
    run_date = b.args.run_date or latest_snapshot(b.stack.db_url)
    url = b.stack.function_url("daily-batch")
    log(f"daily-batch (shipped games) through the gateway, run_date {run_date}")
    warm = call_batch(url, b.stack.service_key, {"run_date": EMPTY_RUN_DATE})
    log(f"  warm-up (run_date {EMPTY_RUN_DATE}, writes nothing): {warm['end_to_end_ms']:.0f} ms")
    runs = []
    for i in range(2):
        runs.append(call_batch(url, b.stack.service_key, {"run_date": run_date}))
        log(f"  run {i + 1}: {runs[-1]['end_to_end_ms']:.0f} ms, handler {runs[-1]['timings_ms']}")
    b.details["daily_batch_shipped"] = {"run_date": run_date, "warm_up": warm, "runs": runs}
    batch_rows(b, f"daily batch, shipped games ({runs[0]['games']}), via gateway", runs, False)
