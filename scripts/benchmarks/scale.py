"""The daily batch's day at scale: the Texas games replicated over many states in a scratch database
(every migration, as the stack), the day's parts (public.daily_step_parts) sent as the daily step
sends them, over `--batch-workers` function processes at once; then the same day again (a rerun
must write nothing). Per invocation: CPU time (/proc/<pid>/stat of its process, which serves one
call at a time), V8 heap + external (the function's own report, and the shim's samples) and RSS."""

from __future__ import annotations

import json
import math
import os
import queue
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

from .batch import call_batch
from .common import (
    BAR_BATCH_CPU_MS,
    BAR_BATCH_GAMES,
    BAR_BATCH_MS_PER_GAME,
    BAR_HEAP_BYTES,
    BAR_MEMORY_BYTES,
    EMPTY_RUN_DATE,
    EXTRA_CODES,
    MB,
    STATES,
    Bench,
    BenchError,
    log,
)
from .stack import FunctionProcess, MemorySampler

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
WRITE_STATES = 40


def replicated_frame(b: Bench, games: int) -> tuple[Any, str, int]:
    """The canonical Texas frame's last `--days` snapshot days under as many state codes as make
    `games` games on the last day (the active ones)."""
    import pandas as pd

    frame = b.frame()
    days = sorted(frame["snapshot_date"].unique())[-b.args.days :]
    recent = frame[frame["snapshot_date"].isin(days)]
    per_state = recent[recent["snapshot_date"] == days[-1]]["game_number"].nunique()
    states = math.ceil(games / per_state)
    if states > len(STATES) + len(EXTRA_CODES):
        raise BenchError(f"{games} games need {states} state codes; there are fewer")
    codes = (STATES + EXTRA_CODES)[:states]
    big = pd.concat([recent.assign(state=code) for code in codes], ignore_index=True)
    return big, str(pd.Timestamp(days[-1]).date()), states


def copy_active_models(from_url: str, to_url: str) -> None:
    """The models the stack serves (its active model_registry rows), as `trainer publish` wrote
    them there: publishing again would re-run the publish gate's evaluation for half a minute."""
    from trainer.db import connect

    columns = "name, version, sha256, onnx, manifest, is_active"
    with connect(from_url) as source:
        rows = source.execute(
            "select name, version, sha256, onnx, manifest::text, is_active"
            " from public.model_registry where is_active"
        ).fetchall()
    if not rows:
        raise BenchError("the stack has no active model: run python -m trainer publish")
    with connect(to_url) as target, target.transaction():
        target.cursor().executemany(
            f"insert into public.model_registry ({columns}) values (%s, %s, %s, %s, %s::jsonb, %s)",
            rows,
        )


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (every thread), /proc/<pid>/stat fields 14 and 15."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def run_day(fns: list[FunctionProcess], bodies: list[dict], key: str) -> dict[str, Any]:
    """Every part's call, each worker (one function process) taking the next part when done, as
    the runtime's isolates would; the wall time of the whole day and each call's figures."""
    todo: queue.SimpleQueue[dict] = queue.SimpleQueue()
    for body in bodies:
        todo.put(body)
    calls: list[dict[str, Any]] = []
    errors: list[str] = []

    def work(fn: FunctionProcess, client: httpx.Client) -> None:
        assert fn.proc is not None
        while True:
            try:
                body = todo.get_nowait()
            except queue.Empty:
                return
            try:
                cpu0 = cpu_seconds(fn.proc.pid)
                call = call_batch(fn.url, key, body, client)
                call["cpu_ms"] = round((cpu_seconds(fn.proc.pid) - cpu0) * 1000)
                call["rss_bytes"] = fn.memory().get("VmRSS", 0)
                calls.append(call)
            except Exception as exc:  # noqa: BLE001 (reported below, the section fails)
                errors.append(f"{json.dumps(body)}: {exc}")

    clients = [httpx.Client() for _ in fns]
    try:
        t0 = time.perf_counter()
        threads = [
            threading.Thread(target=work, args=pair) for pair in zip(fns, clients, strict=True)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
    finally:
        for client in clients:
            client.close()
    if errors:
        raise BenchError(f"{len(errors)} of {len(bodies)} parts failed, e.g. {errors[0][:300]}")
    total = {k: sum(c["predictions"][k] for c in calls) for k in ("rows", "inserted", "updated")}
    return {"wall_ms": round(wall * 1000), "calls": calls, "predictions": total}


def largest(calls: list[dict[str, Any]], key: str) -> dict[str, Any]:
    return max(calls, key=lambda c: c[key])


def day_rows(b: Bench, label: str, day: dict[str, Any], active: int, heap: dict) -> None:
    calls = day["calls"]
    # the targets are set at 5,000 and 20,000 games; smaller runs (--smoke) get no bar
    bar_ms = active * BAR_BATCH_MS_PER_GAME if active >= BAR_BATCH_GAMES else None
    p = day["predictions"]
    b.row(
        f"{label}: the whole day",
        f"{day['wall_ms']} ms",
        f"<= {bar_ms:.0f} ms" if bar_ms else "",
        day["wall_ms"] <= bar_ms if bar_ms else None,
        f"{len(calls)} calls; {p['rows']} predictions ({p['inserted']} inserted,"
        f" {p['updated']} updated)",
    )
    cpu = largest(calls, "cpu_ms")
    b.row(
        f"{label}: largest invocation's CPU time",
        f"{cpu['cpu_ms']} ms",
        f"<= {BAR_BATCH_CPU_MS:g} ms",
        cpu["cpu_ms"] <= BAR_BATCH_CPU_MS,
        f"part {cpu['part']}: {cpu['games']} games, {cpu['end_to_end_ms']:.0f} ms end to end;"
        f" /proc/<pid>/stat utime+stime of its process",
    )
    own = max(c["memory_bytes"]["peak_heap_and_external"] for c in calls)
    sampled = max((h["heap_used_external"] for h in heap.values()), default=0)
    peak = max(own, sampled)
    b.row(
        f"{label}: largest invocation's V8 heap + external",
        f"{peak / MB:.0f} MiB",
        f"<= {BAR_HEAP_BYTES // MB} MB",
        peak <= BAR_HEAP_BYTES,
        f"heapUsed + external: {own / MB:.0f} MiB as the function reports it after each chunk,"
        f" {sampled / MB:.0f} MiB sampled every 50 ms",
    )
    rss = largest(calls, "rss_bytes")
    b.row(
        f"{label}: largest function process RSS",
        f"{rss['rss_bytes'] / MB:.0f} MiB",
        f"<= {BAR_MEMORY_BYTES // MB} MB",
        rss["rss_bytes"] <= BAR_MEMORY_BYTES,
        "after a call, the process having served the calls before it",
    )


def bench_scale(b: Bench) -> None:
    for games in b.args.games:
        scale_day(b, games)


def scale_day(b: Bench, games: int) -> None:
    from trainer.db import connect, scratch_database
    from trainer.scratchoff.store import write_scratchoff

    big, run_date, states = replicated_frame(b, games)
    n_games = big.groupby(["state", "game_number"]).ngroups
    log(
        f"daily batch at scale: {n_games} games ({states} states x the Texas games,"
        f" last {b.args.days} snapshot days, {len(big)} tier rows) in a scratch database"
    )
    name = f"bench_scale_{b.stack.api_port}_{os.getpid()}"  # two benches never share one
    t0 = time.perf_counter()
    with scratch_database(name, url=b.stack.db_url) as scratch_url:
        # a few states a transaction: the history check reads a transaction's rows as one jsonb
        # value, which PostgreSQL caps at 256 MB (about 60 states of these rows)
        codes = list(big["state"].unique())
        for i in range(0, len(codes), WRITE_STATES):
            with connect(scratch_url) as conn, conn.transaction():
                counts = write_scratchoff(conn, big[big["state"].isin(codes[i : i + WRITE_STATES])])
            last = min(i + WRITE_STATES, len(codes))
            log(f"  states {i + 1}-{last}: {'; '.join(map(str, counts))}")
        copy_active_models(b.stack.db_url, scratch_url)
        with connect(scratch_url) as conn:
            if b.args.part_games:
                conn.execute(
                    "update public.daily_steps set part_games = %s where step = 'daily-batch'",
                    (b.args.part_games,),
                )
                conn.commit()
            (active,) = conn.execute("select count(*) from public.games where is_active").fetchone()
            (part_games,) = conn.execute(
                "select part_games from public.daily_steps where step = 'daily-batch'"
            ).fetchone()
            bodies = [
                body
                for (body,) in conn.execute(
                    "select body from public.daily_step_parts('daily-batch', %s) order by part",
                    (run_date,),
                )
            ]
        setup_s = time.perf_counter() - t0
        log(
            f"  scratch database {name} ready in {setup_s:.1f}s: {active} active games,"
            f" {len(bodies)} parts of at most {part_games} games"
        )
        env = {**b.stack.env, "SUPABASE_DB_URL": scratch_url}
        log_path = b.stack.state_dir / "bench-functions.log"
        workers = b.args.batch_workers
        with ExitStack() as processes:
            fns = [
                processes.enter_context(
                    FunctionProcess("daily-batch", env, log_path, b.stack.engine)
                )
                for _ in range(workers)
            ]
            for fn in fns:
                fn.wait_port()
                call_batch(fn.url, b.stack.service_key, {**bodies[0], "run_date": EMPTY_RUN_DATE})
            names = {fn.proc.pid: f"daily-batch worker {i + 1}" for i, fn in enumerate(fns)}
            with MemorySampler(lambda: names, log_path) as mem:
                day = run_day(fns, bodies, b.stack.service_key)
            log(f"  the day: {day['wall_ms']} ms over {workers} workers, {day['predictions']}")
            rerun = run_day(fns, bodies, b.stack.service_key)
            log(f"  the rerun: {rerun['wall_ms']} ms, {rerun['predictions']}")
            heap = mem.heap_by_process()
    log(f"  scratch database {name} dropped")
    if rerun["predictions"]["inserted"] or rerun["predictions"]["updated"]:
        raise BenchError(f"the rerun of the day wrote predictions: {rerun['predictions']}")
    b.details[f"daily_batch_scale_{games}"] = {
        "states": states,
        "snapshot_days": b.args.days,
        "games": n_games,
        "active_games": active,
        "part_games": part_games,
        "parts": len(bodies),
        "workers": workers,
        "tier_rows": len(big),
        "run_date": run_date,
        "setup_s": round(setup_s, 1),
        "day": day,
        "rerun": rerun,
        "heap_sampled_bytes": heap,
    }
    label = (
        f"daily batch, {active} active games ({states} states, {len(bodies)} parts,"
        f" {workers} workers)"
    )
    day_rows(b, label, day, active, heap)
    b.row(
        f"{label}: the rerun",
        f"{rerun['wall_ms']} ms",
        "",
        None,
        f"{rerun['predictions']['rows']} predictions, 0 inserted, 0 updated (checked)",
    )
