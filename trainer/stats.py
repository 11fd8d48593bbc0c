"""The statistics both evaluations use: intervals, bootstraps and skill against a baseline."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Interval:
    """A point estimate with its 95% interval."""

    mean: float
    low: float
    high: float

    def text(self, digits: int = 3) -> str:
        return f"{self.mean:.{digits}f} [{self.low:.{digits}f}, {self.high:.{digits}f}]"


def bootstrap_mean(values: np.ndarray, n_boot: int, seed: int) -> Interval:
    """Mean and 95% percentile bootstrap interval over independent values, fixed seed."""
    values = np.asarray(values, dtype=np.float64)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(values), size=(n_boot, len(values)))
    means = values[idx].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return Interval(float(values.mean()), float(low), float(high))


def day_bootstrap_indices(days: np.ndarray, n_boot: int, seed: int, block: int) -> list[np.ndarray]:
    """For each resample: the row indices of scored days drawn as a circular block bootstrap
    (runs of `block` consecutive scored days), because neighbouring days share most of their
    14-day target window and a plain day bootstrap would give intervals that are too narrow."""
    unique = np.unique(days)
    by_day = [np.flatnonzero(days == d) for d in unique]
    n = len(unique)
    block = max(1, min(block, n))
    n_blocks = -(-n // block)
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_boot):
        starts = rng.integers(0, n, size=n_blocks)
        picked = ((starts[:, None] + np.arange(block)[None, :]) % n).ravel()[:n]
        out.append(np.concatenate([by_day[i] for i in picked]))
    return out


def skill_interval(
    model_loss: np.ndarray, base_loss: np.ndarray, resamples: list[np.ndarray]
) -> Interval:
    """1 - mean(model) / mean(baseline), with a percentile interval over day resamples."""
    point = 1.0 - model_loss.mean() / base_loss.mean()
    values = np.array([1.0 - model_loss[i].mean() / base_loss[i].mean() for i in resamples])
    low, high = np.percentile(values, [2.5, 97.5])
    return Interval(float(point), float(low), float(high))
