// TEMPORARY STUB (branch `loop` only) of the adapters' interface, replaced by
// _shared/scratchoff/feeds/ when it lands. Texas only, minimal.
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
  as_of: string;
  rows: CanonicalRow[];
}
export class FeedError extends Error {}

function csvLine(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let q = false;
  for (const ch of line) {
    if (ch === '"') q = !q;
    else if (ch === "," && !q) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

export function parseFeed(layout: string, documents: FeedDocument[]): ParsedFeed {
  if (layout !== "TX") throw new FeedError(`unknown feed layout ${layout}; known: TX, NY`);
  const text = new TextDecoder("latin1").decode(documents[0].data);
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  const m = lines[0]?.match(/as of\s+(\d{1,2})\/(\d{1,2})\/(\d{4})/i);
  if (!m) throw new FeedError(`${documents[0].name}, row 1: not a Texas scratch-off export`);
  const asOf = `${m[3]}-${m[1].padStart(2, "0")}-${m[2].padStart(2, "0")}`;
  const rows: CanonicalRow[] = [];
  const sums = new Map<string, [number, number]>();
  const totals = new Map<string, [number, number]>();
  lines.slice(2).forEach((line, i) => {
    const f = csvLine(line);
    if (f.length !== 7) {
      throw new FeedError(`${documents[0].name}, row ${i + 3}: ${f.length} fields`);
    }
    const printed = Number(f[5]);
    const claimed = Number(f[6]);
    if (!Number.isInteger(printed) || !Number.isInteger(claimed) || claimed > printed) {
      throw new FeedError(`${documents[0].name}, row ${i + 3}: bad counts`);
    }
    if (f[4] === "TOTAL") {
      totals.set(f[0], [printed, claimed]);
      return;
    }
    const s = sums.get(f[0]) ?? [0, 0];
    sums.set(f[0], [s[0] + printed, s[1] + claimed]);
    rows.push({
      snapshot_date: asOf,
      state: "TX",
      game_number: f[0],
      game_name: f[1],
      ticket_price: Number(f[3]),
      overall_odds: null,
      total_tickets_printed: null,
      tier_index: 0,
      prize_label: `$${f[4]}`,
      prize_amount: Number(f[4]),
      prizes_printed: printed,
      prizes_remaining: printed - claimed,
    });
  });
  for (const [game, s] of sums) {
    const t = totals.get(game);
    if (!t || t[0] !== s[0] || t[1] !== s[1]) {
      throw new FeedError(`${documents[0].name}: game ${game} fails its TOTAL checksum`);
    }
  }
  const byGame = new Map<string, CanonicalRow[]>();
  for (const r of rows) byGame.set(r.game_number, [...(byGame.get(r.game_number) ?? []), r]);
  for (const list of byGame.values()) {
    list.sort((a, b) => b.prize_amount - a.prize_amount).forEach((r, i) => r.tier_index = i + 1);
  }
  return { state: "TX", as_of: asOf, rows };
}
