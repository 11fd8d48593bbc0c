"""Helpers of the function tests (test_functions_http, test_end_to_end, test_schedule,
test_batch_atomic): load the shipped data and models into the stack's database once per session,
and call the functions through the gateway with plain HTTP."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

from trainer.ingest import ingest_files
from trainer.registry import publish

_loaded: set[str] = set()
MODEL_REFRESH_S = 10
WAIT_S = 60


def ensure_loaded(db_url: str) -> None:
    """ingest + publish (both idempotent) once per database per session: the function tests must
    not depend on what ran before them."""
    if db_url in _loaded:
        return
    ingest_files(db_url=db_url, progress=lambda _m: None)
    before = active_models(db_url)
    publish(db_url=db_url, progress=lambda _m: None)
    if active_models(db_url) != before:
        # a running function trusts the active versions it looked up for MODEL_REFRESH_MS
        # (10 s by default, _shared/models.ts): let every one see the published models
        time.sleep(MODEL_REFRESH_S + 1)
    _loaded.add(db_url)


def active_models(db_url: str) -> dict[str, str]:
    with psycopg.connect(db_url) as conn:
        return dict(conn.execute("select name, version from public.model_registry where is_active"))


def http(
    url: str,
    body: object = None,
    token: str | None = None,
    method: str = "POST",
    timeout: float = 60,
):
    """(status, headers, parsed JSON or raw bytes) of one request; body: bytes sent as they are,
    anything else as JSON."""
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, response_headers, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        status, response_headers, raw = exc.code, exc.headers, exc.read()
    try:
        return status, response_headers, json.loads(raw)
    except ValueError:
        return status, response_headers, raw


def assert_json_error(status: int, headers, body, want_status: int, want_code: str) -> str:
    """The error shape of DESIGN.md: {"error": {"code", "message"}} and the right status."""
    assert status == want_status, (status, body)
    assert headers["Content-Type"].startswith("application/json")
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert isinstance(body, dict) and list(body) == ["error"], body
    assert sorted(body["error"]) == ["code", "message"], body
    assert body["error"]["code"] == want_code, body
    message = body["error"]["message"]
    assert isinstance(message, str) and message
    assert "Traceback" not in message and ".ts:" not in message
    return message


def latest_snapshot(db_url: str) -> str:
    with psycopg.connect(db_url) as conn:
        latest = "select max(snapshot_date)::text from public.prize_tier_snapshots"
        return conn.execute(latest).fetchone()[0]


def run_job(conn: psycopg.Connection, command: str) -> dict:
    """Execute a pg_cron job's command in its own transaction (as pg_cron does), wait for the pg_net
    stand-in's recorded response; the parsed JSON of a 200. A daily step's command starts a day
    once (public.start_daily_step); within `replaying`, the record of each attempt is dropped once
    answered, so that the command runs again."""
    with conn.transaction():
        request_id = conn.execute(command).fetchone()[0]
    assert request_id is not None, f"the command started nothing (its day already ran): {command}"
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        row = conn.execute(
            "select status_code, content, timed_out, error_msg from net._http_response"
            " where id = %s",
            (request_id,),
        ).fetchone()
        if row is not None:
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"no response recorded for request {request_id} in {WAIT_S} s")
    conn.execute("delete from public.daily_step_runs where request_id = %s", (request_id,))
    status, content, timed_out, error = row
    assert not timed_out and error is None, (timed_out, error)
    assert status == 200, content
    return json.loads(content)


@contextmanager
def replaying(conn: psycopg.Connection, step: str) -> Iterator[None]:
    """For a test that runs a daily step's command again and again (many days, or the same one,
    within one real day; test_daily_recovery is the spec of the record that starts a day once): the
    step's records are set aside meanwhile, with the recovery job paused (a day it owes without a
    record is one it would start), and both are put back afterwards."""
    job = conn.execute(
        "select jobid, active from cron.job where jobname = 'daily-steps-recover'"
    ).fetchone()
    assert job is not None, "no pg_cron job named daily-steps-recover"
    conn.execute("select cron.alter_job(%s, active := false)", (job[0],))
    cur = conn.execute("delete from public.daily_step_runs where step = %s returning *", (step,))
    columns = [c.name for c in cur.description]
    saved = cur.fetchall()
    try:
        yield
    finally:
        conn.execute("delete from public.daily_step_runs where step = %s", (step,))
        conn.cursor().executemany(
            f"insert into public.daily_step_runs ({', '.join(columns)}) overriding system value"
            f" values ({', '.join(['%s'] * len(columns))})",
            saved,
        )
        conn.execute("select cron.alter_job(%s, active := %s)", job)
