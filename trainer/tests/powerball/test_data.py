"""Powerball draws refused at the door, each error naming the file, row and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer.data import DataError
from trainer.powerball.load import load_powerball

HEADER = "draw_date,white_1,white_2,white_3,white_4,white_5,powerball,power_play"
GOOD = [
    "2015-10-07,18,30,40,48,52,9,3",
    "2015-10-10,12,27,29,43,68,1,2",
    "2015-10-14,15,20,40,55,69,26,2",
]


def _write(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "draws.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def _refused(tmp_path: Path, rows: list[str]) -> DataError:
    path = _write(tmp_path, rows)
    with pytest.raises(DataError) as info:
        load_powerball(path)
    assert info.value.file == str(path)
    return info.value


def test_valid_file_loads_sorted(tmp_path: Path) -> None:
    draws = load_powerball(_write(tmp_path, list(reversed(GOOD))))
    assert len(draws) == 3
    assert draws["draw_date"].is_monotonic_increasing
    assert draws.loc[0, ["white_1", "powerball"]].tolist() == [18, 9]


def test_repeated_white_ball_refused(tmp_path: Path) -> None:
    err = _refused(tmp_path, [GOOD[0], "2015-10-10,12,27,27,43,68,1,2"])
    assert err.row == 3  # header is line 1
    assert err.column == "white_1..white_5"
    assert "repeated" in err.message


@pytest.mark.parametrize(
    ("row", "column"),
    [
        ("2015-10-10,12,27,29,43,70,1,2", "white_5"),
        ("2015-10-10,0,27,29,43,68,1,2", "white_1"),
        ("2015-10-10,12,27,29,43,68,27,2", "powerball"),
        ("2015-10-10,12,27,29,43,68,0,2", "powerball"),
    ],
)
def test_number_out_of_range_refused(tmp_path: Path, row: str, column: str) -> None:
    err = _refused(tmp_path, [GOOD[0], row, GOOD[2]])
    assert (err.row, err.column) == (3, column)


def test_date_before_matrix_refused(tmp_path: Path) -> None:
    err = _refused(tmp_path, [GOOD[0], GOOD[1], "2015-10-03,1,2,3,4,5,6,2"])
    assert (err.row, err.column) == (4, "draw_date")
    assert "2015-10-07" in err.message


def test_duplicate_date_refused(tmp_path: Path) -> None:
    err = _refused(tmp_path, [GOOD[0], GOOD[1], "2015-10-10,1,2,3,4,5,6,2"])
    assert (err.row, err.column) == (4, "draw_date")
    assert "duplicate" in err.message


def test_shipped_history_is_valid() -> None:
    draws = load_powerball()
    assert len(draws) == 1297
    assert draws["draw_date"].min().isoformat()[:10] == "2015-10-07"
