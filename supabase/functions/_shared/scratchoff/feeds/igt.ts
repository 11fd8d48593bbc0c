/**
 * IGT's instant-games API: New Jersey, South Dakota, Georgia (one JSON document each). Port of
 * trainer/scratchoff/feeds/igt.py, where the layout and the rules are documented: only ACTIVE
 * games; remaining = winningTickets - paidTickets; tierType 1 cash, 2 free ticket, 8 another
 * prize, 16 annuity (its prizeAmount is the cash value; 0 in Georgia's variant: its label's dollar
 * figure); amounts in cents (NJ, SD) or dollars x 10,000 (GA), prices in cents; overall odds
 * derived (tickets printed / all winning tickets) and flagged; the caller gives asOf.
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
  jsonField,
  type Kind,
  numberTiers,
  OddGame,
  type ParsedFeed,
  parseNumber,
  shown,
  squeeze,
  type Tier,
} from "./common.ts";

const ACTIVE = "ACTIVE";
const [CASH, FREE_TICKET, OTHER, ANNUITY] = [1, 2, 8, 16];
const DOLLARS = /^\$\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*\*?$/;
const GAME_FIELDS: [string, Kind][] = [
  ["gameId", "id"],
  ["gameName", "text"],
  ["ticketPrice", "integer"],
  ["totalTicketsPrinted", "integer"],
  ["validationStatus", "text"],
  ["prizeTiers", "list"],
];
const TIER_FIELDS: [string, Kind][] = [
  ["prizeAmount", "integer"],
  ["prizeDescription", "text"],
  ["winningTickets", "integer"],
  ["paidTickets", "integer"],
  ["tierType", "integer"],
];

function games(doc: FeedDocument): unknown[] {
  const value = jsonDocument(doc);
  if (!isObject(value)) {
    const found = shown(value);
    throw new FeedError(doc.name, null, "games", `expected an object, found ${found}`);
  }
  return jsonField(doc.name, null, value, "games", "list");
}

/** One game's fields checked against the layout (the first one that differs refuses). */
function game(name: string, row: number, item: unknown): Fields {
  const g = fields(name, row, item, GAME_FIELDS);
  g.prizeTiers = (g.prizeTiers as unknown[]).map((tier, j) =>
    fields(name, row, tier, TIER_FIELDS, `prizeTiers[${j}].`)
  );
  return g;
}

/** One state's reading of the layout: `perDollar` prize-amount units per dollar. */
export class IgtLayout {
  constructor(readonly STATE: string, readonly perDollar: number) {}

  /** Whether the payload is this layout (used to tell archived files apart). */
  looksLike(documents: FeedDocument[]): boolean {
    try {
      return documents.length === 1 && Array.isArray(games(documents[0]));
    } catch {
      return false;
    }
  }

  parse(documents: FeedDocument[], asOf?: string | null): ParsedFeed {
    const names = documents.map((d) => d.name).join(", ") || "(no document)";
    if (documents.length !== 1) {
      throw new FeedError(
        names,
        null,
        null,
        `${this.STATE}'s feed is one instant-games answer; got ${documents.length} documents`,
      );
    }
    const day = dated(this.STATE, names, asOf);
    const name = documents[0].name;
    const all = games(documents[0]).map((item, i) => game(name, i + 1, item));
    const active = all.filter((g) => g.validationStatus === ACTIVE);
    const [rows, warnings] = gather(this.STATE, active, (g) => this.rows(day, g));
    return finish(this.STATE, day, name, rows, warnings);
  }

  private tier(number: string, j: number, tier: Fields): Tier {
    const kind = tier.tierType as number;
    const label = squeeze(tier.prizeDescription);
    let amount = tier.prizeAmount / this.perDollar;
    const column = `prizeTiers[${j}]`;
    if (![CASH, FREE_TICKET, OTHER, ANNUITY].includes(kind)) {
      throw new OddGame(number, `${column}.tierType`, `${kind} cannot be valued`);
    }
    if (kind === ANNUITY && amount === 0) {
      const m = DOLLARS.exec(label);
      amount = m ? (parseNumber(m[1]) || 0) : 0;
    }
    if (amount <= 0) {
      const what = `${tier.prizeAmount} (${JSON.stringify(label)})`;
      throw new OddGame(number, `${column}.prizeAmount`, `${what} cannot be valued`);
    }
    const winning = tier.winningTickets as number;
    const paid = tier.paidTickets as number;
    if (paid > winning || winning <= 0) {
      throw new OddGame(
        number,
        `${column}.paidTickets`,
        `${paid} paid of ${winning} winning is impossible`,
      );
    }
    return {
      label: label || formatDollars(amount),
      amount,
      printed: winning,
      remaining: winning - paid,
    };
  }

  private rows(day: string, g: Fields): CanonicalRow[] {
    const number = g.gameId as string;
    const price = g.ticketPrice / 100;
    if (price <= 0) throw new OddGame(number, "ticketPrice", `${g.ticketPrice} is not a price`);
    if (g.prizeTiers.length === 0) throw new OddGame(number, "prizeTiers", "is empty");
    const tiers = (g.prizeTiers as Fields[]).map((t, j) => this.tier(number, j, t));
    const printed = g.totalTicketsPrinted as number;
    const winning = tiers.reduce((s, t) => s + t.printed, 0);
    if (printed < winning) {
      throw new OddGame(
        number,
        "totalTicketsPrinted",
        `${printed} is fewer than its ${winning} prizes`,
      );
    }
    return numberTiers(
      {
        snapshotDate: day,
        state: this.STATE,
        gameNumber: number,
        gameName: (g.gameName as string).trim(),
        ticketPrice: price,
        overallOdds: printed / winning,
        totalTicketsPrinted: printed,
        oddsDerived: true,
      },
      tiers,
      null,
    );
  }
}

export const NJ = new IgtLayout("NJ", 100);
export const SD = new IgtLayout("SD", 100);
export const GA = new IgtLayout("GA", 10_000);
