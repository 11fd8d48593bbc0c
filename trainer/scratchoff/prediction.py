"""The prediction row of DESIGN.md as pure functions (ported line for line to TypeScript).

Inputs are one game's metrics of the day (trainer/scratchoff/analytics.py), its feature row
(trainer/scratchoff/features.py), the models' outputs and two numbers from the manifest: the
ai_score reference distribution (`reference`, a sorted list of forecast ev_per_dollar values) and
the regressors' spread scale (`spread_scale`). Nothing here reads other games, so a single game
can be scored on its own.

Scores are returned unrounded; recommendation() compares the unrounded score, so clients should
round only for display. Text formatting uses `fixed()` (round half away from zero on the binary
value) rather than Python's format(), which rounds half to even and so differs from JavaScript.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from trainer.scratchoff.analytics import GameMetrics

# recommendation(score): the first threshold the score reaches, from the top.
RECOMMENDATION_THRESHOLDS: list[tuple[float, str]] = [
    (80.0, "strong_buy"),
    (60.0, "buy"),
    (40.0, "neutral"),
    (20.0, "avoid"),
]
LOWEST_RECOMMENDATION = "strong_avoid"
REFERENCE_POINTS = 201  # quantiles 0%, 0.5%, ..., 100% of the training forecasts
HISTORY_FULL_DAYS = 28  # confidence: a game observed this long has full history credit
CONFIDENCE_WEIGHTS = (0.4, 0.4, 0.2)  # history, regressor agreement, classifier agreement
HORIZON_DAYS = 14
# Freshness: a game whose latest snapshot is more than this many days older than the prediction
# date gets no prediction (the default; feed_sources.stale_after_days sets it per state).
STALE_AFTER_DAYS = 3
# reasoning: the forecast "drives" ai_score when it moves it at least this many points away from
# the score of today's value alone; below that the score is today's arithmetic.
FORECAST_DRIVES_POINTS = 5.0


def reference_quantiles(forecasts: Sequence[float], points: int = REFERENCE_POINTS) -> list[float]:
    """The sorted reference array stored in the manifest: `points` evenly spaced quantiles (linear
    interpolation) of the forecast ev_per_dollar values seen in training."""
    values = np.asarray(forecasts, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return []
    qs = np.quantile(values, np.linspace(0.0, 1.0, points), method="linear")
    return [float(v) for v in np.maximum.accumulate(qs)]  # sorted even after rounding noise


def ai_score(forecast_ev_per_dollar: float, reference: Sequence[float]) -> float:
    """0-100: the piecewise-linear empirical CDF of `reference` at the forecast, times 100.

    With q = reference (sorted, n >= 2 values): below q[0] -> 0; at or above q[n-1] -> 100;
    otherwise i = the last index with q[i] <= x, score = 100 * (i + (x - q[i]) / (q[i+1] - q[i]))
    / (n - 1). Monotone non-decreasing in x. Fewer than 2 reference values -> 50 (no information).
    """
    x = forecast_ev_per_dollar
    if not math.isfinite(x):
        raise ValueError("forecast must be a finite number")
    n = len(reference)
    if n < 2:
        return 50.0
    if x < reference[0]:
        return 0.0
    if x >= reference[n - 1]:
        return 100.0
    lo, hi = 0, n - 1  # invariant: reference[lo] <= x < reference[hi]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if reference[mid] <= x:
            lo = mid
        else:
            hi = mid
    frac = (x - reference[lo]) / (reference[hi] - reference[lo])
    return 100.0 * (lo + frac) / (n - 1)


def recommendation(score: float) -> str:
    """>=80 strong_buy, >=60 buy, >=40 neutral, >=20 avoid, else strong_avoid."""
    for threshold, label in RECOMMENDATION_THRESHOLDS:
        if score >= threshold:
            return label
    return LOWEST_RECOMMENDATION


def forecast_ev_per_dollar(current: float, predicted_changes: Sequence[float]) -> float:
    """ev_per_dollar 14 days out: today's value plus the mean of the regressors' predicted change
    (summed left to right, in the order given: rf then xgb)."""
    if not predicted_changes:
        return current
    total = 0.0
    for c in predicted_changes:
        total += c
    return current + total / len(predicted_changes)


def confidence_level(
    days_observed: float,
    predicted_changes: Sequence[float],
    claim_probabilities: Sequence[float],
    spread_scale: float,
) -> float:
    """0-100 = 100 * (0.4 * history + 0.4 * regressor agreement + 0.2 * classifier agreement):

    - history = min(days_observed, 28) / 28 (how much of its own past the game has shown);
    - regressor agreement = 1 / (1 + spread / spread_scale), spread = max - min of the predicted
      ev_per_dollar changes, spread_scale = the manifest's typical size of a predicted change
      (median absolute prediction in training); 1 when the regressors agree exactly;
    - classifier agreement = 1 - (max - min) of the top-prize claim probabilities.
    Missing model outputs count as full agreement; the result is clamped to [0, 100]."""
    w_hist, w_reg, w_clf = CONFIDENCE_WEIGHTS
    history = min(max(days_observed, 0.0), HISTORY_FULL_DAYS) / HISTORY_FULL_DAYS
    spread = (max(predicted_changes) - min(predicted_changes)) if predicted_changes else 0.0
    scale = spread_scale if spread_scale > 0.0 else 1e-3
    reg = 1.0 / (1.0 + spread / scale)
    clf_spread = (
        (max(claim_probabilities) - min(claim_probabilities)) if claim_probabilities else 0.0
    )
    clf = 1.0 - min(1.0, max(0.0, clf_spread))
    value = 100.0 * (w_hist * history + w_reg * reg + w_clf * clf)
    return min(100.0, max(0.0, value))


# ---- text ---------------------------------------------------------------------------------------


def fixed(x: float, digits: int) -> str:
    """x with `digits` decimals, rounding half away from zero: floor(|x| * 10^d + 0.5). The same
    arithmetic in JavaScript (Math.floor(Math.abs(x) * 10 ** d + 0.5)) gives the same text."""
    scaled = math.floor(abs(x) * float(10**digits) + 0.5)
    whole, frac = divmod(scaled, 10**digits)
    sign = "-" if x < 0 and scaled != 0 else ""
    text = _group(whole)
    if digits > 0:
        text += "." + str(frac).rjust(digits, "0")
    return sign + text


def _group(n: int) -> str:
    """Thousands separators for a non-negative whole number."""
    s = str(n)
    parts = []
    while len(s) > 3:
        parts.insert(0, s[-3:])
        s = s[:-3]
    parts.insert(0, s)
    return ",".join(parts)


def money(x: float) -> str:
    text = fixed(x, 2)
    return "-$" + text[1:] if text.startswith("-") else "$" + text


def sign_word(x: float) -> str:
    return "positive" if x > 0 else "negative" if x < 0 else "zero"


def score_drivers(score: float, score_today: float) -> str:
    """What drives ai_score: today's value (the score of today's ev_per_dollar alone, pure
    arithmetic) or the forecast change, which moves it by score - score_today points."""
    moved = score - score_today
    driver = (
        "the forecast drives it"
        if abs(moved) >= FORECAST_DRIVES_POINTS
        else "today's prize arithmetic drives it, not the forecast"
    )
    sign = "+" if moved > 0 else "-" if moved < 0 else ""
    return (
        f"ai_score {fixed(score, 0)}: today's value alone scores {fixed(score_today, 0)}, "
        f"the forecast change moves it {sign}{fixed(abs(moved), 0)} points, so {driver}."
    )


def reasoning(
    metrics: GameMetrics,
    forecast_epd: float,
    claim_probability: float | None,
    score: float | None = None,
    score_today: float | None = None,
) -> str:
    """The drivers in plain words; the first sentence always states the net EV's sign. With the
    scores given, a sentence says whether today's value or the forecast drives ai_score."""
    net, price, epd = metrics.net_ev, metrics.ticket_price, metrics.ev_per_dollar
    parts = [
        f"Net expected value is {sign_word(net)}: {money(net)} per {money(price)} ticket "
        f"(prizes left return {money(epd)} per dollar spent)."
    ]
    change = forecast_epd - epd
    direction = "up" if change > 0 else "down" if change < 0 else "unchanged"
    parts.append(
        f"Forecast in {HORIZON_DAYS} days: {money(forecast_epd)} per dollar "
        f"({direction} {fixed(abs(change), 4)})."
    )
    if score is not None and score_today is not None:
        parts.append(score_drivers(score, score_today))
    if metrics.top_prize_gone:
        parts.append(f"All {metrics.top_prizes_printed} top prizes have been claimed.")
    else:
        ratio = metrics.top_prize_ratio
        lean = "more than" if ratio > 1.0 else "fewer than" if ratio < 1.0 else "exactly as many as"
        parts.append(
            f"{metrics.top_prizes_left} of {metrics.top_prizes_printed} top prizes "
            f"({money(metrics.top_prize_amount)}) remain, {lean} sales so far would imply "
            f"(ratio {fixed(ratio, 2)})."
        )
    parts.append(f"{fixed(100.0 * metrics.pct_sold, 0)}% of tickets are sold.")
    if claim_probability is not None and not metrics.top_prize_gone:
        parts.append(
            f"Chance of a top-prize claim within {HORIZON_DAYS} days: "
            f"{fixed(100.0 * claim_probability, 0)}%."
        )
    return " ".join(parts)


# ---- the row ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PredictionRow:
    """The predictions table's fields. `reason` set -> no prediction, every other field None."""

    reason: str | None
    ai_score: float | None
    recommendation: str | None
    win_probability: float | None
    expected_value: float | None  # net EV per ticket, dollars
    confidence_level: float | None
    reasoning: str | None
    forecast_ev_per_dollar: float | None
    top_prize_claim_probability: float | None


def stale_reason(
    snapshot_date: str, prediction_date: str, limit_days: int = STALE_AFTER_DAYS
) -> str | None:
    """ "stale: latest data YYYY-MM-DD" when the game's latest snapshot is more than `limit_days`
    days before the prediction date (at the limit it is still fresh), else None."""
    age = (dt.date.fromisoformat(prediction_date) - dt.date.fromisoformat(snapshot_date)).days
    return f"stale: latest data {snapshot_date}" if age > limit_days else None


def no_prediction(reason: str) -> PredictionRow:
    return PredictionRow(reason, None, None, None, None, None, None, None, None)


def prediction_row(
    metrics: GameMetrics,
    days_observed: float,
    predicted_changes: Sequence[float],
    claim_probabilities: Sequence[float],
    reference: Sequence[float],
    spread_scale: float,
) -> PredictionRow:
    """The whole row for one game on one day: predicted_changes from the ev_change_14d regressors
    (rf, xgb), claim_probabilities from the top_prize_claim_14d classifiers (rf, xgb)."""
    if metrics.reason is not None:
        return no_prediction(metrics.reason)
    outputs = [*predicted_changes, *claim_probabilities]
    if any(not math.isfinite(v) for v in outputs):
        return no_prediction("a model returned a non-finite value")
    forecast = forecast_ev_per_dollar(metrics.ev_per_dollar, predicted_changes)
    score = ai_score(forecast, reference)
    claim = None
    if claim_probabilities:
        total = 0.0
        for p in claim_probabilities:
            total += p
        claim = min(1.0, max(0.0, total / len(claim_probabilities)))
    return PredictionRow(
        reason=None,
        ai_score=score,
        recommendation=recommendation(score),
        win_probability=metrics.win_probability,
        expected_value=metrics.net_ev,
        confidence_level=confidence_level(
            days_observed, predicted_changes, claim_probabilities, spread_scale
        ),
        reasoning=reasoning(
            metrics, forecast, claim, score, ai_score(metrics.ev_per_dollar, reference)
        ),
        forecast_ev_per_dollar=forecast,
        top_prize_claim_probability=claim,
    )
