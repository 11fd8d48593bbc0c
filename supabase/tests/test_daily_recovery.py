"""The daily loop notices and recovers a missed run (migration *_daily_recovery.sql).

The gateway is down when the daily-batch job fires: pg_cron would say `succeeded` (the request was
queued), the pg_net stand-in records the connection error, and the recovery run records the
attempt as failed and waits out its backoff. The gateway comes back; the next recovery run after
the backoff writes the day's batch, once: later recovery runs and the job's command start nothing
more. An ingest whose answer is a 200 but one of whose feeds failed is not complete: it is retried,
and once complete it is not rerun. The recovery that writes the batch is pg_cron's own run of the
`daily-steps-recover` job (its schedule shortened to every minute for the test); elsewhere time is
driven by running that job's command and by moving the recorded attempt times back, not by
waiting 10 minutes for cron. The requests go the real way (net.http_post, the pg_net stand-in, the
gateway, the function). The live recovery job is otherwise paused during each test so that it
cannot interleave, and each test owes only the step it is about, due at midnight today (as if past
its due time whatever the hour)."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from feed_loop import TX_PATH, feed_control
from feed_loop import test_sources as sources
from stack_data import ensure_loaded, replaying
from stack_process import files_of, stack_up, wait_gone, wait_healthy

WAIT_S = 120


@pytest.fixture
def conn(stack) -> Iterator[psycopg.Connection]:
    ensure_loaded(stack.db_url)
    with psycopg.connect(stack.db_url, autocommit=True) as conn:
        yield conn


@contextmanager
def owed_today(conn: psycopg.Connection, step: str) -> Iterator[str]:
    """Only `step` is owed, and only today: due at midnight UTC, registered at that midnight; every
    other step registered tomorrow. Its records are set aside and the recovery job paused
    meanwhile (stack_data.replaying); the register is restored. Yields today (UTC)."""
    saved = conn.execute("select step, due_at, registered_at from public.daily_steps").fetchall()
    day = today(conn)
    conn.execute(
        "update public.daily_steps set registered_at = %s::date + 1 where step <> %s", (day, step)
    )
    conn.execute(
        "update public.daily_steps set due_at = '00:00',"
        " registered_at = (%s::date)::timestamp at time zone 'utc' where step = %s",
        (day, step),
    )
    try:
        with replaying(conn, step):
            yield day
    finally:
        for name, due_at, registered_at in saved:
            conn.execute(
                "update public.daily_steps set due_at = %s, registered_at = %s where step = %s",
                (due_at, registered_at, name),
            )


def today(conn: psycopg.Connection) -> str:
    return conn.execute("select ((now() at time zone 'utc')::date)::text").fetchone()[0]


def job_command(conn: psycopg.Connection, name: str) -> str:
    row = conn.execute("select command from cron.job where jobname = %s", (name,)).fetchone()
    assert row is not None, f"no pg_cron job named {name}"
    return row[0]


def wait_response(conn: psycopg.Connection, request_id: int) -> tuple:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        row = conn.execute(
            "select status_code, error_msg from net._http_response where id = %s", (request_id,)
        ).fetchone()
        if row is not None:
            return row
        time.sleep(0.2)
    raise AssertionError(f"pg_net recorded no response for request {request_id} in {WAIT_S} s")


def settle_pending(conn: psycopg.Connection, step: str, day: str) -> None:
    """Waits for pg_net's answer to every attempt in flight, then records the outcomes."""
    for (request_id,) in conn.execute(
        "select request_id from public.daily_step_runs"
        " where step = %s and run_date = %s and status = 'pending'",
        (step, day),
    ).fetchall():
        wait_response(conn, request_id)
    conn.execute("select public.settle_daily_step_runs()")


def tick(conn: psycopg.Connection, step: str, day: str) -> int | None:
    """The step's own pg_cron job fires: its command, as pg_cron runs it; its outcome settled."""
    request_id = conn.execute(job_command(conn, step)).fetchone()[0]
    settle_pending(conn, step, day)
    return request_id


def recover(conn: psycopg.Connection, step: str, day: str) -> int:
    """One recovery run (what the daily-steps-recover job runs); waits for pg_net's answer to what
    it started and records it. Returns how many days it started."""
    started = conn.execute(job_command(conn, "daily-steps-recover")).fetchone()[0]
    settle_pending(conn, step, day)
    return started


def status(conn: psycopg.Connection, step: str, day: str) -> dict:
    cur = conn.execute(
        "select status, attempts, next_retry_at - now() as wait, last_error"
        " from public.daily_step_status where step = %s and run_date = %s",
        (step, day),
    )
    row = cur.fetchone()
    assert row is not None, f"{step} {day} is not in daily_step_status"
    return dict(zip([c.name for c in cur.description], row, strict=True))


def badge(conn: psycopg.Connection, column: str) -> tuple:
    """(date, status) of a step as the app reads it: data_freshness, as anon."""
    with conn.transaction():
        conn.execute("set local role anon")
        return conn.execute(
            f"select distinct {column}_step_date::text, {column}_step_status"
            " from public.data_freshness"
        ).fetchone()


def let_time_pass(conn: psycopg.Connection, step: str, day: str, by: str) -> None:
    """As if `by` had passed since the day's attempts: moves their recorded times back."""
    conn.execute(
        "update public.daily_step_runs set started_at = started_at - %s::interval,"
        " finished_at = finished_at - %s::interval where step = %s and run_date = %s",
        (by, by, step, day),
    )


def retried_after_backoff(conn: psycopg.Connection, step: str, day: str, column: str) -> None:
    """Once the first failure's 10 minutes have passed, one recovery run starts the second attempt,
    which completes the day, and the app's badge says so."""
    let_time_pass(conn, step, day, "11 minutes")
    assert recover(conn, step, day) == 1
    done = status(conn, step, day)
    assert done["status"] == "succeeded" and done["attempts"] == 2, done
    assert badge(conn, column) == (day, "succeeded")


def recovered_by_pg_cron(conn: psycopg.Connection, step: str, day: str) -> list[str]:
    """pg_cron itself runs the recovery job, its schedule shortened to every minute (pg_cron 1.4
    has nothing shorter), until the step's next attempt has started; then that attempt's answer is
    awaited and recorded. Returns the statuses of the job's runs meanwhile (cron.job_run_details).
    The job is left paused, as `owed_today` holds it."""
    job, schedule = conn.execute(
        "select jobid, schedule from cron.job where jobname = 'daily-steps-recover'"
    ).fetchone()
    (last_run,) = conn.execute(
        "select coalesce(max(runid), 0) from cron.job_run_details where jobid = %s", (job,)
    ).fetchone()
    (attempts,) = conn.execute(
        "select count(*) from public.daily_step_runs where step = %s and run_date = %s",
        (step, day),
    ).fetchone()
    conn.execute("select cron.alter_job(%s, schedule := '* * * * *', active := true)", (job,))
    try:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            now = conn.execute(
                "select count(*) from public.daily_step_runs where step = %s and run_date = %s",
                (step, day),
            ).fetchone()[0]
            if now > attempts:
                break
            time.sleep(1)
        else:
            raise AssertionError(f"pg_cron's recovery run started no attempt in {WAIT_S} s")
    finally:
        conn.execute("select cron.alter_job(%s, schedule := %s, active := false)", (job, schedule))
    settle_pending(conn, step, day)
    return [
        status
        for (status,) in conn.execute(
            "select status from cron.job_run_details where jobid = %s and runid > %s"
            " order by runid",
            (job, last_run),
        )
    ]


def stop_gateway(stack) -> None:
    files = files_of(stack)
    pid = files.gateway_pid()
    os.killpg(pid, signal.SIGTERM)  # its own process group: the gateway and its functions
    wait_gone(pid)
    (files.state / "gateway.pid").unlink()


def parts_of(conn: psycopg.Connection, day: str) -> list[str]:
    """The daily batch's parts of the day (daily_step_parts: the active games in blocks)."""
    return [
        part
        for (part,) in conn.execute(
            "select part from public.daily_step_parts('daily-batch', %s)", (day,)
        )
    ]


def predictions_of(conn: psycopg.Connection, day: str) -> tuple[int, int | None]:
    """(rows, the newest transaction id that wrote one): unchanged means nothing was rewritten."""
    return conn.execute(
        "select count(*), max(xmin::text::bigint) from public.predictions"
        " where prediction_date = %s",
        (day,),
    ).fetchone()


@pytest.fixture
def fresh_enough(conn) -> Iterator[None]:
    """The shipped data is months old: a freshness limit covering it, so the batch predicts."""
    limits = conn.execute("select state, stale_after_days from public.feed_sources").fetchall()
    conn.execute("update public.feed_sources set stale_after_days = 3650")
    try:
        yield
    finally:
        for state, limit in limits:
            conn.execute(
                "update public.feed_sources set stale_after_days = %s where state = %s",
                (limit, state),
            )


def test_the_schedule_goes_through_the_register(conn):
    jobs = dict(conn.execute("select jobname, schedule from cron.job").fetchall())
    assert jobs["daily-steps-recover"] == "5-59/10 * * * *"
    assert job_command(conn, "daily-steps-recover") == "select public.recover_daily_steps()"
    steps = conn.execute(
        "select step, function_name, due_at::text, sends_run_date, timeout_ms, max_attempts,"
        " retry_after::text, catch_up_days from public.daily_steps order by due_at"
    ).fetchall()
    assert steps == [
        ("ingest", "ingest", "07:30:00", False, 120000, 6, "00:10:00", 0),
        ("daily-batch", "daily-batch", "08:00:00", True, 60000, 6, "00:10:00", 1),
        ("scorecard", "scorecard", "08:30:00", True, 60000, 6, "00:10:00", 1),
    ]
    starter = conn.execute(
        "select pg_get_functiondef('public.start_daily_step(text, date)'::regprocedure)"
    ).fetchone()[0]
    assert "net.http_post" in starter and "vault.decrypted_secrets" in starter
    assert "timeout_milliseconds := s.timeout_ms" in starter
    for step, _, due_at, *_ in steps:
        hour, minute = int(due_at[:2]), int(due_at[3:5])
        assert jobs[step] == f"{minute} {hour} * * *"
        assert f"public.start_daily_step('{step}'," in job_command(conn, step)


def test_the_gateway_down_at_the_tick_and_the_day_is_then_written_once(stack, conn, fresh_enough):
    with owed_today(conn, "daily-batch") as day:
        existed = predictions_of(conn, day)[0]
        conn.execute("delete from public.predictions where prediction_date = %s", (day,))
        try:
            stop_gateway(stack)
            try:
                # the 08:00 tick, with the gateway down
                # (one request per part of the day: a block of games; each fails alike)
                request_id = conn.execute(job_command(conn, "daily-batch")).fetchone()[0]
                status_code, error = wait_response(conn, request_id)
                assert status_code is None and error, error
                settle_pending(conn, "daily-batch", day)
                failed = status(conn, "daily-batch", day)
                assert failed["status"] == "retrying" and failed["attempts"] == 1, failed
                part, _, last_error = failed["last_error"].partition(": ")
                assert last_error == error and part.removeprefix("part ") in parts_of(conn, day)
                assert badge(conn, "batch") == (day, "retrying")
                # a recovery run before the backoff has passed starts nothing
                assert recover(conn, "daily-batch", day) == 0
            finally:
                stack_up(files_of(stack))  # the gateway comes back
            wait_healthy(stack)
            assert recover(conn, "daily-batch", day) == 0  # still within the 10 minutes
            assert predictions_of(conn, day)[0] == 0
            let_time_pass(conn, "daily-batch", day, "11 minutes")
            runs = recovered_by_pg_cron(conn, "daily-batch", day)
            done = status(conn, "daily-batch", day)
            assert done["status"] == "succeeded" and done["attempts"] == 2, done
            assert badge(conn, "batch") == (day, "succeeded")
            answers = [
                answer
                for (answer,) in conn.execute(
                    "select response::jsonb from public.daily_step_runs"
                    " where step = 'daily-batch' and run_date = %s and status = 'succeeded'",
                    (day,),
                )
            ]
            assert len(answers) == len(parts_of(conn, day))  # every part, once
            assert {a["run_date"] for a in answers} == {day}
            rows = sum(a["predictions"]["rows"] for a in answers)
            assert sum(a["predictions"]["inserted"] for a in answers) == rows > 0
            written = predictions_of(conn, day)
            assert written[0] == rows

            # written once: hours later, recovery runs and the job's command start nothing more
            let_time_pass(conn, "daily-batch", day, "6 hours")
            assert recover(conn, "daily-batch", day) == 0
            assert conn.execute(job_command(conn, "daily-batch")).fetchone()[0] is None
            assert status(conn, "daily-batch", day)["attempts"] == 2
            assert predictions_of(conn, day) == written
            assert runs and set(runs) <= {"succeeded", "running"}, runs
            print(
                f"\n[recovery] {day}: attempt 1 failed ({error}); attempt 2, after the backoff,"
                f" started by pg_cron's recovery run ({runs}), wrote {written[0]} predictions;"
                " later recovery runs and the job started nothing"
            )
        finally:
            if not existed:
                conn.execute("delete from public.predictions where prediction_date = %s", (day,))


def test_an_ingest_with_a_failed_feed_is_retried_and_a_completed_one_is_not_rerun(stack, conn):
    with (
        owed_today(conn, "ingest") as day,
        sources(conn, stack.feed_url, {"ZA": TX_PATH, "ZB": TX_PATH}, only=True),
    ):
        feed_control(stack.feed_url, faults={"ZA": "500"})
        assert tick(conn, "ingest", day) is not None
        (code,) = conn.execute(
            "select status_code from public.daily_step_runs where step = 'ingest'"
            " and run_date = %s",
            (day,),
        ).fetchone()
        assert code == 200  # the function answered: only the tables say ZA is missing
        failed = status(conn, "ingest", day)
        assert failed["status"] == "retrying", failed
        assert failed["last_error"].startswith("ingest incomplete: ZA: "), failed
        assert "ZB" not in failed["last_error"]
        assert badge(conn, "ingest") == (day, "retrying")

        feed_control(stack.feed_url, faults={})  # the state's server is back
        retried_after_backoff(conn, "ingest", day, "ingest")
        outcomes = conn.execute(
            "select state, array_agg(outcome order by id) from public.ingest_runs"
            " where state in ('ZA', 'ZB') group by state order by state"
        ).fetchall()
        assert outcomes == [("ZA", ["failed", "ingested"]), ("ZB", ["ingested", "same_day"])]

        # completed: not started again, by the recovery or by the job's command
        let_time_pass(conn, "ingest", day, "6 hours")
        assert recover(conn, "ingest", day) == 0
        assert conn.execute(job_command(conn, "ingest")).fetchone()[0] is None
        runs = conn.execute(
            "select count(*) from public.ingest_runs where state in ('ZA', 'ZB')"
        ).fetchone()[0]
        assert (status(conn, "ingest", day)["attempts"], runs) == (2, 4)


@pytest.fixture
def missing_step(conn) -> Iterator[str]:
    """A registered step whose function does not exist (every attempt a 404), max 3 attempts."""
    conn.execute(
        "insert into public.daily_steps (step, function_name, due_at, max_attempts, catch_up_days)"
        " values ('test-missing', 'no-such-function', '00:00', 3, 0)"
    )
    try:
        with owed_today(conn, "test-missing"):
            yield "test-missing"
    finally:
        conn.execute("delete from public.daily_steps where step = 'test-missing'")


def test_the_backoff_doubles_and_the_attempts_stop_at_max_attempts(conn, missing_step):
    day = today(conn)
    assert status(conn, missing_step, day)["status"] == "missed"
    waits = []
    for attempt in (1, 2, 3):
        assert recover(conn, missing_step, day) == 1, attempt
        state = status(conn, missing_step, day)
        assert state["attempts"] == attempt
        assert state["last_error"].startswith("HTTP 404: ") and "not_found" in state["last_error"]
        if attempt < 3:
            assert state["status"] == "retrying"
            waits.append(round(state["wait"].total_seconds() / 60))
            assert recover(conn, missing_step, day) == 0  # not before its time
            let_time_pass(conn, missing_step, day, f"{waits[-1] + 1} minutes")
    assert waits == [10, 20]
    assert status(conn, missing_step, day)["status"] == "failed"
    let_time_pass(conn, missing_step, day, "1 day")
    assert recover(conn, missing_step, day) == 0  # the bound holds
    codes = [
        c
        for (c,) in conn.execute(
            "select status_code from public.daily_step_runs where step = %s order by attempt",
            (missing_step,),
        )
    ]
    assert codes == [404, 404, 404]
    print(f"\n[recovery] a failing step: attempts {codes}, waits between them {waits} minutes")


def test_a_day_is_owed_only_after_its_due_time_and_registration(conn):
    conn.execute(
        "insert into public.daily_steps (step, function_name, due_at, catch_up_days)"
        " values ('test-late', 'health', '23:59:59.999', 3)"
    )
    try:
        with owed_today(conn, "test-late"):
            conn.execute(
                "update public.daily_steps set due_at = '23:59:59.999' where step = 'test-late'"
            )
            owed = "select run_date::text, status from public.daily_step_status where step = %s"
            # registered at midnight today: yesterday is not owed, today not yet due
            assert conn.execute(owed, ("test-late",)).fetchall() == []
            conn.execute(
                "update public.daily_steps set registered_at = registered_at - interval '1 day'"
                " where step = 'test-late'"
            )
            day = conn.execute("select ((now() at time zone 'utc')::date - 1)::text").fetchone()[0]
            assert conn.execute(owed, ("test-late",)).fetchall() == [(day, "missed")]
            assert recover(conn, "test-late", day) == 1
            assert status(conn, "test-late", day)["status"] == "succeeded"
    finally:
        conn.execute("delete from public.daily_steps where step = 'test-late'")
