"""Ingest is monotone in time (issue 13): data older than what is stored fills gaps in the history
and never overwrites a game's current attributes or its active flag; a stored day never changes
silently; a price change mid-history is recorded and each day's metrics use that day's price.
Needs the local stack."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from trainer.data import DataError
from trainer.db import connect
from trainer.scratchoff.store import read_scratchoff
from trainer.tests.hostile import (
    ingest,
    scratch_rows,
    table_state,
    write_rows,
)

GAME_COLUMNS = (
    "name, ticket_price, overall_odds, total_tickets_printed, top_prize_amount,"
    " total_top_prizes, remaining_top_prizes, is_active, first_seen, last_scraped_at"
)


def games(url: str) -> dict[str, tuple]:
    with connect(url) as conn:
        rows = conn.execute(f"select game_number, {GAME_COLUMNS} from public.games").fetchall()
    return {r[0]: r[1:] for r in rows}


def days_stored(url: str) -> list[str]:
    with connect(url) as conn:
        rows = conn.execute(
            "select distinct snapshot_date::text from public.historical_snapshots order by 1"
        ).fetchall()
    return [r[0] for r in rows]


def test_an_older_file_fills_the_history_but_keeps_the_current_attributes(empty_db, tmp_path):
    history = scratch_rows(4)
    newer = history[history.snapshot_date >= "2026-03-03"]
    # The older days carry other attributes (a renamed game, other odds); game 1002 has no odds in
    # the newer days.
    older = history[(history.snapshot_date <= "2026-03-02")].assign(
        game_name="Old name", overall_odds="3.9"
    )
    ingest(empty_db, scratchoff=[write_rows(tmp_path / "newer.csv", newer)])
    current = games(empty_db)

    ingest(empty_db, scratchoff=[write_rows(tmp_path / "older.csv", older)])
    after = games(empty_db)
    assert days_stored(empty_db) == ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"]
    assert current["1001"][2] is not None and current["1002"][2] is None
    for game, attributes in current.items():
        # first_seen (index 8) moves back to the older day; odds (index 2) the newer file lacked
        # are filled (a game's odds are its whole life's); nothing else moves.
        expected = list(attributes)
        expected[2] = 3.9 if attributes[2] is None else attributes[2]
        assert after[game][:8] + after[game][9:] == tuple(expected[:8] + expected[9:]), game
        assert str(after[game][8]) == "2026-03-01"


def test_an_older_file_does_not_reactivate_a_game_that_has_ended(empty_db, tmp_path):
    history = scratch_rows(4)
    # Game 1002 ended after day 2: the newer days have game 1001 only.
    newer = history[(history.snapshot_date >= "2026-03-03") & (history.game_number == "1001")]
    older = history[history.snapshot_date <= "2026-03-02"]
    ingest(empty_db, scratchoff=[write_rows(tmp_path / "newer.csv", newer)])
    ingest(empty_db, scratchoff=[write_rows(tmp_path / "older.csv", older)])
    active = {g: a[7] for g, a in games(empty_db).items()}
    assert active == {"1001": True, "1002": False}


def test_a_stored_day_that_would_change_is_refused(empty_db, tmp_path):
    ingest(empty_db, scratchoff=[write_rows(tmp_path / "days.csv", scratch_rows(2))])
    changed = scratch_rows(2)
    changed.loc[6, "prizes_remaining"] = str(int(changed.prizes_remaining[6]) - 5)
    path = write_rows(tmp_path / "changed.csv", changed)
    before = table_state(empty_db)
    with pytest.raises(DataError) as info:
        ingest(empty_db, scratchoff=[path])
    assert table_state(empty_db) == before
    assert (info.value.file, info.value.row, info.value.column) == (
        str(path),
        8,
        "prizes_remaining",
    )
    assert "stored" in info.value.message


def test_the_same_file_twice_changes_nothing(empty_db, tmp_path):
    path = write_rows(tmp_path / "days.csv", scratch_rows(3))
    ingest(empty_db, scratchoff=[path])
    before = table_state(empty_db)
    counts, _ = ingest(empty_db, scratchoff=[path])
    assert all(c.inserted == c.updated == 0 for c in counts), counts
    assert table_state(empty_db) == before


def snapshot_prices(url: str) -> dict[str, float]:
    with connect(url) as conn:
        rows = conn.execute(
            "select h.snapshot_date::text, h.ticket_price from public.historical_snapshots h"
            " join public.games g on g.id = h.game_id where g.game_number = '1001'"
        ).fetchall()
    return dict(rows)


def test_a_price_change_mid_history_is_recorded_and_each_day_uses_its_own_price(empty_db, tmp_path):
    history = scratch_rows(4)
    repriced = history.assign(
        ticket_price=history.ticket_price.mask(
            (history.game_number == "1001") & (history.snapshot_date >= "2026-03-03"), "10"
        )
    )
    _, lines = ingest(empty_db, scratchoff=[write_rows(tmp_path / "repriced.csv", repriced)])
    warning = [line for line in lines if "warning" in line and "ticket_price" in line]
    assert warning and "1001" in warning[0] and "2026-03-03" in warning[0], lines
    assert snapshot_prices(empty_db) == {
        "2026-03-01": 5.0, "2026-03-02": 5.0, "2026-03-03": 10.0, "2026-03-04": 10.0
    }  # fmt: skip
    assert float(games(empty_db)["1001"][1]) == 10.0
    # The history read back for training keeps each day's own price.
    with connect(empty_db) as conn, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        frame = read_scratchoff(conn)
    game = frame[frame.game_number == "1001"].groupby("snapshot_date").ticket_price.first()
    assert game.to_dict() == {
        pd.Timestamp(f"2026-03-0{d}"): p for d, p in ((1, 5.0), (2, 5.0), (3, 10.0), (4, 10.0))
    }
    # The edge functions do too: supabase/tests/test_ingest_door.py (predict for a past date).


def test_a_price_change_against_the_stored_history_is_recorded(empty_db, tmp_path):
    history = scratch_rows(3)
    ingest(empty_db, scratchoff=[write_rows(tmp_path / "old.csv", history.head(12))])
    day3 = history[history.snapshot_date == "2026-03-03"].assign(ticket_price="7")
    _, lines = ingest(empty_db, scratchoff=[write_rows(tmp_path / "day3.csv", day3)])
    warning = [line for line in lines if "warning" in line and "ticket_price" in line]
    assert len(warning) == 2 and "1001" in warning[0] and "1002" in warning[1], lines
    assert snapshot_prices(empty_db) == {"2026-03-01": 5.0, "2026-03-02": 5.0, "2026-03-03": 7.0}
