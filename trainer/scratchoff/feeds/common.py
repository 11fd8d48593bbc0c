"""What every state feed adapter shares: the canonical row, the typed error, and the small parsers
whose exact behaviour the TypeScript port (supabase/functions/_shared/scratchoff/feeds/common.ts)
mirrors line for line.

A canonical row is one prize tier of one game on one day (DESIGN.md, Data contract):
snapshot_date (YYYY-MM-DD), state, game_number, game_name, ticket_price, overall_odds (or None),
total_tickets_printed (or None), tier_index, prize_label, prize_amount (dollars),
prizes_printed, prizes_remaining, and odds_derived: True when the state publishes no overall odds
and the adapter computed them (tickets printed / prizes printed: the IGT layout).

One odd game never sinks a state: an adapter raises OddGame for a game it cannot load (a prize it
cannot value, odds in words it does not know, an impossible tier count, a game missing from a
joined document); `gather` drops that game and keeps a warning naming the state, the game and the
field ("NY game 1234: prize_amount \"FOO BAR\" cannot be valued; game not loaded") in
ParsedFeed.warnings. A payload of another layout, or one whose checksums fail, is still a FeedError
that refuses the whole day.

tier_index numbers a game's tiers from 1: tier 1 is the game's top tier (the advertised top prize;
for a feed that advertises none, the largest prize), then the others by prize amount, largest
first, ties in the feed's own order. Two tiers of one game may have the same prize amount (New York
has six such games), so the tier key is (game, tier_index), never the amount.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, TypeVar

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
    odds_derived: bool = False

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class ParsedFeed:
    state: str
    as_of: str  # YYYY-MM-DD: the day the data describes
    rows: list[CanonicalRow]
    warnings: list[str] = field(default_factory=list)  # the games dropped, each with its reason


class OddGame(Exception):
    """One game an adapter cannot load (its field and why); `gather` drops it with a warning."""

    def __init__(self, game: str, column: str, detail: str) -> None:
        super().__init__(f"game {game}: {column} {detail}")
        self.game, self.column, self.detail = game, column, detail


G = TypeVar("G")


def gather(
    state: str, games: Iterable[G], rows_of: Callable[[G], list[CanonicalRow]]
) -> tuple[list[CanonicalRow], list[str]]:
    """Every game's rows, in order, but a game whose rows_of raises OddGame: that one is left
    out and a warning names it."""
    rows: list[CanonicalRow] = []
    warnings: list[str] = []
    for game in games:
        try:
            rows += rows_of(game)
        except OddGame as odd:
            warnings.append(f"{state} game {odd.game}: {odd.column} {odd.detail}; game not loaded")
    return rows, warnings


def finish(
    state: str, day: str, document: str, rows: list[CanonicalRow], warnings: list[str]
) -> ParsedFeed:
    """The parsed feed, or FeedError when no game is left to load (a day with no rows is no day)."""
    if not rows:
        why = f": {len(warnings)} games dropped, the first: {warnings[0]}" if warnings else ""
        raise FeedError(document, None, None, f"no prize rows{why}")
    return ParsedFeed(state, day, sort_rows(rows), warnings)


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


def shown(value: object) -> str:
    """A value of a refused field, cut short (the port cuts the same)."""
    return quote(value)[:60]


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
    odds_derived: bool = False,
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
            odds_derived=odds_derived,
        )
        for n, i in enumerate([top, *rest], start=1)
    ]


def sort_rows(rows: list[CanonicalRow]) -> list[CanonicalRow]:
    """Canonical order: game number, then tier index (plain code-point comparison, as in TS)."""
    return sorted(rows, key=lambda r: (r.game_number, r.tier_index))


def parse_odds(text: str) -> float | None:
    """Published "1 in N" overall odds ("1 in 3.64", "1-in-4.10", "1:3.5"), else None."""
    m = re.fullmatch(r"1\s*(?:in|-in-|:)\s*([0-9][0-9,]*(?:\.[0-9]+)?)", text.strip(), re.I)
    value = parse_number(m[1]) if m else None
    return value if value is not None and value >= 1 else None


def json_document(doc: FeedDocument) -> object:
    """A JSON document's value (UTF-8, a byte-order mark allowed), else FeedError."""
    try:
        return json.loads(doc.data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedError(doc.name, None, None, f"not JSON ({exc.__class__.__name__})") from None


def dated(state: str, names: str, as_of: str | None) -> str:
    """The as-of day the caller gives a feed whose documents carry no date, else FeedError."""
    day = parse_iso_date(as_of) if isinstance(as_of, str) else None
    if day is None:
        raise FeedError(
            names,
            None,
            None,
            f"{state}'s feed carries no date: give the as-of date, got {quote(as_of)}",
        )
    return day


# The JSON kinds a layout's fields are checked against (a whole float such as 5.0 is an integer:
# JSON does not tell 5 from 5.0, nor does the port).
KINDS: dict[str, str] = {
    "text": "text",
    "integer": "a whole number",
    "number": "a number",
    "list": "an array",
    "object": "an object",
    "id": "text or a whole number",
}


def _is_kind(value: object, kind: str) -> bool:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    whole = number and float(value).is_integer()  # type: ignore[arg-type]
    return {
        "text": isinstance(value, str),
        "integer": whole,
        "number": number,
        "list": isinstance(value, list),
        "object": isinstance(value, dict),
        "id": isinstance(value, str) or whole,
    }[kind]


def json_field(
    document: str, row: int | None, item: object, key: str, kind: str, column: str | None = None
) -> Any:
    """item[key] checked to be of `kind` (an "integer" as int, an "id" as text), else FeedError
    naming the field (`column`, default the key): the first field that differs from the layout."""
    where = column or key
    if not isinstance(item, dict):
        parent = where.rsplit(".", 1)[0] if "." in where else None
        raise FeedError(document, row, parent, f"expected an object, found {shown(item)}")
    if key not in item:
        raise FeedError(document, row, where, "missing (not this layout?)")
    value = item[key]
    if not _is_kind(value, kind):
        raise FeedError(document, row, where, f"expected {KINDS[kind]}, found {shown(value)}")
    if kind == "integer":
        return int(value)
    if kind == "id":
        return value.strip() if isinstance(value, str) else str(int(value))
    return value


def fields(
    document: str, row: int, item: object, spec: dict[str, str], prefix: str = ""
) -> dict[str, Any]:
    """The fields `spec` names of one JSON element, checked (json_field), named prefix + key."""
    return {
        key: json_field(document, row, item, key, kind, prefix + key) for key, kind in spec.items()
    }
