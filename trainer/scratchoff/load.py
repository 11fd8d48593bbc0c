"""Scratch-off input: the canonical contract, its validation and the state adapters
(DESIGN.md, Data contract). Loads a canonical file, or a state export through its adapter, and
returns canonical rows or raises DataError naming the file, row and column.

A tier's key is (snapshot_date, state, game_number, tier_index): two tiers of one game may have
the same prize amount. A canonical file may leave out tier_index and prize_label: tiers are then
numbered from 1 by prize amount, largest first (ties in file order), and labelled "$1,000", as
the feed adapters (trainer.scratchoff.feeds) number and label a feed without an advertised top.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from trainer.data import (
    DATA_DIR,
    DataError,
    date_column,
    line_number,
    numeric_column,
    read_csv_text,
    refuse_duplicates,
    require_columns,
)
from trainer.scratchoff.feeds import KNOWN
from trainer.scratchoff.feeds.common import format_dollars

TEXAS_FILE = DATA_DIR / "tx_scratchoff_tiers_2026-03-29_to_2026-07-21.csv.gz"

SCRATCHOFF_COLUMNS = [
    "snapshot_date",
    "state",
    "game_number",
    "game_name",
    "ticket_price",
    "overall_odds",
    "total_tickets_printed",
    "prize_amount",
    "prizes_printed",
    "prizes_remaining",
]
# Optional in a file, always in the validated frame.
TIER_COLUMNS = ["tier_index", "prize_label"]
SCRATCHOFF_KEY = ["snapshot_date", "state", "game_number", "tier_index"]
# Within a game-day the frame lists tiers by prize amount, smallest first (as it always has).
SCRATCHOFF_ORDER = ["snapshot_date", "state", "game_number", "prize_amount", "tier_index"]


def validate_scratchoff(raw: pd.DataFrame, file: str) -> pd.DataFrame:
    """Canonical scratch-off rows from text cells, or DataError."""
    require_columns(raw, SCRATCHOFF_COLUMNS, file)
    out = pd.DataFrame(index=raw.index)
    out["snapshot_date"] = date_column(raw, "snapshot_date", file)
    state = raw["state"].str.upper()
    bad_state = ~state.str.fullmatch(r"[A-Z]{2}")
    if bad_state.any():
        index = bad_state.idxmax()
        raise DataError(
            file, line_number(index), "state", f"not a 2-letter state: {raw['state'][index]!r}"
        )
    out["state"] = state
    for column in ("game_number", "game_name"):
        empty = raw[column] == ""
        if empty.any():
            raise DataError(file, line_number(empty.idxmax()), column, "blank")
        out[column] = raw[column]
    out["ticket_price"] = numeric_column(raw, "ticket_price", file, minimum=0.01)
    out["overall_odds"] = numeric_column(raw, "overall_odds", file, nullable=True, minimum=1)
    out["total_tickets_printed"] = numeric_column(
        raw, "total_tickets_printed", file, nullable=True, integer=True
    )
    out["prize_amount"] = numeric_column(raw, "prize_amount", file, minimum=0.01)
    for column in ("prizes_printed", "prizes_remaining"):
        out[column] = numeric_column(raw, column, file, integer=True).astype("int64")
    over = out["prizes_remaining"] > out["prizes_printed"]
    if over.any():
        index = over.idxmax()
        raise DataError(
            file,
            line_number(index),
            "prizes_remaining",
            f"remaining {out['prizes_remaining'][index]} > printed {out['prizes_printed'][index]}",
        )
    if "tier_index" not in raw.columns:  # then the amount is all that tells tiers apart
        refuse_duplicates(out, [*SCRATCHOFF_KEY[:3], "prize_amount"], file)
    out["tier_index"] = _tier_index(raw, out, file)
    out["prize_label"] = _prize_label(raw, out, file)
    refuse_duplicates(out, SCRATCHOFF_KEY, file)
    return out.sort_values(SCRATCHOFF_ORDER, kind="stable").reset_index(drop=True)


def _tier_index(raw: pd.DataFrame, out: pd.DataFrame, file: str) -> pd.Series:
    """The file's tier_index, or 1.. by prize amount, largest first, ties in file order."""
    if "tier_index" in raw.columns:
        return numeric_column(raw, "tier_index", file, integer=True, minimum=1).astype("int64")
    ordered = out.sort_values("prize_amount", ascending=False, kind="stable")
    game_day = ["snapshot_date", "state", "game_number"]
    return (ordered.groupby(game_day, sort=False).cumcount() + 1).reindex(out.index)


def _prize_label(raw: pd.DataFrame, out: pd.DataFrame, file: str) -> pd.Series:
    """The file's prize_label, or the amount as "$1,000"."""
    if "prize_label" not in raw.columns:
        return out["prize_amount"].map(format_dollars)
    blank = raw["prize_label"] == ""
    if blank.any():
        raise DataError(file, line_number(blank.idxmax()), "prize_label", "blank")
    return raw["prize_label"]


def texas_to_canonical(raw: pd.DataFrame) -> pd.DataFrame:
    """Texas export -> canonical text cells: every row is TX; the implied odds and claimed counts
    are derived columns the contract does not carry."""
    out = raw.drop(columns=["overall_odds_implied", "prizes_claimed"], errors="ignore").copy()
    out.insert(1, "state", "TX")
    return out


# Adapters from a state's own export to the canonical contract, chosen by the file's header.
ADAPTERS: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {"TX": texas_to_canonical}


def detect_format(raw: pd.DataFrame, file: str) -> str:
    if "state" in raw.columns:
        return "canonical"
    if {"overall_odds_implied", "prizes_claimed"} & set(raw.columns):
        return "TX"
    if "snapshot_date" in raw.columns:
        return "canonical"  # validation then names the missing column
    raise DataError(file, None, None, f"unknown feed layout (not canonical either): known: {KNOWN}")


def load_scratchoff(path: Path | str = TEXAS_FILE) -> pd.DataFrame:
    """A scratch-off file (canonical, or a state export with an adapter) as canonical rows."""
    path = Path(path)
    raw = read_csv_text(path)
    fmt = detect_format(raw, str(path))
    if fmt != "canonical":
        raw = ADAPTERS[fmt](raw)
    return validate_scratchoff(raw, str(path))
