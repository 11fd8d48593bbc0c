/**
 * New York: the open-data prize-status rows plus the lottery site's game list, two JSON documents
 * of one snapshot. Port of trainer/scratchoff/feeds/ny.py, where the layout and the label policy
 * are documented (also in trainer/data/feeds/README.md, "New York prize labels"):
 * cash "$10,000" -> 10000; weekly for life "$1K/WK/LIFE" -> 52 x 20 x 1000; "$50K Annual
 * Installments" -> 20 x 50000; "FREE ..." -> the game's ticket price; a game with any other label
 * is dropped with a warning (as one missing from the game list, with odds in unknown words, or
 * whose advertised top prize is none of its tiers); paid + unpaid != total refuses the day.
 * Tier 1 is the advertised top prize of the game list. total_tickets_printed = round(odds x the
 * prizes printed in the non-free tiers) (New York's odds leave out free tickets). Neither document
 * carries a date: the caller gives asOf.
 */
import {
  type CanonicalRow,
  dated,
  type FeedDocument,
  FeedError,
  finish,
  gather,
  isObject,
  jsonDocument,
  numberTiers,
  OddGame,
  parseCount,
  type ParsedFeed,
  parseNumber,
  parseOdds,
  squeeze,
  type Tier,
} from "./common.ts";

export const STATE = "NY";
const STATUS_COLUMNS = ["game_number", "game_name", "prize_amount", "total", "paid", "unpaid"];
const LIST_COLUMNS = ["game_number", "title", "ticket_price", "overall_odds", "top_prize_amount"];
/** Payment years an annuity or life prize is valued at. */
export const YEARS = 20;
export const WEEKS_PER_YEAR = 52;
const CASH = String.raw`\$?\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*(K|M)?`;
const whole = (source: string) => new RegExp(`^(?:${source})$`, "i");
const PLAIN = whole(CASH);
const WEEKLY = whole(CASH + String.raw`\s*/\s*(?:WK|WEEK)\s*/\s*LIFE`);
const ANNUAL = whole(CASH + String.raw`\s+ANNUAL\s+INSTALLMENTS?`);
const FREE = whole(String.raw`FREE\b.*`);
const SCALE: Record<string, number> = { "": 1, K: 1e3, M: 1e6 };

function cash(m: RegExpExecArray): number | null {
  const amount = parseNumber(m[1]);
  return amount === null ? null : amount * SCALE[(m[2] ?? "").toUpperCase()];
}

/** [dollars, isFreeTicket] of a prize label by the policy above, or null if unknown. */
export function prizeDollars(label: string, ticketPrice: number): [number, boolean] | null {
  const text = squeeze(label);
  for (
    const [pattern, factor] of [[PLAIN, 1], [WEEKLY, WEEKS_PER_YEAR * YEARS], [ANNUAL, YEARS]] as [
      RegExp,
      number,
    ][]
  ) {
    const m = pattern.exec(text);
    if (m) {
      const amount = cash(m);
      return amount === null ? null : [amount * factor, false];
    }
  }
  if (FREE.test(text)) return [ticketPrice, true];
  return null;
}

function sameLabel(a: string, b: string): boolean {
  return squeeze(a).toUpperCase() === squeeze(b).toUpperCase();
}

type Role = "status" | "list";

function role(value: unknown): Role | null {
  if (Array.isArray(value)) return "status";
  if (isObject(value) && Array.isArray(value.rows)) return "list";
  return null;
}

/** Whether the payload is this layout (used to tell archived files apart). */
export function looksLike(documents: FeedDocument[]): boolean {
  const roles: string[] = [];
  for (const d of documents) {
    try {
      roles.push(role(jsonDocument(d)) ?? "");
    } catch {
      return false;
    }
  }
  return roles.sort().join(",") === "list,status";
}

function text(name: string, row: number, item: unknown, column: string, required = true): string {
  if (!isObject(item)) throw new FeedError(name, row, null, "not an object");
  const value = item[column];
  if (value === null || value === undefined) {
    if (required) throw new FeedError(name, row, column, "missing");
    return "";
  }
  if (typeof value !== "string" && typeof value !== "number") {
    throw new FeedError(name, row, column, `not text or a number: ${JSON.stringify(value)}`);
  }
  return String(value).trim();
}

interface Game {
  number: string;
  name: string;
  row: number;
  labels: [number, string][];
  counts: [number, number][]; // [printed, remaining]
}

function statusGames(name: string, rows: unknown[]): Map<string, Game> {
  const games = new Map<string, Game>();
  rows.forEach((item, index) => {
    const i = index + 1;
    const cell = Object.fromEntries(STATUS_COLUMNS.map((c) => [c, text(name, i, item, c)]));
    if (!cell.game_number) throw new FeedError(name, i, "game_number", "blank");
    const counts: Record<string, number> = {};
    for (const column of ["total", "paid", "unpaid"]) {
      const value = parseCount(cell[column]);
      if (value === null) {
        throw new FeedError(
          name,
          i,
          column,
          `not a whole count: ${JSON.stringify(cell[column])}`,
        );
      }
      counts[column] = value;
    }
    if (counts.paid + counts.unpaid !== counts.total) {
      throw new FeedError(
        name,
        i,
        "total",
        `paid ${counts.paid} + unpaid ${counts.unpaid} != total ${counts.total}`,
      );
    }
    let game = games.get(cell.game_number);
    if (game === undefined) {
      game = { number: cell.game_number, name: cell.game_name, row: i, labels: [], counts: [] };
      games.set(cell.game_number, game);
    } else if (cell.game_name !== game.name) {
      throw new FeedError(
        name,
        i,
        "game_name",
        `${JSON.stringify(cell.game_name)} differs from row ${game.row}'s`,
      );
    }
    if (!cell.prize_amount) throw new FeedError(name, i, "prize_amount", "blank");
    game.labels.push([i, cell.prize_amount]);
    game.counts.push([counts.total, counts.unpaid]);
  });
  return games;
}

/** The canonical rows of one snapshot (the prize-status rows plus the game list). */
export function parse(documents: FeedDocument[], asOf?: string | null): ParsedFeed {
  const names = documents.map((d) => d.name).join(", ") || "(no document)";
  const day = dated(STATE, names, asOf);
  const byRole = new Map<Role, [FeedDocument, unknown]>();
  for (const doc of documents) {
    const value = jsonDocument(doc);
    const r = role(value);
    if (r === null || byRole.has(r)) {
      throw new FeedError(
        doc.name,
        null,
        null,
        "not one of New York's two documents (a prize-status array, a game list" +
          ' {"rows": [...]}), or one of them twice',
      );
    }
    byRole.set(r, [doc, value]);
  }
  for (
    const [r, what] of [["status", "the prize-status rows"], ["list", "the game list"]] as const
  ) {
    if (!byRole.has(r)) {
      throw new FeedError(names, null, null, `${what} missing: New York's feed is two documents`);
    }
  }
  const [statusDoc, statusRows] = byRole.get("status")!;
  const [listDoc, listValue] = byRole.get("list")!;
  const games = statusGames(statusDoc.name, statusRows as unknown[]);
  const listed = gameList(listDoc.name, (listValue as { rows: unknown[] }).rows);
  const [rows, warnings] = gather(STATE, games.values(), (game) => {
    const entry = listed.get(game.number);
    if (entry === undefined) {
      throw new OddGame(game.number, "game_number", "is not in the game list");
    }
    return gameRows(day, game, entry);
  });
  return finish(STATE, day, statusDoc.name, rows, warnings);
}

interface Listed {
  price: number;
  odds: number | null;
  /** The overall odds' text when it is in words the parser does not know. */
  oddOdds: string | null;
  topLabel: string;
}

function gameList(name: string, rows: unknown[]): Map<string, Listed> {
  const out = new Map<string, Listed>();
  rows.forEach((item, index) => {
    const i = index + 1;
    const cell = Object.fromEntries(
      LIST_COLUMNS.map((c) => [c, text(name, i, item, c, c !== "overall_odds")]),
    );
    const tp = cell.ticket_price;
    const price = parseNumber(tp.startsWith("$") ? tp.slice(1) : tp);
    if (price === null || price <= 0) {
      throw new FeedError(name, i, "ticket_price", `not a ticket price: ${JSON.stringify(tp)}`);
    }
    const odds = cell.overall_odds ? parseOdds(cell.overall_odds) : null;
    const oddOdds = cell.overall_odds && odds === null ? cell.overall_odds : null;
    if (out.has(cell.game_number)) {
      throw new FeedError(name, i, "game_number", `game ${cell.game_number} listed twice`);
    }
    out.set(cell.game_number, { price, odds, oddOdds, topLabel: cell.top_prize_amount });
  });
  return out;
}

function gameRows(day: string, game: Game, listed: Listed): CanonicalRow[] {
  if (listed.oddOdds !== null) {
    throw new OddGame(
      game.number,
      "overall_odds",
      `${JSON.stringify(listed.oddOdds)} is not '1 in N' odds`,
    );
  }
  const tiers: Tier[] = [];
  let counted = 0; // prizes printed in the tiers the published odds count (all but free tickets)
  game.labels.forEach(([_row, label], k) => {
    const [printed, remaining] = game.counts[k];
    const value = prizeDollars(label, listed.price);
    if (value === null || value[0] <= 0) {
      throw new OddGame(
        game.number,
        "prize_amount",
        `${JSON.stringify(label)} cannot be valued (known: cash, $N/WK/LIFE, $N/WEEK/LIFE,` +
          " $N Annual Installments, FREE ...)",
      );
    }
    const [amount, free] = value;
    counted += free ? 0 : printed;
    tiers.push({ label, amount, printed, remaining });
  });
  const top = topTier(game, tiers, listed);
  if (top === null) {
    throw new OddGame(
      game.number,
      "top_prize_amount",
      `${JSON.stringify(listed.topLabel)} (advertised) is none of its tiers`,
    );
  }
  const printedTickets = listed.odds !== null && counted
    ? Math.floor(listed.odds * counted + 0.5)
    : null;
  return numberTiers(
    {
      snapshotDate: day,
      state: STATE,
      gameNumber: game.number,
      gameName: game.name,
      ticketPrice: listed.price,
      overallOdds: listed.odds,
      totalTicketsPrinted: printedTickets,
    },
    tiers,
    top,
  );
}

/** The advertised top prize's tier: the same label, else the same dollars ("$500" vs "500"). */
function topTier(game: Game, tiers: Tier[], listed: Listed): number | null {
  for (let i = 0; i < game.labels.length; i++) {
    if (sameLabel(game.labels[i][1], listed.topLabel)) return i;
  }
  const value = prizeDollars(listed.topLabel, listed.price);
  const i = tiers.findIndex((t) => value !== null && t.amount === value[0]);
  return i >= 0 ? i : null;
}
