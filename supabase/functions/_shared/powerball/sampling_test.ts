// Tests of _shared/powerball/sampling.ts without a database: the PRNG, sampling without replacement, ticket
// validity, and statistical tests (fixed seeds, so deterministic) that the sampled numbers follow
// the weights. The feature port's parity with Python is parity_tests/test_powerball_port_parity.py.
import assert from "node:assert/strict";
import { RED, WHITE, windowFeatures } from "./features.ts";
import {
  drawTickets,
  inclusionProbabilities,
  mulberry32,
  sampleWithoutReplacement,
  samplingWeights,
} from "./sampling.ts";

const assertEquals = (actual: unknown, expected: unknown) =>
  assert.deepStrictEqual(actual, expected);
const assertThrows = (fn: () => unknown, type: new (...args: never[]) => Error) =>
  assert.throws(fn, type);
function assertAlmostEquals(actual: number, expected: number, tolerance: number): void {
  assert(
    Math.abs(actual - expected) <= tolerance,
    `${actual} is not within ${tolerance} of ${expected}`,
  );
}

// ---- statistics helpers ------------------------------------------------------------------------

function logGamma(x: number): number {
  // Lanczos (g = 7, n = 9), accurate to ~1e-15 for x > 0
  const c = [
    0.99999999999980993,
    676.5203681218851,
    -1259.1392167224028,
    771.32342877765313,
    -176.61502916214059,
    12.507343278686905,
    -0.13857109526572012,
    9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularized upper incomplete gamma Q(a, x) (Numerical Recipes' gammq). */
function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const lead = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 1000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return 1 - sum * Math.exp(lead);
  }
  let b = x + 1 - a;
  let c = 1e300;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return Math.exp(lead) * h;
}

/** Pearson's statistic and its chi-square p-value with `df` degrees of freedom. */
function chiSquare(observed: number[], expected: number[], df: number): { x2: number; p: number } {
  let x2 = 0;
  for (let i = 0; i < observed.length; i++) x2 += (observed[i] - expected[i]) ** 2 / expected[i];
  return { x2, p: gammaQ(df / 2, x2 / 2) };
}

/**
 * Exact chance that each number is among the first k drawn by sequential sampling without
 * replacement with weights w (summing to 1). Sequential sampling is the order of independent
 * exponential clocks T_j ~ Exp(w_j); number i is in the first k iff fewer than k other clocks ring
 * before T_i, so pi_i = integral over u in (0, 1) of P(#{j != i: T_j < t(u)} < k), with
 * u = 1 - exp(-w_i t); the count is Poisson-binomial with p_j = 1 - (1 - u)^(w_j / w_i).
 * Simpson's rule on 2,000 intervals: error far below 1e-9 here.
 */
function exactInclusion(w: number[], k: number): number[] {
  const m = 2000;
  return w.map((wi, i) => {
    let total = 0;
    for (let s = 0; s <= m; s++) {
      const u = s / m;
      let f: number;
      if (u === 1) {
        f = 0;
      } else {
        const dist = new Float64Array(k); // P(count = c) for c < k
        dist[0] = 1;
        for (let j = 0; j < w.length; j++) {
          if (j === i) continue;
          const p = 1 - Math.pow(1 - u, w[j] / wi);
          for (let c = k - 1; c >= 1; c--) dist[c] = dist[c] * (1 - p) + dist[c - 1] * p;
          dist[0] *= 1 - p;
        }
        f = dist.reduce((a, b) => a + b, 0);
      }
      total += f * (s === 0 || s === m ? 1 : s % 2 ? 4 : 2);
    }
    return total / (3 * m);
  });
}

/** A fixed, clearly non-uniform weight vector (a deterministic stream, then normalised). */
function skewedWeights(n: number, seed: number): number[] {
  const rng = mulberry32(seed);
  const raw = Array.from({ length: n }, (_, i) => 0.2 + rng() + (i % 7 === 0 ? 2 : 0));
  const total = raw.reduce((a, b) => a + b, 0);
  return raw.map((x) => x / total);
}

// ---- the PRNG ----------------------------------------------------------------------------------

// The mulberry32 reference as commonly published (Tommy Ettinger), for comparison.
function mulberry32Reference(a: number): () => number {
  return function () {
    let t = a += 0x6D2B79F5;
    t = Math.imul(t ^ t >>> 15, t | 1);
    t ^= t + Math.imul(t ^ t >>> 7, t | 61);
    return ((t ^ t >>> 14) >>> 0) / 4294967296;
  };
}

Deno.test("mulberry32 matches the published reference, in [0, 1), for edge seeds too", () => {
  for (const seed of [0, 1, 42, 0x7fffffff, 0x80000000, 0xffffffff]) {
    const ours = mulberry32(seed);
    const ref = mulberry32Reference(seed);
    for (let i = 0; i < 1000; i++) {
      const x = ours();
      assertEquals(x, ref());
      assert(x >= 0 && x < 1);
    }
  }
  assert(mulberry32(1)() !== mulberry32(2)());
});

Deno.test("mulberry32 refuses seeds outside 0..2^32-1", () => {
  for (const seed of [-1, 2 ** 32, 1.5, NaN]) assertThrows(() => mulberry32(seed), RangeError);
});

// ---- sampling ----------------------------------------------------------------------------------

Deno.test("sampling without replacement: k distinct numbers in range, zero weights never drawn", () => {
  const rng = mulberry32(7);
  const w = Array.from({ length: 69 }, (_, i) => (i % 10 === 3 ? 0 : 1 + (i % 4)));
  for (let r = 0; r < 2000; r++) {
    const picked = sampleWithoutReplacement(w, 5, rng);
    assertEquals(picked.length, 5);
    assertEquals(new Set(picked).size, 5);
    for (const x of picked) {
      assert(Number.isInteger(x) && x >= 1 && x <= 69);
      assert(w[x - 1] > 0, `number ${x} has weight 0`);
    }
  }
  // exactly as many positive weights as draws: all of them, every time
  const five = Array.from({ length: 69 }, (_, i) => (i < 5 ? 1e-300 : 0));
  assertEquals(sampleWithoutReplacement(five, 5, rng).sort((a, b) => a - b), [1, 2, 3, 4, 5]);
  assertThrows(() => sampleWithoutReplacement(five, 6, rng), RangeError);
  assertThrows(() => sampleWithoutReplacement([1, -1, 1], 1, rng), RangeError);
  assertThrows(() => sampleWithoutReplacement([1, NaN, 1], 1, rng), RangeError);
  // an rng at its upper end still picks a positive weight
  assertEquals(sampleWithoutReplacement([0, 1, 1, 0], 2, () => 1 - 2 ** -32), [3, 2]);
});

Deno.test("tickets are valid for many seeds and weight vectors, and reproducible", () => {
  const whites = [samplingWeights(new Array(69).fill(0.07)), skewedWeights(69, 1)];
  const reds = [samplingWeights(new Array(26).fill(0.04)), skewedWeights(26, 2)];
  for (let seed = 0; seed < 300; seed++) {
    const w = whites[seed % 2];
    const r = reds[(seed >> 1) % 2];
    const tickets = drawTickets(w, r, 20, seed * 2654435761 % 2 ** 32);
    assertEquals(tickets.length, 20);
    for (const t of tickets) {
      assertEquals(t.white.length, 5);
      for (let i = 0; i < 5; i++) {
        assert(Number.isInteger(t.white[i]) && t.white[i] >= 1 && t.white[i] <= 69);
        if (i > 0) assert(t.white[i - 1] < t.white[i], `not sorted and distinct: ${t.white}`);
      }
      assert(Number.isInteger(t.powerball) && t.powerball >= 1 && t.powerball <= 26);
    }
    assertEquals(drawTickets(w, r, 20, seed * 2654435761 % 2 ** 32), tickets);
  }
  // the first k tickets of a longer request are the tickets of a request for k
  const w = whites[1];
  const r = reds[1];
  assertEquals(drawTickets(w, r, 20, 99).slice(0, 3), drawTickets(w, r, 3, 99));
  assert(JSON.stringify(drawTickets(w, r, 5, 1)) !== JSON.stringify(drawTickets(w, r, 5, 2)));
  assertThrows(() => drawTickets(r, w, 1, 1), RangeError);
});

// ---- statistics (fixed seeds: deterministic) ---------------------------------------------------

Deno.test("the Powerball's frequencies match its weights (chi-square, 25 df)", () => {
  const w = skewedWeights(RED.nNumbers, 11);
  const n = 20_000;
  const counts = new Array(RED.nNumbers).fill(0);
  for (const t of drawTickets(samplingWeights(new Array(69).fill(1)), w, n, 12345)) {
    counts[t.powerball - 1]++;
  }
  const { x2, p } = chiSquare(counts, w.map((x) => n * x), RED.nNumbers - 1);
  assert(p > 0.001, `chi-square ${x2.toFixed(1)}, p = ${p}`);
});

Deno.test("the first white ball drawn follows the weights exactly (chi-square, 68 df)", () => {
  const w = skewedWeights(WHITE.nNumbers, 21);
  const rng = mulberry32(2024);
  const n = 30_000;
  const counts = new Array(WHITE.nNumbers).fill(0);
  for (let r = 0; r < n; r++) counts[sampleWithoutReplacement(w, 5, rng)[0] - 1]++;
  const { x2, p } = chiSquare(counts, w.map((x) => n * x), WHITE.nNumbers - 1);
  assert(p > 0.001, `chi-square ${x2.toFixed(1)}, p = ${p}`);
});

Deno.test("white-ball inclusion frequencies track the exact sequential-sampling probabilities", () => {
  // uniform weights: the exact computation gives 5/69 (a check of the integral itself)
  for (const pi of exactInclusion(new Array(69).fill(1 / 69), 5)) {
    assertAlmostEquals(pi, 5 / 69, 1e-9);
  }
  const w = skewedWeights(WHITE.nNumbers, 31);
  const pi = exactInclusion(w, 5);
  assertAlmostEquals(pi.reduce((a, b) => a + b, 0), 5, 1e-9);
  const n = 20_000;
  const counts = new Array(WHITE.nNumbers).fill(0);
  for (const t of drawTickets(w, samplingWeights(new Array(26).fill(1)), n, 777)) {
    for (const x of t.white) counts[x - 1]++;
  }
  // Pearson against the exact expectations; conservative here (each count's variance is
  // n pi (1 - pi) <= n pi, and the counts are negatively correlated), so p > 0.001 is a floor
  const { x2, p } = chiSquare(counts, pi.map((x) => n * x), WHITE.nNumbers - 1);
  assert(p > 0.001, `chi-square ${x2.toFixed(1)}, p = ${p}`);
  // and each count within 4.5 standard deviations of its expectation
  for (let i = 0; i < pi.length; i++) {
    const sd = Math.sqrt(n * pi[i] * (1 - pi[i]));
    assert(Math.abs(counts[i] - n * pi[i]) < 4.5 * sd, `number ${i + 1}: ${counts[i]}`);
  }
});

Deno.test("skewed weights move the frequencies in the right direction", () => {
  const base = new Array(69).fill(1);
  base[6] = 10; // number 7: ten times as likely at each draw
  base[40] = 0.1; // number 41: a tenth
  const red = new Array(26).fill(1);
  red[2] = 5; // Powerball 3
  red[20] = 0.2; // Powerball 21
  const n = 10_000;
  const white = new Array(69).fill(0);
  const pb = new Array(26).fill(0);
  for (const t of drawTickets(samplingWeights(base), samplingWeights(red), n, 31337)) {
    for (const x of t.white) white[x - 1]++;
    pb[t.powerball - 1]++;
  }
  const others = (counts: number[], skip: number[]) => {
    const rest = counts.filter((_, i) => !skip.includes(i));
    return rest.reduce((a, b) => a + b, 0) / rest.length;
  };
  const whiteRest = others(white, [6, 40]);
  assert(white[6] > 4 * whiteRest, `7 drawn ${white[6]} times vs ${whiteRest} on average`);
  assert(white[40] < 0.3 * whiteRest, `41 drawn ${white[40]} times vs ${whiteRest} on average`);
  const pi = exactInclusion(Array.from(samplingWeights(base)), 5);
  assertAlmostEquals(white[6] / n, pi[6], 0.015);
  const redRest = others(pb, [2, 20]);
  assert(pb[2] > 3.5 * redRest && pb[20] < 0.4 * redRest, `Powerball counts ${pb}`);
});

// ---- scores -> weights, probabilities; feature guard --------------------------------------------

Deno.test("sampling weights and inclusion probabilities mirror trainer/powerball/models.py", () => {
  const scores = [0.2, 0, -1, 0.3, 0.5];
  const w = samplingWeights(scores);
  const clipped = [0.2, 1e-6, 1e-6, 0.3, 0.5];
  const total = clipped.reduce((a, b) => a + b, 0);
  assertEquals(Array.from(w), clipped.map((s) => s / total));
  assertAlmostEquals(w.reduce((a, b) => a + b, 0), 1, 1e-15);
  const p = inclusionProbabilities(scores, 1);
  assertEquals(Array.from(p), clipped.map((s) => Math.min(Math.max(s / total, 1e-6), 1 - 1e-6)));
  // rescaled to sum to per_draw, clipped below 1
  const five = inclusionProbabilities([10, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3], 5);
  assertEquals(five[0], 1 - 1e-6);
  assertThrows(() => samplingWeights([0.1, NaN]), RangeError);
  assertThrows(() => samplingWeights([0.1, Infinity]), RangeError);
});

Deno.test("windowFeatures refuses a window that is not 100 draws", () => {
  assertThrows(() => windowFeatures(new Uint8Array(99 * 69), 69), RangeError);
  assertEquals(windowFeatures(new Uint8Array(100 * 26), 26).length, 26 * 9);
});
