"""Texas: the Lottery's daily scratch-off export, `scratchoff.csv`, and its game pages.

Documents, in the source's order: the export; then (optional) the listing `all.html` and one
details page per game, in the order of the page ids `request_ids(listing)` gives (the source's
template request). The pages carry what the export lacks: tickets printed and overall odds.

Layout (trainer/data/feeds/README.md): latin-1, CRLF; row 1 is the title
"Scratch-Off Prizes as of MM/DD/YYYY" (the as-of date); row 2 the header Game Number, Game Name,
Game Close Date, Ticket Price, Prize Level, Total Prizes in Level, Prizes Claimed; then, per game,
one row per prize level (Prize Level = the prize in dollars) followed by a `TOTAL` row whose
counts must equal the sums of the game's levels (a checksum: a game that fails it is refused,
naming the game). Game Close Date is blank unless the game is closing; it is checked, not kept.

The export has no overall odds and no tickets printed; Texas publishes them on per-game pages.
The listing is an HTML table whose rows begin with the game number and link to
`details.html_<page id>.html`; a page says "approximately N tickets" (N with commas, maybe an
asterisk) and the overall odds of winning any prize, "1 in X". A game's rows take both from its
page (None where the page does not say one, or the game has no page: the loader then keeps what the
`games` table already knows). A listing of no such rows, or a page count that is not the listing's,
refuses the day. Tier 1 is the largest prize; a prize label is the amount as "$1,000".

An odd game (common.OddGame) is dropped with a warning and the day's other games load: a Prize
Level that is not a dollar amount, a level whose claims exceed its prizes. Its levels still count
towards its TOTAL row: a checksum that fails, a count that is not a number, or a file of another
shape refuses the whole day.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from trainer.scratchoff.feeds.common import (
    CanonicalRow,
    FeedDocument,
    FeedError,
    OddGame,
    ParsedFeed,
    Tier,
    finish,
    format_dollars,
    gather,
    iso_date,
    number_tiers,
    parse_count,
    parse_number,
    quote,
)

STATE = "TX"
TITLE = re.compile(r"scratch-off prizes as of\s+([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})", re.I)
CLOSE_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
COLUMNS = {
    "number": "Game Number",
    "name": "Game Name",
    "close": "Game Close Date",
    "price": "Ticket Price",
    "level": "Prize Level",
    "printed": "Total Prizes in Level",
    "claimed": "Prizes Claimed",
}
OPTIONAL = {"close"}


LISTING_ROW = re.compile(r"<tr[^>]*>(.*?)</tr>", re.I | re.S)
FIRST_CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.I | re.S)
PAGE_LINK = re.compile(r"details\.html_([A-Za-z0-9_-]+)\.html", re.I)
TAG = re.compile(r"<[^>]*>")
TICKETS = re.compile(r"approximately\s+([0-9][0-9,]*)\s*\*?\s+tickets", re.I)
ODDS = re.compile(r"overall odds[^<]*?\b1\s+in\s+([0-9][0-9,]*(?:\.[0-9]+)?)", re.I)
# A page that speaks of a figure but not in the words above: the figure is read as unknown and
# the run warns (a page that does not speak of it at all is not odd).
SPOKEN = {
    "overall odds": re.compile(r"odds of winning", re.I),
    "tickets printed": re.compile(r"[0-9][0-9,]*\s*\*?\s+tickets", re.I),
}


def looks_like(documents: list[FeedDocument]) -> bool:
    """Whether the payload is this layout (used to tell archived files apart)."""
    return bool(documents) and TITLE.search(decode(documents[0].data)[:200]) is not None


def _listing(document: FeedDocument) -> list[tuple[str, str]]:
    """(game number, page id) of every row of the listing, in its order."""
    out: list[tuple[str, str]] = []
    for n, m in enumerate(LISTING_ROW.finditer(decode(document.data)), start=1):
        cell = FIRST_CELL.search(m[1])
        number = TAG.sub("", cell[1]).strip() if cell else ""
        if not re.fullmatch(r"[0-9]+", number):
            continue  # the header row, or a row that is no game
        link = PAGE_LINK.search(cell[1] if cell else "")
        if link is None:
            what = f"game {number} does not link to details.html_<page id>.html"
            raise FeedError(document.name, n, "Game Number", what)
        out.append((number, link[1]))
    if not out:
        raise FeedError(
            document.name,
            None,
            None,
            "not Texas's game listing: no table row begins with a game number linking to"
            " details.html_<page id>.html",
        )
    return out


def request_ids(document: FeedDocument) -> list[str]:
    """The page ids of the listing `all.html`, in its order (the details pages' template)."""
    return [page for _number, page in _listing(document)]


Figures = tuple[float | None, int | None, list[str]]


def _page_figures(document: FeedDocument) -> Figures:
    """(overall odds, tickets printed, the figures it states in words not understood) of a game's
    details page; None for a figure it does not state (or not in known words)."""
    text = TAG.sub(" ", decode(document.data))
    m_odds = ODDS.search(text)
    m_tickets = TICKETS.search(text)
    odds = parse_number(m_odds[1]) if m_odds else None
    tickets = parse_count(m_tickets[1]) if m_tickets else None
    read = {"overall odds": odds, "tickets printed": tickets}
    unread = [what for what, said in SPOKEN.items() if read[what] is None and said.search(text)]
    return odds, tickets, unread


def _pages(documents: list[FeedDocument]) -> dict[str, Figures]:
    """Game number -> its page's figures, from the listing and its pages (documents[1:])."""
    if len(documents) < 2:
        return {}
    games = _listing(documents[1])
    pages = documents[2:]
    if len(pages) != len(games):
        raise FeedError(
            documents[1].name,
            None,
            None,
            f"the listing names {len(games)} game pages, {len(pages)} were fetched",
        )
    return {number: _page_figures(page) for (number, _id), page in zip(games, pages, strict=True)}


def decode(data: bytes) -> str:
    """latin-1, the export's encoding (a UTF-8 byte-order mark means UTF-8)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    return data.decode("latin-1")


def records(name: str, text: str) -> list[tuple[int, list[str]]]:
    """(first line, fields) of every non-blank CSV record; malformed quoting is refused."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    out: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for fields in reader:
            if any(f.strip() for f in fields):
                out.append((line, fields))
            line = reader.line_num + 1
    except csv.Error:
        raise FeedError(name, line, None, "malformed CSV (an unclosed quote?)") from None
    return out


@dataclass
class _Game:
    number: str
    name: str
    price: float
    row: int
    tiers: list[Tier] = field(default_factory=list)
    odd: OddGame | None = None  # the first reason the game cannot be loaded


def _header(name: str, row: int, fields: list[str]) -> dict[str, int]:
    index = {" ".join(f.split()).lower(): i for i, f in enumerate(fields)}
    out: dict[str, int] = {}
    for key, column in COLUMNS.items():
        if column.lower() in index:
            out[key] = index[column.lower()]
        elif key not in OPTIONAL:
            raise FeedError(name, row, column, "missing column")
    return out


def parse(documents: list[FeedDocument], as_of: str | None = None) -> ParsedFeed:
    """The canonical rows of one day's export (with its pages' odds and tickets printed, when
    given); `as_of` is ignored (the title row carries it)."""
    if not documents:
        raise FeedError("(no document)", None, None, "Texas's feed starts with scratchoff.csv")
    name = documents[0].name
    rows = records(name, decode(documents[0].data))
    if not rows:
        raise FeedError(name, None, None, "empty file")
    title_row, title = rows[0]
    m = TITLE.fullmatch(" ".join(",".join(title).split()))
    day = iso_date(int(m[3]), int(m[1]), int(m[2])) if m else None
    if day is None:
        found = ",".join(title)[:60]
        raise FeedError(
            name,
            title_row,
            None,
            "not a Texas scratchoff.csv: the first row should be the title"
            f" 'Scratch-Off Prizes as of MM/DD/YYYY', found {quote(found)}",
        )
    if len(rows) < 2:
        raise FeedError(name, None, None, "no header row")
    header_row, header_fields = rows[1]
    col = _header(name, header_row, header_fields)
    games: list[_Game] = []
    done: set[str] = set()
    current: _Game | None = None
    for row, fields in rows[2:]:
        if len(fields) != len(header_fields):
            raise FeedError(
                name,
                row,
                None,
                f"expected {len(header_fields)} fields, found {len(fields)} (a cut or broken row)",
            )
        cell = {key: fields[i].strip() for key, i in col.items()}
        number = cell["number"]
        if not number:
            raise FeedError(name, row, COLUMNS["number"], "blank")
        if cell["level"].upper() == "TOTAL":
            if current is None or current.number != number:
                raise FeedError(
                    name, row, COLUMNS["level"], f"TOTAL row of game {number} without its levels"
                )
            _check_total(name, row, current, cell)
            games.append(current)
            done.add(number)
            current = None
            continue
        if current is not None and current.number != number:
            raise FeedError(
                name,
                row,
                COLUMNS["number"],
                f"game {current.number} ({current.name}) has no TOTAL row",
            )
        if current is None:
            if number in done:
                raise FeedError(name, row, COLUMNS["number"], f"game {number} appears twice")
            current = _start(name, row, cell)
        _check_same_game(name, row, current, cell)
        current.tiers.append(_tier(name, row, cell, current))
    if current is not None:
        raise FeedError(
            name,
            rows[-1][0],
            None,
            f"game {current.number} ({current.name}) has no TOTAL row: the file ends mid-game",
        )
    if not games:
        raise FeedError(name, None, None, "no games")
    figures = _pages(documents)

    def rows_of(g: _Game) -> list[CanonicalRow]:
        if g.odd is not None:
            raise g.odd
        odds, tickets, _unread = figures.get(g.number, (None, None, []))
        return number_tiers(day, STATE, g.number, g.name, g.price, odds, tickets, g.tiers, None)

    rows, warnings = gather(STATE, games, rows_of)
    loaded = {r.game_number for r in rows}
    warnings += [
        f"TX game {g.number}: details page states {what} in words not understood;"
        " its odds and tickets printed stay as stored"
        for g in games
        if g.number in loaded
        for what in figures.get(g.number, (None, None, []))[2]
    ]
    return finish(STATE, day, name, rows, warnings)


def _price(name: str, row: int, text: str) -> float:
    value = parse_number(text.removeprefix("$"))
    if value is None or value <= 0:
        raise FeedError(name, row, COLUMNS["price"], f"not a ticket price: {quote(text)}")
    return value


def _start(name: str, row: int, cell: dict[str, str]) -> _Game:
    if not cell["name"]:
        raise FeedError(name, row, COLUMNS["name"], "blank")
    return _Game(cell["number"], cell["name"], _price(name, row, cell["price"]), row)


def _check_same_game(name: str, row: int, game: _Game, cell: dict[str, str]) -> None:
    if cell["name"] != game.name:
        raise FeedError(
            name,
            row,
            COLUMNS["name"],
            f"{quote(cell['name'])} differs from row {game.row}'s {quote(game.name)}",
        )
    if _price(name, row, cell["price"]) != game.price:
        what = f"{quote(cell['price'])} differs from row {game.row}'s price"
        raise FeedError(name, row, COLUMNS["price"], what)
    close = cell.get("close", "")
    m = CLOSE_DATE.fullmatch(close)
    if close and (m is None or iso_date(int(m[3]), int(m[1]), int(m[2])) is None):
        raise FeedError(name, row, COLUMNS["close"], f"not a MM/DD/YYYY date: {quote(close)}")


def _tier(name: str, row: int, cell: dict[str, str], game: _Game) -> Tier:
    """The level's tier; a level the game cannot be loaded with marks the game odd (its counts
    still go to the TOTAL checksum)."""
    printed = _count(name, row, cell, "printed")
    claimed = _count(name, row, cell, "claimed")
    amount = parse_number(cell["level"].removeprefix("$"))
    odd = None
    if amount is None or amount <= 0:
        odd = OddGame(game.number, COLUMNS["level"], f"{quote(cell['level'])} cannot be valued")
    elif claimed > printed:
        odd = OddGame(game.number, COLUMNS["claimed"], f"claimed {claimed} > printed {printed}")
    game.odd = game.odd or odd
    value = amount or 0.0
    return Tier(format_dollars(value), value, printed, printed - claimed)


def _count(name: str, row: int, cell: dict[str, str], key: str) -> int:
    value = parse_count(cell[key])
    if value is None:
        what = "blank" if not cell[key] else f"not a whole count: {quote(cell[key])}"
        raise FeedError(name, row, COLUMNS[key], what)
    return value


def _check_total(name: str, row: int, game: _Game, cell: dict[str, str]) -> None:
    printed = sum(t.printed for t in game.tiers)
    claimed = sum(t.printed - t.remaining for t in game.tiers)
    for key, value in (("printed", printed), ("claimed", claimed)):
        total = _count(name, row, cell, key)
        if total != value:
            raise FeedError(
                name,
                row,
                COLUMNS[key],
                f"game {game.number} ({game.name}) refused: its prize levels sum to {value},"
                f" its TOTAL row says {total}",
            )
