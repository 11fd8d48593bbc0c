// scorecard: called by the pg_cron schedule after the daily batch (net.http_post with the service
// role key). Scores every served prediction whose 14-day horizon has closed by run_date (default
// today, UTC) and whose outcome snapshot exists: the realized targets come from
// historical_snapshots, the baselines from what was known on the prediction's as-of day, the
// figures from _shared/scratchoff/scorecard.ts. Writes one model_performance row per
// (model_version, day served) in one transaction, only where the figures differ, so a rerun
// changes nothing.
import { requireRole } from "../_shared/auth.ts";
import { dateOrToday, json, onlyKeys, readJsonObject, serveJson } from "../_shared/http.ts";
import { counted, type Sql, upsertSql, withDb } from "../_shared/db.ts";
import { claimRates, dayFigures, type ScoredPrediction } from "../_shared/scratchoff/scorecard.ts";

const HORIZON_DAYS = 14;

// One row per scoreable prediction, in (model_version, prediction_date, game_id) order. Labels:
// every game-day with valid metrics on day d and d+14 (the offline targets' definition). The
// baselines' counts: labels whose outcome was known on the as-of day t (d <= t - 14), over all
// games and over the prediction's game.
const SCORED_SQL = `
with labels as (
  select h.game_id, h.snapshot_date as day, h.ev_per_dollar,
    l.ev_per_dollar - h.ev_per_dollar as realized_change,
    (l.top_prizes_left < h.top_prizes_left)::int as realized_claim
  from public.historical_snapshots h
  join public.historical_snapshots l
    on l.game_id = h.game_id and l.snapshot_date = h.snapshot_date + ${HORIZON_DAYS}
  where h.reason is null and l.reason is null and l.snapshot_date <= $1::date
),
all_known as (
  select day, sum(count(*)) over w as n, sum(sum(realized_claim)) over w as claims
  from labels group by day window w as (order by day)
),
game_known as (
  select game_id, day, count(*) over w as n, sum(realized_claim) over w as claims
  from labels window w as (partition by game_id order by day)
),
served as (
  select p.model_version, p.prediction_date, p.game_id, p.ai_score, p.recommendation,
    p.forecast_ev_per_dollar, p.top_prize_claim_probability,
    p.data_as_of as as_of,
    (p.features_used ->> 'ev_change_14d_past')::float8 as trend_change
  from public.predictions p
  where p.forecast_ev_per_dollar is not null
    and p.data_as_of + ${HORIZON_DAYS} <= $1::date
)
select s.model_version, s.prediction_date::text as prediction_date,
  (max(s.as_of) over (partition by s.model_version, s.prediction_date)
    + ${HORIZON_DAYS})::text as outcome_date,
  s.forecast_ev_per_dollar - l.ev_per_dollar as forecast_change,
  l.realized_change, s.trend_change, s.top_prize_claim_probability as claim_probability,
  l.realized_claim, l.ev_per_dollar, s.ai_score, s.recommendation,
  coalesce(a.n, 0)::int as base_n, coalesce(a.claims, 0)::int as base_claims,
  coalesce(g.n, 0)::int as game_n, coalesce(g.claims, 0)::int as game_claims
from served s
join labels l on l.game_id = s.game_id and l.day = s.as_of
left join lateral (
  select n, claims from all_known k where k.day <= s.as_of - ${HORIZON_DAYS}
  order by k.day desc limit 1
) a on true
left join lateral (
  select n, claims from game_known k
  where k.game_id = s.game_id and k.day <= s.as_of - ${HORIZON_DAYS}
  order by k.day desc limit 1
) g on true
order by s.model_version, s.prediction_date, s.game_id`;

// Served predictions whose horizon has closed but whose outcome snapshot is missing: not scored.
const PENDING_SQL = `
select count(*)::int as n from public.predictions p
where p.forecast_ev_per_dollar is not null
  and p.data_as_of + ${HORIZON_DAYS} <= $1::date
  and not exists (
    select 1 from public.historical_snapshots h
    join public.historical_snapshots l on l.game_id = h.game_id
      and l.snapshot_date = h.snapshot_date + ${HORIZON_DAYS}
    where h.game_id = p.game_id and h.snapshot_date = p.data_as_of
      and h.reason is null and l.reason is null)`;

export interface ScoredRow {
  model_version: string;
  prediction_date: string;
  outcome_date: string;
  forecast_change: number;
  realized_change: number;
  trend_change: number;
  claim_probability: number | null;
  realized_claim: number;
  ev_per_dollar: number;
  ai_score: number;
  recommendation: string;
  base_n: number;
  base_claims: number;
  game_n: number;
  game_claims: number;
}

const PERFORMANCE_COLUMNS = [
  "outcome_date",
  "test_set_size",
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
  "classes",
  "notes",
];
const UPSERT = upsertSql(
  "model_performance",
  ["model_version", "evaluation_date"],
  PERFORMANCE_COLUMNS,
);

function scored(row: ScoredRow): ScoredPrediction {
  const { base_rate, game_rate } = claimRates(
    row.base_claims,
    row.base_n,
    row.game_claims,
    row.game_n,
  );
  return {
    forecast_change: row.forecast_change,
    realized_change: row.realized_change,
    trend_change: row.trend_change,
    claim_probability: row.claim_probability,
    realized_claim: row.realized_claim,
    base_rate,
    game_rate,
    ai_score: row.ai_score,
    ev_per_dollar: row.ev_per_dollar,
    recommendation: row.recommendation,
  };
}

/** model_performance rows: one per (model_version, day served), from rows in that order. */
export function performanceRows(rows: ScoredRow[]): Record<string, unknown>[] {
  const groups = new Map<string, ScoredRow[]>();
  for (const row of rows) {
    const key = `${row.model_version}\u0000${row.prediction_date}`;
    const list = groups.get(key) ?? [];
    list.push(row);
    groups.set(key, list);
  }
  return [...groups.values()].map((group) => {
    const { n, ...figures } = dayFigures(group.map(scored));
    return {
      model_version: group[0].model_version,
      evaluation_date: group[0].prediction_date,
      outcome_date: group[0].outcome_date,
      test_set_size: n,
      ...figures,
    };
  });
}

async function score(sql: Sql, runDate: string) {
  const rows = await sql.unsafe<ScoredRow[]>(SCORED_SQL, [runDate]);
  const [{ n: pending }] = await sql.unsafe<{ n: number }[]>(PENDING_SQL, [runDate]);
  const performance = performanceRows(rows);
  const written = await sql.begin((tx) =>
    tx.unsafe<{ inserted: boolean }[]>(UPSERT, [JSON.stringify(performance)])
  );
  return { predictions: rows.length, pending, performance, written };
}

export const handler = serveJson(["POST"], async (req) => {
  requireRole(req, "service_role");
  const body = await readJsonObject(req);
  onlyKeys(body, ["run_date"]);
  const runDate = dateOrToday(body.run_date, "run_date");
  const t0 = performance.now();
  const result = await withDb((sql) => score(sql, runDate));
  return json({
    run_date: runDate,
    predictions_scored: result.predictions,
    pending_outcome: result.pending,
    model_performance: counted(result.written, result.performance.length),
    days: result.performance.map((p) => ({
      model_version: p.model_version,
      evaluation_date: p.evaluation_date,
      n: p.test_set_size,
    })),
    timings_ms: { total: Math.round(performance.now() - t0) },
  });
});
