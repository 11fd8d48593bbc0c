// The scratch-off prediction pipeline shared by `predict` and `daily-batch`: read games, the day's
// prize tiers and the stored metrics of the days before from PostgreSQL; compute the day's metrics
// and features with the port of trainer/ (analytics.ts, features.ts); run the four models once
// over all games; build each prediction row (prediction.ts).
import { type GameMetrics, gameMetrics, METRIC_FIELDS, type Tier } from "./analytics.ts";
import { dayNumber, FEATURE_NAMES, gameFeatures, WINDOW_DAYS } from "./features.ts";
import { type PredictionRow, predictionRow } from "./prediction.ts";
import type { Sql } from "../db.ts";
import { activeModels, type LoadedModel, predictRows, sha256Hex } from "../models.ts";

export const REGRESSORS = ["ev_change_14d_rf", "ev_change_14d_xgb"];
export const CLASSIFIERS = ["top_prize_claim_14d_rf", "top_prize_claim_14d_xgb"];
export const MODEL_NAMES = [...REGRESSORS, ...CLASSIFIERS];

export interface Game {
  id: number;
  state: string;
  game_number: string;
  name: string;
  ticket_price: number;
  overall_odds: number | null;
  total_tickets_printed: number | null;
  first_seen: string;
  is_active: boolean;
}

/** One game as of a day: its snapshot (the latest on or before the day) and what came before. */
export interface GameDay {
  game: Game;
  snapshot_date: string | null; // null: no snapshot on or before the day
  tiers: Tier[];
  history: Map<number, GameMetrics>; // stored metrics of the WINDOW_DAYS days before
}

export interface GamePrediction {
  game: Game;
  snapshot_date: string | null;
  metrics: GameMetrics | null;
  features: Record<string, number> | null;
  prediction: PredictionRow | null;
  reason: string | null; // why there is no prediction
}

const GAME_COLUMNS = `g.id, g.state, g.game_number, g.name, g.ticket_price::float8 as ticket_price,
  g.overall_odds, g.total_tickets_printed::float8 as total_tickets_printed,
  g.first_seen::text as first_seen, g.is_active`;

/** Games by id or by (state, game_number); the keys not found are simply absent. */
export async function findGames(
  sql: Sql,
  ids: number[],
  keys: { state: string; game_number: string }[],
): Promise<Game[]> {
  return await sql.unsafe<Game[]>(
    `select ${GAME_COLUMNS} from public.games g
     where g.id = any($1::bigint[])
        or (g.state, g.game_number) in (select * from unnest($2::text[], $3::text[]))
     order by g.id`,
    [ids, keys.map((k) => k.state), keys.map((k) => k.game_number)],
  );
}

export async function activeGames(sql: Sql): Promise<Game[]> {
  return await sql.unsafe<Game[]>(
    `select ${GAME_COLUMNS} from public.games g where g.is_active order by g.id`,
  );
}

// What gameFeatures reads of the days before t (besides `reason`): only these are fetched, which
// keeps the batch's read small; the other metrics of a past day stay null.
const LAGGED_FIELDS = ["ev_per_dollar", "pct_sold", "top_prizes_left", "top_prize_ratio"];

/** Each game's snapshot as of `day` (ingest and daily-batch write a historical_snapshots row for
 * every day with prize tiers), its tiers, and the stored metrics of the window before. */
export async function loadGameDays(sql: Sql, games: Game[], day: string): Promise<GameDay[]> {
  const ids = games.map((g) => g.id);
  const latest = await sql.unsafe<{ game_id: number; snapshot_date: string }[]>(
    `select game_id, max(snapshot_date)::text as snapshot_date from public.historical_snapshots
     where game_id = any($1::bigint[]) and snapshot_date <= $2::date group by game_id`,
    [ids, day],
  );
  const snapshotOf = new Map(latest.map((r) => [r.game_id, r.snapshot_date]));
  const withDay = ids.filter((id) => snapshotOf.has(id));
  const days = withDay.map((id) => snapshotOf.get(id)!);
  const [tiers, history] = await Promise.all([
    sql.unsafe<{ game_id: number; prize: number; printed: number; remaining: number }[]>(
      `select t.game_id, t.prize_amount::float8 as prize, t.prizes_printed as printed,
         t.prizes_remaining as remaining
       from unnest($1::bigint[], $2::date[]) as d(game_id, day)
       join public.prize_tiers t on t.game_id = d.game_id and t.snapshot_date = d.day`,
      [withDay, days],
    ),
    sql.unsafe<({ game_id: number; snapshot_date: string } & Record<string, unknown>)[]>(
      `select h.game_id, h.snapshot_date::text as snapshot_date, h.reason,
         ${LAGGED_FIELDS.map((f) => `h.${f}`).join(", ")}
       from unnest($1::bigint[], $2::date[]) as d(game_id, day)
       join public.historical_snapshots h on h.game_id = d.game_id
         and h.snapshot_date >= d.day - $3::int and h.snapshot_date < d.day`,
      [withDay, days, WINDOW_DAYS],
    ),
  ]);
  const tiersOf = new Map<number, Tier[]>();
  for (const t of tiers) {
    const list = tiersOf.get(t.game_id) ?? [];
    list.push({ prize: t.prize, printed: t.printed, remaining: t.remaining });
    tiersOf.set(t.game_id, list);
  }
  const historyOf = new Map<number, Map<number, GameMetrics>>();
  for (const row of history) {
    const map = historyOf.get(row.game_id) ?? new Map<number, GameMetrics>();
    map.set(dayNumber(row.snapshot_date), metricsFromRow(row));
    historyOf.set(row.game_id, map);
  }
  return games.map((game) => ({
    game,
    snapshot_date: snapshotOf.get(game.id) ?? null,
    tiers: tiersOf.get(game.id) ?? [],
    history: historyOf.get(game.id) ?? new Map(),
  }));
}

function metricsFromRow(row: Record<string, unknown>): GameMetrics {
  const metrics: Record<string, unknown> = { reason: row.reason ?? null };
  for (const field of METRIC_FIELDS) metrics[field] = row[field] ?? null;
  return metrics as unknown as GameMetrics;
}

export interface ModelSet {
  models: Map<string, LoadedModel>;
  version: string; // the predictions row's model_version: all four versions in one short name
  versions: Record<string, string>;
}

export async function scratchoffModels(): Promise<ModelSet> {
  const models = await activeModels(MODEL_NAMES);
  const versions = Object.fromEntries(MODEL_NAMES.map((n) => [n, models.get(n)!.entry.version]));
  const joined = MODEL_NAMES.map((n) => `${n}@${versions[n]}`).join(";");
  const end = String(models.get(REGRESSORS[0])!.entry.version).slice(0, 10);
  const hash = (await sha256Hex(new TextEncoder().encode(joined))).slice(0, 8);
  return { models, version: `${end}-${hash}`, versions };
}

/** Metrics, features and prediction rows for every game day; the models run once over all rows. */
export async function predictGameDays(days: GameDay[], set: ModelSet): Promise<GamePrediction[]> {
  const prepared = days.map((d) => {
    if (d.snapshot_date === null) {
      return { d, metrics: null, x: null, reason: "no snapshot on or before the date" };
    }
    const metrics = gameMetrics(
      d.tiers,
      d.game.ticket_price,
      d.game.overall_odds,
      d.game.total_tickets_printed,
    );
    const t = dayNumber(d.snapshot_date);
    const history = new Map(d.history);
    history.set(t, metrics);
    const x = gameFeatures(history, t, dayNumber(d.game.first_seen));
    return { d, metrics, x, reason: x === null ? metrics.reason ?? "no valid metrics" : null };
  });
  const rows = prepared.filter((p) => p.x !== null);
  const outputs = new Map<string, Record<string, number[]>>();
  if (rows.length > 0) {
    const width = FEATURE_NAMES.length;
    const matrix = new Float32Array(rows.length * width);
    rows.forEach((p, i) => matrix.set(p.x!, i * width));
    for (const name of MODEL_NAMES) {
      outputs.set(name, await predictRows(set.models.get(name)!, matrix, rows.length));
    }
  }
  const reference = set.models.get(REGRESSORS[0])!.entry.ai_score_reference as number[];
  const spreadScale = set.models.get(REGRESSORS[0])!.entry.confidence_spread_scale as number;
  let i = 0;
  return prepared.map((p) => {
    if (p.x === null) {
      return {
        game: p.d.game,
        snapshot_date: p.d.snapshot_date,
        metrics: p.metrics,
        features: null,
        prediction: null,
        reason: p.reason,
      };
    }
    const row = i++;
    const changes = REGRESSORS.map((n) => outputs.get(n)!.variable[row]);
    const claims = CLASSIFIERS.map((n) => outputs.get(n)!.probabilities[row * 2 + 1]);
    const t = dayNumber(p.d.snapshot_date!);
    const daysObserved = Math.max(1, t - dayNumber(p.d.game.first_seen) + 1);
    const prediction = predictionRow(
      p.metrics!,
      daysObserved,
      changes,
      claims,
      reference,
      spreadScale,
    );
    const features = Object.fromEntries(FEATURE_NAMES.map((f, k) => [f, p.x![k]]));
    return {
      game: p.d.game,
      snapshot_date: p.d.snapshot_date,
      metrics: p.metrics,
      features: {
        ...features,
        ...Object.fromEntries(MODEL_NAMES.map((n, k) => [n, k < 2 ? changes[k] : claims[k - 2]])),
      },
      prediction: prediction.reason === null ? prediction : null,
      reason: prediction.reason,
    };
  });
}
