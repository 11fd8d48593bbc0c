"""Massachusetts: the Lottery's game list, then one prize document per scratch game.

Documents, in the source's order (feed_sources: the list, then a template over its ids):
1. `https://www.masslottery.com/api/v1/games`: a JSON array of games, each with `id` (the game
   number), `gameType` ("Scratch" for the instant games; others are skipped), `price`, `odds`,
   `startDate`. `request_ids(list)` gives the scratch games' ids in the list's order.
2. `.../api/v1/instant-game-prizes?gameID=<id>`, one per id in that order: `{"massGameID",
   "gameName", "ticketCost", "odds": "1 in 3.47", "prizeTiers": [{"tierNumber", "prizeAmount",
   "totalPrizes", "paidPrizes", "prizesRemaining", "prizeDescription", "odds", "type": "REGULAR" |
   "TOP"}]}`.
The layout is the one the project's shared data README describes (no byte copy exists); the
adapter checks every field it relies on and refuses anything else naming the document, the tier
(row = its position, 1-based) and the field. Checksum: prizesRemaining = totalPrizes - paidPrizes.
Amounts are dollars; the label is prizeDescription (else the amount as "$1,000"); tier 1 is the
tier of type TOP (else the largest prize). Massachusetts publishes no tickets printed:
total_tickets_printed = round(odds x the prizes printed), derived as New York's is. The documents
carry no date: as_of (the fetch's day in the state's time zone) is required.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from trainer.scratchoff.feeds.common import (
    CanonicalRow,
    FeedDocument,
    FeedError,
    OddGame,
    ParsedFeed,
    Tier,
    dated,
    finish,
    format_dollars,
    gather,
    json_document,
    number_tiers,
    quote,
)

STATE = "MA"
ODDS = re.compile(r"1\s+in\s+([0-9]+(?:\.[0-9]+)?)", re.I)
TIER_TYPES = ("REGULAR", "TOP")


def _is_number(value: Any) -> bool:
    return type(value) in (int, float)


def looks_like(documents: list[FeedDocument]) -> bool:
    """A JSON array of games with `gameType` first (used to tell archived files apart)."""
    try:
        first = json.loads(documents[0].data.decode("utf-8-sig")) if documents else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        return False
    return (
        isinstance(first, list)
        and bool(first)
        and isinstance(first[0], dict)
        and "gameType" in first[0]
    )


def request_ids(document: FeedDocument) -> list[str]:
    """The ids of the list's scratch games, in its order (the prize documents' template)."""
    games = json_document(document)
    if not isinstance(games, list):
        raise FeedError(
            document.name, None, "(top level)", "not Massachusetts's game list (an array)"
        )
    out: list[str] = []
    for row, game in enumerate(games, start=1):
        if not isinstance(game, dict):
            raise FeedError(document.name, row, None, "not an object")
        kind = game.get("gameType")
        if not isinstance(kind, str):
            raise FeedError(document.name, row, "gameType", f"not a string: {quote(kind)}")
        ident = game.get("id")
        if (
            type(ident) is int
            and ident > 0
            or isinstance(ident, str)
            and re.fullmatch(r"[0-9]+", ident)
        ):
            if kind == "Scratch":
                out.append(str(ident))
        else:
            raise FeedError(document.name, row, "id", f"not a game number: {quote(ident)}")
    return out


def _odds(number: str, text: Any) -> float:
    """Odds in words the parser does not know make the game odd, not the day."""
    m = ODDS.fullmatch(text.strip()) if isinstance(text, str) else None
    if m is None or float(m[1]) <= 0:
        raise OddGame(number, "odds", f'not "1 in X": {quote(text)}')
    return float(m[1])


def _tier(name: str, row: int, tier: Any) -> tuple[Tier, bool]:
    """A tier, and whether it is the TOP one."""
    if not isinstance(tier, dict):
        raise FeedError(name, row, None, "not an object")
    amount = tier.get("prizeAmount")
    if not _is_number(amount) or amount <= 0:
        raise FeedError(name, row, "prizeAmount", f"not a prize in dollars: {quote(amount)}")
    counts = {}
    for field in ("totalPrizes", "paidPrizes", "prizesRemaining"):
        value = tier.get(field)
        if type(value) is not int or value < 0:
            raise FeedError(name, row, field, f"not a whole count: {quote(value)}")
        counts[field] = value
    if counts["prizesRemaining"] != counts["totalPrizes"] - counts["paidPrizes"]:
        raise FeedError(
            name,
            row,
            "prizesRemaining",
            f"{counts['prizesRemaining']} != totalPrizes {counts['totalPrizes']}"
            f" - paidPrizes {counts['paidPrizes']}",
        )
    kind = tier.get("type")
    if kind not in TIER_TYPES:
        raise FeedError(name, row, "type", f"not REGULAR or TOP: {quote(kind)}")
    label = tier.get("prizeDescription")
    if label is not None and not isinstance(label, str):
        raise FeedError(name, row, "prizeDescription", f"not a string: {quote(label)}")
    text = label.strip() if label else format_dollars(float(amount))
    tier_out = Tier(text, float(amount), counts["totalPrizes"], counts["prizesRemaining"])
    return tier_out, kind == "TOP"


def _game(doc: FeedDocument, number: str, day: str) -> list[CanonicalRow]:
    name = doc.name
    game = json_document(doc)
    if not isinstance(game, dict):
        raise FeedError(name, None, "(top level)", "not a Massachusetts prize document (an object)")
    found = game.get("massGameID")
    if str(found) != number:
        raise FeedError(name, None, "massGameID", f"{quote(found)} is not the listed game {number}")
    title = game.get("gameName")
    if not isinstance(title, str) or not title.strip():
        raise FeedError(name, None, "gameName", f"not a name: {quote(title)}")
    price = game.get("ticketCost")
    if not _is_number(price) or price <= 0:
        raise FeedError(name, None, "ticketCost", f"not a ticket price: {quote(price)}")
    odds = _odds(number, game.get("odds"))
    raw = game.get("prizeTiers")
    if not isinstance(raw, list) or not raw:
        raise FeedError(name, None, "prizeTiers", "not a non-empty list")
    read = [_tier(name, row, t) for row, t in enumerate(raw, start=1)]
    tiers = [t for t, _top in read]
    top = next((i for i, (_t, is_top) in enumerate(read) if is_top), None)
    printed = math.floor(odds * sum(t.printed for t in tiers) + 0.5)  # half up, as the port
    return number_tiers(day, STATE, number, title.strip(), float(price), odds, printed, tiers, top)


def parse(documents: list[FeedDocument], as_of: str | None = None) -> ParsedFeed:
    """The canonical rows of one fetch: the game list and its scratch games' prize documents."""
    day = dated(STATE, ", ".join(d.name for d in documents) or "(no document)", as_of)
    if not documents:
        raise FeedError(
            "(no document)", None, None, "Massachusetts's feed starts with the game list"
        )
    ids = request_ids(documents[0])
    prizes = documents[1:]
    if len(prizes) != len(ids):
        raise FeedError(
            documents[0].name,
            None,
            None,
            f"the list names {len(ids)} scratch games, {len(prizes)} prize documents were fetched",
        )
    if not ids:
        raise FeedError(documents[0].name, None, None, "no scratch games")
    pairs = list(zip(ids, prizes, strict=True))
    rows, warnings = gather(STATE, pairs, lambda pair: _game(pair[1], pair[0], day))
    return finish(STATE, day, documents[0].name, rows, warnings)
