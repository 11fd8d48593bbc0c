// The scratch-off prediction pipeline shared by `predict` and `daily-batch`: read games, the day's
// prize tiers, the stored metrics of the days before and the active model versions from
// PostgreSQL in one statement; compute the day's metrics
// and features with the port of trainer/ (analytics.ts, features.ts); run the four models once
// over all games; build each prediction row (prediction.ts).
import { type GameMetrics, gameMetrics, METRIC_FIELDS, type Tier } from "./analytics.ts";
import { dayNumber, FEATURE_NAMES, gameFeatures, WINDOW_DAYS } from "./features.ts";
import { type PredictionRow, predictionRow, STALE_AFTER_DAYS, staleReason } from "./prediction.ts";
import { jsonList, type Sql } from "../db.ts";
import {
  activeModels,
  activeVersionsSql,
  type LoadedModel,
  predictRows,
  sha256Hex,
} from "../models.ts";

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
  prediction_date: string; // the day asked for
  stale_after_days: number; // the freshness limit of the game's state
  snapshot_date: string | null; // null: no snapshot on or before the day
  ticket_price: number; // that day's own price (a game can be repriced mid-history)
  tiers: Tier[];
  history: Map<number, GameMetrics>; // stored metrics of the WINDOW_DAYS days before
}

export interface GamePrediction {
  game: Game;
  snapshot_date: string | null; // the as-of date of the data the prediction is computed from
  stale: boolean; // the snapshot is older than the state's freshness limit: no prediction
  metrics: GameMetrics | null;
  features: Record<string, number> | null;
  prediction: PredictionRow | null;
  reason: string | null; // why there is no prediction
}

// What gameFeatures reads of the days before t (besides `reason`): only these are fetched, which
// keeps the batch's read small; the other metrics of a past day stay null.
const LAGGED_FIELDS = ["ev_per_dollar", "pct_sold", "top_prizes_left", "top_prize_ratio"];

/** Which games: every active one (the batch), or by id and by (state, game_number). */
export type GameSelection =
  | { active: true }
  | { ids: number[]; keys: { state: string; game_number: string }[] };

// One prepared statement, one round trip: the active model versions, and per selected game its
// row, its latest snapshot on or before the day (ingest and daily-batch write a
// historical_snapshots row for every day with prize tiers), that day's tiers and the stored
// metrics of the WINDOW_DAYS days before. The versions come on the first row (or alone when no
// game matches), so a publish is seen by the next request.
const GAME_DAYS_SQL = `
select case when g.n is null or g.n = 1 then m.models end as models, g.*
from (select ${activeVersionsSql(6)} as models) m
left join lateral (
  select row_number() over (order by g.id) as n,
    g.id, g.state, g.game_number, g.name, g.ticket_price::float8 as ticket_price, g.overall_odds,
    g.total_tickets_printed::float8 as total_tickets_printed, g.first_seen::text as first_seen,
    g.is_active, s.day::text as snapshot_date, s.day_price,
    coalesce((select f.stale_after_days from public.feed_sources f where f.state = g.state),
             ${STALE_AFTER_DAYS}) as stale_after_days,
    (select json_agg(json_build_array(t.prize_amount::float8, t.prizes_printed,
                                      t.prizes_remaining, t.tier_index))
     from public.prize_tier_snapshots t where t.game_id = g.id and t.snapshot_date = s.day) as tiers,
    (select json_agg(json_build_array(h.snapshot_date::text, h.reason,
                                      ${LAGGED_FIELDS.map((f) => `h.${f}`).join(", ")}))
     from public.historical_snapshots h where h.game_id = g.id
       and h.snapshot_date >= s.day - $5::int and h.snapshot_date < s.day) as history
  from public.games g
  left join lateral (select h.snapshot_date as day, h.ticket_price as day_price
                     from public.historical_snapshots h
                     where h.game_id = g.id and h.snapshot_date <= $4::date
                     order by h.snapshot_date desc limit 1) s on true
  where ($1::boolean and g.is_active)
     or g.id in (select jsonb_array_elements_text($2::text::jsonb)::bigint)
     or (g.state, g.game_number) in
        (select k ->> 0, k ->> 1 from jsonb_array_elements($3::text::jsonb) k)
) g on true
order by g.id`;

type Json = number | string | boolean | null;

interface GameDayRow extends Game {
  models: Record<string, string> | null;
  n: number | null;
  snapshot_date: string | null;
  stale_after_days: number;
  day_price: number | null;
  tiers: [number, number, number, number][] | null; // prize, printed, remaining, tier_index
  history: [string, string | null, ...Json[]][] | null;
}

// float8 NaN and infinities arrive in JSON as strings.
const num = (v: Json): number | null => (v === null ? null : Number(v));

function historyOf(rows: GameDayRow["history"]): Map<number, GameMetrics> {
  const map = new Map<number, GameMetrics>();
  for (const [date, reason, ...values] of rows ?? []) {
    const metrics: Record<string, unknown> = { reason };
    for (const field of METRIC_FIELDS) metrics[field] = null;
    LAGGED_FIELDS.forEach((f, i) => (metrics[f] = num(values[i])));
    map.set(dayNumber(date), metrics as unknown as GameMetrics);
  }
  return map;
}

/** The selected games as of `day`, and the active versions of the scratch-off models. */
export async function loadGameDays(
  sql: Pick<Sql, "unsafe">, // a pool or a transaction
  selection: GameSelection,
  day: string,
): Promise<{ days: GameDay[]; versions: Map<string, string> }> {
  const { ids, keys } = "active" in selection ? { ids: [], keys: [] } : selection;
  const rows = await sql.unsafe<GameDayRow[]>(GAME_DAYS_SQL, [
    "active" in selection,
    jsonList(ids),
    JSON.stringify(keys.map((k) => [k.state, k.game_number])), // pairs, read with ->> 0 and 1
    day,
    WINDOW_DAYS,
    jsonList(MODEL_NAMES),
  ], { prepare: true });
  const versions = new Map(Object.entries(rows[0]?.models ?? {}));
  const days = rows.filter((r) => r.n !== null).map((r) => ({
    game: {
      id: r.id,
      state: r.state,
      game_number: r.game_number,
      name: r.name,
      ticket_price: r.ticket_price,
      overall_odds: r.overall_odds,
      total_tickets_printed: r.total_tickets_printed,
      first_seen: r.first_seen,
      is_active: r.is_active,
    },
    prediction_date: day,
    stale_after_days: r.stale_after_days,
    snapshot_date: r.snapshot_date,
    ticket_price: r.day_price ?? r.ticket_price,
    tiers: (r.tiers ?? []).map(([prize, printed, remaining, tier_index]) => ({
      prize,
      printed,
      remaining,
      tier_index,
    })),
    history: historyOf(r.history),
  }));
  return { days, versions };
}

export interface ModelSet {
  models: Map<string, LoadedModel>;
  version: string; // the predictions row's model_version: all four versions in one short name
  versions: Record<string, string>;
}

/** The scratch-off models at `versions` (the registry's active ones, read with the games). */
export async function scratchoffModels(active: Map<string, string>): Promise<ModelSet> {
  const models = await activeModels(MODEL_NAMES, active);
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
      return {
        d,
        metrics: null,
        x: null,
        stale: false,
        reason: "no snapshot on or before the date",
      };
    }
    const metrics = gameMetrics(
      d.tiers,
      d.ticket_price,
      d.game.overall_odds,
      d.game.total_tickets_printed,
    );
    // Old data gets the analytics of its day, never a forecast presented as today's.
    const stale = staleReason(d.snapshot_date, d.prediction_date, d.stale_after_days);
    if (stale !== null) return { d, metrics, x: null, stale: true, reason: stale };
    const t = dayNumber(d.snapshot_date);
    const history = new Map(d.history);
    history.set(t, metrics);
    const x = gameFeatures(history, t, dayNumber(d.game.first_seen));
    const reason = x === null ? metrics.reason ?? "no valid metrics" : null;
    return { d, metrics, x, stale: false, reason };
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
        stale: p.stale,
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
      stale: false,
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
