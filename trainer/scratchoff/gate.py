"""The publish gate (issue 15): before `publish` activates a scratch-off model set, evaluate it on
the latest WINDOW_DAYS labelled days against the baselines and against the active set.

Two views of the same days, both scored as the app is served (the mean of the two regressors'
change, the mean of the two classifiers' probability), with the scorecard's figures
(trainer/scratchoff/scorecard.py) and its baselines (persistence and trend; base rate and the
game's own rate from the labels known on each day):

- walk_forward: the candidate's recipe (its manifest hyperparameters) refitted one week at a time
  on rows whose labels were known before that week (trainer/evaluate.py's walk forward): what the
  set would have scored had it been published then; out of sample.
- models: the candidate's own ONNX files run by onnxruntime on the same rows. A model trained on
  all the data has seen these days, so this is a low bar; it catches a set whose bytes are broken
  or learned the wrong thing (e.g. shuffled labels), which a refit of its recipe would not.
The active set's ONNX files are run on the same rows for comparison (recorded, not a refusal).

A set passes when the served forecast beats every baseline in both views (skill > 0 over the
window); otherwise publish refuses it unless forced. The walk forward is cached per process by a
hash of the rows and the hyperparameters, so repeated publishes of the same set cost it once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import psycopg

from trainer.modeling import Progress, print_progress
from trainer.scratchoff.features import FEATURE_NAMES, TARGETS
from trainer.scratchoff.forecast import load_frame
from trainer.scratchoff.prediction import ai_score, forecast_ev_per_dollar, recommendation
from trainer.scratchoff.scorecard import ScoredPrediction, day_figures

WINDOW_DAYS = 28
REGRESSORS = ["ev_change_14d_rf", "ev_change_14d_xgb"]
CLASSIFIERS = ["top_prize_claim_14d_rf", "top_prize_claim_14d_xgb"]
MODEL_NAMES = REGRESSORS + CLASSIFIERS
GATE_FIGURES = {
    "skill_persistence": "MAE skill vs persistence (no change)",
    "skill_trend": "MAE skill vs the 14-day trend",
    "brier_skill_base_rate": "Brier skill vs the base rate",
    "brier_skill_game_rate": "Brier skill vs the game's own rate",
}
KEPT = [
    "n",
    "mean_absolute_error",
    "mae_persistence",
    "mae_trend",
    "brier",
    "brier_base_rate",
    "brier_game_rate",
    "spearman_ai_score",
    "spearman_ev_per_dollar",
    *GATE_FIGURES,
]

_walk_forward_cache: dict[str, pd.DataFrame] = {}
_features_cache: dict[str, pd.DataFrame] = {}


@dataclass(frozen=True)
class SetOutputs:
    """Per scored row: the served ensemble change and claim probability."""

    change: np.ndarray
    claim: np.ndarray


def rows_hash(features: pd.DataFrame) -> str:
    """sha256 of the labelled feature rows (keys, features, targets) in their order."""
    columns = ["state", "game_number", "day", *FEATURE_NAMES, *TARGETS]
    return hashlib.sha256(
        pd.util.hash_pandas_object(features[columns], index=False).to_numpy().tobytes()
    ).hexdigest()


def frame_hash(frame: pd.DataFrame) -> str:
    """sha256 of a canonical scratch-off frame's rows (columns and order as loaded)."""
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes()
    return hashlib.sha256(",".join(frame.columns).encode() + hashed).hexdigest()


def features_of(frame: pd.DataFrame) -> pd.DataFrame:
    """feature_frame(frame), cached per process by the rows' hash (publish may run many times)."""
    from trainer.scratchoff.features import feature_frame

    key = frame_hash(frame)
    if key not in _features_cache:
        _features_cache[key] = feature_frame(frame)
    return _features_cache[key]


def window(features: pd.DataFrame, days: int = WINDOW_DAYS) -> pd.DataFrame:
    """The labelled rows of the latest `days` labelled days, with the claim baselines."""
    from trainer.scratchoff.evaluate import claim_baselines

    rows = features[features[TARGETS[0]].notna()]
    last = int(rows["day"].max())
    scored = rows[rows["day"] > last - days].copy()
    scored[["base_rate", "game_rate"]] = claim_baselines(rows, scored, TARGETS[1])
    return scored


def walk_forward_outputs(
    features: pd.DataFrame,
    params: Mapping[str, dict[str, Any]],
    days: int = WINDOW_DAYS,
    progress: Progress = print_progress,
) -> pd.DataFrame:
    """The recipe refitted week by week (evaluate.walk_forward) over the latest `days` labelled
    days: key columns plus `change` and `claim` (ensemble means). Cached per process."""
    from trainer.scratchoff.evaluate import STEP_DAYS, walk_forward

    key = rows_hash(features) + json.dumps(params, sort_keys=True) + str(days)
    if key not in _walk_forward_cache:
        scored, _ = walk_forward(features, dict(params), weeks=days // STEP_DAYS, progress=progress)
        keys = ["day", "state", "game_number"]
        reg = scored[TARGETS[0]][[*keys, "ensemble"]].rename(columns={"ensemble": "change"})
        clf = scored[TARGETS[1]][[*keys, "ensemble"]].rename(columns={"ensemble": "claim"})
        _walk_forward_cache[key] = reg.merge(clf, on=keys, how="inner", validate="1:1")
    return _walk_forward_cache[key]


def onnx_outputs(models: Mapping[str, bytes], rows: pd.DataFrame) -> SetOutputs:
    """The set's ONNX files on the rows (onnxruntime, one thread), served as the batch serves."""
    from trainer.export import INPUT_NAME, ort_session

    X = np.ascontiguousarray(rows[FEATURE_NAMES].to_numpy(dtype=np.float32))
    out = {}
    for name in MODEL_NAMES:
        result = ort_session(models[name]).run(None, {INPUT_NAME: X})
        values = result[0] if name in REGRESSORS else result[1][:, 1]
        out[name] = np.asarray(values, dtype=np.float64).reshape(-1)
    change = (out[REGRESSORS[0]] + out[REGRESSORS[1]]) / 2.0
    claim = np.clip((out[CLASSIFIERS[0]] + out[CLASSIFIERS[1]]) / 2.0, 0.0, 1.0)
    return SetOutputs(change, claim)


def figures(rows: pd.DataFrame, outputs: SetOutputs, reference: list[float]) -> dict[str, Any]:
    """The scorecard's figures pooled over the window (one group of every scored row)."""
    scored = []
    for r, change, claim in zip(rows.itertuples(), outputs.change, outputs.claim, strict=True):
        forecast = forecast_ev_per_dollar(float(r.ev_per_dollar), [float(change)])
        score = ai_score(forecast, reference)
        scored.append(
            ScoredPrediction(
                forecast_change=float(change),
                realized_change=float(r.ev_change_14d),
                trend_change=float(r.ev_change_14d_past),
                claim_probability=float(claim),
                realized_claim=int(r.top_prize_claim_14d),
                base_rate=float(r.base_rate),
                game_rate=float(r.game_rate),
                ai_score=score,
                ev_per_dollar=float(r.ev_per_dollar),
                recommendation=recommendation(score),
            )
        )
    all_figures = day_figures(scored)
    return {k: all_figures[k] for k in KEPT}


def beats(f: Mapping[str, Any]) -> list[str]:
    """The baselines the figures do not beat (skill <= 0 or undefined)."""
    return [text for key, text in GATE_FIGURES.items() if f[key] is None or f[key] <= 0.0]


def evaluate_set(
    features: pd.DataFrame,
    manifest: Mapping[str, Any],
    candidate: Mapping[str, bytes],
    active: Mapping[str, bytes] | None,
    progress: Progress = print_progress,
) -> dict[str, Any]:
    """The gate's evaluation of a candidate set (manifest entries by name, ONNX bytes by name)
    and, when given, of the active set's bytes, on the same rows. JSON-ready."""
    entries = manifest["models"]
    reference = entries[REGRESSORS[0]]["ai_score_reference"]
    rows = window(features)
    params = {n: entries[n]["hyperparameters"] for n in MODEL_NAMES}
    wf = walk_forward_outputs(features, params, progress=progress)
    merged = rows.merge(wf, on=["day", "state", "game_number"], how="inner", validate="1:1")
    if len(merged) != len(rows):
        raise ValueError("the walk forward did not score every row of the window")
    served = SetOutputs(merged["change"].to_numpy(), merged["claim"].to_numpy())
    walk = figures(merged, served, reference)
    own = figures(rows, onnx_outputs(candidate, rows), reference)
    failed = [f"walk-forward: {b}" for b in beats(walk)] + [
        f"candidate models: {b}" for b in beats(own)
    ]
    first, last = int(rows["day"].min()), int(rows["day"].max())
    result: dict[str, Any] = {
        "window": [_iso(first), _iso(last)],
        "window_days": WINDOW_DAYS,
        "rows": len(rows),
        "rows_sha256": rows_hash(features),
        "walk_forward": walk,
        "candidate_models": own,
        "active_models": figures(rows, onnx_outputs(active, rows), reference) if active else None,
        "beats_baselines": not failed,
        "not_beaten": failed,
        "meaning": (
            "served forecast (mean of rf and xgb) on the latest labelled days; walk_forward: the "
            "candidate's hyperparameters refitted weekly on labels known before each week (out of "
            "sample); candidate_models / active_models: the ONNX files themselves (in sample for "
            "days they were trained on); skill = 1 - loss / loss of the baseline"
        ),
    }
    if active:
        result["better_than_active"] = (
            own["mean_absolute_error"] <= result["active_models"]["mean_absolute_error"]
            and own["brier"] <= result["active_models"]["brier"]
        )
    progress(
        f"[gate] {result['window'][0]}..{result['window'][1]}, {len(rows)} game-days: "
        + ", ".join(f"{k} {walk[k]:+.3f}" for k in GATE_FIGURES if walk[k] is not None)
        + (" (walk-forward)" if not failed else f"; NOT beaten: {'; '.join(failed)}")
    )
    return result


def _iso(day: int) -> str:
    return str((pd.Timestamp(0) + pd.Timedelta(days=day)).date())


def evaluate_candidate(
    manifest: dict,
    checked: list[tuple[dict, bytes]],
    conn: psycopg.Connection,
    source: str,
    db_url: str | None,
    progress: Progress,
) -> dict | None:
    """The gate's evaluation of the scratch-off set, for trainer/registry.py's publish; None when
    there is nothing to decide: no scratch-off models, or exactly the active versions."""
    if not set(MODEL_NAMES) <= set(manifest["models"]):
        return None
    active = {
        name: (version, bytes(data))
        for name, version, data in conn.execute(
            "select name, version, onnx from public.model_registry"
            " where is_active and name = any(%s)",
            (MODEL_NAMES,),
        ).fetchall()
    }
    if all(active.get(n, ("",))[0] == manifest["models"][n]["version"] for n in MODEL_NAMES):
        return None
    candidate = {entry["name"]: data for entry, data in checked if entry["name"] in MODEL_NAMES}
    active_bytes = {n: v[1] for n, v in active.items()} if len(active) == len(MODEL_NAMES) else None
    features = features_of(load_frame(source, db_url))
    return evaluate_set(features, manifest, candidate, active_bytes, progress)
