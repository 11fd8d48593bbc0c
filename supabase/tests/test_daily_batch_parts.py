"""The daily batch fans out (migration *_daily_batch_parts.sql): the daily step starts one
daily-batch call per part of the day (a block of at most daily_steps.part_games active games in
id order); each part is settled on its own answer and retried alone; the day is written
once; a rerun changes nothing. The requests go the real way (the job's command, net.http_post, the
pg_net stand-in, the gateway, the function), as in test_daily_recovery.py, whose helpers drive time.
part_games is set to 30 for these tests, so that the shipped games alone make several parts."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from stack_data import assert_json_error, http
from test_daily_recovery import (
    conn,  # noqa: F401 (fixture)
    fresh_enough,  # noqa: F401 (fixture)
    job_command,
    let_time_pass,
    owed_today,
    parts_of,
    predictions_of,
    recover,
    settle_pending,
    status,
    tick,
)

PART_GAMES = 30


@pytest.fixture
def small_parts(conn) -> Iterator[None]:  # noqa: F811
    """part_games 30 for the test (restored after it)."""
    (saved,) = conn.execute(
        "select part_games from public.daily_steps where step = 'daily-batch'"
    ).fetchone()
    conn.execute(
        "update public.daily_steps set part_games = %s where step = 'daily-batch'", (PART_GAMES,)
    )
    try:
        yield
    finally:
        conn.execute(
            "update public.daily_steps set part_games = %s where step = 'daily-batch'", (saved,)
        )


def runs(conn: psycopg.Connection, day: str) -> dict[str, list[str]]:  # noqa: F811
    """Per part, the status of each attempt in order."""
    return dict(
        conn.execute(
            "select part, array_agg(status order by attempt) from public.daily_step_runs"
            " where step = 'daily-batch' and run_date = %s group by part",
            (day,),
        ).fetchall()
    )


def test_the_parts_cover_every_active_game_once_in_blocks_of_part_games(conn, small_parts):  # noqa: F811
    day = conn.execute("select current_date::text").fetchone()[0]
    bodies = [
        body
        for (body,) in conn.execute(
            "select body from public.daily_step_parts('daily-batch', %s)", (day,)
        )
    ]
    covered = []
    for body in bodies:
        part = body["part"]
        assert body["run_date"] == day
        ids = [
            i
            for (i,) in conn.execute(
                "select id from public.games where is_active and id between %s and %s order by id",
                (part["from_game_id"], part["to_game_id"]),
            )
        ]
        assert 1 <= len(ids) <= PART_GAMES and ids[0] == part["from_game_id"], part
        covered += ids
    active = [i for (i,) in conn.execute("select id from public.games where is_active")]
    assert sorted(covered) == sorted(active) and len(bodies) > 1


@pytest.fixture
def failing_part(conn, small_parts) -> Iterator[tuple[str, dict]]:  # noqa: F811
    """A trigger fails the writes of one part's games (its call answers 500), until dropped."""
    day = conn.execute("select ((now() at time zone 'utc')::date)::text").fetchone()[0]
    name, body = conn.execute(
        "select part, body from public.daily_step_parts('daily-batch', %s)"
        " order by part::int offset 1 limit 1",
        (day,),
    ).fetchone()
    part = body["part"]
    conn.execute(
        "create function public.test_fail_part() returns trigger language plpgsql as $$"
        " begin raise exception 'injected failure of part %s'; end $$".replace("%s", name)
    )
    conn.execute(
        "create trigger test_fail_part before insert on public.predictions for each row"
        f" when (new.game_id between {int(part['from_game_id'])} and {int(part['to_game_id'])})"
        " execute function public.test_fail_part()"
    )
    try:
        yield name, part
    finally:
        conn.execute("drop trigger if exists test_fail_part on public.predictions")
        conn.execute("drop function if exists public.test_fail_part()")


def test_each_part_is_settled_and_retried_alone_and_the_day_written_once(
    stack,
    conn,  # noqa: F811
    fresh_enough,  # noqa: F811
    failing_part,
):
    failed_part, _ = failing_part
    with owed_today(conn, "daily-batch") as day:
        existed = predictions_of(conn, day)[0]
        conn.execute("delete from public.predictions where prediction_date = %s", (day,))
        try:
            parts = parts_of(conn, day)
            assert tick(conn, "daily-batch", day) is not None  # the 08:00 job: every part
            first = runs(conn, day)
            assert sorted(first) == sorted(parts)
            assert first.pop(failed_part) == ["failed"]
            assert set(map(tuple, first.values())) == {("succeeded",)}
            state = status(conn, "daily-batch", day)
            assert state["status"] == "retrying", state
            assert state["last_error"].startswith(f"part {failed_part}: HTTP 500"), state

            # not before the backoff; then the recovery restarts that part alone
            assert recover(conn, "daily-batch", day) == 0
            conn.execute("drop trigger test_fail_part on public.predictions")
            let_time_pass(conn, "daily-batch", day, "11 minutes")
            assert recover(conn, "daily-batch", day) == 1
            second = runs(conn, day)
            assert second.pop(failed_part) == ["failed", "succeeded"]
            assert set(map(tuple, second.values())) == {("succeeded",)}
            done = status(conn, "daily-batch", day)
            assert done["status"] == "succeeded" and done["attempts"] == 2, done
            (active,) = conn.execute("select count(*) from public.games where is_active").fetchone()
            written = predictions_of(conn, day)
            assert written[0] > 0 and written[0] <= active

            # written once: neither the recovery nor the job's command starts anything more
            let_time_pass(conn, "daily-batch", day, "6 hours")
            assert recover(conn, "daily-batch", day) == 0
            assert conn.execute(job_command(conn, "daily-batch")).fetchone()[0] is None
            settle_pending(conn, "daily-batch", day)
            assert predictions_of(conn, day) == written
        finally:
            if not existed:
                conn.execute("delete from public.predictions where prediction_date = %s", (day,))


def test_a_rerun_of_a_part_changes_nothing(stack, conn, fresh_enough, small_parts):  # noqa: F811
    """The same part's call twice: the second writes nothing (no row's transaction id moves)."""
    day = conn.execute("select ((now() at time zone 'utc')::date)::text").fetchone()[0]
    body = conn.execute(
        "select body from public.daily_step_parts('daily-batch', %s) order by part::int limit 1",
        (day,),
    ).fetchone()[0]
    part = body["part"]
    rows_of_part = (
        "select count(*), max(p.xmin::text::bigint) from public.predictions p"
        " where p.prediction_date = %s and p.game_id between %s and %s"
    )
    args = (day, part["from_game_id"], part["to_game_id"])
    existed = conn.execute(rows_of_part, args).fetchone()[0]
    key = stack.service_role_key
    try:
        code, _, answer = http(stack.functions_url("daily-batch"), body, key)
        assert code == 200, answer
        assert answer["part"] == part and answer["games"] <= PART_GAMES
        assert answer["memory_bytes"]["peak_heap_and_external"] > 0
        before = conn.execute(rows_of_part, args).fetchone()
        assert before[0] == answer["predictions"]["rows"] > 0
        again = http(stack.functions_url("daily-batch"), body, key)[2]
        assert again["predictions"]["inserted"] == again["predictions"]["updated"] == 0
        assert again["historical_snapshots"]["inserted"] == 0
        assert again["historical_snapshots"]["updated"] == 0
        assert conn.execute(rows_of_part, args).fetchone() == before
    finally:
        if not existed:
            conn.execute(
                "delete from public.predictions where prediction_date = %s"
                " and game_id between %s and %s",
                args,
            )


@pytest.mark.parametrize(
    "part",
    [
        "1-30",
        {"from_game_id": "1", "to_game_id": 2},
        {"from_game_id": 5, "to_game_id": 1},
        {"from_game_id": 1},
        {"from_game_id": 1, "to_game_id": 2, "state": "TX"},
    ],
)
def test_a_bad_part_is_refused_with_422(stack, part):
    code, headers, answer = http(
        stack.functions_url("daily-batch"), {"part": part}, stack.service_role_key
    )
    assert_json_error(code, headers, answer, 422, "invalid_body")
