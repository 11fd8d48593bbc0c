"""supabase/functions/openapi.yaml: a valid OpenAPI 3.1 document that describes every function
there is (and only those), with the conventions of DESIGN.md (bearer JWT, closed request schemas,
the 100-game limit, the JSON error schema on every error status), and the real responses of the
local stack conform to it (checked by schemathesis' own response checks and by jsonschema)."""

from __future__ import annotations

import json

import httpx
import pytest
import schemathesis
from openapi_doc import (
    FUNCTIONS,
    FUNCTIONS_DIR,
    SPEC,
    document,
    errors_of,
    function_exists,
)
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from stack_data import ensure_loaded
from stack_process import bearer

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def resolve(node: dict) -> dict:
    while "$ref" in node:
        target = document()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def walk(node, path=""):
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from walk(v, f"{path}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, f"{path}/{i}")


def test_the_document_is_valid_openapi_3_1_and_loads_in_schemathesis():
    doc = document()
    assert doc["openapi"].startswith("3.1")
    validate(doc)  # openapi-spec-validator: the OpenAPI 3.1 meta-schema
    schema = schemathesis.openapi.from_path(SPEC)
    labels = sorted(op.ok().label for op in schema.get_all_operations())
    print(f"\n[openapi] {len(labels)} operations: {', '.join(labels)}")
    assert "POST /predict" in labels and "POST /daily-batch" in labels
    assert "POST /powerball" in labels and "GET /health" in labels
    assert "POST /picks" in labels


def test_every_function_is_documented_and_every_documented_path_is_a_function():
    on_disk = sorted(
        p.name for p in FUNCTIONS_DIR.iterdir() if p.is_dir() and (p / "index.ts").is_file()
    )
    documented = sorted(p.strip("/") for p in document()["paths"])
    assert set(on_disk) <= set(documented), f"undocumented: {set(on_disk) - set(documented)}"
    # powerball is documented from its contract while it is being written
    assert set(documented) - set(on_disk) <= {"powerball"}
    assert documented == sorted(FUNCTIONS)
    print(f"\n[openapi] functions on disk: {on_disk}; documented: {documented}")


def test_conventions_bearer_jwt_closed_bodies_json_errors_and_the_100_game_limit():
    doc = document()
    scheme = doc["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    assert doc["security"] == [{"bearerAuth": []}]
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method == "options":
                assert op["security"] == [], f"{path}: preflight needs no JWT"
                continue
            assert "security" not in op, f"{method} {path} must use the global bearer security"
            statuses = set(op["responses"])
            assert {"200", "401", "500", "503"} <= statuses, f"{method} {path}: {statuses}"
            for status, response in op["responses"].items():
                schema = resolve(response)["content"]["application/json"]["schema"]
                if status.startswith(("4", "5")):
                    text = json.dumps(schema)
                    assert "#/components/schemas/Error" in text or "NotFoundError" in text, (
                        f"{method} {path} {status} is not the JSON error schema"
                    )
            body = op.get("requestBody")
            if body is not None and method == "post" and path != "/health":
                assert "422" in statuses and "400" in statuses and "413" in statuses
    # every object schema of a request body is closed
    schemas = doc["components"]["schemas"]
    for name in (
        "PredictRequest",
        "GameId",
        "GameKey",
        "DailyBatchRequest",
        "PowerballRequest",
        "PicksRequest",
    ):
        for where, node in walk(schemas[name], name):
            if node.get("type") == "object":
                assert node.get("additionalProperties") is False, f"{where} is open"
    games = schemas["PredictRequest"]["oneOf"][2]["properties"]["games"]
    assert (games["minItems"], games["maxItems"]) == (1, 100)
    assert doc["paths"]["/daily-batch"]["post"]["responses"].get("403")
    power = schemas["PowerballRequest"]["properties"]
    assert (power["count"]["minimum"], power["count"]["maximum"]) == (1, 20)
    assert (power["seed"]["minimum"], power["seed"]["maximum"]) == (0, 2**32 - 1)
    # the error schema itself
    assert errors_of("Error", {"error": {"code": "not_found", "message": "no such game"}}) == []
    assert errors_of("Error", {"error": {"code": "x", "message": "y", "stack": "..."}}) != []
    assert errors_of("Error", {"message": "no"}) != []


# ---- real responses against the document -------------------------------------------------------


@pytest.fixture(scope="module")
def api(stack):
    ensure_loaded(stack.db_url)
    schema = schemathesis.openapi.from_path(SPEC)
    with httpx.Client(timeout=60) as client:
        yield schema, client


def call_and_check(stack, api, path, method, body=None, key="anon", raw=None):
    """One real request, checked by schemathesis against the operation's documented responses."""
    schema, client = api
    op = schema[path][method]
    token = {"anon": stack.anon_key, "service": stack.service_role_key, None: None}[key]
    headers = {**bearer(token), "Content-Type": "application/json"}
    url = stack.url + "/functions/v1" + path
    content = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    response = client.request(method, url, headers=headers, content=content)
    case = op.Case(headers=headers) if body is None else op.Case(body=body, headers=headers)
    case.validate_response(response, checks=CHECKS, headers=headers)
    return response


def test_real_responses_conform_to_the_document(stack, api):
    seen = []

    def check(path, method, status, **kw):
        r = call_and_check(stack, api, path, method, **kw)
        assert r.status_code == status, (path, method, kw, r.status_code, r.text[:300])
        assert r.headers["content-type"].startswith("application/json")
        if status >= 400:
            assert errors_of("Error", r.json()) == [], r.text
        seen.append(f"{method} {path} -> {status}")
        return r.json()

    check("/health", "GET", 200)
    check("/health", "POST", 200, body={})
    check("/health", "GET", 401, key=None)
    # on the shipped data's last day (today the data is months old: stale, no prediction)
    one = check(
        "/predict", "POST", 200, body={"state": "TX", "game_number": "2400", "date": "2026-07-21"}
    )
    assert one["result"]["prediction"]["recommendation"]
    stale = check("/predict", "POST", 200, body={"state": "TX", "game_number": "2400"})
    assert stale["result"]["stale"] is True and stale["result"]["prediction"] is None
    assert errors_of("PredictSingleResponse", one) == []
    old = check("/predict", "POST", 200, body={"game_id": 1, "date": "2001-01-01"})
    assert old["result"]["prediction"] is None and old["result"]["reason"]
    many = check(
        "/predict",
        "POST",
        200,
        body={"games": [{"game_id": i} for i in range(1, 100)] + [{"game_id": 10**9}]},
    )
    assert errors_of("PredictListResponse", many) == []
    assert many["results"][-1]["error"]["code"] == "not_found"
    check("/predict", "POST", 404, body={"state": "TX", "game_number": "no-such-game"})
    check("/predict", "POST", 413, body={"games": [{"game_id": 1}] * 101})
    check("/predict", "POST", 413, raw=b'{"game_id": 1, "pad": "' + b"x" * 70000 + b'"}')
    check("/predict", "POST", 422, body={"game_id": 1, "extra": True})
    check("/predict", "POST", 422, body={"game_id": 1, "date": "2024-02-30"})
    check("/predict", "POST", 400, raw=b"{not json")
    check("/predict", "POST", 401, body={"game_id": 1}, key=None)
    check("/daily-batch", "POST", 403, body={})
    check("/daily-batch", "POST", 422, body={"run_date": "yesterday"}, key="service")
    check("/daily-batch", "POST", 422, body={"run_date": "2026-07-21", "x": 1}, key="service")
    check("/ingest", "POST", 403, body={})
    check("/ingest", "POST", 422, body={"states": "TX"}, key="service")
    runs = check("/ingest", "POST", 200, body={"states": ["NO"]}, key="service")
    assert errors_of("IngestResponse", runs) == [] and runs["runs"] == []
    if function_exists("powerball"):
        tickets = check("/powerball", "POST", 200, body={"count": 3, "seed": 7})
        assert len(tickets["tickets"]) == 3
        check("/powerball", "POST", 422, body={"count": 21})
        check("/powerball", "POST", 422, body={"seed": -1})
    picks = check("/picks", "POST", 200, body={"state": "TX"})
    assert picks["state"] == "TX" and picks["count"] == len(picks["picks"])
    none = check("/picks", "POST", 200, body={"state": "TX", "date": "2001-01-01"})
    assert none["prediction_date"] is None and none["picks"] == []
    check("/picks", "POST", 422, body={"state": "Texas"})
    check("/picks", "POST", 422, body={"state": "TX", "limit": 5})
    check("/picks", "POST", 401, body={"state": "TX"}, key=None)
    # a method the function does not serve: 405 JSON with Allow (not a documented operation)
    with httpx.Client(timeout=30) as client:
        for name in ("predict", "daily-batch"):
            r = client.put(stack.functions_url(name), headers=bearer(stack.anon_key))
            assert r.status_code == 405 and errors_of("Error", r.json()) == [], r.text
            assert "POST" in r.headers["allow"]
            seen.append(f"PUT /{name} -> 405")
        r = client.options(stack.functions_url("predict"))
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "*"
    print(f"\n[openapi] {len(seen)} real responses conform: " + "; ".join(seen))
