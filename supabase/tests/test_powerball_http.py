"""The powerball function over HTTP through the local gateway, as the app calls it: supabase-py's
functions client and plain HTTP; a seeded call, reproducibility, 401 without a key, 422 for
count 21."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from supabase import create_client


def post(stack, body: bytes | None, token: str | None, method: str = "POST"):
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        stack.functions_url("powerball"), data=body, method=method, headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def assert_valid(ticket: dict) -> None:
    assert set(ticket) == {"white", "powerball"}
    white = ticket["white"]
    assert len(white) == 5 and white == sorted(set(white))
    assert all(isinstance(x, int) and 1 <= x <= 69 for x in white)
    assert isinstance(ticket["powerball"], int) and 1 <= ticket["powerball"] <= 26


def test_seeded_call_through_supabase_py(stack):
    client = create_client(stack.url, stack.anon_key)
    raw = client.functions.invoke("powerball", {"body": {"count": 4, "seed": 20151007}})
    answer = json.loads(raw)
    assert answer["seed"] == 20151007 and answer["count"] == 4
    assert len(answer["tickets"]) == 4
    for ticket in answer["tickets"]:
        assert_valid(ticket)
    assert set(answer["model_versions"]) == {"powerball_white_xgb", "powerball_red_xgb"}
    assert answer["based_on"]["draws"] == 100
    for ball in ("white", "powerball"):
        assert "uniform" in answer["skill_vs_uniform"][ball]["summary"]
    assert "random" in answer["disclaimer"]


def test_same_seed_same_tickets_over_http(stack):
    body = json.dumps({"count": 5, "seed": 777}).encode()
    first = post(stack, body, stack.anon_key)
    second = post(stack, body, stack.service_role_key)
    assert first[0] == second[0] == 200
    assert first[1]["tickets"] == second[1]["tickets"]
    other = post(stack, json.dumps({"count": 5, "seed": 778}).encode(), stack.anon_key)
    assert other[1]["tickets"] != first[1]["tickets"]


def test_without_a_key_401(stack):
    status, body = post(stack, b'{"seed": 1}', None)
    assert status == 401
    assert body["error"]["code"] == "unauthorized"


def test_count_21_is_422(stack):
    status, body = post(stack, b'{"count": 21}', stack.anon_key)
    assert status == 422
    assert body["error"]["code"] == "invalid_body"
    assert "count" in body["error"]["message"]


def test_malformed_json_400_and_get_405(stack):
    assert post(stack, b"{", stack.anon_key)[0] == 400
    assert post(stack, None, stack.anon_key, method="GET")[0] == 405
