"""The local gateway behaves like Supabase's in front of Edge Functions: JWT checked with the
project's secret, CORS preflight answered, unknown functions 404, JSON errors."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import jwt
import pytest
from supabase import create_client


def call(url: str, method: str = "GET", token: str | None = None, body: bytes | None = None):
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def test_health_through_supabase_py_functions_client(stack):
    client = create_client(stack.url, stack.anon_key)
    answer = json.loads(client.functions.invoke("health", {"body": {}}))
    assert answer["status"] == "ok"
    assert answer["function"] == "health"


def test_health_through_plain_http_with_either_key(stack):
    for key in (stack.anon_key, stack.service_role_key):
        status, _, body = call(stack.functions_url("health"), token=key)
        assert status == 200
        assert json.loads(body)["status"] == "ok"


def signed(stack, secret: str | None = None, **claims) -> str:
    payload = {"iss": "supabase-demo", "role": "anon", "exp": int(time.time()) + 600, **claims}
    return jwt.encode(payload, secret or stack.jwt_secret, algorithm="HS256")


@pytest.mark.parametrize(
    ("token", "why"),
    [
        (None, "Missing authorization header"),
        ("not-a-jwt", "malformed"),
        ("a.b.c", "malformed"),
        ("expired", "expired"),
        ("other-secret", "bad signature"),
    ],
)
def test_requests_without_a_valid_jwt_are_refused_with_401_json(stack, token, why):
    if token == "expired":
        token = signed(stack, exp=int(time.time()) - 10)
    elif token == "other-secret":
        token = signed(stack, secret="another-secret-of-at-least-thirty-two-characters")
    status, headers, body = call(stack.functions_url("health"), token=token)
    assert status == 401
    assert headers["Content-Type"].startswith("application/json")
    assert why in json.loads(body)["error"]["message"]


def test_a_freshly_signed_token_is_accepted(stack):
    status, _, _ = call(stack.functions_url("health"), token=signed(stack, role="authenticated"))
    assert status == 200


def test_unknown_function_is_404_json(stack):
    status, _, body = call(stack.functions_url("no-such-function"), token=stack.anon_key)
    assert status == 404
    assert json.loads(body)["error"]["code"] == "not_found"


def test_cors_preflight_needs_no_jwt(stack):
    status, headers, _ = call(stack.functions_url("health"), method="OPTIONS")
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "authorization" in headers["Access-Control-Allow-Headers"]


def test_wrong_method_is_405_json(stack):
    status, _, body = call(stack.functions_url("health"), method="DELETE", token=stack.anon_key)
    assert status == 405
    assert json.loads(body)["error"]["code"] == "method_not_allowed"


def test_a_body_over_the_gateway_cap_is_413_json(stack):
    status, _, body = call(
        stack.functions_url("health"), method="POST", token=stack.anon_key, body=b" " * 3_000_000
    )
    assert status == 413
    assert json.loads(body)["error"]["code"] == "payload_too_large"
