"""Shared pieces of the hostile-input tests (issue 13; the database fixtures are in conftest.py):
a content hash of the tables (equal hashes: nothing was written), and small valid files to
break one cell at a time."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from trainer.db import connect
from trainer.ingest import ingest_files

TABLES = ["games", "prize_tier_snapshots", "historical_snapshots", "powerball_draws"]

DRAWS_HEADER = "draw_date,white_1,white_2,white_3,white_4,white_5,powerball,power_play"
# Three real draws (Wednesday, Saturday, Wednesday).
DRAWS = [
    "2015-10-07,18,30,40,48,52,9,3",
    "2015-10-10,12,27,29,43,68,1,2",
    "2015-10-14,15,20,40,55,69,26,2",
]


def table_state(url: str) -> dict[str, tuple]:
    """Row count and a content hash per table: equal states mean nothing changed."""
    with connect(url) as conn:
        return {
            t: conn.execute(
                f"select count(*), md5(coalesce(string_agg(x::text, '|' order by x::text), ''))"
                f" from public.{t} x"
            ).fetchone()
            for t in TABLES
        }


def ingest(url: str, scratchoff: list[Path] | None = None, powerball: list[Path] | None = None):
    """Ingest just these files (no shipped defaults), quietly; returns the progress lines too."""
    lines: list[str] = []
    counts = ingest_files(
        scratchoff=[str(p) for p in scratchoff or []],
        powerball=[str(p) for p in powerball or []],
        db_url=url,
        progress=lines.append,
    )
    return counts, lines


def scratch_rows(days: int = 4) -> pd.DataFrame:
    """Two games, three tiers each, `days` consecutive days from 2026-03-01, selling down; text
    cells in the canonical column order, sorted by the canonical key (row i is line i + 2)."""
    rows = []
    for d in range(days):
        date = (pd.Timestamp("2026-03-01") + pd.Timedelta(days=d)).strftime("%Y-%m-%d")
        for game, price, odds in (("1001", "5", "4.1"), ("1002", "10", "")):
            for prize, printed, sold_per_day in (("5", 400_000, 900), ("50", 8_000, 20)):
                rows.append(
                    [date, "TX", game, f"Game {game}", price, odds, "4000000", prize,
                     str(printed), str(printed - 1_000 - sold_per_day * d)]
                )  # fmt: skip
            rows.append(
                [date, "TX", game, f"Game {game}", price, odds, "4000000", "100000", "4",
                 str(4 - (d >= 2))]
            )  # fmt: skip
    columns = [
        "snapshot_date", "state", "game_number", "game_name", "ticket_price", "overall_odds",
        "total_tickets_printed", "prize_amount", "prizes_printed", "prizes_remaining",
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=columns)
    key = frame.assign(p=frame.prize_amount.astype(float))
    order = key.sort_values(["snapshot_date", "state", "game_number", "p"]).index
    return frame.loc[order].reset_index(drop=True)


def write_rows(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_csv(path, index=False)
    return path


def write_draws(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join([DRAWS_HEADER, *rows]) + "\n", encoding="utf-8")
    return path


# (case id, row index to break, column, bad text, words the message must contain)
SCRATCHOFF_CELLS = [
    ("prize 1e308", 4, "prize_amount", "1e308", "at most"),
    ("prize inf", 4, "prize_amount", "inf", "finite"),
    ("prize Infinity", 4, "prize_amount", "Infinity", "finite"),
    ("ticket price 1e308", 3, "ticket_price", "1e308", "at most 1,000"),
    ("negative prize", 4, "prize_amount", "-5", "at least 0.01"),
    ("printed inf", 2, "prizes_printed", "inf", "finite"),
    ("remaining inf", 2, "prizes_remaining", "inf", "finite"),
    ("tickets printed 1e308", 1, "total_tickets_printed", "1e308", "at most"),
    ("odds inf", 1, "overall_odds", "inf", "finite"),
    ("game number of 40 characters", 0, "game_number", "9" * 40, "32 characters"),
    ("game name of 300 characters", 0, "game_name", "x" * 300, "200 characters"),
    ("NUL in a name", 0, "game_name", "Lucky\x00 7s", "control character"),
    ("escape in a name", 0, "game_name", "Lucky\x1b[31m 7s", "control character"),
    ("NUL in a game number", 0, "game_number", "10\x0001", "control character"),
    ("sub-cent prize", 4, "prize_amount", "50.001", "cent"),
    ("sub-cent price", 0, "ticket_price", "4.999", "cent"),
    ("unknown state", 0, "state", "ZZ", "state"),
]


def broken(frame: pd.DataFrame, index: int, column: str, text: str) -> pd.DataFrame:
    """`frame` with one cell set to `text`; a game's state, price, name or number on every row
    of that game, so only the one rule under test is broken."""
    out = frame.copy()
    rows = [index]
    if column in ("state", "ticket_price", "game_name", "game_number"):
        rows = list(out.index[out.game_number == out.loc[index, "game_number"]])
    for i in rows:
        out.loc[i, column] = text
    return out


# (case id, a draw appended to DRAWS, words the message must contain)
BAD_DRAWS = [
    ("future", "2099-01-03,1,2,3,4,5,6,2", "future"),  # a Saturday
    ("thursday", "2015-10-08,1,2,3,4,5,6,2", "not a Powerball draw day"),
    ("monday before 2021-08-23", "2021-08-16,1,2,3,4,5,6,2", "not a Powerball draw day"),
    ("power play 7", "2015-10-17,1,2,3,4,5,6,7", "2, 3, 4, 5, 10"),
    ("power play 1e308", "2015-10-17,1,2,3,4,5,6,1e308", "2, 3, 4, 5, 10"),
]
