"""The scorecard in its scheduled path (issue 15): the pg_cron job 'scorecard' (after the daily
batch) calls the `scorecard` function, which scores every served prediction whose 14-day horizon
has closed and whose outcome snapshot exists, and writes model_performance.

The shipped history is replayed day by day: the offline walk forward (trainer/evaluate.py: the
committed hyperparameters refitted weekly on labels known before each week) serves the latest 28
labelled days as the batch would (model_version 'replay-walk-forward'), and the job's own command
runs for each day from the first day's horizon to the last's. Each run adds exactly the one day
whose horizon closed (rows appear once per day; earlier rows are not rewritten; a rerun changes
nothing), and at the end every day's figures equal the Python scorecard of the offline walk
forward for that day, the 30-day view equals the offline figures pooled, and
`python -m trainer scorecard` prints them with a plot."""

from __future__ import annotations

import datetime as dt
import json
import math

import psycopg
import pytest
from stack_data import ensure_loaded, replaying
from test_schedule import run_job

from trainer.export import load_manifest
from trainer.scratchoff.features import FEATURE_NAMES
from trainer.scratchoff.gate import MODEL_NAMES, features_of, walk_forward_outputs, window
from trainer.scratchoff.load import load_scratchoff
from trainer.scratchoff.prediction import ai_score, forecast_ev_per_dollar, recommendation
from trainer.scratchoff.scorecard import ScoredPrediction, day_figures
from trainer.scratchoff.scorecard_report import scorecard

VERSION = "replay-walk-forward"
REL = 1e-9
TODAY = "(now() at time zone 'utc')::date"
FIGURES = [
    "mean_absolute_error",
    "mae_persistence",
    "mae_trend",
    "skill_persistence",
    "skill_trend",
    "n_claim",
    "claim_rate",
    "brier",
    "brier_base_rate",
    "brier_game_rate",
    "brier_skill_base_rate",
    "brier_skill_game_rate",
    "accuracy",
    "precision_score",
    "recall_score",
    "f1_score",
    "spearman_ai_score",
    "spearman_ev_per_dollar",
]


@pytest.fixture(scope="module", autouse=True)
def loaded(stack):
    ensure_loaded(stack.db_url)


def quiet(_message: str) -> None:
    pass


def iso(day: int) -> str:
    return str(dt.date(1970, 1, 1) + dt.timedelta(days=int(day)))


def offline_rows():
    """The latest 28 labelled days as the walk forward served them, with the claim baselines."""
    features = features_of(load_scratchoff())
    manifest = load_manifest()["models"]
    params = {n: manifest[n]["hyperparameters"] for n in MODEL_NAMES}
    served = walk_forward_outputs(features, params, progress=quiet)
    rows = window(features).merge(served, on=["day", "state", "game_number"], validate="1:1")
    return rows, manifest["ev_change_14d_rf"]["ai_score_reference"]


def prediction_row(r, game_id: int, reference: list[float]) -> dict:
    forecast = forecast_ev_per_dollar(float(r.ev_per_dollar), [float(r.change)])
    score = ai_score(forecast, reference)
    return {
        "game_id": game_id,
        "prediction_date": iso(r.day),
        "model_version": VERSION,
        "ai_score": score,
        "win_probability": float(r.win_probability),
        "expected_value": float(r.net_ev),
        "confidence_level": 50.0,
        "recommendation": recommendation(score),
        "reasoning": "walk-forward replay",
        "data_as_of": iso(r.day),
        "features_used": {
            "snapshot_date": iso(r.day),
            **{n: float(getattr(r, n)) for n in FEATURE_NAMES},
        },
        "forecast_ev_per_dollar": forecast,
        "top_prize_claim_probability": min(1.0, max(0.0, float(r.claim))),
    }


def expected_figures(rows, reference: list[float]) -> dict[str, dict]:
    """The Python scorecard of each offline day, rows in game_id order (as the function reads)."""
    out = {}
    for day, part in rows.sort_values(["day", "game_id"]).groupby("day"):
        scored = []
        for r in part.itertuples():
            p = prediction_row(r, int(r.game_id), reference)
            scored.append(
                ScoredPrediction(
                    forecast_change=float(r.change),
                    realized_change=float(r.ev_change_14d),
                    trend_change=float(r.ev_change_14d_past),
                    claim_probability=p["top_prize_claim_probability"],
                    realized_claim=int(r.top_prize_claim_14d),
                    base_rate=float(r.base_rate),
                    game_rate=float(r.game_rate),
                    ai_score=p["ai_score"],
                    ev_per_dollar=float(r.ev_per_dollar),
                    recommendation=p["recommendation"],
                )
            )
        out[iso(day)] = day_figures(scored)
    return out


def close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=REL, abs_tol=1e-12)


def clear(conn: psycopg.Connection) -> None:
    conn.execute("delete from public.predictions where model_version = %s", (VERSION,))
    conn.execute("delete from public.model_performance where model_version = %s", (VERSION,))


def performance(conn: psycopg.Connection) -> dict[str, dict]:
    cur = conn.execute(
        "select * from public.model_performance where model_version = %s order by evaluation_date",
        (VERSION,),
    )
    names = [c.name for c in cur.description]
    return {str(r[names.index("evaluation_date")]): dict(zip(names, r, strict=True)) for r in cur}


def test_replaying_the_shipped_history_scores_each_day_once_as_the_offline_walk_forward(
    stack, tmp_path
):
    rows, reference = offline_rows()
    with (
        psycopg.connect(stack.db_url, autocommit=True) as conn,
        replaying(conn, "scorecard"),
    ):
        job = conn.execute(
            "select command, schedule, active from cron.job where jobname = 'scorecard'"
        ).fetchone()
        assert job is not None, "no pg_cron job named scorecard"
        command, schedule, active = job
        assert (schedule, active) == ("30 8 * * *", True)  # after the batch's 08:00
        assert "public.start_daily_step('scorecard'," in command  # test_daily_recovery
        assert command.count(TODAY) == 1
        ids = dict(
            ((s, g), i)
            for i, s, g in conn.execute("select id, state, game_number from public.games")
        )
        rows["game_id"] = [
            ids[(s, g)] for s, g in zip(rows["state"], rows["game_number"], strict=True)
        ]
        want = expected_figures(rows, reference)
        days = sorted(int(d) for d in rows["day"].unique())
        assert len(days) == 28
        clear(conn)
        try:
            served: set[int] = set()
            seen: dict[str, tuple] = {}
            for run in range(days[0] + 14, days[-1] + 15):
                new = [d for d in days if d <= run and d not in served]
                batch = [
                    prediction_row(r, int(r.game_id), reference)
                    for r in rows[rows["day"].isin(new)].itertuples()
                ]
                if batch:
                    columns = ", ".join(batch[0])
                    conn.execute(
                        f"insert into public.predictions ({columns}) select {columns}"
                        " from jsonb_populate_recordset(null::public.predictions, %s::jsonb)",
                        (json.dumps(batch),),
                    )
                served.update(new)
                result = run_job(conn, command.replace(TODAY, f"'{iso(run)}'::date"))
                assert result["run_date"] == iso(run)
                now = performance(conn)
                closed = [iso(d) for d in days if d + 14 <= run]
                assert sorted(now) == closed  # exactly the days whose horizon has closed
                for day, row in now.items():  # earlier days are not rewritten
                    key = (row["id"], row["created_at"])
                    assert seen.setdefault(day, key) == key
            again = run_job(conn, command.replace(TODAY, f"'{iso(days[-1] + 14)}'::date"))
            assert again["model_performance"]["inserted"] == 0
            assert again["model_performance"]["updated"] == 0

            got = performance(conn)
            mismatches = []
            for day, w in want.items():
                g = got[day]
                assert g["test_set_size"] == w["n"]
                assert g["outcome_date"] == dt.date.fromisoformat(day) + dt.timedelta(days=14)
                mismatches += [
                    (day, k, w.get(k), g[k]) for k in FIGURES if not close(w.get(k), g[k])
                ]
                assert set(g["classes"]) == set(w["classes"])
                for label, wc in w["classes"].items():
                    gc = g["classes"][label]
                    assert (gc["n"], gc["hits"]) == (wc["n"], wc["hits"]), (day, label)
                    assert close(gc["hit_rate"], wc["hit_rate"])
                    assert close(gc["mean_realized_change"], wc["mean_realized_change"])
                assert g["notes"] == w["notes"]
            assert not mismatches, mismatches[:5]

            pooled = conn.execute(
                "select days, predictions, mean_absolute_error, mae_persistence, mae_trend, brier,"
                " brier_base_rate, brier_game_rate, skill_persistence, skill_trend,"
                " brier_skill_base_rate, brier_skill_game_rate, verdict"
                " from public.model_performance_30d where model_version = %s",
                (VERSION,),
            ).fetchone()
            print(f"\nreplayed {len(days)} days, {len(rows)} predictions; 30-day view: {pooled}")
            assert pooled[:2] == (28, len(rows))
            n = len(rows)
            for i, key in enumerate(FIGURES[:3], start=2):
                offline = sum(w[key] * w["n"] for w in want.values()) / n
                assert close(pooled[i], offline), (key, pooled[i], offline)
            text, plot = scorecard(stack.db_url, tmp_path, VERSION)  # python -m trainer scorecard
            print("\n".join(text))
            assert text[0].startswith(f"model {VERSION}: 28 days served {iso(days[0])}")
            assert sum(1 for line in text if line.startswith(f"  {iso(days[0])[:4]}-")) == 28
            assert plot is not None and plot.stat().st_size > 10_000
        finally:
            clear(conn)


def test_anon_reads_the_scorecard_and_its_view_but_cannot_write(stack):
    with psycopg.connect(stack.db_url) as conn:
        conn.execute("set role anon")
        conn.execute("select * from public.model_performance_30d").fetchall()
        conn.execute("select * from public.model_performance").fetchall()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "insert into public.model_performance (model_version, evaluation_date,"
                " outcome_date, test_set_size, mean_absolute_error, mae_persistence, mae_trend,"
                " notes) values ('x', '2026-01-01', '2026-01-15', 1, 0, 0, 0, 'x')"
            )
