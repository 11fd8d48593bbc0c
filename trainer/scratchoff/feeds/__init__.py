"""State feed adapters: each state's official scratch-off feed -> canonical rows.

    from trainer.scratchoff.feeds import FeedDocument, parse_feed
    feed = parse_feed("TX", [FeedDocument("scratchoff.csv", raw_bytes)])
    feed.as_of, feed.rows  # "2026-03-29", [CanonicalRow(...), ...] (common.py: the row's fields)

`parse_feed(state, documents, as_of=None) -> ParsedFeed` looks the adapter up by state code; a
state without one, or a payload of another layout, raises FeedError ("unknown feed layout ...
known: TX, NY"). Every refusal is a FeedError (a trainer.data.DataError) naming the document, the
row and the column. New York's documents carry no date, so its as_of is required; Texas's title
row carries its own. `detect_state(documents)` tells which layout a payload is (archived files).

The TypeScript port (supabase/functions/_shared/scratchoff/feeds/, same module names, camelCase:
parseFeed, detectState, FeedError) gives identical rows; parity_tests/test_feed_parity.py holds
them together. Adding a state: one module here with STATE, looks_like(documents) and
parse(documents, as_of), its twin in the port, an entry in ADAPTERS in both, and its fixture.
A state whose source has a template request (one request per game, docs/states-and-feeds.md) also
has request_ids(document): the ids its template is expanded over; `request_ids(state, document)`.
"""

from __future__ import annotations

from types import ModuleType

from trainer.scratchoff.feeds import ma, ny, tx
from trainer.scratchoff.feeds.common import (
    CanonicalRow,
    FeedDocument,
    FeedError,
    ParsedFeed,
    quote,
)

ADAPTERS: dict[str, ModuleType] = {"TX": tx, "NY": ny, "MA": ma}
KNOWN = ", ".join(ADAPTERS)

__all__ = [
    "ADAPTERS",
    "CanonicalRow",
    "FeedDocument",
    "FeedError",
    "ParsedFeed",
    "detect_state",
    "parse_feed",
    "request_ids",
]


def _names(documents: list[FeedDocument]) -> str:
    return ", ".join(d.name for d in documents) or "(no document)"


def detect_state(documents: list[FeedDocument]) -> str:
    """The state whose layout the payload is, or FeedError."""
    for state, adapter in ADAPTERS.items():
        if adapter.looks_like(documents):
            return state
    raise FeedError(_names(documents), None, None, f"unknown feed layout: known: {KNOWN}")


def parse_feed(state: str, documents: list[FeedDocument], as_of: str | None = None) -> ParsedFeed:
    """The canonical rows of one state's payload (one fetch of its feed's documents)."""
    adapter = ADAPTERS.get(state.strip().upper())
    if adapter is None:
        raise FeedError(
            _names(documents),
            None,
            None,
            f"unknown feed layout for state {quote(state)}: known: {KNOWN}",
        )
    return adapter.parse(documents, as_of)


def request_ids(state: str, document: FeedDocument) -> list[str]:
    """The ids a state's template request is expanded over, listed in `document` (the document of
    the request the template names); FeedError for a state whose adapter lists none."""
    adapter = ADAPTERS.get(state.strip().upper())
    if adapter is None or not hasattr(adapter, "request_ids"):
        raise FeedError(
            document.name,
            None,
            None,
            f"state {quote(state)} lists no request ids (no template requests)",
        )
    return adapter.request_ids(document)
