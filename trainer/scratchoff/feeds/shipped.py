"""The shipped official payloads (trainer/data/feeds/, see its README): the 115 Texas days, Texas's
game pages, the New York snapshot, New Jersey's real IGT answer (and Georgia's variant of it),
Michigan's real element with a documented-layout games answer, Florida's and Massachusetts's
documented-layout answers, as the FeedDocuments a fetch of each feed would give."""

from __future__ import annotations

import gzip
import json
import re
import tarfile
from pathlib import Path

from trainer.scratchoff.feeds import tx
from trainer.scratchoff.feeds.common import FeedDocument

FEEDS_DIR = Path(__file__).resolve().parents[2] / "data" / "feeds"
TX_ARCHIVE = FEEDS_DIR / "tx_scratchoff_csv_2026-03-29_to_2026-07-21.tar.gz"
TX_PAGES = FEEDS_DIR / "tx_game_pages_real_values_documented_layout.tar.gz"
MA_FILE = FEEDS_DIR / "ma_documented_layout_invented_values.json"
NY_DAY = "2025-10-13"
NY_FILES = [
    FEEDS_DIR / f"ny_prize_status_{NY_DAY}.json.gz",
    FEEDS_DIR / f"ny_game_list_{NY_DAY}.json.gz",
]


def texas_days() -> dict[str, FeedDocument]:
    """Day (YYYY-MM-DD) -> that day's scratchoff.csv, in date order."""
    out: dict[str, FeedDocument] = {}
    with tarfile.open(TX_ARCHIVE, "r:gz") as tar:
        for member in tar.getmembers():
            m = re.fullmatch(r"scratchoff_([0-9]{4}-[0-9]{2}-[0-9]{2})\.csv", member.name)
            handle = tar.extractfile(member)
            if m and handle is not None:
                out[m[1]] = FeedDocument(member.name, handle.read())
    return dict(sorted(out.items()))


def texas_pages() -> dict[str, bytes]:
    """Texas's listing and details pages by file name (`all.html`, `details.html_<id>.html`)."""
    with tarfile.open(TX_PAGES, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]


def texas_listing(listing: bytes, numbers: set[str]) -> bytes:
    """The listing with only the rows of `numbers` (the games of one day's export: the state lists
    the games on sale)."""
    kept = [
        line
        for line in listing.decode().splitlines(keepends=True)
        if not (m := re.match(r"<tr><td><a [^>]*>([0-9]+)</a>", line)) or m[1] in numbers
    ]
    return "".join(kept).encode()


def export_games(export: bytes) -> set[str]:
    """The game numbers of a Texas export (its rows begin with them)."""
    return {m.decode() for m in re.findall(rb'^"?([0-9]+)"?,', export, re.M)}


def texas_with_pages(export: FeedDocument) -> list[FeedDocument]:
    """A Texas fetch: the export, the listing of its games and each listed game's page, in the
    listing's order."""
    pages = texas_pages()
    listing = FeedDocument("all.html", texas_listing(pages["all.html"], export_games(export.data)))
    details = [
        FeedDocument(f"details.html_{i}.html", pages[f"details.html_{i}.html"])
        for i in tx.request_ids(listing)
    ]
    return [export, listing, *details]


def new_york() -> list[FeedDocument]:
    """The New York pair (prize-status rows, game list) of NY_DAY."""
    return [
        FeedDocument(p.name.removesuffix(".gz"), gzip.decompress(p.read_bytes())) for p in NY_FILES
    ]


def massachusetts_files() -> dict:
    """The Massachusetts fixture: {"day", "games": the list, "prizes": {id: prize document}}."""
    return json.loads(MA_FILE.read_text())


def massachusetts() -> tuple[str, list[FeedDocument]]:
    """(its day, the documents of a fetch: the game list, then each scratch game's prizes)."""
    fixture = massachusetts_files()
    games = FeedDocument("games", json.dumps(fixture["games"]).encode())
    ids = [str(g["id"]) for g in fixture["games"] if g["gameType"] == "Scratch"]
    prizes = [
        FeedDocument(f"instant-game-prizes?gameID={i}", json.dumps(fixture["prizes"][i]).encode())
        for i in ids
    ]
    return fixture["day"], [games, *prizes]


IGT_DAY = "2019-03-13"
NJ_FILE = FEEDS_DIR / f"nj_instant_games_{IGT_DAY}.json.gz"
GA_FILE = FEEDS_DIR / f"ga_instant_games_documented_layout_nj_values_{IGT_DAY}.json.gz"
MI_DAY = "2019-12-04"
MI_ELEMENT = FEEDS_DIR / f"mi_prizes_remaining_game316_{MI_DAY}.json"
MI_GAMES = FEEDS_DIR / "mi_get_cms_games_documented_layout.json"
FL_FILE = FEEDS_DIR / "fl_getscratchinfo_documented_layout.json"


def _gzipped(path: Path) -> FeedDocument:
    return FeedDocument(path.name.removesuffix(".gz"), gzip.decompress(path.read_bytes()))


def new_jersey() -> list[FeedDocument]:
    """New Jersey's real instant-games answer of IGT_DAY (South Dakota serves the same layout)."""
    return [_gzipped(NJ_FILE)]


def georgia() -> list[FeedDocument]:
    """Georgia's documented variant, New Jersey's values rendered in it (amounts in dollars x
    10,000, annuity amounts 0)."""
    return [_gzipped(GA_FILE)]


def michigan() -> list[FeedDocument]:
    """Michigan's two GraphQL answers: the real element wrapped as the query answers it, then the
    documented-layout getCMSGames answer."""
    element = json.loads(MI_ELEMENT.read_bytes())
    prizes = {"data": {"getRetailTopPrizesRemainingByGameType": [element]}}
    return [
        FeedDocument("prizes_remaining.json", json.dumps(prizes).encode()),
        FeedDocument(MI_GAMES.name, MI_GAMES.read_bytes()),
    ]


def florida() -> list[FeedDocument]:
    """Florida's getscratchinfo answer, built from the documented layout (illustrative values)."""
    return [FeedDocument(FL_FILE.name, FL_FILE.read_bytes())]
