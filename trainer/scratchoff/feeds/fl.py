"""Florida: the lottery's scratch-games answer, one JSON document
(`.../scratchgamesapp/getscratchinfo`, fetched with the header `x-partner: web`). Layout as
documented publicly (trainer/data/feeds/README.md; no byte copy exists, the fixture is built from
the description): a JSON array of games with `Id` (the game number), `GameName`, `TicketPrice`
(dollars), `LaunchDate`, `EndDate`, `RedemptionDate` (not used), `OverallOdds` ("1-in-4.10"),
`OddsTiers[]` of `PrizeAmount` ("$5,000,000.00"), `WinningOdds` (not used), `TotalPrizes`,
`PrizesRemaining`, `PrizesPaid`.

PrizesPaid + PrizesRemaining must equal TotalPrizes (a checksum: a tier that fails it refuses the
day). A prize amount or overall odds in words the parser does not know, or a negative count, drops
that game with a warning. The answer carries no as-of date: the caller gives it. Tier 1 is the
largest prize; tickets printed are not published (the analytics use odds x prizes printed).
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
    number_tiers,
    parse_number,
    parse_odds,
    quote,
    shown,
)

STATE = "FL"
GAME_FIELDS = {
    "Id": "id",
    "GameName": "text",
    "TicketPrice": "number",
    "OverallOdds": "text",
    "OddsTiers": "list",
}
TIER_FIELDS = {
    "PrizeAmount": "text",
    "TotalPrizes": "integer",
    "PrizesRemaining": "integer",
    "PrizesPaid": "integer",
}


def _games(doc: FeedDocument) -> list[Any]:
    value = json_document(doc)
    if not isinstance(value, list):
        found = shown(value)
        raise FeedError(doc.name, None, None, f"expected an array of games, found {found}")
    return value


def looks_like(documents: list[FeedDocument]) -> bool:
    """Whether the payload is this layout (used to tell archived files apart)."""
    try:
        games = _games(documents[0]) if len(documents) == 1 else []
    except FeedError:
        return False
    return bool(games) and isinstance(games[0], dict) and "OddsTiers" in games[0]


def _game(name: str, row: int, item: Any) -> dict[str, Any]:
    game = fields(name, row, item, GAME_FIELDS)
    game["OddsTiers"] = [
        fields(name, row, tier, TIER_FIELDS, f"OddsTiers[{j}].")
        for j, tier in enumerate(game["OddsTiers"])
    ]
    for j, tier in enumerate(game["OddsTiers"]):
        if tier["PrizesPaid"] + tier["PrizesRemaining"] != tier["TotalPrizes"]:
            raise FeedError(
                name,
                row,
                f"OddsTiers[{j}].TotalPrizes",
                f"game {game['Id']}: paid {tier['PrizesPaid']} + remaining"
                f" {tier['PrizesRemaining']} != total {tier['TotalPrizes']}",
            )
    return game


def parse(documents: list[FeedDocument], as_of: str | None = None) -> ParsedFeed:
    """The canonical rows of one answer."""
    names = ", ".join(d.name for d in documents) or "(no document)"
    if len(documents) != 1:
        raise FeedError(
            names, None, None, f"Florida's feed is one getscratchinfo answer; got {len(documents)}"
        )
    day = dated(STATE, names, as_of)
    name = documents[0].name
    games = [_game(name, i, item) for i, item in enumerate(_games(documents[0]), start=1)]
    rows, warnings = gather(STATE, games, lambda g: _rows(day, g))
    return finish(STATE, day, name, rows, warnings)


def _rows(day: str, game: dict[str, Any]) -> list[CanonicalRow]:
    number, price = game["Id"], game["TicketPrice"]
    if price <= 0:
        raise OddGame(number, "TicketPrice", f"{price} is not a price")
    odds = parse_odds(game["OverallOdds"])
    if odds is None:
        raise OddGame(number, "OverallOdds", f"{quote(game['OverallOdds'])} is not '1 in N' odds")
    if not game["OddsTiers"]:
        raise OddGame(number, "OddsTiers", "is empty")
    tiers = []
    for j, t in enumerate(game["OddsTiers"]):
        label = t["PrizeAmount"].strip()
        amount = parse_number(label.removeprefix("$"))
        if amount is None or amount <= 0:
            raise OddGame(number, f"OddsTiers[{j}].PrizeAmount", f"{quote(label)} cannot be valued")
        if t["PrizesRemaining"] < 0 or t["PrizesPaid"] < 0:
            raise OddGame(number, f"OddsTiers[{j}].PrizesRemaining", "is a negative count")
        tiers.append(Tier(format_dollars(amount), amount, t["TotalPrizes"], t["PrizesRemaining"]))
    name = game["GameName"].strip()
    return number_tiers(day, STATE, number, name, float(price), odds, None, tiers, None)
