/**
 * Powerball tickets from model scores: the conversion of scores into sampling weights and
 * inclusion probabilities (trainer/powerball/models.py), a small seedable PRNG, and ticket
 * sampling. Pure functions: no Deno APIs, no I/O.
 *
 * Sampling. Weights are the scores clipped below at 1e-6 and divided by their sum (Python's
 * sampling_weights; numpy sums pairwise, this sums left to right, so the weights may differ in the
 * last bit, which cannot matter for sampling). A ticket is five white balls drawn one at a time
 * without replacement, each draw proportional to the weights of the numbers not yet drawn (the
 * weights renormalised after each draw), then sorted, plus one Powerball drawn from the red
 * weights. One PRNG stream (mulberry32, below) seeded with the request's seed serves all tickets in
 * order, white balls first then the Powerball of each ticket: the same seed, weights and count
 * give the same tickets, and the first k tickets of a request for n >= k tickets are the tickets
 * of a request for k.
 */

import { RED, WHITE } from "./features.ts";

export const SCORE_EPS = 1e-6;

export interface Ticket {
  /** five distinct white balls of 1-69, ascending */
  white: number[];
  /** one Powerball of 1-26 */
  powerball: number;
}

function clippedScores(scores: ArrayLike<number>, eps: number): Float64Array {
  const out = new Float64Array(scores.length);
  for (let i = 0; i < scores.length; i++) {
    const s = Number(scores[i]);
    if (!Number.isFinite(s)) throw new RangeError(`score ${i} is not finite: ${s}`);
    out[i] = Math.max(s, eps);
  }
  return out;
}

function sum(xs: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < xs.length; i++) total += xs[i];
  return total;
}

/**
 * A distribution over numbers summing to 1: scores clipped below at eps and normalised (Python:
 * sampling_weights). Non-finite scores are refused (numpy would pass a NaN through).
 */
export function samplingWeights(scores: ArrayLike<number>, eps = SCORE_EPS): Float64Array {
  const clipped = clippedScores(scores, eps);
  const total = sum(clipped);
  return clipped.map((s) => s / total);
}

/**
 * Per-number chance of being drawn next: scores clipped below at eps, rescaled to sum to perDraw,
 * clipped into [eps, 1 - eps] (Python: inclusion_probabilities).
 */
export function inclusionProbabilities(
  scores: ArrayLike<number>,
  perDraw: number,
  eps = SCORE_EPS,
): Float64Array {
  const clipped = clippedScores(scores, eps);
  const total = sum(clipped);
  return clipped.map((s) => Math.min(Math.max((s * perDraw) / total, eps), 1 - eps));
}

/** A source of uniform numbers in [0, 1). */
export type Rng = () => number;

/**
 * mulberry32 (Tommy Ettinger, public domain): a 32-bit state advanced by the odd constant
 * 0x6D2B79F5 (so every one of the 2^32 seeds starts a distinct stream, period 2^32), output mixed
 * by two xor-shift-multiply rounds; returns k / 2^32 for a 32-bit k, i.e. a uniform number in
 * [0, 1) with 32 random bits. Fast, reproducible on every JavaScript engine (integer math only via
 * Math.imul and >>>), and NOT cryptographic: tickets need reproducibility, not secrecy.
 * `seed` must be an integer in 0..2^32-1.
 */
export function mulberry32(seed: number): Rng {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`seed must be an integer in 0..4294967295, got ${seed}`);
  }
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * k distinct numbers (1-based) in the order drawn: each draw picks a number with probability
 * proportional to its weight among the numbers not yet drawn (the remaining weights renormalised).
 * Weights must be finite and >= 0, with at least k positive.
 */
export function sampleWithoutReplacement(
  weights: ArrayLike<number>,
  k: number,
  rng: Rng,
): number[] {
  const w = Float64Array.from(weights as ArrayLike<number>);
  let positive = 0;
  for (const x of w) {
    if (!Number.isFinite(x) || x < 0) throw new RangeError(`weights must be finite and >= 0`);
    if (x > 0) positive++;
  }
  if (!Number.isInteger(k) || k < 0 || k > positive) {
    throw new RangeError(`cannot draw ${k} distinct numbers from ${positive} positive weights`);
  }
  const picked: number[] = [];
  for (let j = 0; j < k; j++) {
    const target = rng() * sum(w); // the remaining weights' total, summed afresh (no drift)
    let acc = 0;
    let pick = -1;
    for (let i = 0; i < w.length; i++) {
      if (w[i] <= 0) continue;
      acc += w[i];
      pick = i; // the last positive weight catches a target rounding left at >= acc
      if (target < acc) break;
    }
    picked.push(pick + 1);
    w[pick] = 0;
  }
  return picked;
}

/** One ticket: WHITE.perDraw white balls without replacement (sorted), then one Powerball. */
export function drawTicket(
  whiteWeights: ArrayLike<number>,
  redWeights: ArrayLike<number>,
  rng: Rng,
): Ticket {
  if (whiteWeights.length !== WHITE.nNumbers || redWeights.length !== RED.nNumbers) {
    throw new RangeError(
      `need ${WHITE.nNumbers} white and ${RED.nNumbers} red weights, got ` +
        `${whiteWeights.length} and ${redWeights.length}`,
    );
  }
  const white = sampleWithoutReplacement(whiteWeights, WHITE.perDraw, rng).sort((a, b) => a - b);
  const [powerball] = sampleWithoutReplacement(redWeights, 1, rng);
  return { white, powerball };
}

/** `count` tickets from one mulberry32 stream seeded with `seed` (see the module comment). */
export function drawTickets(
  whiteWeights: ArrayLike<number>,
  redWeights: ArrayLike<number>,
  count: number,
  seed: number,
): Ticket[] {
  const rng = mulberry32(seed);
  return Array.from({ length: count }, () => drawTicket(whiteWeights, redWeights, rng));
}
