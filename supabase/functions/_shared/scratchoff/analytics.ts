/**
 * Exact scratch-off arithmetic for one game on one day (DESIGN.md, Scratch-off analytics).
 *
 * A line-for-line port of trainer/scratchoff/analytics.py (the reference implementation); the parity suite
 * (parity_tests/test_port_parity.py) holds the two within 1e-9 relative on every game-day of the
 * shipped data. Pure: no Deno APIs, no imports.
 *
 * - Tiers are first put in a fixed order (prize ascending, then printed, then remaining) and every
 *   sum is a left-to-right `acc += x` loop in that order, exactly as in Python.
 * - The top tier is the advertised top prize: the tier with tier_index 1; tiers without an index
 *   (or without a tier 1) take the highest prize, ties to the last in the fixed order. The common
 *   low tiers are the other tiers from the lowest prize up (the Python module states the
 *   definitions).
 * - An edge case never throws: it returns GameMetrics with `reason` set and the prediction-worthy
 *   metrics null.
 * - Field names are snake_case, identical to the Python dataclass: these objects are written to
 *   the database and returned as JSON.
 *
 * Reasons (checked in this order; the first that applies is reported): no prize tiers; ticket
 * price not positive; invalid tier; a tier with zero printed prizes; one prize tier; tickets
 * printed and odds not yet known (neither given); sold out (f = 0).
 */

export interface Tier {
  /** P_i, dollars */
  prize: number;
  /** N_i, a whole number */
  printed: number;
  /** R_i, a whole number */
  remaining: number;
  /** 1 = the advertised top prize; absent or null when not known */
  tier_index?: number | null;
}

/** One game's metrics on one day. `reason` is null when the game can be predicted; otherwise it
 * says why not, and every nullable metric below is null. */
export interface GameMetrics {
  reason: string | null;
  n_tiers: number;
  ticket_price: number;
  top_prize_amount: number | null;
  top_prizes_printed: number | null;
  /** R_top: safe to report even for a refused game */
  top_prizes_left: number | null;
  top_prize_gone: boolean | null;
  /** sum N_i over all tiers */
  prizes_printed: number | null;
  /** sum R_i over all tiers */
  prizes_remaining: number | null;
  /** T0 as used */
  tickets_printed: number | null;
  /** true when T0 came from overall_odds * sum N_i */
  t0_from_odds: boolean | null;
  /** overall_odds was given */
  odds_published: boolean;
  /** f */
  fraction_left: number | null;
  /** T */
  tickets_left: number | null;
  pct_sold: number | null;
  /** dollars of prizes per ticket */
  gross_ev: number | null;
  /** gross_ev / price */
  ev_per_dollar: number | null;
  /** gross_ev - price, dollars (negative for nearly every game) */
  net_ev: number | null;
  win_probability: number | null;
  top_prize_ratio: number | null;
  top_value_share: number | null;
}

/** Names of the numeric fields, in this order (as trainer/scratchoff/analytics.py's METRIC_FIELDS). */
export const METRIC_FIELDS: readonly (keyof GameMetrics)[] = [
  "n_tiers",
  "ticket_price",
  "top_prize_amount",
  "top_prizes_printed",
  "top_prizes_left",
  "top_prize_gone",
  "prizes_printed",
  "prizes_remaining",
  "tickets_printed",
  "t0_from_odds",
  "odds_published",
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

/** Python's min(a, b, ...): the first item unless a later one is strictly smaller (so NaN
 * behaves as in Python). Throws on an empty list, like Python. */
export function pyMin(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("min() arg is an empty sequence");
  let best = values[0];
  for (let i = 1; i < values.length; i++) {
    if (values[i] < best) best = values[i];
  }
  return best;
}

/** Python's max(a, b, ...): the first item unless a later one is strictly larger. */
export function pyMax(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("max() arg is an empty sequence");
  let best = values[0];
  for (let i = 1; i < values.length; i++) {
    if (values[i] > best) best = values[i];
  }
  return best;
}

/** Python's repr() of a float, e.g. 2 -> "2.0", 1e16 -> "1e+16", 1e-5 -> "1e-05", NaN -> "nan".
 * Both languages print the shortest digits that round-trip; only the layout differs. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  // toExponential() without an argument gives the shortest round-trip digits: "d.ddde+N".
  const [mantissa, expText] = Math.abs(x).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const exp = Number(expText);
  const decpt = exp + 1; // value = 0.digits * 10^decpt
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) return sign + "0." + "0".repeat(-decpt) + digits;
    if (decpt >= digits.length) return sign + digits + "0".repeat(decpt - digits.length) + ".0";
    return sign + digits.slice(0, decpt) + "." + digits.slice(decpt);
  }
  const m = digits.length > 1 ? digits[0] + "." + digits.slice(1) : digits;
  const e = Math.abs(exp);
  return sign + m + "e" + (exp < 0 ? "-" : "+") + (e < 10 ? "0" : "") + String(e);
}

/** The fixed order every sum runs in: prize ascending, then printed, then remaining. */
export function sortTiers(tiers: Iterable<Tier>): Tier[] {
  return [...tiers].sort((a, b) =>
    a.prize !== b.prize
      ? (a.prize < b.prize ? -1 : 1)
      : a.printed !== b.printed
      ? (a.printed < b.printed ? -1 : 1)
      : a.remaining !== b.remaining
      ? (a.remaining < b.remaining ? -1 : 1)
      : 0
  );
}

function finitePositive(x: number | null | undefined): x is number {
  return x !== null && x !== undefined && Number.isFinite(x) && x > 0;
}

function tierIsValid(t: Tier): boolean {
  // Number.isFinite on the counts: Python's ints are always finite; a JS number may not be.
  return (
    Number.isFinite(t.prize) &&
    t.prize > 0 &&
    Number.isFinite(t.printed) &&
    t.printed >= 0 &&
    Number.isFinite(t.remaining) &&
    t.remaining >= 0 &&
    t.remaining <= t.printed
  );
}

/** Where the top tier is in sorted, non-empty tiers: tier_index 1, else the highest prize (the
 * last). */
export function topTierPosition(tiers: readonly Tier[]): number {
  for (let i = tiers.length - 1; i >= 0; i--) {
    if (tiers[i].tier_index === 1) {
      return i;
    }
  }
  return tiers.length - 1;
}

/** The common low tiers of sorted tiers, lowest prize first. */
export function commonLowTiers(tiers: readonly Tier[]): Tier[] {
  if (tiers.length <= 1) {
    return [...tiers]; // one tier: the other tiers are none, so all tiers
  }
  const top = topTierPosition(tiers);
  const others = [...tiers.slice(0, top), ...tiers.slice(top + 1)];
  let total = 0;
  for (const t of tiers) {
    total += t.printed;
  }
  let running = 0;
  for (let i = 0; i < others.length; i++) {
    running += others[i].printed;
    if (2 * running >= total) { // whole numbers below 2**53: exact, no rounding at the 50% line
      return others.slice(0, i + 1);
    }
  }
  return others;
}

/** f over the common low tiers of sorted tiers (0 when they have nothing printed). */
export function fractionLeft(tiers: readonly Tier[]): number {
  let printed = 0;
  let remaining = 0;
  for (const t of commonLowTiers(tiers)) {
    printed += t.printed;
    remaining += t.remaining;
  }
  if (printed <= 0) {
    return 0.0;
  }
  return remaining / printed;
}

/** [T0, whether it came from the odds]; [null, false] when neither is usable. */
export function ticketsPrinted(
  tiers: readonly Tier[],
  overallOdds: number | null | undefined,
  totalTicketsPrinted: number | null | undefined,
): [number | null, boolean] {
  if (finitePositive(totalTicketsPrinted)) {
    return [totalTicketsPrinted, false];
  }
  if (finitePositive(overallOdds)) {
    let printed = 0;
    for (const t of tiers) {
      printed += t.printed;
    }
    if (printed > 0) {
      return [overallOdds * printed, true];
    }
  }
  return [null, false];
}

function refused(
  reason: string,
  tiers: readonly Tier[],
  ticketPrice: number,
  oddsPublished: boolean,
): GameMetrics {
  const top = tiers.length > 0 ? tiers[topTierPosition(tiers)] : null;
  const topOk = top !== null && tierIsValid(top);
  return {
    reason,
    n_tiers: tiers.length,
    ticket_price: ticketPrice,
    top_prize_amount: topOk ? top.prize : null,
    top_prizes_printed: topOk ? top.printed : null,
    top_prizes_left: topOk ? top.remaining : null,
    top_prize_gone: topOk ? top.remaining === 0 : null,
    prizes_printed: null,
    prizes_remaining: null,
    tickets_printed: null,
    t0_from_odds: null,
    odds_published: oddsPublished,
    fraction_left: null,
    tickets_left: null,
    pct_sold: null,
    gross_ev: null,
    ev_per_dollar: null,
    net_ev: null,
    win_probability: null,
    top_prize_ratio: null,
    top_value_share: null,
  };
}

/** Every metric of DESIGN.md for one game on one day, or a refusal with its reason. */
export function gameMetrics(
  tiersIn: Iterable<Tier>,
  ticketPrice: number,
  overallOdds: number | null = null,
  totalTicketsPrinted: number | null = null,
): GameMetrics {
  const tiers = sortTiers(tiersIn);
  const oddsPublished = finitePositive(overallOdds);
  if (tiers.length === 0) {
    return refused("no prize tiers", tiers, ticketPrice, oddsPublished);
  }
  if (!finitePositive(ticketPrice)) {
    return refused("ticket price is not positive", tiers, ticketPrice, oddsPublished);
  }
  for (const t of tiers) {
    if (!tierIsValid(t)) {
      return refused(
        `invalid tier at prize ${
          pyFloatRepr(t.prize)
        }: needs prize > 0 and 0 <= remaining <= printed`,
        tiers,
        ticketPrice,
        oddsPublished,
      );
    }
  }
  for (const t of tiers) {
    if (t.printed === 0) {
      return refused(
        `tier at prize ${pyFloatRepr(t.prize)} has zero prizes printed`,
        tiers,
        ticketPrice,
        oddsPublished,
      );
    }
  }
  if (tiers.length === 1) {
    // f would be the top tier's own claimed share: tickets left could not be told apart from
    // top-prize claims, and top_prize_ratio would be 1 by construction.
    return refused(
      "one prize tier: tickets left cannot be estimated apart from the top prize",
      tiers,
      ticketPrice,
      oddsPublished,
    );
  }
  const [t0, fromOdds] = ticketsPrinted(tiers, overallOdds, totalTicketsPrinted);
  if (t0 === null) {
    return refused(
      "tickets printed and odds not yet known",
      tiers,
      ticketPrice,
      oddsPublished,
    );
  }
  const f = fractionLeft(tiers);
  if (f <= 0.0) {
    return refused(
      "sold out: the common low tiers have no prizes left",
      tiers,
      ticketPrice,
      oddsPublished,
    );
  }

  let printed = 0;
  let remaining = 0;
  let valueLeft = 0.0;
  for (const t of tiers) {
    printed += t.printed;
    remaining += t.remaining;
    valueLeft += t.prize * t.remaining;
  }
  const top = tiers[topTierPosition(tiers)];
  const ticketsLeft = t0 * f;
  const gross = valueLeft / ticketsLeft;
  const topValue = top.prize * top.remaining;
  return {
    reason: null,
    n_tiers: tiers.length,
    ticket_price: ticketPrice,
    top_prize_amount: top.prize,
    top_prizes_printed: top.printed,
    top_prizes_left: top.remaining,
    top_prize_gone: top.remaining === 0,
    prizes_printed: printed,
    prizes_remaining: remaining,
    tickets_printed: t0,
    t0_from_odds: fromOdds,
    odds_published: oddsPublished,
    fraction_left: f,
    tickets_left: ticketsLeft,
    pct_sold: 1.0 - f,
    gross_ev: gross,
    ev_per_dollar: gross / ticketPrice,
    net_ev: gross - ticketPrice,
    win_probability: pyMin([1.0, remaining / ticketsLeft]),
    top_prize_ratio: (top.remaining / top.printed) / f,
    top_value_share: valueLeft > 0.0 ? topValue / valueLeft : 0.0,
  };
}
