"""SQL injection: hostile strings in every string input of the functions (predict's state,
game_number and date, inside a list too, and game_id as a string; daily-batch's run_date;
powerball's count and seed as strings; hostile field names) are answered 4xx, or 404 / "not found"
for a game number that simply does not exist, never 5xx; the database is unchanged (row count and
an md5 of every row of each table, before and after).

The proof that they reach PostgreSQL only as bound parameters: for the duration of the test the
server logs every statement (ALTER SYSTEM SET log_statement = 'all', pg_reload_conf(); reset in
`finally`). With the extended query protocol a statement is logged as "LOG: execute <name>:
<query text>" and its values on a separate "DETAIL: parameters: $1 = '...'" entry. Every hostile
string carries a unique marker; each marker that passed the functions' validation must appear in
the log only in DETAIL: parameters entries (so it was a bound value: it was never part of any
query text the server parsed), and each marker refused by validation (a state, a date, ...) must
not appear in the log at all (it never reached the database).
"""

from __future__ import annotations

import re
import time
import uuid

import httpx
import psycopg
import pytest
from openapi_doc import errors_of, function_exists
from stack_data import ensure_loaded
from stack_process import LogTail, bearer, files_of, table_digest, wait_healthy

TABLES = [
    "public.games",
    "public.prize_tier_snapshots",
    "public.historical_snapshots",
    "public.predictions",
    "public.model_registry",
    "public.powerball_draws",
]
PAYLOADS = [
    "' OR 1=1 --",
    "'; drop table games;--",
    "1; drop table games;--",
    '" OR ""="',
    "' union select sha256 from model_registry --",
    "'); select pg_sleep(5);--",
    "\\'; truncate predictions; --",
    "$1 $2 $$ $$",
    "%s %d {} ${x}",
    "ö€😀' or 'x'='x",
    "\u202e'--",
    "' OR 1=1 --\n; delete from games",
]
LOG_ENTRY = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d+ \w+ \[\d+\] ", re.M)


def marker(i: int) -> str:
    return f"zq{i:02d}{uuid.uuid4().hex[:4]}"


@pytest.fixture(scope="module")
def ready(stack):
    ensure_loaded(stack.db_url)
    wait_healthy(stack)
    return stack


def log_entries(text: str) -> list[str]:
    starts = [m.start() for m in LOG_ENTRY.finditer(text)] + [len(text)]
    return [text[a:b] for a, b in zip(starts, starts[1:], strict=False)]


def set_log_statement(db_url: str, value: str | None) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        if value is None:
            conn.execute("alter system reset log_statement")
        else:
            conn.execute(f"alter system set log_statement = '{value}'")
        conn.execute("select pg_reload_conf()")


def test_hostile_strings_reach_the_database_only_as_bound_parameters(ready):
    stack = ready
    files = files_of(stack)
    anon, service = bearer(stack.anon_key), bearer(stack.service_role_key)
    # (function, headers, body, statuses allowed, reaches the database)
    calls = []
    reaching, refused = [], []
    for i, payload in enumerate(PAYLOADS):
        m = marker(i)
        hostile = (m + payload)[:32]  # game_number: at most 32 characters
        reaching.append(m)
        calls.append(("predict", anon, {"state": "TX", "game_number": hostile}, {404}))
        m2 = marker(100 + i)
        reaching.append(m2)
        calls.append(
            (
                "predict",
                anon,
                {"games": [{"game_id": 1}, {"state": "tx", "game_number": (m2 + payload)[:32]}]},
                {200},
            )
        )
        for k, field in enumerate(("state", "date", "game_id")):
            mf = marker(300 + 10 * i + k)
            refused.append(mf)
            value = ("2026-07-21" if field == "date" else "") + mf + payload
            body = {"state": "TX", "game_number": "2400", field: value}
            if field == "game_id":
                body = {"game_id": value}
            calls.append(("predict", anon, body, {422}))
        m3 = marker(200 + i)
        refused.append(m3)
        calls.append(("predict", anon, {"state": "TX", "game_number": m3 + payload * 20}, {422}))
        calls.append(("predict", anon, {m3 + payload: 1}, {422}))
        calls.append(("daily-batch", service, {"run_date": m3 + payload}, {422}))
        calls.append(("daily-batch", anon, {"run_date": m3 + payload}, {403}))
        if function_exists("powerball"):
            calls.append(("powerball", anon, {"count": m3 + payload}, {422}))
            calls.append(("powerball", anon, {"seed": m3 + payload}, {422}))
    calls.append(("predict", anon, {"state": "TX", "game_number": "\u0000"}, {422}))
    calls.append(("predict", anon, {"state": "TX", "game_number": "2400\u0000' OR 1=1"}, {422}))
    calls.append(("predict", anon, {"state": "TX", "game_number": "x" * 60000}, {413, 422}))

    before = table_digest(stack.db_url, TABLES)
    set_log_statement(stack.db_url, "all")
    pg_log = LogTail(files.postgres_log)
    statuses: dict[int, int] = {}
    try:
        with httpx.Client(timeout=30) as client:
            # the functions' pooled connections pick up the setting at their next statement;
            # wait until a probe value shows up in the log before the real run
            probe = marker(999)
            deadline = time.monotonic() + 15
            while probe not in pg_log.read() and time.monotonic() < deadline:
                client.post(
                    stack.functions_url("predict"),
                    headers=anon,
                    json={"state": "TX", "game_number": probe},
                )
                time.sleep(0.2)
            assert probe in pg_log.read(), "log_statement = 'all' did not take effect"
            for name, headers, body, allowed in calls:
                r = client.post(stack.functions_url(name), headers=headers, json=body)
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                assert r.status_code in allowed, (name, body, r.status_code, r.text[:300])
                if r.status_code >= 400:
                    assert errors_of("Error", r.json()) == [], r.text
                else:
                    results = r.json()["results"]
                    assert results[0]["game"]["id"] == 1
                    assert results[1]["error"]["code"] == "not_found"
        time.sleep(0.5)
        text = pg_log.read()
    finally:
        set_log_statement(stack.db_url, None)
    after = table_digest(stack.db_url, TABLES)

    entries = log_entries(text)
    detail, elsewhere = {}, {}
    for m in reaching + refused:
        hits = [e for e in entries if m in e]
        detail[m] = [e for e in hits if " DETAIL:  parameters: " in e]
        elsewhere[m] = [e for e in hits if " DETAIL:  parameters: " not in e]
    statements = [e for e in entries if re.search(r" LOG:  (execute|statement)", e)]
    print(
        f"\n[sqli] {len(calls)} hostile requests ({len(PAYLOADS)} payloads x every string input):"
        f" statuses {dict(sorted(statuses.items()))}"
        f"\n[sqli] PostgreSQL log while log_statement = 'all': {len(entries)} entries,"
        f" {len(statements)} statements; {len(reaching)} hostile values that passed validation"
        f" found only in 'DETAIL: parameters' entries:"
        f" {sum(1 for m in reaching if detail[m] and not elsewhere[m])};"
        f" {len(refused)} refused by validation found in the log: "
        f"{sum(1 for m in refused if detail[m] or elsewhere[m])}"
        f"\n[sqli] tables unchanged: {after == before} ({', '.join(f'{t}: {n[0]} rows' for t, n in after.items())})"  # noqa: E501
    )
    example = next(e for e in detail[reaching[0]])
    print(f"[sqli] e.g. {example.strip()[:300]}")
    for m in reaching:
        assert detail[m], f"{m} never reached the database as a parameter"
        assert elsewhere[m] == [], f"{m} appears outside a parameters entry: {elsewhere[m][:2]}"
    for m in refused:
        assert not detail[m] and not elsewhere[m], f"{m} reached the database"
    assert after == before
