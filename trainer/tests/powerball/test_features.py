"""Powerball features: known values on a hand-made history, no look-ahead, train = serve."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from trainer.powerball.features import (
    FEATURE_NAMES,
    HISTORY_WINDOW,
    RED,
    RED_FEATURE_NAMES,
    WHITE,
    WHITE_FEATURE_NAMES,
    feature_table,
    next_draw_features,
    window_features,
)
from trainer.powerball.load import WHITE_COLUMNS, load_powerball

COL = {name: i for i, name in enumerate(FEATURE_NAMES)}


def _frame(whites: list[list[int]], reds: list[int]) -> pd.DataFrame:
    frame = pd.DataFrame(whites, columns=WHITE_COLUMNS)
    frame.insert(0, "draw_date", pd.date_range("2016-01-02", periods=len(whites), freq="3D"))
    frame["powerball"] = reds
    return frame


def _hand_made() -> pd.DataFrame:
    """100 draws of {60..64} + Powerball 1, except: 7 replaces 60 in the newest draw and 3 and 30
    draws before it; 2 replaces 61 in the oldest draw; the newest Powerball is 26."""
    whites = [[60, 61, 62, 63, 64] for _ in range(HISTORY_WINDOW)]
    for back in (0, 3, 30):
        whites[HISTORY_WINDOW - 1 - back][0] = 7
    whites[0][1] = 2
    reds = [1] * HISTORY_WINDOW
    reds[-1] = 26
    return _frame(whites, reds)


def test_feature_name_lists() -> None:
    assert WHITE_FEATURE_NAMES == RED_FEATURE_NAMES == FEATURE_NAMES
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES) == 9


def test_known_values_white() -> None:
    white, red = next_draw_features(_hand_made())
    assert white.shape == (69, len(FEATURE_NAMES)) and white.dtype == np.float32
    assert red.shape == (26, len(FEATURE_NAMES)) and red.dtype == np.float32

    def row(n: int) -> list[float]:
        return white[n - 1].tolist()

    f32 = np.float32
    # number 7: in the newest draw, 3 and 30 draws back; 63 numbers have fewer hits in 25 draws
    assert row(7) == [
        7, f32(0.2), f32(0.08), f32(0.06), f32(0.03), 0, f32(0.2 - 0.03), f32(0.08 - 0.03),
        f32(63 / 68),
    ]  # fmt: skip
    # number 1: never seen
    assert row(1) == [1, 0, 0, 0, 0, HISTORY_WINDOW, 0, 0, 0]
    # number 2: only in the oldest draw of the window
    assert row(2)[COL["freq_100"]] == f32(0.01)
    assert row(2)[COL["freq_50"]] == 0
    assert row(2)[COL["draws_since_seen"]] == 99
    # number 60: replaced by 7 three times
    assert row(60)[COL["freq_10"]] == f32(0.8)
    assert row(60)[COL["draws_since_seen"]] == 1
    # numbers 61-64 are in every recent draw: hottest, 65 numbers below them
    assert row(64)[COL["hot_rank_25"]] == f32(65 / 68)
    assert row(61)[COL["freq_100"]] == f32(0.99)


def test_known_values_red() -> None:
    _, red = next_draw_features(_hand_made())
    assert red[25].tolist()[:6] == [26, *np.float32([0.1, 0.04, 0.02, 0.01]), 0]
    assert red[0, COL["freq_10"]] == np.float32(0.9)
    assert red[0, COL["draws_since_seen"]] == 1
    assert red[1, COL["draws_since_seen"]] == HISTORY_WINDOW


def test_next_draw_uses_only_last_window_and_sorts_by_date() -> None:
    draws = load_powerball().iloc[:150]
    white, red = next_draw_features(draws)
    # older draws are irrelevant
    w2, r2 = next_draw_features(draws.iloc[-HISTORY_WINDOW:])
    assert np.array_equal(white, w2) and np.array_equal(red, r2)
    # row order of the input is irrelevant
    w3, r3 = next_draw_features(draws.sample(frac=1.0, random_state=1))
    assert np.array_equal(white, w3) and np.array_equal(red, r3)
    with pytest.raises(ValueError):
        next_draw_features(draws.iloc[: HISTORY_WINDOW - 1])


def test_training_rows_equal_serving_rows() -> None:
    draws = load_powerball().iloc[:140]
    table = feature_table(draws, WHITE)
    red_table = feature_table(draws, RED)
    for s in (100, 117, 139):
        white, red = next_draw_features(draws.iloc[:s])
        assert np.array_equal(table.X[table.draw_index == s], white)
        assert np.array_equal(red_table.X[red_table.draw_index == s], red)


def _scramble_after(draws: pd.DataFrame, t: int, seed: int) -> pd.DataFrame:
    """Replace every draw after position t with different valid random numbers."""
    rng = np.random.default_rng(seed)
    out = draws.copy()
    for i in range(t + 1, len(out)):
        out.loc[i, WHITE_COLUMNS] = np.sort(rng.choice(69, 5, replace=False) + 1)
        out.loc[i, "powerball"] = int(rng.integers(1, 27))
    return out


@pytest.mark.parametrize("t", [100, 150, 201])
def test_no_look_ahead(t: int) -> None:
    draws = load_powerball().iloc[:230].reset_index(drop=True)
    changed = _scramble_after(draws, t, seed=t)
    for ball in (WHITE, RED):
        before, after = feature_table(draws, ball), feature_table(changed, ball)
        # a draw's features use only earlier draws: rows up to draw t+1 cannot move
        keep = before.draw_index <= t + 1
        assert np.array_equal(before.X[keep], after.X[keep])
        assert np.array_equal(before.y[before.draw_index <= t], after.y[after.draw_index <= t])
        # and the test can fail: later rows do move
        assert not np.array_equal(before.X[~keep], after.X[~keep])


@settings(max_examples=40, deadline=None)
@given(arrays(bool, (HISTORY_WINDOW, 26)))
def test_feature_bounds(window: np.ndarray) -> None:
    f = window_features(window)
    assert np.isfinite(f).all()
    for name in ("freq_10", "freq_25", "freq_50", "freq_100", "hot_rank_25"):
        assert ((f[:, COL[name]] >= 0) & (f[:, COL[name]] <= 1)).all()
    since = f[:, COL["draws_since_seen"]]
    assert ((since >= 0) & (since <= HISTORY_WINDOW)).all()
    assert np.array_equal(since == HISTORY_WINDOW, f[:, COL["freq_100"]] == 0)


@given(st.integers(1, 99))
def test_window_length_enforced(length: int) -> None:
    with pytest.raises(ValueError):
        window_features(np.zeros((length, 69), dtype=bool))


def test_table_before_keeps_only_earlier_draws() -> None:
    table = feature_table(load_powerball().iloc[:130], RED)
    early = table.before(110)
    assert early.draw_index.max() == 109 and len(early.X) == 10 * 26
    assert len(early.draw_dates) == 10 and early.draw_dates[-1] == table.draw_dates[9]
