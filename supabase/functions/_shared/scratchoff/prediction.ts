/**
 * The prediction row of DESIGN.md as pure functions: a line-for-line port of
 * trainer/scratchoff/prediction.py. Pure: no Deno APIs.
 *
 * Inputs are one game's metrics of the day (analytics.ts), the models' outputs and two numbers
 * from the manifest: the ai_score reference distribution (`reference`, a sorted list of forecast
 * ev_per_dollar values) and the regressors' spread scale (`spreadScale`). Nothing here reads other
 * games, so a single game can be scored on its own.
 *
 * Scores are returned unrounded; recommendation() compares the unrounded score, so clients should
 * round only for display. Text uses `fixed()` (round half away from zero on the binary value),
 * which gives the same text as the Python reference.
 */
import { type GameMetrics, pyFloatRepr, pyMax, pyMin } from "./analytics.ts";
import { dayNumber } from "./features.ts";

export type Recommendation = "strong_buy" | "buy" | "neutral" | "avoid" | "strong_avoid";

/** recommendation(score): the first threshold the score reaches, from the top. */
export const RECOMMENDATION_THRESHOLDS: readonly (readonly [number, Recommendation])[] = [
  [80.0, "strong_buy"],
  [60.0, "buy"],
  [40.0, "neutral"],
  [20.0, "avoid"],
];
export const LOWEST_RECOMMENDATION: Recommendation = "strong_avoid";
/** confidence: a game observed this long has full history credit */
export const HISTORY_FULL_DAYS = 28;
/** history, regressor agreement, classifier agreement */
export const CONFIDENCE_WEIGHTS: readonly [number, number, number] = [0.4, 0.4, 0.2];
export const HORIZON_DAYS = 14;
/** Freshness: a game whose latest snapshot is more than this many days older than the prediction
 * date gets no prediction (the default; feed_sources.stale_after_days sets it per state). */
export const STALE_AFTER_DAYS = 3;
/** reasoning: the forecast "drives" ai_score when it moves it at least this many points away
 * from the score of today's value alone; below that the score is today's arithmetic. */
export const FORECAST_DRIVES_POINTS = 5.0;

/** 0-100: the piecewise-linear empirical CDF of `reference` at the forecast, times 100.
 *
 * With q = reference (sorted, n >= 2 values): below q[0] -> 0; at or above q[n-1] -> 100;
 * otherwise i = the last index with q[i] <= x, score = 100 * (i + (x - q[i]) / (q[i+1] - q[i]))
 * / (n - 1). Monotone non-decreasing in x. Fewer than 2 reference values -> 50. Throws on a
 * non-finite forecast. */
export function aiScore(forecastEvPerDollar: number, reference: readonly number[]): number {
  const x = forecastEvPerDollar;
  if (!Number.isFinite(x)) {
    throw new RangeError("forecast must be a finite number");
  }
  const n = reference.length;
  if (n < 2) {
    return 50.0;
  }
  if (x < reference[0]) {
    return 0.0;
  }
  if (x >= reference[n - 1]) {
    return 100.0;
  }
  let lo = 0;
  let hi = n - 1; // invariant: reference[lo] <= x < reference[hi]
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (reference[mid] <= x) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  const frac = (x - reference[lo]) / (reference[hi] - reference[lo]);
  return 100.0 * (lo + frac) / (n - 1);
}

/** >=80 strong_buy, >=60 buy, >=40 neutral, >=20 avoid, else strong_avoid. */
export function recommendation(score: number): Recommendation {
  for (const [threshold, label] of RECOMMENDATION_THRESHOLDS) {
    if (score >= threshold) {
      return label;
    }
  }
  return LOWEST_RECOMMENDATION;
}

/** ev_per_dollar 14 days out: today's value plus the mean of the regressors' predicted change
 * (summed left to right, in the order given: rf then xgb). */
export function forecastEvPerDollar(current: number, predictedChanges: readonly number[]): number {
  if (predictedChanges.length === 0) {
    return current;
  }
  let total = 0.0;
  for (const c of predictedChanges) {
    total += c;
  }
  return current + total / predictedChanges.length;
}

/** 0-100 = 100 * (0.4 * history + 0.4 * regressor agreement + 0.2 * classifier agreement):
 *
 * - history = min(days_observed, 28) / 28;
 * - regressor agreement = 1 / (1 + spread / spread_scale), spread = max - min of the predicted
 *   ev_per_dollar changes; 1 when the regressors agree exactly;
 * - classifier agreement = 1 - (max - min) of the top-prize claim probabilities.
 * Missing model outputs count as full agreement; the result is clamped to [0, 100]. */
export function confidenceLevel(
  daysObserved: number,
  predictedChanges: readonly number[],
  claimProbabilities: readonly number[],
  spreadScale: number,
): number {
  const [wHist, wReg, wClf] = CONFIDENCE_WEIGHTS;
  const history = pyMin([pyMax([daysObserved, 0.0]), HISTORY_FULL_DAYS]) / HISTORY_FULL_DAYS;
  const spread = predictedChanges.length > 0
    ? pyMax(predictedChanges) - pyMin(predictedChanges)
    : 0.0;
  const scale = spreadScale > 0.0 ? spreadScale : 1e-3;
  const reg = 1.0 / (1.0 + spread / scale);
  const clfSpread = claimProbabilities.length > 0
    ? pyMax(claimProbabilities) - pyMin(claimProbabilities)
    : 0.0;
  const clf = 1.0 - pyMin([1.0, pyMax([0.0, clfSpread])]);
  const value = 100.0 * (wHist * history + wReg * reg + wClf * clf);
  return pyMin([100.0, pyMax([0.0, value])]);
}

// ---- text ---------------------------------------------------------------------------------------

function pow10(digits: number): number {
  let p = 1;
  for (let i = 0; i < digits; i++) p *= 10; // exact up to 10**22
  return p;
}

/** Thousands separators for a non-negative whole number's decimal text. */
function group(s: string): string {
  const parts: string[] = [];
  while (s.length > 3) {
    parts.unshift(s.slice(-3));
    s = s.slice(0, -3);
  }
  parts.unshift(s);
  return parts.join(",");
}

/** x with `digits` decimals, rounding half away from zero: floor(|x| * 10^d + 0.5), with
 * thousands separators. The whole-number part is split exactly (BigInt), as Python's ints do. */
export function fixed(x: number, digits: number): string {
  const scaled = BigInt(Math.floor(Math.abs(x) * pow10(digits) + 0.5));
  const unit = BigInt(pow10(digits));
  const whole = scaled / unit;
  const frac = scaled % unit;
  const sign = x < 0 && scaled !== 0n ? "-" : "";
  let text = group(whole.toString());
  if (digits > 0) {
    text += "." + frac.toString().padStart(digits, "0");
  }
  return sign + text;
}

export function money(x: number): string {
  const text = fixed(x, 2);
  return text.startsWith("-") ? "-$" + text.slice(1) : "$" + text;
}

export function signWord(x: number): "positive" | "negative" | "zero" {
  return x > 0 ? "positive" : x < 0 ? "negative" : "zero";
}

/** Python's str() of a count (an int there). */
function count(x: number | null): string {
  if (x === null) return "None";
  return Number.isInteger(x) ? BigInt(x).toString() : pyFloatRepr(x);
}

/** What drives ai_score: today's value (the score of today's ev_per_dollar alone, pure
 * arithmetic) or the forecast change, which moves it by score - scoreToday points. */
export function scoreDrivers(score: number, scoreToday: number): string {
  const moved = score - scoreToday;
  const driver = Math.abs(moved) >= FORECAST_DRIVES_POINTS
    ? "the forecast drives it"
    : "today's prize arithmetic drives it, not the forecast";
  const sign = moved > 0 ? "+" : moved < 0 ? "-" : "";
  return `ai_score ${fixed(score, 0)}: today's value alone scores ${fixed(scoreToday, 0)}, ` +
    `the forecast change moves it ${sign}${fixed(Math.abs(moved), 0)} points, so ${driver}.`;
}

/** The drivers in plain words; the first sentence always states the net EV's sign. With the
 * scores given, a sentence says whether today's value or the forecast drives ai_score.
 * `metrics` must be a valid day (reason null). */
export function reasoning(
  metrics: GameMetrics,
  forecastEpd: number,
  claimProbability: number | null,
  score: number | null = null,
  scoreToday: number | null = null,
): string {
  const net = metrics.net_ev as number;
  const price = metrics.ticket_price;
  const epd = metrics.ev_per_dollar as number;
  const parts = [
    `Net expected value is ${signWord(net)}: ${money(net)} per ${money(price)} ticket ` +
    `(prizes left return ${money(epd)} per dollar spent).`,
  ];
  const chg = forecastEpd - epd;
  const direction = chg > 0 ? "up" : chg < 0 ? "down" : "unchanged";
  parts.push(
    `Forecast in ${HORIZON_DAYS} days: ${money(forecastEpd)} per dollar ` +
      `(${direction} ${fixed(Math.abs(chg), 4)}).`,
  );
  if (score !== null && scoreToday !== null) {
    parts.push(scoreDrivers(score, scoreToday));
  }
  if (metrics.top_prize_gone) {
    parts.push(`All ${count(metrics.top_prizes_printed)} top prizes have been claimed.`);
  } else {
    const ratio = metrics.top_prize_ratio as number;
    const lean = ratio > 1.0 ? "more than" : ratio < 1.0 ? "fewer than" : "exactly as many as";
    parts.push(
      `${count(metrics.top_prizes_left)} of ${count(metrics.top_prizes_printed)} top prizes ` +
        `(${money(metrics.top_prize_amount as number)}) remain, ${lean} sales so far would ` +
        `imply (ratio ${fixed(ratio, 2)}).`,
    );
  }
  parts.push(`${fixed(100.0 * (metrics.pct_sold as number), 0)}% of tickets are sold.`);
  if (claimProbability !== null && !metrics.top_prize_gone) {
    parts.push(
      `Chance of a top-prize claim within ${HORIZON_DAYS} days: ` +
        `${fixed(100.0 * claimProbability, 0)}%.`,
    );
  }
  return parts.join(" ");
}

// ---- the row ------------------------------------------------------------------------------------

/** The predictions table's fields. `reason` set -> no prediction, every other field null. */
export interface PredictionRow {
  reason: string | null;
  ai_score: number | null;
  recommendation: Recommendation | null;
  win_probability: number | null;
  /** net EV per ticket, dollars */
  expected_value: number | null;
  confidence_level: number | null;
  reasoning: string | null;
  forecast_ev_per_dollar: number | null;
  top_prize_claim_probability: number | null;
}

/** "stale: latest data YYYY-MM-DD" when the game's latest snapshot is more than `limitDays` days
 * before the prediction date (at the limit it is still fresh), else null. */
export function staleReason(
  snapshotDate: string,
  predictionDate: string,
  limitDays: number = STALE_AFTER_DAYS,
): string | null {
  const age = dayNumber(predictionDate) - dayNumber(snapshotDate);
  return age > limitDays ? `stale: latest data ${snapshotDate}` : null;
}

export function noPrediction(reason: string): PredictionRow {
  return {
    reason,
    ai_score: null,
    recommendation: null,
    win_probability: null,
    expected_value: null,
    confidence_level: null,
    reasoning: null,
    forecast_ev_per_dollar: null,
    top_prize_claim_probability: null,
  };
}

/** The whole row for one game on one day: predictedChanges from the ev_change_14d regressors
 * (rf, xgb), claimProbabilities from the top_prize_claim_14d classifiers (rf, xgb). */
export function predictionRow(
  metrics: GameMetrics,
  daysObserved: number,
  predictedChanges: readonly number[],
  claimProbabilities: readonly number[],
  reference: readonly number[],
  spreadScale: number,
): PredictionRow {
  if (metrics.reason !== null) {
    return noPrediction(metrics.reason);
  }
  const outputs = [...predictedChanges, ...claimProbabilities];
  if (outputs.some((v) => !Number.isFinite(v))) {
    return noPrediction("a model returned a non-finite value");
  }
  const forecast = forecastEvPerDollar(metrics.ev_per_dollar as number, predictedChanges);
  const score = aiScore(forecast, reference);
  let claim: number | null = null;
  if (claimProbabilities.length > 0) {
    let total = 0.0;
    for (const p of claimProbabilities) {
      total += p;
    }
    claim = pyMin([1.0, pyMax([0.0, total / claimProbabilities.length])]);
  }
  return {
    reason: null,
    ai_score: score,
    recommendation: recommendation(score),
    win_probability: metrics.win_probability,
    expected_value: metrics.net_ev,
    confidence_level: confidenceLevel(
      daysObserved,
      predictedChanges,
      claimProbabilities,
      spreadScale,
    ),
    reasoning: reasoning(
      metrics,
      forecast,
      claim,
      score,
      aiScore(metrics.ev_per_dollar as number, reference),
    ),
    forecast_ev_per_dollar: forecast,
    top_prize_claim_probability: claim,
  };
}
