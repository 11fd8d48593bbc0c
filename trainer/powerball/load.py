"""Powerball input: the draws of the current matrix, validated at the door (DESIGN.md, Data
contract)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from trainer import rules
from trainer.data import (
    DATA_DIR,
    DataError,
    date_column,
    line_number,
    numeric_column,
    quote,
    read_csv_text,
    refuse_duplicates,
    refuse_first,
    require_columns,
)

POWERBALL_FILE = DATA_DIR / "powerball_draws_2015-10-07_to_2025-12-31.csv.gz"
POWERBALL_COLUMNS = [
    "draw_date",
    "white_1",
    "white_2",
    "white_3",
    "white_4",
    "white_5",
    "powerball",
]
WHITE_COLUMNS = POWERBALL_COLUMNS[1:6]
MATRIX_START = pd.Timestamp(rules.powerball_matrix_start())  # first draw of the 5/69 + 1/26 matrix
WHITE_MAX, POWERBALL_MAX = 69, 26


def validate_powerball(raw: pd.DataFrame, file: str, now: datetime | None = None) -> pd.DataFrame:
    """Powerball draws of the current matrix from text cells, or DataError (the rules:
    trainer/rules.py). The result's attrs hold the file and each row's line."""
    require_columns(raw, POWERBALL_COLUMNS, file)
    out = pd.DataFrame(index=raw.index)
    dates = date_column(raw, "draw_date", file)
    latest = pd.Timestamp(rules.latest_allowed_date(rules.powerball_time_zone(), now))
    draw_day = dates.map(lambda d: rules.is_powerball_draw_day(d.date()))
    refuse_first(
        file,
        "draw_date",
        [
            (
                dates < MATRIX_START,
                lambda i: f"before {MATRIX_START:%Y-%m-%d}, the start of the current matrix",
            ),
            (
                dates > latest,
                lambda i: (
                    f"in the future: {dates[i]:%Y-%m-%d} is after {latest:%Y-%m-%d},"
                    f" tomorrow in {rules.powerball_time_zone()}"
                ),
            ),
            (
                ~draw_day,
                lambda i: (
                    f"not a Powerball draw day: {dates[i]:%Y-%m-%d} is a {dates[i]:%A}"
                    f" (draws: {', '.join(rules.powerball_draw_days(dates[i].date()))})"
                ),
            ),
        ],
    )
    out["draw_date"] = dates
    for column, top in [(c, WHITE_MAX) for c in WHITE_COLUMNS] + [("powerball", POWERBALL_MAX)]:
        values = numeric_column(raw, column, file, integer=True, minimum=1, maximum=top)
        out[column] = values.astype("int64")
    whites = np.sort(out[WHITE_COLUMNS].to_numpy(), axis=1)
    repeated = (np.diff(whites, axis=1) == 0).any(axis=1)
    if repeated.any():
        index = out.index[int(np.argmax(repeated))]
        raise DataError(file, line_number(index), "white_1..white_5", "a white ball is repeated")
    out[WHITE_COLUMNS] = whites
    out["power_play"] = power_play_column(raw, file)
    refuse_duplicates(out, ["draw_date"], file)
    lines = [line_number(i) for i in out.index]
    out = out.assign(_line=lines).sort_values("draw_date", kind="stable")
    result = out.drop(columns="_line").reset_index(drop=True)
    result.attrs = {"file": file, "lines": out["_line"].tolist()}
    return result


def power_play_column(raw: pd.DataFrame, file: str) -> pd.Series:
    """The Power Play multiplier drawn (blank allowed: not every source has it)."""
    if "power_play" not in raw.columns:
        return pd.Series(np.nan, index=raw.index)
    values = numeric_column(raw, "power_play", file, nullable=True, integer=True)
    allowed = rules.power_play_values()
    refuse_first(
        file,
        "power_play",
        [
            (
                values.notna() & ~values.isin(allowed),
                lambda i: (
                    f"must be one of {', '.join(map(str, allowed))}: {quote(raw['power_play'][i])}"
                ),
            )
        ],
    )
    return values


def load_powerball(path: Path | str = POWERBALL_FILE, now: datetime | None = None) -> pd.DataFrame:
    path = Path(path)
    return validate_powerball(read_csv_text(path), str(path), now)
