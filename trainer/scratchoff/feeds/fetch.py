"""Fetching one state's feed as its feed_sources row says (docs/states-and-feeds.md): the requests
in order, a template expanded over the ids its adapter lists in an earlier document (one request
per game), at most `concurrency` requests in flight, a time-out per request and per state, a cap
on the requests of a run and on each document's bytes. What arrives is returned as it is (status,
type and bytes, error pages included), so that it can be archived before anything judges it.

The reference of the `ingest` function's supabase/functions/ingest/feeds.ts: the same checks and
messages, the same expansion and order (parity_tests/test_fetch_parity.py fetches the same
sources from the loopback feed server with both).

    result = fetch_source(source)  # a FeedSource; never raises
    result.fetched, result.problem  # [Fetched, ...] in request order, None or why the run fails
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from zoneinfo import ZoneInfo

from trainer.scratchoff.feeds import request_ids
from trainer.scratchoff.feeds.common import FeedDocument, FeedError

MAX_FEED_BYTES = 32 * 1024 * 1024
REQUEST_KEYS = {"url", "method", "headers", "body", "each"}
HTML_START = re.compile(rb"^\s*<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.I)


class FeedFailure(Exception):
    """A feed that could not be used; the message is the run's error."""


@dataclass(frozen=True)
class FeedRequest:
    url: str
    method: str
    headers: dict[str, str]
    body: str
    each: int | None


@dataclass(frozen=True)
class FeedSource:
    """A feed_sources row (requests as stored: checked by check_requests)."""

    state: str
    layout: str
    requests: Any
    timeout_ms: int = 20000
    state_timeout_ms: int = 60000
    max_requests: int = 300
    concurrency: int = 4
    time_zone: str = "America/New_York"


@dataclass(frozen=True)
class Fetched:
    url: str
    method: str
    request_body: str
    status: int
    content_type: str | None
    last_modified: str | None
    body: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


@dataclass(frozen=True)
class FetchResult:
    fetched: list[Fetched]
    problem: str | None


def check_requests(state: str, raw: Any) -> list[FeedRequest]:
    """The source's request list, checked; FeedFailure naming the request (1-based) and field."""
    if not isinstance(raw, list) or not raw:
        raise FeedFailure(f"{state}: feed_sources.requests is not a non-empty list")
    out: list[FeedRequest] = []
    for i, r in enumerate(raw):

        def bad(field: str, why: str, i: int = i) -> FeedFailure:
            return FeedFailure(f"{state}: request {i + 1}, field '{field}': {why}")

        if not isinstance(r, dict):
            raise bad("(request)", "not an object")
        extra = sorted(set(r) - REQUEST_KEYS)
        if extra:
            raise bad(extra[0], "unknown field")
        url = r.get("url")
        if not isinstance(url, str) or not re.match(r"https?://[^/]", url):
            raise bad("url", "not an http(s) URL")
        method = r.get("method", "GET") if r.get("method") is not None else "GET"
        if method not in ("GET", "POST"):
            raise bad("method", "not GET or POST")
        headers = r.get("headers") if r.get("headers") is not None else {}
        if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
            raise bad("headers", "not an object of strings")
        body = r.get("body") if r.get("body") is not None else ""
        if not isinstance(body, str):
            raise bad("body", "not a string")
        if body and method != "POST":
            raise bad("body", "a body needs method POST")
        each = r.get("each")
        if each is not None:
            if type(each) is not int or not 0 <= each < i:
                raise bad("each", "not the index of an earlier request")
            if isinstance(raw[each], dict) and raw[each].get("each") is not None:
                raise bad("each", "names a template; ids come from a plain request's document")
            if "{id}" not in url:
                raise bad("url", "a template's url has no {id}")
        out.append(FeedRequest(url, method, headers, body, each))
    return out


def expand(template: FeedRequest, ids: list[str]) -> list[FeedRequest]:
    """A template's requests, one per id (URL-encoded into {id}, as encodeURIComponent), in the
    ids' order."""
    return [
        FeedRequest(
            template.url.replace("{id}", urllib.parse.quote(i, safe="-_.!~*'()")),
            template.method,
            template.headers,
            template.body,
            None,
        )
        for i in ids
    ]


def fetch_document(req: FeedRequest, timeout_ms: int, deadline: float, state_ms: int) -> Fetched:
    """One document; a time-out or a network error is a FeedFailure (nothing to archive).
    `deadline` (time.monotonic) is when the state's own time is up."""
    started = time.monotonic()
    until = min(started + timeout_ms / 1000, deadline)
    request = urllib.request.Request(
        req.url,
        data=req.body.encode() if req.method == "POST" else None,
        method=req.method,
        headers={"user-agent": "scratch-oracle-ingest", **req.headers},
    )

    def late() -> FeedFailure:
        if time.monotonic() >= deadline:
            return FeedFailure(f"{req.url}: the state's fetch took more than {state_ms} ms")
        return FeedFailure(f"{req.url}: no complete answer within {timeout_ms} ms")

    try:
        try:
            response = urllib.request.urlopen(request, timeout=max(until - started, 0.001))
        except urllib.error.HTTPError as err:
            response = err  # an HTTP error answer is a document too (archived, then refused)
        with response:
            chunks: list[bytes] = []
            total = 0
            while chunk := response.read(65536):
                total += len(chunk)
                if total > MAX_FEED_BYTES:
                    raise FeedFailure(f"{req.url}: more than {MAX_FEED_BYTES} bytes; refused")
                if time.monotonic() > until:
                    raise late()
                chunks.append(chunk)
            return Fetched(
                req.url,
                req.method,
                req.body,
                response.status,
                response.headers.get("content-type"),
                response.headers.get("last-modified"),
                b"".join(chunks),
            )
    except FeedFailure:
        raise
    except TimeoutError:
        raise late() from None
    except (OSError, ValueError) as err:
        if time.monotonic() >= until:
            raise late() from None
        raise FeedFailure(f"{req.url}: {err}") from None


def _pool(tasks: list[Callable[[], Fetched]], limit: int) -> tuple[list[Fetched | None], Any]:
    """At most `limit` at a time, in order; after the first failure starts no more and waits for
    those in flight. Results by index (None: failed or never started) and the first error."""
    done: list[Fetched | None] = [None] * len(tasks)
    error: list[BaseException] = []
    lock = threading.Lock()
    position = iter(range(len(tasks)))

    def worker() -> None:
        while True:
            with lock:
                i = next(position, None) if not error else None
            if i is None:
                return
            try:
                done[i] = tasks[i]()
            except FeedFailure as err:
                with lock:
                    error.append(err)

    with ThreadPoolExecutor(max_workers=max(1, min(limit, len(tasks)))) as ex:
        for f in [ex.submit(worker) for _ in range(min(limit, len(tasks)))]:
            f.result()
    return done, error[0] if error else None


def _names_html(url: str) -> bool:
    """Whether the request names an HTML page (Texas's listing and game pages)."""
    return re.search(r"\.html?$", url.split("?")[0], re.I) is not None


def refusal(doc: Fetched, layout: str) -> str | None:
    """Why a fetched document is not a feed payload (an HTTP error, an HTML error page), or None."""
    if doc.status != 200:
        return f"{doc.url}: HTTP {doc.status}"
    html = "text/html" in (doc.content_type or "") or HTML_START.match(doc.body[:512])
    if html and not _names_html(doc.url):
        return f"{doc.url}: an HTML page (status {doc.status}), not a {layout} feed"
    if not doc.body:
        return f"{doc.url}: empty answer"
    return None


def fetch_source(
    source: FeedSource, list_ids: Callable[[FeedDocument], list[str]] | None = None
) -> FetchResult:
    """Every request of the source: the plain ones first, then each template over the ids
    `list_ids` (default: the layout's adapter) reads from its request's document; never raises.
    Everything fetched is returned in request order (a template's in id order), even on failure."""
    ids_of = list_ids or (lambda doc: request_ids(source.layout, doc))
    try:
        requests = check_requests(source.state, source.requests)
    except FeedFailure as err:
        return FetchResult([], str(err))
    deadline = time.monotonic() + source.state_timeout_ms / 1000
    slots: list[list[Fetched]] = [[] for _ in requests]

    def fetched() -> list[Fetched]:
        return [d for slot in slots for d in slot]

    def run(batch: list[tuple[int, FeedRequest]]) -> str | None:
        tasks = [
            lambda r=r: fetch_document(r, source.timeout_ms, deadline, source.state_timeout_ms)
            for _slot, r in batch
        ]
        done, error = _pool(tasks, source.concurrency)
        for (slot, _r), doc in zip(batch, done, strict=True):
            if doc is not None:
                slots[slot].append(doc)
        refused = [refusal(d, source.layout) for slot, _r in batch for d in slots[slot]]
        first = next((p for p in refused if p is not None), None)
        return str(error) if error is not None else first

    def over_cap(count: int, what: str) -> str:
        return (
            f"{source.state}: {count} requests ({what}) exceed max_requests"
            f" {source.max_requests}; refused"
        )

    plain = [(slot, r) for slot, r in enumerate(requests) if r.each is None]
    if len(plain) > source.max_requests:
        return FetchResult([], over_cap(len(plain), "plain"))
    problem = run(plain)
    if problem is not None:
        return FetchResult(fetched(), problem)
    expanded: list[tuple[int, FeedRequest]] = []
    try:
        for slot, r in enumerate(requests):
            if r.each is not None:
                listing = slots[r.each][0]
                ids = ids_of(FeedDocument(listing.url, listing.body))
                expanded += [(slot, one) for one in expand(r, ids)]
    except FeedError as err:
        return FetchResult(fetched(), str(err))
    total = len(plain) + len(expanded)
    if total > source.max_requests:
        what = f"{len(plain)} plain, {len(expanded)} from templates"
        return FetchResult(fetched(), over_cap(total, what))
    last = run(expanded)
    return FetchResult(fetched(), last)


def date_hint(last_modified: list[str | None], now: datetime, time_zone: str) -> str:
    """The as-of date for a feed that carries none in its data (New York): the day, in the
    state's time zone, of the documents' latest Last-Modified header, else of `now` (the fetch)."""
    stamps = []
    for text in last_modified:
        try:
            stamps.append(parsedate_to_datetime(text or ""))
        except (TypeError, ValueError):
            continue
    when = max(stamps) if stamps else now
    return when.astimezone(ZoneInfo(time_zone)).date().isoformat()


def source_from_row(row: dict[str, Any]) -> FeedSource:
    """A feed_sources row (requests as jsonb text or parsed) as a FeedSource."""
    requests = row["requests"]
    return FeedSource(
        state=row["state"],
        layout=row["layout"],
        requests=json.loads(requests) if isinstance(requests, str) else requests,
        timeout_ms=row["timeout_ms"],
        state_timeout_ms=row["state_timeout_ms"],
        max_requests=row["max_requests"],
        concurrency=row["concurrency"],
        time_zone=row["time_zone"],
    )
