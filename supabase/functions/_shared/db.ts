// Database access for the functions: one small npm:postgres pool per isolate on SUPABASE_DB_URL
// (hosted Supabase sets it for every function). A database that is down or goes away becomes a
// 503 with a JSON error; the pool reconnects by itself when it is back.
import postgres from "postgres";
import { HttpError } from "./http.ts";

export type Sql = postgres.Sql;

let pool: Sql | undefined;

// npm:postgres 3.4.9 writes its ROLLBACK to a connection that died inside sql.begin() from a
// setImmediate callback (porsager/postgres#1208): an uncatchable TypeError, raised after the
// request has already been answered 503, that would kill the isolate. Only that one is swallowed.
globalThis.addEventListener("error", (event) => {
  const stack = event.error instanceof TypeError ? event.error.stack ?? "" : "";
  if (stack.includes("nextWrite") && stack.includes("postgres")) {
    console.error(`ignored a write to a closed database connection: ${event.error.message}`);
    event.preventDefault();
  }
});

/** A list parameter as JSON text; the SQL reads it with `jsonb_array_elements_text($n::text::jsonb)`.
 * Never a JS array: npm:postgres serializes one as "a,b" (a "malformed array literal") when a
 * connection runs a statement before it has learnt the array types, seen after cold starts and
 * database restarts. */
export function jsonList(values: readonly (string | number)[] | null): string | null {
  return values === null ? null : JSON.stringify(values);
}

export function db(): Sql {
  if (!pool) {
    const url = Deno.env.get("SUPABASE_DB_URL");
    if (!url) throw new HttpError(503, "database_unavailable", "no database is configured");
    pool = postgres(url, {
      max: Number(Deno.env.get("DB_POOL_SIZE") ?? "4"),
      connect_timeout: 5,
      idle_timeout: 30,
      // Seconds before a closed connection reconnects. postgres.js's default grows as 3^n / 100 up
      // to 20 s with every failed attempt (shared by the pool, reset only by a success), and a
      // query waits for it: with the database down a request took up to ~30 s to get its 503, and
      // after the database came back requests waited up to 20 s. Bounded to 0.5 s here.
      backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 0.5),
      prepare: true,
      // Every statement here is a fixed text prepared once per connection, so PostgreSQL's plan
      // cache applies; left on "auto" it kept re-planning predict's statement on each execution
      // (its custom plans look cheaper than the generic one), and planning cost more than running
      // it: ~0.5 ms of the database's CPU per request (docs/bench.md, "the one statement").
      connection: { plan_cache_mode: "force_generic_plan" },
      onnotice: () => {},
      // bigint ids and counts as JavaScript numbers (all far below 2^53 here), arrays included.
      types: {
        int8: {
          to: 20,
          from: [20],
          serialize: (x: number) => String(x),
          parse: (x: string) => Number(x),
        },
      },
    });
  }
  return pool;
}

// Errors that mean "the database is not reachable now", as opposed to a bad query.
const UNAVAILABLE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE", // a write to a connection the server has just closed (e.g. while it shuts down)
  "ECONNABORTED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "08006", // connection_failure
  "08001", // sqlclient_unable_to_establish_sqlconnection
]);

export function isUnavailable(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  if (code && UNAVAILABLE.has(code)) return true;
  const name = (err as { name?: string })?.name ?? "";
  return ["ConnectionRefused", "ConnectionReset", "ConnectionAborted", "BrokenPipe"].includes(name);
}

/** Drops the pool: after an outage postgres.js can keep connections that never connect again
 * (seen: CONNECT_TIMEOUT against a database that was back up), so a fresh pool is made. */
function resetPool(): void {
  const old = pool;
  pool = undefined;
  old?.end({ timeout: 0 }).catch(() => {});
}

/** Runs database work; an unreachable database becomes HttpError 503. The work is tried twice, the
 * second time on a fresh pool: after a database restart the pool's connections are dead, and every
 * caller's work is safe to repeat (reads, or one transaction of idempotent upserts). */
export async function withDb<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await work(db());
    } catch (err) {
      if (!isUnavailable(err)) throw err;
      console.error(`database unavailable (attempt ${attempt}): ${(err as Error).message}`);
      resetPool();
      if (attempt >= 2) {
        throw new HttpError(503, "database_unavailable", "the database is not reachable; retry");
      }
    }
  }
}

/** A multi-row upsert from a JSON array ($1) that writes only rows whose values differ, so a
 * rerun changes nothing; each written row returns whether it was inserted. */
export function upsertSql(table: string, key: string[], columns: string[]): string {
  const all = [...key, ...columns];
  return `insert into public.${table} (${all.join(", ")})
    select ${all.join(", ")} from jsonb_populate_recordset(null::public.${table}, $1::text::jsonb)
    on conflict (${key.join(", ")}) do update set
      ${columns.map((c) => `${c} = excluded.${c}`).join(", ")}
    where (${columns.map((c) => `${table}.${c}`).join(", ")})
      is distinct from (${columns.map((c) => `excluded.${c}`).join(", ")})
    returning (xmax = 0) as inserted`;
}

/** Counts of an upsert's result: rows given, inserted, updated (the rest were unchanged). */
export function counted(
  rows: { inserted: boolean }[],
  total: number,
): { rows: number; inserted: number; updated: number } {
  const inserted = rows.filter((r) => r.inserted).length;
  return { rows: total, inserted, updated: rows.length - inserted };
}
