"""Done-when of issue 19's scheduled path: the `ingest` pg_cron job's own command -> net.http_post
-> pg_net stand-in -> gateway -> `ingest` fetches every enabled feed source, with its per-game
requests, from the loopback feed server in one run. Each enabled source runs as a test-only copy
(X + a letter: the same layout and requests, read under its own path, so that the shipped data
other tests read is untouched and a fault can hit one copy); the others are disabled meanwhile.

Every copy whose documents the feed server serves is ingested; one whose requests fail is
recorded failed while the others land, and catches up on the next run; a run with nothing new
changes nothing. The test iterates over the enabled rows: a state added to feed_sources (and its
route to the feed server) is covered without a change here."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import psycopg
from feed_loop import content_hash, enabled_copies, feed_control, request_sources
from stack_data import replaying, run_job


def served(feed_url: str, code: str, requests: list[dict]) -> bool:
    """Whether the feed server answers the copy's first request with a 200."""
    first = requests[0]
    request = urllib.request.Request(
        f"{feed_url}/{code}/{first['url']}",
        data=first["body"].encode() if first.get("method") == "POST" else None,
        method=first.get("method", "GET"),
        headers=first.get("headers", {}),
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status == 200
    except urllib.error.HTTPError:
        return False


def outcomes(response: dict) -> dict[str, str]:
    return {r["state"]: r["outcome"] for r in response["runs"]}


def test_one_scheduled_run_ingests_every_enabled_state(stack):
    with psycopg.connect(stack.db_url, autocommit=True) as conn:
        (command,) = conn.execute(
            "select command from cron.job where jobname = 'ingest'"
        ).fetchone()
        copies = enabled_copies(conn, stack.feed_url, "X")
        every = {"TX", "NY", "MA", "NJ", "SD", "GA", "MI", "FL"}
        assert {state for _l, _r, state in copies.values()} >= every
        rows = {code: (layout, requests) for code, (layout, requests, _s) in copies.items()}
        live = {c for c, (_l, requests) in rows.items() if served(stack.feed_url, c, requests)}
        tx = next(c for c, (_l, _r, state) in copies.items() if state == "TX")
        # The loopback server stands in for every enabled state's documents.
        assert live == set(rows), sorted(set(rows) - live)
        with request_sources(conn, stack.feed_url, rows, only=True), replaying(conn, "ingest"):
            # One run: every served state lands but the one whose requests fail (HTTP 500).
            feed_control(stack.feed_url, faults={tx: "500"})
            first = run_job(conn, command)
            got = outcomes(first)
            assert set(got) == set(rows), got
            want = {c: "ingested" if c in live - {tx} else "failed" for c in rows}
            assert got == want, json.dumps(first["runs"], indent=1)[:3000]
            failed = next(r for r in first["runs"] if r["state"] == tx)
            assert failed["error"].endswith("HTTP 500") and failed["counts"] == {}
            print(f"\none scheduled run: {got}; {first['timings_ms']}")
            # The next run: the failed state catches up; the others have nothing new.
            feed_control(stack.feed_url, faults={})
            landed = {c: content_hash(conn, c) for c in live - {tx}}
            second = outcomes(run_job(conn, command))
            unserved = {c: "failed" for c in rows if c not in live}
            assert second == {tx: "ingested"} | dict.fromkeys(live - {tx}, "same_day") | unserved
            assert {c: content_hash(conn, c) for c in landed} == landed
            # And once more: nothing changes anywhere.
            before = {c: content_hash(conn, c) for c in live}
            third = outcomes(run_job(conn, command))
            assert {c: o for c, o in third.items() if c in live} == dict.fromkeys(live, "same_day")
            assert {c: content_hash(conn, c) for c in live} == before
