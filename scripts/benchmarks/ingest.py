"""`ingest` (the daily loop) through the gateway and the loopback feed server: one Texas day in
the function (bar <= 300 ms) and 50 states' feeds of one day end to end (bar <= 5 s).

Test-only state codes (Y?, and 50 codes Q?/R? for the 50 states) each read the shipped Texas
export of the latest day; they are removed afterwards and the other feed sources are disabled
meanwhile (as the other sections, run it on a stack nobody else is testing against).
- one Texas day: `ingest` of one state whose day is new (fetch, archive, parse, validate, one
  transaction writing its games, tiers and snapshots); the function's own time and the whole HTTP
  call; then the same day again (nothing written);
- 50 states: one `ingest` call that fetches, archives and writes 50 states' feeds concurrently.
"""

from __future__ import annotations

import statistics
import string
import sys
import time

import psycopg

from .common import ROOT, Bench, log

sys.path.insert(0, str(ROOT / "supabase" / "tests"))
from conftest import Stack, stack_from_env  # noqa: E402 (the tests' view of the stack)
from feed_loop import TX_PATH, ingest, test_sources  # noqa: E402
from stack_data import http  # noqa: E402

BAR_ONE_DAY_MS = 300
BAR_FIFTY_STATES_S = 5
REPEAT = 5


def timed_ingest(stack: Stack, states: list[str]) -> tuple[float, dict, float]:
    """(wall ms of the HTTP call, the runs, the function's own ms)."""
    started = time.perf_counter()
    status, _, body = http(
        stack.functions_url("ingest"), {"states": states}, stack.service_role_key, timeout=120
    )
    wall = (time.perf_counter() - started) * 1000
    assert status == 200, body
    return wall, {r["state"]: r for r in body["runs"]}, body["timings_ms"]["total"]


def one_day(b: Bench, stack: Stack, conn: psycopg.Connection) -> None:
    codes = [f"Y{c}" for c in string.ascii_uppercase[:REPEAT]]
    with test_sources(conn, stack.feed_url, {c: TX_PATH for c in codes}, only=True):
        ingest(stack, ["YZ"])  # warms the function's process (no such source: nothing fetched)
        new, again = [], []
        for code in codes:
            wall, runs, inside = timed_ingest(stack, [code])
            assert runs[code]["outcome"] == "ingested", runs
            new.append((wall, inside))
            wall, runs, inside = timed_ingest(stack, [code])
            assert runs[code]["outcome"] == "same_day", runs
            again.append((wall, inside))
        tiers = runs[codes[-1]]["rows"]
    for what, figures, bar in [
        (f"ingest, one Texas day, new ({tiers} tiers)", new, True),
        ("ingest, one Texas day again (nothing written)", again, False),
    ]:
        inside = statistics.median(f[1] for f in figures)
        wall = statistics.median(f[0] for f in figures)
        b.row(
            what,
            f"{inside:.0f} ms in the function",
            f"<= {BAR_ONE_DAY_MS} ms" if bar else "",
            inside <= BAR_ONE_DAY_MS if bar else None,
            f"median of {len(figures)}; {wall:.0f} ms over HTTP; in the function min"
            f" {min(f[1] for f in figures):.0f}, max {max(f[1] for f in figures):.0f} ms",
        )
        log(f"  {what}: {inside:.0f} ms in the function, {wall:.0f} ms over HTTP")


def fifty_states(b: Bench, stack: Stack, conn: psycopg.Connection) -> None:
    codes = [a + c for a in "QR" for c in string.ascii_uppercase][:50]
    with test_sources(conn, stack.feed_url, {c: TX_PATH for c in codes}, only=True):
        wall, runs, inside = timed_ingest(stack, codes)
        outcomes = sorted({r["outcome"] for r in runs.values()})
        rows = sum(r["rows"] for r in runs.values())
        again, _, _ = timed_ingest(stack, codes)
    b.row(
        "ingest, 50 states' feeds of one day, end to end",
        f"{wall / 1000:.2f} s",
        f"<= {BAR_FIFTY_STATES_S} s",
        wall / 1000 <= BAR_FIFTY_STATES_S,
        f"{inside} ms in the function; {rows} tiers; outcomes {outcomes}; the same again (nothing"
        f" new) {again / 1000:.2f} s",
    )
    log(f"  50 states: {wall / 1000:.2f} s end to end; again {again / 1000:.2f} s")


def bench_ingest(b: Bench) -> None:
    stack = stack_from_env()
    log(f"ingest through the gateway; feeds from {stack.feed_url}")
    with psycopg.connect(stack.db_url, autocommit=True) as conn:
        one_day(b, stack, conn)
        fifty_states(b, stack, conn)
