// picks: the day's stored scratch-off predictions of one state, read-only, for the web page (the
// local stack has no PostgREST, and hosted Supabase's would need one query per table).
//
// POST body: {state, date?}. `date` (YYYY-MM-DD, default today UTC) picks the latest prediction
// date on or before it that has rows for the state; the answer says which date that was and the
// as-of date of the data behind each row, so old data is never shown as today's. Rows are the
// predictions table's as the daily batch wrote them (one per game: the newest model version of
// that day), with the game and its snapshot of that as-of date, sorted by ai_score, best first.
// No stored predictions on or before the date: 200 with `prediction_date: null` and no picks.
import {
  dateOrToday,
  HttpError,
  json,
  onlyKeys,
  readJsonObject,
  serveJson,
} from "../_shared/http.ts";
import { withDb } from "../_shared/db.ts";

export interface PicksRequest {
  state: string;
  date: string;
}

export function parseRequest(body: Record<string, unknown>): PicksRequest {
  onlyKeys(body, ["state", "date"]);
  const { state } = body;
  if (typeof state !== "string" || !/^[A-Za-z]{2}$/.test(state)) {
    throw new HttpError(422, "invalid_body", "state must be a 2-letter state code");
  }
  const date = dateOrToday(body.date, "date");
  return { state: state.toUpperCase(), date };
}

export interface Pick {
  game: { id: number; game_number: string; name: string; ticket_price: number };
  model_version: string;
  ai_score: number;
  recommendation: string;
  confidence_level: number;
  /** net expected value per ticket, dollars (gross EV minus the price) */
  expected_value: number;
  win_probability: number;
  reasoning: string;
  /** the snapshot the prediction was made from */
  as_of_date: string | null;
  top_prizes_left: number | null;
  top_prizes_printed: number | null;
  /** gross EV per dollar at as_of_date, and the forecast 14 days out (null on older rows) */
  ev_per_dollar: number | null;
  forecast_ev_per_dollar: number | null;
}

// The as-of date is the one the batch stored (predictions.data_as_of: the snapshot the row was
// computed from); rows written before that column existed fall back to the latest snapshot on or
// before their prediction date.
const PICKS_SQL = `
  with day as (
    select max(p.prediction_date) as d
    from public.predictions p join public.games g on g.id = p.game_id
    where g.state = $1 and p.prediction_date <= $2::date
  ), newest as (
    select distinct on (p.game_id) p.*
    from public.predictions p join public.games g on g.id = p.game_id, day
    where g.state = $1 and p.prediction_date = day.d
    order by p.game_id, p.created_at desc, p.model_version desc
  )
  select p.prediction_date::text as prediction_date, p.model_version,
    p.ai_score, p.recommendation, p.confidence_level, p.expected_value, p.win_probability,
    p.reasoning, p.forecast_ev_per_dollar,
    g.id as game_id, g.game_number, g.name, g.ticket_price::float8 as ticket_price,
    coalesce(p.data_as_of, h.snapshot_date)::text as as_of_date,
    h.top_prizes_left, h.top_prizes_printed, h.ev_per_dollar
  from newest p
  join public.games g on g.id = p.game_id
  left join lateral (
    select s.snapshot_date, s.top_prizes_left, s.top_prizes_printed, s.ev_per_dollar
    from public.historical_snapshots s
    where s.game_id = p.game_id and s.snapshot_date <= coalesce(p.data_as_of, p.prediction_date)
    order by s.snapshot_date desc limit 1
  ) h on true
  order by p.ai_score desc, g.game_number`;

interface Row {
  prediction_date: string;
  model_version: string;
  ai_score: number;
  recommendation: string;
  confidence_level: number;
  expected_value: number;
  win_probability: number;
  reasoning: string;
  forecast_ev_per_dollar: number | null;
  game_id: number;
  game_number: string;
  name: string;
  ticket_price: number;
  as_of_date: string | null;
  top_prizes_left: number | null;
  top_prizes_printed: number | null;
  ev_per_dollar: number | null;
}

function present(r: Row): Pick {
  return {
    game: { id: r.game_id, game_number: r.game_number, name: r.name, ticket_price: r.ticket_price },
    model_version: r.model_version,
    ai_score: r.ai_score,
    recommendation: r.recommendation,
    confidence_level: r.confidence_level,
    expected_value: r.expected_value,
    win_probability: r.win_probability,
    reasoning: r.reasoning,
    as_of_date: r.as_of_date,
    top_prizes_left: r.top_prizes_left,
    top_prizes_printed: r.top_prizes_printed,
    ev_per_dollar: r.ev_per_dollar,
    forecast_ev_per_dollar: r.forecast_ev_per_dollar,
  };
}

/** The latest of the rows' as-of dates: how fresh the data behind the picks is. */
function latestAsOf(picks: Pick[]): string | null {
  return picks.reduce<string | null>(
    (max, p) => p.as_of_date !== null && (max === null || p.as_of_date > max) ? p.as_of_date : max,
    null,
  );
}

export const handler = serveJson(["POST"], async (req) => {
  const request = parseRequest(await readJsonObject(req));
  const rows = await withDb((sql) => sql.unsafe<Row[]>(PICKS_SQL, [request.state, request.date]));
  const picks = rows.map(present);
  return json({
    state: request.state,
    date: request.date,
    prediction_date: rows[0]?.prediction_date ?? null,
    as_of_date: latestAsOf(picks),
    count: picks.length,
    picks,
  });
});
