"""supabase/functions/openapi.yaml for the tests: its schemas as validators (jsonschema_rs, Draft
2020-12 as OpenAPI 3.1 says, formats checked), and an oracle that says whether a request body is one
the document accepts."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "supabase" / "functions" / "openapi.yaml"
FUNCTIONS_DIR = ROOT / "supabase" / "functions"

# The functions of the document, by path; `powerball` is written by another engineer and is
# fuzzed once supabase/functions/powerball/index.ts exists.
FUNCTIONS = ["health", "predict", "daily-batch", "ingest", "powerball", "scorecard", "picks"]
REQUEST_SCHEMAS = {
    "predict": "PredictRequest",
    "daily-batch": "DailyBatchRequest",
    "ingest": "IngestRequest",
    "scorecard": "ScorecardRequest",
    "powerball": "PowerballRequest",
    "picks": "PicksRequest",
}


@functools.cache
def document() -> dict[str, Any]:
    return yaml.safe_load(SPEC.read_text())


def function_exists(name: str) -> bool:
    return (FUNCTIONS_DIR / name / "index.ts").is_file()


@functools.cache
def validator(component: str):
    """A validator of one of components.schemas, refs resolved inside the document."""
    root = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": f"#/components/schemas/{component}",
        "components": document()["components"],
    }
    return jsonschema_rs.validator_for(root, validate_formats=True)


def errors_of(component: str, instance: Any) -> list[str]:
    return [f"{e.instance_path}: {e.message}" for e in validator(component).iter_errors(instance)]


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _game_refs(body: dict) -> list[dict]:
    if isinstance(body.get("games"), list):
        return [g for g in body["games"] if isinstance(g, dict)]
    return [body]


def unstorable_text(value: object) -> bool:
    """Whether a string of the parsed JSON, or a field name, holds what PostgreSQL cannot store and
    the document refuses in words (no regex engine here can say it): U+0000 or a lone surrogate
    (json.loads pairs a surrogate pair into one code point; a lone one stays in D800-DFFF)."""
    if isinstance(value, str):
        return any(c == "\x00" or "\ud800" <= c <= "\udfff" for c in value)
    if isinstance(value, list):
        return any(unstorable_text(v) for v in value)
    if isinstance(value, dict):
        return any(unstorable_text(k) or unstorable_text(v) for k, v in value.items())
    return False


def body_is_valid(function: str, raw: bytes | None) -> bool:
    """Whether the document accepts this body: the JSON of the request schema, within 64 KiB. An
    empty body counts as {}. The functions count string lengths in UTF-16 code units (JavaScript),
    where JSON Schema counts code points, so a game_number of more than 32 UTF-16 units is not
    valid here either (the document says so in its description)."""
    if function not in REQUEST_SCHEMAS:  # health: any body, ignored
        return True
    if raw is not None and len(raw) > 65536:
        return False
    # as the functions read it: Request.text() decodes UTF-8 (dropping a leading byte order mark,
    # as the Fetch standard's UTF-8 decode does), bad bytes become U+FFFD
    text = raw.decode("utf-8-sig", errors="replace") if raw is not None else ""
    try:
        body = json.loads(text) if text.strip() else {}
    except ValueError:
        return False
    if unstorable_text(body) or not validator(REQUEST_SCHEMAS[function]).is_valid(body):
        return False
    if function == "predict":
        for ref in _game_refs(body):
            number = ref.get("game_number")
            if isinstance(number, str) and utf16_len(number) > 32:
                return False
    return True


def documented_statuses(path: str, method: str) -> set[int]:
    return {int(s) for s in document()["paths"][path][method.lower()]["responses"]}
