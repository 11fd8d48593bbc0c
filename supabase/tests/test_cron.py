"""pg_cron on the local stack fires a job that calls net.http_post (the pg_net stand-in) against
the gateway; the stand-in records the function's 200. pg_cron 1.4 has no sub-minute schedules, so
this waits for the next minute's tick (at most ~70 s)."""

from __future__ import annotations

import json
import time

import psycopg


def test_a_cron_job_calls_the_health_function_and_records_a_200(stack):
    job = f"test-health-{time.time_ns()}"
    command = (
        "select net.http_post("
        "url := (select decrypted_secret from vault.decrypted_secrets where name = 'project_url')"
        " || '/functions/v1/health',"
        " headers := jsonb_build_object('Content-Type', 'application/json', 'Authorization',"
        " 'Bearer ' || (select decrypted_secret from vault.decrypted_secrets"
        " where name = 'service_role_key')),"
        f" body := jsonb_build_object('job', '{job}'), timeout_milliseconds := 10000)"
    )
    with psycopg.connect(stack.db_url, autocommit=True) as conn:
        last = conn.execute("select coalesce(max(id), 0) from net._http_response").fetchone()[0]
        job_id = conn.execute(
            "select cron.schedule(%s, '* * * * *', %s)", (job, command)
        ).fetchone()[0]
        try:
            deadline = time.monotonic() + 75
            response = None
            while response is None and time.monotonic() < deadline:
                time.sleep(1)
                response = conn.execute(
                    "select r.status_code, r.content from net._http_response r"
                    " where r.id > %s order by r.id limit 1",
                    (last,),
                ).fetchone()
            run = conn.execute(
                "select status from cron.job_run_details where jobid = %s order by runid desc",
                (job_id,),
            ).fetchone()
        finally:
            conn.execute("select cron.unschedule(%s)", (job_id,))
    assert run is not None and run[0] == "succeeded", run
    assert response is not None, "no response recorded within 75 s"
    assert response[0] == 200
    assert json.loads(response[1])["status"] == "ok"


def test_nothing_is_sent_for_a_transaction_that_rolls_back(stack):
    with psycopg.connect(stack.db_url) as conn:
        request_id = conn.execute(
            "select net.http_post(url := %s)", (stack.functions_url("health"),)
        ).fetchone()[0]
        conn.rollback()
    time.sleep(1.5)
    with psycopg.connect(stack.db_url) as conn:
        sent = conn.execute(
            "select count(*) from net._http_response where id = %s", (request_id,)
        ).fetchone()[0]
    assert sent == 0
