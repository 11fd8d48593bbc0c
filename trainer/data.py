"""The shared core of loading: the error every loader raises and the checks at the door
(DESIGN.md, Data contract).

Every loader (trainer.scratchoff.load, trainer.powerball.load) reads the whole file as text, checks
it here and returns a canonical frame, or raises DataError naming the file, the row (the line
number in the file, header = line 1) and the column. Nothing downstream ever sees a half-checked
file.
"""

from __future__ import annotations

import csv
import functools
import gzip
import io
import json
import operator
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from trainer import rules

DATA_DIR = Path(__file__).parent / "data"
# Bytes read from one file, after decompression (rules.py says why; monkeypatched by the tests).
MAX_INPUT_BYTES = rules.max_input_bytes()
# What is stripped around a cell: ASCII white space only, the same in the TypeScript port (Python's
# str.strip would also eat \x1c-\x1f and \x85, which are refused as control characters instead).
STRIP = " \t\r\n\f\v"
NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
NON_FINITE_RE = re.compile(r"[+-]?(?:inf|infinity|nan)", re.IGNORECASE)
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
DECIMAL_RE = re.compile(r"[+-]?([0-9]*)\.?([0-9]*)(?:[eE]([+-]?[0-9]+))?")
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def where(file: str, row: int | None, column: str | None) -> str:
    text = file
    if row is not None:
        text += f", row {row}"
    if column is not None:
        text += f", column {column!r}"
    return text


@dataclass
class DataError(Exception):
    """A file refused at the door: where, and why."""

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        return f"{where(self.file, self.row, self.column)}: {self.message}"


@dataclass(frozen=True)
class DataWarning:
    """A value loaded as given but worth a look (rules.py lists which): where, and why."""

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        return f"warning: {where(self.file, self.row, self.column)}: {self.message}"


def quote(text: str) -> str:
    """A cell as messages show it: JSON quoting, so control characters are visible (and the
    TypeScript port's JSON.stringify writes the same)."""
    return json.dumps(text, ensure_ascii=False)


def line_number(index: int) -> int:
    """Line number in the file of the frame's index-th data row (header is line 1)."""
    return int(index) + 2


def read_bounded(path: Path) -> bytes:
    """The file's bytes, gunzipped when it starts with gzip's magic number, read in chunks and
    refused past MAX_INPUT_BYTES: a small file that expands to gigabytes costs at most the limit."""
    try:
        with open(path, "rb") as raw:
            return read_stream(raw, str(path))
    except FileNotFoundError:
        raise DataError(str(path), None, None, "file not found") from None


def read_stream(raw: IO[bytes], file: str) -> bytes:
    """A seekable stream's bytes (a file, an archive's member) as read_bounded reads a file's."""
    limit = MAX_INPUT_BYTES
    try:
        packed = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        stream = gzip.GzipFile(fileobj=raw) if packed else raw
        data = stream.read(limit + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(file, None, None, f"not a readable file ({exc})") from None
    if len(data) > limit:
        raise DataError(
            file,
            None,
            None,
            f"larger than the {limit / 2**20:g} MiB limit"
            + (" once decompressed" if packed else "")
            + " (trainer/rules.py: max_input_bytes)",
        )
    return data


def decode_text(data: bytes, file: str, encoding: str = "utf-8-sig") -> str:
    """Bytes as text; a byte the encoding refuses is named by its line."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(file, line, None, f"not {encoding} text ({exc.reason})") from None


def refuse_repeated_header(header: list[str], file: str) -> None:
    seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        if name in seen:
            raise DataError(
                file, 1, name, f"column {position} repeats column {seen[name]} (same name)"
            )
        seen[name] = position


def read_csv_text(path: Path) -> pd.DataFrame:
    """Every cell as a string stripped of ASCII white space ('' for blank), or DataError: a file
    over the size limit, empty, with a repeated header column, cut or unparsable, or with no
    data rows."""
    file = str(path)
    text = decode_text(read_bounded(path), file)
    if text.strip(STRIP) == "":
        raise DataError(file, 1, None, "empty file: no header and no rows")
    header = [name.strip(STRIP) for name in next(csv.reader(io.StringIO(text)))]
    refuse_repeated_header(header, file)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(file, None, None, f"not a readable CSV file ({exc})") from None
    if frame.empty:
        raise DataError(file, 2, None, "no data rows (a header only)")
    frame.columns = [str(c).strip(STRIP) for c in frame.columns]
    # A row cut short has missing cells: blank, so the column's check names the row.
    return frame.fillna("").apply(lambda col: per_value(col, lambda t: t.strip(STRIP)))


def require_columns(frame: pd.DataFrame, columns: list[str], file: str) -> None:
    for column in columns:
        if column not in frame.columns:
            raise DataError(file, None, column, "missing column")


Problem = tuple[pd.Series, Callable[[int], str]]


def refuse_first(file: str, column: str, problems: list[Problem]) -> None:
    """The column's first row with any problem is refused, with that row's first problem in the
    order given (the TypeScript port checks row by row in the same order)."""
    masks = [mask.fillna(False).astype(bool) for mask, _ in problems]
    bad = functools.reduce(operator.or_, masks)
    if bad.any():
        index = bad.idxmax()
        message = next(say for mask, (_, say) in zip(masks, problems, strict=True) if mask[index])
        raise DataError(file, line_number(index), column, message(index))


def cent_places(text: str) -> int:
    """Decimal places a number's text needs, exactly ("1000.10": 1, "5e-3": 3, "10e-3": 2)."""
    match = DECIMAL_RE.fullmatch(text)
    if match is None:
        return 0
    whole, fraction, exponent = match.group(1), match.group(2), int(match.group(3) or 0)
    digits = whole + fraction
    if digits.strip("0") == "":
        return 0
    zeros = len(digits) - len(digits.rstrip("0"))
    return max(0, len(fraction) - exponent - zeros)


def fmt_bound(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else str(value)


def show(value: object) -> str:
    """A parsed cell as messages show it, the same in the TypeScript port: dates as YYYY-MM-DD,
    whole numbers without ".0", blank for none."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, (float, np.floating, int, np.integer)):
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(number)
    return str(value)


def per_value(text: pd.Series, fn: Callable[[str], object]) -> pd.Series:
    """fn of each cell, computed once per distinct value (a column repeats few values)."""
    codes, uniques = pd.factorize(text)
    return pd.Series(np.asarray([fn(u) for u in uniques], dtype=object)[codes], index=text.index)


def parse_number(text: str) -> float:
    """The cell's number under the NUMBER grammar (the same in the TypeScript port), else NaN."""
    return float(text) if NUMBER_RE.fullmatch(text) else np.nan


def numeric_column(
    frame: pd.DataFrame,
    column: str,
    file: str,
    *,
    nullable: bool = False,
    integer: bool = False,
    minimum: float | None = None,
    maximum: float | None = None,
    cents: bool = False,
) -> pd.Series:
    """The column as numbers; its first bad cell (blank, not a number, not finite, not whole,
    out of bounds, finer than a cent) raises DataError with its row."""
    text = frame[column]
    blank = text == ""
    values = per_value(text, parse_number).astype("float64")
    given = values.notna()
    finite = given & np.isfinite(values.where(given, 0.0))
    whole = values.where(finite, 0.0)
    problems: list[Problem] = [
        (blank & (not nullable), lambda i: "blank"),
        (
            per_value(text, lambda t: bool(NON_FINITE_RE.fullmatch(t))).astype(bool)
            | (given & ~finite),
            lambda i: f"not finite: {quote(text[i])}",
        ),
        (~blank & ~given, lambda i: f"not a number: {quote(text[i])}"),
    ]
    if integer:
        problems.append(
            (whole != np.floor(whole), lambda i: f"not a whole number: {quote(text[i])}")
        )
    if minimum is not None:
        low = fmt_bound(minimum)
        problems.append(
            (finite & (values < minimum), lambda i: f"must be at least {low}: {quote(text[i])}")
        )
    if maximum is not None:
        high = fmt_bound(maximum)
        problems.append(
            (finite & (values > maximum), lambda i: f"must be at most {high}: {quote(text[i])}")
        )
    if cents:
        places = per_value(text, cent_places).astype("int64")
        problems.append(
            (finite & (places > 2), lambda i: f"more than cent precision: {quote(text[i])}")
        )
    refuse_first(file, column, problems)
    return values


def bounded_column(
    frame: pd.DataFrame, column: str, file: str, *, nullable: bool = False
) -> pd.Series:
    """A numeric column under its bounds in the rule set (rules.bounds)."""
    b = rules.bounds(column)
    return numeric_column(
        frame,
        column,
        file,
        nullable=nullable,
        integer=b.integer,
        minimum=b.minimum,
        maximum=b.maximum,
        cents=b.cents,
    )


def text_column(frame: pd.DataFrame, column: str, file: str) -> pd.Series:
    """A required text column: its first cell that is blank, holds a control character or is
    longer than its limit (rules.max_length) raises DataError."""
    text = frame[column]
    limit = rules.max_length(column)
    control = per_value(text, lambda t: (m := CONTROL_RE.search(t)) and m.group(0))
    lengths = per_value(text, len)
    refuse_first(
        file,
        column,
        [
            (text == "", lambda i: "blank"),
            (
                control.astype(bool),
                lambda i: f"control character U+{ord(control[i]):04X} in {quote(text[i])}",
            ),
            (lengths > limit, lambda i: f"longer than {limit} characters ({lengths[i]})"),
        ],
    )
    return text


def date_column(frame: pd.DataFrame, column: str, file: str) -> pd.Series:
    text = frame[column]
    parsed = pd.to_datetime(
        text.where(per_value(text, lambda t: bool(DATE_RE.fullmatch(t))).astype(bool)),
        format="%Y-%m-%d",
        errors="coerce",
    )
    refuse_first(
        file, column, [(parsed.isna(), lambda i: f"not a YYYY-MM-DD date: {quote(text[i])}")]
    )
    return parsed


def refuse_duplicates(frame: pd.DataFrame, key: list[str], file: str) -> None:
    duplicated = frame.duplicated(subset=key, keep="first")
    if duplicated.any():
        index = duplicated.idxmax()
        values = ", ".join(f"{k}={show(frame[k][index])}" for k in key)
        raise DataError(file, line_number(index), key[-1], f"duplicate key ({values})")
