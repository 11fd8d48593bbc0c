// The rules every input passes at the door, the TypeScript twin of trainer/data.py and the
// validate functions of trainer/scratchoff/load.py and trainer/powerball/load.py: the same rule
// set (input_rules.json: bounds, lengths, the size limit, time zones, Powerball's draw days), the
// same checks in the same order and the same messages, so the `ingest` function refuses exactly
// what `python -m trainer ingest` refuses (parity_tests/test_input_rules_parity.py). Which rules
// refuse and which only record a warning is documented in trainer/rules.py.
import rules from "./input_rules.json" with { type: "json" };
import { type CanonicalRow, formatDollars } from "./scratchoff/feeds/common.ts";

/** A file refused at the door: where (row = line in the file, header = 1), and why. */
export class DataError extends Error {
  constructor(
    readonly file: string,
    readonly row: number | null,
    readonly column: string | null,
    readonly reason: string,
  ) {
    super(
      `${file}${row === null ? "" : `, row ${row}`}${
        column === null ? "" : `, column '${column}'`
      }: ${reason}`,
    );
  }
}

export const MAX_INPUT_BYTES: number = rules.max_input_bytes;

/** The body's bytes, gunzipped when asked, read in chunks and refused past `limit`: a small
 * payload that expands to gigabytes costs at most the limit. */
export async function readBounded(
  body: ReadableStream<Uint8Array>,
  file: string,
  gzip: boolean,
  limit: number = MAX_INPUT_BYTES,
): Promise<Uint8Array> {
  const stream = gzip
    ? body.pipeThrough(new DecompressionStream("gzip") as TransformStream<Uint8Array, Uint8Array>)
    : body;
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > limit) {
        throw new DataError(
          file,
          null,
          null,
          `larger than the ${limit / 2 ** 20} MiB limit${gzip ? " once decompressed" : ""}` +
            " (trainer/rules.py: max_input_bytes)",
        );
      }
      chunks.push(value);
    }
  } catch (err) {
    await reader.cancel().catch(() => {});
    if (err instanceof DataError) throw err;
    throw new DataError(file, null, null, `not a readable file (${(err as Error).message})`);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

// ---- cells ---------------------------------------------------------------------------------------

const STRIP = /^[ \t\r\n\f\v]+|[ \t\r\n\f\v]+$/g;
const NUMBER = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const NON_FINITE = /^[+-]?(?:inf|infinity|nan)$/i;
// deno-lint-ignore no-control-regex -- finding control characters is the point
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;
const DECIMAL = /^[+-]?([0-9]*)\.?([0-9]*)(?:[eE]([+-]?[0-9]+))?$/;
const DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;

/** A cell stripped of ASCII white space only (as the Python reader does). */
export function strip(cell: string): string {
  return cell.replace(STRIP, "");
}

const quote = (text: string): string => JSON.stringify(text);

function fmtBound(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString("en-US") : String(value);
}

/** A parsed value as messages show it (trainer/data.py show). */
function show(value: string | number | null): string {
  return value === null ? "" : String(value);
}

/** Decimal places a number's text needs, exactly ("1000.10": 1, "5e-3": 3, "10e-3": 2). */
export function centPlaces(text: string): number {
  const m = DECIMAL.exec(text);
  if (m === null) return 0;
  const [whole, fraction, exponent] = [m[1], m[2], Number(m[3] ?? 0)];
  const digits = whole + fraction;
  if (/^0*$/.test(digits)) return 0;
  const zeros = digits.length - digits.replace(/0+$/, "").length;
  return Math.max(0, fraction.length - exponent - zeros);
}

type Check = [(row: number) => boolean, (row: number) => string];

/** The column's first row with any problem is refused with that row's first problem. */
function refuseFirst(
  file: string,
  column: string,
  n: number,
  problems: Check[],
): void {
  for (let i = 0; i < n; i++) {
    for (const [bad, say] of problems) {
      if (bad(i)) throw new DataError(file, i + 2, column, say(i));
    }
  }
}

interface Bounds {
  min: number;
  max: number;
  integer?: boolean;
  cents?: boolean;
}

interface NumberRule {
  nullable?: boolean;
  integer?: boolean;
  min?: number;
  max?: number;
  cents?: boolean;
}

/** The column as numbers (null for a blank, where allowed), or DataError at its first bad cell. */
export function numericColumn(
  cells: string[],
  column: string,
  file: string,
  rule: NumberRule,
): (number | null)[] {
  const values = cells.map((t) => (NUMBER.test(t) ? Number(t) : NaN));
  const finite = (i: number) => Number.isFinite(values[i]);
  const problems: Check[] = [
    [(i) => cells[i] === "" && !rule.nullable, () => "blank"],
    [
      (i) => NON_FINITE.test(cells[i]) || (NUMBER.test(cells[i]) && !finite(i)),
      (i) => `not finite: ${quote(cells[i])}`,
    ],
    [(i) => cells[i] !== "" && !NUMBER.test(cells[i]), (i) => `not a number: ${quote(cells[i])}`],
  ];
  if (rule.integer) {
    problems.push([
      (i) => finite(i) && values[i] !== Math.floor(values[i]),
      (i) => `not a whole number: ${quote(cells[i])}`,
    ]);
  }
  if (rule.min !== undefined) {
    const min = rule.min;
    problems.push([
      (i) => finite(i) && values[i] < min,
      (i) => `must be at least ${fmtBound(min)}: ${quote(cells[i])}`,
    ]);
  }
  if (rule.max !== undefined) {
    const max = rule.max;
    problems.push([
      (i) => finite(i) && values[i] > max,
      (i) => `must be at most ${fmtBound(max)}: ${quote(cells[i])}`,
    ]);
  }
  if (rule.cents) {
    problems.push([
      (i) => finite(i) && centPlaces(cells[i]) > 2,
      (i) => `more than cent precision: ${quote(cells[i])}`,
    ]);
  }
  refuseFirst(file, column, cells.length, problems);
  return values.map((v) => (Number.isNaN(v) ? null : v));
}

function boundedColumn(
  cells: string[],
  column: keyof typeof rules.numbers,
  file: string,
  nullable = false,
): (number | null)[] {
  const b: Bounds = rules.numbers[column];
  return numericColumn(cells, column, file, { ...b, nullable });
}

/** A required text column: blank, a control character or over its length limit is refused. */
function textColumn(
  cells: string[],
  column: keyof typeof rules.text_max_length,
  file: string,
): string[] {
  const limit = rules.text_max_length[column];
  refuseFirst(file, column, cells.length, [
    [(i) => cells[i] === "", () => "blank"],
    [
      (i) => CONTROL.test(cells[i]),
      (i) => {
        const c = CONTROL.exec(cells[i])![0].codePointAt(0)!;
        return `control character U+${c.toString(16).toUpperCase().padStart(4, "0")} in ${
          quote(cells[i])
        }`;
      },
    ],
    [
      (i) => [...cells[i]].length > limit,
      (i) => `longer than ${limit} characters (${[...cells[i]].length})`,
    ],
  ]);
  return cells;
}

function validDate(text: string): boolean {
  if (!DATE.test(text)) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}

function dateColumn(cells: string[], column: string, file: string): string[] {
  refuseFirst(file, column, cells.length, [
    [(i) => !validDate(cells[i]), (i) => `not a YYYY-MM-DD date: ${quote(cells[i])}`],
  ]);
  return cells;
}

/** Tomorrow in that time zone (a feed may carry tomorrow's date shortly before midnight). */
export function latestAllowedDate(timeZone: string, now: Date = new Date()): string {
  const today = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(now);
  const t = new Date(`${today}T00:00:00Z`);
  t.setUTCDate(t.getUTCDate() + rules.future_days_allowed);
  return t.toISOString().slice(0, 10);
}

export function stateTimeZone(state: string): string | null {
  return (rules.state_time_zones as Record<string, string>)[state] ?? null;
}

/** The checks of the file's shape, in the Python reader's order; then a column's stripped cells
 * by name (a row cut short has blank cells, so the column's check names the row). */
function columnsOf(
  header: string[],
  rows: string[][],
  names: string[],
  file: string,
): (name: string) => string[] {
  refuseRepeatedHeader(header, file);
  if (rows.length === 0) throw new DataError(file, 2, null, "no data rows (a header only)");
  const stripped = header.map(strip);
  for (const name of names) {
    if (!stripped.includes(name)) throw new DataError(file, null, name, "missing column");
  }
  return (name) => {
    const at = stripped.indexOf(name);
    return rows.map((r) => strip(r[at] ?? ""));
  };
}

export function refuseRepeatedHeader(header: string[], file: string): void {
  const seen = new Map<string, number>();
  header.forEach((raw, i) => {
    const name = strip(raw);
    if (seen.has(name)) {
      throw new DataError(
        file,
        1,
        name,
        `column ${i + 1} repeats column ${seen.get(name)} (same name)`,
      );
    }
    seen.set(name, i + 1);
  });
}

function refuseDuplicates(keys: string[], file: string, column: string, say: string[]): void {
  const seen = new Set<string>();
  keys.forEach((k, i) => {
    if (seen.has(k)) throw new DataError(file, i + 2, column, `duplicate key (${say[i]})`);
    seen.add(k);
  });
}

// ---- scratch-off ---------------------------------------------------------------------------------

export const SCRATCHOFF_COLUMNS = [
  "snapshot_date",
  "state",
  "game_number",
  "game_name",
  "ticket_price",
  "overall_odds",
  "total_tickets_printed",
  "prize_amount",
  "prizes_printed",
  "prizes_remaining",
];

export interface ScratchoffRow {
  line: number;
  snapshot_date: string;
  state: string;
  game_number: string;
  game_name: string;
  ticket_price: number;
  overall_odds: number | null;
  total_tickets_printed: number | null;
  prize_amount: number;
  prizes_printed: number;
  prizes_remaining: number;
  tier_index: number;
  prize_label: string;
}

/** 1.. by prize amount within each game-day, largest first, ties in file order (a file without
 * tier_index, as the feed adapters number a feed without an advertised top). */
function tierIndexByAmount(gameDay: string[], prize: number[]): number[] {
  const order = prize.map((_, i) => i).sort((a, b) => prize[b] - prize[a] || a - b);
  const next = new Map<string, number>();
  const out = new Array<number>(prize.length);
  for (const i of order) {
    const n = (next.get(gameDay[i]) ?? 0) + 1;
    next.set(gameDay[i], n);
    out[i] = n;
  }
  return out;
}

/** Canonical scratch-off rows from a header and text cells (trainer.scratchoff.load
 * validate_scratchoff), sorted by (snapshot_date, state, game_number, prize_amount, tier_index);
 * each keeps its line in the file for the checks against the database. tier_index and
 * prize_label are optional columns: without them tiers are numbered by amount and labelled
 * "$1,000". */
export function validateScratchoff(
  header: string[],
  rows: string[][],
  file: string,
  now: Date = new Date(),
): ScratchoffRow[] {
  const col = columnsOf(header, rows, SCRATCHOFF_COLUMNS, file);
  const has = (name: string) => header.map(strip).includes(name);
  const n = rows.length;
  const dates = dateColumn(col("snapshot_date"), "snapshot_date", file);
  const rawState = col("state");
  const state = rawState.map((s) => s.toUpperCase());
  const zone = state.map(stateTimeZone);
  refuseFirst(file, "state", n, [
    [(i) => zone[i] === null, (i) => `not a US lottery state code: ${quote(rawState[i])}`],
  ]);
  const latest = new Map<string, string>();
  for (const z of new Set(zone as string[])) latest.set(z, latestAllowedDate(z, now));
  refuseFirst(file, "snapshot_date", n, [
    [
      (i) => dates[i] > latest.get(zone[i]!)!,
      (i) => `in the future: ${dates[i]} is after ${latest.get(zone[i]!)}, tomorrow in ${zone[i]}`,
    ],
  ]);
  const gameNumber = textColumn(col("game_number"), "game_number", file);
  const gameName = textColumn(col("game_name"), "game_name", file);
  const price = boundedColumn(col("ticket_price"), "ticket_price", file);
  const odds = boundedColumn(col("overall_odds"), "overall_odds", file, true);
  const tickets = boundedColumn(col("total_tickets_printed"), "total_tickets_printed", file, true);
  const prize = boundedColumn(col("prize_amount"), "prize_amount", file) as number[];
  const printed = boundedColumn(col("prizes_printed"), "prizes_printed", file);
  const remaining = boundedColumn(col("prizes_remaining"), "prizes_remaining", file);
  for (let i = 0; i < n; i++) {
    if (remaining[i]! > printed[i]!) {
      throw new DataError(
        file,
        i + 2,
        "prizes_remaining",
        `remaining ${remaining[i]} > printed ${printed[i]}`,
      );
    }
  }
  const keyOf = (d: string, i: number) => [
    ["snapshot_date", d],
    ["state", state[i]],
    ["game_number", gameNumber[i]],
  ];
  const refuseKey = (last: string, values: number[]) =>
    refuseDuplicates(
      dates.map((d, i) => JSON.stringify([d, state[i], gameNumber[i], values[i]])),
      file,
      last,
      dates.map((d, i) =>
        [...keyOf(d, i), [last, show(values[i])]].map(([k, v]) => `${k}=${v}`).join(", ")
      ),
    );
  const gameDay = dates.map((d, i) => JSON.stringify([state[i], gameNumber[i], d]));
  // Without a tier index the amount is all that tells a game-day's tiers apart.
  if (!has("tier_index")) refuseKey("prize_amount", prize);
  const tierIndex = has("tier_index")
    ? boundedColumn(col("tier_index"), "tier_index", file) as number[]
    : tierIndexByAmount(gameDay, prize);
  const label = has("prize_label")
    ? textColumn(col("prize_label"), "prize_label", file)
    : prize.map(formatDollars);
  refuseKey("tier_index", tierIndex);
  // One name, price, odds and tickets printed per game and day.
  const firstRow = new Map<string, number>();
  gameDay.forEach((k, i) => firstRow.has(k) || firstRow.set(k, i));
  const attributes: [string, (string | number | null)[]][] = [
    ["game_name", gameName],
    ["ticket_price", price],
    ["overall_odds", odds],
    ["total_tickets_printed", tickets],
  ];
  for (const [name, values] of attributes) {
    refuseFirst(file, name, n, [
      [
        (i) => values[i] !== values[firstRow.get(gameDay[i])!],
        (i) =>
          `game ${gameNumber[i]} has two values on ${dates[i]}: ${
            quote(show(values[firstRow.get(gameDay[i])!]))
          } and ${quote(show(values[i]))}`,
      ],
    ]);
  }
  // Claimed prizes do not come back: a tier's remaining count never rises from one day to the
  // game's next day in the file.
  const tier = dates.map((_, i) => JSON.stringify([state[i], gameNumber[i], tierIndex[i]]));
  const byTier = new Map<string, number[]>();
  tier.forEach((k, i) => byTier.set(k, [...(byTier.get(k) ?? []), i]));
  const before = new Map<number, number>();
  for (const list of byTier.values()) {
    list.sort((a, b) => (dates[a] < dates[b] ? -1 : 1));
    for (let k = 1; k < list.length; k++) {
      if (remaining[list[k]]! > remaining[list[k - 1]]!) before.set(list[k], list[k - 1]);
    }
  }
  refuseFirst(file, "prizes_remaining", n, [
    [
      (i) => before.has(i),
      (i) =>
        `${remaining[i]} left, more than the ${remaining[before.get(i)!]} left on ${
          dates[before.get(i)!]
        } (claimed prizes do not come back)`,
    ],
  ]);
  const out: ScratchoffRow[] = dates.map((d, i) => ({
    line: i + 2,
    snapshot_date: d,
    state: state[i],
    game_number: gameNumber[i],
    game_name: gameName[i],
    ticket_price: price[i]!,
    overall_odds: odds[i],
    total_tickets_printed: tickets[i],
    prize_amount: prize[i],
    prizes_printed: printed[i]!,
    prizes_remaining: remaining[i]!,
    tier_index: tierIndex[i],
    prize_label: label[i],
  }));
  const key = (r: ScratchoffRow): (string | number)[] => [
    r.snapshot_date,
    r.state,
    r.game_number,
    r.prize_amount,
    r.tier_index,
  ];
  return out.sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    for (let k = 0; k < x.length; k++) if (x[k] !== y[k]) return x[k] < y[k] ? -1 : 1;
    return a.line - b.line;
  });
}

// A feed's canonical rows pass the same door as a file's, as their text cells: the columns and
// the text Python's str() gives (trainer/scratchoff/feeds/files.py rows_frame), so a refusal
// quotes the same cell in both languages. odds_derived is not a cell of the contract: the ingest
// stores it beside the validated rows.
const CANONICAL_COLUMNS: Exclude<keyof CanonicalRow, "odds_derived">[] = [
  "snapshot_date",
  "state",
  "game_number",
  "game_name",
  "ticket_price",
  "overall_odds",
  "total_tickets_printed",
  "tier_index",
  "prize_label",
  "prize_amount",
  "prizes_printed",
  "prizes_remaining",
];
const FLOAT_COLUMNS = new Set(["ticket_price", "overall_odds", "prize_amount"]);

/** Python's str() of a float: "5.0", "1e+16", "1e-05". */
export function pythonFloat(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
  const size = Math.abs(x);
  if (size !== 0 && (size >= 1e16 || size < 1e-4)) {
    return x.toExponential().replace(/e([+-])(\d)$/, (_e, sign, digit) => `e${sign}0${digit}`);
  }
  return Number.isInteger(x) ? `${x}.0` : String(x);
}

function cellText(column: string, value: string | number | null): string {
  if (value === null) return "";
  return typeof value === "number" && FLOAT_COLUMNS.has(column)
    ? pythonFloat(value)
    : String(value);
}

// A feed's refusals and warnings name the row of its canonical rows (header = 1, games in order,
// tiers numbered), not a line of the document (as trainer/ingest.py FEED_ROWS).
export const FEED_ROWS = " (canonical rows)";

/** A feed's canonical rows (an adapter's parseFeed) through the door: validateScratchoff of
 * their text cells; `file` is the feed's documents with FEED_ROWS. */
export function validateFeedRows(
  rows: CanonicalRow[],
  file: string,
  now: Date = new Date(),
): ScratchoffRow[] {
  const cells = rows.map((r) => CANONICAL_COLUMNS.map((c) => cellText(c, r[c])));
  return validateScratchoff(CANONICAL_COLUMNS, cells, file, now);
}

// ---- Powerball -----------------------------------------------------------------------------------

export const POWERBALL_COLUMNS = [
  "draw_date",
  "white_1",
  "white_2",
  "white_3",
  "white_4",
  "white_5",
  "powerball",
];
const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

export interface DrawRow {
  line: number;
  draw_date: string;
  whites: number[];
  powerball: number;
  power_play: number | null;
}

/** The weekday names (Mon, Wed, Sat) Powerball drew on in the period holding `day`. */
export function powerballDrawDays(day: string): string[] {
  const periods = rules.powerball.draw_days;
  const current = periods.filter((p) => p.from <= day);
  return (current.length > 0 ? current[current.length - 1] : periods[0]).weekdays;
}

/** Powerball draws of the current matrix from a header and text cells (trainer.powerball.load
 * validate_powerball), sorted by date. */
export function validatePowerball(
  header: string[],
  rows: string[][],
  file: string,
  now: Date = new Date(),
): DrawRow[] {
  const col = columnsOf(header, rows, POWERBALL_COLUMNS, file);
  const n = rows.length;
  const dates = dateColumn(col("draw_date"), "draw_date", file);
  const start = rules.powerball.matrix_start;
  const zone = rules.powerball.time_zone;
  const latest = latestAllowedDate(zone, now);
  const weekday = (d: string) => WEEKDAYS[new Date(`${d}T00:00:00Z`).getUTCDay()];
  refuseFirst(file, "draw_date", n, [
    [(i) => dates[i] < start, () => `before ${start}, the start of the current matrix`],
    [
      (i) => dates[i] > latest,
      (i) => `in the future: ${dates[i]} is after ${latest}, tomorrow in ${zone}`,
    ],
    [
      (i) => !powerballDrawDays(dates[i]).includes(weekday(dates[i]).slice(0, 3)),
      (i) =>
        `not a Powerball draw day: ${dates[i]} is a ${weekday(dates[i])} (draws: ${
          powerballDrawDays(dates[i]).join(", ")
        })`,
    ],
  ]);
  const balls = POWERBALL_COLUMNS.slice(1).map((name) =>
    numericColumn(col(name), name, file, {
      integer: true,
      min: 1,
      max: name === "powerball" ? 26 : 69,
    }) as number[]
  );
  const whites = dates.map((_, i) => balls.slice(0, 5).map((b) => b[i]).sort((a, b) => a - b));
  for (let i = 0; i < n; i++) {
    if (whites[i].some((w, k) => k > 0 && w === whites[i][k - 1])) {
      throw new DataError(file, i + 2, "white_1..white_5", "a white ball is repeated");
    }
  }
  let powerPlay: (number | null)[] = dates.map(() => null);
  if (header.map(strip).includes("power_play")) {
    const cells = col("power_play");
    powerPlay = numericColumn(cells, "power_play", file, { nullable: true, integer: true });
    const allowed: number[] = rules.powerball.power_play;
    refuseFirst(file, "power_play", n, [
      [
        (i) => powerPlay[i] !== null && !allowed.includes(powerPlay[i]!),
        (i) => `must be one of ${allowed.join(", ")}: ${quote(cells[i])}`,
      ],
    ]);
  }
  refuseDuplicates(dates, file, "draw_date", dates.map((d) => `draw_date=${d}`));
  return dates
    .map((d, i) => ({
      line: i + 2,
      draw_date: d,
      whites: whites[i],
      powerball: balls[5][i],
      power_play: powerPlay[i],
    }))
    .sort((a, b) => (a.draw_date < b.draw_date ? -1 : a.draw_date > b.draw_date ? 1 : 0));
}
