/**
 * Parity runner for the `ingest` function's fetch layer (supabase/functions/ingest/feeds.ts).
 * parity_tests/test_fetch_parity.py drives it against a loopback feed server: ONE process fetches
 * every source in turn and computes every date hint.
 *
 * Request (stdin): {"sources": [FeedSource...], "hints": [{"last_modified": [...], "now": ISO,
 *   "time_zone": "..."}]}
 * Response (stdout): {"results": [{"state", "problem", "fetched": [{"url", "method",
 *   "request_body", "status", "sha256"}]}], "hints": ["YYYY-MM-DD", ...]}
 * Permissions: --allow-net (the loopback feed server), --allow-env (models.ts reads its settings).
 */
import { dateHint, type FeedSource, fetchSource } from "../supabase/functions/ingest/feeds.ts";
import { requestIds } from "../supabase/functions/_shared/scratchoff/feeds/registry.ts";

interface Hint {
  last_modified: (string | null)[];
  now: string;
  time_zone: string;
}

const req = JSON.parse(await new Response(Deno.stdin.readable).text()) as {
  sources: FeedSource[];
  hints: Hint[];
};
const results = [];
for (const source of req.sources) {
  const { fetched, problem } = await fetchSource(source, (doc) => requestIds(source.layout, doc));
  results.push({
    state: source.state,
    problem,
    fetched: fetched.map(({ url, method, request_body, status, sha256 }) => ({
      url,
      method,
      request_body,
      status,
      sha256,
    })),
  });
}
const hints = req.hints.map((h) => dateHint(h.last_modified, new Date(h.now), h.time_zone));
await new Response(JSON.stringify({ results, hints })).body!.pipeTo(Deno.stdout.writable);
