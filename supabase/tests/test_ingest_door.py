"""The `ingest` function is a door too (issue 13): a feed day the state's adapter reads but the
trainer's rules refuse (_shared/input_rules.ts, the same rule file as trainer/rules.py) fails its
run with the refusal in ingest_runs.error, naming the row and column; nothing is written for that
state (its payload is still archived), and the next healthy day is ingested. A day dated beyond
tomorrow cannot freeze the state. Remaining counts that rise from the stored previous day are
refused by the history checks the trainer's ingest uses (*_ingest_history_schema.sql). A price
change is loaded, recorded as a warning, and each day keeps its own price, also for predict.

An older feed day after a newer one changes nothing: test_ingest_feeds.py
(test_the_same_day_again_or_an_older_day_changes_nothing) holds that."""

from __future__ import annotations

import pytest
from feed_loop import TX_PATH, content_hash, counts, feed_control, ingest, shipped_days
from feed_loop import test_sources as sources
from stack_data import http

# fault -> (column, words in the refusal)
REFUSED = {
    "future": ("snapshot_date", "in the future: 2099-12-31 is after"),
    "control": ("game_name", "control character U+001B"),
    "subcent": ("prize_amount", 'more than cent precision: "150.001"'),
    "rising": ("prizes_remaining", "(claimed prizes do not come back)"),
}


@pytest.fixture(scope="module")
def days(stack) -> list[str]:
    return shipped_days(stack.feed_url)


@pytest.fixture
def za(stack, conn):
    with sources(conn, stack.feed_url, {"ZA": TX_PATH}):
        yield


def last_run(conn) -> tuple:
    return conn.execute(
        "select outcome, error, warnings, payload_ids from public.ingest_runs where state = 'ZA'"
        " order by id desc limit 1"
    ).fetchone()


@pytest.mark.parametrize("fault", REFUSED)
def test_a_hostile_feed_day_is_refused_at_the_door_and_writes_nothing(stack, conn, days, za, fault):
    feed_control(stack.feed_url, day=days[20], faults={})
    assert ingest(stack, ["ZA"])["ZA"]["outcome"] == "ingested"
    before = content_hash(conn, "ZA")
    feed_control(stack.feed_url, day=days[21], faults={"ZA": fault})
    run = ingest(stack, ["ZA"])["ZA"]
    column, words = REFUSED[fault]
    assert run["outcome"] == "failed" and run["counts"] == {} and run["warnings"] == [], run
    assert "/ZA/tx/scratchoff.csv (canonical rows), row " in run["error"], run["error"]
    assert f", column '{column}': " in run["error"] and words in run["error"], run["error"]
    assert content_hash(conn, "ZA") == before and counts(conn, "ZA")["days"] == 1
    outcome, error, warnings, payload_ids = last_run(conn)
    assert (outcome, error, warnings) == ("failed", run["error"], [])
    assert payload_ids == run["payload_ids"]
    assert conn.execute(
        "select count(*) from public.feed_payloads where id = any(%s)", (payload_ids,)
    ).fetchone() == (1,)
    # The refusal froze nothing: the next healthy day goes in.
    feed_control(stack.feed_url, day=days[22], faults={})
    assert ingest(stack, ["ZA"])["ZA"]["outcome"] == "ingested"
    assert counts(conn, "ZA")["days"] == 2


def test_a_price_change_is_loaded_with_a_warning_and_each_day_keeps_its_price(
    stack, conn, days, za
):
    feed_control(stack.feed_url, day=days[20], faults={})
    ingest(stack, ["ZA"])
    feed_control(stack.feed_url, day=days[21], faults={"ZA": "repriced"})
    run = ingest(stack, ["ZA"])["ZA"]
    assert run["outcome"] == "ingested" and run["error"] is None, run
    assert len(run["warnings"]) == 1, run["warnings"]
    warning = run["warnings"][0]
    assert warning.startswith("warning: ") and "column 'ticket_price'" in warning
    assert f"game 2400 costs 105 on {days[21]}, 100 on {days[20]}" in warning, warning
    assert last_run(conn)[2] == run["warnings"]
    prices = conn.execute(
        "select h.snapshot_date::text, h.ticket_price, g.ticket_price from"
        " public.historical_snapshots h join public.games g on g.id = h.game_id"
        " where g.state = 'ZA' and g.game_number = '2400' order by 1"
    ).fetchall()
    assert prices == [(days[20], 100.0, 105), (days[21], 105.0, 105)]
    # predict for the earlier day computes with that day's price, not the game's current one.
    for day, price in ((days[20], 100), (days[21], 105)):
        status, _, body = http(
            stack.functions_url("predict"),
            {"state": "ZA", "game_number": "2400", "date": day},
            stack.anon_key,
            timeout=120,
        )
        assert status == 200, body
        assert body["result"]["analytics"]["ticket_price"] == price, (day, body)
