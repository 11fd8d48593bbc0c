"""Powerball evaluation: the uniformity test rejects what it should, the pieces are honest."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trainer.powerball.evaluate import (
    chi_square_statistic,
    chi_square_uniformity,
    evaluate_powerball,
    simulate_counts,
    verdict,
)
from trainer.powerball.load import WHITE_COLUMNS
from trainer.powerball.walkforward import BOOTSTRAP, SEED, Skill, bernoulli_log_loss
from trainer.stats import Interval, bootstrap_mean


def _history(n_draws: int, n_numbers: int, per_draw: int, weights: np.ndarray, seed: int):
    """(n_draws, n_numbers) bool: each draw picks per_draw distinct numbers with these weights."""
    rng = np.random.default_rng(seed)
    p = weights / weights.sum()
    out = np.zeros((n_draws, n_numbers), dtype=bool)
    for t in range(n_draws):
        out[t, rng.choice(n_numbers, per_draw, replace=False, p=p)] = True
    return out


def test_uniform_history_not_rejected() -> None:
    for seed in (1, 2, 3):
        hits = _history(1300, 69, 5, np.ones(69), seed)
        res = chi_square_uniformity(hits, 5, n_sims=500, seed=seed)
        assert res.p_monte_carlo > 0.05, seed
    red = _history(1300, 26, 1, np.ones(26), seed=4)
    assert chi_square_uniformity(red, 1, n_sims=500).p_monte_carlo > 0.05


def test_biased_history_rejected() -> None:
    weights = np.ones(69)
    weights[:10] = 1.5  # numbers 1-10 half as likely again as the rest
    res = chi_square_uniformity(_history(1300, 69, 5, weights, seed=5), 5, n_sims=500)
    assert res.p_monte_carlo < 0.01
    assert res.p_monte_carlo >= 1 / 501  # never exactly zero
    red_w = np.ones(26)
    red_w[0] = 3.0
    assert chi_square_uniformity(_history(1300, 26, 1, red_w, seed=6), 1, 500).p_monte_carlo < 0.01


def test_simulation_is_without_replacement() -> None:
    rng = np.random.default_rng(0)
    counts = simulate_counts(400, 6, 5, 300, rng)
    assert (counts.sum(axis=1) == 2000).all()
    assert counts.max() <= 400  # a number can appear at most once per draw
    # chi-square mean under draws without replacement is N(1 - k/N) = 64 for 5 of 69, not 68
    sims = simulate_counts(1297, 69, 5, 500, np.random.default_rng(1))
    stat = chi_square_statistic(sims, 1297 * 5 / 69)
    assert abs(stat.mean() - 64) < 2  # SE ~0.5; 68 would be 8 SE away
    # and is reproducible for a seed
    again = simulate_counts(400, 6, 5, 300, np.random.default_rng(0))
    assert np.array_equal(counts, again)


def test_plain_chi_square_is_conservative_for_whites() -> None:
    hits = _history(1300, 69, 5, np.ones(69), seed=7)
    res = chi_square_uniformity(hits, 5, n_sims=500, seed=7)
    assert res.p_plain > res.p_monte_carlo


def test_log_loss_and_bootstrap() -> None:
    hits = np.array([[True, False, False, False]])
    ll = bernoulli_log_loss(np.full((1, 4), 0.25), hits)
    assert ll[0] == pytest.approx(-np.log(0.25) - 3 * np.log(0.75))
    iv = bootstrap_mean(np.arange(100.0), BOOTSTRAP, SEED)
    assert iv.low < iv.mean == 49.5 < iv.high
    assert bootstrap_mean(np.arange(100.0), BOOTSTRAP, SEED) == iv


def _skill(low: float, mean: float, high: float) -> Skill:
    return Skill(
        "m", "white", 300, Interval(1, 1, 1), 17.9, Interval(mean, low, high),
        Interval(0.36, 0.3, 0.4), 25 / 69,
    )  # fmt: skip


def test_verdict_words() -> None:
    assert "No model beats uniform" in verdict([_skill(-0.02, -0.01, 0.001)])
    assert "beats uniform" in verdict([_skill(0.01, 0.02, 0.03)])


def test_small_end_to_end_on_uniform_synthetic_history(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    n = 190
    whites = np.sort(np.array([rng.choice(69, 5, replace=False) + 1 for _ in range(n)]), axis=1)
    draws = pd.DataFrame(whites, columns=WHITE_COLUMNS)
    draws.insert(0, "draw_date", pd.date_range("2016-01-02", periods=n, freq="3D"))
    draws["powerball"] = rng.integers(1, 27, size=n)
    section, rows = evaluate_powerball(
        tmp_path, progress=lambda _: None, draws=draws, n_eval=40, retrain_every=20, n_sims=200
    )
    assert section.startswith("## Powerball")
    assert "No model beats uniform" in section
    assert (tmp_path / "powerball_frequencies.png").stat().st_size > 10_000
    models = {r["model"] for r in rows if r["metric"] == "log-loss per draw"}
    assert models == {f"powerball_{b}_{k}" for b in ("white", "red") for k in ("xgb", "rf")}
    assert all(r["beats_baseline"] is False for r in rows if r["metric"] == "log-loss per draw")
