// LOCAL STAND-IN for Supabase's API gateway in front of Edge Functions (DESIGN.md, Local stack).
//
// Serves /functions/v1/<name>[/...] on 127.0.0.1:54321 as hosted Supabase does: the JWT in
// `Authorization: Bearer` is verified against the project's secret unless the function's
// supabase/config.toml section says `verify_jwt = false`; CORS preflights (OPTIONS) pass without a
// JWT to the function, which answers them; an unknown function is a JSON 404. Each function runs
// in its own Deno process (its own isolate, like the hosted edge runtime's per-function workers),
// started on first use with the hosted runtime's rules and built-in ONNX engine preloaded
// (edge_runtime_shim.ts; EDGE_RUNTIME_ORT=web leaves the engine out) and the environment hosted
// Supabase gives it (SUPABASE_URL, SUPABASE_DB_URL, the keys).
import { Buffer } from "node:buffer";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { parse as parseToml } from "npm:smol-toml@1.3.1";

const ROOT = new URL("../../", import.meta.url).pathname;
const FUNCTIONS_DIR = `${ROOT}supabase/functions`;
const SHIM = `${ROOT}scripts/local/edge_runtime_shim.ts`;
const PORT = Number(Deno.env.get("GATEWAY_PORT") ?? "54321");
const JWT_SECRET = Deno.env.get("SUPABASE_JWT_SECRET") ?? "";
const BOOT_TIMEOUT_MS = 15_000;

const CORS_HEADERS = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Headers": "authorization, x-client-info, apikey, content-type",
  "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
};

function jsonError(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, {
    status,
    headers: CORS_HEADERS,
  });
}

/** verify_jwt per function from supabase/config.toml (default true, as in Supabase). */
function readVerifyJwt(): Map<string, boolean> {
  const config = parseToml(Deno.readTextFileSync(`${ROOT}supabase/config.toml`));
  const functions = (config.functions ?? {}) as Record<string, { verify_jwt?: boolean }>;
  return new Map(Object.entries(functions).map(([name, f]) => [name, f.verify_jwt !== false]));
}

function base64UrlDecode(text: string): Uint8Array<ArrayBuffer> {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const padded = b64 + "=".repeat((4 - (b64.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

let hmacKey: Promise<CryptoKey> | undefined;

// nbf and iat may be this far ahead of our clock: PostgREST allows the same 30 s for a token
// minted on a machine whose clock runs slightly ahead. exp gets no grace (jose's default, which
// the Supabase CLI's functions gateway uses): an expired token is never accepted late.
const CLOCK_SKEW_S = 30;

/** null when the time claims hold now, else why not; each present claim must be a number. */
function timeProblem(claims: Record<string, unknown>): string | null {
  for (const name of ["exp", "nbf", "iat"]) {
    if (name in claims && typeof claims[name] !== "number") {
      return `Invalid JWT: '${name}' must be a number`;
    }
  }
  const now = Date.now() / 1000;
  const { exp, nbf, iat } = claims as { exp?: number; nbf?: number; iat?: number };
  if (exp !== undefined && exp <= now) return "Invalid JWT: expired";
  if (nbf !== undefined && nbf > now + CLOCK_SKEW_S) return "Invalid JWT: not yet valid (nbf)";
  if (iat !== undefined && iat > now + CLOCK_SKEW_S) {
    return "Invalid JWT: issued in the future (iat)";
  }
  return null;
}

/** null when the HS256 token is valid and unexpired, else why it is not. */
export async function jwtProblem(token: string): Promise<string | null> {
  const parts = token.split(".");
  if (parts.length !== 3) return "Invalid JWT: malformed";
  try {
    const header = JSON.parse(new TextDecoder().decode(base64UrlDecode(parts[0])));
    if (header.alg !== "HS256") return "Invalid JWT: unsupported algorithm";
    hmacKey ??= crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(JWT_SECRET),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["verify"],
    );
    const ok = await crypto.subtle.verify(
      "HMAC",
      await hmacKey,
      base64UrlDecode(parts[2]),
      new TextEncoder().encode(`${parts[0]}.${parts[1]}`),
    );
    if (!ok) return "Invalid JWT: bad signature";
    return timeProblem(JSON.parse(new TextDecoder().decode(base64UrlDecode(parts[1]))));
  } catch {
    return "Invalid JWT: malformed";
  }
}

interface Worker {
  port: number;
  process: Deno.ChildProcess;
  exited: boolean;
}

const workers = new Map<string, Promise<Worker>>();

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

async function waitForPort(worker: Worker, name: string): Promise<void> {
  const deadline = Date.now() + BOOT_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (worker.exited) throw new Error(`function ${name} exited while booting`);
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port: worker.port })).close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  throw new Error(`function ${name} did not start in ${BOOT_TIMEOUT_MS} ms`);
}

async function startWorker(name: string): Promise<Worker> {
  const port = freePort();
  const command = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-env",
      "--allow-read",
      "--allow-sys",
      "--allow-ffi", // the shim's built-in ONNX engine is a native addon (onnxruntime-node)
      "--config",
      `${FUNCTIONS_DIR}/deno.json`,
      "--preload",
      SHIM,
      `${FUNCTIONS_DIR}/${name}/index.ts`,
    ],
    env: {
      DENO_SERVE_ADDRESS: `tcp:127.0.0.1:${port}`,
      NO_COLOR: "1",
      EDGE_RUNTIME_MEMORY_REPORT: "1", // SIGUSR2 -> Deno.memoryUsage() on stderr (the shim)
    },
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  });
  const worker: Worker = { port, process: command.spawn(), exited: false };
  worker.process.status.then((status) => {
    worker.exited = true;
    console.log(`function ${name} exited (code ${status.code})`);
  });
  await waitForPort(worker, name);
  return worker;
}

async function getWorker(name: string): Promise<Worker> {
  const existing = workers.get(name);
  if (existing) {
    const worker = await existing.catch(() => undefined);
    if (worker && !worker.exited) return worker;
  }
  const started = startWorker(name);
  workers.set(name, started);
  started.catch(() => workers.delete(name));
  return await started;
}

function functionExists(name: string): boolean {
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(name)) return false;
  try {
    return Deno.statSync(`${FUNCTIONS_DIR}/${name}/index.ts`).isFile;
  } catch {
    return false;
  }
}

// Hosted Supabase caps request bodies too; here a body is held in memory before forwarding.
const MAX_BODY_BYTES = 2 * 1024 * 1024;
// The request line and headers together, as Deno.serve's own limit; past it, a JSON 431.
const MAX_HEADER_BYTES = 64 * 1024;

type Body = { bytes: Uint8Array } | { problem: Response } | { aborted: true };

/** The whole body; a 413 as soon as it passes MAX_BODY_BYTES. When the client stops sending
 * before the end it announced (a closed upload: the client's fault, not the function's), a 400 is
 * written at once: the HTTP layer closes the socket right after that event. */
function readBody(req: IncomingMessage, res: ServerResponse): Promise<Body> {
  return new Promise((resolve) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    req.on("data", (chunk: Uint8Array) => {
      size += chunk.byteLength;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners("data");
        req.resume(); // drain the rest, so the client can read the answer
        resolve({
          problem: jsonError(413, "payload_too_large", `the body is over ${MAX_BODY_BYTES} bytes`),
        });
      } else {
        chunks.push(chunk);
      }
    });
    req.on("end", () => resolve({ bytes: Buffer.concat(chunks) }));
    req.on("aborted", () => {
      const body = JSON.stringify({
        error: {
          code: "incomplete_body",
          message: "the client closed the connection before sending the whole body",
        },
      });
      res.writeHead(400, {
        ...CORS_HEADERS,
        "content-type": "application/json",
        "content-length": String(Buffer.byteLength(body)),
      });
      res.end(body);
      resolve({ aborted: true });
    });
    req.on("error", () => {}); // the aborted event above has answered it
  });
}

/** What supabase-js and supabase-py show for a table read: PostgREST's error shape. */
function noPostgrest(): Response {
  return Response.json({
    code: "LOCAL501",
    message: "The local stack has no PostgREST: table reads (/rest/v1) need the hosted Supabase" +
      " API or a PostgREST of your own pointed at this database.",
    details: "The local gateway serves only /functions/v1/<name>.",
    hint: "Read the tables on a hosted project, run PostgREST against the stack's DB URL, or" +
      " call the functions (predict, powerball).",
  }, { status: 501, headers: CORS_HEADERS });
}

/** The gateway's answer to one request whose headers are within the limit. */
async function route(
  req: IncomingMessage,
  res: ServerResponse,
  verifyJwt: Map<string, boolean>,
): Promise<Response | "answered"> {
  // Listening from the start, so that a client closing early is seen whatever is awaited first.
  const reading = req.method === "GET" || req.method === "HEAD" ? undefined : readBody(req, res);
  const url = new URL(req.url ?? "/", "http://gateway");
  if (/^\/rest\/v1(\/|$)/.test(url.pathname)) {
    return req.method === "OPTIONS" ? new Response("ok", { headers: CORS_HEADERS }) : noPostgrest();
  }
  const match = url.pathname.match(/^\/functions\/v1\/([^/]+)(\/.*)?$/);
  if (!match) return jsonError(404, "not_found", "no route for this path");
  const name = match[1];
  if (!functionExists(name)) {
    return jsonError(404, "not_found", `function '${name}' not found`);
  }
  if (req.method !== "OPTIONS" && verifyJwt.get(name) !== false) {
    const auth = req.headers.authorization ?? "";
    if (!auth) return jsonError(401, "unauthorized", "Missing authorization header");
    const token = auth.match(/^Bearer\s+(.+)$/i)?.[1];
    const problem = token ? await jwtProblem(token) : "Invalid JWT: not a Bearer token";
    if (problem) return jsonError(401, "unauthorized", problem);
  }
  // The body is read whole before forwarding: streaming it costs ~40 ms a request here.
  let body: Uint8Array | undefined;
  if (reading) {
    const read = await reading;
    if ("aborted" in read) return "answered";
    if ("problem" in read) return read.problem;
    body = read.bytes;
  }
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    if (key !== "host" && value !== undefined) headers.set(key, String(value));
  }
  const path = `/${name}${match[2] ?? ""}${url.search}`;
  const init = { method: req.method, headers, body: body as BodyInit | undefined };
  // A process that died since its last answer (killed, crashed) refuses the connection before
  // the gateway has seen it exit: it never got the request, so a fresh process gets it once.
  for (let attempt = 1;; attempt++) {
    let worker: Worker;
    try {
      worker = await getWorker(name);
    } catch (err) {
      console.error(`boot error: ${(err as Error).message}`);
      return jsonError(503, "boot_error", `function '${name}' failed to start`);
    }
    try {
      const res = await fetch(`http://127.0.0.1:${worker.port}${path}`, {
        ...init,
        redirect: "manual",
      });
      return new Response(await res.arrayBuffer(), { status: res.status, headers: res.headers });
    } catch (err) {
      const refused = /Connection refused/.test(String((err as Error).cause));
      console.error(`function ${name} failed: ${(err as Error).message} ${(err as Error).cause}`);
      if (!refused || attempt > 1) {
        return jsonError(502, "function_error", `function '${name}' did not answer`);
      }
      worker.exited = true;
      try {
        worker.process.kill("SIGKILL"); // if it still lives, it is not listening
      } catch {
        // already gone
      }
    }
  }
}

// Set by the HTTP layer, not the function: the hop's own framing.
const HOP_HEADERS = new Set(["connection", "keep-alive", "transfer-encoding", "content-length"]);

async function send(res: ServerResponse, answer: Response): Promise<void> {
  const body = new Uint8Array(await answer.arrayBuffer());
  const headers: Record<string, string> = { "content-length": String(body.byteLength) };
  answer.headers.forEach((value, key) => {
    if (!HOP_HEADERS.has(key)) headers[key] = value;
  });
  res.writeHead(answer.status, headers);
  res.end(body);
}

/** A JSON error written straight to the socket, for requests the HTTP parser itself refuses. */
function refuseRaw(socket: Duplex, status: number, reason: string, code: string, message: string) {
  const body = JSON.stringify({ error: { code, message } });
  const cors = Object.entries(CORS_HEADERS).map(([k, v]) => `${k}: ${v}\r\n`).join("");
  socket.write(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\n${cors}` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  // Read what the client is still sending before closing: closing on unread data resets the
  // connection, and the client would lose the answer.
  socket.on("data", () => {});
  socket.end();
  setTimeout(() => socket.destroy(), 5_000).unref();
}

function onClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable || err.code === "ECONNRESET") return; // gone, or answered in readBody
  if (err.code === "HPE_HEADER_OVERFLOW") {
    console.log(`request headers over ${MAX_HEADER_BYTES} bytes: 431`);
    const message = "the request line and headers are over 64 KiB";
    refuseRaw(socket, 431, "Request Header Fields Too Large", "headers_too_large", message);
  } else {
    console.log(`malformed request (${err.code}): 400`);
    refuseRaw(socket, 400, "Bad Request", "bad_request", "malformed HTTP request");
  }
}

if (import.meta.main) {
  const verifyJwt = readVerifyJwt();
  // node:http rather than Deno.serve: Deno.serve answers headers over 64 KiB itself with an empty
  // 400 and offers no hook; node:http reports them (clientError) so the gateway answers in JSON.
  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, async (req, res) => {
    const started = performance.now();
    const answer = await route(req, res, verifyJwt);
    if (answer !== "answered") await send(res, answer);
    const path = new URL(req.url ?? "/", "http://gateway").pathname;
    console.log(
      `${req.method} ${path} ${res.statusCode} ${(performance.now() - started).toFixed(1)}ms`,
    );
  });
  server.keepAliveTimeout = 0; // idle keep-alive connections stay open, as with Deno.serve
  server.on("clientError", onClientError);
  server.listen(PORT, "127.0.0.1");
}
