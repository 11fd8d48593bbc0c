/**
 * Parity runner for the TypeScript feed adapters (supabase/functions/_shared/scratchoff/feeds/).
 * parity_tests/test_feed_parity.py drives it: ONE process parses every payload.
 *
 *   deno run --quiet --no-prompt --config supabase/functions/deno.json \
 *     parity_tests/feed_runner.ts < request.json > response.json
 *
 * Request (stdin): {"payloads": [{"id": "...", "state": "TX", "as_of": null | "YYYY-MM-DD",
 *   "ids_of": null | k, "documents": [{"name": "...", "b64": "<base64 bytes>"}]}]}
 * Response (stdout): {"ms": elapsed, "results": [{"id", "as_of", "rows": [...CanonicalRow], "warnings"} or
 *   {"id", "error": {"document", "row", "column", "message"}}, with "request_ids" (or
 *   "request_ids_error") of document k when ids_of is given]}
 * No permissions: it reads stdin and writes stdout only.
 */
import {
  type FeedDocument,
  FeedError,
  parseFeed,
  requestIds,
} from "../supabase/functions/_shared/scratchoff/feeds/registry.ts";

interface PayloadIn {
  id: string;
  state: string;
  as_of: string | null;
  ids_of: number | null;
  documents: { name: string; b64: string }[];
}

function bytes(b64: string): Uint8Array {
  const text = atob(b64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

function refusal(err: unknown): Record<string, unknown> {
  if (!(err instanceof FeedError)) throw err;
  const { document, row, column, message } = err;
  return { document, row, column, message };
}

/** requestIds of document `ids_of`, when the case asks. */
function ids(p: PayloadIn, documents: FeedDocument[]): Record<string, unknown> {
  if (p.ids_of === null) return {};
  try {
    return { request_ids: requestIds(p.state, documents[p.ids_of]) };
  } catch (err) {
    return { request_ids_error: refusal(err) };
  }
}

function solve(p: PayloadIn): Record<string, unknown> {
  const documents = p.documents.map((d) => ({ name: d.name, data: bytes(d.b64) }));
  try {
    const feed = parseFeed(p.state, documents, p.as_of);
    return {
      id: p.id,
      as_of: feed.asOf,
      rows: feed.rows,
      warnings: feed.warnings,
      ...ids(p, documents),
    };
  } catch (err) {
    return { id: p.id, error: refusal(err), ...ids(p, documents) };
  }
}

const started = performance.now();
const req = JSON.parse(await new Response(Deno.stdin.readable).text()) as {
  payloads: PayloadIn[];
};
const results = req.payloads.map(solve);
const body = JSON.stringify({ ms: performance.now() - started, results });
await new Response(body).body!.pipeTo(Deno.stdout.writable);
