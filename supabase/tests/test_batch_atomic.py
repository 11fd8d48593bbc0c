"""The daily batch is one transaction: a failure injected mid-batch leaves no rows for that run.

daily-batch upserts the predictions rows, then the day's historical_snapshots rows, in one
transaction. A statement trigger on historical_snapshots fails that transaction, but only when the
predictions of the marker run date are already there, i.e. only in the middle of that run:
- "error": it raises an exception (the function answers 500 internal_error);
- "kill": it terminates its own backend (pg_terminate_backend: the connection dies mid-transaction
  and the function answers 503 database_unavailable).
Either way no predictions row of that run_date may survive. With the trigger gone, the same call
writes every row (so the failed run had got as far as the predictions)."""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import psycopg
import pytest
from stack_data import assert_json_error, ensure_loaded, http

MARKER = "2026-07-16"  # run_date of the failing runs: fixed, used by no other test
CONTROL = "2026-07-15"  # a run with the trigger in place but not aimed at it
ROOT = Path(__file__).resolve().parents[2]

FAILURES = {
    "error": "raise exception 'injected failure in the % batch', d;",
    "kill": "perform pg_terminate_backend(pg_backend_pid());",
}


@pytest.fixture(scope="module", autouse=True)
def loaded(stack):
    ensure_loaded(stack.db_url)


def count(conn: psycopg.Connection, day: str) -> int:
    return conn.execute(
        "select count(*) from public.predictions where prediction_date = %s", (day,)
    ).fetchone()[0]


def delete(conn: psycopg.Connection, *days: str) -> None:
    for day in days:
        conn.execute("delete from public.predictions where prediction_date = %s", (day,))


@contextmanager
def failure_injected(conn: psycopg.Connection, mode: str):
    """The trigger of this module's docstring, dropped on the way out whatever happens."""
    name = f"test_fail_batch_{mode}"
    conn.execute(
        f"create or replace function public.{name}() returns trigger language plpgsql as $$"
        f" declare d date := date '{MARKER}';"
        " begin"
        "   if exists (select 1 from public.predictions where prediction_date = d) then"
        f"     {FAILURES[mode]}"
        "   end if;"
        "   return null;"
        " end $$"
    )
    try:
        conn.execute(
            f"create trigger {name} before insert on public.historical_snapshots"
            f" for each statement execute function public.{name}()"
        )
        yield
    finally:
        conn.execute(f"drop trigger if exists {name} on public.historical_snapshots")
        conn.execute(f"drop function if exists public.{name}()")


@pytest.mark.parametrize(
    ("mode", "status", "code"),
    [("error", 500, "internal_error"), ("kill", 503, "database_unavailable")],
)
def test_a_failure_mid_batch_leaves_no_rows_for_the_run(stack, mode, status, code):
    url = stack.functions_url("daily-batch")
    with psycopg.connect(stack.db_url, autocommit=True) as conn:
        delete(conn, MARKER, CONTROL)
        try:
            with failure_injected(conn, mode):
                # control: the trigger is there; a run of another date is untouched by it
                ok, _, control = http(url, {"run_date": CONTROL}, stack.service_role_key)
                assert ok == 200, control
                assert control["predictions"]["inserted"] == control["predictions"]["rows"] > 0
                assert count(conn, CONTROL) == control["predictions"]["rows"]

                failed = http(url, {"run_date": MARKER}, stack.service_role_key)
                left = count(conn, MARKER)
                print(
                    f"\n{mode}: daily-batch {MARKER} -> {failed[0]} {failed[2]}; rows left: {left}"
                )
                assert_json_error(*failed, status, code)
                assert left == 0, f"{left} predictions rows of the failed run were committed"

            # without the trigger the same call writes every row
            ok, _, answer = http(url, {"run_date": MARKER}, stack.service_role_key)
            for _ in range(20):
                if not (mode == "kill" and ok == 502):
                    break
                # the function process dies after the kill (the next test); the gateway starts a
                # new one once the old one has exited
                print(f"kill: the next call was {ok} {answer}; retrying")
                time.sleep(0.25)
                ok, _, answer = http(url, {"run_date": MARKER}, stack.service_role_key)
            assert ok == 200, answer
            assert answer["predictions"]["inserted"] == answer["predictions"]["rows"]
            assert answer["predictions"]["rows"] == control["predictions"]["rows"]
            assert count(conn, MARKER) == answer["predictions"]["rows"]
        finally:
            delete(conn, MARKER, CONTROL)


def function_pid(stack, name: str) -> int | None:
    """The pid of the gateway's worker process for function `name` (a child of the gateway)."""
    port = urlparse(stack.url).port
    gateway = int((ROOT / ".stack" / str(port) / "gateway.pid").read_text())
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        if ppid == gateway and f"supabase/functions/{name}/index.ts".encode() in b" ".join(cmdline):
            return int(proc.name)
    return None


def test_the_function_process_survives_a_connection_killed_mid_batch(stack):
    url = stack.functions_url("daily-batch")
    with psycopg.connect(stack.db_url, autocommit=True) as conn:
        delete(conn, MARKER)
        try:
            assert http(url, {"run_date": CONTROL}, "no-such-token")[0] == 401  # gateway only
            ok, _, _ = http(url, {"run_date": "2000-01-01"}, stack.service_role_key)  # warm
            assert ok == 200
            before = function_pid(stack, "daily-batch")
            assert before is not None, "cannot find the daily-batch worker process"
            with failure_injected(conn, "kill"):
                failed = http(url, {"run_date": MARKER}, stack.service_role_key)
                assert_json_error(*failed, 503, "database_unavailable")
            time.sleep(0.5)
            ok, _, answer = http(url, {"run_date": MARKER}, stack.service_role_key)
            after = function_pid(stack, "daily-batch")
            print(f"\nworker pid before {before}, after {after}; next call {ok}")
            assert ok == 200, answer
            assert after == before, "the daily-batch process died and was restarted"
        finally:
            delete(conn, MARKER)
