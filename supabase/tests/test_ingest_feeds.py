"""The `ingest` function against the loopback feed server, through the gateway: a new day is
written and archived; each fault of a state's feed (a time-out, HTTP 500, an HTML error page, a
payload cut mid-row, a payload that fails validation) is recorded in ingest_runs with its error,
writes nothing for that state (its previous day stays, byte for byte) and does not stop another
state; a feed whose as-of date is the stored day or older changes nothing and its run says so; the
same payload is archived once; only the service role may call it.

Two test-only state codes read the shipped Texas export: ZA (the one that fails), ZB (healthy)."""

from __future__ import annotations

import hashlib
import re

import pytest
from feed_loop import TX_PATH, content_hash, counts, drop_state, feed_control, ingest, shipped_days
from feed_loop import test_sources as sources
from stack_data import assert_json_error, http

FAULTS = [
    ("timeout", r"no complete answer within 1000 ms"),
    ("500", r"HTTP 500"),
    ("html", r"an HTML page \(status 200\), not a TX feed"),
    ("truncated", r"."),  # the adapter's own words; what matters is that it is refused
    ("invalid", r"."),
]


@pytest.fixture(scope="module")
def days(stack) -> list[str]:
    return shipped_days(stack.feed_url)


@pytest.fixture
def states(stack, conn):
    with sources(conn, stack.feed_url, {"ZA": TX_PATH, "ZB": TX_PATH}):
        yield


def runs_of(conn, state: str) -> list[tuple]:
    return conn.execute(
        "select outcome, as_of::text, stored_as_of::text, rows, error from public.ingest_runs"
        " where state = %s order by id",
        (state,),
    ).fetchall()


def test_a_new_day_is_written_archived_and_recorded(stack, conn, days, states):
    feed_control(stack.feed_url, day=days[10])
    runs = ingest(stack, ["ZA", "ZB"])
    run = runs["ZA"]
    assert (run["outcome"], run["as_of"], run["stored_as_of"], run["error"]) == (
        "ingested",
        days[10],
        None,
        None,
    )
    stored = counts(conn, "ZA")
    assert stored["days"] == 1 and stored["tiers"] == run["rows"] > 0
    assert run["counts"]["games"]["inserted"] == stored["games"]
    assert run["counts"]["prize_tier_snapshots"] == {
        "rows": run["rows"],
        "inserted": run["rows"],
        "updated": 0,
    }
    assert content_hash(conn, "ZA") == content_hash(conn, "ZB")
    # The archive holds the payload byte for byte, with its hash and as-of date.
    body, sha, size, as_of = conn.execute(
        "select body, sha256, bytes, as_of::text from public.feed_payloads where id = %s",
        (run["payload_ids"][0],),
    ).fetchone()
    assert hashlib.sha256(body).hexdigest() == sha and len(body) == size and as_of == days[10]
    assert bytes(body).startswith(b'"Scratch-Off Prizes as of ')
    assert runs_of(conn, "ZA") == [("ingested", days[10], None, run["rows"], None)]
    # Games of the day are active; the day's snapshot is every game's latest.
    active, total = conn.execute(
        "select count(*) filter (where is_active), count(*) from public.games where state = 'ZA'"
    ).fetchone()
    assert active == total == stored["games"]


def test_the_same_day_again_or_an_older_day_changes_nothing(stack, conn, days, states):
    feed_control(stack.feed_url, day=days[10])
    ingest(stack, ["ZA"])
    before = content_hash(conn, "ZA")
    payloads = conn.execute(
        "select count(*) from public.feed_payloads where state = 'ZA'"
    ).fetchone()
    same = ingest(stack, ["ZA"])["ZA"]
    assert (same["outcome"], same["as_of"], same["stored_as_of"]) == (
        "same_day",
        days[10],
        days[10],
    )
    assert same["counts"] == {} and same["error"] is None
    # The same bytes are archived once: the run points at the first copy.
    after = conn.execute("select count(*) from public.feed_payloads where state = 'ZA'").fetchone()
    assert after == payloads
    feed_control(stack.feed_url, day=days[3])
    older = ingest(stack, ["ZA"])["ZA"]
    assert (older["outcome"], older["as_of"], older["stored_as_of"]) == ("older", days[3], days[10])
    assert content_hash(conn, "ZA") == before
    assert [r[0] for r in runs_of(conn, "ZA")] == ["ingested", "same_day", "older"]
    # The older payload is new bytes: archived all the same (nothing fetched is lost).
    assert conn.execute(
        "select count(*) from public.feed_payloads where state = 'ZA' and as_of = %s", (days[3],)
    ).fetchone() == (1,)


@pytest.mark.parametrize(("fault", "message"), FAULTS, ids=[f for f, _ in FAULTS])
def test_a_failing_feed_writes_nothing_and_the_others_proceed(
    stack, conn, days, states, fault, message
):
    feed_control(stack.feed_url, day=days[20], faults={})
    ingest(stack, ["ZA", "ZB"])
    yesterday = content_hash(conn, "ZA")
    conn.execute("update public.feed_sources set timeout_ms = 1000 where state = 'ZA'")
    feed_control(stack.feed_url, day=days[21], faults={"ZA": fault})
    runs = ingest(stack, ["ZA", "ZB"])
    failed = runs["ZA"]
    assert failed["outcome"] == "failed", failed
    assert failed["counts"] == {}
    assert failed["error"] and re.search(message, failed["error"]), failed["error"]
    assert "Traceback" not in failed["error"]
    # Nothing written for the failing state: yesterday's data stays as it was.
    assert content_hash(conn, "ZA") == yesterday
    assert counts(conn, "ZA")["days"] == 1
    recorded = runs_of(conn, "ZA")[-1]
    assert recorded[0] == "failed" and recorded[4] == failed["error"]
    # Whatever arrived is archived (a time-out brings nothing).
    archived = conn.execute(
        "select count(*) from public.feed_payloads where id = any(%s)", (failed["payload_ids"],)
    ).fetchone()[0]
    assert archived == (0 if fault == "timeout" else 1)
    # The other state ingested the new day.
    ok = runs["ZB"]
    assert (ok["outcome"], ok["as_of"], ok["stored_as_of"]) == ("ingested", days[21], days[20])
    assert counts(conn, "ZB")["days"] == 2
    # Once the feed is healthy again the state catches up.
    feed_control(stack.feed_url, faults={})
    assert ingest(stack, ["ZA"])["ZA"]["outcome"] == "ingested"
    assert content_hash(conn, "ZA") == content_hash(conn, "ZB")


def test_only_the_service_role_may_call_it(stack, conn, states):
    before = conn.execute("select count(*) from public.ingest_runs").fetchone()
    url = stack.functions_url("ingest")
    assert_json_error(*http(url, {}, stack.anon_key), 403, "forbidden")
    assert_json_error(
        *http(url, {"states": ["ZA"], "x": 1}, stack.service_role_key), 422, "invalid_body"
    )
    assert_json_error(*http(url, {"states": "ZA"}, stack.service_role_key), 422, "invalid_body")
    assert conn.execute("select count(*) from public.ingest_runs").fetchone() == before


def test_the_loop_tables_are_the_service_roles_alone(conn):
    for table in ("feed_sources", "feed_payloads", "ingest_runs"):
        for role in ("anon", "authenticated"):
            assert not conn.execute(
                "select has_table_privilege(%s, %s, 'select')", (role, f"public.{table}")
            ).fetchone()[0], (role, table)


def test_one_odd_game_is_dropped_with_a_warning_and_the_others_land(stack, conn, days, states):
    # Issue 19: a prize level the adapter cannot value drops that game only; the run records the
    # adapter's warning (state, game, field) in ingest_runs.warnings; the state's day lands.
    feed_control(stack.feed_url, day=days[30], faults={"ZA": "odd"})
    runs = ingest(stack, ["ZA", "ZB"])
    odd, healthy = runs["ZA"], runs["ZB"]
    assert (odd["outcome"], healthy["outcome"]) == ("ingested", "ingested"), runs
    assert len(odd["warnings"]) == 1, odd["warnings"]
    assert re.fullmatch(
        r'TX game \d+: Prize Level "A CAR" cannot be valued; game not loaded', odd["warnings"][0]
    )
    number = odd["warnings"][0].split()[2].rstrip(":")
    assert odd["rows"] < healthy["rows"]
    stored = conn.execute(
        "select warnings from public.ingest_runs where state = 'ZA' order by id desc limit 1"
    ).fetchone()[0]
    assert stored == odd["warnings"]
    games = {g for (g,) in conn.execute("select game_number from public.games where state = 'ZA'")}
    assert number not in games and len(games) == counts(conn, "ZB")["games"] - 1
    feed_control(stack.feed_url, faults={})


def test_new_jersey_through_the_function_with_derived_odds_flagged(stack, conn):
    # Issue 19: the IGT adapter in the function: New Jersey's real answer from the loopback
    # server under a test state code; every active game lands, its odds flagged as derived.
    with sources(conn, stack.feed_url, {}):
        drop_state(conn, "ZC")
        conn.execute(
            "insert into public.feed_sources (state, layout, urls, timeout_ms)"
            " values ('ZC', 'NJ', array[%s], 20000)",
            (f"{stack.feed_url}/ZC/nj/games",),
        )
        try:
            run = ingest(stack, ["ZC"])["ZC"]
            assert (run["outcome"], run["as_of"], run["warnings"]) == (
                "ingested",
                "2019-03-13",
                [],
            ), run
            flags = conn.execute(
                "select count(*), count(*) filter (where odds_derived) from public.games"
                " where state = 'ZC'"
            ).fetchone()
            assert flags == (116, 116)
            assert ingest(stack, ["ZC"])["ZC"]["outcome"] == "same_day"
        finally:
            drop_state(conn, "ZC")
