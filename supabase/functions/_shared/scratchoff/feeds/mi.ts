/**
 * Michigan: two GraphQL answers (prizes remaining, then getCMSGames), joined on igtId =
 * cms_game_igt_id. Port of trainer/scratchoff/feeds/mi.py, where the layout and the rules are
 * documented: only RETAIL_INSTANT_GAMES_CATEGORY games; a game missing from them, a price or odds
 * in unknown words, a prize that is not positive or more remaining than printed: that game is
 * dropped with a warning. The caller gives asOf. Tier 1 is the largest prize.
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
  jsonDocument,
  jsonField,
  type Kind,
  numberTiers,
  OddGame,
  type ParsedFeed,
  parseNumber,
  parseOdds,
  shown,
  type Tier,
} from "./common.ts";

export const STATE = "MI";
const PRIZES = "getRetailTopPrizesRemainingByGameType";
const GAMES = "getCMSGames";
const RETAIL = "RETAIL_INSTANT_GAMES_CATEGORY";
const TIER_FIELDS: [string, Kind][] = [
  ["prize_amount", "number"],
  ["prizes_remaining", "integer"],
  ["starting_amount", "integer"],
];

/** The array a GraphQL answer holds under data.<query>, else FeedError naming the field. */
function answer(doc: FeedDocument, query: string): unknown[] {
  const data = jsonField(doc.name, null, jsonDocument(doc), "data", "object");
  return jsonField(doc.name, null, data, query, "list", `data.${query}`);
}

/** Whether the payload is this layout (used to tell archived files apart). */
export function looksLike(documents: FeedDocument[]): boolean {
  try {
    answer(documents[0], PRIZES);
    answer(documents[1], GAMES);
  } catch {
    return false;
  }
  return documents.length === 2;
}

/** igtId -> [displayedTicketPrice, overallOdds] of every retail instant game. */
function retail(name: string, items: unknown[]): Map<string, [string, string | null]> {
  const out = new Map<string, [string, string | null]>();
  items.forEach((item, index) => {
    const i = index + 1;
    const category = jsonField(name, i, item, "gameCategoryIdentifier", "text");
    const igtId = jsonField(name, i, item, "igtId", "id");
    const price = jsonField(name, i, item, "displayedTicketPrice", "text");
    const odds = (item as Fields).overallOdds ?? null;
    if (odds !== null && typeof odds !== "string") {
      const found = shown(odds);
      throw new FeedError(name, i, "overallOdds", `expected text, found ${found}`);
    }
    if (category === RETAIL) out.set(igtId, [price, odds]);
  });
  return out;
}

function game(name: string, row: number, item: unknown): Fields {
  const number = jsonField(name, row, item, "cms_game_igt_id", "id");
  const title = (jsonField(name, row, item, "game_name", "text") as string).trim();
  const tiers = jsonField(name, row, item, "prizesRemainingData", "list") as unknown[];
  return {
    number,
    name: title,
    tiers: tiers.map((t, j) => fields(name, row, t, TIER_FIELDS, `prizesRemainingData[${j}].`)),
  };
}

/** The canonical rows of one fetch (the prizes-remaining answer, then getCMSGames). */
export function parse(documents: FeedDocument[], asOf?: string | null): ParsedFeed {
  const names = documents.map((d) => d.name).join(", ") || "(no document)";
  if (documents.length !== 2) {
    throw new FeedError(
      names,
      null,
      null,
      `Michigan's feed is two GraphQL answers (${PRIZES}, ${GAMES}); got ${documents.length}`,
    );
  }
  const day = dated(STATE, names, asOf);
  const [prizesDoc, gamesDoc] = documents;
  const all = answer(prizesDoc, PRIZES).map((g, i) => game(prizesDoc.name, i + 1, g));
  const listed = retail(gamesDoc.name, answer(gamesDoc, GAMES));
  const [rows, warnings] = gather(STATE, all, (g) => gameRows(day, g, listed));
  return finish(STATE, day, prizesDoc.name, rows, warnings);
}

function gameRows(
  day: string,
  g: Fields,
  listed: Map<string, [string, string | null]>,
): CanonicalRow[] {
  const number = g.number as string;
  const entry = listed.get(number);
  if (entry === undefined) {
    throw new OddGame(number, "cms_game_igt_id", `is not among ${GAMES}' retail instant games`);
  }
  const [priceText, oddsText] = entry;
  const bare = priceText.trim();
  const price = parseNumber(bare.startsWith("$") ? bare.slice(1) : bare);
  if (price === null || price <= 0) {
    throw new OddGame(
      number,
      "displayedTicketPrice",
      `${JSON.stringify(priceText)} is not a price`,
    );
  }
  const odds = oddsText === null ? null : parseOdds(oddsText);
  if (oddsText !== null && odds === null) {
    throw new OddGame(number, "overallOdds", `${JSON.stringify(oddsText)} is not '1 in N' odds`);
  }
  if (g.tiers.length === 0) throw new OddGame(number, "prizesRemainingData", "is empty");
  const tiers: Tier[] = (g.tiers as Fields[]).map((t, j) => {
    const amount = t.prize_amount as number;
    const printed = t.starting_amount as number;
    const remaining = t.prizes_remaining as number;
    if (amount <= 0) {
      throw new OddGame(number, `prizesRemainingData[${j}].prize_amount`, `${amount} is no prize`);
    }
    if (!(remaining >= 0 && remaining <= printed)) {
      throw new OddGame(
        number,
        `prizesRemainingData[${j}].prizes_remaining`,
        `${remaining} of ${printed} printed is impossible`,
      );
    }
    return { label: formatDollars(amount), amount, printed, remaining };
  });
  return numberTiers(
    {
      snapshotDate: day,
      state: STATE,
      gameNumber: number,
      gameName: g.name,
      ticketPrice: price,
      overallOdds: odds,
      totalTicketsPrinted: null,
    },
    tiers,
    null,
  );
}
