"""Bench of the daily loop's ingest (DESIGN.md, Bars: one Texas day in the function <= 300 ms; 50
states' feeds of one day end to end <= 5 s). Prints figures; asserts nothing.

    python scripts/bench_ingest.py [--repeat N]

Against the running stack (`scripts/stack up`; STACK_PG_PORT / STACK_API_PORT select another) and
its loopback feed server. Uses test-only state codes (Y?, and 50 codes Q?/R? for the 50 states,
each reading the shipped Texas export of the latest day), removed afterwards; the other feed
sources are disabled meanwhile, so run it on a stack nobody else is testing against.
- one Texas day: `ingest` of one state whose day is new (fetch, archive, parse, validate, one
  transaction writing 71 games, 705 tiers and 71 snapshots); the function's own time and the
  whole HTTP call through the gateway; then the same day again (nothing written);
- 50 states: one `ingest` call that fetches, archives and writes 50 states' feeds concurrently.
"""

from __future__ import annotations

import argparse
import statistics
import string
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "supabase" / "tests"))
from conftest import Stack, stack_from_env  # noqa: E402 (the tests' view of the stack)
from feed_loop import TX_PATH, ingest, test_sources  # noqa: E402


def timed_ingest(stack: Stack, states: list[str]) -> tuple[float, dict, float]:
    """(wall ms of the HTTP call, the runs, the function's own ms)."""
    from stack_data import http

    started = time.perf_counter()
    status, _, body = http(
        stack.functions_url("ingest"), {"states": states}, stack.service_role_key, timeout=120
    )
    wall = (time.perf_counter() - started) * 1000
    assert status == 200, body
    return wall, {r["state"]: r for r in body["runs"]}, body["timings_ms"]["total"]


def one_day(stack: Stack, conn: psycopg.Connection, repeat: int) -> list[str]:
    codes = [f"Y{c}" for c in string.ascii_uppercase[:repeat]]
    with test_sources(conn, stack.feed_url, {c: TX_PATH for c in codes}, only=True):
        ingest(stack, ["YZ"])  # warm the function's process (no such source: nothing fetched)
        new, again = [], []
        for code in codes:
            wall, runs, inside = timed_ingest(stack, [code])
            assert runs[code]["outcome"] == "ingested", runs
            new.append((wall, inside))
            wall, runs, inside = timed_ingest(stack, [code])
            assert runs[code]["outcome"] == "same_day", runs
            again.append((wall, inside))
        tiers = runs[codes[-1]]["rows"]

    def line(what: str, figures: list[tuple[float, float]]) -> str:
        inside = statistics.median(f[1] for f in figures)
        wall = statistics.median(f[0] for f in figures)
        return (
            f"{what}: median {inside:.0f} ms in the function, {wall:.0f} ms over HTTP"
            f" (min {min(f[1] for f in figures):.0f}, max {max(f[1] for f in figures):.0f} ms"
            f" in the function; {len(figures)} runs)"
        )

    return [
        line(f"one Texas day, new ({tiers} tiers)", new) + "   bar <= 300 ms",
        line("one Texas day, the same day again (nothing written)", again),
    ]


def fifty_states(stack: Stack, conn: psycopg.Connection) -> list[str]:
    codes = [a + b for a in "QR" for b in string.ascii_uppercase][:50]
    with test_sources(conn, stack.feed_url, {c: TX_PATH for c in codes}, only=True):
        wall, runs, inside = timed_ingest(stack, codes)
        outcomes = {r["outcome"] for r in runs.values()}
        rows = sum(r["rows"] for r in runs.values())
        again, _, _ = timed_ingest(stack, codes)
    return [
        f"50 states' feeds of one day: {wall / 1000:.2f} s end to end ({inside} ms in the"
        f" function; {rows} tiers; outcomes {sorted(outcomes)})   bar <= 5 s",
        f"50 states again, nothing new: {again / 1000:.2f} s end to end",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="one-day runs (default 5, max 25)")
    args = parser.parse_args()
    stack = stack_from_env()
    with psycopg.connect(stack.db_url, autocommit=True) as conn:
        lines = one_day(stack, conn, min(max(args.repeat, 1), 25))
        lines += fifty_states(stack, conn)
    print("\n".join(f"[bench ingest] {line}" for line in lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
