"""End to end: for the same snapshot, `predict` over HTTP (TypeScript port + the ONNX engine of the
edge function) and the Python pipeline (trainer.analytics, trainer.features, onnxruntime on the
committed onnx_models files, trainer.prediction) give the same prediction: same recommendation,
ai_score within 0.01, expected_value and win_probability within 1e-9 relative. Every game in the
database is compared, on the latest snapshot day and on a day in the middle of the data."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import psycopg
import pytest
from stack_data import ensure_loaded, http

from trainer.export import INPUT_NAME, MODELS_DIR, load_manifest, ort_session
from trainer.scratchoff.analytics import GameMetrics
from trainer.scratchoff.features import FEATURE_NAMES, day_number, game_features, game_histories
from trainer.scratchoff.prediction import PredictionRow, prediction_row, stale_reason
from trainer.scratchoff.store import read_scratchoff

REGRESSORS = ["ev_change_14d_rf", "ev_change_14d_xgb"]
CLASSIFIERS = ["top_prize_claim_14d_rf", "top_prize_claim_14d_xgb"]
MAX_GAMES = 100  # predict's list limit


@dataclass
class Expected:
    game_id: int
    label: str
    snapshot_day: int | None
    metrics: GameMetrics | None
    features: list[float] | None
    outputs: dict[str, float] | None
    row: PredictionRow | None
    reason: str | None


@pytest.fixture(scope="module")
def pipeline(stack):
    """The database's snapshot as the trainer reads it, the games, and the committed models."""
    ensure_loaded(stack.db_url)
    manifest = load_manifest(MODELS_DIR)["models"]
    with psycopg.connect(stack.db_url) as conn:
        frame = read_scratchoff(conn)
        games = conn.execute(
            "select id, state, game_number, first_seen from public.games order by id"
        ).fetchall()
        active = dict(
            conn.execute(
                "select name, sha256 from public.model_registry where is_active and name = any(%s)",
                (REGRESSORS + CLASSIFIERS,),
            ).fetchall()
        )
        first, last = conn.execute(
            # the shipped Texas days (another state's feed, e.g. New York's, may be older)
            "select min(t.snapshot_date), max(t.snapshot_date) from public.prize_tier_snapshots t"
            " join public.games g on g.id = t.game_id where g.state = 'TX'"
        ).fetchone()
    # The function runs the registry's active models: they must be the committed files.
    assert active == {n: manifest[n]["sha256"] for n in REGRESSORS + CLASSIFIERS}, (
        "the active models in model_registry are not the committed onnx_models/: publish them"
    )
    sessions = {
        n: ort_session((MODELS_DIR / manifest[n]["file"]).read_bytes())
        for n in REGRESSORS + CLASSIFIERS
    }
    for n in REGRESSORS + CLASSIFIERS:
        assert manifest[n]["feature_names"] == FEATURE_NAMES
    return {
        "histories": game_histories(frame),
        "games": games,
        "sessions": sessions,
        "reference": manifest[REGRESSORS[0]]["ai_score_reference"],
        "spread_scale": manifest[REGRESSORS[0]]["confidence_spread_scale"],
        "days": {"latest": last, "middle": first + (last - first) / 2},
    }


def python_predictions(pipeline, date) -> list[Expected]:
    """The Python reference of every game's prediction as of `date`."""
    t_max = day_number(date)
    out: list[Expected] = []
    for game_id, state, number, first_seen in pipeline["games"]:
        label = f"{state}-{number}"
        _, history = pipeline["histories"][(state, number)]
        days = [d for d in history if d <= t_max]
        if not days:
            out.append(Expected(game_id, label, None, None, None, None, None, "no snapshot"))
            continue
        t = max(days)
        metrics = history[t]
        stale = stale_reason(pipeline_date(t), str(date)[:10])
        if stale is not None:  # the analytics of its day, no forecast
            out.append(Expected(game_id, label, t, metrics, None, None, None, stale))
            continue
        x = game_features(history, t, day_number(first_seen))
        out.append(
            Expected(game_id, label, t, metrics, x, None, None, None if x else metrics.reason)
        )
    rows = [e for e in out if e.features is not None]
    X = np.asarray([e.features for e in rows], dtype=np.float32)
    results = {}
    for name, session in pipeline["sessions"].items():
        names = [o.name for o in session.get_outputs()]
        got = dict(zip(names, session.run(None, {INPUT_NAME: X}), strict=True))
        results[name] = (
            got["variable"][:, 0] if name in REGRESSORS else got["probabilities"][:, 1]
        ).astype(np.float64)
    for i, e in enumerate(rows):
        e.outputs = {name: float(results[name][i]) for name in results}
        first_seen = next(g[3] for g in pipeline["games"] if g[0] == e.game_id)
        days_observed = max(1, e.snapshot_day - day_number(first_seen) + 1)
        e.row = prediction_row(
            e.metrics,
            days_observed,
            [e.outputs[n] for n in REGRESSORS],
            [e.outputs[n] for n in CLASSIFIERS],
            pipeline["reference"],
            pipeline["spread_scale"],
        )
    return out


def rel_close(a: float, b: float, rel: float = 1e-9) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=rel if b == 0 else 0.0)


@pytest.mark.parametrize("which", ["latest", "middle"])
def test_predict_over_http_agrees_with_the_python_pipeline(stack, pipeline, which):
    date = pipeline["days"][which].isoformat()
    expected = python_predictions(pipeline, date)
    answers: dict[int, dict] = {}
    for start in range(0, len(expected), MAX_GAMES):
        chunk = expected[start : start + MAX_GAMES]
        status, _, body = http(
            stack.functions_url("predict"),
            {"games": [{"game_id": e.game_id} for e in chunk], "date": date},
            stack.anon_key,
        )
        assert status == 200, body
        for e, result in zip(chunk, body["results"], strict=True):
            assert result["game"]["id"] == e.game_id
            answers[e.game_id] = result

    worst = {"ai_score": 0.0, "expected_value": 0.0, "win_probability": 0.0, "features": 0.0}
    worst_output = 0.0
    for e in expected:
        got = answers[e.game_id]
        snapshot = None if e.snapshot_day is None else pipeline_date(e.snapshot_day)
        assert got["snapshot_date"] == got["data_as_of"] == snapshot, e.label
        assert got["stale"] == (e.reason or "").startswith("stale: "), (e.label, got["reason"])
        if got["stale"]:
            assert got["reason"] == e.reason and got["analytics"] is not None, e.label
        if e.row is None or e.row.reason is not None:
            assert got["prediction"] is None, f"{e.label}: Python refuses ({e.reason})"
            continue
        p = got["prediction"]
        assert p is not None, f"{e.label}: predict refuses ({got['reason']}), Python does not"
        assert p["recommendation"] == e.row.recommendation, (e.label, p, e.row)
        assert abs(p["ai_score"] - e.row.ai_score) <= 0.01, (e.label, p["ai_score"], e.row)
        assert rel_close(p["expected_value"], e.row.expected_value), e.label
        assert rel_close(p["win_probability"], e.row.win_probability), e.label
        assert abs(p["confidence_level"] - e.row.confidence_level) <= 0.01, e.label
        assert p["reasoning"] == e.row.reasoning, e.label
        for name, value in zip(FEATURE_NAMES, e.features, strict=True):
            assert rel_close(got["features"][name], value), (e.label, name)
            worst["features"] = max(worst["features"], rel_err(got["features"][name], value))
        for name, value in e.outputs.items():
            assert abs(got["features"][name] - value) <= 1e-5, (e.label, name)
            worst_output = max(worst_output, abs(got["features"][name] - value))
        worst["ai_score"] = max(worst["ai_score"], abs(p["ai_score"] - e.row.ai_score))
        for f in ("expected_value", "win_probability"):
            worst[f] = max(worst[f], rel_err(p[f], getattr(e.row, f)))

    predicted = sorted(
        (e for e in expected if e.row is not None and e.row.reason is None),
        key=lambda e: e.row.ai_score,
    )
    refused = [e for e in expected if e.row is None or e.row.reason is not None]
    assert len(predicted) >= 3, "too few predictable games to compare"
    print(
        f"\n{which} ({date}): {len(expected)} games, {len(predicted)} predicted,"
        f" {len(refused)} without a prediction ({sorted({e.reason for e in refused})})"
    )
    for tag, e in [
        ("top", predicted[-1]),
        ("middle", predicted[len(predicted) // 2]),
        ("bottom", predicted[0]),
    ]:
        p = answers[e.game_id]["prediction"]
        print(
            f"  {tag:6} {e.label}: ai_score {p['ai_score']:.6f} vs {e.row.ai_score:.6f},"
            f" {p['recommendation']}, EV {p['expected_value']:.6f}, P(win)"
            f" {p['win_probability']:.6f}"
        )
    print(f"  largest differences: {worst}, model outputs {worst_output:.2e}")


def rel_err(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-300) if b else abs(a)


def pipeline_date(day: int) -> str:
    import datetime as dt

    return (dt.date(1970, 1, 1) + dt.timedelta(days=day)).isoformat()
