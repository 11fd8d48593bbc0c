"""IGT's instant-games API: New Jersey, South Dakota, Georgia (one JSON document each).

Layout (trainer/data/feeds/README.md; New Jersey's real answer is shipped): an object whose
`games` array holds games with `gameId` (the printed game number, text), `gameName`,
`ticketPrice` (cents), `totalTicketsPrinted`, `validationStatus`, epoch-millisecond dates (not
used) and `prizeTiers`: `prizeAmount`, `prizeDescription` (the label), `winningTickets` (printed),
`paidTickets`, `claimedTickets` (claims in process: not a remaining count, not used), `tierType`.

- Only ACTIVE games are served; DISABLED (ended) and NOT_ACTIVE (not yet on sale) games are left
  out without a warning: they are not sold today.
- remaining = winningTickets - paidTickets.
- tierType: 1 cash, 2 free ticket (its prizeAmount is the ticket price), 8 another prize valued
  at its prizeAmount, 16 annuity: its prizeAmount is the state's cash value, not the advertised
  label ("$2,000,000*" pays 1,554,300 cash), and the row keeps both; an annuity whose amount is 0
  (Georgia's variant) is valued at its label's dollar figure, undiscounted (as New York's
  annuities), when the label is one.
- Amounts: New Jersey and South Dakota in cents; Georgia in dollars x 10,000 (its documented
  variant); ticket prices in cents everywhere.
- No overall odds are published: they are derived, tickets printed / all tiers' winning tickets,
  and every row says so (odds_derived). Tier 1 is the largest prize.
- The payload carries no as-of date: the caller gives it (the fetch's date hint).
An odd game (a tier type or amount that cannot be valued, paid > winning, winning tickets over the
tickets printed) is dropped with a warning; any field of another shape refuses the day, naming it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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
    quote,
    shown,
)

ACTIVE = "ACTIVE"
CASH, FREE_TICKET, OTHER, ANNUITY = 1, 2, 8, 16
_DOLLARS = re.compile(r"\$\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*\*?")
GAME_FIELDS = {
    "gameId": "id",
    "gameName": "text",
    "ticketPrice": "integer",
    "totalTicketsPrinted": "integer",
    "validationStatus": "text",
    "prizeTiers": "list",
}
TIER_FIELDS = {
    "prizeAmount": "integer",
    "prizeDescription": "text",
    "winningTickets": "integer",
    "paidTickets": "integer",
    "tierType": "integer",
}


def _games(doc: FeedDocument) -> list[Any]:
    value = json_document(doc)
    if not isinstance(value, dict):
        raise FeedError(doc.name, None, "games", f"expected an object, found {shown(value)}")
    return json_field(doc.name, None, value, "games", "list")


def _game(name: str, row: int, item: Any) -> dict[str, Any]:
    """One game's fields checked against the layout (the first one that differs refuses)."""
    game = fields(name, row, item, GAME_FIELDS)
    game["prizeTiers"] = [
        fields(name, row, tier, TIER_FIELDS, f"prizeTiers[{j}].")
        for j, tier in enumerate(game["prizeTiers"])
    ]
    return game


@dataclass(frozen=True)
class IgtLayout:
    """One state's reading of the layout: `per_dollar` prize-amount units per dollar."""

    STATE: str
    per_dollar: int

    def looks_like(self, documents: list[FeedDocument]) -> bool:
        """Whether the payload is this layout (used to tell archived files apart)."""
        try:
            return len(documents) == 1 and isinstance(_games(documents[0]), list)
        except FeedError:
            return False

    def parse(self, documents: list[FeedDocument], as_of: str | None = None) -> ParsedFeed:
        names = ", ".join(d.name for d in documents) or "(no document)"
        if len(documents) != 1:
            raise FeedError(
                names,
                None,
                None,
                f"{self.STATE}'s feed is one instant-games answer; got {len(documents)} documents",
            )
        day = dated(self.STATE, names, as_of)
        name = documents[0].name
        games = [_game(name, i, item) for i, item in enumerate(_games(documents[0]), start=1)]
        active = [g for g in games if g["validationStatus"] == ACTIVE]
        rows, warnings = gather(self.STATE, active, lambda g: self._rows(day, g))
        return finish(self.STATE, day, name, rows, warnings)

    def _tier(self, number: str, j: int, tier: dict[str, Any]) -> Tier:
        kind, label = tier["tierType"], " ".join(tier["prizeDescription"].split())
        amount = tier["prizeAmount"] / self.per_dollar
        column = f"prizeTiers[{j}]"
        if kind not in (CASH, FREE_TICKET, OTHER, ANNUITY):
            raise OddGame(number, f"{column}.tierType", f"{kind} cannot be valued")
        if kind == ANNUITY and amount == 0:
            m = _DOLLARS.fullmatch(label)
            amount = (parse_number(m[1]) or 0.0) if m else 0.0
        if amount <= 0:
            what = f"{tier['prizeAmount']} ({quote(label)})"
            raise OddGame(number, f"{column}.prizeAmount", f"{what} cannot be valued")
        winning, paid = tier["winningTickets"], tier["paidTickets"]
        if paid > winning or winning <= 0:
            raise OddGame(
                number, f"{column}.paidTickets", f"{paid} paid of {winning} winning is impossible"
            )
        return Tier(label or format_dollars(amount), amount, winning, winning - paid)

    def _rows(self, day: str, game: dict[str, Any]) -> list[CanonicalRow]:
        number, price = game["gameId"], game["ticketPrice"] / 100
        if price <= 0:
            raise OddGame(number, "ticketPrice", f"{game['ticketPrice']} is not a price")
        if not game["prizeTiers"]:
            raise OddGame(number, "prizeTiers", "is empty")
        tiers = [self._tier(number, j, t) for j, t in enumerate(game["prizeTiers"])]
        printed, winning = game["totalTicketsPrinted"], sum(t.printed for t in tiers)
        if printed < winning:
            raise OddGame(
                number, "totalTicketsPrinted", f"{printed} is fewer than its {winning} prizes"
            )
        odds = printed / winning
        return number_tiers(
            day,
            self.STATE,
            number,
            game["gameName"].strip(),
            price,
            odds,
            printed,
            tiers,
            None,
            odds_derived=True,
        )


NJ = IgtLayout("NJ", 100)
SD = IgtLayout("SD", 100)
GA = IgtLayout("GA", 10_000)
