/**
 * What every state feed adapter shares: the canonical row, the typed error, and the small parsers.
 * Port of trainer/scratchoff/feeds/common.py, line for line (parity_tests/test_feed_parity.py).
 *
 * A canonical row is one prize tier of one game on one day (DESIGN.md, Data contract). tier_index
 * numbers a game's tiers from 1: tier 1 is the game's top tier (the advertised top prize; for a
 * feed that advertises none, the largest prize), then the others by prize amount, largest first,
 * ties in the feed's own order. Two tiers of one game may have the same prize amount (New York has
 * six such games), so the tier key is (game, tier_index), never the amount.
 */

/**
 * A feed payload refused: which document, which row (1-based: a CSV file's line, a JSON array's
 * element) and column, and why. Nothing of a refused payload is returned.
 */
export class FeedError extends Error {
  constructor(
    readonly document: string,
    readonly row: number | null,
    readonly column: string | null,
    readonly detail: string,
  ) {
    let where = document;
    if (row !== null) where += `, row ${row}`;
    if (column !== null) where += `, column '${column}'`;
    super(`${where}: ${detail}`);
    this.name = "FeedError";
  }
}

/** One fetched document of a feed: its name (file name or URL) and its raw bytes. */
export interface FeedDocument {
  name: string;
  data: Uint8Array;
}

export interface CanonicalRow {
  snapshot_date: string;
  state: string;
  game_number: string;
  game_name: string;
  ticket_price: number;
  overall_odds: number | null;
  total_tickets_printed: number | null;
  tier_index: number;
  prize_label: string;
  prize_amount: number;
  prizes_printed: number;
  prizes_remaining: number;
}

export interface ParsedFeed {
  state: string;
  /** YYYY-MM-DD: the day the data describes. */
  asOf: string;
  rows: CanonicalRow[];
}

/** A tier as an adapter reads it, before the tiers are numbered. */
export interface Tier {
  label: string;
  amount: number;
  printed: number;
  remaining: number;
}

const DECIMAL = /^[0-9]+(?:\.[0-9]+)?$/;
const GROUPED = /^[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?$/;
const INTEGER = /^[0-9]+$/;
const GROUPED_INTEGER = /^[0-9]{1,3}(?:,[0-9]{3})+$/;

/** The as-of date a feed without a date of its own must be given (YYYY-MM-DD), else FeedError
 * naming its documents; `feed` names it in the message ("New York's feed"). */
export function givenDay(
  documents: FeedDocument[],
  asOf: string | null | undefined,
  feed: string,
): string {
  const day = typeof asOf === "string" ? parseIsoDate(asOf) : null;
  if (day === null) {
    const names = documents.map((d) => d.name).join(", ") || "(no document)";
    const what = `${feed} carries no date: give the as-of date, got ${
      JSON.stringify(asOf ?? null)
    }`;
    throw new FeedError(names, null, null, what);
  }
  return day;
}

/** A JSON document (UTF-8, a byte-order mark allowed), else FeedError naming it. */
export function readJson(doc: FeedDocument): unknown {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(doc.data); // drops a BOM
  } catch {
    throw new FeedError(doc.name, null, null, "not JSON (UnicodeDecodeError)");
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new FeedError(doc.name, null, null, "not JSON (JSONDecodeError)");
  }
}

/** A plain or thousands-grouped decimal ("1234", "1,234.50"), else null. */
export function parseNumber(text: string): number | null {
  text = text.trim();
  if (DECIMAL.test(text) || GROUPED.test(text)) return Number(text.replaceAll(",", ""));
  return null;
}

/** A whole count ("1234" or "1,234"), else null. */
export function parseCount(text: string): number | null {
  text = text.trim();
  if (INTEGER.test(text) || GROUPED_INTEGER.test(text)) return Number(text.replaceAll(",", ""));
  return null;
}

/** YYYY-MM-DD of a real calendar day, else null. */
export function isoDate(year: number, month: number, day: number): string | null {
  if (year < 1 || month < 1 || month > 12 || day < 1) return null;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > last) return null;
  const pad = (n: number, w: number) => String(n).padStart(w, "0");
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

export function parseIsoDate(text: string): string | null {
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(text.trim());
  return m ? isoDate(Number(m[1]), Number(m[2]), Number(m[3])) : null;
}

/** The label of a plain cash prize: "$1,000", "$2.50". */
export function formatDollars(amount: number): string {
  const cents = Math.floor(amount * 100 + 0.5);
  const whole = Math.floor(cents / 100);
  const frac = cents % 100;
  const text = "$" + String(whole).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return frac ? `${text}.${String(frac).padStart(2, "0")}` : text;
}

/** Python's " ".join(text.split()): trimmed, inner whitespace runs as one space. */
export function squeeze(text: string): string {
  return text.split(/\s+/).filter((s) => s !== "").join(" ");
}

export interface GameHead {
  snapshotDate: string;
  state: string;
  gameNumber: string;
  gameName: string;
  ticketPrice: number;
  overallOdds: number | null;
  totalTicketsPrinted: number | null;
}

/**
 * One game's canonical rows: `top` (an index into `tiers`, or null for the largest prize) becomes
 * tier 1, the rest follow by prize amount, largest first, ties in feed order.
 */
export function numberTiers(head: GameHead, tiers: Tier[], top: number | null): CanonicalRow[] {
  if (top === null) {
    top = 0;
    for (let i = 1; i < tiers.length; i++) if (tiers[i].amount > tiers[top].amount) top = i;
  }
  const rest = tiers.map((_t, i) => i).filter((i) => i !== top);
  rest.sort((a, b) => tiers[b].amount - tiers[a].amount || a - b);
  return [top, ...rest].map((i, n) => ({
    snapshot_date: head.snapshotDate,
    state: head.state,
    game_number: head.gameNumber,
    game_name: head.gameName,
    ticket_price: head.ticketPrice,
    overall_odds: head.overallOdds,
    total_tickets_printed: head.totalTicketsPrinted,
    tier_index: n + 1,
    prize_label: tiers[i].label,
    prize_amount: tiers[i].amount,
    prizes_printed: tiers[i].printed,
    prizes_remaining: tiers[i].remaining,
  }));
}

/** Canonical order: game number, then tier index (plain code-point comparison, as in Python). */
export function sortRows(rows: CanonicalRow[]): CanonicalRow[] {
  return rows.sort((a, b) =>
    a.game_number < b.game_number ? -1 : a.game_number > b.game_number ? 1 : a.tier_index -
      b.tier_index
  );
}
