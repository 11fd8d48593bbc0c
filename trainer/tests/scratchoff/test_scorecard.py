"""The scorecard's figures of one day (trainer/scratchoff/scorecard.py): what each means, checked
against independent computations (scipy, numpy) and small hand-made days."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr

from trainer.scratchoff.scorecard import ScoredPrediction, average_ranks, day_figures, spearman


def row(forecast: float, realized: float, **kw) -> ScoredPrediction:
    values = {
        "forecast_change": forecast,
        "realized_change": realized,
        "trend_change": 0.0,
        "claim_probability": 0.5,
        "realized_claim": 0,
        "base_rate": 0.2,
        "game_rate": 0.2,
        "ai_score": 50.0,
        "ev_per_dollar": 0.6,
        "recommendation": "neutral",
    }
    values.update(kw)
    return ScoredPrediction(**values)


def test_spearman_matches_scipy_with_ties():
    rng = np.random.default_rng(3)
    for n in (2, 3, 10, 57):
        x = np.round(rng.normal(size=n), 1)  # rounding makes ties
        y = rng.normal(size=n)
        assert spearman(list(x), list(y)) == pytest.approx(spearmanr(x, y).statistic, abs=1e-12)
    assert average_ranks([3.0, 1.0, 3.0, 2.0]) == [3.5, 1.0, 3.5, 2.0]
    assert spearman([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]) is None  # a constant side: undefined
    assert spearman([1.0], [2.0]) is None


def test_errors_and_skill_against_both_regression_baselines():
    rows = [
        row(-0.01, -0.012, trend_change=-0.02),
        row(0.0, 0.004, trend_change=0.001),
        row(-0.002, -0.001, trend_change=0.0),
    ]
    f = day_figures(rows)
    assert f["n"] == 3
    assert f["mean_absolute_error"] == pytest.approx((0.002 + 0.004 + 0.001) / 3)
    assert f["mae_persistence"] == pytest.approx((0.012 + 0.004 + 0.001) / 3)
    assert f["mae_trend"] == pytest.approx((0.008 + 0.003 + 0.001) / 3)
    assert f["skill_persistence"] == pytest.approx(1 - 7 / 17)
    assert f["skill_trend"] == pytest.approx(1 - 7 / 12)


def test_brier_baselines_and_the_apps_threshold_metrics():
    rows = [
        row(0, 0, claim_probability=0.9, realized_claim=1, base_rate=0.25, game_rate=0.5),
        row(0, 0, claim_probability=0.6, realized_claim=0, base_rate=0.25, game_rate=0.1),
        row(0, 0, claim_probability=0.1, realized_claim=1, base_rate=0.25, game_rate=0.3),
        row(0, 0, claim_probability=0.2, realized_claim=0, base_rate=0.25, game_rate=0.0),
    ]
    f = day_figures(rows)
    assert f["brier"] == pytest.approx((0.01 + 0.36 + 0.81 + 0.04) / 4)
    assert f["brier_base_rate"] == pytest.approx((0.5625 + 0.0625 + 0.5625 + 0.0625) / 4)
    assert f["brier_game_rate"] == pytest.approx((0.25 + 0.01 + 0.49 + 0.0) / 4)
    assert (f["accuracy"], f["precision_score"], f["recall_score"]) == (0.5, 0.5, 0.5)
    assert f["f1_score"] == pytest.approx(0.5)
    assert f["claim_rate"] == 0.5
    none = day_figures([row(0, 0.001, claim_probability=None)])
    assert "brier" not in none and "accuracy" not in none


def test_class_hits_are_judged_against_the_days_median_change():
    rows = [
        row(0, 0.010, recommendation="strong_buy"),
        row(0, -0.010, recommendation="strong_buy"),
        row(0, 0.004, recommendation="buy"),
        row(0, 0.000, recommendation="neutral"),  # the median
        row(0, -0.004, recommendation="avoid"),
        row(0, 0.002, recommendation="strong_avoid"),
        row(0, -0.003, recommendation="strong_avoid"),
    ]
    classes = day_figures(rows)["classes"]
    assert classes["strong_buy"] == {
        "n": 2,
        "mean_realized_change": 0.0,
        "hits": 1,
        "hit_rate": 0.5,
    }
    assert classes["buy"]["hit_rate"] == 1.0
    assert classes["neutral"]["hits"] is None  # neutral claims nothing
    assert classes["avoid"]["hit_rate"] == 1.0
    assert classes["strong_avoid"]["hit_rate"] == 0.5


def test_notes_say_when_the_model_adds_nothing_beyond_arithmetic():
    # ai_score follows today's EV per dollar exactly: the ranking adds nothing
    rows = [row(r, r, ai_score=10.0 * i, ev_per_dollar=0.5 + i) for i, r in enumerate([1, 2, 3])]
    f = day_figures(rows)
    assert f["spearman_ai_score"] == f["spearman_ev_per_dollar"] == pytest.approx(1.0)
    assert "ai_score ranks games no better than today's EV per dollar alone." in f["notes"]
    worse = day_figures([row(0.01, 0.0), row(0.01, 0.001)])
    assert "EV forecast no better than no change." in worse["notes"]
    good = day_figures(
        [
            row(
                0.001,
                0.001,
                ai_score=1.0,
                ev_per_dollar=3.0,
                claim_probability=0.0,
                realized_claim=0,
                base_rate=0.5,
                game_rate=0.5,
                trend_change=0.01,
            ),
            row(
                0.002,
                0.002,
                ai_score=2.0,
                ev_per_dollar=1.0,
                claim_probability=1.0,
                realized_claim=1,
                base_rate=0.5,
                game_rate=0.5,
                trend_change=0.01,
            ),
            row(
                0.003,
                0.003,
                ai_score=3.0,
                ev_per_dollar=2.0,
                claim_probability=0.0,
                realized_claim=0,
                base_rate=0.5,
                game_rate=0.5,
                trend_change=0.01,
            ),
        ]
    )
    assert good["notes"].startswith("Beat every baseline")


def test_an_empty_day_is_an_error():
    with pytest.raises(ValueError, match="no scored predictions"):
        day_figures([])
