"""Loading and validating the input files (DESIGN.md, Data contract).

Every loader reads the whole file as text, checks it at the door and returns a canonical frame, or
raises DataError naming the file, the row (the line number in the file, header = line 1) and the
column. Nothing downstream ever sees a half-checked file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

DATA_DIR = Path(__file__).parent / "data"
TEXAS_FILE = DATA_DIR / "tx_scratchoff_tiers_2026-03-29_to_2026-07-21.csv.gz"
POWERBALL_FILE = DATA_DIR / "powerball_draws_2015-10-07_to_2025-12-31.csv.gz"

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
SCRATCHOFF_KEY = ["snapshot_date", "state", "game_number", "prize_amount"]
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


def _line(index: int) -> int:
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


def _require_columns(frame: pd.DataFrame, columns: list[str], file: str) -> None:
    for column in columns:
        if column not in frame.columns:
            raise DataError(file, None, column, "missing column")


def _numeric(
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
        raise DataError(file, _line(index), column, what)
    if integer:
        fractional = values.notna() & (values != np.floor(values))
        if fractional.any():
            index = fractional.idxmax()
            raise DataError(file, _line(index), column, f"not a whole number: {text[index]!r}")
    if minimum is not None:
        low = values.notna() & (values < minimum)
        if low.any():
            index = low.idxmax()
            raise DataError(file, _line(index), column, f"must be >= {minimum}: {text[index]!r}")
    return values.astype("float64")


def _dates(frame: pd.DataFrame, column: str, file: str) -> pd.Series:
    parsed = pd.to_datetime(frame[column], format="%Y-%m-%d", errors="coerce")
    if parsed.isna().any():
        index = parsed.isna().idxmax()
        raise DataError(
            file, _line(index), column, f"not a YYYY-MM-DD date: {frame[column][index]!r}"
        )
    return parsed


def _refuse_duplicates(frame: pd.DataFrame, key: list[str], file: str) -> None:
    duplicated = frame.duplicated(subset=key, keep="first")
    if duplicated.any():
        index = duplicated.idxmax()
        values = ", ".join(f"{k}={frame[k][index]}" for k in key)
        raise DataError(file, _line(index), key[-1], f"duplicate key ({values})")


def validate_scratchoff(raw: pd.DataFrame, file: str) -> pd.DataFrame:
    """Canonical scratch-off rows from text cells, or DataError."""
    _require_columns(raw, SCRATCHOFF_COLUMNS, file)
    out = pd.DataFrame(index=raw.index)
    out["snapshot_date"] = _dates(raw, "snapshot_date", file)
    state = raw["state"].str.upper()
    bad_state = ~state.str.fullmatch(r"[A-Z]{2}")
    if bad_state.any():
        index = bad_state.idxmax()
        raise DataError(
            file, _line(index), "state", f"not a 2-letter state: {raw['state'][index]!r}"
        )
    out["state"] = state
    for column in ("game_number", "game_name"):
        empty = raw[column] == ""
        if empty.any():
            raise DataError(file, _line(empty.idxmax()), column, "blank")
        out[column] = raw[column]
    out["ticket_price"] = _numeric(raw, "ticket_price", file, minimum=0.01)
    out["overall_odds"] = _numeric(raw, "overall_odds", file, nullable=True, minimum=1)
    out["total_tickets_printed"] = _numeric(
        raw, "total_tickets_printed", file, nullable=True, integer=True
    )
    out["prize_amount"] = _numeric(raw, "prize_amount", file, minimum=0.01)
    for column in ("prizes_printed", "prizes_remaining"):
        out[column] = _numeric(raw, column, file, integer=True).astype("int64")
    over = out["prizes_remaining"] > out["prizes_printed"]
    if over.any():
        index = over.idxmax()
        raise DataError(
            file,
            _line(index),
            "prizes_remaining",
            f"remaining {out['prizes_remaining'][index]} > printed {out['prizes_printed'][index]}",
        )
    _refuse_duplicates(out, SCRATCHOFF_KEY, file)
    return out.sort_values(SCRATCHOFF_KEY, kind="stable").reset_index(drop=True)


def texas_to_canonical(raw: pd.DataFrame) -> pd.DataFrame:
    """Texas export -> canonical text cells: every row is TX; the implied odds and claimed counts
    are derived columns the contract does not carry."""
    out = raw.drop(columns=["overall_odds_implied", "prizes_claimed"], errors="ignore").copy()
    out.insert(1, "state", "TX")
    return out


# Adapters from a state's own export to the canonical contract, chosen by the file's header.
ADAPTERS: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {"TX": texas_to_canonical}


def detect_format(raw: pd.DataFrame) -> str:
    if "state" in raw.columns:
        return "canonical"
    if {"overall_odds_implied", "prizes_claimed"} & set(raw.columns):
        return "TX"
    return "canonical"  # validation then names the missing column


def load_scratchoff(path: Path | str = TEXAS_FILE) -> pd.DataFrame:
    """A scratch-off file (canonical, or a state export with an adapter) as canonical rows."""
    path = Path(path)
    raw = read_csv_text(path)
    fmt = detect_format(raw)
    if fmt != "canonical":
        raw = ADAPTERS[fmt](raw)
    return validate_scratchoff(raw, str(path))


def validate_powerball(raw: pd.DataFrame, file: str) -> pd.DataFrame:
    """Powerball draws of the current matrix from text cells, or DataError."""
    _require_columns(raw, POWERBALL_COLUMNS, file)
    out = pd.DataFrame(index=raw.index)
    out["draw_date"] = _dates(raw, "draw_date", file)
    early = out["draw_date"] < MATRIX_START
    if early.any():
        index = early.idxmax()
        raise DataError(
            file, _line(index), "draw_date", "before 2015-10-07, the start of the current matrix"
        )
    for column, top in [(c, WHITE_MAX) for c in WHITE_COLUMNS] + [("powerball", POWERBALL_MAX)]:
        values = _numeric(raw, column, file, integer=True, minimum=1)
        high = values > top
        if high.any():
            index = high.idxmax()
            raise DataError(
                file, _line(index), column, f"out of range 1-{top}: {raw[column][index]!r}"
            )
        out[column] = values.astype("int64")
    whites = np.sort(out[WHITE_COLUMNS].to_numpy(), axis=1)
    repeated = (np.diff(whites, axis=1) == 0).any(axis=1)
    if repeated.any():
        index = out.index[int(np.argmax(repeated))]
        raise DataError(file, _line(index), "white_1..white_5", "a white ball is repeated")
    out[WHITE_COLUMNS] = whites
    if "power_play" in raw.columns:
        out["power_play"] = _numeric(raw, "power_play", file, nullable=True, integer=True)
    else:
        out["power_play"] = np.nan
    _refuse_duplicates(out, ["draw_date"], file)
    return out.sort_values("draw_date", kind="stable").reset_index(drop=True)


def load_powerball(path: Path | str = POWERBALL_FILE) -> pd.DataFrame:
    path = Path(path)
    return validate_powerball(read_csv_text(path), str(path))
