"""Powerball models: time-ordered folds, determinism, probability helpers, golden rows."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.powerball.features import FEATURE_NAMES, HISTORY_WINDOW, RED, WHITE, feature_table
from trainer.powerball.load import load_powerball
from trainer.powerball.models import (
    GRIDS,
    DrawTimeSeriesSplit,
    golden_rows,
    grid_search,
    inclusion_probabilities,
    make_estimator,
    model_name,
    positive_scores,
    sampling_weights,
    top_numbers,
)


@settings(max_examples=30, deadline=None)
@given(
    n_draws=st.integers(5, 60),
    per_draw=st.integers(1, 7),
    n_splits=st.integers(2, 4),
    first=st.integers(0, 1000),
)
def test_split_never_trains_on_a_later_draw(
    n_draws: int, per_draw: int, n_splits: int, first: int
) -> None:
    if n_draws < n_splits + 1:
        return
    groups = np.repeat(np.arange(first, first + n_draws), per_draw)
    folds = list(DrawTimeSeriesSplit(n_splits).split(groups, groups=groups))
    assert len(folds) == n_splits
    tested: list[int] = []
    for train, test in folds:
        assert len(train) and len(test)
        assert groups[train].max() < groups[test].min()
        # a draw's rows are never split between train and test
        assert not set(groups[train]) & set(groups[test])
        tested.extend(np.unique(groups[test]).tolist())
    assert len(tested) == len(set(tested))  # each draw is scored at most once


def test_split_refuses_without_groups_or_draws() -> None:
    with pytest.raises(ValueError):
        list(DrawTimeSeriesSplit(4).split(np.zeros(10)))
    with pytest.raises(ValueError):
        list(DrawTimeSeriesSplit(4).split(np.zeros(4), groups=np.arange(4)))


def test_split_on_real_table_is_time_ordered() -> None:
    table = feature_table(load_powerball().iloc[:180], RED)
    for train, test in DrawTimeSeriesSplit().split(table.X, groups=table.draw_index):
        assert (
            table.draw_dates[table.draw_index[train].max() - HISTORY_WINDOW]
            < (table.draw_dates[table.draw_index[test].min() - HISTORY_WINDOW])
        )


def test_size_bounds_of_grids() -> None:
    assert max(GRIDS["rf"]["n_estimators"]) <= 100 and max(GRIDS["rf"]["max_depth"]) <= 8
    assert max(GRIDS["xgb"]["n_estimators"]) <= 200 and max(GRIDS["xgb"]["max_depth"]) <= 4


@pytest.mark.parametrize("kind", ["xgb", "rf"])
def test_grid_search_is_deterministic(kind: str) -> None:
    table = feature_table(load_powerball().iloc[:200], WHITE)
    first = grid_search(kind, WHITE, table, n_splits=2)
    second = grid_search(kind, WHITE, table, n_splits=2)
    assert first.best_params_ == second.best_params_
    a = positive_scores(first.best_estimator_, table.X[:500])
    b = positive_scores(second.best_estimator_, table.X[:500])
    assert np.array_equal(a, b)
    assert ((a > 0) & (a < 1)).all()


def test_xgb_uses_f_names_and_uniform_base() -> None:
    est = make_estimator("xgb", RED)
    assert est.get_params()["base_score"] == pytest.approx(1 / 26)
    table = feature_table(load_powerball().iloc[:130], RED)
    est.set_params(n_estimators=5, max_depth=2).fit(table.X, table.y)
    assert est.get_booster().feature_names is None or est.get_booster().feature_names[0] == "f0"


def test_probability_helpers() -> None:
    scores = np.linspace(0.05, 0.09, 69)
    inc = inclusion_probabilities(scores, 5)
    assert inc.sum() == pytest.approx(5)
    assert (np.diff(inc) > 0).all()
    w = sampling_weights(scores)
    assert w.sum() == pytest.approx(1)
    assert np.allclose(inc, 5 * w)
    assert inclusion_probabilities(np.zeros(26), 1) == pytest.approx(np.full(26, 1 / 26))


def test_top_numbers_ties_go_low() -> None:
    assert top_numbers(np.array([0.1, 0.3, 0.3, 0.2, 0.3]), 2).tolist() == [2, 3]
    assert top_numbers(np.full(69, 0.07), 5).tolist() == [1, 2, 3, 4, 5]


def test_golden_rows() -> None:
    rows = golden_rows(load_powerball(), WHITE)
    assert rows.dtype == np.float32 and rows.shape[1] == len(FEATURE_NAMES)
    since = rows[:, FEATURE_NAMES.index("draws_since_seen")]
    assert (since == HISTORY_WINDOW).any()  # a number never seen in the window
    assert (rows[:, FEATURE_NAMES.index("freq_10")] == 1).any()  # seen in every draw
    assert model_name(RED, "rf") == "powerball_red_rf"
