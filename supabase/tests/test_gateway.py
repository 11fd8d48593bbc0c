"""The local gateway behaves like Supabase's in front of Edge Functions: JWT checked with the
project's secret, CORS preflight answered, unknown functions 404, JSON errors: also for what the
HTTP server itself would refuse (headers over 64 KiB: 431), for an upload the client cuts short
(400, not the function's fault), and for the table API the local stack does not run (/rest/v1:
a PostgREST-shaped 501 that supabase-py shows)."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
import urllib.error
import urllib.request
from urllib.parse import urlparse

import httpx
import jwt
import pytest
from postgrest.exceptions import APIError
from stack_process import LogTail, files_of, function_pid, wait_healthy
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


def raw_exchange(stack, request: bytes, half_close: bool = False) -> bytes:
    """Sends raw bytes to the gateway and reads what it answers until it closes (or 30 s)."""
    address = (urlparse(stack.url).hostname, urlparse(stack.url).port)
    with socket.create_connection(address, timeout=30) as sock:
        sock.sendall(request)
        if half_close:  # the client stops sending (as a closed upload does) but still reads
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def parse_answer(answer: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    if headers.get("transfer-encoding") == "chunked":
        size, _, rest = body.partition(b"\r\n")
        body = rest[: int(size, 16)]
    return int(lines[0].split()[1]), headers, body


MANY_HEADERS = "\r\n".join(f"x-h{i}: {'v' * 64}" for i in range(1000))  # about 70 KB


@pytest.mark.parametrize(
    ("what", "path", "extra"),
    [
        ("a 1 MB token", "/functions/v1/health", "Authorization: Bearer " + "a" * 1_000_000),
        ("a 100 KB path", "/functions/v1/health/" + "a" * 100_000, "x-small: 1"),
        ("70 KB of headers", "/functions/v1/health", MANY_HEADERS),
    ],
)
def test_oversized_headers_are_a_431_json_error(stack, what, path, extra):
    answer = raw_exchange(
        stack, f"GET {path} HTTP/1.1\r\nHost: gateway\r\n{extra}\r\n\r\n".encode()
    )
    status, headers, body = parse_answer(answer)
    assert status == 431, (what, answer[:300])
    assert headers["content-type"].startswith("application/json")
    error = json.loads(body)["error"]
    assert error["code"] == "headers_too_large"
    assert "64 KiB" in error["message"]


def test_headers_just_under_the_limit_still_pass(stack):
    r = httpx.get(
        stack.functions_url("health"),
        headers={"Authorization": f"Bearer {stack.anon_key}", "x-padding": "p" * 60_000},
        timeout=30,
    )
    assert r.status_code == 200, r.text[:200]


def test_an_upload_the_client_cuts_short_is_a_400_that_does_not_blame_the_function(stack):
    log = LogTail(files_of(stack).gateway_log)
    answer = raw_exchange(
        stack,
        b"POST /functions/v1/predict HTTP/1.1\r\nHost: gateway\r\n"
        + f"Authorization: Bearer {stack.anon_key}\r\n".encode()
        + b'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"game_id": 1',
        half_close=True,
    )
    status, headers, body = parse_answer(answer)
    assert status == 400, answer[:300]
    assert headers["content-type"].startswith("application/json")
    error = json.loads(body)["error"]
    assert error["code"] == "incomplete_body"
    assert "predict" not in error["message"] and "did not answer" not in error["message"]
    time.sleep(0.3)
    logged = log.read()
    assert "did not answer" not in logged and "POST /functions/v1/predict 400" in logged, logged


@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "DELETE"])
def test_rest_paths_answer_a_postgrest_style_error_naming_what_is_missing(stack, method):
    r = httpx.request(
        method,
        f"{stack.url}/rest/v1/games?select=*",
        headers={"apikey": stack.anon_key, "Authorization": f"Bearer {stack.anon_key}"},
        timeout=30,
    )
    assert r.status_code == 501
    body = r.json()
    assert set(body) == {"code", "message", "details", "hint"}
    assert "PostgREST" in body["message"] and "hosted" in body["message"]
    assert r.headers["access-control-allow-origin"] == "*"


def test_supabase_py_table_reads_surface_the_gateways_message(stack):
    client = create_client(stack.url, stack.anon_key)
    with pytest.raises(APIError) as caught:
        client.table("games").select("id, game_name").eq("status", "PUBLISHED").execute()
    error = caught.value
    assert "PostgREST" in error.message and "hosted" in error.message
    assert error.code and error.hint and error.details


def test_a_function_process_that_died_is_replaced_without_a_502(stack):
    """Killed between two requests: the next one reaches a fresh process, even when the gateway
    has not yet seen the old one exit (the connection is refused, the request never got there)."""
    wait_healthy(stack)
    pid = function_pid(files_of(stack), "predict")
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    r = httpx.post(
        stack.functions_url("predict"),
        headers={"Authorization": f"Bearer {stack.anon_key}"},
        json={"game_id": 1},
        timeout=120,
    )
    assert r.status_code in (200, 404), r.text  # 404: no game 1 in this database
    assert function_pid(files_of(stack), "predict") not in (None, pid)
