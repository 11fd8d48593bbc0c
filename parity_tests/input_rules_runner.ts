/**
 * Parity runner for the door's rules in TypeScript (supabase/functions/_shared/input_rules.ts).
 * parity_tests/test_input_rules_parity.py drives it: ONE process validates every case.
 *
 *   deno run --quiet --no-prompt --config supabase/functions/deno.json \
 *     parity_tests/input_rules_runner.ts < request.json > response.json
 *
 * Request: {"now": ISO time, "cases": [{"kind": "scratchoff" | "powerball", "file": name,
 *           "header": [...], "rows": [[...], ...]} | {"kind": "feed", "file": name, "state",
 *           "as_of", "documents": [{"name", "base64"}]}]}
 * A feed case is the ingest function's door: the state's adapter, then validateFeedRows.
 * Response: {"results": [{"error": {"row", "column", "message"}} | {"rows": [...]}]}
 */
import {
  DataError,
  validateFeedRows,
  validatePowerball,
  validateScratchoff,
} from "../supabase/functions/_shared/input_rules.ts";
import { parseFeed } from "../supabase/functions/_shared/scratchoff/feeds/registry.ts";

type Case = {
  kind: "scratchoff" | "powerball";
  file: string;
  header: string[];
  rows: string[][];
} | {
  kind: "feed";
  file: string;
  state: string;
  as_of: string | null;
  documents: { name: string; base64: string }[];
};

const bytes = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

const request = JSON.parse(await new Response(Deno.stdin.readable).text()) as {
  now: string;
  cases: Case[];
};
const now = new Date(request.now);
const results = request.cases.map((c) => {
  try {
    if (c.kind === "feed") {
      const docs = c.documents.map((d) => ({ name: d.name, data: bytes(d.base64) }));
      return { rows: validateFeedRows(parseFeed(c.state, docs, c.as_of).rows, c.file, now) };
    }
    const validate = c.kind === "scratchoff" ? validateScratchoff : validatePowerball;
    return { rows: validate(c.header, c.rows, c.file, now) };
  } catch (err) {
    if (!(err instanceof DataError)) throw err;
    return { error: { row: err.row, column: err.column, message: err.reason } };
  }
});
console.log(JSON.stringify({ results }));
