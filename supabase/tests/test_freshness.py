"""Freshness, at the limit and one day past it: a game whose latest snapshot is more than its
state's limit (feed_sources.stale_after_days, default 3) older than the prediction date gets no
prediction. The daily batch skips it with "stale: latest data YYYY-MM-DD" and writes no row;
`predict` answers with the analytics of its day, stale: true and no ai_score or recommendation;
every prediction row and answer names the as-of date of its data. The app's `data_freshness` view
(anon may read it) gives per state the latest as-of date, its age, the last ingest and the last
batch.

The batch and predict run on the shipped Texas data (latest day L = 2026-07-21) for L+3 and L+4;
the view test uses a state code of its own (ZV) with rows dated relative to today."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
from stack_data import ensure_loaded, http


@pytest.fixture(scope="module")
def conn(stack):
    ensure_loaded(stack.db_url)
    with psycopg.connect(stack.db_url, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="module")
def latest(conn) -> dt.date:
    return conn.execute(
        "select max(h.snapshot_date) from public.historical_snapshots h"
        " join public.games g on g.id = h.game_id where g.state = 'TX'"
    ).fetchone()[0]


def days_after(day: dt.date, n: int) -> str:
    return (day + dt.timedelta(days=n)).isoformat()


def test_the_batch_predicts_at_the_limit_and_skips_one_day_past(stack, conn, latest):
    at, past = days_after(latest, 3), days_after(latest, 4)
    url = stack.functions_url("daily-batch")
    try:
        status, _, fresh = http(url, {"run_date": at}, stack.service_role_key)
        assert status == 200, fresh
        tx = [s for s in fresh["skipped"] if s["state"] == "TX"]
        assert fresh["data_as_of"]["TX"] == latest.isoformat()
        assert fresh["predictions"]["rows"] > 0
        assert not any(s["reason"].startswith("stale") for s in tx)
        rows = conn.execute(
            "select distinct data_as_of from public.predictions where prediction_date = %s", (at,)
        ).fetchall()
        assert rows == [(latest,)]

        status, _, stale = http(url, {"run_date": past}, stack.service_role_key)
        assert status == 200, stale
        tx_games = conn.execute(
            "select count(*) from public.games where state = 'TX' and is_active"
        ).fetchone()[0]
        tx = [s for s in stale["skipped"] if s["state"] == "TX"]
        assert len(tx) == tx_games
        assert {s["reason"] for s in tx} == {f"stale: latest data {latest}"}
        assert {s["data_as_of"] for s in tx} == {latest.isoformat()}
        assert conn.execute(
            "select count(*) from public.predictions p join public.games g on g.id = p.game_id"
            " where p.prediction_date = %s and g.state = 'TX'",
            (past,),
        ).fetchone() == (0,)
    finally:
        conn.execute("delete from public.predictions where prediction_date in (%s, %s)", (at, past))


def test_predict_answers_stale_one_day_past_the_limit(stack, conn, latest):
    game_id = conn.execute(
        "select g.id from public.games g join public.historical_snapshots h on h.game_id = g.id"
        " and h.snapshot_date = %s where g.state = 'TX' and h.reason is null order by g.id"
        " limit 1",
        (latest,),
    ).fetchone()[0]
    url = stack.functions_url("predict")
    answers = {}
    for n in (3, 4):
        status, _, body = http(
            url, {"game_id": game_id, "date": days_after(latest, n)}, stack.anon_key
        )
        assert status == 200, body
        answers[n] = body["result"]
    fresh, stale = answers[3], answers[4]
    assert fresh["data_as_of"] == stale["data_as_of"] == latest.isoformat()
    assert fresh["stale"] is False and fresh["prediction"]["recommendation"]
    assert stale["stale"] is True
    assert stale["prediction"] is None  # no ai_score, no recommendation
    assert stale["reason"] == f"stale: latest data {latest}"
    # The stored analytics of that day are still given, the same as when fresh.
    assert stale["analytics"] == fresh["analytics"] and stale["analytics"]["net_ev"] < 0


def test_the_freshness_view_at_the_limit_and_one_day_past(conn):
    state = "ZV"
    conn.execute("delete from public.games where state = %s", (state,))
    conn.execute("delete from public.ingest_runs where state = %s", (state,))
    try:
        game_id = conn.execute(
            "insert into public.games (state, game_number, name, ticket_price, first_seen)"
            " values (%s, '1', 'view test', 1, current_date - 30) returning id",
            (state,),
        ).fetchone()[0]
        conn.execute(
            "insert into public.historical_snapshots (game_id, snapshot_date, reason, n_tiers,"
            " ticket_price, odds_published) values (%s, current_date - 3, 'test row', 0, 1, false)",
            (game_id,),
        )
        conn.execute(
            "insert into public.ingest_runs (state, started_at, as_of, outcome, error)"
            " values (%s, now(), current_date - 3, 'failed', 'HTTP 500')",
            (state,),
        )
        conn.execute(
            "insert into public.predictions (game_id, prediction_date, model_version, ai_score,"
            " win_probability, expected_value, confidence_level, recommendation, reasoning,"
            " data_as_of) values (%s, current_date - 1, 'test', 50, 0.2, -0.5, 50, 'neutral',"
            " 'test row', current_date - 3)",
            (game_id,),
        )
        with conn.transaction():
            conn.execute("set local role anon")  # the app reads it with the anon key
            row = conn.execute(
                "select data_as_of = current_date - 3, data_age_days, stale_after_days, stale,"
                " last_ingest_outcome, last_ingest_as_of = current_date - 3,"
                " last_batch_date = current_date - 1, last_batch_at is not null"
                " from public.data_freshness where state = %s",
                (state,),
            ).fetchone()
        assert row == (True, 3, 3, False, "failed", True, True, True)
        conn.execute(
            "update public.historical_snapshots set snapshot_date = current_date - 4"
            " where game_id = %s",
            (game_id,),
        )
        stale = conn.execute(
            "select data_age_days, stale from public.data_freshness where state = %s", (state,)
        ).fetchone()
        assert stale == (4, True)
        # The error text stays with the service role: the view has no such column.
        columns = conn.execute(
            "select array_agg(column_name::text) from information_schema.columns"
            " where table_schema = 'public' and table_name = 'data_freshness'"
        ).fetchone()[0]
        assert "error" not in columns
    finally:
        conn.execute("delete from public.games where state = %s", (state,))
        conn.execute("delete from public.ingest_runs where state = %s", (state,))


def test_anon_may_read_the_view_and_write_nothing(conn):
    with conn.transaction():
        conn.execute("set local role anon")
        assert conn.execute("select count(*) from public.data_freshness").fetchone()[0] >= 1
    for privilege in ("insert", "update", "delete"):
        assert not conn.execute(
            "select has_table_privilege('anon', 'public.data_freshness', %s)", (privilege,)
        ).fetchone()[0]
