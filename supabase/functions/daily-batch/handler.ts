// daily-batch: called by the daily step (public.start_daily_step, migration *_daily_batch_parts):
// one call per part of the day, `{"run_date", "part": {"from_game_id", "to_game_id"}}`, a block of
// at most daily_steps.part_games active games, so that every invocation stays small however many
// states and games there are; without `part`, every active game (run by hand). Predicts the part's active
// games for run_date (default today, UTC) and, in one transaction, upserts the predictions rows
// and the day's historical_snapshots metrics, CHUNK_GAMES games at a time (read, predict, write,
// let go), so that memory is bounded by the chunk, not by the part. Only rows whose values differ
// are written, so a rerun of the same day changes nothing. Games that cannot be predicted are
// listed with their reason.
import { requireRole } from "../_shared/auth.ts";
import {
  dateOrToday,
  HttpError,
  json,
  onlyKeys,
  readJsonObject,
  serveJson,
} from "../_shared/http.ts";
import { counted, type Sql, upsertSql, withDb } from "../_shared/db.ts";
import { METRIC_FIELDS } from "../_shared/scratchoff/analytics.ts";
import { enginesOf } from "../_shared/models.ts";
import {
  type GamePrediction,
  loadGameDays,
  type ModelSet,
  predictGameDays,
  scratchoffModels,
} from "../_shared/scratchoff/serve.ts";

const PREDICTION_COLUMNS = [
  "ai_score",
  "win_probability",
  "expected_value",
  "confidence_level",
  "recommendation",
  "reasoning",
  "features_used",
  "data_as_of",
  "forecast_ev_per_dollar",
  "top_prize_claim_probability",
];
const SNAPSHOT_COLUMNS = ["reason", ...METRIC_FIELDS];

const UPSERT_PREDICTIONS = upsertSql(
  "predictions",
  ["game_id", "prediction_date", "model_version"],
  PREDICTION_COLUMNS,
);
const UPSERT_SNAPSHOTS = upsertSql("historical_snapshots", ["game_id", "snapshot_date"], [
  ...SNAPSHOT_COLUMNS,
]);

function predictionRows(predictions: GamePrediction[], runDate: string, version: string) {
  return predictions.filter((p) => p.prediction !== null).map((p) => ({
    game_id: p.game.id,
    prediction_date: runDate,
    model_version: version,
    ai_score: p.prediction!.ai_score,
    win_probability: p.prediction!.win_probability,
    expected_value: p.prediction!.expected_value,
    confidence_level: p.prediction!.confidence_level,
    recommendation: p.prediction!.recommendation,
    reasoning: p.prediction!.reasoning,
    features_used: { snapshot_date: p.snapshot_date, ...p.features },
    data_as_of: p.snapshot_date,
    forecast_ev_per_dollar: p.prediction!.forecast_ev_per_dollar,
    top_prize_claim_probability: p.prediction!.top_prize_claim_probability,
  }));
}

function snapshotRows(predictions: GamePrediction[]) {
  return predictions.filter((p) => p.metrics !== null).map((p) => ({
    game_id: p.game.id,
    snapshot_date: p.snapshot_date,
    ...p.metrics,
  }));
}

/** Per state, the latest as-of date of the data the games were predicted from. */
function dataAsOf(predictions: GamePrediction[]): Record<string, string> {
  const latest: Record<string, string> = {};
  for (const p of predictions) {
    const day = p.snapshot_date;
    if (day !== null && !(day <= (latest[p.game.state] ?? ""))) latest[p.game.state] = day;
  }
  return latest;
}

// Games read, predicted and written at a time: bounds the heap (about 0.1 MB per game day with
// its tiers and history) whatever the size of the part.
const CHUNK_GAMES = 200;

export interface Part {
  from_game_id: number;
  to_game_id: number;
}

/** The body's optional part: an inclusive range of game ids, or 422. */
export function partOf(value: unknown): Part | null {
  if (value === undefined) return null;
  const part = value as Record<string, unknown>;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new HttpError(422, "invalid_body", "part must be an object");
  }
  onlyKeys(part, ["from_game_id", "to_game_id"], "part");
  const { from_game_id, to_game_id } = part;
  if (
    !Number.isSafeInteger(from_game_id) || !Number.isSafeInteger(to_game_id) ||
    (from_game_id as number) > (to_game_id as number)
  ) {
    throw new HttpError(422, "invalid_body", "part needs integer from_game_id <= to_game_id");
  }
  return { from_game_id: from_game_id as number, to_game_id: to_game_id as number };
}

const PART_GAMES_SQL = `select id from public.games
where is_active and ($1::bigint is null or id between $1 and $2) order by id`;

interface Totals {
  predictions: { rows: number; inserted: number; updated: number };
  historical_snapshots: { rows: number; inserted: number; updated: number };
  games: number;
  skipped: Record<string, unknown>[];
  data_as_of: Record<string, string>;
  models: ModelSet | null;
  peak_heap_bytes: number; // V8 heap used + external, the largest seen after a chunk
  timings_ms: { load: number; predict: number; write: number };
}

function add(into: { rows: number; inserted: number; updated: number }, n: typeof into) {
  into.rows += n.rows;
  into.inserted += n.inserted;
  into.updated += n.updated;
}

/** One chunk of games: read, predict, write (in the caller's transaction), added to `totals`. */
async function runChunk(tx: Pick<Sql, "unsafe">, ids: number[], runDate: string, totals: Totals) {
  const t0 = performance.now();
  const { days, versions } = await loadGameDays(tx, { ids, keys: [] }, runDate);
  totals.models ??= await scratchoffModels(versions);
  const models = totals.models;
  const t1 = performance.now();
  const predictions = await predictGameDays(days, models);
  const t2 = performance.now();
  const rows = predictionRows(predictions, runDate, models.version);
  const snapshots = snapshotRows(predictions);
  add(
    totals.predictions,
    counted(
      await tx.unsafe<{ inserted: boolean }[]>(UPSERT_PREDICTIONS, [JSON.stringify(rows)]),
      rows.length,
    ),
  );
  add(
    totals.historical_snapshots,
    counted(
      await tx.unsafe<{ inserted: boolean }[]>(UPSERT_SNAPSHOTS, [JSON.stringify(snapshots)]),
      snapshots.length,
    ),
  );
  totals.games += predictions.length;
  for (const [state, day] of Object.entries(dataAsOf(predictions))) {
    if (!(day <= (totals.data_as_of[state] ?? ""))) totals.data_as_of[state] = day;
  }
  totals.skipped.push(
    ...predictions.filter((p) => p.prediction === null).map((p) => ({
      game_id: p.game.id,
      state: p.game.state,
      game_number: p.game.game_number,
      data_as_of: p.snapshot_date,
      reason: p.reason,
    })),
  );
  const memory = Deno.memoryUsage();
  totals.peak_heap_bytes = Math.max(totals.peak_heap_bytes, memory.heapUsed + memory.external);
  totals.timings_ms.load += t1 - t0;
  totals.timings_ms.predict += t2 - t1;
  totals.timings_ms.write += performance.now() - t2;
}

export const handler = serveJson(["POST"], async (req) => {
  requireRole(req, "service_role");
  const body = await readJsonObject(req);
  onlyKeys(body, ["run_date", "part"]);
  const runDate = dateOrToday(body.run_date, "run_date");
  const part = partOf(body.part);
  const t0 = performance.now();
  // withDb runs this again when the database was unreachable: the totals start over with it
  const totals = await withDb((sql) =>
    sql.begin(async (tx) => {
      const totals: Totals = {
        predictions: { rows: 0, inserted: 0, updated: 0 },
        historical_snapshots: { rows: 0, inserted: 0, updated: 0 },
        games: 0,
        skipped: [],
        data_as_of: {},
        models: null,
        peak_heap_bytes: 0,
        timings_ms: { load: 0, predict: 0, write: 0 },
      };
      // One statement with a sub-plan per game: PostgreSQL's JIT compiles it for ~170 ms at 5,000
      // games (measured with EXPLAIN ANALYZE), more than it saves; off for these reads.
      await tx.unsafe("set local jit = off");
      const ids = (await tx.unsafe<{ id: number }[]>(PART_GAMES_SQL, [
        part?.from_game_id ?? null,
        part?.to_game_id ?? null,
      ])).map((r) => Number(r.id));
      // at least one chunk, empty when no game is active: it reads the models' versions
      for (let i = 0; i === 0 || i < ids.length; i += CHUNK_GAMES) {
        await runChunk(tx, ids.slice(i, i + CHUNK_GAMES), runDate, totals);
      }
      return totals;
    })
  );
  const models = totals.models!;
  const memory = Deno.memoryUsage();
  return json({
    run_date: runDate,
    part,
    model_version: models.version,
    models: models.versions,
    model_source: [...new Set([...models.models.values()].map((m) => m.source))],
    engine: enginesOf(models.models.values()),
    games: totals.games,
    data_as_of: totals.data_as_of,
    predictions: totals.predictions,
    historical_snapshots: totals.historical_snapshots,
    skipped: totals.skipped,
    timings_ms: {
      load: Math.round(totals.timings_ms.load),
      predict: Math.round(totals.timings_ms.predict),
      write: Math.round(totals.timings_ms.write),
      total: Math.round(performance.now() - t0),
    },
    memory_bytes: {
      peak_heap_and_external: Math.max(totals.peak_heap_bytes, memory.heapUsed + memory.external),
      rss: memory.rss,
    },
  });
});
