"""Powerball draws refused at the door (issue 13): future draws, draws on a day Powerball does not
draw, a Power Play the game does not have, and a stored draw that would change; each refusal
names the file, row and column and writes nothing. Needs the local stack."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from trainer.data import DataError
from trainer.powerball.load import load_powerball
from trainer.tests.hostile import (
    BAD_DRAWS,
    DRAWS,
    ingest,
    table_state,
    write_draws,
)


def refused(url: str, tmp_path, rows: list[str]) -> DataError:
    ingest(url, powerball=[write_draws(tmp_path / "good.csv", DRAWS)])
    before = table_state(url)
    path = write_draws(tmp_path / "bad.csv", rows)
    with pytest.raises(DataError) as info:
        ingest(url, powerball=[path])
    assert table_state(url) == before
    assert info.value.file == str(path)
    return info.value


@pytest.mark.parametrize(
    ("row", "words"), [c[1:] for c in BAD_DRAWS], ids=[c[0] for c in BAD_DRAWS]
)
def test_a_bad_draw_is_refused_naming_row_and_column(empty_db, tmp_path, row, words):
    column = "power_play" if "2, 3" in words else "draw_date"
    error = refused(empty_db, tmp_path, [*DRAWS, row])
    assert (error.row, error.column) == (5, column)
    assert words in error.message


def test_mondays_count_from_2021_08_23(tmp_path):
    draws = load_powerball(write_draws(tmp_path / "monday.csv", ["2021-08-23,1,2,3,4,5,6,2"]))
    assert len(draws) == 1


def test_a_draw_tomorrow_in_new_york_is_accepted_the_day_after_is_not(tmp_path):
    today = pd.Timestamp(pd.Timestamp.now(tz=ZoneInfo("America/New_York")).date())
    days = [today + pd.Timedelta(days=n) for n in range(1, 9)]
    draw_days = [d for d in days if d.day_of_week in (0, 2, 5)]
    tomorrow = today + pd.Timedelta(days=1)
    later = [d for d in draw_days if d > tomorrow][0]
    if tomorrow in draw_days:
        row = f"{tomorrow:%Y-%m-%d},1,2,3,4,5,6,2"
        assert len(load_powerball(write_draws(tmp_path / "t1.csv", [row]))) == 1
    with pytest.raises(DataError, match="future"):
        load_powerball(write_draws(tmp_path / "t2.csv", [f"{later:%Y-%m-%d},1,2,3,4,5,6,2"]))


def test_a_stored_draw_that_would_change_is_refused(empty_db, tmp_path):
    changed = [*DRAWS[:2], "2015-10-14,15,20,40,55,69,25,2"]  # another Powerball
    error = refused(empty_db, tmp_path, changed)
    assert (error.row, error.column) == (4, "powerball")
    assert "stored" in error.message


def test_the_same_draws_again_change_nothing(empty_db, tmp_path):
    path = write_draws(tmp_path / "draws.csv", DRAWS)
    ingest(empty_db, powerball=[path])
    before = table_state(empty_db)
    counts, _ = ingest(empty_db, powerball=[path])
    assert all(c.inserted == c.updated == 0 for c in counts)
    assert table_state(empty_db) == before
