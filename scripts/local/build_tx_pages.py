"""Builds trainer/data/feeds/tx_game_pages_real_values_documented_layout.tar.gz: Texas's scratch-off
listing (all.html) and one details page per game, in the layout the project's shared data README
describes (no byte copy of these pages exists), holding the real tickets printed and overall odds
of the shipped canonical file (trainer/data/tx_scratchoff_tiers_*.csv.gz).

    python scripts/local/build_tx_pages.py [CANONICAL_CSV_GZ]

The listing is an HTML table whose rows begin with the game number and link to
details.html_<page id>.html (a page id that is not the game number); a page says in prose
"approximately N* tickets" and "overall odds of winning any prize ... 1 in X" (the sentence is left
out for the games whose odds the canonical file does not have). Deterministic: the same input
gives the same bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import io
import sys
import tarfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "trainer" / "data" / "feeds" / "tx_game_pages_real_values_documented_layout.tar.gz"
BASE = "/export/sites/lottery/Games/Scratch_Offs"


def page_id(game: str) -> str:
    """A stable page id unrelated to the game number (as the state's own ids are)."""
    return str(int(hashlib.sha256(f"tx-page:{game}".encode()).hexdigest()[:8], 16))


def details(game: str, name: str, price: str, tickets: int, odds: str | None) -> str:
    odds_line = (
        f"<p>Overall odds of winning any prize in {html.escape(name)} are 1 in {odds}.**</p>\n"
        if odds
        else ""
    )
    return (
        "<!DOCTYPE html>\n<html><head><title>Texas Lottery | "
        f"{html.escape(name)}</title></head>\n<body>\n<h1>{html.escape(name)}</h1>\n"
        f"<p>Game No. {game} &middot; ${price} ticket</p>\n"
        f"<p>There are approximately {tickets:,}* tickets in Scratch Ticket Game No. {game}.</p>\n"
        f"{odds_line}"
        "<p>*The number of tickets printed is approximate and may vary.</p>\n"
        "<p>**The overall odds include break-even prizes.</p>\n</body></html>\n"
    )


def listing(games: pd.DataFrame) -> str:
    rows = "".join(
        f'<tr><td><a href="{BASE}/details.html_{page_id(g.game_number)}.html">{g.game_number}</a>'
        f"</td><td>${g.ticket_price}</td><td>{html.escape(g.game_name)}</td></tr>\n"
        for g in games.itertuples()
    )
    return (
        "<!DOCTYPE html>\n<html><head><title>Texas Lottery | Scratch Tickets</title></head>\n"
        '<body>\n<table class="large-only">\n<thead><tr><th>Game Number</th><th>Ticket Price</th>'
        f"<th>Game Name</th></tr></thead>\n<tbody>\n{rows}</tbody>\n</table>\n</body></html>\n"
    )


def member(tar: tarfile.TarFile, name: str, text: str) -> None:
    data = text.encode("utf-8")
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), 0, 0o644
    tar.addfile(info, io.BytesIO(data))


def main() -> None:
    default = next((ROOT / "trainer" / "data").glob("tx_*.csv.gz"))
    source = sys.argv[1] if len(sys.argv) > 1 else default
    rows = pd.read_csv(source, dtype=str)
    games = (
        rows.sort_values("snapshot_date")
        .groupby("game_number", as_index=False)
        .agg(
            game_name=("game_name", "last"),
            ticket_price=("ticket_price", "last"),
            odds=("overall_odds", "last"),
            tickets=("total_tickets_printed", "last"),
        )
        .sort_values("game_number", ascending=False)
    )
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        member(tar, "all.html", listing(games))
        for g in games.itertuples():
            odds = None if pd.isna(g.odds) else g.odds
            page = details(g.game_number, g.game_name, g.ticket_price, int(g.tickets), odds)
            member(tar, f"details.html_{page_id(g.game_number)}.html", page)
    OUT.write_bytes(gzip.compress(raw.getvalue(), compresslevel=9, mtime=0))
    print(f"wrote {OUT} ({len(games)} games)")


if __name__ == "__main__":
    main()
