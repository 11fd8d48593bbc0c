"""Powerball number models: "is this number drawn in this draw?" over (draw, number) rows.

Four models: {white, red} x {XGBoost, RandomForest}, named powerball_<ball>_<xgb|rf>. The
hyperparameters come from GridSearchCV over a time-ordered k-fold grouped by draw (every fold
trains on draws strictly before the draws it scores), scored by log-loss. Seeds are fixed and the
fits are deterministic. Grids are small on purpose: all four train in well under a minute on two
cores, and each exported ONNX file stays far under 2 MB (RF <= 100 trees of depth <= 8, XGBoost
<= 200 trees of depth <= 4).

A model's output for a number is P(drawn) for that number; what the edge function serves is
derived from the scores of all numbers of the next draw (see inclusion_probabilities and
sampling_weights).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import GridSearchCV
from xgboost import XGBClassifier

from trainer.powerball.features import (
    HISTORY_WINDOW,
    WHITE,
    Ball,
    FeatureTable,
    indicator_matrix,
    next_draw_features,
    window_features,
)

SEED = 20151007
N_SPLITS = 4
FAMILY = "powerball"
MODEL_KINDS = ("xgb", "rf")

# Small grids (see module docstring for the size bounds they respect).
GRIDS: dict[str, dict[str, list[Any]]] = {
    "xgb": {"n_estimators": [50, 200], "max_depth": [2, 4], "learning_rate": [0.05]},
    "rf": {"n_estimators": [100], "max_depth": [4, 8], "min_samples_leaf": [100]},
}


def model_name(ball: Ball, kind: str) -> str:
    return f"powerball_{ball.name}_{kind}"


def make_estimator(kind: str, ball: Ball) -> BaseEstimator:
    """The unfitted base estimator, seeded; GridSearchCV sets the grid's parameters."""
    if kind == "xgb":
        return XGBClassifier(
            objective="binary:logistic",
            tree_method="hist",
            # an explicit base score (the uniform rate) rather than one estimated from the data
            base_score=ball.base_rate,
            min_child_weight=20.0,
            subsample=1.0,
            colsample_bytree=1.0,
            n_jobs=1,  # OpenMP threads spin badly on a busy 2-core box; one thread is faster here
            random_state=SEED,
            eval_metric="logloss",
        )
    if kind == "rf":
        return RandomForestClassifier(
            criterion="gini",
            max_features="sqrt",
            max_samples=0.25,  # quarter-size bootstrap samples: 4x faster, ample rows for depth 8
            n_jobs=2,
            random_state=SEED,
        )
    raise ValueError(f"unknown model kind {kind!r}")


@dataclass
class DrawTimeSeriesSplit:
    """Expanding-window k-fold over draws in time order: fold i trains on the first i+1 blocks of
    draws and scores the next block, so no fold trains on a draw later than any it scores.
    `groups` is each row's draw index (its position in the date-ordered history)."""

    n_splits: int = N_SPLITS

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        return self.n_splits

    def split(
        self, X: Any, y: Any = None, groups: Any = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        if groups is None:
            raise ValueError("DrawTimeSeriesSplit needs groups = draw index per row")
        groups = np.asarray(groups)
        draws = np.unique(groups)  # sorted: time order
        if len(draws) < self.n_splits + 1:
            raise ValueError(f"{len(draws)} draws cannot make {self.n_splits} folds")
        blocks = np.array_split(draws, self.n_splits + 1)
        for i in range(self.n_splits):
            last_train = blocks[i][-1]
            test = blocks[i + 1]
            train_idx = np.flatnonzero(groups <= last_train)
            test_idx = np.flatnonzero((groups >= test[0]) & (groups <= test[-1]))
            yield train_idx, test_idx


def grid_search(
    kind: str, ball: Ball, table: FeatureTable, n_splits: int = N_SPLITS, refit: bool = True
) -> GridSearchCV:
    """GridSearchCV (neg log-loss, time-ordered folds by draw), refitted on all rows if refit."""
    search = GridSearchCV(
        make_estimator(kind, ball),
        GRIDS[kind],
        scoring="neg_log_loss",
        cv=DrawTimeSeriesSplit(n_splits),
        n_jobs=1,  # the estimators use both cores; one search worker keeps results deterministic
        refit=refit,
        error_score="raise",
    )
    search.fit(table.X, table.y, groups=table.draw_index)
    if refit:
        serial_predictions(search.best_estimator_)
    return search


def serial_predictions(estimator: Any) -> Any:
    """A fitted forest sums its trees' votes in thread completion order when n_jobs > 1, which
    moves predictions in the last bit from run to run; predicting on one thread is exact."""
    if isinstance(estimator, RandomForestClassifier):
        estimator.set_params(n_jobs=1)
    return estimator


def fit_with(kind: str, ball: Ball, params: dict[str, Any], X: np.ndarray, y: np.ndarray) -> Any:
    """A fresh estimator with the given hyperparameters fitted on X (float32), y."""
    estimator = clone(make_estimator(kind, ball)).set_params(**params)
    return serial_predictions(estimator.fit(np.asarray(X, dtype=np.float32), y))


def positive_scores(estimator: Any, X: np.ndarray) -> np.ndarray:
    """P(drawn) per row, as the ONNX model's probability column 1."""
    return estimator.predict_proba(np.asarray(X, dtype=np.float32))[:, 1]


def inclusion_probabilities(scores: np.ndarray, per_draw: int, eps: float = 1e-6) -> np.ndarray:
    """Per-number chance of being drawn next: scores rescaled to sum to `per_draw` (5 for whites,
    1 for the Powerball), clipped into (0, 1). Used for log-loss against 5/69 and 1/26."""
    scores = np.clip(np.asarray(scores, dtype=np.float64), eps, None)
    return np.clip(scores * per_draw / scores.sum(), eps, 1 - eps)


def sampling_weights(scores: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """A distribution over numbers summing to 1 (scores normalised), for drawing tickets: pick
    sequentially without replacement with these weights. For whites the resulting inclusion
    chances are close to, not exactly, 5 x weight; for near-uniform scores the gap is tiny."""
    scores = np.clip(np.asarray(scores, dtype=np.float64), eps, None)
    return scores / scores.sum()


def top_numbers(scores: np.ndarray, k: int) -> np.ndarray:
    """The k numbers (1-based) with the highest scores; ties go to the lower number."""
    order = np.lexsort((np.arange(len(scores)), -np.asarray(scores)))
    return np.sort(order[:k] + 1)


def golden_rows(draws: pd.DataFrame, ball: Ball) -> np.ndarray:
    """float32 rows for the golden vectors: real next-draw rows, a few real past rows, and edge
    cases (never seen in the window, seen in every recent draw, extremes of each feature)."""
    white, red = next_draw_features(draws)
    next_rows = white if ball is WHITE else red
    hits = indicator_matrix(draws, ball)
    past = window_features(hits[len(hits) - 1 - HISTORY_WINDOW : len(hits) - 1])
    never = np.zeros((HISTORY_WINDOW, ball.n_numbers), dtype=bool)
    never[:, 1:] = True  # number 1 never seen, every other number seen in every draw
    every = np.zeros((HISTORY_WINDOW, ball.n_numbers), dtype=bool)
    every[:, 0] = True  # number 1 seen in every draw, the rest never
    edge = np.vstack([window_features(never)[[0, -1]], window_features(every)[[0, -1]]])
    return np.vstack([next_rows[:3], next_rows[-2:], past[:3], edge]).astype(np.float32)
