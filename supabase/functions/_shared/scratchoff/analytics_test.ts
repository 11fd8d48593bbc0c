/**
 * Unit tests of the analytics and features port: a hand-computed game, every refusal, the
 * imputation rules. Parity with the Python reference on the whole data set is
 * parity_tests/test_port_parity.py.
 */
import assert from "node:assert/strict";
import {
  commonLowTiers,
  fractionLeft,
  type GameMetrics,
  gameMetrics,
  pyFloatRepr,
  pyMax,
  pyMin,
  sortTiers,
  ticketsPrinted,
  type Tier,
} from "./analytics.ts";
import { dayNumber, FEATURE_NAMES, gameFeatures, isoDay } from "./features.ts";

function close(actual: number | null, expected: number, rel = 1e-15): void {
  assert.ok(actual !== null, `expected ${expected}, got null`);
  assert.ok(
    Math.abs(actual - expected) <= rel * Math.max(1, Math.abs(expected)),
    `expected ${expected}, got ${actual}`,
  );
}

// Price $2, 5,000 tickets printed. Common low tiers: the $2 tier alone holds 1,000 of 1,512
// printed prizes (>= half), so f = 400 / 1,000 = 0.4 and T = 2,000 tickets left.
const GAME_A: Tier[] = [
  { prize: 2, printed: 1000, remaining: 400 },
  { prize: 5, printed: 500, remaining: 250 },
  { prize: 100, printed: 10, remaining: 5 },
  { prize: 1000, printed: 2, remaining: 1 },
];

Deno.test("hand-computed game", () => {
  const m = gameMetrics(GAME_A, 2.0, 3.0, 5000);
  assert.equal(m.reason, null);
  close(m.fraction_left, 0.4);
  close(m.pct_sold, 0.6);
  close(m.tickets_left, 2000);
  // value left: 2*400 + 5*250 + 100*5 + 1000*1 = 3,550 dollars over 2,000 tickets
  close(m.gross_ev, 1.775);
  close(m.ev_per_dollar, 0.8875);
  close(m.net_ev, -0.225, 1e-12);
  close(m.win_probability, 656 / 2000);
  close(m.top_prize_ratio, 0.5 / 0.4);
  close(m.top_value_share, 1000 / 3550);
  assert.equal(m.top_prizes_left, 1);
  assert.equal(m.top_prize_gone, false);
  assert.equal(m.tickets_printed, 5000);
  assert.equal(m.t0_from_odds, false);
  assert.equal(m.odds_published, true);
  assert.equal(m.prizes_printed, 1512);
  assert.equal(m.prizes_remaining, 656);
  assert.equal(m.n_tiers, 4);
  assert.equal(m.top_prize_amount, 1000);
  assert.equal(m.top_prizes_printed, 2);
});

Deno.test("tickets printed from the odds when not given", () => {
  for (const missing of [null, NaN, 0]) {
    const m = gameMetrics(GAME_A, 2.0, 3.0, missing);
    assert.equal(m.reason, null);
    assert.equal(m.t0_from_odds, true);
    close(m.tickets_printed, 3 * 1512);
    close(m.gross_ev, 3550 / (3 * 1512 * 0.4));
  }
  assert.deepEqual(ticketsPrinted(sortTiers(GAME_A), null, null), [null, false]);
  assert.deepEqual(ticketsPrinted(sortTiers(GAME_A), Infinity, -1), [null, false]);
});

Deno.test("common low tiers: exactly half, never the top tier, one tier", () => {
  const half = sortTiers([
    { prize: 1, printed: 50, remaining: 10 },
    { prize: 2, printed: 30, remaining: 30 },
    { prize: 10, printed: 20, remaining: 5 },
  ]);
  assert.deepEqual(commonLowTiers(half), half.slice(0, 1)); // 50 of 100 is "at least half"
  close(fractionLeft(half), 0.2);
  const heavyTop = sortTiers([
    { prize: 1, printed: 10, remaining: 5 },
    { prize: 2, printed: 10, remaining: 3 },
    { prize: 10, printed: 100, remaining: 50 },
  ]);
  assert.deepEqual(commonLowTiers(heavyTop), heavyTop.slice(0, 2));
  const m = gameMetrics(heavyTop, 1.0, null, 1000);
  close(m.fraction_left, 8 / 20);
  close(m.top_prize_ratio, 0.5 / 0.4);
  const one = [{ prize: 1, printed: 10, remaining: 5 }];
  assert.deepEqual(commonLowTiers(one), one);
  assert.deepEqual(commonLowTiers([]), []);
  assert.equal(fractionLeft([]), 0);
});

// Price $5, 10,000 tickets printed. Tier 1, the advertised top prize, is an annuity valued at
// $1,000 (2 printed, 1 left); a cash tier pays $2,000 (4 printed, all left). Of 1,506 printed
// prizes the $5 tier alone holds 1,000: f = 400 / 1,000 = 0.4, T = 4,000 tickets left; value
// left 5*400 + 20*250 + 1,000*1 + 2,000*4 = 16,000 dollars.
const GAME_ANNUITY: Tier[] = [
  { prize: 5, printed: 1000, remaining: 400, tier_index: 4 },
  { prize: 20, printed: 500, remaining: 250, tier_index: 3 },
  { prize: 1000, printed: 2, remaining: 1, tier_index: 1 },
  { prize: 2000, printed: 4, remaining: 4, tier_index: 2 },
];

const unnumbered = (tiers: Tier[]): Tier[] => tiers.map((t) => ({ ...t, tier_index: null }));

Deno.test("the top tier is tier 1 even when a cash tier pays more", () => {
  const m = gameMetrics(GAME_ANNUITY, 5, null, 10_000);
  assert.equal(m.reason, null);
  close(m.fraction_left, 0.4);
  assert.deepEqual([m.top_prize_amount, m.top_prizes_printed, m.top_prizes_left], [1000, 2, 1]);
  assert.equal(m.top_prize_gone, false);
  close(m.top_prize_ratio, (1 / 2) / 0.4);
  close(m.top_value_share, 1000 / 16_000);
  close(m.gross_ev, 16_000 / 4_000);
  // Without the index the largest prize is the top tier, as before.
  const old = gameMetrics(unnumbered(GAME_ANNUITY), 5, null, 10_000);
  assert.deepEqual([old.top_prize_amount, old.top_prizes_left, old.top_value_share], [
    2000,
    4,
    0.5,
  ]);
  assert.equal(old.gross_ev, m.gross_ev); // the sums do not depend on which tier is on top
});

Deno.test("the top tier is tier 1 among tiers of the same amount", () => {
  // Two tiers pay $1,000; tier 1 has fewer printed, so the (prize, printed, remaining) order puts
  // the other one last, where the largest-prize rule would have looked.
  const tiers: Tier[] = [
    { prize: 5, printed: 1000, remaining: 400, tier_index: 3 },
    { prize: 1000, printed: 3, remaining: 3, tier_index: 2 },
    { prize: 1000, printed: 2, remaining: 0, tier_index: 1 },
  ];
  const m = gameMetrics(tiers, 5, null, 10_000);
  assert.deepEqual([m.top_prize_amount, m.top_prizes_printed, m.top_prizes_left], [1000, 2, 0]);
  assert.equal(m.top_prize_gone, true);
  assert.equal(m.top_prize_ratio, 0);
  assert.equal(m.top_value_share, 0);
  const old = gameMetrics(unnumbered(tiers), 5, null, 10_000);
  assert.deepEqual([old.top_prizes_printed, old.top_prizes_left], [3, 3]);
  const refused = gameMetrics(tiers, 5, null, null); // no odds: refused, top prizes still follow
  assert.notEqual(refused.reason, null);
  assert.equal(refused.top_prizes_left, 0);
});

Deno.test("common low tiers are the other tiers from the lowest prize", () => {
  // Tier 1 pays $2.50 with 250 printed. The other tiers, lowest first: 100 + 100 + 100 printed
  // reach half of the 550 at the $3 tier, so all three: f = (50 + 40 + 30) / 300 = 0.4.
  const tiers = sortTiers([
    { prize: 1, printed: 100, remaining: 50, tier_index: 4 },
    { prize: 2, printed: 100, remaining: 40, tier_index: 3 },
    { prize: 3, printed: 100, remaining: 30, tier_index: 2 },
    { prize: 2.5, printed: 250, remaining: 10, tier_index: 1 },
  ]);
  assert.deepEqual(commonLowTiers(tiers), [tiers[0], tiers[1], tiers[3]]);
  const m = gameMetrics(tiers, 1, null, 2000);
  close(m.fraction_left, 0.4);
  close(m.top_prize_ratio, (10 / 250) / 0.4);
  // As the largest prize, the $3 tier would be on top and the $2.50 tier a low tier.
  close(gameMetrics(unnumbered(tiers), 1, null, 2000).fraction_left, 100 / 450);
});

Deno.test("tiers numbered without a tier 1 take the largest prize", () => {
  const tiers = GAME_A.map((t, i) => ({ ...t, tier_index: i + 2 }));
  assert.deepEqual(gameMetrics(tiers, 2, 3, 5000), gameMetrics(GAME_A, 2, 3, 5000));
});

Deno.test("tiers are sorted by prize, printed, remaining; the input order does not matter", () => {
  const want = gameMetrics(GAME_A, 2.0, 3.0, 5000);
  const reversed = [...GAME_A].reverse();
  assert.deepEqual(gameMetrics(reversed, 2.0, 3.0, 5000), want);
  const tied = sortTiers([
    { prize: 5, printed: 2, remaining: 1 },
    { prize: 5, printed: 1, remaining: 1 },
    { prize: 5, printed: 1, remaining: 0 },
    { prize: 1, printed: 9, remaining: 9 },
  ]);
  assert.deepEqual(tied.map((t) => [t.prize, t.printed, t.remaining]), [
    [1, 9, 9],
    [5, 1, 0],
    [5, 1, 1],
    [5, 2, 1],
  ]);
  assert.equal(GAME_A[0].prize, 2); // the input is not mutated
});

Deno.test("win probability is capped at one", () => {
  const m = gameMetrics(
    [{ prize: 1, printed: 1000, remaining: 500 }, { prize: 5, printed: 9000, remaining: 4500 }],
    1.0,
    null,
    1000,
  );
  assert.equal(m.reason, null);
  assert.equal(m.win_probability, 1.0);
});

Deno.test("top prize gone", () => {
  const m = gameMetrics(
    [...GAME_A.slice(0, 3), { prize: 1000, printed: 2, remaining: 0 }],
    2,
    null,
    5000,
  );
  assert.equal(m.reason, null);
  assert.equal(m.top_prize_gone, true);
  assert.equal(m.top_prizes_left, 0);
  assert.equal(m.top_prize_ratio, 0);
  assert.equal(m.top_value_share, 0);
});

const NULL_WHEN_REFUSED: (keyof GameMetrics)[] = [
  "prizes_printed",
  "prizes_remaining",
  "tickets_printed",
  "t0_from_odds",
  "fraction_left",
  "tickets_left",
  "pct_sold",
  "gross_ev",
  "ev_per_dollar",
  "net_ev",
  "win_probability",
  "top_prize_ratio",
  "top_value_share",
];

function assertRefused(m: GameMetrics, words: string): void {
  assert.ok(m.reason !== null && m.reason.includes(words), `reason ${m.reason} lacks ${words}`);
  for (const name of NULL_WHEN_REFUSED) assert.equal(m[name], null, name);
}

Deno.test("edge cases are refused with a reason, nothing divides by zero", () => {
  const cases: [Tier[], number, number | null, number | null, string][] = [
    [[], 2, 3, 5000, "no prize tiers"],
    [GAME_A, 0, 3, 5000, "ticket price is not positive"],
    [GAME_A, NaN, 3, 5000, "ticket price is not positive"],
    [[{ prize: 2, printed: 1000, remaining: 0 }, ...GAME_A.slice(1)], 2, 3, 5000, "sold out"],
    [GAME_A.map((t) => ({ ...t, remaining: 0 })), 2, 3, 5000, "sold out"],
    [GAME_A, 2, null, null, "tickets printed and odds not yet known"],
    [GAME_A, 2, NaN, 0, "not yet known"],
    [[...GAME_A, { prize: 50, printed: 0, remaining: 0 }], 2, 3, 5000, "zero prizes printed"],
    [[{ prize: 10, printed: 100, remaining: 40 }], 10, 3, 5000, "one prize tier"],
    [[{ prize: 2, printed: 10, remaining: 11 }, GAME_A[1]], 2, 3, 5000, "invalid tier"],
    [[{ prize: 2, printed: 10, remaining: -1 }, GAME_A[1]], 2, 3, 5000, "invalid tier"],
    [[{ prize: 0, printed: 10, remaining: 1 }, GAME_A[1]], 2, 3, 5000, "invalid tier"],
    [[{ prize: 2, printed: Infinity, remaining: 1 }, GAME_A[1]], 2, 3, 5000, "invalid tier"],
  ];
  for (const [tiers, price, odds, printed, words] of cases) {
    assertRefused(gameMetrics(tiers, price, odds, printed), words);
  }
});

Deno.test("refusal texts match the Python reference exactly", () => {
  assert.equal(
    gameMetrics(
      [{ prize: 2, printed: 1000, remaining: 400 }, { prize: 2.5, printed: 10, remaining: 11 }],
      2,
      null,
      5000,
    )
      .reason,
    "invalid tier at prize 2.5: needs prize > 0 and 0 <= remaining <= printed",
  );
  assert.equal(
    gameMetrics([...GAME_A, { prize: 50, printed: 0, remaining: 0 }], 2, 3, 5000).reason,
    "tier at prize 50.0 has zero prizes printed",
  );
  assert.equal(
    gameMetrics([{ prize: 10, printed: 100, remaining: 40 }], 10, 3, 5000).reason,
    "one prize tier: tickets left cannot be estimated apart from the top prize",
  );
  assert.equal(
    gameMetrics(GAME_A.map((t) => ({ ...t, remaining: 0 })), 2, 3, 5000).reason,
    "sold out: the common low tiers have no prizes left",
  );
});

Deno.test("a refused game still reports its top prizes", () => {
  const m = gameMetrics(GAME_A, 2.0, null, null);
  assert.equal(m.top_prizes_left, 1);
  assert.equal(m.top_prize_gone, false);
  assert.equal(m.odds_published, false);
  assert.equal(gameMetrics([], 2, null, null).top_prizes_left, null);
});

Deno.test("pyFloatRepr matches Python's repr(float)", () => {
  const cases: [number, string][] = [
    [2, "2.0"],
    [2.5, "2.5"],
    [-1, "-1.0"],
    [0, "0.0"],
    [-0, "-0.0"],
    [0.1 + 0.2, "0.30000000000000004"],
    [1e15, "1000000000000000.0"],
    [1e16, "1e+16"],
    [1.5e16, "1.5e+16"],
    [9999999999999998, "9999999999999998.0"],
    [123456789.125, "123456789.125"],
    [0.0001, "0.0001"],
    [0.00012, "0.00012"],
    [1e-5, "1e-05"],
    [1.25e-7, "1.25e-07"],
    [5e-324, "5e-324"],
    [1e100, "1e+100"],
    [1.7976931348623157e308, "1.7976931348623157e+308"],
    [NaN, "nan"],
    [Infinity, "inf"],
    [-Infinity, "-inf"],
  ];
  for (const [x, want] of cases) assert.equal(pyFloatRepr(x), want, String(x));
});

Deno.test("pyMin and pyMax follow Python (first of equals, NaN kept only when first)", () => {
  assert.equal(pyMax([0, NaN]), 0);
  assert.ok(Number.isNaN(pyMax([NaN, 0])));
  assert.equal(pyMin([100, NaN]), 100);
  assert.equal(pyMin([3, 1, 2]), 1);
  assert.throws(() => pyMax([]));
});

// ---- features -----------------------------------------------------------------------------------

const F = Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, i]));

function day(lowLeft: number, topLeft: number, price = 5.0): GameMetrics {
  return gameMetrics(
    [
      { prize: 5, printed: 1000, remaining: lowLeft },
      { prize: 50, printed: 100, remaining: Math.floor(lowLeft / 10) },
      { prize: 1000, printed: 4, remaining: topLeft },
    ],
    price,
    4.0,
    10_000,
  );
}

function fifteenDays(top: (k: number) => number = () => 3): Map<number, GameMetrics> {
  const h = new Map<number, GameMetrics>();
  for (let k = 0; k < 15; k++) h.set(100 + k, day(900 - 10 * k, top(k)));
  return h;
}

Deno.test("dayNumber and isoDay", () => {
  assert.equal(dayNumber("1970-01-02"), 1);
  assert.equal(dayNumber("2026-03-29T00:00:00"), dayNumber("2026-03-29"));
  assert.equal(dayNumber(new Date(Date.UTC(2026, 2, 29, 23, 59))), dayNumber("2026-03-29"));
  assert.equal(isoDay(dayNumber("2026-07-21")), "2026-07-21");
  assert.throws(() => dayNumber("2026-02-30"));
});

Deno.test("features: changes, flags and days observed", () => {
  const h = fifteenDays((k) => (k < 10 ? 4 : 3));
  const x = gameFeatures(h, 114, 90);
  assert.ok(x !== null);
  assert.equal(x.length, FEATURE_NAMES.length);
  const now = h.get(114)!, weekAgo = h.get(107)!, twoWeeks = h.get(100)!;
  assert.equal(x[F.days_observed], 25);
  assert.equal(x[F.lag7_missing], 0);
  assert.equal(x[F.lag14_missing], 0);
  close(x[F.ev_change_7d], now.ev_per_dollar! - weekAgo.ev_per_dollar!, 1e-12);
  close(x[F.ev_change_14d_past], now.ev_per_dollar! - twoWeeks.ev_per_dollar!, 1e-12);
  close(x[F.sales_velocity_7d], (now.pct_sold! - weekAgo.pct_sold!) / 7, 1e-12);
  assert.equal(x[F.top_prizes_claimed_7d], 1);
  assert.equal(x[F.top_prizes_claimed_14d_past], 1);
  assert.equal(x[F.odds_published], 1);
  assert.equal(x[F.t0_from_odds], 0);
  close(x[F.top_prize_multiple], 200);
});

Deno.test("features: a missing lag is imputed by scaling and flagged", () => {
  const h = fifteenDays();
  h.delete(107);
  const x = gameFeatures(h, 114, 90)!;
  assert.equal(x[F.lag7_missing], 1);
  assert.equal(x[F.lag14_missing], 0);
  const expected = (h.get(114)!.ev_per_dollar! - h.get(108)!.ev_per_dollar!) * 7 / 6;
  assert.equal(x[F.ev_change_7d], expected);
});

Deno.test("features: a game seen for one day has zero changes and both flags", () => {
  const x = gameFeatures(new Map([[200, day(900, 3)]]), 200, 200)!;
  assert.equal(x[F.days_observed], 1);
  assert.equal(x[F.lag7_missing], 1);
  assert.equal(x[F.lag14_missing], 1);
  for (const n of ["ev_change_7d", "ev_change_14d_past", "sales_velocity_7d"]) {
    assert.equal(x[F[n]], 0, n);
  }
  assert.ok(x.every(Number.isFinite));
});

Deno.test("features: refused days are missing; a refused or absent day t gives null", () => {
  const h = fifteenDays();
  h.set(107, gameMetrics([{ prize: 5, printed: 10, remaining: 5 }], 5, null, null));
  assert.equal(gameFeatures(h, 114, 90)![F.lag7_missing], 1);
  assert.equal(gameFeatures(h, 107, 90), null);
  assert.equal(gameFeatures(h, 120, 90), null);
});

Deno.test("features: only days t-14..t are read", () => {
  const h = fifteenDays();
  const want = gameFeatures(h, 114, 90);
  h.set(99, day(10, 0)); // before the window
  h.set(115, day(5, 0)); // after day t
  h.set(130, day(5, 0));
  assert.deepEqual(gameFeatures(h, 114, 90), want);
});
