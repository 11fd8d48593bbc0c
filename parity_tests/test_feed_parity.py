"""Python feed adapters (trainer/scratchoff/feeds) vs their TypeScript port
(supabase/functions/_shared/scratchoff/feeds): identical canonical rows and warnings for every
shipped payload (115 Texas days, New York, New Jersey's real IGT answer read as NJ and SD, Georgia's
variant, Michigan, Florida) and every bent payload that loads without its odd games, and the same
refusal (document, row, column, message) for every bent payload refused.

The TypeScript side runs in ONE Deno process (parity_tests/feed_runner.ts) for all payloads.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from parity_tests.feed_cases import (
    Payload,
    bent_payloads,
    massachusetts_payloads,
    shipped_payloads,
    texas_page_payloads,
)
from parity_tests.ort_web import REPO, run_deno_json
from parity_tests.reporting import report
from trainer.scratchoff.feeds import FeedError, parse_feed, request_ids

RUNNER = REPO / "parity_tests" / "feed_runner.ts"


def _error(e: FeedError) -> dict[str, Any]:
    return {"document": e.file, "row": e.row, "column": e.column, "message": str(e)}


def _ids(p: Payload) -> dict[str, Any]:
    """request_ids of the payload's listing document, when the case asks (else nothing)."""
    if p.ids_of is None:
        return {}
    try:
        return {"request_ids": request_ids(p.state, p.documents[p.ids_of])}
    except FeedError as e:
        return {"request_ids_error": _error(e)}


def _python(p: Payload) -> dict[str, Any]:
    try:
        feed = parse_feed(p.state, p.documents, p.as_of)
    except FeedError as e:
        return {"error": _error(e), **_ids(p)}
    rows = [r.as_dict() for r in feed.rows]
    return {"as_of": feed.as_of, "rows": rows, "warnings": feed.warnings, **_ids(p)}


@pytest.fixture(scope="module")
def payloads() -> list[Payload]:
    return shipped_payloads() + bent_payloads() + texas_page_payloads() + massachusetts_payloads()


@pytest.fixture(scope="module")
def both(payloads: list[Payload]) -> list[tuple[Payload, dict[str, Any], dict[str, Any]]]:
    request = {
        "payloads": [
            {
                "id": p.id,
                "state": p.state,
                "as_of": p.as_of,
                "ids_of": p.ids_of,
                "documents": [
                    {"name": d.name, "b64": base64.b64encode(d.data).decode()} for d in p.documents
                ],
            }
            for p in payloads
        ]
    }
    answer = run_deno_json(RUNNER, json.dumps(request))
    report(f"feeds: TypeScript parsed {len(payloads)} payloads in {answer['ms']:.0f} ms")
    ts = {r["id"]: r for r in answer["results"]}
    return [(p, _python(p), ts[p.id]) for p in payloads]


def test_every_shipped_payload_gives_identical_rows(both: list) -> None:
    shipped = [(p, py, ts) for p, py, ts in both if p.expect is None]
    assert len([p for p, _py, _ts in shipped if p.id.startswith("TX 20")]) == 115
    assert len([p for p, _py, _ts in shipped if p.id.startswith("TX pages 2")]) == 115
    rows = 0
    for p, py, ts in shipped:
        assert "error" not in py, (p.id, py)
        assert ts.get("error") is None, (p.id, ts.get("error"))
        assert ts["as_of"] == py["as_of"], p.id
        assert ts.get("request_ids") == py.get("request_ids"), p.id
        assert ts["warnings"] == py["warnings"], p.id
        assert len(py["warnings"]) == len(p.warns), (p.id, py["warnings"])
        for words, warning in zip(p.warns, py["warnings"], strict=True):
            assert words in warning, (p.id, warning)
        assert len(ts["rows"]) == len(py["rows"]), p.id
        for a, b in zip(py["rows"], ts["rows"], strict=True):
            assert a == b, (p.id, a, b)
            assert type(a["prize_amount"]) is float and isinstance(b["prize_amount"], int | float)
        rows += len(py["rows"])
    report(f"feeds: {len(shipped)} payloads, {rows} canonical rows identical in both languages")


def test_every_bent_payload_is_refused_alike(both: list) -> None:
    refused = [(p, py, ts) for p, py, ts in both if p.expect is not None]
    assert len(refused) >= 15
    for p, py, ts in refused:
        assert "error" in py, p.id
        assert ts.get("error") is not None, (p.id, "TypeScript accepted it")
        assert ts["error"] == py["error"], p.id
        assert ts.get("request_ids_error") == py.get("request_ids_error"), p.id
        row, column, words = p.expect
        assert (py["error"]["row"], py["error"]["column"]) == (row, column), p.id
        assert words in py["error"]["message"], p.id
