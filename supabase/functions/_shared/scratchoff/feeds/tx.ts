/**
 * Texas: the Lottery's daily scratch-off export, `scratchoff.csv`, then (optional) the listing
 * `all.html` and one details page per game in the order of `requestIds(listing)`. Port of
 * trainer/scratchoff/feeds/tx.py; the layout and the rules are documented there.
 *
 * Row 1 is the title "Scratch-Off Prizes as of MM/DD/YYYY" (the as-of date), row 2 the header;
 * per game, one row per prize level and a TOTAL row whose counts must equal the sums of the
 * game's levels (else the day is refused, naming the game). latin-1. The export has no odds and
 * no tickets printed: a game's rows take them from its details page ("approximately N tickets",
 * "overall odds ... 1 in X"), null where it says none or has no page. Tier 1 is the largest
 * prize; a label is the amount as "$1,000". An odd game (a Prize Level that is not a dollar
 * amount, claims over prizes) is dropped with a warning; its levels still count towards its TOTAL
 * checksum.
 */
import {
  type FeedDocument,
  FeedError,
  finish,
  formatDollars,
  gather,
  isoDate,
  numberTiers,
  OddGame,
  parseCount,
  type ParsedFeed,
  parseNumber,
  squeeze,
  type Tier,
} from "./common.ts";

export const STATE = "TX";
const TITLE = /scratch-off prizes as of\s+([0-9]{1,2})\/([0-9]{1,2})\/([0-9]{4})/i;
const TITLE_WHOLE = new RegExp(`^(?:${TITLE.source})$`, "i");
const CLOSE_DATE = /^([0-9]{1,2})\/([0-9]{1,2})\/([0-9]{4})$/;
const COLUMNS = {
  number: "Game Number",
  name: "Game Name",
  close: "Game Close Date",
  price: "Ticket Price",
  level: "Prize Level",
  printed: "Total Prizes in Level",
  claimed: "Prizes Claimed",
} as const;
type Key = keyof typeof COLUMNS;
const OPTIONAL: ReadonlySet<Key> = new Set(["close"]);

const LISTING_ROW = /<tr[^>]*>(.*?)<\/tr>/gis;
const FIRST_CELL = /<td[^>]*>(.*?)<\/td>/is;
const PAGE_LINK = /details\.html_([A-Za-z0-9_-]+)\.html/i;
const TAG = /<[^>]*>/g;
const TICKETS = /approximately\s+([0-9][0-9,]*)\s*\*?\s+tickets/i;
const ODDS = /overall odds[^<]*?\b1\s+in\s+([0-9][0-9,]*(?:\.[0-9]+)?)/i;
// A page that speaks of a figure but not in the words above: the figure is read as unknown and
// the run warns (a page that does not speak of it at all is not odd).
const SPOKEN: [string, RegExp][] = [
  ["overall odds", /odds of winning/i],
  ["tickets printed", /[0-9][0-9,]*\s*\*?\s+tickets/i],
];

/** Whether the payload is this layout (used to tell archived files apart). */
export function looksLike(documents: FeedDocument[]): boolean {
  return documents.length > 0 && TITLE.test(decode(documents[0].data).slice(0, 200));
}

/** [game number, page id] of every row of the listing, in its order. */
function listing(document: FeedDocument): [string, string][] {
  const out: [string, string][] = [];
  let n = 0;
  for (const m of decode(document.data).matchAll(LISTING_ROW)) {
    n += 1;
    const cell = FIRST_CELL.exec(m[1]);
    const number = cell ? cell[1].replace(TAG, "").trim() : "";
    if (!/^[0-9]+$/.test(number)) continue; // the header row, or a row that is no game
    const link = PAGE_LINK.exec(cell ? cell[1] : "");
    if (link === null) {
      const what = `game ${number} does not link to details.html_<page id>.html`;
      throw new FeedError(document.name, n, "Game Number", what);
    }
    out.push([number, link[1]]);
  }
  if (out.length === 0) {
    throw new FeedError(
      document.name,
      null,
      null,
      "not Texas's game listing: no table row begins with a game number linking to" +
        " details.html_<page id>.html",
    );
  }
  return out;
}

/** The page ids of the listing `all.html`, in its order (the details pages' template). */
export function requestIds(document: FeedDocument): string[] {
  return listing(document).map(([, page]) => page);
}

/** [overall odds, tickets printed] a game's details page states; null for one it does not. */
type Figures = [number | null, number | null, string[]];

function pageFigures(document: FeedDocument): Figures {
  const text = decode(document.data).replace(TAG, " ");
  const mOdds = ODDS.exec(text);
  const mTickets = TICKETS.exec(text);
  const odds = mOdds ? parseNumber(mOdds[1]) : null;
  const tickets = mTickets ? parseCount(mTickets[1]) : null;
  const read: Record<string, number | null> = { "overall odds": odds, "tickets printed": tickets };
  const unread = SPOKEN.filter(([what, said]) => read[what] === null && said.test(text))
    .map(([what]) => what);
  return [odds, tickets, unread];
}

/** Game number -> its page's figures, from the listing and its pages (documents[1:]). */
function pages(documents: FeedDocument[]): Map<string, Figures> {
  if (documents.length < 2) return new Map();
  const games = listing(documents[1]);
  const found = documents.slice(2);
  if (found.length !== games.length) {
    throw new FeedError(
      documents[1].name,
      null,
      null,
      `the listing names ${games.length} game pages, ${found.length} were fetched`,
    );
  }
  return new Map(games.map(([number], i) => [number, pageFigures(found[i])]));
}

/** latin-1, the export's encoding (a UTF-8 byte-order mark means UTF-8). */
export function decode(data: Uint8Array): string {
  if (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) {
    return new TextDecoder("utf-8").decode(data.subarray(3));
  }
  // Not TextDecoder("latin1"): the Encoding Standard maps that label to windows-1252.
  const parts: string[] = [];
  for (let i = 0; i < data.length; i += 8192) {
    parts.push(String.fromCharCode(...data.subarray(i, i + 8192)));
  }
  return parts.join("");
}

const END = (c: string | undefined) => c === undefined || c === "," || c === "\r" || c === "\n";

/**
 * (first line, fields) of every non-blank CSV record; malformed quoting is refused. Follows
 * Python's csv reader in strict mode: a quote opens a field only at its start, "" inside quotes
 * is a quote, a closing quote must end the field.
 */
export function records(name: string, text: string): [number, string[]][] {
  const out: [number, string[]][] = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  const malformed = (row: number) =>
    new FeedError(name, row, null, "malformed CSV (an unclosed quote?)");
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    for (;;) {
      let field = "";
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= n) throw malformed(start);
          const c = text[i];
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === "\n" || (c === "\r" && text[i + 1] !== "\n")) line++;
          field += c;
          i++;
        }
        if (!END(text[i])) throw malformed(start);
      } else {
        const from = i;
        while (!END(text[i])) i++;
        field = text.slice(from, i);
      }
      fields.push(field);
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (i < n) {
        i += text[i] === "\r" && text[i + 1] === "\n" ? 2 : 1;
        line++;
      }
      break;
    }
    if (fields.some((f) => f.trim() !== "")) out.push([start, fields]);
  }
  return out;
}

interface Game {
  number: string;
  name: string;
  price: number;
  row: number;
  tiers: Tier[];
  /** The first reason the game cannot be loaded. */
  odd: OddGame | null;
}

type Cell = Partial<Record<Key, string>> & Record<Exclude<Key, "close">, string>;

function header(name: string, row: number, fields: string[]): Partial<Record<Key, number>> {
  const index = new Map(fields.map((f, i) => [squeeze(f).toLowerCase(), i]));
  const out: Partial<Record<Key, number>> = {};
  for (const [key, column] of Object.entries(COLUMNS) as [Key, string][]) {
    const i = index.get(column.toLowerCase());
    if (i !== undefined) out[key] = i;
    else if (!OPTIONAL.has(key)) throw new FeedError(name, row, column, "missing column");
  }
  return out;
}

/** The canonical rows of one day's export (with its pages' odds and tickets printed, when
 * given); `asOf` is ignored (the title row carries it). */
export function parse(documents: FeedDocument[], _asOf?: string | null): ParsedFeed {
  if (documents.length === 0) {
    throw new FeedError("(no document)", null, null, "Texas's feed starts with scratchoff.csv");
  }
  const name = documents[0].name;
  const rows = records(name, decode(documents[0].data));
  if (rows.length === 0) throw new FeedError(name, null, null, "empty file");
  const [titleRow, title] = rows[0];
  const m = TITLE_WHOLE.exec(squeeze(title.join(",")));
  const day = m ? isoDate(Number(m[3]), Number(m[1]), Number(m[2])) : null;
  if (day === null) {
    const found = title.join(",").slice(0, 60);
    throw new FeedError(
      name,
      titleRow,
      null,
      "not a Texas scratchoff.csv: the first row should be the title" +
        ` 'Scratch-Off Prizes as of MM/DD/YYYY', found ${JSON.stringify(found)}`,
    );
  }
  if (rows.length < 2) throw new FeedError(name, null, null, "no header row");
  const [headerRow, headerFields] = rows[1];
  const col = header(name, headerRow, headerFields);
  const games: Game[] = [];
  const done = new Set<string>();
  let current: Game | null = null;
  for (const [row, fields] of rows.slice(2)) {
    if (fields.length !== headerFields.length) {
      throw new FeedError(
        name,
        row,
        null,
        `expected ${headerFields.length} fields, found ${fields.length} (a cut or broken row)`,
      );
    }
    const cell = Object.fromEntries(
      Object.entries(col).map(([key, i]) => [key, fields[i as number].trim()]),
    ) as Cell;
    const number = cell.number;
    if (!number) throw new FeedError(name, row, COLUMNS.number, "blank");
    if (cell.level.toUpperCase() === "TOTAL") {
      if (current === null || current.number !== number) {
        throw new FeedError(
          name,
          row,
          COLUMNS.level,
          `TOTAL row of game ${number} without its levels`,
        );
      }
      checkTotal(name, row, current, cell);
      games.push(current);
      done.add(number);
      current = null;
      continue;
    }
    if (current !== null && current.number !== number) {
      throw new FeedError(
        name,
        row,
        COLUMNS.number,
        `game ${current.number} (${current.name}) has no TOTAL row`,
      );
    }
    if (current === null) {
      if (done.has(number)) {
        throw new FeedError(name, row, COLUMNS.number, `game ${number} appears twice`);
      }
      current = start(name, row, cell);
    }
    checkSameGame(name, row, current, cell);
    current.tiers.push(tier(name, row, cell, current));
  }
  if (current !== null) {
    throw new FeedError(
      name,
      rows[rows.length - 1][0],
      null,
      `game ${current.number} (${current.name}) has no TOTAL row: the file ends mid-game`,
    );
  }
  if (games.length === 0) throw new FeedError(name, null, null, "no games");
  const figures = pages(documents);
  const [out, warnings] = gather(STATE, games, (g) => {
    if (g.odd !== null) throw g.odd;
    const [odds, tickets] = figures.get(g.number) ?? [null, null, []];
    return numberTiers(
      {
        snapshotDate: day,
        state: STATE,
        gameNumber: g.number,
        gameName: g.name,
        ticketPrice: g.price,
        overallOdds: odds,
        totalTicketsPrinted: tickets,
      },
      g.tiers,
      null,
    );
  });
  const loaded = new Set(out.map((r) => r.game_number));
  for (const g of games) {
    if (!loaded.has(g.number)) continue;
    for (const what of figures.get(g.number)?.[2] ?? []) {
      warnings.push(
        `TX game ${g.number}: details page states ${what} in words not understood;` +
          " its odds and tickets printed stay as stored",
      );
    }
  }
  return finish(STATE, day, name, out, warnings);
}

function withoutDollar(text: string): string {
  return text.startsWith("$") ? text.slice(1) : text;
}

function price(name: string, row: number, text: string): number {
  const value = parseNumber(withoutDollar(text));
  if (value === null || value <= 0) {
    throw new FeedError(name, row, COLUMNS.price, `not a ticket price: ${JSON.stringify(text)}`);
  }
  return value;
}

function start(name: string, row: number, cell: Cell): Game {
  if (!cell.name) throw new FeedError(name, row, COLUMNS.name, "blank");
  return {
    number: cell.number,
    name: cell.name,
    price: price(name, row, cell.price),
    row,
    tiers: [],
    odd: null,
  };
}

function checkSameGame(name: string, row: number, game: Game, cell: Cell): void {
  if (cell.name !== game.name) {
    throw new FeedError(
      name,
      row,
      COLUMNS.name,
      `${JSON.stringify(cell.name)} differs from row ${game.row}'s ${JSON.stringify(game.name)}`,
    );
  }
  if (price(name, row, cell.price) !== game.price) {
    throw new FeedError(
      name,
      row,
      COLUMNS.price,
      `${JSON.stringify(cell.price)} differs from row ${game.row}'s price`,
    );
  }
  const close = cell.close ?? "";
  const m = CLOSE_DATE.exec(close);
  if (close && (m === null || isoDate(Number(m[3]), Number(m[1]), Number(m[2])) === null)) {
    throw new FeedError(
      name,
      row,
      COLUMNS.close,
      `not a MM/DD/YYYY date: ${JSON.stringify(close)}`,
    );
  }
}

/** The level's tier; a level the game cannot be loaded with marks the game odd (its counts still
 * go to the TOTAL checksum). */
function tier(name: string, row: number, cell: Cell, game: Game): Tier {
  const printed = count(name, row, cell, "printed");
  const claimed = count(name, row, cell, "claimed");
  const amount = parseNumber(withoutDollar(cell.level));
  let odd: OddGame | null = null;
  if (amount === null || amount <= 0) {
    odd = new OddGame(game.number, COLUMNS.level, `${JSON.stringify(cell.level)} cannot be valued`);
  } else if (claimed > printed) {
    odd = new OddGame(game.number, COLUMNS.claimed, `claimed ${claimed} > printed ${printed}`);
  }
  game.odd ??= odd;
  const value = amount || 0;
  return { label: formatDollars(value), amount: value, printed, remaining: printed - claimed };
}

function count(name: string, row: number, cell: Cell, key: "printed" | "claimed"): number {
  const value = parseCount(cell[key]);
  if (value === null) {
    const what = cell[key] ? `not a whole count: ${JSON.stringify(cell[key])}` : "blank";
    throw new FeedError(name, row, COLUMNS[key], what);
  }
  return value;
}

function checkTotal(name: string, row: number, game: Game, cell: Cell): void {
  const printed = game.tiers.reduce((s, t) => s + t.printed, 0);
  const claimed = game.tiers.reduce((s, t) => s + t.printed - t.remaining, 0);
  for (const [key, value] of [["printed", printed], ["claimed", claimed]] as const) {
    const total = count(name, row, cell, key);
    if (total !== value) {
      throw new FeedError(
        name,
        row,
        COLUMNS[key],
        `game ${game.number} (${game.name}) refused: its prize levels sum to ${value},` +
          ` its TOTAL row says ${total}`,
      );
    }
  }
}
