/**
 * Unit tests of the prediction-row port: recommendation thresholds at their boundaries, ai_score,
 * confidence, text formatting, refusals, and a hand-computed game end to end.
 */
import assert from "node:assert/strict";
import { gameMetrics, type Tier } from "./analytics.ts";
import {
  aiScore,
  confidenceLevel,
  fixed,
  forecastEvPerDollar,
  money,
  predictionRow,
  reasoning,
  recommendation,
  scoreDrivers,
  signWord,
  staleReason,
} from "./prediction.ts";

function close(actual: number | null, expected: number, rel = 1e-12): void {
  assert.ok(actual !== null, `expected ${expected}, got null`);
  assert.ok(
    Math.abs(actual - expected) <= rel * Math.max(1, Math.abs(expected)),
    `expected ${expected}, got ${actual}`,
  );
}

/** The largest double below x (x > 0). */
function nextDown(x: number): number {
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  buf.setBigUint64(0, buf.getBigUint64(0) - 1n);
  return buf.getFloat64(0);
}

const GAME_A: Tier[] = [
  { prize: 2, printed: 1000, remaining: 400 },
  { prize: 5, printed: 500, remaining: 250 },
  { prize: 100, printed: 10, remaining: 5 },
  { prize: 1000, printed: 2, remaining: 1 },
];
const NEGATIVE = gameMetrics(GAME_A, 2.0, null, 5000);
// Few tickets left and a big prize still in: gross EV above the price.
const POSITIVE = gameMetrics(
  [{ prize: 1, printed: 1000, remaining: 10 }, { prize: 5000, printed: 2, remaining: 2 }],
  5.0,
  null,
  1000,
);

Deno.test("recommendation thresholds, exactly at and just below each boundary", () => {
  const cases: [number, string][] = [
    [100, "strong_buy"],
    [80, "strong_buy"],
    [nextDown(80), "buy"],
    [79.99999999, "buy"],
    [60, "buy"],
    [nextDown(60), "neutral"],
    [59.99999999, "neutral"],
    [40, "neutral"],
    [nextDown(40), "avoid"],
    [39.99999999, "avoid"],
    [20, "avoid"],
    [nextDown(20), "strong_avoid"],
    [19.99999999, "strong_avoid"],
    [0, "strong_avoid"],
    [NaN, "strong_avoid"],
  ];
  for (const [score, label] of cases) assert.equal(recommendation(score), label, String(score));
});

Deno.test("ai_score is piecewise linear, clamped, 50 without a reference", () => {
  const ref = [0, 1, 2, 3, 4];
  assert.equal(aiScore(-1, ref), 0);
  assert.equal(aiScore(0, ref), 0);
  assert.equal(aiScore(0.5, ref), 12.5);
  assert.equal(aiScore(2, ref), 50);
  close(aiScore(3.2, ref), 80);
  assert.equal(aiScore(4, ref), 100);
  assert.equal(aiScore(9, ref), 100);
  assert.equal(aiScore(1, []), 50);
  assert.equal(aiScore(1, [0.5]), 50);
  assert.throws(() => aiScore(NaN, ref));
  assert.throws(() => aiScore(Infinity, ref));
  // ties in the reference: the last index with q[i] <= x
  assert.equal(aiScore(1, [0, 1, 1, 1, 2]), 75);
});

Deno.test("ai_score is monotone non-decreasing in the forecast", () => {
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const ref = Array.from({ length: 201 }, () => 0.5 + 0.6 * rand()).sort((a, b) => a - b);
  ref[50] = ref[51]; // a tie
  const xs = Array.from({ length: 5000 }, () => 0.4 + 0.8 * rand()).concat(ref).sort((a, b) =>
    a - b
  );
  let last = -1;
  for (const x of xs) {
    const s = aiScore(x, ref);
    assert.ok(s >= last, `ai_score(${x}) = ${s} < ${last}`);
    assert.ok(s >= 0 && s <= 100);
    last = s;
  }
});

Deno.test("forecast ev_per_dollar: current plus the mean predicted change", () => {
  assert.equal(forecastEvPerDollar(0.7, []), 0.7);
  close(forecastEvPerDollar(0.7, [0.01, 0.03]), 0.72);
});

Deno.test("confidence level", () => {
  close(confidenceLevel(28, [0.01, 0.01], [0.3, 0.3], 0.002), 100);
  close(confidenceLevel(100, [0.01, 0.01], [0.3, 0.3], 0.002), 100);
  close(confidenceLevel(7, [0.01, 0.01], [0.3, 0.3], 0.002), 100 * (0.4 * 0.25 + 0.4 + 0.2));
  close(confidenceLevel(28, [0, 0.002], [0.1, 0.6], 0.002), 100 * (0.4 + 0.4 * 0.5 + 0.2 * 0.5));
  const wild = confidenceLevel(0, [-1, 1], [0, 1], 0);
  assert.ok(wild >= 0 && wild <= 100);
  assert.ok(
    confidenceLevel(10, [0, 0.01], [0.2, 0.2], 0.002) <
      confidenceLevel(10, [0, 0.001], [0.2, 0.2], 0.002),
  );
  close(confidenceLevel(28, [], [], 0.002), 100);
  assert.equal(confidenceLevel(NaN, [0, 0], [0, 0], 0.002), 0); // as Python's min/max give
});

Deno.test("fixed and money round half away from zero", () => {
  assert.equal(fixed(0.125, 2), "0.13"); // Python's format() would say 0.12
  assert.equal(fixed(2.5, 0), "3");
  assert.equal(fixed(-1234.5, 0), "-1,235");
  assert.equal(fixed(-0.001, 2), "0.00");
  assert.equal(fixed(1234567.891, 2), "1,234,567.89");
  assert.equal(fixed(0.00005, 4), "0.0001");
  assert.equal(fixed(1e20, 2), "100,000,000,000,000,000,000.00");
  assert.equal(money(-0.225), "-$0.23");
  assert.equal(money(20_000_000), "$20,000,000.00");
  assert.equal(money(0), "$0.00");
  assert.equal(signWord(-1e-12), "negative");
  assert.equal(signWord(0), "zero");
  assert.equal(signWord(3), "positive");
});

Deno.test("a hand-computed game end to end", () => {
  // f = 0.4, T = 2,000, gross 1.775, ev_per_dollar 0.8875, net -0.225; forecast 0.8875 + 0.02.
  // reference [0.5, 0.7, 0.9, 1.1, 1.3]: 0.9075 is 0.0375 of the way from q[2] to q[3], so
  // ai_score = 100 * 2.0375 / 4 = 50.9375 (neutral). Confidence: history 30 days -> 1; regressor
  // spread 0.02 / 0.002 = 10 -> 1/11; classifier spread 0.2 -> 0.8:
  // 100 * (0.4 + 0.4 / 11 + 0.16) = 59.6363...
  const row = predictionRow(
    NEGATIVE,
    30,
    [0.01, 0.03],
    [0.2, 0.4],
    [0.5, 0.7, 0.9, 1.1, 1.3],
    0.002,
  );
  assert.equal(row.reason, null);
  close(row.forecast_ev_per_dollar, 0.9075);
  close(row.ai_score, 50.9375);
  assert.equal(row.recommendation, "neutral");
  close(row.confidence_level, 100 * (0.4 + 0.4 / 11 + 0.2 * 0.8));
  close(row.top_prize_claim_probability, 0.3);
  assert.equal(row.win_probability, NEGATIVE.win_probability);
  assert.equal(row.expected_value, NEGATIVE.net_ev);
  assert.equal(
    row.reasoning,
    "Net expected value is negative: -$0.23 per $2.00 ticket (prizes left return $0.89 per " +
      "dollar spent). Forecast in 14 days: $0.91 per dollar (up 0.0200). ai_score 51: today's " +
      "value alone scores 48, the forecast change moves it +3 points, so today's prize " +
      "arithmetic drives it, not the forecast. 1 of 2 top prizes ($1,000.00) remain, more than " +
      "sales so far would imply (ratio 1.25). 60% of tickets are sold. Chance of a top-prize " +
      "claim within 14 days: 30%.",
  );
});

Deno.test("reasoning always states the net EV's sign", () => {
  assert.ok(NEGATIVE.net_ev! < 0 && POSITIVE.net_ev! > 0);
  const neg = predictionRow(NEGATIVE, 30, [0.001, 0.002], [0.2, 0.3], [0.5, 0.9], 0.002);
  const pos = predictionRow(POSITIVE, 30, [0.001, 0.002], [0.2, 0.3], [0.5, 0.9], 0.002);
  assert.ok(neg.reasoning!.startsWith("Net expected value is negative: -$0.23 per $2.00 ticket"));
  assert.ok(pos.reasoning!.startsWith("Net expected value is positive"));
  const even = gameMetrics(
    [{ prize: 1, printed: 1000, remaining: 500 }, { prize: 10, printed: 100, remaining: 50 }],
    1.0,
    null,
    2000,
  );
  assert.equal(even.net_ev, 0);
  const text = reasoning(even, even.ev_per_dollar!, null);
  assert.ok(text.startsWith("Net expected value is zero: $0.00 per $1.00 ticket"), text);
  assert.ok(text.includes("(unchanged 0.0000)"));
  assert.ok(text.includes("exactly as many as sales so far would imply (ratio 1.00)"));
  assert.ok(!text.includes("Chance of a top-prize claim"));
});

Deno.test("top prize gone: the text says so and leaves out the claim chance", () => {
  const gone = gameMetrics(
    [...GAME_A.slice(0, 3), { prize: 1000, printed: 2, remaining: 0 }],
    2.0,
    null,
    5000,
  );
  const row = predictionRow(gone, 3, [], [], [], 0.002);
  assert.equal(row.ai_score, 50);
  assert.equal(row.top_prize_claim_probability, null);
  assert.equal(
    row.reasoning,
    "Net expected value is negative: -$0.73 per $2.00 ticket (prizes left return $0.64 per " +
      "dollar spent). Forecast in 14 days: $0.64 per dollar (unchanged 0.0000). ai_score 50: " +
      "today's value alone scores 50, the forecast change moves it 0 points, so today's prize " +
      "arithmetic drives it, not the forecast. All 2 top prizes have been claimed. 60% of " +
      "tickets are sold.",
  );
});

Deno.test("refusals: sold out, no odds and no printed count, zero-printed tier, one tier", () => {
  const cases: [Tier[], number, number | null, number | null, string][] = [
    [
      [{ prize: 2, printed: 100, remaining: 0 }, { prize: 50, printed: 2, remaining: 1 }],
      2,
      4,
      null,
      "sold out",
    ],
    [GAME_A, 2, null, null, "tickets printed and odds not yet known"],
    [[...GAME_A, { prize: 50, printed: 0, remaining: 0 }], 2, 3, 5000, "zero prizes printed"],
    [[{ prize: 10, printed: 100, remaining: 40 }], 10, 3, 5000, "one prize tier"],
  ];
  for (const [tiers, price, odds, printed, words] of cases) {
    const m = gameMetrics(tiers, price, odds, printed);
    const row = predictionRow(m, 30, [0, 0], [0.1, 0.1], [0.5, 0.9], 0.002);
    assert.ok(row.reason !== null && row.reason.includes(words), `${row.reason} lacks ${words}`);
    assert.equal(row.reason, m.reason);
    for (const [k, v] of Object.entries(row)) if (k !== "reason") assert.equal(v, null, k);
  }
  for (const bad of [NaN, Infinity]) {
    const row = predictionRow(NEGATIVE, 30, [bad, 0], [0.1, 0.1], [0.5, 0.9], 0.002);
    assert.equal(row.reason, "a model returned a non-finite value");
    assert.equal(row.ai_score, null);
    const row2 = predictionRow(NEGATIVE, 30, [0, 0], [0.1, bad], [0.5, 0.9], 0.002);
    assert.equal(row2.reason, "a model returned a non-finite value");
  }
});

Deno.test("claim probabilities are averaged and clamped to [0, 1]", () => {
  const hi = predictionRow(NEGATIVE, 30, [0, 0], [1.4, 1.7], [0.5, 0.9], 0.002);
  assert.equal(hi.top_prize_claim_probability, 1);
  const lo = predictionRow(NEGATIVE, 30, [0, 0], [-0.4, 0.1], [0.5, 0.9], 0.002);
  assert.equal(lo.top_prize_claim_probability, 0);
});

Deno.test("staleReason: fresh up to the limit, stale one day past it (as trainer/prediction.py)", () => {
  const cases: [string, string, number, string | null][] = [
    ["2026-07-21", "2026-07-21", 3, null],
    ["2026-07-21", "2026-07-24", 3, null],
    ["2026-07-21", "2026-07-25", 3, "stale: latest data 2026-07-21"],
    ["2026-07-21", "2026-11-30", 3, "stale: latest data 2026-07-21"],
    ["2026-02-27", "2026-03-02", 2, "stale: latest data 2026-02-27"],
    ["2026-07-21", "2026-07-21", 0, null],
    ["2026-07-21", "2026-07-22", 0, "stale: latest data 2026-07-21"],
    ["2026-07-21", "2026-07-20", 3, null],
  ];
  for (const [snapshot, day, limit, want] of cases) {
    assert.equal(staleReason(snapshot, day, limit), want, `${snapshot} -> ${day}, limit ${limit}`);
  }
  assert.equal(staleReason("2026-07-21", "2026-07-24"), null);
  assert.equal(staleReason("2026-07-21", "2026-07-25"), "stale: latest data 2026-07-21");
});

Deno.test("reasoning says whether the forecast or today's value drives the score", () => {
  assert.equal(
    scoreDrivers(62.4, 50.0),
    "ai_score 62: today's value alone scores 50, the forecast change moves it +12 points, " +
      "so the forecast drives it.",
  );
  assert.ok(
    scoreDrivers(51.0, 49.0).endsWith("today's prize arithmetic drives it, not the forecast."),
  );
  assert.ok(scoreDrivers(40.0, 40.0).includes("moves it 0 points"));
});
