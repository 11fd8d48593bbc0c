"""The shared core of loading: the error every loader raises and the checks at the door
(DESIGN.md, Data contract).

Every loader (trainer.scratchoff.load, trainer.powerball.load) reads the whole file as text, checks
it here and returns a canonical frame, or raises DataError naming the file, the row (the line
number in the file, header = line 1) and the column. Nothing downstream ever sees a half-checked
file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

DATA_DIR = Path(__file__).parent / "data"


@dataclass
class DataError(Exception):
    """A file refused at the door: where, and why."""

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {self.column!r}"
        return f"{where}: {self.message}"


def line_number(index: int) -> int:
    """Line number in the file of the frame's index-th data row (header is line 1)."""
    return int(index) + 2


def read_csv_text(path: Path) -> pd.DataFrame:
    """Every cell as a stripped string ('' for blank); gzip by suffix."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, compression="infer")
    except FileNotFoundError:
        raise DataError(str(path), None, None, "file not found") from None
    except (pd.errors.ParserError, UnicodeDecodeError, EOFError, OSError) as exc:
        raise DataError(str(path), None, None, f"not a readable CSV file ({exc})") from None
    return frame.apply(lambda col: col.str.strip())


def require_columns(frame: pd.DataFrame, columns: list[str], file: str) -> None:
    for column in columns:
        if column not in frame.columns:
            raise DataError(file, None, column, "missing column")


def numeric_column(
    frame: pd.DataFrame,
    column: str,
    file: str,
    *,
    nullable: bool = False,
    integer: bool = False,
    minimum: float | None = 0,
) -> pd.Series:
    """The column as numbers; the first bad cell raises DataError with its row."""
    text = frame[column]
    values = pd.to_numeric(text, errors="coerce")
    blank = text == ""
    bad = values.isna() & ~(blank & nullable)
    if bad.any():
        index = bad.idxmax()
        what = "blank" if text[index] == "" else f"not a number: {text[index]!r}"
        raise DataError(file, line_number(index), column, what)
    if integer:
        fractional = values.notna() & (values != np.floor(values))
        if fractional.any():
            index = fractional.idxmax()
            raise DataError(
                file, line_number(index), column, f"not a whole number: {text[index]!r}"
            )
    if minimum is not None:
        low = values.notna() & (values < minimum)
        if low.any():
            index = low.idxmax()
            raise DataError(
                file, line_number(index), column, f"must be >= {minimum}: {text[index]!r}"
            )
    return values.astype("float64")


def date_column(frame: pd.DataFrame, column: str, file: str) -> pd.Series:
    parsed = pd.to_datetime(frame[column], format="%Y-%m-%d", errors="coerce")
    if parsed.isna().any():
        index = parsed.isna().idxmax()
        raise DataError(
            file, line_number(index), column, f"not a YYYY-MM-DD date: {frame[column][index]!r}"
        )
    return parsed


def refuse_duplicates(frame: pd.DataFrame, key: list[str], file: str) -> None:
    duplicated = frame.duplicated(subset=key, keep="first")
    if duplicated.any():
        index = duplicated.idxmax()
        values = ", ".join(f"{k}={frame[k][index]}" for k in key)
        raise DataError(file, line_number(index), key[-1], f"duplicate key ({values})")
