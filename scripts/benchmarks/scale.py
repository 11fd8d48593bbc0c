"""`daily-batch` for the Texas games replicated over many states, in a scratch database."""

from __future__ import annotations

import math
import time
from typing import Any

from .batch import batch_rows, call_batch
from .common import BAR_BATCH_GAMES, EMPTY_RUN_DATE, EXTRA_CODES, STATES, Bench, log
from .predict import memory_rows
from .stack import FunctionProcess, MemorySampler


def replicated_frame(b: Bench) -> tuple[Any, str, int]:
    """The canonical Texas frame's last `days` snapshot days under each of `states` state codes
    (default: enough for BAR_BATCH_GAMES games on the last day, the active ones)."""
    import pandas as pd

    frame = b.frame()
    days = sorted(frame["snapshot_date"].unique())[-b.args.days :]
    recent = frame[frame["snapshot_date"].isin(days)]
    per_state = recent[recent["snapshot_date"] == days[-1]]["game_number"].nunique()
    states = b.args.states or math.ceil(BAR_BATCH_GAMES / per_state)
    codes = (STATES + EXTRA_CODES)[:states]
    big = pd.concat([recent.assign(state=code) for code in codes], ignore_index=True)
    return big, str(pd.Timestamp(days[-1]).date()), states


def bench_scale(b: Bench) -> None:
    from trainer.db import connect, scratch_database
    from trainer.registry import publish
    from trainer.scratchoff.store import write_scratchoff

    big, run_date, states = replicated_frame(b)
    n_games = big.groupby(["state", "game_number"]).ngroups
    log(
        f"daily-batch at scale: {n_games} games ({states} states x the Texas games,"
        f" last {b.args.days} snapshot days, {len(big)} tier rows) in a scratch database"
    )
    name = f"bench_scale_{b.stack.api_port}"
    t0 = time.perf_counter()
    with scratch_database(name, url=b.stack.db_url) as scratch_url:
        with connect(scratch_url) as conn, conn.transaction():
            counts = write_scratchoff(conn, big)
        for c in counts:
            log(f"  {c}")
        # the publish gate evaluates on the shipped files, not on the replicated bench rows
        publish(db_url=scratch_url, progress=lambda _: None, source="files")
        with connect(scratch_url) as conn:
            active = conn.execute("select count(*) from public.games where is_active").fetchone()
        setup_s = time.perf_counter() - t0
        log(f"  scratch database {name} ready in {setup_s:.1f}s ({active[0]} active games)")
        env = {**b.stack.env, "SUPABASE_DB_URL": scratch_url}
        log_path = b.stack.state_dir / "bench-functions.log"
        with FunctionProcess("daily-batch", env, log_path, b.stack.engine) as fn:
            fn.wait_port()
            warm = call_batch(fn.url, b.stack.service_key, EMPTY_RUN_DATE)
            log(f"  warm-up (run_date {EMPTY_RUN_DATE}): {warm['end_to_end_ms']:.0f} ms")
            runs = []
            with MemorySampler(lambda: {fn.proc.pid: "daily-batch (at scale)"}, log_path) as mem:
                for i in range(2):
                    runs.append(call_batch(fn.url, b.stack.service_key, run_date))
                    log(
                        f"  run {i + 1}: {runs[-1]['end_to_end_ms']:.0f} ms,"
                        f" handler {runs[-1]['timings_ms']}"
                    )
            memory = mem.report()
    log(f"  scratch database {name} dropped")
    b.details["daily_batch_scale"] = {
        "states": states,
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
        f"daily batch, {active[0]} active of {n_games} games ({states} states)",
        runs,
        active[0] >= BAR_BATCH_GAMES,
    )
    memory_rows(b, memory, f"{active[0]} games")
