/**
 * Features of the two scratch-off forecasts (DESIGN.md, Forecasts): a line-for-line port of
 * trainer/scratchoff/features.py's `day_number` and `game_features`. Pure: no Deno APIs.
 *
 * - Days are whole numbers (days since 1970-01-01, `dayNumber`).
 * - The features of day t read only the game's snapshots on days t-14..t (WINDOW_DAYS) and the
 *   game's first_seen day: anything outside the window is ignored even if passed in.
 * - A refused day (metrics with a `reason`) counts as a missing day. Day t itself must be valid,
 *   otherwise there are no features (null).
 * - No NaN: a change over k days (7 or 14) compares day t with s = t-k; when that day is missing,
 *   s is the earliest valid day in [t-k, t-1] and the change is scaled to k days
 *   (x(t) - x(s)) * k / (t - s); when there is none, the change is 0. `lag{k}_missing` is 1
 *   whenever s is not exactly t-k.
 */
import { type GameMetrics, pyMax } from "./analytics.ts";

/** History a feature row may read: days t-14..t. */
export const WINDOW_DAYS = 14;
/** Both targets look 14 days ahead. */
export const HORIZON_DAYS = 14;

/** The model input columns, in order (trainer/scratchoff/features.py FEATURE_NAMES). */
export const FEATURE_NAMES: readonly string[] = [
  "ticket_price",
  "ev_per_dollar",
  "win_probability",
  "pct_sold",
  "top_prize_ratio",
  "top_prizes_left",
  "top_prize_gone",
  "top_value_share",
  "top_prize_multiple",
  "odds_published",
  "t0_from_odds",
  "days_observed",
  "lag7_missing",
  "ev_change_7d",
  "sales_velocity_7d",
  "top_prizes_claimed_7d",
  "lag14_missing",
  "ev_change_14d_past",
  "sales_velocity_14d",
  "top_prizes_claimed_14d_past",
  "top_prize_ratio_change_14d",
  "expected_top_claims_14d",
];

const MS_PER_DAY = 86_400_000;

/** Days since 1970-01-01 of a date: a "YYYY-MM-DD" string (anything after the 10th character is
 * ignored, as in Python) or a Date (its UTC calendar day). */
export function dayNumber(day: string | Date): number {
  if (typeof day === "string") {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day.slice(0, 10));
    if (m === null) throw new RangeError(`not an ISO date: ${JSON.stringify(day)}`);
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const ms = Date.UTC(y, mo - 1, d);
    const check = new Date(ms);
    if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) {
      throw new RangeError(`not a calendar date: ${JSON.stringify(day)}`);
    }
    return ms / MS_PER_DAY;
  }
  return Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate()) / MS_PER_DAY;
}

/** The inverse of dayNumber: "YYYY-MM-DD". */
export function isoDay(day: number): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

/** Day number -> that day's metrics, for any days (only t-14..t are read). */
export type History = ReadonlyMap<number, GameMetrics>;

/** [reference day s for a k-day change, whether s is not exactly t-k]. */
function referenceDay(
  valid: ReadonlyMap<number, GameMetrics>,
  t: number,
  k: number,
): [number | null, boolean] {
  if (valid.has(t - k)) {
    return [t - k, false];
  }
  for (let s = t - k + 1; s < t; s++) { // earliest valid day in the window
    if (valid.has(s)) {
      return [s, true];
    }
  }
  return [null, true];
}

/** now - then over k days, scaled to k days when s is nearer than t-k; 0 when no s. */
function change(now: number, then: number | null, t: number, s: number | null, k: number): number {
  if (s === null || then === null) {
    return 0.0;
  }
  return (now - then) * k / (t - s);
}

/** then - now over k days (claims: a count that only falls), scaled like `change`. */
function drop(now: number, then: number | null, t: number, s: number | null, k: number): number {
  if (s === null || then === null) {
    return 0.0;
  }
  return (then - now) * k / (t - s);
}

type LaggedField = "ev_per_dollar" | "pct_sold" | "top_prizes_left" | "top_prize_ratio";

function lagged(m: GameMetrics | null, name: LaggedField): number | null {
  return m === null ? null : (m[name] as number);
}

/** The FEATURE_NAMES row of day t for one game, or null when day t has no valid metrics.
 *
 * history: day number -> that day's metrics, for any days (only t-14..t are read).
 * firstSeen: the day number the game was first seen (the games table's first_seen). */
export function gameFeatures(history: History, t: number, firstSeen: number): number[] | null {
  const valid = new Map<number, GameMetrics>();
  for (const [d, m] of history) {
    if (t - WINDOW_DAYS <= d && d <= t && m.reason === null) valid.set(d, m);
  }
  const now = valid.get(t);
  if (now === undefined) {
    return null;
  }
  const epd = now.ev_per_dollar as number;
  const f = now.fraction_left as number;
  const sold = now.pct_sold as number;
  const rTop = now.top_prizes_left as number;
  const ratio = now.top_prize_ratio as number;

  const [s7, missing7] = referenceDay(valid, t, 7);
  const [s14, missing14] = referenceDay(valid, t, 14);
  const m7 = s7 !== null ? valid.get(s7) as GameMetrics : null;
  const m14 = s14 !== null ? valid.get(s14) as GameMetrics : null;

  const ev7 = change(epd, lagged(m7, "ev_per_dollar"), t, s7, 7);
  const sold7 = change(sold, lagged(m7, "pct_sold"), t, s7, 7);
  const top7 = drop(rTop, lagged(m7, "top_prizes_left"), t, s7, 7);
  const ev14 = change(epd, lagged(m14, "ev_per_dollar"), t, s14, 14);
  const sold14 = change(sold, lagged(m14, "pct_sold"), t, s14, 14);
  const top14 = drop(rTop, lagged(m14, "top_prizes_left"), t, s14, 14);
  const ratio14 = change(ratio, lagged(m14, "top_prize_ratio"), t, s14, 14);
  const velocity7 = sold7 / 7.0;
  const velocity14 = sold14 / 14.0;

  return [
    now.ticket_price,
    epd,
    now.win_probability as number,
    sold,
    ratio,
    rTop,
    now.top_prize_gone ? 1.0 : 0.0,
    now.top_value_share as number,
    (now.top_prize_amount as number) / now.ticket_price,
    now.odds_published ? 1.0 : 0.0,
    now.t0_from_odds ? 1.0 : 0.0,
    pyMax([1, t - firstSeen + 1]),
    missing7 ? 1.0 : 0.0,
    ev7,
    velocity7,
    top7,
    missing14 ? 1.0 : 0.0,
    ev14,
    velocity14,
    top14,
    ratio14,
    HORIZON_DAYS * velocity7 * rTop / f,
  ];
}
