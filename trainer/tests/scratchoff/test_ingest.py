"""Ingest: the shipped data into a fresh database, idempotent, all-or-nothing per file, refused at
the door with the file, row and column named. Needs the local stack (scripts/stack up)."""

from __future__ import annotations

import gzip
import os
import warnings
from pathlib import Path

import pandas as pd
import pytest

from trainer.data import DataError
from trainer.db import connect, scratch_database
from trainer.ingest import ingest_files
from trainer.powerball.load import POWERBALL_FILE
from trainer.scratchoff.load import TEXAS_FILE, load_scratchoff
from trainer.scratchoff.store import read_scratchoff
from trainer.tests.hostile import table_state


@pytest.fixture(scope="module")
def fresh_db() -> str:
    with scratch_database(f"test_ingest_{os.getpid()}") as url:
        yield url


def quiet_ingest(**kwargs) -> list:
    return ingest_files(progress=lambda _m: None, **kwargs)


def test_shipped_data_loads_into_a_fresh_database_then_a_second_ingest_changes_nothing(fresh_db):
    first = {c.table: c for c in quiet_ingest(db_url=fresh_db)}
    assert first["games"].inserted == first["games"].rows > 90
    assert first["prize_tier_snapshots"].inserted == first["prize_tier_snapshots"].rows > 80_000
    assert first["powerball_draws"].inserted == 1297
    before = table_state(fresh_db)

    second = quiet_ingest(db_url=fresh_db)
    assert all(c.inserted == 0 and c.updated == 0 for c in second), second
    assert table_state(fresh_db) == before


def test_active_games_are_those_in_the_latest_snapshot(fresh_db):
    tiers = load_scratchoff()
    latest = set(tiers.loc[tiers.snapshot_date == tiers.snapshot_date.max(), "game_number"])
    with connect(fresh_db) as conn:
        active = {r[0] for r in conn.execute("select game_number from games where is_active")}
        top = conn.execute(
            "select top_prize_amount, total_top_prizes from games where game_number = %s",
            (sorted(latest)[0],),
        ).fetchone()
    assert active == latest
    game = tiers[tiers.game_number == sorted(latest)[0]]
    assert float(top[0]) == game.prize_amount.max()
    assert top[1] == game.loc[game.prize_amount.idxmax(), "prizes_printed"]


def test_the_database_gives_back_the_same_canonical_frame(fresh_db):
    with connect(fresh_db) as conn, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pandas prefers SQLAlchemy; psycopg works
        from_db = read_scratchoff(conn)
    from_file = load_scratchoff()
    columns = [c for c in from_file.columns if c != "game_name"]  # names: latest one per game
    pd.testing.assert_frame_equal(from_db[columns], from_file[columns])


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_csv(path, index=False)
    return path


@pytest.fixture()
def texas_rows() -> pd.DataFrame:
    return pd.read_csv(TEXAS_FILE, dtype=str, keep_default_na=False).head(200)


@pytest.mark.parametrize(
    ("change", "row", "column"),
    [
        (lambda f: f.drop(columns=["prizes_remaining"]), None, "prizes_remaining"),
        (
            lambda f: f.assign(prizes_printed=f.prizes_printed.mask(f.index == 7, "lots")),
            9,
            "prizes_printed",
        ),
        (
            lambda f: f.assign(prizes_remaining=f.prizes_remaining.mask(f.index == 3, "-1")),
            5,
            "prizes_remaining",
        ),
        (
            lambda f: f.assign(prizes_remaining=f.prizes_remaining.mask(f.index == 4, "99999999")),
            6,
            "prizes_remaining",
        ),
        (lambda f: pd.concat([f, f.iloc[[10]]], ignore_index=True), 202, "prize_amount"),
        (
            lambda f: f.assign(snapshot_date=f.snapshot_date.mask(f.index == 0, "29/03/2026")),
            2,
            "snapshot_date",
        ),
    ],
    ids=["missing column", "non-numeric", "negative", "remaining>printed", "duplicate", "date"],
)
def test_a_malformed_file_is_refused_naming_file_row_column_and_nothing_is_written(
    fresh_db, texas_rows, tmp_path, change, row, column
):
    bad = write_csv(tmp_path / "bad.csv", change(texas_rows))
    before = table_state(fresh_db)
    with pytest.raises(DataError) as refused:
        quiet_ingest(db_url=fresh_db, scratchoff=[str(bad)], powerball=[str(POWERBALL_FILE)])
    assert (refused.value.file, refused.value.row, refused.value.column) == (str(bad), row, column)
    assert "bad.csv" in str(refused.value)
    assert table_state(fresh_db) == before


def test_a_truncated_gzip_is_refused_and_nothing_is_written(fresh_db, tmp_path):
    data = TEXAS_FILE.read_bytes()
    truncated = tmp_path / "truncated.csv.gz"
    truncated.write_bytes(data[: len(data) // 2])
    before = table_state(fresh_db)
    with pytest.raises(DataError, match="truncated.csv.gz"):
        quiet_ingest(db_url=fresh_db, scratchoff=[str(truncated)])
    assert table_state(fresh_db) == before


def test_a_file_cut_mid_row_is_refused(fresh_db, tmp_path):
    text = gzip.decompress(TEXAS_FILE.read_bytes()).decode()[:5000]
    cut = tmp_path / "cut.csv"
    cut.write_text(text[: text.rfind(",")])  # the last row stops half-way
    with pytest.raises(DataError) as refused:
        quiet_ingest(db_url=fresh_db, scratchoff=[str(cut)])
    assert refused.value.row is not None


def test_the_next_day_adds_its_rows_and_changes_only_what_moved(fresh_db, tmp_path):
    # The last shipped day again as the day after, one game's top prize claimed: its tiers and
    # snapshots are new rows; of the games, only last_scraped_at and that top count move.
    shipped = pd.read_csv(TEXAS_FILE, dtype=str, keep_default_na=False)
    day = shipped[shipped.snapshot_date == shipped.snapshot_date.max()].copy()
    day["snapshot_date"] = "2026-07-22"
    top = day.assign(p=day.prize_amount.astype(float)).groupby("game_number").p.idxmax()
    claimed = next(i for i in top if int(day.prizes_remaining[i]) > 0)
    day.loc[claimed, "prizes_remaining"] = str(int(day.prizes_remaining[claimed]) - 1)
    counts = {
        c.table: c
        for c in quiet_ingest(
            db_url=fresh_db,
            scratchoff=[str(write_csv(tmp_path / "day.csv", day))],
            powerball=[str(POWERBALL_FILE)],
        )
    }
    tiers = counts["prize_tier_snapshots"]
    assert tiers.inserted == len(day) and tiers.updated == 0
    assert counts["games"].inserted == 0 and counts["games"].updated == day.game_number.nunique()
    assert counts["powerball_draws"].updated == counts["powerball_draws"].inserted == 0
    with connect(fresh_db) as conn:
        left = conn.execute(
            "select remaining_top_prizes, last_scraped_at::date::text from games"
            " where game_number = %s",
            (day.game_number[claimed],),
        ).fetchone()
    assert left == (int(day.prizes_remaining[claimed]), "2026-07-22")
