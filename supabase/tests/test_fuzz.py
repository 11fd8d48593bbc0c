"""Fuzzing the functions from supabase/functions/openapi.yaml with schemathesis (hypothesis
strategies of each operation, positive and negative), through the gateway of the local stack.

At least 1,000 generated requests per function (predict, powerball, daily-batch; 300 for the
read-only picks), every one checked:
- never a 5xx;
- JSON, and every error is exactly {"error": {"code", "message"}};
- the response conforms to the document (schemathesis' status-code, content-type and
  response-schema checks);
- an oracle of our own, from what was really sent (the request as it left the client): no JWT
  -> 401; a body the document refuses (openapi_doc.body_is_valid, which counts lengths as the
  functions do) -> 4xx; a body it accepts -> 200 (predict: 200 or 404, an unknown game).
daily-batch runs a real batch for a valid body with the service key, so: its body is fuzzed
with the anon key (every answer 403, or 401 when the fuzzer drops the JWT); with the service key
only bodies the document refuses are sent (each must be 4xx; a generated body the document accepts
is not sent, and counted); then a few valid runs, checked against the document and for
idempotence, whose rows are removed afterwards.

Text that JavaScript holds and PostgreSQL refuses (a lone UTF-16 surrogate, U+0000), which
schemathesis cannot send (it encodes strings as UTF-8): 150 bodies per function of our own
hypothesis strategy, the bad text at any depth or in a field name; each must be a 422 whose message
names a field that really holds it.

Deterministic (hypothesis derandomize, no example database) and bounded (max_examples per
strategy; no shrinking: failures are collected, not raised one by one). Prints the counts of
requests and statuses per function.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field

import psycopg
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from openapi_doc import SPEC, body_is_valid, errors_of, function_exists, unstorable_text
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from stack_data import ensure_loaded
from stack_process import wait_healthy

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
MIN_REQUESTS = 1_000
POSITIVE = GenerationMode.POSITIVE
NEGATIVE = GenerationMode.NEGATIVE


@dataclass
class Tally:
    function: str
    statuses: Counter = field(default_factory=Counter)
    requests: int = 0
    not_sent: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def fail(self, what: str, case, response=None) -> None:
        if len(self.failures) < 20:
            sent = getattr(response, "request", None)
            body = getattr(sent, "body", None) if sent is not None else case.body
            status = response.status_code if response is not None else "-"
            text = response.text[:300] if response is not None else ""
            self.failures.append(f"{what}: body {str(body)[:300]!r} -> {status} {text}")
        else:
            self.failures.append(what)

    def report(self) -> str:
        by = ", ".join(f"{k}: {v}" for k, v in sorted(self.statuses.items()))
        return (
            f"[fuzz] {self.function}: {self.requests} requests in {self.seconds:.1f} s"
            f" ({self.not_sent} generated but not sent); {by}; failures {len(self.failures)}"
        )


@pytest.fixture(scope="module")
def schema(stack):
    ensure_loaded(stack.db_url)
    wait_healthy(stack)
    return schemathesis.openapi.from_path(SPEC)


def sent_body(response) -> bytes | None:
    body = response.request.body
    if body is None:
        return None
    return body.encode() if isinstance(body, str) else bytes(body)


def expected_statuses(function: str, token: str | None, stack, valid: bool) -> set[int]:
    """What the oracle allows for a request, from what was really sent."""
    if token is None:
        return {401}
    if token not in (stack.anon_key, stack.service_role_key):
        return {401}
    if function == "daily-batch" and token != stack.service_role_key:
        return {403}
    if not valid:
        return {400, 413, 422}
    return {200, 404} if function == "predict" else {200}


def fuzz(
    stack,
    schema,
    tally: Tally,
    path: str,
    method: str,
    mode: GenerationMode,
    token: str,
    examples: int,
    send_valid: bool = True,
) -> None:
    """One strategy of one operation: up to `examples` generated requests, each checked."""
    op = schema[path][method]
    function = path.strip("/")
    session = requests.Session()  # keep-alive
    auth = {"Authorization": f"Bearer {token}"}
    base_url = stack.url + "/functions/v1"
    started = time.perf_counter()

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(case=op.as_strategy(generation_mode=mode))
    def run(case):
        if not send_valid and method == "POST":
            if isinstance(case.body, NotSet):
                raw = None
            elif isinstance(case.body, bytes):
                raw = case.body
            else:
                raw = json.dumps(case.body).encode()
            if body_is_valid(function, raw):
                tally.not_sent += 1
                return
        try:
            response = case.call(base_url=base_url, session=session, headers=auth)
        except requests.RequestException as exc:
            tally.fail(f"transport error {exc!r}", case)
            return
        tally.requests += 1
        status = response.status_code
        tally.statuses[f"{mode.value}/{status}"] += 1
        if status >= 500:
            tally.fail("5xx", case, response)
        if method == "OPTIONS":
            return
        try:
            payload = response.json()
        except ValueError:
            tally.fail("not JSON", case, response)
            return
        if status >= 400 and errors_of("Error", payload):
            tally.fail(f"error shape {errors_of('Error', payload)}", case, response)
        sent = response.request.headers.get("Authorization")
        token_sent = sent.split(" ", 1)[1] if sent and " " in sent else (sent or None)
        valid = body_is_valid(function, sent_body(response)) if method == "POST" else True
        allowed = expected_statuses(function, token_sent, stack, valid)
        if status not in allowed:
            tally.fail(f"oracle: expected {sorted(allowed)} (valid body: {valid})", case, response)
        try:
            case.validate_response(response, checks=CHECKS, headers=dict(response.request.headers))
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup
            tally.fail(f"conformance: {str(exc)[:400]}", case, response)

    run()
    tally.seconds += time.perf_counter() - started


def finish(tally: Tally, minimum: int = MIN_REQUESTS) -> None:
    print("\n" + tally.report())
    for f in tally.failures[:10]:
        print(f"[fuzz]   {f}")
    assert tally.failures == [], f"{len(tally.failures)} failures, e.g. {tally.failures[:3]}"
    assert tally.requests >= minimum
    assert not any(k.endswith(tuple(f"/{s}" for s in range(500, 600))) for k in tally.statuses)


def test_fuzz_predict(stack, schema):
    tally = Tally("predict")
    fuzz(stack, schema, tally, "/predict", "POST", POSITIVE, stack.anon_key, 550)
    fuzz(stack, schema, tally, "/predict", "POST", NEGATIVE, stack.anon_key, 550)
    finish(tally)


def test_fuzz_powerball(stack, schema):
    if not function_exists("powerball"):
        pytest.skip("supabase/functions/powerball/index.ts does not exist yet")
    tally = Tally("powerball")
    fuzz(stack, schema, tally, "/powerball", "POST", POSITIVE, stack.anon_key, 500)
    fuzz(stack, schema, tally, "/powerball", "POST", NEGATIVE, stack.anon_key, 600)
    finish(tally)


def test_fuzz_picks(stack, schema):
    # read-only and small: fewer requests than the functions that run models
    tally = Tally("picks")
    fuzz(stack, schema, tally, "/picks", "POST", POSITIVE, stack.anon_key, 200)
    fuzz(stack, schema, tally, "/picks", "POST", NEGATIVE, stack.anon_key, 200)
    finish(tally, minimum=300)


def test_fuzz_health(stack, schema):
    tally = Tally("health")
    for method in ("GET", "POST"):
        for mode in (POSITIVE, NEGATIVE):
            fuzz(stack, schema, tally, "/health", method, mode, stack.anon_key, 25)
    fuzz(stack, schema, tally, "/health", "OPTIONS", POSITIVE, stack.anon_key, 5)
    finish(tally, minimum=10)


# The day after the shipped data (every active game, its data one day old: fresh) and a day before
# it (none). Later days get no prediction: the data would be stale (test_freshness).
VALID_RUN_DATES = ["2026-07-22", "2001-01-01"]


def test_fuzz_daily_batch(stack, schema):
    tally = Tally("daily-batch")
    # the anon key: every body refused with 403 before it is read
    fuzz(stack, schema, tally, "/daily-batch", "POST", POSITIVE, stack.anon_key, 500)
    fuzz(stack, schema, tally, "/daily-batch", "POST", NEGATIVE, stack.anon_key, 300)
    # the service key: only bodies the document refuses; each must be a 4xx (since the optional
    # `part`, about half of what the negative strategy generates is valid and not sent)
    fuzz(
        stack,
        schema,
        tally,
        "/daily-batch",
        "POST",
        NEGATIVE,
        stack.service_role_key,
        600,
        send_valid=False,
    )
    finish(tally)

    # a few valid runs, for real: conform to the document, and a rerun changes nothing
    with psycopg.connect(stack.db_url, autocommit=True) as conn:
        before = {
            d: conn.execute(
                "select count(*) from public.predictions where prediction_date = %s", (d,)
            ).fetchone()[0]
            for d in VALID_RUN_DATES
        }
    answers = []
    try:
        with requests.Session() as session:
            for run_date in VALID_RUN_DATES + VALID_RUN_DATES:
                r = session.post(
                    stack.functions_url("daily-batch"),
                    headers={"Authorization": f"Bearer {stack.service_role_key}"},
                    json={"run_date": run_date},
                    timeout=120,
                )
                assert r.status_code == 200, r.text[:500]
                assert errors_of("DailyBatchResponse", r.json()) == [], r.text[:500]
                answers.append(r.json())
    finally:
        with psycopg.connect(stack.db_url, autocommit=True) as conn:
            for d in VALID_RUN_DATES:
                if before[d] == 0:
                    conn.execute("delete from public.predictions where prediction_date = %s", (d,))
    after_data, before_data, rerun = answers[0], answers[1], answers[2]
    print(
        f"[fuzz] daily-batch valid runs: {VALID_RUN_DATES[0]}: {after_data['games']} games,"
        f" predictions {after_data['predictions']}, snapshots {after_data['historical_snapshots']},"
        f" {after_data['timings_ms']['total']} ms; rerun: predictions {rerun['predictions']};"
        f" {VALID_RUN_DATES[1]}: {len(before_data['skipped'])} skipped"
    )
    assert after_data["predictions"]["rows"] > 0
    assert rerun["predictions"]["inserted"] == 0 and rerun["predictions"]["updated"] == 0
    assert before_data["predictions"]["rows"] == 0
    assert len(before_data["skipped"]) == before_data["games"]


# Text that JavaScript holds and PostgreSQL refuses: a lone UTF-16 surrogate (no UTF-8 encoding)
# and U+0000. schemathesis encodes bodies as UTF-8, which cannot carry a lone surrogate, so these
# bodies are generated here and written as JSON by json.dumps (which escapes it: "\ud800").
BAD_CHARS = st.sampled_from(["\ud800", "\udbff", "\udc00", "\udfff", "\x00"])
NAMES = st.text(alphabet="abcxyz_", min_size=1, max_size=5)  # field names without . or [
SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
VALUES = st.recursive(
    SCALARS,
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(NAMES, kids, max_size=3),
    max_leaves=6,
)
BAD_TEXT = st.builds(lambda a, bad, b: a + bad + b, st.text(max_size=6), BAD_CHARS, NAMES)


def _holding(inner: st.SearchStrategy) -> st.SearchStrategy:
    """A list or an object with `inner` among other values, or an object with a bad field name."""
    in_list = st.tuples(st.lists(VALUES, max_size=2), inner).map(lambda t: [*t[0], t[1]])
    in_object = st.tuples(st.dictionaries(NAMES, VALUES, max_size=2), NAMES, inner).map(
        lambda t: {**t[0], t[1]: t[2]}
    )
    bad_name = st.tuples(BAD_TEXT, VALUES).map(lambda t: {t[0]: t[1]})
    return in_list | in_object | bad_name


POISONED = st.recursive(BAD_TEXT, _holding, max_leaves=4)
# each function's own field names, so that the bad text sits where its real input goes
DOOR_FIELDS = {
    "predict": ["state", "game_number", "game_id", "games", "date"],
    "picks": ["state", "date"],
    "powerball": ["count", "seed"],
    "daily-batch": ["run_date"],
    "scorecard": ["run_date"],
    "ingest": ["states"],
}


def bad_bodies(function: str) -> st.SearchStrategy:
    fields = st.sampled_from(DOOR_FIELDS[function])
    others = st.dictionaries(fields, VALUES, max_size=2)
    return st.tuples(others, fields, POISONED).map(lambda t: {**t[0], t[1]: t[2]})


def resolve(body: object, path: str) -> object:
    """The value at a path of the door's messages (`games[1].state`)."""
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path):
        body = body[int(index)] if index else body[name]  # type: ignore[index]
    return body


def named_text_is_bad(body: dict, message: str) -> bool:
    """Whether the message names a field (or a field name) of the body that holds bad text."""
    if message.startswith("a field name in "):
        where = message.removeprefix("a field name in ").split(" (", 1)[0]
        obj = body if where == "the body" else resolve(body, where)
        return any(unstorable_text(k) for k in obj)  # type: ignore[union-attr]
    path = message.split(" must not contain ", 1)[0]
    return unstorable_text(resolve(body, path))


@pytest.mark.parametrize("function", sorted(DOOR_FIELDS))
def test_fuzz_text_postgresql_refuses(stack, function):
    """Every generated body holds a lone surrogate or U+0000 somewhere (a value at any depth, or a
    field name): a 422 invalid_body whose message names a field that really holds it."""
    wait_healthy(stack)
    key = (
        stack.anon_key if function in ("predict", "picks", "powerball") else stack.service_role_key
    )
    tally = Tally(f"{function} (unstorable text)")
    session = requests.Session()
    started = time.perf_counter()

    @settings(max_examples=150, derandomize=True, database=None, deadline=None)
    @given(body=bad_bodies(function))
    def run(body):
        assert unstorable_text(body)
        raw = json.dumps(body).encode()  # ASCII: a lone surrogate is sent as its escape
        response = session.post(
            stack.functions_url(function),
            data=raw,
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            timeout=60,
        )
        tally.requests += 1
        tally.statuses[str(response.status_code)] += 1
        error = response.json().get("error", {}) if response.status_code != 200 else {}
        if response.status_code != 422 or error.get("code") != "invalid_body":
            tally.fail("expected 422 invalid_body", None, response)
        elif not named_text_is_bad(body, error["message"]):
            tally.fail("the message names no field holding the bad text", None, response)

    run()
    tally.seconds = time.perf_counter() - started
    finish(tally, minimum=150)
