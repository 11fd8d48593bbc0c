"""`ingest` of every enabled state's feed with its per-game requests, end to end (bar <= 5 s):
one call through the gateway that fetches from the loopback feed server (Texas: the export, the
listing and one page per game; Massachusetts: the list and one prize document per game; ...),
archives, parses, validates and writes every state.

Each enabled feed source runs as a test-only copy (W + a letter, as the scheduled-path test does:
supabase/tests/test_feed_schedule.py), so the stack's own data is untouched; the copies are removed
afterwards and the real sources re-enabled. A state whose documents the feed server does not serve
(an adapter not on this branch) fails fast and is counted apart.
"""

from __future__ import annotations

import sys
import time

import psycopg

from .common import ROOT, Bench, log

sys.path.insert(0, str(ROOT / "supabase" / "tests"))
from conftest import stack_from_env  # noqa: E402 (the tests' view of the stack)
from feed_loop import enabled_copies, request_sources  # noqa: E402
from stack_data import http  # noqa: E402

BAR_FEEDS_S = 5


def bench_feeds(b: Bench) -> None:
    stack = stack_from_env()
    with psycopg.connect(stack.db_url, autocommit=True) as conn:
        copies = enabled_copies(conn, stack.feed_url, "W")
        rows = {code: (layout, requests) for code, (layout, requests, _s) in copies.items()}
        names = {code: state for code, (_l, _r, state) in copies.items()}
        with request_sources(conn, stack.feed_url, rows, only=True):
            started = time.perf_counter()
            status, _, body = http(
                stack.functions_url("ingest"),
                {"states": list(rows)},
                stack.service_role_key,
                timeout=120,
            )
            wall = time.perf_counter() - started
    if status != 200:
        raise ConnectionError(f"ingest answered {status}: {str(body)[:200]}")
    runs = body["runs"]
    landed = [r for r in runs if r["outcome"] == "ingested"]
    documents = sum(len(r["payload_ids"]) for r in runs)
    per_state = ", ".join(
        f"{names[r['state']]} {r['outcome']} ({len(r['payload_ids'])} docs)" for r in runs
    )
    b.row(
        f"feeds: all {len(runs)} enabled states' feeds, one ingest call, end to end",
        f"{wall:.2f} s",
        f"<= {BAR_FEEDS_S} s",
        wall <= BAR_FEEDS_S,
        f"{len(landed)} ingested, {documents} documents fetched, {sum(r['rows'] for r in landed)}"
        f" tiers; {body['timings_ms']['total']} ms in the function; {per_state}",
    )
    log(f"  {len(runs)} states, {documents} documents: {wall:.2f} s end to end ({per_state})")
