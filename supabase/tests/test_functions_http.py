"""`predict` and `daily-batch` through the local gateway, as the mobile app and pg_cron call them:
supabase-py's functions client and plain HTTP; the error cases (JSON, right status) and the auth
cases (the gateway's JWT check, then the function's role check)."""

from __future__ import annotations

import json
import time

import jwt
import psycopg
import pytest
from stack_data import assert_json_error, ensure_loaded, http, latest_snapshot
from supabase import create_client
from supabase.lib.client_options import SyncClientOptions
from supabase_functions.errors import FunctionsHttpError

# supabase-py waits 5 s by default: a cold start on a loaded 2-core machine can take longer.
SLOW_MACHINE = SyncClientOptions(function_client_timeout=60)

RUN_DATE = "2026-07-17"  # daily-batch's run date here: fixed, used by no other test, cleaned up


@pytest.fixture(scope="module", autouse=True)
def loaded(stack):
    ensure_loaded(stack.db_url)


@pytest.fixture(scope="module")
def game(stack) -> dict:
    with psycopg.connect(stack.db_url) as conn:
        row = conn.execute(
            "select id, state, game_number, name from public.games where is_active order by id"
            " limit 1"
        ).fetchone()
    return dict(zip(["id", "state", "game_number", "name"], row, strict=True))


def check_prediction(result: dict, game: dict, date: str) -> None:
    assert result["game"]["id"] == game["id"]
    assert (result["game"]["state"], result["game"]["game_number"]) == (
        game["state"],
        game["game_number"],
    )
    assert result["prediction_date"] == date
    assert result["snapshot_date"] == date  # every active game has a snapshot on the latest day
    p = result["prediction"]
    assert p is not None, result["reason"]
    assert 0 <= p["ai_score"] <= 100
    assert 0 < p["win_probability"] <= 1
    assert 0 <= p["confidence_level"] <= 100
    assert p["recommendation"] in {"strong_buy", "buy", "neutral", "avoid", "strong_avoid"}
    assert p["expected_value"] == result["analytics"]["net_ev"]
    assert p["win_probability"] == result["analytics"]["win_probability"]
    assert p["reasoning"].startswith("Net expected value is ")


def test_predict_through_supabase_py_functions_client(stack, game):
    date = latest_snapshot(stack.db_url)
    client = create_client(stack.url, stack.anon_key, options=SLOW_MACHINE)
    answer = json.loads(
        client.functions.invoke(
            "predict",
            {"body": {"state": game["state"], "game_number": game["game_number"], "date": date}},
        )
    )
    result = answer["result"]
    check_prediction(result, game, date)
    print(
        f"\n{game['state']}-{game['game_number']} {game['name']!r} on {date}:"
        f" ai_score {result['prediction']['ai_score']:.2f}"
        f" ({result['prediction']['recommendation']}), net EV"
        f" {result['prediction']['expected_value']:.4f}, model {result['model_version']}"
    )
    # the same answer by game_id, with responseType json, and over plain HTTP with the other key
    by_id = client.functions.invoke(
        "predict", {"body": {"game_id": game["id"], "date": date}, "responseType": "json"}
    )
    assert by_id["result"] == result
    status, headers, plain = http(
        stack.functions_url("predict"),
        {"game_id": game["id"], "date": date},
        stack.service_role_key,
    )
    assert status == 200
    assert headers["Content-Type"].startswith("application/json")
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert plain["result"] == result


def test_predict_a_list_through_the_client_marks_unknown_games(stack, game):
    date = latest_snapshot(stack.db_url)
    client = create_client(stack.url, stack.anon_key, options=SLOW_MACHINE)
    refs = [{"game_id": game["id"]}, {"state": "ZZ", "game_number": "nope"}]
    answer = json.loads(client.functions.invoke("predict", {"body": {"games": refs, "date": date}}))
    assert len(answer["results"]) == 2
    check_prediction(answer["results"][0], game, date)
    assert answer["results"][1] == {
        "request": refs[1],
        "error": {"code": "not_found", "message": "no such game"},
    }


def test_the_client_raises_on_an_unknown_game(stack):
    client = create_client(stack.url, stack.anon_key, options=SLOW_MACHINE)
    with pytest.raises(FunctionsHttpError) as caught:
        client.functions.invoke("predict", {"body": {"game_id": 2**40}})
    assert caught.value.status == 404


@pytest.mark.parametrize(
    ("body", "method", "status", "code"),
    [
        (b"{not json", "POST", 400, "malformed_json"),
        (b'{"game_id": 1,}', "POST", 400, "malformed_json"),
        ({"game_id": 2**40}, "POST", 404, "not_found"),
        ({"state": "ZZ", "game_number": "0"}, "POST", 404, "not_found"),
        (None, "GET", 405, "method_not_allowed"),
        ({"game_id": 1}, "PUT", 405, "method_not_allowed"),
        ({"games": [{"game_id": 1}] * 101}, "POST", 413, "too_many_games"),
        ({"game_id": 1, "pad": "x" * 70_000}, "POST", 413, "payload_too_large"),
        ({"game_id": "1"}, "POST", 422, "invalid_body"),
        ({"game_id": -3}, "POST", 422, "invalid_body"),
        ({"state": 7, "game_number": "2400"}, "POST", 422, "invalid_body"),
        ({"games": "all"}, "POST", 422, "invalid_body"),
        ([{"game_id": 1}], "POST", 422, "invalid_body"),
        ({"game_id": 1, "date": "2026-13-01"}, "POST", 422, "invalid_body"),
        ({"game_id": 1, "verbose": True}, "POST", 422, "invalid_body"),
        ({"games": [{"game_id": 1, "x": 1}]}, "POST", 422, "invalid_body"),
    ],
    ids=lambda v: v if isinstance(v, str | int) else None,
)
def test_predict_errors_are_json_with_the_right_status(stack, body, method, status, code):
    got = http(stack.functions_url("predict"), body, stack.anon_key, method=method)
    assert_json_error(*got, status, code)


def test_cors_preflight_of_predict(stack):
    status, headers, _ = http(stack.functions_url("predict"), method="OPTIONS")
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in headers["Access-Control-Allow-Methods"]
    assert "authorization" in headers["Access-Control-Allow-Headers"]


# Text that JSON and JavaScript accept and PostgreSQL refuses: a lone UTF-16 surrogate escape (no
# UTF-8 encoding) and U+0000 (not in PostgreSQL text). Each function's door (_shared/http.ts)
# refuses it with a 422 naming the field, before any field's own check or the database (was: 500).
UNSTORABLE = {"lone high surrogate": r"\ud800", "lone low surrogate": r"x\udfffy", "NUL": r"\u0000"}
# (function, key role, the body's JSON with {} where the text goes, the field the message names)
DOORS = [
    ("predict", "anon", '{{"state": "TX", "game_number": "{}"}}', "game_number"),
    ("predict", "anon", '{{"games": [{{"game_id": 1}}, {{"state": "{}"}}]}}', "games[1].state"),
    ("picks", "anon", '{{"state": "{}"}}', "state"),
    ("powerball", "anon", '{{"count": 1, "seed": "{}"}}', "seed"),
    ("daily-batch", "service_role", '{{"run_date": "2026-07-17{}"}}', "run_date"),
    ("scorecard", "service_role", '{{"run_date": "{}"}}', "run_date"),
    ("ingest", "service_role", '{{"states": ["TX", "{}"]}}', "states[1]"),
]


@pytest.mark.parametrize("text", UNSTORABLE.values(), ids=UNSTORABLE.keys())
@pytest.mark.parametrize(
    ("function", "role", "template", "field"), DOORS, ids=[f"{d[0]}:{d[3]}" for d in DOORS]
)
def test_text_postgresql_refuses_is_a_422_naming_the_field(
    stack, function, role, template, field, text
):
    key = stack.anon_key if role == "anon" else stack.service_role_key
    body = template.format(text).encode()
    message = assert_json_error(
        *http(stack.functions_url(function), body, key), 422, "invalid_body"
    )
    assert message.startswith(f"{field} must not contain "), message
    assert ("NUL" if text == r"\u0000" else "surrogate") in message, message


@pytest.mark.parametrize("function", sorted({d[0] for d in DOORS}))
def test_a_field_name_postgresql_refuses_is_a_422(stack, function):
    role = next(d[1] for d in DOORS if d[0] == function)
    key = stack.anon_key if role == "anon" else stack.service_role_key
    got = http(stack.functions_url(function), rb'{"st\ud800ate": "TX"}', key)
    message = assert_json_error(*got, 422, "invalid_body")
    assert message.startswith(r'a field name in the body ("st\ud800ate") must not contain'), message


def signed(stack, role: str, secret: str | None = None) -> str:
    claims = {"iss": "supabase-demo", "role": role, "exp": int(time.time()) + 600}
    return jwt.encode(claims, secret or stack.jwt_secret, algorithm="HS256")


def test_predict_without_a_key_is_401(stack, game):
    got = http(stack.functions_url("predict"), {"game_id": game["id"]})
    assert_json_error(*got, 401, "unauthorized")


@pytest.fixture
def clean_run(stack):
    def delete():
        with psycopg.connect(stack.db_url) as conn:
            conn.execute("delete from public.predictions where prediction_date = %s", (RUN_DATE,))

    delete()
    yield RUN_DATE
    delete()


def count_run(stack) -> int:
    with psycopg.connect(stack.db_url) as conn:
        return conn.execute(
            "select count(*) from public.predictions where prediction_date = %s", (RUN_DATE,)
        ).fetchone()[0]


def test_daily_batch_auth(stack, clean_run):
    url = stack.functions_url("daily-batch")
    body = {"run_date": clean_run}
    assert_json_error(*http(url, body), 401, "unauthorized")  # the gateway: no JWT
    # a service_role token not signed with the project's secret never reaches the function
    forged = signed(stack, "service_role", secret="not-the-project-secret-but-32-chars-long")
    assert_json_error(*http(url, body, forged), 401, "unauthorized")
    assert_json_error(*http(url, body, stack.anon_key), 403, "forbidden")  # the function's check
    assert_json_error(*http(url, body, signed(stack, "authenticated")), 403, "forbidden")
    assert count_run(stack) == 0, "a refused call wrote rows"

    status, _, answer = http(url, body, stack.service_role_key)
    assert status == 200, answer
    print(
        f"\ndaily-batch {clean_run}: {answer['games']} games, {answer['predictions']},"
        f" {len(answer['skipped'])} skipped, {answer['timings_ms']} ms"
    )
    assert answer["run_date"] == clean_run
    assert answer["predictions"]["rows"] == answer["games"] - len(answer["skipped"])
    assert answer["predictions"]["inserted"] == answer["predictions"]["rows"] > 0
    assert count_run(stack) == answer["predictions"]["rows"]
    # a service_role token freshly signed with the project's secret is accepted too
    status, _, again = http(url, body, signed(stack, "service_role"))
    assert status == 200
    assert again["predictions"] == {**answer["predictions"], "inserted": 0, "updated": 0}
