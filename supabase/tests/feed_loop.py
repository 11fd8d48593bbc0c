"""Helpers of the daily-loop tests (test_ingest_feeds, test_feed_replay, test_freshness): drive
the loopback feed server, add feed sources of test-only state codes (so that the shipped TX data
other tests read is never touched), call `ingest`, and hash a state's stored content."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from stack_data import http

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from local.feed_server import control as feed_control  # noqa: E402 (scripts/ is no package)

TX_PATH = "tx/scratchoff.csv"
# Texas with its game pages: the export, the listing, a details page per listed game.
TX_WITH_PAGES = [
    {"url": "tx/scratchoff.csv"},
    {"url": "tx/all.html"},
    {"url": "tx/details.html_{id}.html", "each": 1},
]


def shipped_days(feed_url: str) -> list[str]:
    return feed_control(feed_url)["days"]


def ingest(stack, states: list[str] | None = None) -> dict[str, dict]:
    """Calls `ingest` through the gateway; {state: its run}."""
    status, _, body = http(
        stack.functions_url("ingest"),
        {} if states is None else {"states": states},
        stack.service_role_key,
        timeout=120,
    )
    assert status == 200, body
    return {run["state"]: run for run in body["runs"]}


def drop_state(conn: psycopg.Connection, state: str) -> None:
    """Everything stored for a test state: its games (tiers, snapshots, predictions cascade), its
    runs, its archived payloads and its source."""
    conn.execute("delete from public.games where state = %s", (state,))
    conn.execute("delete from public.ingest_runs where state = %s", (state,))
    conn.execute("delete from public.feed_payloads where state = %s", (state,))
    conn.execute("delete from public.feed_sources where state = %s", (state,))


@contextmanager
def test_sources(
    conn: psycopg.Connection, feed_url: str, states: dict[str, str], only: bool = False
) -> Iterator[None]:
    """Feed sources for test-only state codes ({state: the server path it reads}, layout TX)."""
    rows = {state: ("TX", [{"url": path}]) for state, path in states.items()}
    with request_sources(conn, feed_url, rows, only):
        yield


@contextmanager
def request_sources(
    conn: psycopg.Connection,
    feed_url: str,
    states: dict[str, tuple[str, list[dict]]],
    only: bool = False,
    **columns: object,
) -> Iterator[None]:
    """Feed sources for test-only state codes ({state: (layout, requests)}, each request's url a
    path under <feed server>/<state>/) on a clean slate, with `columns` of feed_sources set; with
    only=True every other source is disabled meanwhile (for the cron job's command, which ingests
    every enabled source). Afterwards all of it is removed or restored, and the feed server serves
    the latest day without faults again."""
    for state in states:
        drop_state(conn, state)
    disabled: list[str] = []
    if only:
        disabled = [
            s
            for (s,) in conn.execute(
                "update public.feed_sources set enabled = false where enabled returning state"
            ).fetchall()
        ]
    for state, (layout, requests) in states.items():
        full = [{**r, "url": f"{feed_url}/{state}/{r['url']}"} for r in requests]
        conn.execute(
            "insert into public.feed_sources (state, layout, requests, timeout_ms)"
            " values (%s, %s, %s::jsonb, 20000)",
            (state, layout, json.dumps(full)),
        )
        for column, value in columns.items():
            conn.execute(
                f"update public.feed_sources set {column} = %s where state = %s", (value, state)
            )
    try:
        yield
    finally:
        feed_control(feed_url, day=None, faults={})
        for state in states:
            drop_state(conn, state)
        if disabled:
            conn.execute(
                "update public.feed_sources set enabled = true where state = any(%s)", (disabled,)
            )


def enabled_copies(conn: psycopg.Connection, feed_url: str, prefix: str) -> dict[str, tuple]:
    """Every enabled feed source as a test-only copy, {code: (layout, requests, the real state)}:
    codes prefix + A, B, ...; the same layout and requests, read under the copy's own path on the
    feed server (so that a fault can hit one copy)."""
    rows = conn.execute(
        "select state, layout, requests from public.feed_sources where enabled order by state"
    ).fetchall()
    copies: dict[str, tuple] = {}
    for (state, layout, requests), letter in zip(rows, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", strict=False):
        base = f"{feed_url}/{state}/"
        paths = [{**r, "url": r["url"].removeprefix(base)} for r in requests]
        assert all(not p["url"].startswith("http") for p in paths), (state, "not on loopback")
        copies[prefix + letter] = (layout, paths, state)
    return copies


# One md5 per table of a state's stored content, by game number (ids and the state code left
# out, so that two states, or two databases, can be compared).
CONTENT_SQL = {
    "games": """select md5(coalesce(string_agg(row(g.game_number, g.name, g.ticket_price,
        g.overall_odds, g.total_tickets_printed, g.top_prize_amount, g.total_top_prizes,
        g.remaining_top_prizes, g.is_active, g.first_seen, g.last_scraped_at)::text, '|'
        order by g.game_number), '')) from public.games g where g.state = %s""",
    "prize_tier_snapshots": """select md5(coalesce(string_agg(row(g.game_number, t.snapshot_date,
        t.tier_index, t.prize_label, t.prize_amount, t.prizes_printed, t.prizes_remaining)::text,
        '|' order by g.game_number, t.snapshot_date, t.tier_index), ''))
        from public.prize_tier_snapshots t join public.games g on g.id = t.game_id
        where g.state = %s""",
    "historical_snapshots": """select md5(coalesce(string_agg(
        (to_jsonb(h) - 'game_id' - 'created_at' || jsonb_build_object('game', g.game_number))::text,
        '|' order by g.game_number, h.snapshot_date), ''))
        from public.historical_snapshots h join public.games g on g.id = h.game_id
        where g.state = %s""",
}


def content_hash(conn: psycopg.Connection, state: str) -> dict[str, str]:
    return {table: conn.execute(sql, (state,)).fetchone()[0] for table, sql in CONTENT_SQL.items()}


def counts(conn: psycopg.Connection, state: str) -> dict[str, int]:
    return dict(
        zip(
            ["games", "tiers", "days"],
            conn.execute(
                "select count(distinct g.id), count(*), count(distinct t.snapshot_date)"
                " from public.prize_tier_snapshots t join public.games g on g.id = t.game_id"
                " where g.state = %s",
                (state,),
            ).fetchone(),
            strict=True,
        )
    )
