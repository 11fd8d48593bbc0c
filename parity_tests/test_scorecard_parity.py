"""Python scorecard (trainer/scratchoff/scorecard.py) vs its TypeScript port, which the scheduled
`scorecard` function runs inside Supabase: every figure within 1e-9 relative, counts, classes and
the notes text exactly equal.

Days: every labelled day of the shipped data (its realized 14-day changes and claims), with served
forecasts made up deterministically from the feature row (so both sides score the same numbers),
and hand-made edge days (one row, ties everywhere, no claim probabilities, a perfect baseline)."""

from __future__ import annotations

import json
import math
from dataclasses import asdict

import numpy as np

from parity_tests.ort_web import REPO, run_deno_json
from trainer.scratchoff.features import feature_frame
from trainer.scratchoff.load import load_scratchoff
from trainer.scratchoff.prediction import recommendation
from trainer.scratchoff.scorecard import ScoredPrediction, day_figures

RUNNER = REPO / "parity_tests" / "scorecard_runner.ts"
REL = 1e-9


def shipped_days() -> list[list[ScoredPrediction]]:
    features = feature_frame(load_scratchoff())
    rows = features[features["ev_change_14d"].notna()]
    rng = np.random.default_rng(15)
    days = []
    for _, day in rows.groupby("day", sort=True):
        noise = rng.normal(0.0, 0.002, size=len(day))
        prob = 1.0 - np.exp(-np.maximum(day["expected_top_claims_14d"].to_numpy(), 0.0))
        score = np.clip(50.0 + 5000.0 * (day["ev_change_14d_past"].to_numpy() + noise), 0, 100)
        days.append(
            [
                ScoredPrediction(
                    forecast_change=float(0.5 * r.ev_change_14d_past + n),
                    realized_change=float(r.ev_change_14d),
                    trend_change=float(r.ev_change_14d_past),
                    claim_probability=None if i % 17 == 0 else float(p),
                    realized_claim=int(r.top_prize_claim_14d),
                    base_rate=0.2,
                    game_rate=float(min(1.0, 0.05 + r.top_prizes_claimed_14d_past / 10.0)),
                    ai_score=float(s),
                    ev_per_dollar=float(r.ev_per_dollar),
                    recommendation=recommendation(float(s)),
                )
                for i, (r, n, p, s) in enumerate(
                    zip(day.itertuples(), noise, prob, score, strict=True)
                )
            ]
        )
    return days


def edge_days() -> list[list[ScoredPrediction]]:
    def row(change: float, **kw) -> ScoredPrediction:
        values = dict(
            forecast_change=0.001,
            realized_change=change,
            trend_change=0.0,
            claim_probability=0.3,
            realized_claim=0,
            base_rate=0.2,
            game_rate=0.25,
            ai_score=50.0,
            ev_per_dollar=0.7,
            recommendation="neutral",
        )
        values.update(kw)
        return ScoredPrediction(**values)

    return [
        [row(0.002)],
        [row(0.0), row(0.0), row(0.0)],  # persistence is perfect: skill undefined
        [row(0.001, ai_score=100.0, recommendation="strong_buy") for _ in range(4)],
        [row(0.001 * i, claim_probability=None, ai_score=float(i % 2)) for i in range(6)],
        [row(-0.001 * i, realized_claim=i % 2, claim_probability=0.5) for i in range(5)],
    ]


def close(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=REL, abs_tol=REL)


def test_typescript_scorecard_matches_python_on_every_shipped_day_and_edge_day():
    days = shipped_days() + edge_days()
    want = [day_figures(d) for d in days]
    payload = json.dumps({"days": [[asdict(r) for r in d] for d in days]}, allow_nan=False)
    got = run_deno_json(RUNNER, payload)["figures"]
    assert len(got) == len(want)
    mismatches = []
    n_values = 0
    for i, (w, g) in enumerate(zip(want, got, strict=True)):
        if sorted(w) != sorted(g):
            mismatches.append((i, "keys", sorted(set(w) ^ set(g))))
            continue
        for key, value in w.items():
            n_values += 1
            if key == "classes":
                if set(value) != set(g[key]):
                    mismatches.append((i, key, value, g[key]))
                for label, c in value.items():
                    for k, v in c.items():
                        if not close(v, g[key][label][k]):
                            mismatches.append((i, f"{label}.{k}", v, g[key][label][k]))
            elif key == "notes":
                if value != g[key]:
                    mismatches.append((i, key, value, g[key]))
            elif not close(value, g[key]):
                mismatches.append((i, key, value, g[key]))
    print(f"\nscorecard parity: {len(days)} days, {n_values} figures, {len(mismatches)} mismatches")
    assert not mismatches, mismatches[:10]
    assert sum(len(d) for d in days) > 5000  # the whole shipped history was scored
