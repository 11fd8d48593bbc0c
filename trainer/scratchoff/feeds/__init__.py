"""State feed adapters: each state's official scratch-off feed -> canonical rows.

    from trainer.scratchoff.feeds import FeedDocument, parse_feed
    feed = parse_feed("TX", [FeedDocument("scratchoff.csv", raw_bytes)])
    feed.as_of, feed.rows  # "2026-03-29", [CanonicalRow(...), ...] (common.py: the row's fields)

`parse_feed(state, documents, as_of=None) -> ParsedFeed` looks the adapter up by state code; a
state without one, or a payload of another layout, raises FeedError ("unknown feed layout ...
known: TX, NY, ..."). Every refusal is a FeedError (a trainer.data.DataError) naming the document,
the row and the column. Only Texas's documents carry their date (its title row); every other
state's as_of is required (the fetch's date hint). `detect_state(documents)` tells which layout a
payload is (archived files); the IGT layout, shared by NJ, SD and GA, cannot say which state it is.
One odd game is dropped with a warning (ParsedFeed.warnings; common.py), the rest loads.

The TypeScript port (supabase/functions/_shared/scratchoff/feeds/, same module names, camelCase:
parseFeed, detectState, FeedError) gives identical rows; parity_tests/test_feed_parity.py holds
them together. Adding a state: one module here with STATE, looks_like(documents) and
parse(documents, as_of), its twin in the port, an entry in ADAPTERS in both, and its fixture.
A state whose source has a template request (one request per game, docs/states-and-feeds.md) also
has request_ids(document): the ids its template is expanded over; `request_ids(state, document)`.
"""

from __future__ import annotations

from typing import Protocol

from trainer.scratchoff.feeds import fl, igt, ma, mi, ny, tx
from trainer.scratchoff.feeds.common import (
    CanonicalRow,
    FeedDocument,
    FeedError,
    ParsedFeed,
    quote,
)


class Adapter(Protocol):
    """A state's adapter: a module (tx, ny, ma, mi, fl) or an igt.IgtLayout."""

    STATE: str

    def looks_like(self, documents: list[FeedDocument], /) -> bool: ...

    def parse(self, documents: list[FeedDocument], as_of: str | None = None, /) -> ParsedFeed: ...


ADAPTERS: dict[str, Adapter] = {
    "TX": tx,
    "NY": ny,
    "NJ": igt.NJ,
    "SD": igt.SD,
    "GA": igt.GA,
    "MI": mi,
    "FL": fl,
    "MA": ma,
}
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
    "states_like",
]


def _names(documents: list[FeedDocument]) -> str:
    return ", ".join(d.name for d in documents) or "(no document)"


def states_like(documents: list[FeedDocument]) -> list[str]:
    """Every state whose adapter reads the payload's layout (several for IGT's)."""
    return [state for state, adapter in ADAPTERS.items() if adapter.looks_like(documents)]


def detect_state(documents: list[FeedDocument]) -> str:
    """The state whose layout the payload is, or FeedError (also when several states share it)."""
    states = states_like(documents)
    if len(states) > 1:
        shared = ", ".join(states)
        raise FeedError(_names(documents), None, None, f"the layout of {shared}: name the state")
    if not states:
        raise FeedError(_names(documents), None, None, f"unknown feed layout: known: {KNOWN}")
    return states[0]


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
