/**
 * Parity runner for the scorecard port (supabase/functions/_shared/scratchoff/scorecard.ts).
 * parity_tests/test_scorecard_parity.py drives it: ONE process scores every day it is given.
 *
 *   deno run --quiet --no-prompt --config supabase/functions/deno.json \
 *     parity_tests/scorecard_runner.ts < request.json > response.json
 *
 * Request (stdin): {"days": [[ScoredPrediction, ...], ...]}; response (stdout):
 * {"figures": [DayFigures, ...]} in the same order. No permissions: stdin and stdout only.
 */
import {
  dayFigures,
  type ScoredPrediction,
} from "../supabase/functions/_shared/scratchoff/scorecard.ts";

const request = JSON.parse(await new Response(Deno.stdin.readable).text()) as {
  days: ScoredPrediction[][];
};
const bytes = new TextEncoder().encode(
  JSON.stringify({ figures: request.days.map((rows) => dayFigures(rows)) }),
);
let done = 0;
while (done < bytes.length) done += await Deno.stdout.write(bytes.subarray(done));
