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
      return errorResponse(405, "method_not_allowed", `use ${methods.join(" or ")}`);
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
