"""The scratch-off forecasting models (DESIGN.md, Forecasts): family "scratchoff".

Four models: RandomForest and XGBoost for each target (ev_change_14d regression,
top_prize_claim_14d classification). Hyperparameters come from GridSearchCV over the small grids
below, with `DayForwardSplit`: time-ordered folds grouped by day, where no fold trains on a day
later than the days it scores, and a training day's 14-day label must be known by the first
scored day (day <= first scored day - 14).

Grids (kept small: each ONNX file <= 2 MB, all four models in well under a minute on 2 cores):
- RandomForest: n_estimators 100, max_features 0.5, max_depth {4, 6}, min_samples_leaf {10, 40}.
- XGBoost: n_estimators 200, subsample 0.8, colsample_bytree 0.8, max_depth {2, 4},
  learning_rate {0.03, 0.1}, min_child_weight 5, tree_method hist.
Scoring: mean absolute error (regression), log-loss (classification).

Determinism: every estimator has a fixed seed and runs on one thread, and the grid search runs
its fits in N_JOBS worker processes (each fit is independent, so the result does not depend on
scheduling). One thread per model matters: a forest predicting on several threads adds the trees'
outputs in whatever order the threads finish, which changes the last bits; and XGBoost's OpenMP
threads slow down badly on a busy 2-core machine.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.model_selection import GridSearchCV
from xgboost import XGBClassifier, XGBRegressor

from trainer.modeling import Progress, TrainedModel, print_progress
from trainer.scratchoff.analytics import GameMetrics, Tier, game_metrics
from trainer.scratchoff.features import (
    FEATURE_NAMES,
    HORIZON_DAYS,
    day_iso,
    feature_frame,
    game_features,
)
from trainer.scratchoff.load import (
    SCRATCHOFF_COLUMNS,
    SCRATCHOFF_KEY,
    TEXAS_FILE,
    TIER_COLUMNS,
    load_scratchoff,
)
from trainer.scratchoff.prediction import forecast_ev_per_dollar, reference_quantiles

FAMILY = "scratchoff"
SEED = 20260329
N_JOBS = 2
CV_SPLITS = 4

RF_FIXED = {"n_estimators": 100, "max_features": 0.5, "random_state": SEED, "n_jobs": 1}
RF_GRID = {"max_depth": [4, 6], "min_samples_leaf": [10, 40]}
XGB_FIXED = {
    "n_estimators": 200,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "min_child_weight": 5,
    "tree_method": "hist",
    "random_state": SEED,
    "n_jobs": 1,
}
XGB_GRID = {"max_depth": [2, 4], "learning_rate": [0.03, 0.1]}

TARGET_TEXT = {
    "ev_change_14d": "ev_per_dollar(t+14) - ev_per_dollar(t): change in gross prizes per dollar",
    "top_prize_claim_14d": "probability that at least one top prize is claimed in (t, t+14]",
}

DATA_FILES = [TEXAS_FILE]  # what export trains on with --source files
# The columns the rows hash covers: everything the models learn from. game_name is left out: the
# files carry each day's name, the database keeps a game's latest one.
HASHED_COLUMNS = [c for c in SCRATCHOFF_COLUMNS + TIER_COLUMNS if c != "game_name"]
ROW_KEY = SCRATCHOFF_KEY


# ---- splitter -----------------------------------------------------------------------------------


@dataclass
class DayForwardSplit:
    """Time-ordered k-fold grouped by day (pass the day numbers as `groups`).

    The distinct days are cut into n_splits + 1 contiguous blocks; fold i scores block i+1 and
    trains on every day d < first and d <= first - gap (first = the block's first day), so no
    fold trains on a day later than
    the days it scores, and with gap = the label horizon every training label is known by then.
    Folds left with no training day are dropped."""

    n_splits: int = CV_SPLITS
    gap: int = HORIZON_DAYS

    def _folds(self, groups: Any) -> list[tuple[np.ndarray, np.ndarray]]:
        days = np.asarray(groups)
        blocks = np.array_split(np.unique(days), self.n_splits + 1)
        folds = []
        for block in blocks[1:]:
            if block.size == 0:
                continue
            test = np.flatnonzero(np.isin(days, block))
            train = np.flatnonzero((days < block[0]) & (days <= block[0] - self.gap))
            if train.size and test.size:
                folds.append((train, test))
        if not folds:
            raise ValueError("not enough distinct days for a time-ordered split")
        return folds

    def split(self, X: Any = None, y: Any = None, groups: Any = None) -> Iterator[tuple]:
        if groups is None:
            raise ValueError("DayForwardSplit needs groups= the day of every row")
        yield from self._folds(groups)

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        return len(self._folds(groups)) if groups is not None else self.n_splits


# ---- model specs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelSpec:
    name: str
    target: str
    kind: Literal["regressor", "classifier"]
    library: Literal["sklearn", "xgboost"]
    grid: dict[str, list]
    fixed: dict[str, Any]

    @property
    def scoring(self) -> str:
        return "neg_mean_absolute_error" if self.kind == "regressor" else "neg_log_loss"

    def make(self, **params: Any) -> Any:
        args = {**self.fixed, **params}
        if self.library == "sklearn":
            cls = RandomForestRegressor if self.kind == "regressor" else RandomForestClassifier
            return cls(**args)
        if self.kind == "regressor":
            return XGBRegressor(objective="reg:squarederror", **args)
        return XGBClassifier(objective="binary:logistic", eval_metric="logloss", **args)


SPECS = [
    ModelSpec("ev_change_14d_rf", "ev_change_14d", "regressor", "sklearn", RF_GRID, RF_FIXED),
    ModelSpec("ev_change_14d_xgb", "ev_change_14d", "regressor", "xgboost", XGB_GRID, XGB_FIXED),
    ModelSpec(
        "top_prize_claim_14d_rf", "top_prize_claim_14d", "classifier", "sklearn", RF_GRID, RF_FIXED
    ),
    ModelSpec(
        "top_prize_claim_14d_xgb",
        "top_prize_claim_14d",
        "classifier",
        "xgboost",
        XGB_GRID,
        XGB_FIXED,
    ),
]


def matrix(frame: pd.DataFrame) -> np.ndarray:
    """The float32 feature matrix in FEATURE_NAMES order (XGBoost then names features f0..fn)."""
    return np.ascontiguousarray(frame[FEATURE_NAMES].to_numpy(dtype=np.float32))


def labelled(features: pd.DataFrame, target: str) -> pd.DataFrame:
    return features[features[target].notna()]


def target_vector(frame: pd.DataFrame, spec: ModelSpec) -> np.ndarray:
    y = frame[spec.target].to_numpy(dtype=np.float64)
    return y.astype(np.int64) if spec.kind == "classifier" else y


@dataclass
class SearchResult:
    estimator: Any
    params: dict[str, Any]
    cv_score: float  # MAE or log-loss, lower is better
    cv_folds: list[float]
    seconds: float


def grid_search(
    spec: ModelSpec,
    rows: pd.DataFrame,
    splitter: DayForwardSplit | None = None,
    grid: dict[str, list] | None = None,
) -> SearchResult:
    """GridSearchCV of one spec on labelled rows, refitted on all of them."""
    started = time.perf_counter()
    splitter = splitter or DayForwardSplit()
    search = GridSearchCV(
        spec.make(),
        grid or spec.grid,
        scoring=spec.scoring,
        cv=splitter,
        n_jobs=N_JOBS,
        refit=True,
        error_score="raise",
    )
    days = rows["day"].to_numpy()
    search.fit(matrix(rows), target_vector(rows, spec), groups=days)
    best = search.best_index_
    n_folds = splitter.get_n_splits(groups=days)
    folds = [float(-search.cv_results_[f"split{i}_test_score"][best]) for i in range(n_folds)]
    return SearchResult(
        estimator=search.best_estimator_,
        params=dict(search.best_params_),
        cv_score=float(-search.best_score_),
        cv_folds=folds,
        seconds=time.perf_counter() - started,
    )


def fit_fixed(spec: ModelSpec, rows: pd.DataFrame, params: dict[str, Any]) -> Any:
    """One fit with given hyperparameters (the walk-forward evaluation's refits)."""
    return spec.make(**params).fit(matrix(rows), target_vector(rows, spec))


def predict(estimator: Any, spec: ModelSpec, X: np.ndarray) -> np.ndarray:
    """Predicted change (regressor) or probability of a claim (classifier)."""
    if spec.kind == "classifier":
        return estimator.predict_proba(X)[:, 1].astype(np.float64)
    return estimator.predict(X).astype(np.float64)


# ---- data ---------------------------------------------------------------------------------------


def load_frame(source: str = "files", db_url: str | None = None) -> pd.DataFrame:
    """The canonical scratch-off frame from the shipped files or from PostgreSQL."""
    if source == "files":
        return load_scratchoff()
    if source == "db":
        from trainer.db import connect
        from trainer.scratchoff.store import read_scratchoff

        with connect(db_url) as conn:
            return read_scratchoff(conn)
    raise ValueError(f"unknown source {source!r} (files or db)")


def _hashed(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """(columns hashed, sort key) present in the frame: a validated frame has them all; a frame
    made without the tier columns (the tests' synthetic data) is keyed by the prize instead."""
    columns = [c for c in HASHED_COLUMNS if c in frame.columns]
    key = [c for c in [*ROW_KEY, "prize_amount", "prizes_printed"] if c in frame.columns]
    return columns, list(dict.fromkeys(key))


def rows_sha256(frame: pd.DataFrame) -> str:
    """sha256 of the rows as CSV (the hashed columns, sorted by the key, floats as Python's
    repr): the same rows give the same hash whether they came from the files or the database."""
    columns, key = _hashed(frame)
    rows = frame[columns].sort_values(key, kind="stable")
    text = rows.to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%d")
    return hashlib.sha256(text.encode()).hexdigest()


def training_data(frame: pd.DataFrame) -> dict[str, Any]:
    """What the manifest records about the rows a model set learned from."""
    days = frame["snapshot_date"]
    columns, key = _hashed(frame)
    return {
        "first_day": str(days.min().date()),
        "last_day": str(days.max().date()),
        "days": int(days.nunique()),
        "games": int(frame[["state", "game_number"]].drop_duplicates().shape[0]),
        "rows": len(frame),
        "rows_sha256": rows_sha256(frame),
        "hashed": "sha256 of the canonical tier rows as CSV: "
        + ", ".join(columns)
        + "; sorted by "
        + ", ".join(key),
    }


def data_digest(source: str = "files", db_url: str | None = None) -> str:
    """export's fingerprint of this family's data: the rows hash, equal for equal rows from
    either source."""
    return rows_sha256(load_frame(source, db_url))


# ---- golden rows --------------------------------------------------------------------------------


def _game(
    tiers: list[tuple[float, int, int]],
    price: float,
    odds: float | None = 4.0,
    printed: float | None = None,
) -> GameMetrics:
    return game_metrics([Tier(p, n, r) for p, n, r in tiers], price, odds, printed)


def edge_case_histories() -> dict[str, tuple[dict[int, GameMetrics], int, int]]:
    """Made-up games for the golden vectors: name -> (history, day t, first_seen)."""
    base = [(5.0, 400_000, 200_000), (20.0, 100_000, 50_000), (500.0, 400, 200), (50_000.0, 4, 2)]
    t = 20_000

    def series(make: Callable[[int], list[tuple[float, int, int]]], **kw: Any) -> dict:
        return {t - k: _game(make(k), **kw) for k in range(0, 15)}

    def drain(k: int) -> list[tuple[float, int, int]]:  # older days had more left
        return [(p, n, min(n, r + 2_000 * k * n // 400_000)) for p, n, r in base]

    return {
        "tier_sold_out": (
            series(
                lambda k: [*drain(k)[:2], (500.0, 400, 0), drain(k)[3]], price=5.0, printed=1.6e6
            ),
            t,
            t - 40,
        ),
        "top_prize_gone": (
            series(
                lambda k: [*drain(k)[:3], (50_000.0, 4, 0 if k < 5 else 1)],
                price=5.0,
                printed=1.6e6,
            ),
            t,
            t - 60,
        ),
        "seen_one_day": ({t: _game(base, price=10.0, printed=1.6e6)}, t, t),
        "no_published_odds": (series(drain, price=2.0, odds=None, printed=1.6e6), t, t - 30),
        "tickets_from_odds": (series(drain, price=3.0, odds=4.5, printed=None), t, t - 30),
        "lowest_price": (series(drain, price=1.0, printed=1.6e6), t, t - 100),
        "highest_price": (series(drain, price=100.0, printed=1.6e6), t, t - 100),
        "week_gap": (
            {d: m for d, m in series(drain, price=5.0, printed=1.6e6).items() if d > t - 4},
            t,
            t - 90,
        ),
    }


def golden_rows(features: pd.DataFrame, n_real: int = 24) -> tuple[np.ndarray, list[str]]:
    """float32 rows: real ones (cheapest and dearest game, a top-prize-gone day, a day without
    published odds, a short-history day, and a seeded sample) plus the made-up edge cases."""
    picks: list[int] = []
    for mask in (
        features["ticket_price"] == features["ticket_price"].min(),
        features["ticket_price"] == features["ticket_price"].max(),
        features["top_prize_gone"] == 1.0,
        features["odds_published"] == 0.0,
        features["lag14_missing"] == 1.0,
        features["days_observed"] == 1.0,
    ):
        idx = np.flatnonzero(mask.to_numpy())
        if idx.size:
            picks.append(int(idx[0]))
    rng = np.random.default_rng(SEED)
    sample = rng.choice(len(features), size=min(n_real, len(features)), replace=False)
    picks.extend(int(i) for i in sorted(sample) if int(i) not in picks)
    real = features.iloc[picks]
    labels = [f"{r.state}-{r.game_number}@{r.snapshot_date.date()}" for r in real.itertuples()]
    rows = [list(map(float, r)) for r in real[FEATURE_NAMES].to_numpy()]
    for name, (history, t, first_seen) in edge_case_histories().items():
        x = game_features(history, t, first_seen)
        if x is not None:
            rows.append(x)
            labels.append(f"edge:{name}")
    return np.asarray(rows, dtype=np.float32), labels


# ---- training -----------------------------------------------------------------------------------


def train_models(
    progress: Progress = print_progress,
    *,
    frame: pd.DataFrame | None = None,
    source: str = "files",
    db_url: str | None = None,
) -> list[TrainedModel]:
    """Grid-search and fit the four scratch-off models on all labelled days."""
    started = time.perf_counter()
    if frame is None:
        progress(f"loading scratch-off data from {source}")
        frame = load_frame(source, db_url)
    features = feature_frame(frame)
    data = training_data(frame)
    progress(
        f"features: {len(features)} game-days, {features['day'].nunique()} days, "
        f"{len(FEATURE_NAMES)} features ({time.perf_counter() - started:.1f}s)"
    )
    X_golden, golden_labels = golden_rows(features)
    X_all = matrix(features)
    fitted: dict[str, tuple[ModelSpec, SearchResult]] = {}
    for i, spec in enumerate(SPECS, 1):
        rows = labelled(features, spec.target)
        n_combos = int(np.prod([len(v) for v in spec.grid.values()]))
        progress(
            f"[{i}/{len(SPECS)}] {spec.name}: {len(rows)} rows, grid {n_combos} x "
            f"{DayForwardSplit().get_n_splits(groups=rows['day'])} time-ordered folds ..."
        )
        result = grid_search(spec, rows)
        fitted[spec.name] = (spec, result)
        metric = "MAE" if spec.kind == "regressor" else "log-loss"
        progress(
            f"[{i}/{len(SPECS)}] {spec.name}: best {result.params}, CV {metric} "
            f"{result.cv_score:.5f} ({result.seconds:.1f}s)"
        )

    # The ai_score reference: forecast ev_per_dollar 14 days out over every training game-day.
    changes = [
        predict(fitted[n][1].estimator, fitted[n][0], X_all)
        for n in ("ev_change_14d_rf", "ev_change_14d_xgb")
    ]
    current = features["ev_per_dollar"].to_numpy()
    forecasts = [
        forecast_ev_per_dollar(float(c), [float(a), float(b)])
        for c, a, b in zip(current, changes[0], changes[1], strict=True)
    ]
    reference = reference_quantiles(forecasts)
    spread_scale = float(np.median(np.abs(np.concatenate(changes))))
    score_extra = {
        "ai_score_reference": reference,
        "ai_score_reference_meaning": (
            "sorted quantiles (0%, 0.5%, ..., 100%) of the forecast ev_per_dollar 14 days out "
            "(current + mean of the two regressors' predicted change) over the training game-days; "
            "ai_score = 100 x piecewise-linear ECDF, clamped"
        ),
        "confidence_spread_scale": spread_scale,
    }

    models = []
    for spec, result in fitted.values():
        rows = labelled(features, spec.target)
        cv_metric = "mae" if spec.kind == "regressor" else "log_loss"
        metrics: dict[str, Any] = {
            f"cv_{cv_metric}": result.cv_score,  # first: the exporter's headline
            "cv_metric": cv_metric,
            "cv_score": result.cv_score,
            "cv_folds": result.cv_folds,
            "n_train_rows": len(rows),
        }
        if spec.kind == "classifier":
            metrics["positive_rate"] = float(rows[spec.target].mean())
        models.append(
            TrainedModel(
                name=spec.name,
                family=FAMILY,
                kind=spec.kind,
                library=spec.library,
                estimator=result.estimator,
                feature_names=list(FEATURE_NAMES),
                target=TARGET_TEXT[spec.target],
                hyperparameters={**spec.fixed, **result.params},
                metrics=metrics,
                training_range=(day_iso(rows["day"].min()), day_iso(rows["day"].max())),
                X_golden=X_golden,
                X_all=X_all,
                extra={**score_extra, "golden_rows": golden_labels, "training_data": data},
            )
        )
    progress(f"trained {len(models)} scratch-off models in {time.perf_counter() - started:.1f}s")
    return models
