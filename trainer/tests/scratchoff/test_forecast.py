"""Time-ordered splitter, deterministic fits, and the trained model bundle."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.tree import DecisionTreeRegressor

from trainer.scratchoff import forecast
from trainer.scratchoff.features import FEATURE_NAMES, feature_frame
from trainer.scratchoff.forecast import (
    SPECS,
    DayForwardSplit,
    grid_search,
    labelled,
    matrix,
    predict,
)
from trainer.tests.scratchoff.scratch_data import synthetic_frame


@pytest.mark.parametrize("n_splits", [2, 3, 4, 6])
@pytest.mark.parametrize("gap", [0, 1, 14])
def test_splitter_never_trains_on_a_later_day(n_splits: int, gap: int) -> None:
    rng = np.random.default_rng(n_splits * 100 + gap)
    days = rng.choice(np.arange(1000, 1090), size=2000)  # unordered rows, repeated days
    splitter = DayForwardSplit(n_splits=n_splits, gap=gap)
    folds = list(splitter.split(groups=days))
    assert len(folds) == splitter.get_n_splits(groups=days) >= 1
    previous_test_start = -1
    for train, test in folds:
        assert train.size and test.size
        assert days[train].max() <= days[test].min() - gap  # labels known by the scored days
        assert days[train].max() < days[test].min()
        assert not set(days[train]) & set(days[test])
        assert days[test].min() > previous_test_start  # folds move forward in time
        previous_test_start = days[test].min()
        # a day is never split between train and test, and the test block is every row of it
        assert set(np.flatnonzero(np.isin(days, days[test]))) == set(test)


def test_splitter_needs_days_and_enough_of_them() -> None:
    with pytest.raises(ValueError):
        list(DayForwardSplit().split(np.zeros((3, 1))))
    with pytest.raises(ValueError):
        list(DayForwardSplit(n_splits=2, gap=14).split(groups=np.arange(10)))


def test_splitter_works_inside_grid_search() -> None:
    days = np.repeat(np.arange(60), 5)
    X = days[:, None].astype(float)
    y = days.astype(float)
    search = GridSearchCV(
        DecisionTreeRegressor(random_state=0), {"max_depth": [1, 2]}, cv=DayForwardSplit(3, 7)
    )
    search.fit(X, y, groups=days)
    assert search.n_splits_ == 3


@pytest.fixture(scope="module")
def small_features():
    return feature_frame(synthetic_frame(n_games=6, n_days=60, seed=2))


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_small_fit_is_deterministic(spec, small_features) -> None:
    rows = labelled(small_features, spec.target)
    grid = {k: v[:1] for k, v in spec.grid.items()}
    fixed = {"n_estimators": 10}
    small = forecast.ModelSpec(
        spec.name, spec.target, spec.kind, spec.library, grid, {**spec.fixed, **fixed}
    )
    X = matrix(small_features)
    first = predict(grid_search(small, rows, DayForwardSplit(2, gap=3)).estimator, small, X)
    second = predict(grid_search(small, rows, DayForwardSplit(2, gap=3)).estimator, small, X)
    assert np.array_equal(first, second)
    assert np.isfinite(first).all()


def test_train_models_bundle(monkeypatch, small_features) -> None:
    monkeypatch.setitem(forecast.RF_FIXED, "n_estimators", 5)
    monkeypatch.setitem(forecast.XGB_FIXED, "n_estimators", 5)
    monkeypatch.setitem(forecast.RF_GRID, "max_depth", [3])
    monkeypatch.setitem(forecast.RF_GRID, "min_samples_leaf", [10])
    monkeypatch.setitem(forecast.XGB_GRID, "max_depth", [2])
    monkeypatch.setitem(forecast.XGB_GRID, "learning_rate", [0.1])
    messages: list[str] = []
    models = forecast.train_models(messages.append, frame=synthetic_frame(6, 60, 2))
    assert [m.name for m in models] == [
        "ev_change_14d_rf",
        "ev_change_14d_xgb",
        "top_prize_claim_14d_rf",
        "top_prize_claim_14d_xgb",
    ]
    assert any("[4/4]" in m for m in messages)  # progress while training
    for m in models:
        assert m.family == "scratchoff" and m.feature_names == FEATURE_NAMES
        assert m.X_golden.dtype == np.float32 and m.X_golden.shape[1] == len(FEATURE_NAMES)
        assert np.isfinite(m.X_golden).all()
        assert len(m.extra["golden_rows"]) == len(m.X_golden)
        ref = m.extra["ai_score_reference"]
        assert len(ref) == 201 and ref == sorted(ref)
        if m.library == "xgboost":
            assert m.estimator.get_booster().feature_names is None  # i.e. f0..fn in ONNX
        out = predict(m.estimator, next(s for s in SPECS if s.name == m.name), m.X_golden)
        assert np.isfinite(out).all()
    labels = models[0].extra["golden_rows"]
    for case in (
        "tier_sold_out",
        "top_prize_gone",
        "seen_one_day",
        "no_published_odds",
        "lowest_price",
        "highest_price",
    ):
        assert f"edge:{case}" in labels
