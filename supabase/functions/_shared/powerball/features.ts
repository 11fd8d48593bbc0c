/**
 * Powerball for the edge: the next draw's features, a faithful port of
 * trainer/powerball/features.py. Pure functions: no Deno APIs, no I/O.
 *
 * Features (DESIGN.md, Powerball; the Python module docstring is the reference). For a ball
 * ("white": 1-69, five per draw; "red": the Powerball, 1-26, one per draw) and the window of the
 * HISTORY_WINDOW (100) newest draws, oldest first, with count_k(n) = how many of the k newest
 * draws contain n, each number n gets, in this column order:
 *
 *   number, freq_10, freq_25, freq_50, freq_100     n; count_k(n) / k
 *   draws_since_seen                                 0 if n is in the newest draw, 100 if never seen
 *   trend_10_100, trend_25_100                       freq_10 - freq_100, freq_25 - freq_100
 *   hot_rank_25                                      #{m : count_25(m) < count_25(n)} / (N - 1)
 *
 * computed in float64 and rounded once to float32 (Math.fround), exactly as numpy computes the same
 * expressions in float64 and casts with astype(float32): the two agree bit for bit
 * (parity_tests/test_powerball_port_parity.py).
 */

export const HISTORY_WINDOW = 100;
export const FREQ_WINDOWS = [10, 25, 50, 100] as const;
export const HOT_WINDOW = 25;

/** The fixed column order the models, the ONNX files and trainer/powerball/features.py share. */
export const FEATURE_NAMES = [
  "number",
  "freq_10",
  "freq_25",
  "freq_50",
  "freq_100",
  "draws_since_seen",
  "trend_10_100",
  "trend_25_100",
  "hot_rank_25",
] as const;
export const N_FEATURES = FEATURE_NAMES.length;

export interface Ball {
  name: "white" | "red";
  /** numbers 1..nNumbers */
  nNumbers: number;
  /** balls of this kind in one draw */
  perDraw: number;
}

export const WHITE: Ball = { name: "white", nNumbers: 69, perDraw: 5 };
export const RED: Ball = { name: "red", nNumbers: 26, perDraw: 1 };

/** One draw: its date (YYYY-MM-DD), its five white balls and its Powerball. */
export interface Draw {
  draw_date: string;
  white: number[];
  powerball: number;
}

function checkNumber(n: number, ball: Ball, date: string): void {
  if (!Number.isInteger(n) || n < 1 || n > ball.nNumbers) {
    throw new RangeError(`draw ${date}: ${ball.name} ball ${n} is not in 1-${ball.nNumbers}`);
  }
}

/** Draws sorted by date; a stable sort, like pandas' sort_values(kind="stable"). */
export function sortedDraws(draws: readonly Draw[]): Draw[] {
  return [...draws].sort((
    a,
    b,
  ) => (a.draw_date < b.draw_date ? -1 : a.draw_date > b.draw_date ? 1 : 0));
}

/**
 * (T x N) indicator, row-major: row t = draw t in the order given, column n-1 = number n drawn
 * (Python: indicator_matrix, which also sorts; callers here pass draws already in date order).
 */
export function indicatorMatrix(draws: readonly Draw[], ball: Ball): Uint8Array {
  const n = ball.nNumbers;
  const out = new Uint8Array(draws.length * n);
  draws.forEach((d, t) => {
    const numbers = ball.name === "white" ? d.white : [d.powerball];
    for (const x of numbers) {
      checkNumber(x, ball, d.draw_date);
      out[t * n + x - 1] = 1;
    }
  });
  return out;
}

/**
 * Features of every number from exactly HISTORY_WINDOW draws: `hits` is the (100 x nNumbers)
 * indicator, rows oldest .. newest. Returns (nNumbers x N_FEATURES) float32, row-major, row n-1 =
 * number n (Python: window_features).
 */
export function windowFeatures(hits: Uint8Array, nNumbers: number): Float32Array {
  if (!Number.isInteger(nNumbers) || nNumbers < 2 || hits.length !== HISTORY_WINDOW * nNumbers) {
    throw new RangeError(
      `need exactly ${HISTORY_WINDOW} draws of ${nNumbers} numbers, got ${hits.length} cells`,
    );
  }
  const rows = HISTORY_WINDOW;
  // counts[k][n]: number of the k newest rows containing n
  const counts = new Map<number, Float64Array>();
  for (const k of FREQ_WINDOWS) {
    const c = new Float64Array(nNumbers);
    for (let r = rows - k; r < rows; r++) {
      for (let n = 0; n < nNumbers; n++) c[n] += hits[r * nNumbers + n];
    }
    counts.set(k, c);
  }
  const hot = counts.get(HOT_WINDOW)!;
  const out = new Float32Array(nNumbers * N_FEATURES);
  for (let n = 0; n < nNumbers; n++) {
    const f10 = counts.get(10)![n] / 10;
    const f25 = counts.get(25)![n] / 25;
    const f50 = counts.get(50)![n] / 50;
    const f100 = counts.get(100)![n] / 100;
    let since = HISTORY_WINDOW; // never seen in the window
    for (let back = 0; back < rows; back++) {
      if (hits[(rows - 1 - back) * nNumbers + n]) {
        since = back;
        break;
      }
    }
    let lower = 0;
    for (let m = 0; m < nNumbers; m++) if (hot[m] < hot[n]) lower++;
    const row = [n + 1, f10, f25, f50, f100, since, f10 - f100, f25 - f100, lower / (nNumbers - 1)];
    for (let j = 0; j < N_FEATURES; j++) out[n * N_FEATURES + j] = Math.fround(row[j]);
  }
  return out;
}

export interface NextDrawFeatures {
  /** 69 x 9 float32, row-major, row n-1 = white number n */
  white: Float32Array;
  /** 26 x 9 float32, row-major, row n-1 = Powerball n */
  red: Float32Array;
  /** the date of the newest draw used */
  lastDrawDate: string;
}

/**
 * Features for the draw after the newest one in `history` (any order; it is sorted by date and
 * only its last HISTORY_WINDOW draws are used), as Python's next_draw_features.
 */
export function nextDrawFeatures(history: readonly Draw[]): NextDrawFeatures {
  if (history.length < HISTORY_WINDOW) {
    throw new RangeError(`need at least ${HISTORY_WINDOW} draws, got ${history.length}`);
  }
  const recent = sortedDraws(history).slice(-HISTORY_WINDOW);
  return {
    white: windowFeatures(indicatorMatrix(recent, WHITE), WHITE.nNumbers),
    red: windowFeatures(indicatorMatrix(recent, RED), RED.nNumbers),
    lastDrawDate: recent[recent.length - 1].draw_date,
  };
}
