/**
 * Parity runner for the TypeScript port of the Powerball next-draw features
 * (supabase/functions/_shared/powerball/features.ts). parity_tests/test_powerball_port_parity.py drives it:
 * ONE process computes every requested window.
 *
 *   deno run --quiet --no-prompt --config supabase/functions/deno.json \
 *     parity_tests/powerball_port_runner.ts < request.json > response.json
 *
 * No permissions: it reads stdin and writes stdout only.
 *
 * Request (stdin, JSON):
 *   {"cases": [{"id": "shipped",
 *               "draws": [{"draw_date": "2015-10-07", "white": [5 ints], "powerball": int}, ...],
 *               "cuts": ["2016-09-17", ...]}, ...]}
 * The draws may come in any order. For each cut, the history is every draw dated on or before the
 * cut, and the runner computes nextDrawFeatures(history) (which sorts it and keeps the newest 100).
 *
 * Response (stdout, JSON):
 *   {"n": N, "ms": elapsed, "results": [{"case": id, "cut": date, "last_draw_date": date,
 *     "white": base64 of 69 x 9 little-endian float32, "red": base64 of 26 x 9 float32}, ...]}
 */
import { type Draw, nextDrawFeatures } from "../supabase/functions/_shared/powerball/features.ts";

interface CaseIn {
  id: string;
  draws: Draw[];
  cuts: string[];
}

interface Result {
  case: string;
  cut: string;
  last_draw_date: string;
  white: string;
  red: string;
}

function base64(values: Float32Array): string {
  // little-endian float32 bytes (every platform Deno runs on is little-endian)
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function solve(cases: CaseIn[]): Result[] {
  const results: Result[] = [];
  for (const c of cases) {
    for (const cut of c.cuts) {
      const history = c.draws.filter((d) => d.draw_date <= cut);
      const f = nextDrawFeatures(history);
      results.push({
        case: c.id,
        cut,
        last_draw_date: f.lastDrawDate,
        white: base64(f.white),
        red: base64(f.red),
      });
    }
  }
  return results;
}

async function writeAll(bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    done += await Deno.stdout.write(bytes.subarray(done));
  }
}

const started = performance.now();
const req = JSON.parse(await new Response(Deno.stdin.readable).text()) as { cases: CaseIn[] };
const results = solve(req.cases);
const body = JSON.stringify({ n: results.length, ms: performance.now() - started, results });
await writeAll(new TextEncoder().encode(body));
