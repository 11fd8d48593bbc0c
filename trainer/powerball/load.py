"""Powerball input: the draws of the current matrix, validated at the door (DESIGN.md, Data
contract)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
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
MATRIX_START = pd.Timestamp("2015-10-07")  # first draw of the current 5/69 + 1/26 matrix
WHITE_MAX, POWERBALL_MAX = 69, 26


def validate_powerball(raw: pd.DataFrame, file: str) -> pd.DataFrame:
    """Powerball draws of the current matrix from text cells, or DataError."""
    require_columns(raw, POWERBALL_COLUMNS, file)
    out = pd.DataFrame(index=raw.index)
    out["draw_date"] = date_column(raw, "draw_date", file)
    early = out["draw_date"] < MATRIX_START
    if early.any():
        index = early.idxmax()
        raise DataError(
            file,
            line_number(index),
            "draw_date",
            "before 2015-10-07, the start of the current matrix",
        )
    for column, top in [(c, WHITE_MAX) for c in WHITE_COLUMNS] + [("powerball", POWERBALL_MAX)]:
        values = numeric_column(raw, column, file, integer=True, minimum=1)
        high = values > top
        if high.any():
            index = high.idxmax()
            raise DataError(
                file, line_number(index), column, f"out of range 1-{top}: {raw[column][index]!r}"
            )
        out[column] = values.astype("int64")
    whites = np.sort(out[WHITE_COLUMNS].to_numpy(), axis=1)
    repeated = (np.diff(whites, axis=1) == 0).any(axis=1)
    if repeated.any():
        index = out.index[int(np.argmax(repeated))]
        raise DataError(file, line_number(index), "white_1..white_5", "a white ball is repeated")
    out[WHITE_COLUMNS] = whites
    if "power_play" in raw.columns:
        out["power_play"] = numeric_column(raw, "power_play", file, nullable=True, integer=True)
    else:
        out["power_play"] = np.nan
    refuse_duplicates(out, ["draw_date"], file)
    return out.sort_values("draw_date", kind="stable").reset_index(drop=True)


def load_powerball(path: Path | str = POWERBALL_FILE) -> pd.DataFrame:
    path = Path(path)
    return validate_powerball(read_csv_text(path), str(path))
