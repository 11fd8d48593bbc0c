"""What every model family hands to the exporter: the fitted estimator and what describes it.

A family is a module with `train_models(progress) -> list[TrainedModel]`; `FAMILIES` in
trainer/export.py lists them, so the exporter and the parity suite cover any model registered
there with no extra code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Progress = Callable[[str], None]


def print_progress(message: str) -> None:
    print(message, flush=True)


@dataclass
class TrainedModel:
    name: str  # unique, e.g. "ev_change_14d_xgb"; the .onnx file is onnx_models/<name>.onnx
    family: str  # e.g. "scratchoff", "powerball"
    kind: Literal["regressor", "classifier"]
    library: Literal["sklearn", "xgboost"]
    estimator: Any  # fitted, predicts from float32 features in feature_names order
    feature_names: list[str]
    target: str  # what it predicts, in words
    hyperparameters: dict[str, Any]
    metrics: dict[str, Any]
    training_range: tuple[str, str]  # first and last day (ISO) of the data it learned from
    X_golden: np.ndarray  # float32 rows (real ones and edge cases) for the golden vectors
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. the ai_score reference distribution
    # Every feature row the shipped data gives (training and scoring rows): the parity suite runs
    # the native model and onnxruntime on all of them.
    X_all: np.ndarray | None = None
