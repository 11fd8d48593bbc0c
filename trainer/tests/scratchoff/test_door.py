"""Scratch-off files refused at the door (issue 13): every value the schema would refuse, and the
ones it would silently take, is refused by validation with the file, the row (line in the file,
header = 1) and the column named, and nothing is written. Needs the local stack."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from trainer.data import DataError
from trainer.scratchoff.load import load_scratchoff
from trainer.tests.hostile import (
    SCRATCHOFF_CELLS,
    broken,
    ingest,
    scratch_rows,
    table_state,
    write_rows,
)


def set_cell(frame: pd.DataFrame, index: int, column: str, value: str) -> pd.DataFrame:
    out = frame.copy()
    out.loc[index, column] = value
    return out


def refused(url: str, path: Path) -> DataError:
    """Ingest of `path` into a database holding one valid day: a DataError, nothing written."""
    ingest(url, scratchoff=[write_rows(path.parent / "good.csv", scratch_rows(1))])
    before = table_state(url)
    with pytest.raises(DataError) as info:
        ingest(url, scratchoff=[path])
    assert table_state(url) == before
    assert info.value.file == str(path)
    assert path.name in str(info.value)
    return info.value


@pytest.mark.parametrize(("index", "column", "text", "words"), [c[1:] for c in SCRATCHOFF_CELLS],
                         ids=[c[0] for c in SCRATCHOFF_CELLS])  # fmt: skip
def test_a_bad_cell_is_refused_naming_file_row_and_column(
    empty_db, tmp_path, index, column, text, words
):
    frame = broken(scratch_rows(1), index, column, text)
    error = refused(empty_db, write_rows(tmp_path / "bad.csv", frame))
    first = frame.index[frame[column] == text][0]
    assert (error.row, error.column) == (first + 2, column)
    assert words in error.message


def test_two_prizes_that_differ_below_a_cent_are_refused_not_merged(empty_db, tmp_path):
    # 1000.001 and 1000.004 are two tiers (two tier indices) that the database would store as two
    # 1000.00 prizes: the day's analytics would count prizes the file does not state.
    frame = scratch_rows(1)
    frame = set_cell(frame, 1, "prize_amount", "1000.001")
    frame = set_cell(frame, 2, "prize_amount", "1000.004")
    error = refused(empty_db, write_rows(tmp_path / "subcent.csv", frame))
    assert (error.row, error.column) == (3, "prize_amount")


def test_a_remaining_count_that_rises_within_the_file_is_refused(empty_db, tmp_path):
    frame = scratch_rows(3)
    # Day 3's 50-dollar tier of game 1001 has more left than day 2's.
    day2 = frame.index[(frame.snapshot_date == "2026-03-02") & (frame.game_number == "1001")
                       & (frame.prize_amount == "50")][0]  # fmt: skip
    day3 = frame.index[(frame.snapshot_date == "2026-03-03") & (frame.game_number == "1001")
                       & (frame.prize_amount == "50")][0]  # fmt: skip
    frame = set_cell(frame, day3, "prizes_remaining", str(int(frame.prizes_remaining[day2]) + 1))
    error = refused(empty_db, write_rows(tmp_path / "rise.csv", frame))
    assert (error.row, error.column) == (day3 + 2, "prizes_remaining")
    assert "2026-03-02" in error.message


def test_a_remaining_count_that_rises_against_the_stored_previous_day_is_refused(
    empty_db, tmp_path
):
    ingest(empty_db, scratchoff=[write_rows(tmp_path / "days12.csv", scratch_rows(2))])
    day3 = scratch_rows(3)
    day3 = day3[day3.snapshot_date == "2026-03-03"].reset_index(drop=True)
    day3 = set_cell(day3, 1, "prizes_remaining", "7999")  # stored day 2 has 6980 left
    path = write_rows(tmp_path / "day3.csv", day3)
    before = table_state(empty_db)
    with pytest.raises(DataError) as info:
        ingest(empty_db, scratchoff=[path])
    assert table_state(empty_db) == before
    assert (info.value.file, info.value.row, info.value.column) == (
        str(path), 3, "prizes_remaining"
    )  # fmt: skip
    assert "2026-03-02" in info.value.message


def test_one_attribute_per_game_and_day(empty_db, tmp_path):
    # Two prices for one game on one day: which one the day's metrics use would be a guess.
    frame = set_cell(scratch_rows(1), 1, "ticket_price", "6")
    error = refused(empty_db, write_rows(tmp_path / "twoprices.csv", frame))
    assert (error.row, error.column) == (3, "ticket_price")


def state_today(state_zone: str = "America/Chicago") -> pd.Timestamp:
    return pd.Timestamp(pd.Timestamp.now(tz=ZoneInfo(state_zone)).date())


def test_a_snapshot_dated_beyond_tomorrow_in_the_state_is_refused(empty_db, tmp_path):
    ingest(empty_db, scratchoff=[write_rows(tmp_path / "days.csv", scratch_rows(4))])
    future = scratch_rows(1).head(1).assign(snapshot_date="2099-01-01")
    path = write_rows(tmp_path / "future.csv", future)
    before = table_state(empty_db)
    with pytest.raises(DataError) as info:
        ingest(empty_db, scratchoff=[path])
    # ... so it cannot deactivate the state's other game either.
    assert table_state(empty_db) == before
    assert (info.value.row, info.value.column) == (2, "snapshot_date")
    assert "future" in info.value.message


def test_tomorrow_in_the_state_is_accepted_the_day_after_is_not(tmp_path):
    rows = scratch_rows(1)
    tomorrow = (state_today() + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    loaded = load_scratchoff(write_rows(tmp_path / "t1.csv", rows.assign(snapshot_date=tomorrow)))
    assert len(loaded) == len(rows)
    after = (state_today() + pd.Timedelta(days=2)).strftime("%Y-%m-%d")
    with pytest.raises(DataError, match="future"):
        load_scratchoff(write_rows(tmp_path / "t2.csv", rows.assign(snapshot_date=after)))
