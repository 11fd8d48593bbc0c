/**
 * State feed adapters: each state's official scratch-off feed -> canonical rows. Port of
 * trainer/scratchoff/feeds/__init__.py (parity_tests/test_feed_parity.py holds them together).
 *
 *   import { parseFeed } from "../_shared/scratchoff/feeds/registry.ts";
 *   const feed = parseFeed("TX", [{ name: "scratchoff.csv", data: bytes }]);
 *   feed.asOf; feed.rows; // "2026-03-29", CanonicalRow[] (common.ts: the row's fields)
 *
 * `parseFeed(state, documents, asOf?)` looks the adapter up by state code; a state without one,
 * or a payload of another layout, throws FeedError ("unknown feed layout ... known: TX, NY, ...").
 * Every refusal is a FeedError naming the document, the row and the column (`document`, `row`,
 * `column`, `detail`; `message` says it all). Only Texas's documents carry their date; every other
 * state's asOf is required. `detectState(documents)` tells which layout a payload is (the IGT
 * layout, shared by NJ, SD and GA, cannot say which state). One odd game is dropped with a warning
 * (ParsedFeed.warnings; common.ts). Adding a state: one module with STATE, looksLike and parse,
 * its Python twin, an entry in ADAPTERS in both, and its fixture.
 */
import { type FeedDocument, FeedError, type ParsedFeed } from "./common.ts";
import * as fl from "./fl.ts";
import * as igt from "./igt.ts";
import * as ma from "./ma.ts";
import * as mi from "./mi.ts";
import * as ny from "./ny.ts";
import * as tx from "./tx.ts";

export type { CanonicalRow, FeedDocument, ParsedFeed } from "./common.ts";
export { FeedError } from "./common.ts";

interface Adapter {
  STATE: string;
  looksLike(documents: FeedDocument[]): boolean;
  parse(documents: FeedDocument[], asOf?: string | null): ParsedFeed;
  /** Only adapters whose source has a template request: the ids it lists in `document`. */
  requestIds?(document: FeedDocument): string[];
}

export const ADAPTERS: Readonly<Record<string, Adapter>> = {
  TX: tx,
  NY: ny,
  NJ: igt.NJ,
  SD: igt.SD,
  GA: igt.GA,
  MI: mi,
  FL: fl,
  MA: ma,
};
const KNOWN = Object.keys(ADAPTERS).join(", ");

function names(documents: FeedDocument[]): string {
  return documents.map((d) => d.name).join(", ") || "(no document)";
}

/** The state whose layout the payload is, or FeedError (also when several states share it). */
export function detectState(documents: FeedDocument[]): string {
  const states = Object.entries(ADAPTERS).filter(([_s, a]) => a.looksLike(documents));
  if (states.length > 1) {
    const shared = states.map(([s]) => s).join(", ");
    throw new FeedError(names(documents), null, null, `the layout of ${shared}: name the state`);
  }
  if (states.length === 0) {
    throw new FeedError(names(documents), null, null, `unknown feed layout: known: ${KNOWN}`);
  }
  return states[0][0];
}

/** The canonical rows of one state's payload (one fetch of its feed's documents). */
export function parseFeed(
  state: string,
  documents: FeedDocument[],
  asOf?: string | null,
): ParsedFeed {
  const adapter = ADAPTERS[state.trim().toUpperCase()];
  if (adapter === undefined) {
    throw new FeedError(
      names(documents),
      null,
      null,
      `unknown feed layout for state ${JSON.stringify(state)}: known: ${KNOWN}`,
    );
  }
  return adapter.parse(documents, asOf);
}

/** The ids a state's template request is expanded over, listed in `document` (the document of the
 * request the template names); FeedError for a state whose adapter lists none. */
export function requestIds(state: string, document: FeedDocument): string[] {
  const adapter = ADAPTERS[state.trim().toUpperCase()];
  if (adapter?.requestIds === undefined) {
    throw new FeedError(
      document.name,
      null,
      null,
      `state ${JSON.stringify(state)} lists no request ids (no template requests)`,
    );
  }
  return adapter.requestIds(document);
}
