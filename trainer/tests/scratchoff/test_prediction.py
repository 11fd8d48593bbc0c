"""The prediction row: thresholds, ai_score, confidence, reasoning."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.scratchoff.analytics import Tier, game_metrics
from trainer.scratchoff.prediction import (
    ai_score,
    confidence_level,
    fixed,
    forecast_ev_per_dollar,
    money,
    prediction_row,
    recommendation,
    reference_quantiles,
    score_drivers,
    stale_reason,
)

NEGATIVE = game_metrics(
    [Tier(2.0, 1000, 400), Tier(5.0, 500, 250), Tier(100.0, 10, 5), Tier(1000.0, 2, 1)],
    2.0,
    None,
    5000,
)
# Few tickets left and a big prize still in: gross EV above the price.
POSITIVE = game_metrics([Tier(1.0, 1000, 10), Tier(5000.0, 2, 2)], 5.0, None, 1000)


@pytest.mark.parametrize(
    ("score", "label"),
    [
        (100.0, "strong_buy"),
        (80.0, "strong_buy"),
        (79.99999999, "buy"),
        (60.0, "buy"),
        (59.99999999, "neutral"),
        (40.0, "neutral"),
        (39.99999999, "avoid"),
        (20.0, "avoid"),
        (19.99999999, "strong_avoid"),
        (0.0, "strong_avoid"),
    ],
)
def test_recommendation_thresholds(score: float, label: str) -> None:
    assert recommendation(score) == label


def test_ai_score_piecewise_linear_and_clamped() -> None:
    ref = [0.0, 1.0, 2.0, 3.0, 4.0]
    assert ai_score(-1.0, ref) == 0.0
    assert ai_score(0.0, ref) == 0.0
    assert ai_score(0.5, ref) == 12.5
    assert ai_score(2.0, ref) == 50.0
    assert ai_score(3.2, ref) == pytest.approx(80.0)
    assert ai_score(4.0, ref) == 100.0
    assert ai_score(9.0, ref) == 100.0
    assert ai_score(1.0, []) == 50.0
    with pytest.raises(ValueError):
        ai_score(float("nan"), ref)


def test_ai_score_with_tied_reference_values() -> None:
    ref = [0.0, 1.0, 1.0, 1.0, 2.0]
    assert ai_score(1.0, ref) == 75.0  # the last of the tied points
    assert ai_score(0.999, ref) < 25.0


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(0.3, 1.2), min_size=2, max_size=60),
    st.floats(0.0, 1.5),
    st.floats(0.0, 1.5),
)
def test_ai_score_is_monotone_and_bounded(values, a, b) -> None:
    ref = sorted(values)
    lo, hi = min(a, b), max(a, b)
    assert 0.0 <= ai_score(lo, ref) <= ai_score(hi, ref) <= 100.0


def test_reference_quantiles_are_sorted_and_span_the_data() -> None:
    ref = reference_quantiles([0.7, 0.5, 0.9, 0.6, 0.8], points=5)
    assert ref == pytest.approx([0.5, 0.6, 0.7, 0.8, 0.9])
    assert ai_score(0.7, ref) == pytest.approx(50.0)


def test_forecast_is_current_plus_mean_change() -> None:
    assert forecast_ev_per_dollar(0.7, [0.01, 0.03]) == pytest.approx(0.72)
    assert forecast_ev_per_dollar(0.7, []) == 0.7


def test_confidence_level() -> None:
    full = confidence_level(28, [0.01, 0.01], [0.3, 0.3], 0.002)
    assert full == pytest.approx(100.0)
    assert confidence_level(100, [0.01, 0.01], [0.3, 0.3], 0.002) == pytest.approx(100.0)
    short = confidence_level(7, [0.01, 0.01], [0.3, 0.3], 0.002)
    assert short == pytest.approx(100 * (0.4 * 0.25 + 0.4 + 0.2))
    split = confidence_level(28, [0.0, 0.002], [0.1, 0.6], 0.002)
    assert split == pytest.approx(100 * (0.4 + 0.4 * 0.5 + 0.2 * 0.5))
    assert 0.0 <= confidence_level(0, [-1.0, 1.0], [0.0, 1.0], 0.0) <= 100.0
    assert confidence_level(10, [0.0, 0.01], [0.2, 0.2], 0.002) < confidence_level(
        10, [0.0, 0.001], [0.2, 0.2], 0.002
    )


def test_fixed_rounds_half_away_from_zero() -> None:
    assert fixed(0.125, 2) == "0.13"  # Python's format() would say 0.12
    assert fixed(2.5, 0) == "3"
    assert fixed(-1234.5, 0) == "-1,235"
    assert fixed(-0.001, 2) == "0.00"
    assert fixed(1234567.891, 2) == "1,234,567.89"
    assert money(-0.225) == "-$0.23"
    assert money(20_000_000) == "$20,000,000.00"


def test_reasoning_always_states_the_net_ev_sign() -> None:
    assert NEGATIVE.net_ev < 0 and POSITIVE.net_ev > 0
    neg = prediction_row(NEGATIVE, 30, [0.001, 0.002], [0.2, 0.3], [0.5, 0.9], 0.002)
    pos = prediction_row(POSITIVE, 30, [0.001, 0.002], [0.2, 0.3], [0.5, 0.9], 0.002)
    assert neg.reasoning.startswith("Net expected value is negative: -$0.23 per $2.00 ticket")
    assert pos.reasoning.startswith("Net expected value is positive")
    assert "top prizes" in neg.reasoning and "% of tickets are sold" in neg.reasoning


def test_prediction_row_fields() -> None:
    ref = reference_quantiles([0.6 + 0.01 * i for i in range(41)])
    row = prediction_row(NEGATIVE, 30, [0.01, 0.03], [0.2, 0.4], ref, 0.002)
    assert row.reason is None
    assert row.forecast_ev_per_dollar == pytest.approx(NEGATIVE.ev_per_dollar + 0.02)
    assert row.ai_score == pytest.approx(ai_score(row.forecast_ev_per_dollar, ref))
    assert row.recommendation == recommendation(row.ai_score)
    assert row.win_probability == NEGATIVE.win_probability
    assert row.expected_value == NEGATIVE.net_ev
    assert row.top_prize_claim_probability == pytest.approx(0.3)
    assert 0.0 <= row.confidence_level <= 100.0


def test_refused_game_gets_no_prediction() -> None:
    sold_out = game_metrics([Tier(2.0, 100, 0), Tier(50.0, 2, 1)], 2.0, 4.0, None)
    row = prediction_row(sold_out, 30, [0.0, 0.0], [0.1, 0.1], [0.5, 0.9], 0.002)
    assert row.reason is not None and "sold out" in row.reason
    assert row.ai_score is None and row.recommendation is None and row.reasoning is None
    bad = prediction_row(NEGATIVE, 30, [float("nan"), 0.0], [0.1, 0.1], [0.5, 0.9], 0.002)
    assert bad.reason is not None and bad.ai_score is None


# Freshness, the same cases as prediction_test.ts: fresh up to the limit, stale one day past it.
@pytest.mark.parametrize(
    ("snapshot", "prediction", "limit", "want"),
    [
        ("2026-07-21", "2026-07-21", 3, None),
        ("2026-07-21", "2026-07-24", 3, None),
        ("2026-07-21", "2026-07-25", 3, "stale: latest data 2026-07-21"),
        ("2026-07-21", "2026-11-30", 3, "stale: latest data 2026-07-21"),
        ("2026-02-27", "2026-03-02", 2, "stale: latest data 2026-02-27"),  # across a month end
        ("2026-07-21", "2026-07-21", 0, None),
        ("2026-07-21", "2026-07-22", 0, "stale: latest data 2026-07-21"),
        ("2026-07-21", "2026-07-20", 3, None),  # a snapshot after the date is not old
    ],
)
def test_stale_reason(snapshot: str, prediction: str, limit: int, want: str | None) -> None:
    assert stale_reason(snapshot, prediction, limit) == want


def test_stale_reason_defaults_to_three_days() -> None:
    assert stale_reason("2026-07-21", "2026-07-24") is None
    assert stale_reason("2026-07-21", "2026-07-25") == "stale: latest data 2026-07-21"


def test_reasoning_says_whether_the_forecast_or_todays_value_drives_the_score() -> None:
    ref = reference_quantiles([0.6 + 0.001 * i for i in range(401)])
    small = prediction_row(NEGATIVE, 30, [0.0001, 0.0001], [0.2, 0.2], ref, 0.002)
    big = prediction_row(NEGATIVE, 30, [-0.05, -0.05], [0.2, 0.2], ref, 0.002)
    today = fixed(ai_score(NEGATIVE.ev_per_dollar, ref), 0)
    assert f"today's value alone scores {today}" in small.reasoning
    assert "today's prize arithmetic drives it, not the forecast" in small.reasoning
    assert "the forecast drives it." in big.reasoning and "moves it -" in big.reasoning
    assert score_drivers(62.4, 50.0) == (
        "ai_score 62: today's value alone scores 50, the forecast change moves it +12 points, "
        "so the forecast drives it."
    )
