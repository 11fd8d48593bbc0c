/**
 * Massachusetts: the Lottery's game list, then one prize document per scratch game. Port of
 * trainer/scratchoff/feeds/ma.py; the layout and the rules are documented there.
 *
 * The list is a JSON array of games (`id` = game number, `gameType` "Scratch"); `requestIds(list)`
 * gives the scratch games' ids in its order, the prize documents follow in that order. A tier's
 * prizesRemaining must equal totalPrizes - paidPrizes; tier 1 is the TOP tier; tickets printed
 * are derived (round(odds x prizes printed)). No date in the documents: asOf is required.
 */
import {
  type CanonicalRow,
  dated,
  type FeedDocument,
  FeedError,
  finish,
  formatDollars,
  gather,
  isObject,
  jsonDocument,
  numberTiers,
  OddGame,
  type ParsedFeed,
  type Tier,
} from "./common.ts";

export const STATE = "MA";
const ODDS = /^1\s+in\s+([0-9]+(?:\.[0-9]+)?)$/i;
const TIER_TYPES = new Set(["REGULAR", "TOP"]);
const quote = (value: unknown) => JSON.stringify(value ?? null); // a missing field is null, as in Python

/** A JSON array of games with `gameType` first (used to tell archived files apart). */
export function looksLike(documents: FeedDocument[]): boolean {
  try {
    const first = documents.length > 0 ? jsonDocument(documents[0]) : null;
    return Array.isArray(first) && first.length > 0 && isObject(first[0]) &&
      "gameType" in first[0];
  } catch {
    return false;
  }
}

/** The ids of the list's scratch games, in its order (the prize documents' template). */
export function requestIds(document: FeedDocument): string[] {
  const games = jsonDocument(document);
  if (!Array.isArray(games)) {
    throw new FeedError(
      document.name,
      null,
      "(top level)",
      "not Massachusetts's game list (an array)",
    );
  }
  const out: string[] = [];
  games.forEach((game, i) => {
    const row = i + 1;
    if (!isObject(game)) throw new FeedError(document.name, row, null, "not an object");
    const kind = game.gameType;
    if (typeof kind !== "string") {
      throw new FeedError(document.name, row, "gameType", `not a string: ${quote(kind)}`);
    }
    const id = game.id;
    if (
      (typeof id === "number" && Number.isInteger(id) && id > 0) ||
      (typeof id === "string" && /^[0-9]+$/.test(id))
    ) {
      if (kind === "Scratch") out.push(String(id));
    } else {
      throw new FeedError(document.name, row, "id", `not a game number: ${quote(id)}`);
    }
  });
  return out;
}

/** Odds in words the parser does not know make the game odd, not the day. */
function odds(number: string, text: unknown): number {
  const m = typeof text === "string" ? ODDS.exec(text.trim()) : null;
  if (m === null || Number(m[1]) <= 0) {
    throw new OddGame(number, "odds", `not "1 in X": ${quote(text)}`);
  }
  return Number(m[1]);
}

function tier(name: string, row: number, t: unknown): [Tier, boolean] {
  if (!isObject(t)) throw new FeedError(name, row, null, "not an object");
  const amount = t.prizeAmount;
  if (typeof amount !== "number" || amount <= 0) {
    throw new FeedError(name, row, "prizeAmount", `not a prize in dollars: ${quote(amount)}`);
  }
  const counts: Record<string, number> = {};
  for (const field of ["totalPrizes", "paidPrizes", "prizesRemaining"]) {
    const value = t[field];
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
      throw new FeedError(name, row, field, `not a whole count: ${quote(value)}`);
    }
    counts[field] = value;
  }
  if (counts.prizesRemaining !== counts.totalPrizes - counts.paidPrizes) {
    throw new FeedError(
      name,
      row,
      "prizesRemaining",
      `${counts.prizesRemaining} != totalPrizes ${counts.totalPrizes}` +
        ` - paidPrizes ${counts.paidPrizes}`,
    );
  }
  const kind = t.type;
  if (typeof kind !== "string" || !TIER_TYPES.has(kind)) {
    throw new FeedError(name, row, "type", `not REGULAR or TOP: ${quote(kind)}`);
  }
  const label = t.prizeDescription;
  if (label !== undefined && label !== null && typeof label !== "string") {
    throw new FeedError(name, row, "prizeDescription", `not a string: ${quote(label)}`);
  }
  const text = label ? label.trim() : formatDollars(amount);
  return [
    { label: text, amount, printed: counts.totalPrizes, remaining: counts.prizesRemaining },
    kind === "TOP",
  ];
}

function game(doc: FeedDocument, number: string, day: string): CanonicalRow[] {
  const name = doc.name;
  const g = jsonDocument(doc);
  if (!isObject(g)) {
    throw new FeedError(
      name,
      null,
      "(top level)",
      "not a Massachusetts prize document (an object)",
    );
  }
  const found = g.massGameID;
  if (String(found) !== number) {
    throw new FeedError(
      name,
      null,
      "massGameID",
      `${quote(found)} is not the listed game ${number}`,
    );
  }
  const title = g.gameName;
  if (typeof title !== "string" || title.trim() === "") {
    throw new FeedError(name, null, "gameName", `not a name: ${quote(title)}`);
  }
  const price = g.ticketCost;
  if (typeof price !== "number" || price <= 0) {
    throw new FeedError(name, null, "ticketCost", `not a ticket price: ${quote(price)}`);
  }
  const overall = odds(number, g.odds);
  const raw = g.prizeTiers;
  if (!Array.isArray(raw) || raw.length === 0) {
    throw new FeedError(name, null, "prizeTiers", "not a non-empty list");
  }
  const read = raw.map((t, i) => tier(name, i + 1, t));
  const tiers = read.map(([t]) => t);
  const topAt = read.findIndex(([, isTop]) => isTop);
  const printed = Math.floor(overall * tiers.reduce((s, t) => s + t.printed, 0) + 0.5);
  return numberTiers(
    {
      snapshotDate: day,
      state: STATE,
      gameNumber: number,
      gameName: title.trim(),
      ticketPrice: price,
      overallOdds: overall,
      totalTicketsPrinted: printed,
    },
    tiers,
    topAt < 0 ? null : topAt,
  );
}

/** The canonical rows of one fetch: the game list and its scratch games' prize documents. */
export function parse(documents: FeedDocument[], asOf?: string | null): ParsedFeed {
  const day = dated(STATE, documents.map((d) => d.name).join(", ") || "(no document)", asOf);
  if (documents.length === 0) {
    throw new FeedError(
      "(no document)",
      null,
      null,
      "Massachusetts's feed starts with the game list",
    );
  }
  const ids = requestIds(documents[0]);
  const prizes = documents.slice(1);
  if (prizes.length !== ids.length) {
    throw new FeedError(
      documents[0].name,
      null,
      null,
      `the list names ${ids.length} scratch games, ${prizes.length} prize documents were fetched`,
    );
  }
  if (ids.length === 0) throw new FeedError(documents[0].name, null, null, "no scratch games");
  const [rows, warnings] = gather(STATE, ids.keys(), (i) => game(prizes[i], ids[i], day));
  return finish(STATE, day, documents[0].name, rows, warnings);
}
