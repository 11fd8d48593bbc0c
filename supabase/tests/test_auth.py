"""Auth through the gateway: no key, a malformed JWT, an expired JWT, a JWT signed with another
secret (also one claiming the service role), an unsigned ("alg": "none") JWT, and the anon key on
daily-batch: each refused with its status (401, 401, 401, 401, 401, 403) and a JSON error, on every
function. The service role key is never returned (no response body or header, on success or
error) and never logged (the gateway log, which also holds the functions' stdout and stderr, and
the pg_net worker's log) after a run of requests that used it."""

from __future__ import annotations

import base64
import json
import time

import httpx
import jwt
import pytest
from openapi_doc import errors_of, function_exists
from stack_data import ensure_loaded
from stack_process import LogTail, bearer, files_of, wait_healthy

OTHER_SECRET = "another-secret-of-at-least-thirty-two-characters"


def signed(secret: str, **claims) -> str:
    payload = {"iss": "supabase-demo", "role": "anon", "exp": int(time.time()) + 600, **claims}
    return jwt.encode(payload, secret, algorithm="HS256")


def unsigned(**claims) -> str:
    def part(obj) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part({'role': 'service_role', **claims})}."


@pytest.fixture(scope="module")
def ready(stack):
    ensure_loaded(stack.db_url)
    wait_healthy(stack)
    return stack


def functions() -> list[str]:
    return [f for f in ("health", "predict", "daily-batch", "powerball") if function_exists(f)]


def body_for(name: str) -> dict:
    return {"predict": {"game_id": 1}, "powerball": {"count": 1}}.get(name, {})


def test_each_bad_credential_is_refused_with_its_status(ready):
    stack = ready
    cases = [
        ("no key", None, None, 401, "Missing authorization header"),
        ("not a JWT", "Bearer not-a-jwt", None, 401, "malformed"),
        ("three parts, not JSON", "Bearer a.b.c", None, 401, "malformed"),
        ("not Bearer", f"Basic {stack.anon_key}", None, 401, "not a Bearer token"),
        ("expired", None, signed(stack.jwt_secret, exp=int(time.time()) - 10), 401, "expired"),
        ("another secret", None, signed(OTHER_SECRET), 401, "bad signature"),
        (
            "service role, another secret",
            None,
            signed(OTHER_SECRET, role="service_role"),
            401,
            "bad signature",
        ),
        ("unsigned (alg none)", None, unsigned(), 401, "unsupported algorithm"),
    ]
    seen = []
    with httpx.Client(timeout=30) as client:
        for name in functions():
            for what, header, token, status, why in cases:
                headers = {"Authorization": header} if header else bearer(token)
                r = client.post(stack.functions_url(name), headers=headers, json=body_for(name))
                assert r.status_code == status, (name, what, r.status_code, r.text)
                assert errors_of("Error", r.json()) == [], r.text
                assert why in r.json()["error"]["message"], (name, what, r.text)
                seen.append(r.status_code)
        # a valid JWT of the wrong role on the service-role-only function
        for what, token in [
            ("anon key", stack.anon_key),
            ("authenticated user", signed(stack.jwt_secret, role="authenticated")),
        ]:
            r = client.post(stack.functions_url("daily-batch"), headers=bearer(token), json={})
            assert r.status_code == 403, (what, r.text)
            assert r.json()["error"]["code"] == "forbidden"
            seen.append(r.status_code)
    print(
        f"\n[auth] {len(seen)} refusals over {functions()}:"
        f" {seen.count(401)} x 401 (no key, malformed, not Bearer, expired, other secret,"
        f" forged service role, alg none), {seen.count(403)} x 403 (anon/authenticated on"
        " daily-batch)"
    )


def test_the_service_role_key_is_never_returned_or_logged(ready):
    stack = ready
    files = files_of(stack)
    key = stack.service_role_key
    needles = [key, key.split(".")[2]]  # the whole key, and its signature alone
    logs = [LogTail(files.gateway_log), LogTail(files.state / "pg_net_worker.log")]
    requests = [
        ("health", "GET", None),
        ("health", "POST", b"{}"),
        ("predict", "POST", b'{"game_id": 1}'),
        ("predict", "POST", b'{"state": "TX", "game_number": "nope"}'),
        ("predict", "POST", b'{"games": [{"game_id": 1}, {"game_id": 99999}]}'),
        ("predict", "POST", b"{bad json"),
        ("predict", "POST", b'{"game_id": "' + key.encode() + b'"}'),
        ("predict", "PUT", b"{}"),
        ("daily-batch", "POST", b'{"run_date": "nope"}'),
        ("daily-batch", "POST", b'{"unknown": 1}'),
        ("daily-batch", "GET", None),
        ("powerball", "POST", b'{"count": 2, "seed": 1}'),
        ("powerball", "POST", b'{"count": 99}'),
        ("no-such-function", "POST", b"{}"),
    ]
    statuses = []
    leaks = []
    with httpx.Client(timeout=60) as client:
        for _ in range(3):
            for name, method, body in requests:
                if name == "powerball" and not function_exists(name):
                    continue
                r = client.request(
                    method,
                    stack.functions_url(name),
                    headers={**bearer(key), "apikey": key, "x-client-info": "test"},
                    content=body,
                )
                statuses.append(r.status_code)
                assert r.status_code < 500, (name, method, body, r.status_code, r.text)
                # (the request that sends the key as a game_id must not echo it either)
                where = [f"body of {method} {name}"] if any(n in r.text for n in needles) else []
                where += [
                    f"header {h} of {method} {name}"
                    for h, v in r.headers.items()
                    if any(n in v for n in needles)
                ]
                leaks += where
    time.sleep(0.3)  # the functions' output reaches the gateway log
    logged = {str(t.path.name): t.read() for t in logs}
    in_logs = [name for name, text in logged.items() if any(n in text for n in needles)]
    print(
        f"\n[auth] {len(statuses)} requests with the service role key (statuses"
        f" {sorted(set(statuses))}); key found in responses: {len(leaks)}; in logs"
        f" ({', '.join(f'{k}: {len(v)} bytes' for k, v in logged.items())}): {len(in_logs)}"
    )
    assert leaks == [], leaks
    assert in_logs == [], in_logs
    assert 200 in statuses and 422 in statuses and 404 in statuses


def test_time_claims_are_checked_as_the_hosted_gateway_does(ready):
    """exp, nbf and iat must be numbers; nbf and iat may be at most 30 s ahead of the gateway's
    clock (PostgREST's allowance for clock skew); exp is not stretched."""
    stack = ready
    now = int(time.time())
    cases = [
        ("nbf 2 minutes ahead", {"nbf": now + 120}, 401, "not yet valid"),
        ("nbf 10 s ahead (clock skew)", {"nbf": now + 10}, 200, None),
        ("nbf in the past", {"nbf": now - 60}, 200, None),
        ("iat 2 minutes ahead", {"iat": now + 120}, 401, "issued in the future"),
        ("iat 10 s ahead (clock skew)", {"iat": now + 10}, 200, None),
        ("iat in the past", {"iat": now - 60}, 200, None),
        ("exp as a string", {"exp": str(now + 600)}, 401, "'exp' must be a number"),
        ("exp as a far-future string", {"exp": "99999999999"}, 401, "'exp' must be a number"),
        ("exp null", {"exp": None}, 401, "'exp' must be a number"),
        ("nbf as a string", {"nbf": "0"}, 401, "'nbf' must be a number"),
        ("iat as a boolean", {"iat": True}, 401, "'iat' must be a number"),
        ("exp 1 s ago", {"exp": now - 1}, 401, "expired"),
    ]
    with httpx.Client(timeout=30) as client:
        for what, claims, status, why in cases:
            token = signed(stack.jwt_secret, **claims)
            r = client.post(stack.functions_url("health"), headers=bearer(token), json={})
            assert r.status_code == status, (what, r.status_code, r.text)
            if why is not None:
                assert errors_of("Error", r.json()) == [], r.text
                assert why in r.json()["error"]["message"], (what, r.text)
