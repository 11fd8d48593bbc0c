"""Features and targets: bounded window, no look-ahead, no NaN, imputation flags."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from trainer.scratchoff.analytics import Tier, game_metrics
from trainer.scratchoff.features import (
    FEATURE_NAMES,
    day_number,
    feature_frame,
    game_features,
    game_histories,
    game_targets,
)
from trainer.tests.scratchoff.scratch_data import synthetic_frame

F = {name: i for i, name in enumerate(FEATURE_NAMES)}


def _day(low_left: int, top_left: int, price: float = 5.0):
    tiers = [Tier(5.0, 1000, low_left), Tier(50.0, 100, low_left // 10), Tier(1000.0, 4, top_left)]
    return game_metrics(tiers, price, 4.0, 10_000)


def test_feature_names_are_unique_and_match_the_row_length() -> None:
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)
    history = {100 + k: _day(900 - 10 * k, 3) for k in range(15)}
    assert len(game_features(history, 114, 90)) == len(FEATURE_NAMES)


def test_day_number() -> None:
    assert day_number("1970-01-02") == 1
    assert day_number(pd.Timestamp("2026-03-29")) == day_number("2026-03-29T00:00:00")


def test_changes_flags_and_days_observed() -> None:
    history = {100 + k: _day(900 - 10 * k, 4 if k < 10 else 3) for k in range(15)}
    x = game_features(history, 114, 90)
    now, week_ago, two_weeks = history[114], history[107], history[100]
    assert x[F["days_observed"]] == 25.0
    assert x[F["lag7_missing"]] == 0.0 and x[F["lag14_missing"]] == 0.0
    assert x[F["ev_change_7d"]] == pytest.approx(now.ev_per_dollar - week_ago.ev_per_dollar)
    assert x[F["ev_change_14d_past"]] == pytest.approx(now.ev_per_dollar - two_weeks.ev_per_dollar)
    assert x[F["sales_velocity_7d"]] == pytest.approx((now.pct_sold - week_ago.pct_sold) / 7)
    assert x[F["top_prizes_claimed_7d"]] == 1.0
    assert x[F["top_prizes_claimed_14d_past"]] == 1.0


def test_missing_lag_is_imputed_by_scaling_and_flagged() -> None:
    history = {100 + k: _day(900 - 10 * k, 3) for k in range(15)}
    del history[107]  # the day exactly 7 days before t=114
    x = game_features(history, 114, 90)
    assert x[F["lag7_missing"]] == 1.0 and x[F["lag14_missing"]] == 0.0
    # the earliest day in [107, 113] is 108: a 6-day change scaled to 7 days
    expected = (history[114].ev_per_dollar - history[108].ev_per_dollar) * 7 / 6
    assert x[F["ev_change_7d"]] == pytest.approx(expected)


def test_a_game_seen_for_one_day_has_zero_changes_and_flags() -> None:
    x = game_features({200: _day(900, 3)}, 200, 200)
    assert x[F["days_observed"]] == 1.0
    assert x[F["lag7_missing"]] == 1.0 and x[F["lag14_missing"]] == 1.0
    for name in (
        "ev_change_7d",
        "ev_change_14d_past",
        "sales_velocity_7d",
        "top_prizes_claimed_7d",
    ):
        assert x[F[name]] == 0.0
    assert all(math.isfinite(v) for v in x)


def test_refused_days_count_as_missing_and_refused_today_gives_none() -> None:
    history = {100 + k: _day(900 - 10 * k, 3) for k in range(15)}
    history[107] = game_metrics([Tier(5.0, 10, 5)], 5.0, None, None)  # refused: one tier
    x = game_features(history, 114, 90)
    assert x[F["lag7_missing"]] == 1.0
    assert game_features(history, 107, 90) is None
    assert game_features(history, 120, 90) is None  # no snapshot on day t


def test_targets() -> None:
    history = {100 + k: _day(900 - 10 * k, 3 if k < 14 else 2) for k in range(15)}
    change, claimed = game_targets(history, 100)
    assert change == pytest.approx(history[114].ev_per_dollar - history[100].ev_per_dollar)
    assert claimed == 1
    assert game_targets(history, 101) is None  # day 115 is unknown


def test_no_look_ahead_and_bounded_window() -> None:
    """Changing any snapshot after day t (or before t-14) leaves day t's features unchanged."""
    frame = synthetic_frame(n_games=4, n_days=50, seed=3)
    base = feature_frame(frame)
    rng = np.random.default_rng(7)
    days = sorted(frame["snapshot_date"].unique())
    for t in (days[10], days[25], days[40]):
        changed = frame.copy()
        later = changed["snapshot_date"] > t
        earlier = changed["snapshot_date"] < t - pd.Timedelta(days=14)
        # later snapshots: counts scrambled, some rows dropped, a new game appears
        changed.loc[later, "prizes_remaining"] = (
            changed.loc[later, "prizes_printed"] * rng.uniform(0, 1, later.sum())
        ).astype("int64")
        # earlier snapshots (outside the window, but keep first_seen): counts scrambled too
        first_days = changed.groupby("game_number")["snapshot_date"].transform("min")
        scramble = earlier & (changed["snapshot_date"] > first_days)
        changed.loc[scramble, "prizes_remaining"] = 0
        changed = changed.drop(changed.index[later & (rng.random(len(changed)) < 0.3)])
        after = feature_frame(changed)
        day_t = day_number(pd.Timestamp(t))
        a = base[base["day"] == day_t].set_index("game_number")[FEATURE_NAMES]
        b = after[after["day"] == day_t].set_index("game_number")[FEATURE_NAMES]
        assert len(a) > 0
        pd.testing.assert_frame_equal(a, b.loc[a.index])


def test_no_look_ahead_pure_function() -> None:
    frame = synthetic_frame(n_games=2, n_days=40, seed=5)
    for _, (_, history) in game_histories(frame).items():
        first = min(history)
        for t in sorted(history)[5::7]:
            want = game_features(history, t, first)
            future = {d: m for d, m in history.items() if d <= t}
            future[t + 1] = game_metrics([Tier(1.0, 10, 0), Tier(2.0, 5, 5)], 1.0, 2.0, None)
            assert game_features(future, t, first) == want


def test_no_nan_in_features() -> None:
    frame = synthetic_frame(n_games=6, n_days=60, seed=1)
    features = feature_frame(frame)
    X = features[FEATURE_NAMES].to_numpy(dtype=np.float64)
    assert np.isfinite(X).all()
    assert features["lag7_missing"].max() == 1.0  # gaps and starts exercised the imputation
    labelled = features["ev_change_14d"].notna()
    assert labelled.any() and (~labelled).any()
