"""The same one-game prediction in Python, in process: onnxruntime and the native models."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .common import Bench, log, ms, percentile


@dataclass
class GameInput:
    tiers: list[Any]
    price: float
    odds: float | None
    printed: float | None
    history: dict[int, Any]  # day -> metrics, the WINDOW_DAYS days before t
    t: int
    first_seen: int


def native_inputs(frame: Any) -> list[GameInput]:
    """Each game present on the frame's last day, as the predict function reads it."""
    import pandas as pd

    from trainer.scratchoff.analytics import tiers_from_arrays
    from trainer.scratchoff.features import WINDOW_DAYS, day_number, game_histories

    last = frame["snapshot_date"].max()
    histories = game_histories(frame)
    out = []
    for (state, game), rows in frame[frame["snapshot_date"] == last].groupby(
        ["state", "game_number"]
    ):
        rows = rows.sort_values("prize_amount")
        head = rows.iloc[0]
        history = histories[(state, game)][1]
        t = day_number(last)
        out.append(
            GameInput(
                tiers=tiers_from_arrays(
                    rows["prize_amount"].to_numpy(float),
                    rows["prizes_printed"].to_numpy(),
                    rows["prizes_remaining"].to_numpy(),
                    rows["tier_index"].to_numpy(),
                ),
                price=float(head["ticket_price"]),
                odds=None if pd.isna(head["overall_odds"]) else float(head["overall_odds"]),
                printed=None
                if pd.isna(head["total_tickets_printed"])
                else float(head["total_tickets_printed"]),
                history={d: m for d, m in history.items() if t - WINDOW_DAYS <= d < t},
                t=t,
                first_seen=min(history),
            )
        )
    return out


def predict_one(
    g: GameInput, run_models: Callable[[Any], tuple[list[float], list[float]]], manifest: dict
) -> Any:
    """The predict function's work for one game, in Python: metrics, features, models, row."""
    import numpy as np

    from trainer.scratchoff.analytics import game_metrics
    from trainer.scratchoff.features import game_features
    from trainer.scratchoff.prediction import prediction_row

    metrics = game_metrics(g.tiers, g.price, g.odds, g.printed)
    history = {**g.history, g.t: metrics}
    x = game_features(history, g.t, g.first_seen)
    if x is None:
        return None
    changes, claims = run_models(np.asarray([x], dtype=np.float32))
    entry = manifest["ev_change_14d_rf"]
    return prediction_row(
        metrics,
        max(1, g.t - g.first_seen + 1),
        changes,
        claims,
        entry["ai_score_reference"],
        entry["confidence_spread_scale"],
    )


def bench_native(b: Bench) -> None:
    from trainer.export import MODELS_DIR, load_manifest, ort_session
    from trainer.scratchoff.features import feature_frame
    from trainer.scratchoff.forecast import SPECS, fit_fixed, labelled

    manifest = load_manifest(MODELS_DIR)["models"]
    frame = b.frame()
    inputs = native_inputs(frame)
    regressors = [s for s in SPECS if s.kind == "regressor"]
    classifiers = [s for s in SPECS if s.kind == "classifier"]

    sessions = {
        s.name: ort_session((MODELS_DIR / manifest[s.name]["file"]).read_bytes()) for s in SPECS
    }

    def run_ort(X: Any) -> tuple[list[float], list[float]]:
        changes = [float(sessions[s.name].run(None, {"input": X})[0][0, 0]) for s in regressors]
        claims = [float(sessions[s.name].run(None, {"input": X})[1][0, 1]) for s in classifiers]
        return changes, claims

    log("native: refitting the four scratch-off models with the manifest's hyperparameters")
    t0 = time.perf_counter()
    features = feature_frame(frame)
    estimators = {}
    for spec in SPECS:
        params = {k: v for k, v in manifest[spec.name]["hyperparameters"].items()}
        estimators[spec.name] = fit_fixed(spec, labelled(features, spec.target), params)
    fit_s = time.perf_counter() - t0

    def run_native(X: Any) -> tuple[list[float], list[float]]:
        changes = [float(estimators[s.name].predict(X)[0]) for s in regressors]
        claims = [float(estimators[s.name].predict_proba(X)[0, 1]) for s in classifiers]
        return changes, claims

    # The two backends agree (the refit reproduces the exported models).
    delta = 0.0
    for g in inputs:
        a, c = predict_one(g, run_ort, manifest), predict_one(g, run_native, manifest)
        if a is not None and c is not None and a.ai_score is not None:
            delta = max(delta, abs(a.ai_score - c.ai_score))

    out: dict[str, Any] = {"games": len(inputs), "runs": b.args.native_runs, "refit_s": fit_s}
    for label, runner in (("onnxruntime", run_ort), ("native", run_native)):
        for g in inputs[:5]:
            predict_one(g, runner, manifest)  # warm-up
        times = []
        for i in range(b.args.native_runs):
            g = inputs[i % len(inputs)]
            t = time.perf_counter()
            predict_one(g, runner, manifest)
            times.append(time.perf_counter() - t)
        out[label] = {"p50_ms": ms(percentile(times, 50)), "p99_ms": ms(percentile(times, 99))}
        log(f"native, {label}: p50 {out[label]['p50_ms']:.3f} ms")
    out["max_ai_score_delta"] = delta
    b.details["python_single_game"] = out
    b.row(
        "Python, one game: metrics + features + 4 models (onnxruntime, 1 thread)",
        f"p50 {out['onnxruntime']['p50_ms']:.2f} ms, p99 {out['onnxruntime']['p99_ms']:.2f} ms",
        "",
        None,
        f"committed .onnx files; in process, no DB, no HTTP; n={b.args.native_runs}",
    )
    b.row(
        "Python, one game: metrics + features + 4 models (scikit-learn / XGBoost)",
        f"p50 {out['native']['p50_ms']:.2f} ms, p99 {out['native']['p99_ms']:.2f} ms",
        "",
        None,
        f"refitted with the manifest's hyperparameters in {fit_s:.0f}s; ai_score vs onnxruntime"
        f" within {delta:.1e}",
    )
