/**
 * Parity runner for the door's rules in TypeScript (supabase/functions/_shared/input_rules.ts).
 * parity_tests/test_input_rules_parity.py drives it: ONE process validates every case.
 *
 *   deno run --quiet --no-prompt --config supabase/functions/deno.json \
 *     parity_tests/input_rules_runner.ts < request.json > response.json
 *
 * Request: {"now": ISO time, "cases": [{"kind": "scratchoff" | "powerball", "file": name,
 *           "header": [...], "rows": [[...], ...]}]}
 * Response: {"results": [{"error": {"row", "column", "message"}} | {"rows": [...]}]}
 */
import {
  DataError,
  validatePowerball,
  validateScratchoff,
} from "../supabase/functions/_shared/input_rules.ts";

interface Case {
  kind: "scratchoff" | "powerball";
  file: string;
  header: string[];
  rows: string[][];
}

const request = JSON.parse(await new Response(Deno.stdin.readable).text()) as {
  now: string;
  cases: Case[];
};
const now = new Date(request.now);
const results = request.cases.map((c) => {
  try {
    const validate = c.kind === "scratchoff" ? validateScratchoff : validatePowerball;
    return { rows: validate(c.header, c.rows, c.file, now) };
  } catch (err) {
    if (!(err instanceof DataError)) throw err;
    return { error: { row: err.row, column: err.column, message: err.reason } };
  }
});
console.log(JSON.stringify({ results }));
