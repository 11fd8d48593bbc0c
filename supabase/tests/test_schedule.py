"""The scheduled path of the daily batch: the pg_cron job's own command (cron.job, jobname
'daily-batch': public.start_daily_step) executed as pg_cron would, its net.http_post sent after
commit by the pg_net stand-in, the function's 200 recorded in net._http_response, and the day's
predictions in the table: one per predictable active game. Run twice, the row count is unchanged.
The command's run_date is today (UTC, from the database's clock): the test deletes today's rows
first (so that the first run must insert them all) and, unless there were some before, afterwards
too. The schedule itself starts a day once (test_daily_recovery); the step's records are set aside
meanwhile so that the command runs again (stack_data.replaying).

The shipped data is months older than today: with the default freshness limit the scheduled batch
predicts nothing and says why ("stale: latest data ..."); the test then raises the Texas feed's
configured limit (feed_sources.stale_after_days) to the data's age for the runs that predict, and
restores it afterwards."""

from __future__ import annotations

import psycopg
import pytest
from stack_data import ensure_loaded, replaying, run_job


@pytest.fixture(scope="module", autouse=True)
def loaded(stack):
    ensure_loaded(stack.db_url)


def predictable_active_games(conn: psycopg.Connection, day: str) -> tuple[int, list[int]]:
    """(active games, the ids of those whose latest snapshot on or before `day` has valid
    metrics), from the tables ingest wrote."""
    rows = conn.execute(
        "select g.id, coalesce(h.reason is null and h.ev_per_dollar is not null, false)"
        " from public.games g"
        " left join lateral (select max(snapshot_date) as day from public.prize_tier_snapshots"
        "   where game_id = g.id and snapshot_date <= %s::date) d on true"
        " left join public.historical_snapshots h"
        "   on h.game_id = g.id and h.snapshot_date = d.day"
        " where g.is_active order by g.id",
        (day,),
    ).fetchall()
    return len(rows), [game_id for game_id, ok in rows if ok]


def test_the_cron_jobs_command_writes_the_days_predictions_once(stack):
    with (
        psycopg.connect(stack.db_url, autocommit=True) as conn,
        replaying(conn, "daily-batch"),
    ):
        job = conn.execute(
            "select command, schedule, active from cron.job where jobname = 'daily-batch'"
        ).fetchone()
        assert job is not None, "no pg_cron job named daily-batch"
        command, schedule, active = job
        assert (schedule, active) == ("0 8 * * *", True)
        assert "public.start_daily_step('daily-batch'," in command  # test_daily_recovery
        today = conn.execute("select ((now() at time zone 'utc')::date)::text").fetchone()[0]
        n_active, predictable = predictable_active_games(conn, today)
        existed = conn.execute(
            "select count(*) from public.predictions where prediction_date = %s", (today,)
        ).fetchone()[0]
        conn.execute("delete from public.predictions where prediction_date = %s", (today,))
        latest = conn.execute(
            "select max(h.snapshot_date)::text from public.historical_snapshots h"
            " join public.games g on g.id = h.game_id where g.state = 'TX'"
        ).fetchone()[0]
        limits = conn.execute("select state, stale_after_days from public.feed_sources").fetchall()
        try:
            stale = run_job(conn, command)
            assert stale["predictions"]["rows"] == 0
            assert stale["data_as_of"]["TX"] == latest
            tx = {s["reason"] for s in stale["skipped"] if s["state"] == "TX"}
            assert tx == {f"stale: latest data {latest}"}
            # A configured limit that covers the shipped data's age (every state's feed).
            conn.execute("update public.feed_sources set stale_after_days = 3650")
            first = run_job(conn, command)
            rows = conn.execute(
                "select game_id, model_version from public.predictions"
                " where prediction_date = %s order by game_id",
                (today,),
            ).fetchall()
            print(
                f"\nscheduled run {today}: {n_active} active games, {len(predictable)}"
                f" predictable; response: games {first['games']}, predictions"
                f" {first['predictions']}, skipped {len(first['skipped'])},"
                f" timings {first['timings_ms']} ms; {len(rows)} rows in the table"
                f" ({existed} were there before the test)"
            )
            assert first["run_date"] == today
            assert first["games"] == n_active
            assert first["predictions"]["rows"] == n_active - len(first["skipped"])
            assert first["predictions"]["rows"] == len(predictable) > 0
            assert first["predictions"]["inserted"] == len(predictable)
            assert [game_id for game_id, _ in rows] == predictable  # one per predictable game
            assert {version for _, version in rows} == {first["model_version"]}

            second = run_job(conn, command)
            assert second["run_date"] == today
            assert second["predictions"] == {"rows": len(predictable), "inserted": 0, "updated": 0}
            assert second["historical_snapshots"]["inserted"] == 0
            assert second["historical_snapshots"]["updated"] == 0
            again = conn.execute(
                "select count(*) from public.predictions where prediction_date = %s", (today,)
            ).fetchone()[0]
            assert again == len(rows)
        finally:
            for state, limit in limits:
                conn.execute(
                    "update public.feed_sources set stale_after_days = %s where state = %s",
                    (limit, state),
                )
            if not existed:  # rows that were there before are back, rewritten the same way
                conn.execute("delete from public.predictions where prediction_date = %s", (today,))
