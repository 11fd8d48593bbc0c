"""The Python peer of `predict`, for scripts/bench: the same work as the edge function, served the
conventional Python way, so that the two are measured side by side on one machine in one run.

An ASGI app (Starlette, served by uvicorn with uvloop and httptools, one process like one function
isolate) with a psycopg pool of the functions' size (4) and plan cache mode (generic plans): per
request one statement reads the games, their latest snapshot on or before the date, its tiers, the
stored metrics of the window before and the active model versions (as `_shared/scratchoff/serve.ts`
does); the trainer's Python reference computes metrics, features and the prediction row; onnxruntime
(one thread) runs the registry's active models once over all rows. The answer has the function's
shape ({result} or {results}).
No JWT check and no gateway: compare it with the function called straight, and through the gateway.

    PEER_DB_URL=postgresql://... python -m uvicorn benchmarks.peer_server:app --port 8000
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import os
from collections.abc import AsyncIterator
from typing import Any

import numpy as np
import onnxruntime as ort
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from trainer.scratchoff.analytics import GameMetrics, Tier, game_metrics
from trainer.scratchoff.features import FEATURE_NAMES, WINDOW_DAYS, day_number, game_features
from trainer.scratchoff.prediction import prediction_row

REGRESSORS = ["ev_change_14d_rf", "ev_change_14d_xgb"]
CLASSIFIERS = ["top_prize_claim_14d_rf", "top_prize_claim_14d_xgb"]
MODELS = REGRESSORS + CLASSIFIERS
LAGGED = ["ev_per_dollar", "pct_sold", "top_prizes_left", "top_prize_ratio"]
ENGINE = f"onnxruntime {ort.__version__} (Python)"

SQL = f"""
select (select coalesce(json_object_agg(r.name, r.version), '{{}}'::json)
        from public.model_registry r where r.is_active and r.name = any(%(models)s)) as models,
  g.id, g.state, g.game_number, g.name, g.ticket_price::float8 as ticket_price, g.overall_odds,
  g.total_tickets_printed::float8 as total_tickets_printed, g.first_seen::text as first_seen,
  g.is_active, s.day::text as snapshot_date,
  (select json_agg(json_build_array(t.prize_amount::float8, t.prizes_printed, t.prizes_remaining,
                                    t.tier_index))
   from public.prize_tier_snapshots t where t.game_id = g.id and t.snapshot_date = s.day) as tiers,
  (select json_agg(json_build_array(h.snapshot_date::text, h.reason,
                                    {", ".join(f"h.{f}" for f in LAGGED)}))
   from public.historical_snapshots h where h.game_id = g.id
     and h.snapshot_date >= s.day - {WINDOW_DAYS} and h.snapshot_date < s.day) as history
from public.games g
cross join lateral (select max(h.snapshot_date) as day from public.historical_snapshots h
                    where h.game_id = g.id and h.snapshot_date <= %(day)s::date) s
where g.id = any(%(ids)s::bigint[])
   or (g.state, g.game_number) in (select * from unnest(%(states)s::text[], %(numbers)s::text[]))
order by g.id"""

pool = AsyncConnectionPool(
    os.environ.get("PEER_DB_URL", ""),
    min_size=4,
    max_size=4,
    open=False,
    # Prepared at once and planned once, as the functions' pool does (_shared/db.ts).
    kwargs={"prepare_threshold": 0, "options": "-c plan_cache_mode=force_generic_plan"},
)
sessions: dict[tuple[str, str], ort.InferenceSession] = {}


def model_version(versions: dict[str, str]) -> str:
    """The predictions row's model_version, named as _shared/scratchoff/serve.ts does."""
    joined = ";".join(f"{n}@{versions.get(n)}" for n in MODELS)
    digest = hashlib.sha256(joined.encode()).hexdigest()[:8]
    return f"{str(versions.get(REGRESSORS[0]))[:10]}-{digest}"


def error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


async def session(name: str, version: str) -> ort.InferenceSession:
    """The registry's bytes of (name, version), one session each, loaded once."""
    key = (name, version)
    if key not in sessions:
        async with pool.connection() as conn:
            cur = await conn.execute(
                "select onnx from public.model_registry where name = %s and version = %s", key
            )
            (onnx,) = await cur.fetchone()
        so = ort.SessionOptions()
        so.intra_op_num_threads = so.inter_op_num_threads = 1
        sessions[key] = ort.InferenceSession(
            bytes(onnx), sess_options=so, providers=["CPUExecutionProvider"]
        )
    return sessions[key]


def past_metrics(row: list[Any]) -> GameMetrics:
    """A stored day of the window: only what the features read (as the function fetches it)."""
    values = {f.name: None for f in dataclasses.fields(GameMetrics)}
    values.update(reason=row[1], **dict(zip(LAGGED, row[2:], strict=True)))
    return GameMetrics(**values)


def game_day(r: dict[str, Any]) -> tuple[GameMetrics | None, list[float] | None, str | None]:
    if r["snapshot_date"] is None:
        return None, None, "no snapshot on or before the date"
    tiers = [Tier(p, n, k, i) for p, n, k, i in r["tiers"] or []]
    metrics = game_metrics(tiers, r["ticket_price"], r["overall_odds"], r["total_tickets_printed"])
    t = day_number(dt.date.fromisoformat(r["snapshot_date"]))
    history = {day_number(dt.date.fromisoformat(h[0])): past_metrics(h) for h in r["history"] or []}
    history[t] = metrics
    first_seen = day_number(dt.date.fromisoformat(r["first_seen"]))
    x = game_features(history, t, first_seen)
    return metrics, x, None if x is not None else metrics.reason or "no valid metrics"


async def predict(request: Request) -> JSONResponse:
    try:
        body = json.loads(await request.body())
    except ValueError:
        return error(400, "invalid_json", "the body is not JSON")
    refs = body.get("games", [body])
    date = body.get("date") or dt.datetime.now(dt.UTC).date().isoformat()
    ids = [r["game_id"] for r in refs if "game_id" in r]
    keys = [(r["state"].upper(), str(r["game_number"])) for r in refs if "state" in r]
    async with pool.connection() as conn:
        cur = conn.cursor(row_factory=dict_row)
        await cur.execute(
            SQL,
            {
                "models": MODELS,
                "day": date,
                "ids": ids,
                "states": [k[0] for k in keys],
                "numbers": [k[1] for k in keys],
            },
        )
        rows = await cur.fetchall()
    versions = rows[0]["models"] if rows else {}
    prepared = [(r, *game_day(r)) for r in rows]
    X = np.asarray([x for _, _, x, _ in prepared if x is not None], dtype=np.float32)
    out: dict[str, np.ndarray] = {}
    if len(X):
        for name in MODELS:
            s = await session(name, versions[name])
            results = s.run(None, {"input": X})
            out[name] = results[0][:, 0] if name in REGRESSORS else results[1][:, 1]
    reference = None
    answers: dict[int, dict[str, Any]] = {}
    i = 0
    for r, metrics, x, reason in prepared:
        row = None
        features = None
        if x is not None:
            if reference is None:
                entry = await manifest(versions)
                reference = (entry["ai_score_reference"], entry["confidence_spread_scale"])
            changes = [float(out[n][i]) for n in REGRESSORS]
            claims = [float(out[n][i]) for n in CLASSIFIERS]
            i += 1
            t = day_number(dt.date.fromisoformat(r["snapshot_date"]))
            days = max(1, t - day_number(dt.date.fromisoformat(r["first_seen"])) + 1)
            row = prediction_row(metrics, days, changes, claims, *reference)
            reason = row.reason
            features = {
                **dict(zip(FEATURE_NAMES, x, strict=True)),
                **dict(zip(MODELS, changes + claims, strict=True)),
            }
        answers[r["id"]] = {
            "game": {
                k: r[k] for k in ("id", "state", "game_number", "name", "ticket_price", "is_active")
            },
            "prediction_date": date,
            "snapshot_date": r["snapshot_date"],
            "model_version": model_version(versions),
            "engine": ENGINE,
            "prediction": dataclasses.asdict(row) if row and row.reason is None else None,
            "reason": reason,
            "analytics": dataclasses.asdict(metrics) if metrics else None,
            "features": features,
        }
    by_key = {(a["game"]["state"], a["game"]["game_number"]): a for a in answers.values()}
    results = [
        answers.get(ref["game_id"])
        if "game_id" in ref
        else by_key.get((ref["state"].upper(), str(ref["game_number"])))
        for ref in refs
    ]
    if "games" not in body:
        if results[0] is None:
            return error(404, "not_found", "no such game")
        return JSONResponse({"result": results[0]})
    return JSONResponse({"results": [r or {"error": {"code": "not_found"}} for r in results]})


_manifests: dict[str, dict[str, Any]] = {}


async def manifest(versions: dict[str, str]) -> dict[str, Any]:
    """The first regressor's manifest (ai_score reference, spread scale), read once per version."""
    version = versions[REGRESSORS[0]]
    if version not in _manifests:
        async with pool.connection() as conn:
            cur = await conn.execute(
                "select manifest from public.model_registry where name = %s and version = %s",
                (REGRESSORS[0], version),
            )
            (_manifests[version],) = await cur.fetchone()
    return _manifests[version]


@contextlib.asynccontextmanager
async def lifespan(_app: Starlette) -> AsyncIterator[None]:
    await pool.open(wait=True)
    yield
    await pool.close()


app = Starlette(routes=[Route("/predict", predict, methods=["POST"])], lifespan=lifespan)
