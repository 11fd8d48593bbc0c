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
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from trainer import rules
from trainer.data import (
    DATA_DIR,
    DataError,
    bounded_column,
    date_column,
    line_number,
    quote,
    read_csv_text,
    refuse_duplicates,
    refuse_first,
    require_columns,
    show,
    text_column,
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


GAME_DAY = ["state", "game_number", "snapshot_date"]
# What a game is on one day: one value each (the tiers' rows repeat them).
DAY_ATTRIBUTES = ["game_name", "ticket_price", "overall_odds", "total_tickets_printed"]


def validate_scratchoff(raw: pd.DataFrame, file: str, now: datetime | None = None) -> pd.DataFrame:
    """Canonical scratch-off rows from text cells, or DataError (the rules: trainer/rules.py).
    The result's attrs hold the file and each row's line, for the checks against the database."""
    require_columns(raw, SCRATCHOFF_COLUMNS, file)
    out = pd.DataFrame(index=raw.index)
    out["snapshot_date"] = date_column(raw, "snapshot_date", file)
    state = raw["state"].str.upper()
    zone = state.map(rules.state_time_zone)
    refuse_first(
        file,
        "state",
        [(zone.isna(), lambda i: f"not a US lottery state code: {quote(raw['state'][i])}")],
    )
    out["state"] = state
    refuse_future(out["snapshot_date"], zone, file, "snapshot_date", now)
    for column in ("game_number", "game_name"):
        out[column] = text_column(raw, column, file)
    out["ticket_price"] = bounded_column(raw, "ticket_price", file)
    out["overall_odds"] = bounded_column(raw, "overall_odds", file, nullable=True)
    out["total_tickets_printed"] = bounded_column(raw, "total_tickets_printed", file, nullable=True)
    out["prize_amount"] = bounded_column(raw, "prize_amount", file)
    for column in ("prizes_printed", "prizes_remaining"):
        out[column] = bounded_column(raw, column, file).astype("int64")
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
    refuse_two_attributes(out, file)
    refuse_rising_remaining(out, file)
    lines = [line_number(i) for i in out.index]
    out = out.assign(_line=lines).sort_values(SCRATCHOFF_ORDER, kind="stable")
    result = out.drop(columns="_line").reset_index(drop=True)
    result.attrs = {"file": file, "lines": out["_line"].tolist()}
    return result


def refuse_future(
    dates: pd.Series, zones: pd.Series, file: str, column: str, now: datetime | None
) -> None:
    """A date beyond tomorrow in its own time zone is refused (rules.latest_allowed_date)."""
    latest = {z: pd.Timestamp(rules.latest_allowed_date(z, now)) for z in zones.unique()}
    limit = zones.map(latest)
    refuse_first(
        file,
        column,
        [
            (
                dates > limit,
                lambda i: (
                    f"in the future: {dates[i]:%Y-%m-%d} is after {limit[i]:%Y-%m-%d},"
                    f" tomorrow in {zones[i]}"
                ),
            )
        ],
    )


def refuse_two_attributes(frame: pd.DataFrame, file: str) -> None:
    """One name, price, odds and tickets printed per game and day."""
    # Each row's game-day's first row in the file (blank included: odds may be blank).
    group = frame.groupby(GAME_DAY, sort=False).ngroup().to_numpy()
    position = pd.Series(np.arange(len(frame))).groupby(group).transform("min").to_numpy()
    for column in DAY_ATTRIBUTES:
        values = frame[column].astype(object).where(frame[column].notna(), None)
        first = pd.Series(values.to_numpy()[position], index=frame.index)
        differs = values.ne(first) & ~(values.isna() & first.isna())
        refuse_first(
            file,
            column,
            [
                (
                    differs,
                    lambda i, c=column, f=first: (
                        f"game {frame['game_number'][i]} has two"
                        f" values on {frame['snapshot_date'][i]:%Y-%m-%d}:"
                        f" {quote(show(f[i]))} and {quote(show(frame[c][i]))}"
                    ),
                )
            ],
        )


def refuse_rising_remaining(frame: pd.DataFrame, file: str) -> None:
    """Claimed prizes do not come back: a tier's remaining count never rises from one day of the
    file to the game's next day in the file."""
    order = frame.sort_values(["state", "game_number", "tier_index", "snapshot_date"])
    same = (
        order[["state", "game_number", "tier_index"]]
        .eq(order[["state", "game_number", "tier_index"]].shift())
        .all(axis=1)
    )
    before = order["prizes_remaining"].shift()
    rising = same & (order["prizes_remaining"] > before)
    day = order["snapshot_date"].shift()
    refuse_first(
        file,
        "prizes_remaining",
        [
            (
                rising.reindex(frame.index),
                lambda i: (
                    f"{frame['prizes_remaining'][i]} left, more than the"
                    f" {int(before[i])} left on {day[i]:%Y-%m-%d} (claimed prizes do not come back)"
                ),
            )
        ],
    )


def _tier_index(raw: pd.DataFrame, out: pd.DataFrame, file: str) -> pd.Series:
    """The file's tier_index, or 1.. by prize amount, largest first, ties in file order."""
    if "tier_index" in raw.columns:
        return bounded_column(raw, "tier_index", file).astype("int64")
    ordered = out.sort_values("prize_amount", ascending=False, kind="stable")
    game_day = ["snapshot_date", "state", "game_number"]
    return (ordered.groupby(game_day, sort=False).cumcount() + 1).reindex(out.index)


def _prize_label(raw: pd.DataFrame, out: pd.DataFrame, file: str) -> pd.Series:
    """The file's prize_label (blank, control characters, length: refused), or the amount as
    "$1,000"."""
    if "prize_label" not in raw.columns:
        return out["prize_amount"].map(format_dollars)
    return text_column(raw, "prize_label", file)


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


def load_scratchoff(path: Path | str = TEXAS_FILE, now: datetime | None = None) -> pd.DataFrame:
    """A scratch-off file (canonical, or a state export with an adapter) as canonical rows."""
    path = Path(path)
    raw = read_csv_text(path)
    fmt = detect_format(raw, str(path))
    if fmt != "canonical":
        raw = ADAPTERS[fmt](raw)
    return validate_scratchoff(raw, str(path), now)
