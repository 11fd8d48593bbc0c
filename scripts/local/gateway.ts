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
  const config = parseToml(
    Deno.readTextFileSync(`${ROOT}supabase/config.toml`),
  );
  const functions = (config.functions ?? {}) as Record<
    string,
    { verify_jwt?: boolean }
  >;
  return new Map(
    Object.entries(functions).map((
      [name, f],
    ) => [name, f.verify_jwt !== false]),
  );
}

function base64UrlDecode(text: string): Uint8Array<ArrayBuffer> {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const padded = b64 + "=".repeat((4 - (b64.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

let hmacKey: Promise<CryptoKey> | undefined;

/** null when the HS256 token is valid and unexpired, else why it is not. */
export async function jwtProblem(token: string): Promise<string | null> {
  const parts = token.split(".");
  if (parts.length !== 3) return "Invalid JWT: malformed";
  try {
    const header = JSON.parse(
      new TextDecoder().decode(base64UrlDecode(parts[0])),
    );
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
    const claims = JSON.parse(
      new TextDecoder().decode(base64UrlDecode(parts[1])),
    );
    if (typeof claims.exp === "number" && claims.exp * 1000 <= Date.now()) {
      return "Invalid JWT: expired";
    }
    return null;
  } catch {
    return "Invalid JWT: malformed";
  }
}

// Hosted Supabase caps request bodies too; here a body is held in memory before forwarding.
const MAX_BODY_BYTES = 2 * 1024 * 1024;

/** The whole body, or null as soon as it passes MAX_BODY_BYTES. */
async function readBody(req: Request): Promise<Uint8Array<ArrayBuffer> | null> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req.body ?? []) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
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
      (await Deno.connect({ hostname: "127.0.0.1", port: worker.port }))
        .close();
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

export async function handle(
  req: Request,
  verifyJwt: Map<string, boolean>,
): Promise<Response> {
  const url = new URL(req.url);
  const match = url.pathname.match(/^\/functions\/v1\/([^/]+)(\/.*)?$/);
  if (!match) return jsonError(404, "not_found", "no route for this path");
  const name = match[1];
  if (!functionExists(name)) {
    return jsonError(404, "not_found", `function '${name}' not found`);
  }
  if (req.method !== "OPTIONS" && verifyJwt.get(name) !== false) {
    const auth = req.headers.get("authorization") ?? "";
    if (!auth) {
      return jsonError(401, "unauthorized", "Missing authorization header");
    }
    const token = auth.match(/^Bearer\s+(.+)$/i)?.[1];
    const problem = token ? await jwtProblem(token) : "Invalid JWT: not a Bearer token";
    if (problem) return jsonError(401, "unauthorized", problem);
  }
  let worker: Worker;
  try {
    worker = await getWorker(name);
  } catch (err) {
    console.error(`boot error: ${(err as Error).message}`);
    return jsonError(503, "boot_error", `function '${name}' failed to start`);
  }
  const headers = new Headers(req.headers);
  headers.delete("host");
  const target = `http://127.0.0.1:${worker.port}/${name}${match[2] ?? ""}${url.search}`;
  try {
    // The body is read whole before forwarding: streaming it costs ~40 ms a request here.
    const body = req.method === "GET" || req.method === "HEAD" ? undefined : await readBody(req);
    if (body === null) {
      return jsonError(
        413,
        "payload_too_large",
        `the body is over ${MAX_BODY_BYTES} bytes`,
      );
    }
    return await fetch(target, {
      method: req.method,
      headers,
      body,
      redirect: "manual",
    });
  } catch (err) {
    console.error(`function ${name} failed: ${(err as Error).message}`);
    return jsonError(
      502,
      "function_error",
      `function '${name}' did not answer`,
    );
  }
}

if (import.meta.main) {
  const verifyJwt = readVerifyJwt();
  Deno.serve({ hostname: "127.0.0.1", port: PORT }, async (req) => {
    const started = performance.now();
    const res = await handle(req, verifyJwt);
    const path = new URL(req.url).pathname;
    console.log(
      `${req.method} ${path} ${res.status} ${(performance.now() - started).toFixed(1)}ms`,
    );
    return res;
  });
}
