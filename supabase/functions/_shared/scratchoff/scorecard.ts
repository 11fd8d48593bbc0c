/**
 * The scorecard of served predictions: a line-for-line port of trainer/scratchoff/scorecard.py
 * (see there for what each figure means). Pure: no Deno APIs. Sums run left to right in row order,
 * as the Python reference does, so both give the same bits.
 */

export const CLASSES = ["strong_buy", "buy", "neutral", "avoid", "strong_avoid"] as const;
const BUY_SIDE = new Set(["strong_buy", "buy"]);
const AVOID_SIDE = new Set(["avoid", "strong_avoid"]);
export const CLAIM_THRESHOLD = 0.5;

/** One served prediction and its realized outcome, 14 days later. */
export interface ScoredPrediction {
  forecast_change: number;
  realized_change: number;
  trend_change: number;
  claim_probability: number | null;
  realized_claim: number;
  base_rate: number;
  game_rate: number;
  ai_score: number;
  ev_per_dollar: number;
  recommendation: string;
}

export interface ClassFigures {
  n: number;
  mean_realized_change: number;
  hits: number | null;
  hit_rate: number | null;
}

export interface DayFigures {
  n: number;
  mean_absolute_error: number;
  mae_persistence: number;
  mae_trend: number;
  skill_persistence: number | null;
  skill_trend: number | null;
  n_claim?: number;
  claim_rate?: number;
  brier?: number;
  brier_base_rate?: number;
  brier_game_rate?: number;
  brier_skill_base_rate?: number | null;
  brier_skill_game_rate?: number | null;
  accuracy?: number;
  precision_score?: number | null;
  recall_score?: number | null;
  f1_score?: number | null;
  spearman_ai_score: number | null;
  spearman_ev_per_dollar: number | null;
  classes: Record<string, ClassFigures>;
  notes: string;
}

export function mean(values: readonly number[]): number {
  let total = 0.0;
  for (const v of values) total += v;
  return total / values.length;
}

function square(x: number): number {
  return x * x;
}

/** 1 - loss / baselineLoss; null when the baseline is perfect. */
export function skill(loss: number, baselineLoss: number): number | null {
  return baselineLoss === 0.0 ? null : 1.0 - loss / baselineLoss;
}

/** 1-based ranks, ties sharing their average rank. */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map((_, i) => i).sort((a, b) =>
    values[a] < values[b] ? -1 : values[a] > values[b] ? 1 : a - b
  );
  const ranks = new Array<number>(values.length).fill(0);
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1]] === values[order[i]]) j += 1;
    const rank = (i + j) / 2.0 + 1.0;
    for (let k = i; k <= j; k++) ranks[order[k]] = rank;
    i = j + 1;
  }
  return ranks;
}

/** Pearson correlation of the average ranks; null with fewer than 2 rows or a constant side. */
export function spearman(x: readonly number[], y: readonly number[]): number | null {
  if (x.length < 2) return null;
  const rx = averageRanks(x);
  const ry = averageRanks(y);
  const mx = mean(rx);
  const my = mean(ry);
  let sxy = 0.0;
  let sxx = 0.0;
  let syy = 0.0;
  for (let i = 0; i < rx.length; i++) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) * (rx[i] - mx);
    syy += (ry[i] - my) * (ry[i] - my);
  }
  if (sxx === 0.0 || syy === 0.0) return null;
  return sxy / Math.sqrt(sxx * syy);
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2.0;
}

export function classFigures(rows: readonly ScoredPrediction[]): Record<string, ClassFigures> {
  const mid = median(rows.map((r) => r.realized_change));
  const out: Record<string, ClassFigures> = {};
  for (const label of CLASSES) {
    const members = rows.filter((r) => r.recommendation === label);
    if (members.length === 0) continue;
    let hits: number | null = null;
    if (BUY_SIDE.has(label)) hits = members.filter((r) => r.realized_change > mid).length;
    else if (AVOID_SIDE.has(label)) hits = members.filter((r) => r.realized_change < mid).length;
    out[label] = {
      n: members.length,
      mean_realized_change: mean(members.map((r) => r.realized_change)),
      hits,
      hit_rate: hits === null ? null : hits / members.length,
    };
  }
  return out;
}

export function claimFigures(rows: readonly ScoredPrediction[]): Partial<DayFigures> {
  const scored = rows.filter((r) => r.claim_probability !== null);
  if (scored.length === 0) return {};
  const probability = scored.map((r) => r.claim_probability as number);
  const brier = mean(scored.map((r, i) => square(probability[i] - r.realized_claim)));
  const base = mean(scored.map((r) => square(r.base_rate - r.realized_claim)));
  const game = mean(scored.map((r) => square(r.game_rate - r.realized_claim)));
  let tp = 0, fp = 0, fn = 0, tn = 0;
  scored.forEach((r, i) => {
    const said = probability[i] >= CLAIM_THRESHOLD;
    if (said && r.realized_claim) tp += 1;
    else if (said) fp += 1;
    else if (r.realized_claim) fn += 1;
    else tn += 1;
  });
  const precision = tp + fp ? tp / (tp + fp) : null;
  const recall = tp + fn ? tp / (tp + fn) : null;
  const f1 = precision !== null && recall !== null && precision + recall > 0.0
    ? 2.0 * precision * recall / (precision + recall)
    : null;
  return {
    n_claim: scored.length,
    claim_rate: mean(scored.map((r) => r.realized_claim)),
    brier,
    brier_base_rate: base,
    brier_game_rate: game,
    brier_skill_base_rate: skill(brier, base),
    brier_skill_game_rate: skill(brier, game),
    accuracy: (tp + tn) / scored.length,
    precision_score: precision,
    recall_score: recall,
    f1_score: f1,
  };
}

/** Plain words: where the model adds something beyond arithmetic and where it does not. */
export function verdict(f: Omit<DayFigures, "notes">): string {
  const parts: string[] = [];
  for (
    const [value, name] of [[f.skill_persistence, "no change"], [
      f.skill_trend,
      "the 14-day trend",
    ]] as const
  ) {
    if (value === null || value <= 0.0) parts.push(`EV forecast no better than ${name}.`);
  }
  for (
    const [key, name] of [
      ["brier_skill_base_rate", "the base rate"],
      ["brier_skill_game_rate", "the game's own rate"],
    ] as const
  ) {
    if (key in f && (f[key] === null || (f[key] as number) <= 0.0)) {
      parts.push(`Claim probability no better than ${name}.`);
    }
  }
  const ai = f.spearman_ai_score;
  const epd = f.spearman_ev_per_dollar;
  if (ai === null || epd === null || ai <= epd) {
    parts.push("ai_score ranks games no better than today's EV per dollar alone.");
  }
  if (parts.length === 0) {
    return "Beat every baseline on this day, including ranking by today's EV per dollar.";
  }
  return parts.join(" ");
}

/** The scorecard of one model version's predictions of one day (rows in a fixed order). */
export function dayFigures(rows: readonly ScoredPrediction[]): DayFigures {
  if (rows.length === 0) throw new RangeError("no scored predictions");
  const realized = rows.map((r) => r.realized_change);
  const mae = mean(rows.map((r) => Math.abs(r.forecast_change - r.realized_change)));
  const maePersistence = mean(rows.map((r) => Math.abs(0.0 - r.realized_change)));
  const maeTrend = mean(rows.map((r) => Math.abs(r.trend_change - r.realized_change)));
  const figures: Omit<DayFigures, "notes"> = {
    n: rows.length,
    mean_absolute_error: mae,
    mae_persistence: maePersistence,
    mae_trend: maeTrend,
    skill_persistence: skill(mae, maePersistence),
    skill_trend: skill(mae, maeTrend),
    ...claimFigures(rows),
    spearman_ai_score: spearman(rows.map((r) => r.ai_score), realized),
    spearman_ev_per_dollar: spearman(rows.map((r) => r.ev_per_dollar), realized),
    classes: classFigures(rows),
  };
  return { ...figures, notes: verdict(figures) };
}

/** Game claim-rate baseline: the game's labels shrunk toward the base rate by this many rows. */
export const PRIOR_ROWS = 14.0;

/** The claim baselines from label counts known on the day: base rate over all games (0.5, no
 * information, before any label is known) and the game's own rate, shrunk toward it. */
export function claimRates(
  baseClaims: number,
  baseN: number,
  gameClaims: number,
  gameN: number,
): { base_rate: number; game_rate: number } {
  const base = baseN > 0 ? baseClaims / baseN : 0.5;
  return { base_rate: base, game_rate: (gameClaims + PRIOR_ROWS * base) / (gameN + PRIOR_ROWS) };
}
