// HTTP plumbing every function shares: CORS, JSON responses and JSON errors. A handler throws
// HttpError for a client's mistake; anything else becomes a 500 whose details stay in the log.

export const corsHeaders: Record<string, string> = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Headers": "authorization, x-client-info, apikey, content-type",
  "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
};

export class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export function json(body: unknown, status = 200): Response {
  return Response.json(body, { status, headers: corsHeaders });
}

export function errorResponse(status: number, code: string, message: string): Response {
  return json({ error: { code, message } }, status);
}

/** Wraps a handler: answers CORS preflights, refuses other methods, turns errors into JSON. */
export function serveJson(
  methods: string[],
  handler: (req: Request) => Promise<Response>,
): (req: Request) => Promise<Response> {
  return async (req) => {
    if (req.method === "OPTIONS") return new Response("ok", { headers: corsHeaders });
    if (!methods.includes(req.method)) {
      const res = errorResponse(405, "method_not_allowed", `use ${methods.join(" or ")}`);
      res.headers.set("Allow", [...methods, "OPTIONS"].join(", ")); // RFC 9110: a 405 names them
      return res;
    }
    try {
      return await handler(req);
    } catch (err) {
      if (err instanceof HttpError) return errorResponse(err.status, err.code, err.message);
      console.error(err); // the stack trace goes to the log, never to the client
      return errorResponse(500, "internal_error", "internal error");
    }
  };
}

export const MAX_BODY_BYTES = 64 * 1024;

/** The request's JSON body: 413 when too large, 400 when not JSON, 422 when not an object. */
export async function readJsonObject(req: Request): Promise<Record<string, unknown>> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) {
    throw new HttpError(413, "payload_too_large", `the body is over ${MAX_BODY_BYTES} bytes`);
  }
  const text = await req.text();
  if (new TextEncoder().encode(text).length > MAX_BODY_BYTES) {
    throw new HttpError(413, "payload_too_large", `the body is over ${MAX_BODY_BYTES} bytes`);
  }
  if (text.trim() === "") return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, "malformed_json", "the body is not valid JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new HttpError(422, "invalid_body", "the body must be a JSON object");
  }
  const unstorable = unstorableText(body);
  if (unstorable !== null) {
    // JavaScript holds this text, PostgreSQL refuses it: refuse it here (a 4xx naming the field)
    // rather than fail in the database (a 500).
    throw new HttpError(422, "invalid_body", unstorable);
  }
  return body as Record<string, unknown>;
}

/** Why PostgreSQL could not store a string (text and jsonb alike), or null: U+0000, which its text
 * cannot hold, and a lone UTF-16 surrogate (JSON's "\ud800" escape, unpaired), which has no UTF-8
 * encoding (PostgreSQL: "invalid Unicode surrogate pair"). Noncharacters such as U+FFFE it stores. */
function unstorableReason(text: string): string | null {
  if (text.includes("\u0000")) return "the NUL character (U+0000)";
  if (!text.isWellFormed()) return "a lone UTF-16 surrogate (U+D800-U+DFFF unpaired)";
  return null;
}

/** The message naming the first string of the parsed JSON body, keys included, that PostgreSQL
 * could not store (its path: `games[2].state`), or null. Iterative: a 64 KB body can nest
 * thousands of levels deep. */
function unstorableText(body: unknown): string | null {
  const pending: [string, unknown][] = [["", body]];
  while (pending.length > 0) {
    const [path, v] = pending.pop()!;
    if (typeof v === "string") {
      const reason = unstorableReason(v);
      if (reason !== null) return `${path} must not contain ${reason}`;
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => pending.push([`${path}[${i}]`, item]));
    } else if (typeof v === "object" && v !== null) {
      for (const [key, item] of Object.entries(v)) {
        const reason = unstorableReason(key);
        // JSON.stringify writes the offending key as escapes, so the message itself is clean
        if (reason !== null) {
          return `a field name in ${path || "the body"} (${
            JSON.stringify(key)
          }) must not contain ${reason}`;
        }
        pending.push([path ? `${path}.${key}` : key, item]);
      }
    }
  }
  return null;
}

/** 422 unless every key of the body is one of `allowed`. */
export function onlyKeys(body: Record<string, unknown>, allowed: string[], where = "body"): void {
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    throw new HttpError(
      422,
      "invalid_body",
      `unknown field(s) in ${where}: ${unknown.join(", ")} (allowed: ${allowed.join(", ")})`,
    );
  }
}

/** A YYYY-MM-DD calendar date, or 422. */
export function isoDate(value: unknown, field: string): string {
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    throw new HttpError(422, "invalid_body", `${field} must be a date YYYY-MM-DD`);
  }
  const parsed = new Date(`${value}T00:00:00Z`);
  // Year 0000 is a valid ISO date but not a PostgreSQL one (there is no year 0 there): refuse it.
  if (
    Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== value ||
    value.startsWith("0000")
  ) {
    throw new HttpError(422, "invalid_body", `${field} is not a calendar date: ${value}`);
  }
  return value;
}

export function todayUtc(): string {
  return new Date().toISOString().slice(0, 10);
}

/** An optional date field of a body: today (UTC) when absent, else a valid YYYY-MM-DD. */
export function dateOrToday(value: unknown, field: string): string {
  return value === undefined ? todayUtc() : isoDate(value, field);
}
