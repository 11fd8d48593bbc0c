/**
 * Parity runner for the TypeScript feed adapters (supabase/functions/_shared/scratchoff/feeds/).
 * parity_tests/test_feed_parity.py drives it: ONE process parses every payload.
 *
 *   deno run --quiet --no-prompt --config supabase/functions/deno.json \
 *     parity_tests/feed_runner.ts < request.json > response.json
 *
 * Request (stdin): {"payloads": [{"id": "...", "state": "TX", "as_of": null | "YYYY-MM-DD",
 *   "documents": [{"name": "...", "b64": "<base64 bytes>"}]}]}
 * Response (stdout): {"ms": elapsed, "results": [{"id", "as_of", "rows": [...], "warnings"} or
 *   {"id", "error": {"document", "row", "column", "message"}}]}
 * No permissions: it reads stdin and writes stdout only.
 */
import { FeedError, parseFeed } from "../supabase/functions/_shared/scratchoff/feeds/registry.ts";

interface PayloadIn {
  id: string;
  state: string;
  as_of: string | null;
  documents: { name: string; b64: string }[];
}

function bytes(b64: string): Uint8Array {
  const text = atob(b64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

function solve(p: PayloadIn): Record<string, unknown> {
  const documents = p.documents.map((d) => ({ name: d.name, data: bytes(d.b64) }));
  try {
    const feed = parseFeed(p.state, documents, p.as_of);
    return { id: p.id, as_of: feed.asOf, rows: feed.rows, warnings: feed.warnings };
  } catch (err) {
    if (!(err instanceof FeedError)) throw err;
    const { document, row, column, message } = err;
    return { id: p.id, error: { document, row, column, message } };
  }
}

const started = performance.now();
const req = JSON.parse(await new Response(Deno.stdin.readable).text()) as {
  payloads: PayloadIn[];
};
const results = req.payloads.map(solve);
const body = JSON.stringify({ ms: performance.now() - started, results });
await new Response(body).body!.pipeTo(Deno.stdout.writable);
