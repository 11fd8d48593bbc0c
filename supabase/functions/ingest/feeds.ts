// Fetching one state's feed: its source's requests in order (docs/states-and-feeds.md), a
// template expanded over the ids its adapter lists in an earlier document (one request per game),
// at most `concurrency` requests in flight, a time-out per request and per state, a cap on the
// requests of a run and on each document's bytes. What arrives is returned as it is (status, type
// and bytes, error pages included) so that it can be archived before anything judges it.
// Port of trainer/scratchoff/feeds/fetch.py (parity_tests/test_fetch_parity.py).
import { sha256Hex } from "../_shared/models.ts";
import type { FeedDocument } from "../_shared/scratchoff/feeds/registry.ts";

export const MAX_FEED_BYTES = 32 * 1024 * 1024;

/** One request of a source, checked (checkRequests). */
export interface FeedRequest {
  url: string;
  method: "GET" | "POST";
  headers: Record<string, string>;
  body: string;
  each: number | null;
}

/** A feed_sources row as the function reads it. */
export interface FeedSource {
  state: string;
  layout: string;
  requests: unknown; // the jsonb column, checked by checkRequests
  timeout_ms: number;
  state_timeout_ms: number;
  max_requests: number;
  concurrency: number;
  time_zone: string;
}

export interface Fetched {
  url: string;
  method: string;
  request_body: string;
  status: number;
  content_type: string | null;
  last_modified: string | null;
  body: Uint8Array<ArrayBuffer>;
  sha256: string;
}

/** The error of a feed that could not be used; its message goes to ingest_runs.error. */
export class FeedFailure extends Error {}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const REQUEST_KEYS = new Set(["url", "method", "headers", "body", "each"]);

/** The source's request list, checked; FeedFailure naming the request (1-based) and the field. */
export function checkRequests(state: string, raw: unknown): FeedRequest[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    throw new FeedFailure(`${state}: feed_sources.requests is not a non-empty list`);
  }
  return raw.map((r, i) => {
    const bad = (field: string, why: string) =>
      new FeedFailure(`${state}: request ${i + 1}, field '${field}': ${why}`);
    if (!isRecord(r)) throw bad("(request)", "not an object");
    const extra = Object.keys(r).filter((k) => !REQUEST_KEYS.has(k)).sort();
    if (extra.length > 0) throw bad(extra[0], "unknown field");
    if (typeof r.url !== "string" || !/^https?:\/\/[^/]/.test(r.url)) {
      throw bad("url", "not an http(s) URL");
    }
    const method = r.method ?? "GET";
    if (method !== "GET" && method !== "POST") throw bad("method", "not GET or POST");
    const headers = r.headers ?? {};
    if (!isRecord(headers) || !Object.values(headers).every((v) => typeof v === "string")) {
      throw bad("headers", "not an object of strings");
    }
    const body = r.body ?? "";
    if (typeof body !== "string") throw bad("body", "not a string");
    if (body !== "" && method !== "POST") throw bad("body", "a body needs method POST");
    const each = r.each ?? null;
    if (each !== null) {
      if (!Number.isInteger(each) || (each as number) < 0 || (each as number) >= i) {
        throw bad("each", "not the index of an earlier request");
      }
      if (
        isRecord(raw[each as number]) &&
        ((raw[each as number] as { each?: unknown }).each ?? null) !== null
      ) {
        throw bad("each", "names a template; ids come from a plain request's document");
      }
      if (!r.url.includes("{id}")) throw bad("url", "a template's url has no {id}");
    }
    return {
      url: r.url,
      method,
      headers: headers as Record<string, string>,
      body,
      each: each as number | null,
    };
  });
}

/** A template's requests, one per id (URL-encoded into {id}), in the ids' order. */
export function expand(template: FeedRequest, ids: string[]): FeedRequest[] {
  return ids.map((id) => ({
    ...template,
    url: template.url.replaceAll("{id}", encodeURIComponent(id)),
    each: null,
  }));
}

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

/** One document; a time-out or a network error is a FeedFailure (nothing to archive). `state`
 * aborts when the state's own time is up. */
export async function fetchDocument(
  req: FeedRequest,
  timeoutMs: number,
  state: AbortSignal = new AbortController().signal,
  stateTimeoutMs = 0,
): Promise<Fetched> {
  const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), state]);
  try {
    const res = await fetch(req.url, {
      signal,
      method: req.method,
      headers: { "user-agent": "scratch-oracle-ingest", ...req.headers },
      body: req.method === "POST" ? req.body : undefined,
    });
    const body = await readCapped(res, req.url);
    return {
      url: req.url,
      method: req.method,
      request_body: req.body,
      status: res.status,
      content_type: res.headers.get("content-type"),
      last_modified: res.headers.get("last-modified"),
      body,
      sha256: await sha256Hex(body),
    };
  } catch (err) {
    if (err instanceof FeedFailure) throw err;
    if (state.aborted) {
      throw new FeedFailure(`${req.url}: the state's fetch took more than ${stateTimeoutMs} ms`);
    }
    if (signal.aborted) {
      throw new FeedFailure(`${req.url}: no complete answer within ${timeoutMs} ms`);
    }
    throw new FeedFailure(`${req.url}: ${(err as Error).message}`);
  }
}

/** Runs the tasks at most `limit` at a time, in order; after the first failure starts no more
 * and waits for those in flight. Results by index (undefined: failed or never started). */
async function pool<T>(
  tasks: (() => Promise<T>)[],
  limit: number,
): Promise<{ done: (T | undefined)[]; error: unknown }> {
  const done: (T | undefined)[] = new Array(tasks.length).fill(undefined);
  let next = 0;
  let error: unknown = null;
  const worker = async () => {
    while (error === null && next < tasks.length) {
      const i = next++;
      try {
        done[i] = await tasks[i]();
      } catch (err) {
        error ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return { done, error };
}

const HTML_START = /^\s*<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>])/i;

/** Whether the request names an HTML page (Texas's listing and game pages): HTML is its layout. */
function namesHtml(url: string): boolean {
  return /\.html?$/i.test(url.split("?")[0]);
}

/** Why a fetched document is not a feed payload (an HTTP error, an HTML error page), or null. */
export function refusal(doc: Fetched, layout: string): string | null {
  if (doc.status !== 200) return `${doc.url}: HTTP ${doc.status}`;
  const head = new TextDecoder("latin1").decode(doc.body.subarray(0, 512));
  const html = (doc.content_type ?? "").includes("text/html") || HTML_START.test(head);
  if (html && !namesHtml(doc.url)) {
    return `${doc.url}: an HTML page (status ${doc.status}), not a ${layout} feed`;
  }
  if (doc.body.length === 0) return `${doc.url}: empty answer`;
  return null;
}

/** The documents of one fetch and, when the state's run cannot go on, why. */
export interface FetchOutcome {
  fetched: Fetched[];
  problem: string | null;
}

/** The message of a failure, for ingest_runs.error. */
function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Fetches every request of the source: the plain ones first, then each template over the ids
 * `listIds` reads from its request's document; never throws. Everything fetched is returned (for
 * the archive) in request order, a template's expansions in id order, even when the run fails.
 */
export async function fetchSource(
  source: FeedSource,
  listIds: (doc: FeedDocument) => string[],
): Promise<FetchOutcome> {
  let requests: FeedRequest[];
  try {
    requests = checkRequests(source.state, source.requests);
  } catch (err) {
    return { fetched: [], problem: messageOf(err) };
  }
  const deadline = AbortSignal.timeout(source.state_timeout_ms);
  const slots: Fetched[][] = requests.map(() => []);
  const fetched = () => slots.flat();
  const run = async (batch: { slot: number; req: FeedRequest }[]) => {
    const { done, error } = await pool(
      batch.map(({ req }) => () =>
        fetchDocument(req, source.timeout_ms, deadline, source.state_timeout_ms)
      ),
      source.concurrency,
    );
    batch.forEach(({ slot }, i) => {
      const doc = done[i];
      if (doc !== undefined) slots[slot].push(doc);
    });
    const refused = batch.flatMap(({ slot }) => slots[slot])
      .map((d) => refusal(d, source.layout)).find((p) => p !== null);
    return error !== null ? messageOf(error) : refused ?? null;
  };
  const plain = requests.flatMap((req, slot) => (req.each === null ? [{ slot, req }] : []));
  const overCap = (count: number, what: string) =>
    `${source.state}: ${count} requests (${what}) exceed max_requests ${source.max_requests}; refused`;
  if (plain.length > source.max_requests) {
    return { fetched: [], problem: overCap(plain.length, "plain") };
  }
  const problem = await run(plain);
  if (problem !== null) return { fetched: fetched(), problem };
  const expanded: { slot: number; req: FeedRequest }[] = [];
  try {
    requests.forEach((req, slot) => {
      if (req.each === null) return;
      const [listing] = slots[req.each];
      const ids = listIds({ name: listing.url, data: listing.body });
      for (const one of expand(req, ids)) expanded.push({ slot, req: one });
    });
  } catch (err) {
    return { fetched: fetched(), problem: messageOf(err) };
  }
  const total = plain.length + expanded.length;
  if (total > source.max_requests) {
    const what = `${plain.length} plain, ${expanded.length} from templates`;
    return { fetched: fetched(), problem: overCap(total, what) };
  }
  const last = await run(expanded);
  return { fetched: fetched(), problem: last };
}

/** The as-of date for a feed that carries none in its data (New York): the day, in the state's
 * time zone, of the documents' latest Last-Modified header, else of `now` (the fetch). A feed
 * that names its own date (Texas's title row) ignores this. */
export function dateHint(lastModified: (string | null)[], now: Date, timeZone: string): string {
  const stamps = lastModified.map((s) => Date.parse(s ?? "")).filter(Number.isFinite);
  const when = stamps.length > 0 ? new Date(Math.max(...stamps)) : now;
  return new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(when);
}
