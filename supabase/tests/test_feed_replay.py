"""Done-when of the daily loop: the 115 shipped Texas days replayed through the scheduled path (the
`ingest` pg_cron job's own command -> net.http_post -> pg_net stand-in -> gateway -> `ingest` ->
loopback feed server), one day after another, give exactly the database content that
`python -m trainer ingest` gives for the canonical file (games, prize tiers, historical_snapshots:
the same content hash), apart from the attributes the feed lacks: the reference is the canonical
file with its overall odds and tickets printed blanked, loaded by trainer.ingest into a scratch
database. A second replay changes nothing.

The replay runs under the test-only state code ZR with every other feed source disabled, so that
the shipped TX data the other tests read is untouched; all of it is removed afterwards."""

from __future__ import annotations

import time

import numpy as np
import psycopg
import pytest
from feed_loop import TX_PATH, content_hash, counts, feed_control, shipped_days
from feed_loop import test_sources as sources
from stack_data import replaying, run_job

from trainer.db import scratch_database
from trainer.scratchoff.load import load_scratchoff
from trainer.scratchoff.store import write_scratchoff


@pytest.fixture(scope="module")
def reference(stack) -> tuple[dict[str, str], dict[str, int]]:
    """The canonical file without the feed's missing attributes, through trainer.ingest."""
    frame = load_scratchoff()
    frame["overall_odds"] = np.nan
    frame["total_tickets_printed"] = np.nan
    with (
        scratch_database("feed_replay_reference", stack.db_url) as url,
        psycopg.connect(url) as conn,
    ):
        with conn.transaction():
            write_scratchoff(conn, frame)
        return content_hash(conn, "TX"), counts(conn, "TX")


def replay(conn: psycopg.Connection, feed_url: str, command: str, days: list[str]) -> list[dict]:
    runs = []
    for day in days:
        feed_control(feed_url, day=day)
        response = run_job(conn, command)
        assert [r["state"] for r in response["runs"]] == ["ZR"], response
        runs.append(response["runs"][0])
    return runs


def test_replaying_the_shipped_days_through_the_schedule_matches_trainer_ingest(stack, reference):
    want_hash, want_counts = reference
    with psycopg.connect(stack.db_url, autocommit=True) as conn:
        job = conn.execute(
            "select command, schedule, active from cron.job where jobname = 'ingest'"
        ).fetchone()
        assert job is not None, "no pg_cron job named ingest"
        command, schedule, active = job
        assert (schedule, active) == ("30 7 * * *", True)  # before the batch at 08:00
        assert "public.start_daily_step('ingest'," in command  # test_daily_recovery
        days = shipped_days(stack.feed_url)
        assert len(days) == 115
        with (
            sources(conn, stack.feed_url, {"ZR": TX_PATH}, only=True),
            replaying(conn, "ingest"),
        ):
            started = time.monotonic()
            first = replay(conn, stack.feed_url, command, days)
            seconds = time.monotonic() - started
            assert [r["outcome"] for r in first] == ["ingested"] * len(days), [
                (r["as_of"], r["error"]) for r in first if r["outcome"] != "ingested"
            ]
            assert [r["as_of"] for r in first] == days
            got_hash, got_counts = content_hash(conn, "ZR"), counts(conn, "ZR")
            print(
                f"\nreplay of {len(days)} days through the schedule: {seconds:.1f} s;"
                f" {got_counts} stored; content hashes {got_hash}"
            )
            assert got_counts == want_counts
            assert got_hash == want_hash

            again = replay(conn, stack.feed_url, command, days)
            assert {r["outcome"] for r in again[:-1]} == {"older"}
            assert again[-1]["outcome"] == "same_day"
            assert all(r["counts"] == {} for r in again)
            assert content_hash(conn, "ZR") == want_hash
            # Every payload once in the archive, whatever the number of fetches.
            archived = conn.execute(
                "select count(*), count(distinct as_of) from public.feed_payloads"
                " where state = 'ZR'"
            ).fetchone()
            assert archived == (len(days), len(days))
