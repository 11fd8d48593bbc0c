"""What every state feed adapter shares: the canonical row, the typed error, and the small parsers
whose exact behaviour the TypeScript port (supabase/functions/_shared/scratchoff/feeds/common.ts)
mirrors line for line.

A canonical row is one prize tier of one game on one day (DESIGN.md, Data contract):
snapshot_date (YYYY-MM-DD), state, game_number, game_name, ticket_price, overall_odds (or None),
total_tickets_printed (or None), tier_index, prize_label, prize_amount (dollars),
prizes_printed, prizes_remaining.

tier_index numbers a game's tiers from 1: tier 1 is the game's top tier (the advertised top prize;
for a feed that advertises none, the largest prize), then the others by prize amount, largest
first, ties in the feed's own order. Two tiers of one game may have the same prize amount (New York
has six such games), so the tier key is (game, tier_index), never the amount.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from trainer.data import DataError


class FeedError(DataError):
    """A feed payload refused: which document, which row and column, and why.

    Rows are 1-based: the line of a CSV file (its first line is row 1), the element of a JSON
    array. Nothing of a refused payload is returned."""


@dataclass(frozen=True)
class FeedDocument:
    """One fetched document of a feed: its name (file name or URL) and its raw bytes."""

    name: str
    data: bytes


@dataclass(frozen=True)
class CanonicalRow:
    snapshot_date: str
    state: str
    game_number: str
    game_name: str
    ticket_price: float
    overall_odds: float | None
    total_tickets_printed: int | None
    tier_index: int
    prize_label: str
    prize_amount: float
    prizes_printed: int
    prizes_remaining: int

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class ParsedFeed:
    state: str
    as_of: str  # YYYY-MM-DD: the day the data describes
    rows: list[CanonicalRow]


@dataclass(frozen=True)
class Tier:
    """A tier as an adapter reads it, before the tiers are numbered."""

    label: str
    amount: float
    printed: int
    remaining: int


_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_GROUPED = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")
_INTEGER = re.compile(r"[0-9]+")


def quote(value: object) -> str:
    """A value in a message, written as the port's JSON.stringify writes it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def read_json(doc: FeedDocument) -> Any:
    """A JSON document (UTF-8, a byte-order mark allowed), else FeedError naming it."""
    try:
        return json.loads(doc.data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedError(doc.name, None, None, f"not JSON ({exc.__class__.__name__})") from None


def parse_number(text: str) -> float | None:
    """A plain or thousands-grouped decimal ("1234", "1,234.50"), else None. No sign, no exponent:
    a feed count or price never has one."""
    text = text.strip()
    if _DECIMAL.fullmatch(text) or _GROUPED.fullmatch(text):
        return float(text.replace(",", ""))
    return None


def parse_count(text: str) -> int | None:
    """A whole count ("1234" or "1,234"), else None."""
    text = text.strip()
    if _INTEGER.fullmatch(text) or re.fullmatch(r"[0-9]{1,3}(?:,[0-9]{3})+", text):
        return int(text.replace(",", ""))
    return None


def iso_date(year: int, month: int, day: int) -> str | None:
    """YYYY-MM-DD of a real calendar day, else None."""
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def parse_iso_date(text: str) -> str | None:
    m = re.fullmatch(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", text.strip())
    return iso_date(int(m[1]), int(m[2]), int(m[3])) if m else None


def given_day(documents: list[FeedDocument], as_of: str | None, feed: str) -> str:
    """The as-of date a feed without a date of its own must be given (YYYY-MM-DD), else
    FeedError naming its documents; `feed` names it in the message ("New York's feed")."""
    day = parse_iso_date(as_of) if isinstance(as_of, str) else None
    if day is None:
        names = ", ".join(d.name for d in documents) or "(no document)"
        what = f"{feed} carries no date: give the as-of date, got {quote(as_of)}"
        raise FeedError(names, None, None, what)
    return day


def format_dollars(amount: float) -> str:
    """The label of a plain cash prize: "$1,000", "$2.50"."""
    cents = math.floor(amount * 100 + 0.5)  # half up, as Math.round in the port
    whole, frac = divmod(cents, 100)
    text = f"${whole:,}"
    return f"{text}.{frac:02d}" if frac else text


def number_tiers(
    snapshot_date: str,
    state: str,
    game_number: str,
    game_name: str,
    ticket_price: float,
    overall_odds: float | None,
    total_tickets_printed: int | None,
    tiers: list[Tier],
    top: int | None,
) -> list[CanonicalRow]:
    """One game's canonical rows: `top` (an index into `tiers`, or None for the largest prize)
    becomes tier 1, the rest follow by prize amount, largest first, ties in feed order."""
    if top is None:
        top = max(range(len(tiers)), key=lambda i: (tiers[i].amount, -i))
    rest = sorted((i for i in range(len(tiers)) if i != top), key=lambda i: (-tiers[i].amount, i))
    return [
        CanonicalRow(
            snapshot_date=snapshot_date,
            state=state,
            game_number=game_number,
            game_name=game_name,
            ticket_price=ticket_price,
            overall_odds=overall_odds,
            total_tickets_printed=total_tickets_printed,
            tier_index=n,
            prize_label=tiers[i].label,
            prize_amount=tiers[i].amount,
            prizes_printed=tiers[i].printed,
            prizes_remaining=tiers[i].remaining,
        )
        for n, i in enumerate([top, *rest], start=1)
    ]


def sort_rows(rows: list[CanonicalRow]) -> list[CanonicalRow]:
    """Canonical order: game number, then tier index (plain code-point comparison, as in TS)."""
    return sorted(rows, key=lambda r: (r.game_number, r.tier_index))
