/**
 * What every state feed adapter shares: the canonical row, the typed error, and the small parsers.
 * Port of trainer/scratchoff/feeds/common.py, line for line (parity_tests/test_feed_parity.py).
 *
 * A canonical row is one prize tier of one game on one day (DESIGN.md, Data contract). tier_index
 * numbers a game's tiers from 1: tier 1 is the game's top tier (the advertised top prize; for a
 * feed that advertises none, the largest prize), then the others by prize amount, largest first,
 * ties in the feed's own order. Two tiers of one game may have the same prize amount (New York has
 * six such games), so the tier key is (game, tier_index), never the amount. odds_derived is true
 * when the state publishes no overall odds and the adapter computed them (the IGT layout).
 *
 * One odd game never sinks a state: an adapter throws OddGame for a game it cannot load; `gather`
 * drops it and keeps a warning naming the state, the game and the field (ParsedFeed.warnings). A
 * payload of another layout, or one whose checksums fail, is still a FeedError refusing the day.
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
  odds_derived: boolean;
}

export interface ParsedFeed {
  state: string;
  /** YYYY-MM-DD: the day the data describes. */
  asOf: string;
  rows: CanonicalRow[];
  /** The games dropped, each with its reason. */
  warnings: string[];
}

/** One game an adapter cannot load (its field and why); `gather` drops it with a warning. */
export class OddGame extends Error {
  constructor(readonly game: string, readonly column: string, readonly detail: string) {
    super(`game ${game}: ${column} ${detail}`);
    this.name = "OddGame";
  }
}

/** Every game's rows, in order, but a game whose rowsOf throws OddGame: that one is left out and
 * a warning names it. */
export function gather<G>(
  state: string,
  games: Iterable<G>,
  rowsOf: (game: G) => CanonicalRow[],
): [CanonicalRow[], string[]] {
  const rows: CanonicalRow[] = [];
  const warnings: string[] = [];
  for (const game of games) {
    try {
      rows.push(...rowsOf(game));
    } catch (err) {
      if (!(err instanceof OddGame)) throw err;
      warnings.push(`${state} game ${err.game}: ${err.column} ${err.detail}; game not loaded`);
    }
  }
  return [rows, warnings];
}

/** The parsed feed, or FeedError when no game is left to load (a day with no rows is no day). */
export function finish(
  state: string,
  day: string,
  document: string,
  rows: CanonicalRow[],
  warnings: string[],
): ParsedFeed {
  if (rows.length === 0) {
    const why = warnings.length
      ? `: ${warnings.length} games dropped, the first: ${warnings[0]}`
      : "";
    throw new FeedError(document, null, null, `no prize rows${why}`);
  }
  return { state, asOf: day, rows: sortRows(rows), warnings };
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
  oddsDerived?: boolean;
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
    odds_derived: head.oddsDerived ?? false,
  }));
}

/** Canonical order: game number, then tier index (plain code-point comparison, as in Python). */
export function sortRows(rows: CanonicalRow[]): CanonicalRow[] {
  return rows.sort((a, b) =>
    a.game_number < b.game_number ? -1 : a.game_number > b.game_number ? 1 : a.tier_index -
      b.tier_index
  );
}

/** Published "1 in N" overall odds ("1 in 3.64", "1-in-4.10", "1:3.5"), else null. */
export function parseOdds(text: string): number | null {
  const m = /^1\s*(?:in|-in-|:)\s*([0-9][0-9,]*(?:\.[0-9]+)?)$/i.exec(text.trim());
  const value = m ? parseNumber(m[1]) : null;
  return value !== null && value >= 1 ? value : null;
}

/** A JSON document's value (UTF-8, a byte-order mark allowed), else FeedError. */
export function jsonDocument(doc: FeedDocument): unknown {
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

/** The as-of day the caller gives a feed whose documents carry no date, else FeedError. */
export function dated(state: string, names: string, asOf: string | null | undefined): string {
  const day = typeof asOf === "string" ? parseIsoDate(asOf) : null;
  if (day === null) {
    throw new FeedError(
      names,
      null,
      null,
      `${state}'s feed carries no date: give the as-of date, got ${JSON.stringify(asOf ?? null)}`,
    );
  }
  return day;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// The JSON kinds a layout's fields are checked against (a whole number is an "integer" whether
// written 5 or 5.0: JSON does not tell them apart).
export type Kind = "text" | "integer" | "number" | "list" | "object" | "id";
const KINDS: Record<Kind, string> = {
  text: "text",
  integer: "a whole number",
  number: "a number",
  list: "an array",
  object: "an object",
  id: "text or a whole number",
};

function isKind(value: unknown, kind: Kind): boolean {
  const whole = typeof value === "number" && Number.isInteger(value);
  switch (kind) {
    case "text":
      return typeof value === "string";
    case "integer":
      return whole;
    case "number":
      return typeof value === "number";
    case "list":
      return Array.isArray(value);
    case "object":
      return isObject(value);
    case "id":
      return typeof value === "string" || whole;
  }
}

/** A value of a refused field, cut short (as common.py's shown). */
export function shown(value: unknown): string {
  return (JSON.stringify(value) ?? "null").slice(0, 60);
}

/** item[key] checked to be of `kind` (an "id" as text), else FeedError naming the field (`column`,
 * default the key): the first field that differs from the layout. */
export function jsonField(
  document: string,
  row: number | null,
  item: unknown,
  key: string,
  kind: Kind,
  column?: string,
  // deno-lint-ignore no-explicit-any
): any {
  const where = column ?? key;
  if (!isObject(item)) {
    const parent = where.includes(".") ? where.slice(0, where.lastIndexOf(".")) : null;
    throw new FeedError(document, row, parent, `expected an object, found ${shown(item)}`);
  }
  if (!(key in item)) throw new FeedError(document, row, where, "missing (not this layout?)");
  const value = item[key];
  if (!isKind(value, kind)) {
    throw new FeedError(document, row, where, `expected ${KINDS[kind]}, found ${shown(value)}`);
  }
  if (kind === "id") return typeof value === "string" ? value.trim() : String(value);
  return value;
}

// deno-lint-ignore no-explicit-any
export type Fields = Record<string, any>;

/** The fields `spec` names of one JSON element, each checked (jsonField), named `prefix` + key. */
export function fields(
  name: string,
  row: number,
  item: unknown,
  spec: [string, Kind][],
  prefix = "",
): Fields {
  return Object.fromEntries(
    spec.map(([key, kind]) => [key, jsonField(name, row, item, key, kind, prefix + key)]),
  );
}
