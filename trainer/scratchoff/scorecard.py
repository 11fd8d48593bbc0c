"""The scorecard of served predictions (DESIGN.md, Daily schedule): pure functions, ported line for
line to TypeScript (supabase/functions/_shared/scratchoff/scorecard.ts), where the scheduled
`scorecard` function runs them inside Supabase.

Input: the predictions of one model version and one day whose 14-day horizon has closed, each with
what then happened (`ScoredPrediction`). Output: that day's figures (`day_figures`), the metrics
and baselines of the offline evaluation (trainer/evaluate.py), so the live scorecard and the
walk-forward report measure the same things:

- ev_change_14d: MAE of the served forecast change against persistence (no change) and trend (the
  last 14 days' change repeated); skill = 1 - MAE / MAE_baseline.
- top_prize_claim_14d: Brier score of the served claim probability against the base rate and the
  game's own past claim rate (both from labels known on the prediction's day); accuracy,
  precision, recall and F1 at probability 0.5 (the app's model_performance columns).
- Ranking: Spearman correlation (average ranks for ties) of the realized change with ai_score, and
  with today's ev_per_dollar alone. If the second is as high as the first, ai_score ranks games no
  better than arithmetic the app could show directly.
- Each recommendation class: how many, the mean realized change, and the hit rate: a buy-side
  class (strong_buy, buy) hits when the game's realized change beat the day's median realized
  change, an avoid-side class (avoid, strong_avoid) when it fell below it; neutral claims nothing.

Sums run left to right in row order (as the port does), so both give the same bits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

CLASSES = ["strong_buy", "buy", "neutral", "avoid", "strong_avoid"]
BUY_SIDE = {"strong_buy", "buy"}
AVOID_SIDE = {"avoid", "strong_avoid"}
CLAIM_THRESHOLD = 0.5  # accuracy / precision / recall / F1 of the claim probability


@dataclass(frozen=True)
class ScoredPrediction:
    """One served prediction and its realized outcome, 14 days later."""

    forecast_change: float  # served forecast ev_per_dollar(t+14) - ev_per_dollar(t)
    realized_change: float  # ev_per_dollar(t+14) - ev_per_dollar(t)
    trend_change: float  # ev_change_14d_past: the trend baseline's forecast
    claim_probability: float | None  # served P(top prize claimed in (t, t+14])
    realized_claim: int  # 1 when the top tier's remaining count fell in (t, t+14]
    base_rate: float  # claim rate of all labels known on day t
    game_rate: float  # the game's own claim rate then, shrunk toward base_rate
    ai_score: float
    ev_per_dollar: float  # today's value, the arithmetic ranking
    recommendation: str


def mean(values: Sequence[float]) -> float:
    total = 0.0
    for v in values:
        total += v
    return total / len(values)


def square(x: float) -> float:
    return x * x  # not x ** 2: the port multiplies too


def skill(loss: float, baseline_loss: float) -> float | None:
    """1 - loss / baseline_loss; None when the baseline is perfect (no room for skill)."""
    return None if baseline_loss == 0.0 else 1.0 - loss / baseline_loss


def average_ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks, ties sharing their average rank."""
    order = sorted(range(len(values)), key=lambda i: (values[i], i))
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        rank = (i + j) / 2.0 + 1.0
        for k in range(i, j + 1):
            ranks[order[k]] = rank
        i = j + 1
    return ranks


def spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Pearson correlation of the average ranks; None with fewer than 2 rows or a constant side."""
    if len(x) < 2:
        return None
    rx, ry = average_ranks(x), average_ranks(y)
    mx, my = mean(rx), mean(ry)
    sxy = sxx = syy = 0.0
    for a, b in zip(rx, ry, strict=True):
        sxy += (a - mx) * (b - my)
        sxx += (a - mx) * (a - mx)
        syy += (b - my) * (b - my)
    if sxx == 0.0 or syy == 0.0:
        return None
    return sxy / math.sqrt(sxx * syy)


def median(values: Sequence[float]) -> float:
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 == 1 else (s[mid - 1] + s[mid]) / 2.0


def class_figures(rows: Sequence[ScoredPrediction]) -> dict[str, dict[str, Any]]:
    """Per recommendation class present: n, mean realized change, hits and hit rate."""
    mid = median([r.realized_change for r in rows])
    out: dict[str, dict[str, Any]] = {}
    for label in CLASSES:
        members = [r for r in rows if r.recommendation == label]
        if not members:
            continue
        hits: int | None = None
        if label in BUY_SIDE:
            hits = sum(1 for r in members if r.realized_change > mid)
        elif label in AVOID_SIDE:
            hits = sum(1 for r in members if r.realized_change < mid)
        out[label] = {
            "n": len(members),
            "mean_realized_change": mean([r.realized_change for r in members]),
            "hits": hits,
            "hit_rate": None if hits is None else hits / len(members),
        }
    return out


def claim_figures(rows: Sequence[ScoredPrediction]) -> dict[str, Any]:
    """Brier against both baselines and the 0.5-threshold counts; empty without probabilities."""
    scored = [r for r in rows if r.claim_probability is not None]
    if not scored:
        return {}
    probability = [float(r.claim_probability or 0.0) for r in scored]
    brier = mean([square(p - r.realized_claim) for p, r in zip(probability, scored, strict=True)])
    base = mean([square(r.base_rate - r.realized_claim) for r in scored])
    game = mean([square(r.game_rate - r.realized_claim) for r in scored])
    tp = fp = fn = tn = 0
    for p, r in zip(probability, scored, strict=True):
        said = p >= CLAIM_THRESHOLD
        if said and r.realized_claim:
            tp += 1
        elif said:
            fp += 1
        elif r.realized_claim:
            fn += 1
        else:
            tn += 1
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = (
        2.0 * precision * recall / (precision + recall)
        if precision is not None and recall is not None and precision + recall > 0.0
        else None
    )
    return {
        "n_claim": len(scored),
        "claim_rate": mean([float(r.realized_claim) for r in scored]),
        "brier": brier,
        "brier_base_rate": base,
        "brier_game_rate": game,
        "brier_skill_base_rate": skill(brier, base),
        "brier_skill_game_rate": skill(brier, game),
        "accuracy": (tp + tn) / len(scored),
        "precision_score": precision,
        "recall_score": recall,
        "f1_score": f1,
    }


def verdict(figures: dict[str, Any]) -> str:
    """Plain words: where the model adds something beyond arithmetic and where it does not."""
    parts = []
    for key, name in (("skill_persistence", "no change"), ("skill_trend", "the 14-day trend")):
        value = figures[key]
        if value is None or value <= 0.0:
            parts.append(f"EV forecast no better than {name}.")
    for key, name in (
        ("brier_skill_base_rate", "the base rate"),
        ("brier_skill_game_rate", "the game's own rate"),
    ):
        if key in figures and (figures[key] is None or figures[key] <= 0.0):
            parts.append(f"Claim probability no better than {name}.")
    ai, epd = figures["spearman_ai_score"], figures["spearman_ev_per_dollar"]
    if ai is None or epd is None or ai <= epd:
        parts.append("ai_score ranks games no better than today's EV per dollar alone.")
    if not parts:
        return "Beat every baseline on this day, including ranking by today's EV per dollar."
    return " ".join(parts)


def day_figures(rows: Sequence[ScoredPrediction]) -> dict[str, Any]:
    """The scorecard of one model version's predictions of one day (rows in a fixed order)."""
    if not rows:
        raise ValueError("no scored predictions")
    realized = [r.realized_change for r in rows]
    mae = mean([abs(r.forecast_change - r.realized_change) for r in rows])
    mae_persistence = mean([abs(0.0 - r.realized_change) for r in rows])
    mae_trend = mean([abs(r.trend_change - r.realized_change) for r in rows])
    figures: dict[str, Any] = {
        "n": len(rows),
        "mean_absolute_error": mae,
        "mae_persistence": mae_persistence,
        "mae_trend": mae_trend,
        "skill_persistence": skill(mae, mae_persistence),
        "skill_trend": skill(mae, mae_trend),
        **claim_figures(rows),
        "spearman_ai_score": spearman([r.ai_score for r in rows], realized),
        "spearman_ev_per_dollar": spearman([r.ev_per_dollar for r in rows], realized),
        "classes": class_figures(rows),
    }
    figures["notes"] = verdict(figures)
    return figures


PRIOR_ROWS = 14.0  # game claim-rate baseline: shrink toward the base rate by 14 pseudo-rows


def claim_rates(
    base_claims: float, base_n: int, game_claims: float, game_n: int
) -> tuple[float, float]:
    """The claim baselines from label counts known on the day: (base rate over all games, 0.5
    before any label is known; the game's own rate, shrunk toward it)."""
    base = base_claims / base_n if base_n > 0 else 0.5
    return base, (game_claims + PRIOR_ROWS * base) / (game_n + PRIOR_ROWS)
