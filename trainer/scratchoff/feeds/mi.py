"""Michigan: two GraphQL answers of https://www.michiganlottery.com/api/graphql, in this order
(trainer/data/feeds/README.md; one real game of the first is shipped):

1. prizes remaining, `{"data": {"getRetailTopPrizesRemainingByGameType": [...]}}`: per game
   `cms_game_igt_id`, `game_name`, `prizesRemainingData[]` of `prize_level`, `prize_amount`
   (dollars), `prizes_remaining`, `starting_amount` (printed);
2. the games, `{"data": {"getCMSGames": [...]}}`: `igtId`, `displayedTicketPrice` ("$20.00"),
   `overallOdds` ("1 in 3.64", or null), `gameCategoryIdentifier`; only the
   RETAIL_INSTANT_GAMES_CATEGORY ones are scratch tickets.

Joined on igtId = cms_game_igt_id. A game of the first answer missing from the retail games, a
price or odds in words the parser does not know, a prize that is not a positive amount, or more
prizes remaining than printed: that game is dropped with a warning. Any other shape refuses the
day, naming the field. Neither answer carries a date: the caller gives it. Tier 1 is the largest
prize; the label is the amount as "$1,000"; tickets printed are not published (None).
"""

from __future__ import annotations

from typing import Any

from trainer.scratchoff.feeds.common import (
    CanonicalRow,
    FeedDocument,
    FeedError,
    OddGame,
    ParsedFeed,
    Tier,
    dated,
    fields,
    finish,
    format_dollars,
    gather,
    json_document,
    json_field,
    number_tiers,
    parse_number,
    parse_odds,
    quote,
    shown,
)

STATE = "MI"
PRIZES = "getRetailTopPrizesRemainingByGameType"
GAMES = "getCMSGames"
RETAIL = "RETAIL_INSTANT_GAMES_CATEGORY"
TIER_FIELDS = {
    "prize_amount": "number",
    "prizes_remaining": "integer",
    "starting_amount": "integer",
}


def _answer(doc: FeedDocument, query: str) -> list[Any]:
    """The array a GraphQL answer holds under data.<query>, else FeedError naming the field."""
    value = json_document(doc)
    data = json_field(doc.name, None, value, "data", "object")
    return json_field(doc.name, None, data, query, "list", f"data.{query}")


def looks_like(documents: list[FeedDocument]) -> bool:
    """Whether the payload is this layout (used to tell archived files apart)."""
    try:
        _answer(documents[0], PRIZES), _answer(documents[1], GAMES)
    except (FeedError, IndexError):
        return False
    return len(documents) == 2


def _retail(name: str, items: list[Any]) -> dict[str, tuple[str, str | None]]:
    """igtId -> (displayedTicketPrice, overallOdds) of every retail instant game."""
    out: dict[str, tuple[str, str | None]] = {}
    for i, item in enumerate(items, start=1):
        category = json_field(name, i, item, "gameCategoryIdentifier", "text")
        igt_id = json_field(name, i, item, "igtId", "id")
        price = json_field(name, i, item, "displayedTicketPrice", "text")
        odds = None if item.get("overallOdds") is None else item["overallOdds"]
        if odds is not None and not isinstance(odds, str):
            raise FeedError(name, i, "overallOdds", f"expected text, found {shown(odds)}")
        if category == RETAIL:
            out[igt_id] = (price, odds)
    return out


def _game(name: str, row: int, item: Any) -> dict[str, Any]:
    game = {
        "number": json_field(name, row, item, "cms_game_igt_id", "id"),
        "name": json_field(name, row, item, "game_name", "text").strip(),
    }
    tiers = json_field(name, row, item, "prizesRemainingData", "list")
    game["tiers"] = [
        fields(name, row, tier, TIER_FIELDS, f"prizesRemainingData[{j}].")
        for j, tier in enumerate(tiers)
    ]
    return game


def parse(documents: list[FeedDocument], as_of: str | None = None) -> ParsedFeed:
    """The canonical rows of one fetch (the prizes-remaining answer, then getCMSGames)."""
    names = ", ".join(d.name for d in documents) or "(no document)"
    if len(documents) != 2:
        raise FeedError(
            names,
            None,
            None,
            f"Michigan's feed is two GraphQL answers ({PRIZES}, {GAMES}); got {len(documents)}",
        )
    day = dated(STATE, names, as_of)
    prizes_doc, games_doc = documents
    games = [_game(prizes_doc.name, i, g) for i, g in enumerate(_answer(prizes_doc, PRIZES), 1)]
    retail = _retail(games_doc.name, _answer(games_doc, GAMES))
    rows, warnings = gather(STATE, games, lambda g: _rows(day, g, retail))
    return finish(STATE, day, prizes_doc.name, rows, warnings)


def _rows(
    day: str, game: dict[str, Any], retail: dict[str, tuple[str, str | None]]
) -> list[CanonicalRow]:
    number = game["number"]
    if number not in retail:
        raise OddGame(number, "cms_game_igt_id", f"is not among {GAMES}' retail instant games")
    price_text, odds_text = retail[number]
    price = parse_number(price_text.strip().removeprefix("$"))
    if price is None or price <= 0:
        raise OddGame(number, "displayedTicketPrice", f"{quote(price_text)} is not a price")
    odds = None if odds_text is None else parse_odds(odds_text)
    if odds_text is not None and odds is None:
        raise OddGame(number, "overallOdds", f"{quote(odds_text)} is not '1 in N' odds")
    if not game["tiers"]:
        raise OddGame(number, "prizesRemainingData", "is empty")
    tiers = []
    for j, t in enumerate(game["tiers"]):
        amount, printed, remaining = t["prize_amount"], t["starting_amount"], t["prizes_remaining"]
        if amount <= 0:
            raise OddGame(number, f"prizesRemainingData[{j}].prize_amount", f"{amount} is no prize")
        if not 0 <= remaining <= printed:
            raise OddGame(
                number,
                f"prizesRemainingData[{j}].prizes_remaining",
                f"{remaining} of {printed} printed is impossible",
            )
        tiers.append(Tier(format_dollars(amount), float(amount), printed, remaining))
    return number_tiers(day, STATE, number, game["name"], price, odds, None, tiers, None)
