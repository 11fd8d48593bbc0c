/**
 * Florida: the lottery's scratch-games answer (getscratchinfo, header `x-partner: web`), one JSON
 * array of games. Port of trainer/scratchoff/feeds/fl.py, where the layout (built from public
 * documentation) and the rules are documented: PrizesPaid + PrizesRemaining != TotalPrizes refuses
 * the day; a prize or odds in unknown words, or a negative count, drops that game with a warning.
 * The caller gives asOf. Tier 1 is the largest prize; no tickets printed.
 */
import {
  type CanonicalRow,
  dated,
  type FeedDocument,
  FeedError,
  type Fields,
  fields,
  finish,
  formatDollars,
  gather,
  isObject,
  jsonDocument,
  type Kind,
  numberTiers,
  OddGame,
  type ParsedFeed,
  parseNumber,
  parseOdds,
  shown,
  type Tier,
} from "./common.ts";

export const STATE = "FL";
const GAME_FIELDS: [string, Kind][] = [
  ["Id", "id"],
  ["GameName", "text"],
  ["TicketPrice", "number"],
  ["OverallOdds", "text"],
  ["OddsTiers", "list"],
];
const TIER_FIELDS: [string, Kind][] = [
  ["PrizeAmount", "text"],
  ["TotalPrizes", "integer"],
  ["PrizesRemaining", "integer"],
  ["PrizesPaid", "integer"],
];

function games(doc: FeedDocument): unknown[] {
  const value = jsonDocument(doc);
  if (!Array.isArray(value)) {
    const found = shown(value);
    throw new FeedError(doc.name, null, null, `expected an array of games, found ${found}`);
  }
  return value;
}

/** Whether the payload is this layout (used to tell archived files apart). */
export function looksLike(documents: FeedDocument[]): boolean {
  let all: unknown[];
  try {
    all = documents.length === 1 ? games(documents[0]) : [];
  } catch {
    return false;
  }
  return all.length > 0 && isObject(all[0]) && "OddsTiers" in all[0];
}

function game(name: string, row: number, item: unknown): Fields {
  const g = fields(name, row, item, GAME_FIELDS);
  g.OddsTiers = (g.OddsTiers as unknown[]).map((t, j) =>
    fields(name, row, t, TIER_FIELDS, `OddsTiers[${j}].`)
  );
  (g.OddsTiers as Fields[]).forEach((t, j) => {
    if (t.PrizesPaid + t.PrizesRemaining !== t.TotalPrizes) {
      throw new FeedError(
        name,
        row,
        `OddsTiers[${j}].TotalPrizes`,
        `game ${g.Id}: paid ${t.PrizesPaid} + remaining ${t.PrizesRemaining} != total ${t.TotalPrizes}`,
      );
    }
  });
  return g;
}

/** The canonical rows of one answer. */
export function parse(documents: FeedDocument[], asOf?: string | null): ParsedFeed {
  const names = documents.map((d) => d.name).join(", ") || "(no document)";
  if (documents.length !== 1) {
    throw new FeedError(
      names,
      null,
      null,
      `Florida's feed is one getscratchinfo answer; got ${documents.length}`,
    );
  }
  const day = dated(STATE, names, asOf);
  const name = documents[0].name;
  const all = games(documents[0]).map((item, i) => game(name, i + 1, item));
  const [rows, warnings] = gather(STATE, all, (g) => gameRows(day, g));
  return finish(STATE, day, name, rows, warnings);
}

function gameRows(day: string, g: Fields): CanonicalRow[] {
  const number = g.Id as string;
  const price = g.TicketPrice as number;
  if (price <= 0) throw new OddGame(number, "TicketPrice", `${price} is not a price`);
  const odds = parseOdds(g.OverallOdds);
  if (odds === null) {
    throw new OddGame(
      number,
      "OverallOdds",
      `${JSON.stringify(g.OverallOdds)} is not '1 in N' odds`,
    );
  }
  if (g.OddsTiers.length === 0) throw new OddGame(number, "OddsTiers", "is empty");
  const tiers: Tier[] = (g.OddsTiers as Fields[]).map((t, j) => {
    const label = (t.PrizeAmount as string).trim();
    const amount = parseNumber(label.startsWith("$") ? label.slice(1) : label);
    if (amount === null || amount <= 0) {
      throw new OddGame(
        number,
        `OddsTiers[${j}].PrizeAmount`,
        `${JSON.stringify(label)} cannot be valued`,
      );
    }
    if (t.PrizesRemaining < 0 || t.PrizesPaid < 0) {
      throw new OddGame(number, `OddsTiers[${j}].PrizesRemaining`, "is a negative count");
    }
    return {
      label: formatDollars(amount),
      amount,
      printed: t.TotalPrizes,
      remaining: t.PrizesRemaining,
    };
  });
  return numberTiers(
    {
      snapshotDate: day,
      state: STATE,
      gameNumber: number,
      gameName: (g.GameName as string).trim(),
      ticketPrice: price,
      overallOdds: odds,
      totalTicketsPrinted: null,
    },
    tiers,
    null,
  );
}
