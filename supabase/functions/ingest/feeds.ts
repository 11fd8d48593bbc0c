// Fetching one state's feed: every document of the snapshot with a time-out and a size cap. What
// arrives is returned as it is (status, type and bytes, error pages included) so that it can be
// archived before anything judges it.
import { sha256Hex } from "../_shared/models.ts";

export const MAX_FEED_BYTES = 32 * 1024 * 1024;

export interface FeedSource {
  state: string;
  layout: string;
  urls: string[];
  timeout_ms: number;
}

export interface Fetched {
  url: string;
  status: number;
  content_type: string | null;
  last_modified: string | null;
  body: Uint8Array<ArrayBuffer>;
  sha256: string;
}

/** The error of a feed that could not be used; its message goes to ingest_runs.error. */
export class FeedFailure extends Error {}

async function readCapped(res: Response, url: string): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of res.body ?? new ReadableStream<Uint8Array>()) {
    total += chunk.length;
    if (total > MAX_FEED_BYTES) {
      throw new FeedFailure(`${url}: more than ${MAX_FEED_BYTES} bytes; refused`);
    }
    chunks.push(chunk);
  }
  const body = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.length;
  }
  return body;
}

/** One document; a time-out or a network error is a FeedFailure (nothing to archive). */
export async function fetchDocument(url: string, timeoutMs: number): Promise<Fetched> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetch(url, { signal, headers: { "user-agent": "scratch-oracle-ingest" } });
    const body = await readCapped(res, url);
    return {
      url,
      status: res.status,
      content_type: res.headers.get("content-type"),
      last_modified: res.headers.get("last-modified"),
      body,
      sha256: await sha256Hex(body),
    };
  } catch (err) {
    if (err instanceof FeedFailure) throw err;
    if (signal.aborted) throw new FeedFailure(`${url}: no complete answer within ${timeoutMs} ms`);
    throw new FeedFailure(`${url}: ${(err as Error).message}`);
  }
}

const HTML_START = /^\s*<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>])/i;

/** Why a fetched document is not a feed payload (an HTTP error, an HTML page), or null. */
export function refusal(doc: Fetched, layout: string): string | null {
  if (doc.status !== 200) return `${doc.url}: HTTP ${doc.status}`;
  const head = new TextDecoder("latin1").decode(doc.body.subarray(0, 512));
  if ((doc.content_type ?? "").includes("text/html") || HTML_START.test(head)) {
    return `${doc.url}: an HTML page (status ${doc.status}), not a ${layout} feed`;
  }
  if (doc.body.length === 0) return `${doc.url}: empty answer`;
  return null;
}
