"""New York: two JSON documents of one snapshot (trainer/data/feeds/README.md).

- the open-data "Scratch-Off Game Daily Prize Status Report": an array of rows with game_number,
  game_name, prize_amount (a label), total, paid, unpaid (strings, as that API returns them);
- the lottery site's game list, `{"rows": [...]}` with game_number, title, ticket_price,
  overall_odds ("1 in 3.64"), top_prize_amount (a label) and top_prize_remaining.

Neither carries a date: the caller gives the as-of date (the day the payload was fetched; an
archived pair's file names end in it).

Labels become dollars by one policy (`prize_dollars`; the README's "New York prize labels"):
- cash: "$10,000", "2,000", "$5K" -> the amount;
- weekly for life: "$1K/WK/LIFE", "$10,000/WEEK/LIFE", "$10K/Wk/Life" -> 20 years of weekly
  payments, 52 x 20 x the weekly amount, undiscounted (the game titles confirm the 20-year basis
  for annual installments, below; life prizes get the same floor rather than a life expectancy);
- annual installments: "$50K Annual Installments" -> 20 x the yearly amount ("$1,000,000 GRANDE"
  pays "$50K Annual Installments": every titled game agrees);
- free tickets: "FREE Take 5 FP" -> the game's own ticket price (a free play's retail price);
- anything else cannot be valued: that game is not loaded (a warning names it and the label), the
  state's other games are.

An odd game (common.OddGame) is dropped with a warning: an unknown label, a game missing from the
game list, overall odds in words the parser does not know, an advertised top prize that is none of
its tiers. A row whose paid + unpaid != total (the report's checksum), or a payload of another
shape, refuses the day.

The top tier (tier 1) is the tier whose label is the game list's advertised top prize, not
merely the largest amount. prizes_remaining is the status report's `unpaid`: the game list's
top_prize_remaining is not used (the site truncates it at the thousands separator: "10" for
10,775 in seven games).

New York publishes no tickets-printed count, and its overall odds leave out the free-ticket
tiers; so total_tickets_printed = round(odds x the prizes printed in the tiers the odds count),
which the analytics then use as T0 (for a game without free tiers that is exactly odds x sum N).
"""

from __future__ import annotations

import json
import math
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
    finish,
    gather,
    json_document,
    number_tiers,
    parse_count,
    parse_number,
    parse_odds,
    quote,
)

STATE = "NY"
STATUS_COLUMNS = ["game_number", "game_name", "prize_amount", "total", "paid", "unpaid"]
LIST_COLUMNS = ["game_number", "title", "ticket_price", "overall_odds", "top_prize_amount"]
YEARS = 20  # payment years an annuity or life prize is valued at
WEEKS_PER_YEAR = 52
_CASH = r"\$?\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*(K|M)?"
_PLAIN = re.compile(_CASH, re.I)
_WEEKLY = re.compile(_CASH + r"\s*/\s*(?:WK|WEEK)\s*/\s*LIFE", re.I)
_ANNUAL = re.compile(_CASH + r"\s+ANNUAL\s+INSTALLMENTS?", re.I)
_FREE = re.compile(r"FREE\b.*", re.I)
_SCALE = {"": 1.0, "K": 1e3, "M": 1e6}


def _cash(m: re.Match[str]) -> float | None:
    amount = parse_number(m[1])
    return None if amount is None else amount * _SCALE[(m[2] or "").upper()]


def prize_dollars(label: str, ticket_price: float) -> tuple[float, bool] | None:
    """(dollars, is_free_ticket) of a prize label by the policy above, or None if unknown."""
    text = " ".join(label.split())
    for pattern, factor in ((_PLAIN, 1), (_WEEKLY, WEEKS_PER_YEAR * YEARS), (_ANNUAL, YEARS)):
        m = pattern.fullmatch(text)
        if m:
            amount = _cash(m)
            return None if amount is None else (amount * factor, False)
    if _FREE.fullmatch(text):
        return ticket_price, True
    return None


def _same_label(a: str, b: str) -> bool:
    return " ".join(a.split()).upper() == " ".join(b.split()).upper()


def _role(value: Any) -> str | None:
    if isinstance(value, list):
        return "status"
    if isinstance(value, dict) and isinstance(value.get("rows"), list):
        return "list"
    return None


def looks_like(documents: list[FeedDocument]) -> bool:
    """Whether the payload is this layout (used to tell archived files apart)."""
    try:
        roles = sorted(_role(json.loads(d.data.decode("utf-8-sig"))) or "" for d in documents)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return False
    return roles == ["list", "status"]


def _text(name: str, row: int, item: Any, column: str, *, required: bool = True) -> str:
    if not isinstance(item, dict):
        raise FeedError(name, row, None, "not an object")
    value = item.get(column)
    if value is None:
        if required:
            raise FeedError(name, row, column, "missing")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise FeedError(name, row, column, f"not text or a number: {quote(value)}")
    text = value if isinstance(value, str) else _number_text(value)
    return text.strip()


def _number_text(value: int | float) -> str:
    """A JSON number as JavaScript's String() writes it (1 -> "1", 2.5 -> "2.5")."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return repr(value)


@dataclass
class _Game:
    number: str
    name: str
    row: int
    labels: list[tuple[int, str]]
    counts: list[tuple[int, int]]  # (printed, remaining)


def _status_games(name: str, rows: list[Any]) -> dict[str, _Game]:
    games: dict[str, _Game] = {}
    for i, item in enumerate(rows, start=1):
        cell = {c: _text(name, i, item, c) for c in STATUS_COLUMNS}
        if not cell["game_number"]:
            raise FeedError(name, i, "game_number", "blank")
        counts = {}
        for column in ("total", "paid", "unpaid"):
            value = parse_count(cell[column])
            if value is None:
                raise FeedError(name, i, column, f"not a whole count: {quote(cell[column])}")
            counts[column] = value
        if counts["paid"] + counts["unpaid"] != counts["total"]:
            raise FeedError(
                name,
                i,
                "total",
                f"paid {counts['paid']} + unpaid {counts['unpaid']} != total {counts['total']}",
            )
        game = games.get(cell["game_number"])
        if game is None:
            game = games[cell["game_number"]] = _Game(
                cell["game_number"], cell["game_name"], i, [], []
            )
        elif cell["game_name"] != game.name:
            raise FeedError(
                name, i, "game_name", f"{quote(cell['game_name'])} differs from row {game.row}'s"
            )
        if not cell["prize_amount"]:
            raise FeedError(name, i, "prize_amount", "blank")
        game.labels.append((i, cell["prize_amount"]))
        game.counts.append((counts["total"], counts["unpaid"]))
    return games


def parse(documents: list[FeedDocument], as_of: str | None = None) -> ParsedFeed:
    """The canonical rows of one snapshot (the prize-status rows plus the game list)."""
    names = ", ".join(d.name for d in documents) or "(no document)"
    day = dated(STATE, names, as_of)
    by_role: dict[str, tuple[FeedDocument, Any]] = {}
    for doc in documents:
        value = json_document(doc)
        role = _role(value)
        if role is None or role in by_role:
            raise FeedError(
                doc.name,
                None,
                None,
                "not one of New York's two documents (a prize-status array, a game list"
                ' {"rows": [...]}), or one of them twice',
            )
        by_role[role] = (doc, value)
    for role, what in (("status", "the prize-status rows"), ("list", "the game list")):
        if role not in by_role:
            raise FeedError(names, None, None, f"{what} missing: New York's feed is two documents")
    status_doc, status_rows = by_role["status"]
    list_doc, list_value = by_role["list"]
    games = _status_games(status_doc.name, status_rows)
    listed = _game_list(list_doc.name, list_value["rows"])

    def rows_of(game: _Game) -> list[CanonicalRow]:
        if game.number not in listed:
            raise OddGame(game.number, "game_number", "is not in the game list")
        return _rows(day, game, listed[game.number])

    rows, warnings = gather(STATE, games.values(), rows_of)
    return finish(STATE, day, status_doc.name, rows, warnings)


@dataclass
class _Listed:
    price: float
    odds: float | None
    odd_odds: str | None  # the overall odds' text when it is in words the parser does not know
    top_label: str


def _game_list(name: str, rows: list[Any]) -> dict[str, _Listed]:
    out: dict[str, _Listed] = {}
    for i, item in enumerate(rows, start=1):
        cell = {c: _text(name, i, item, c, required=c != "overall_odds") for c in LIST_COLUMNS}
        price = parse_number(cell["ticket_price"].removeprefix("$"))
        if price is None or price <= 0:
            raise FeedError(
                name, i, "ticket_price", f"not a ticket price: {quote(cell['ticket_price'])}"
            )
        odds = parse_odds(cell["overall_odds"]) if cell["overall_odds"] else None
        odd_odds = cell["overall_odds"] if cell["overall_odds"] and odds is None else None
        if cell["game_number"] in out:
            raise FeedError(name, i, "game_number", f"game {cell['game_number']} listed twice")
        out[cell["game_number"]] = _Listed(price, odds, odd_odds, cell["top_prize_amount"])
    return out


def _rows(day: str, game: _Game, listed: _Listed) -> list[CanonicalRow]:
    if listed.odd_odds is not None:
        raise OddGame(game.number, "overall_odds", f"{quote(listed.odd_odds)} is not '1 in N' odds")
    tiers: list[Tier] = []
    counted = 0  # prizes printed in the tiers the published odds count (all but free tickets)
    for (_row, label), (printed, remaining) in zip(game.labels, game.counts, strict=True):
        value = prize_dollars(label, listed.price)
        if value is None or value[0] <= 0:
            raise OddGame(
                game.number,
                "prize_amount",
                f"{quote(label)} cannot be valued (known: cash, $N/WK/LIFE, $N/WEEK/LIFE,"
                " $N Annual Installments, FREE ...)",
            )
        amount, free = value
        counted += 0 if free else printed
        tiers.append(Tier(label, amount, printed, remaining))
    top = _top_tier(game, tiers, listed)
    if top is None:
        raise OddGame(
            game.number,
            "top_prize_amount",
            f"{quote(listed.top_label)} (advertised) is none of its tiers",
        )
    printed_tickets = (
        math.floor(listed.odds * counted + 0.5) if listed.odds is not None and counted else None
    )
    return number_tiers(
        day, STATE, game.number, game.name, listed.price, listed.odds, printed_tickets, tiers, top
    )


def _top_tier(game: _Game, tiers: list[Tier], listed: _Listed) -> int | None:
    """The advertised top prize's tier: the same label, else the same dollars ("$500" vs "500")."""
    for i, (_row, label) in enumerate(game.labels):
        if _same_label(label, listed.top_label):
            return i
    value = prize_dollars(listed.top_label, listed.price)
    return next((i for i, t in enumerate(tiers) if value and t.amount == value[0]), None)
