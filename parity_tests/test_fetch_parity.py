"""The fetch layer in Python (trainer/scratchoff/feeds/fetch.py) and in the `ingest` function
(supabase/functions/ingest/feeds.ts): the same sources, fetched from one loopback feed server
(scripts/local/feed_server.py, started here), give the same documents in the same order (URL,
method, body sent, status, bytes' hash) and the same problem; the same date hints.

The TypeScript side runs in ONE Deno process (parity_tests/fetch_runner.ts)."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime

import pytest

from parity_tests.ort_web import REPO, run_deno_json
from parity_tests.reporting import report
from trainer.scratchoff.feeds.fetch import FeedSource, date_hint, fetch_source
from trainer.scratchoff.feeds.shipped import texas_days

sys.path.insert(0, str(REPO / "scripts"))
from local.feed_server import serve  # noqa: E402 (scripts/ is no package)

RUNNER = REPO / "parity_tests" / "fetch_runner.ts"


@pytest.fixture(scope="module")
def feed_url() -> Iterator[str]:
    server = serve(0, list(texas_days())[40])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def sources(url: str) -> list[FeedSource]:
    tx = [
        {"url": f"{url}/TX/tx/scratchoff.csv"},
        {"url": f"{url}/TX/tx/all.html", "method": "GET"},
        {"url": f"{url}/TX/tx/details.html_{{id}}.html", "each": 1},
    ]
    return [
        FeedSource("TX", "TX", tx, concurrency=3),
        FeedSource("T1", "TX", tx, max_requests=10),  # over the cap: the plain ones only
        FeedSource(
            "NY",
            "NY",
            [
                {"url": f"{url}/NY/ny/nzqa-7unk.json?$limit=50000"},
                {"url": f"{url}/NY/ny/scratch_off_data?_format=json"},
                {
                    "url": f"{url}/_control",
                    "method": "POST",
                    "headers": {"content-type": "application/json"},
                    "body": "{}",
                },
            ],
        ),
        FeedSource("T2", "TX", [{"url": f"{url}/T2/tx/nothing.csv"}]),  # HTTP 404
        FeedSource("T3", "NY", [{"url": f"{url}/NY/ny/game_list.json"}, {**tx[2], "each": 0}]),
        FeedSource("T4", "TX", [{"url": f"{url}/x", "each": 0}]),  # a template of itself
        FeedSource("T5", "TX", [{"url": "ftp://example.org/x"}]),
        FeedSource("T6", "TX", [{"url": f"{url}/x", "method": "GET", "body": "a"}]),
        FeedSource("T7", "TX", [{"url": f"{url}/x", "verb": "GET"}]),
        FeedSource("T8", "TX", []),
    ]


HINTS = [
    ([None], "2026-07-22T04:30:00+00:00", "America/Chicago"),  # still the 21st in Texas
    ([None], "2026-07-22T04:30:00+00:00", "UTC"),
    (
        ["Mon, 13 Oct 2025 12:00:00 GMT", "Sun, 12 Oct 2025 23:00:00 GMT"],
        "2026-01-01T00:00:00+00:00",
        "America/New_York",
    ),
    (["Tue, 14 Oct 2025 02:00:00 GMT"], "2026-01-01T00:00:00+00:00", "America/New_York"),
    (["garbage"], "2026-03-08T07:59:00+00:00", "America/Los_Angeles"),
]


def _python(source: FeedSource) -> dict:
    result = fetch_source(source)
    return {
        "state": source.state,
        "problem": result.problem,
        "fetched": [
            {
                "url": d.url,
                "method": d.method,
                "request_body": d.request_body,
                "status": d.status,
                "sha256": d.sha256,
            }
            for d in result.fetched
        ],
    }


def test_both_fetch_the_same_documents_and_refuse_alike(feed_url: str) -> None:
    cases = sources(feed_url)
    request = {
        "sources": [asdict(s) for s in cases],
        "hints": [{"last_modified": lm, "now": now, "time_zone": tz} for lm, now, tz in HINTS],
    }
    ts = run_deno_json(RUNNER, json.dumps(request), "--allow-net=127.0.0.1", "--allow-env")
    py = [_python(s) for s in cases]
    for a, b in zip(py, ts["results"], strict=True):
        assert a == b, a["state"]
    by_state = {r["state"]: r for r in py}
    tx = by_state["TX"]
    assert tx["problem"] is None and len(tx["fetched"]) > 50
    assert [d["url"].rsplit("/", 1)[1] for d in tx["fetched"][:2]] == ["scratchoff.csv", "all.html"]
    assert (
        by_state["T1"]["problem"].startswith("T1: ")
        and "exceed max_requests 10" in by_state["T1"]["problem"]
    )
    assert len(by_state["T1"]["fetched"]) == 2  # what was fetched before the cap, for the archive
    post = by_state["NY"]["fetched"][2]
    assert (post["method"], post["request_body"], post["status"]) == ("POST", "{}", 200)
    assert by_state["T2"]["problem"].endswith("HTTP 404")
    assert "lists no request ids" in by_state["T3"]["problem"]
    for state, field in [("T4", "each"), ("T5", "url"), ("T6", "body"), ("T7", "verb")]:
        assert f"request 1, field '{field}'" in by_state[state]["problem"], state
    assert by_state["T8"]["problem"] == "T8: feed_sources.requests is not a non-empty list"
    hints = [date_hint(lm, datetime.fromisoformat(now), tz) for lm, now, tz in HINTS]
    assert hints == ts["hints"]
    assert hints == ["2026-07-21", "2026-07-22", "2025-10-13", "2025-10-13", "2026-03-07"]
    report(f"fetch: {len(cases)} sources, {sum(len(r['fetched']) for r in py)} documents alike")
