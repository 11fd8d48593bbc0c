"""Training the four Powerball models for export (DESIGN.md, Powerball): each refitted on every
draw with a full window, with its walk-forward skill against uniform in the manifest."""

from __future__ import annotations

import numpy as np

from trainer.modeling import Progress, TrainedModel, print_progress
from trainer.powerball.features import (
    FEATURE_NAMES,
    HISTORY_WINDOW,
    RED,
    WHITE,
    Ball,
    feature_table,
    iso_date,
    next_draw_features,
)
from trainer.powerball.load import POWERBALL_FILE, load_powerball
from trainer.powerball.models import FAMILY, MODEL_KINDS, golden_rows, grid_search, model_name
from trainer.powerball.walkforward import walk_forward_skill

DATA_FILES = [POWERBALL_FILE]


def train_models(progress: Progress = print_progress) -> list[TrainedModel]:
    """The four Powerball models, each refitted on every draw with a full window, with the
    walk-forward skill against uniform in metrics and extra."""
    draws = load_powerball()
    skill = walk_forward_skill(draws, progress)
    white_next, red_next = next_draw_features(draws)
    serve_rows = {"white": white_next, "red": red_next}
    out: list[TrainedModel] = []
    for ball in (WHITE, RED):
        table = feature_table(draws, ball)
        for kind in MODEL_KINDS:
            name = model_name(ball, kind)
            search = grid_search(kind, ball, table)
            progress(
                f"[powerball] {name}: best {search.best_params_} cv log-loss "
                f"{-search.best_score_:.5f}"
            )
            measured = skill[name]
            out.append(
                TrainedModel(
                    name=name,
                    family=FAMILY,
                    kind="classifier",
                    library="xgboost" if kind == "xgb" else "sklearn",
                    estimator=search.best_estimator_,
                    feature_names=list(FEATURE_NAMES),
                    target=(
                        f"probability that this {ball.name} number "
                        f"(1-{ball.n_numbers}) is drawn in the next draw"
                    ),
                    hyperparameters=dict(search.best_params_),
                    metrics={
                        **measured,  # walk-forward skill first: the exporter shows the first
                        "cv_log_loss": float(-search.best_score_),
                        "cv_log_loss_uniform": _uniform_log_loss(ball),
                    },
                    training_range=(iso_date(table.draw_dates[0]), iso_date(table.draw_dates[-1])),
                    X_golden=golden_rows(draws, ball),
                    X_all=np.vstack([table.X, serve_rows[ball.name]]),
                    extra={
                        "ball": ball.name,
                        "numbers": [1, ball.n_numbers],
                        "per_draw": ball.per_draw,
                        "history_window": HISTORY_WINDOW,
                        "feature_names": list(FEATURE_NAMES),
                        "features_doc": "trainer/powerball/features.py (module docstring)",
                        "probability_output": "column 1 of probabilities = P(number drawn)",
                        "serving": (
                            "score all numbers of the next draw; sampling weights = scores / "
                            "sum(scores); draw tickets without replacement"
                        ),
                        "skill_vs_uniform": measured,
                    },
                )
            )
    return out


def _uniform_log_loss(ball: Ball) -> float:
    p = ball.base_rate
    return float(-(p * np.log(p) + (1 - p) * np.log(1 - p)))
