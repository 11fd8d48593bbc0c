/**
 * The `daily-batch` handler, imported (not over HTTP), against the real local database
 * (SUPABASE_DB_URL; scripts/test exports the stack's env). Needs the shipped data and models:
 * `python -m trainer ingest && python -m trainer publish` must have run first. Writes predictions
 * only for its own fixed run dates and deletes them afterwards.
 */
import { builtinOrt } from "../_shared/ort.ts";
import assert from "node:assert/strict";
import { handler } from "./handler.ts";
import { handler as predict } from "../predict/handler.ts";
import { db } from "../_shared/db.ts";

// The pool of _shared/db.ts and the onnxruntime sessions live for the whole process (as in the
// edge runtime), so the per-test resource and op sanitizers are off.
function test(name: string, fn: (t: Deno.TestContext) => Promise<void>): void {
  Deno.test({ name: `daily-batch: ${name}`, sanitizeOps: false, sanitizeResources: false, fn });
}

// Fixed dates inside the shipped data (2026-03-29 .. 2026-07-21), used by nobody else.
const RUN_DATE = "2026-07-19";
const AUTH_DATE = "2026-07-18"; // refused calls must write nothing for it

/** A JWT-shaped token with this role. The gateway verifies signatures; the handler reads the role
 * claim only (_shared/auth.ts), so the stack's real keys are used when the env has them. */
function token(role: string): string {
  const real: Record<string, string | undefined> = {
    anon: Deno.env.get("SUPABASE_ANON_KEY"),
    service_role: Deno.env.get("SUPABASE_SERVICE_ROLE_KEY"),
  };
  if (real[role]) return real[role]!;
  const b64 = (o: unknown) =>
    btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ role, iss: "supabase-demo" })}.sig`;
}

function call(
  body: unknown,
  authorization: string | null = `Bearer ${token("service_role")}`,
  method = "POST",
): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (authorization !== null) headers.authorization = authorization;
  return handler(
    new Request("http://localhost/daily-batch", {
      method,
      headers,
      body: method === "GET" ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    }),
  );
}

async function expectError(res: Response, status: number, code: string): Promise<void> {
  const text = await res.text();
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${text}`);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  const body = JSON.parse(text);
  assert.deepEqual(Object.keys(body), ["error"]);
  assert.deepEqual(Object.keys(body.error).sort(), ["code", "message"]);
  assert.equal(body.error.code, code);
  assert.ok(typeof body.error.message === "string" && body.error.message.length > 0);
}

async function requireData(): Promise<void> {
  const [{ n, models }] = await db()<{ n: number; models: number }[]>`
    select (select count(*)::int from public.games where is_active) as n,
      (select count(*)::int from public.model_registry where is_active
        and name like any (array['ev_change_14d_%', 'top_prize_claim_14d_%'])) as models`;
  if (n === 0 || models < 4) {
    throw new Error(
      `the database at SUPABASE_DB_URL has ${n} active games and ${models} active scratch-off` +
        " models: run python -m trainer ingest && python -m trainer publish first",
    );
  }
}

async function predictionCount(day: string): Promise<number> {
  const [{ n }] = await db()<{ n: number }[]>`
    select count(*)::int as n from public.predictions where prediction_date = ${day}`;
  return n;
}

async function deleteRun(day: string): Promise<void> {
  await db()`delete from public.predictions where prediction_date = ${day}`;
}

test("no token is 401; anon and authenticated are 403; nothing is written", async () => {
  await requireData();
  await deleteRun(AUTH_DATE);
  await expectError(await call({ run_date: AUTH_DATE }, null), 401, "unauthorized");
  await expectError(await call({ run_date: AUTH_DATE }, "Basic abc"), 401, "unauthorized");
  await expectError(await call({ run_date: AUTH_DATE }, "Bearer not-a-jwt"), 401, "unauthorized");
  await expectError(
    await call({ run_date: AUTH_DATE }, `Bearer ${token("anon")}`),
    403,
    "forbidden",
  );
  await expectError(
    await call({ run_date: AUTH_DATE }, `Bearer ${token("authenticated")}`),
    403,
    "forbidden",
  );
  assert.equal(await predictionCount(AUTH_DATE), 0);
});

test("bad requests: 405, 400, 422, all JSON errors", async () => {
  await expectError(await call(undefined, undefined, "GET"), 405, "method_not_allowed");
  await expectError(await call("{"), 400, "malformed_json");
  await expectError(await call({ run_date: "2026-02-30" }), 422, "invalid_body");
  await expectError(await call({ run_date: 20260719 }), 422, "invalid_body");
  await expectError(await call({ run_date: RUN_DATE, dry_run: true }), 422, "invalid_body");
  await expectError(await call([RUN_DATE]), 422, "invalid_body");
});

// deno-lint-ignore no-explicit-any
type Json = any;

test("a run writes one prediction per predictable active game; a rerun changes nothing", async (t) => {
  await requireData();
  await deleteRun(RUN_DATE);
  const sql = db();
  // What the database says should be predictable: active games whose latest snapshot on or before
  // the run date has valid metrics (as stored by ingest, from the Python reference) and is within
  // its state's freshness limit.
  const expected = await sql<{ id: number; predictable: boolean }[]>`
    select g.id::int as id, coalesce(h.reason is null and h.ev_per_dollar is not null
      and d.day >= ${RUN_DATE}::date - coalesce((select f.stale_after_days
        from public.feed_sources f where f.state = g.state), 3), false) as predictable
    from public.games g
    left join lateral (select max(snapshot_date) as day from public.prize_tier_snapshots
      where game_id = g.id and snapshot_date <= ${RUN_DATE}) d on true
    left join public.historical_snapshots h on h.game_id = g.id and h.snapshot_date = d.day
    where g.is_active order by g.id`;
  const predictable = expected.filter((g) => g.predictable).map((g) => g.id);
  try {
    let first: Json;
    await t.step("first run: every predictable active game inserted", async () => {
      const res = await call({ run_date: RUN_DATE });
      assert.equal(res.status, 200, await res.clone().text());
      first = await res.json();
      console.log(
        `run ${RUN_DATE}: games ${first.games}, predictions ${JSON.stringify(first.predictions)},`,
        `historical_snapshots ${JSON.stringify(first.historical_snapshots)},`,
        `skipped ${first.skipped.length}, timings ${JSON.stringify(first.timings_ms)}`,
      );
      assert.equal(first.run_date, RUN_DATE);
      assert.equal(first.engine, builtinOrt() ? "builtin" : "web", "the result names the engine");
      assert.equal(first.games, expected.length);
      assert.equal(first.predictions.rows, predictable.length);
      assert.equal(first.predictions.rows, first.games - first.skipped.length);
      assert.equal(first.predictions.inserted, predictable.length);
      assert.equal(first.predictions.updated, 0);
      for (const s of first.skipped) assert.ok(typeof s.reason === "string" && s.reason.length > 0);
      const rows = await sql<{ game_id: number; model_version: string }[]>`
        select game_id::int as game_id, model_version from public.predictions
        where prediction_date = ${RUN_DATE} order by game_id`;
      assert.deepEqual(rows.map((r) => r.game_id), predictable);
      assert.ok(rows.every((r) => r.model_version === first.model_version));
      assert.deepEqual(
        Object.keys(first.models).sort(),
        [
          "ev_change_14d_rf",
          "ev_change_14d_xgb",
          "top_prize_claim_14d_rf",
          "top_prize_claim_14d_xgb",
        ],
      );
    });

    await t.step("the stored rows are what predict answers for the same date", async () => {
      const ids = predictable.slice(0, 100);
      const res = await predict(
        new Request("http://localhost/predict", {
          method: "POST",
          body: JSON.stringify({ games: ids.map((id) => ({ game_id: id })), date: RUN_DATE }),
        }),
      );
      const { results } = await res.json();
      const stored = await sql<Json[]>`
        select game_id::int as game_id, ai_score, win_probability, expected_value,
          confidence_level, recommendation, reasoning, features_used, model_version
        from public.predictions where prediction_date = ${RUN_DATE} and game_id = any(${ids})
        order by game_id`;
      assert.equal(stored.length, ids.length);
      stored.forEach((row, i) => {
        const live = results[i];
        assert.equal(live.game.id, row.game_id);
        assert.equal(live.model_version, row.model_version);
        for (
          const f of [
            "ai_score",
            "win_probability",
            "expected_value",
            "confidence_level",
            "recommendation",
            "reasoning",
          ]
        ) {
          assert.equal(row[f], live.prediction[f], `game ${row.game_id} ${f}`);
        }
        assert.deepEqual(row.features_used, {
          snapshot_date: live.snapshot_date,
          ...live.features,
        });
      });
    });

    await t.step("a rerun: inserted 0, updated 0, the rows untouched", async () => {
      const before = await sql<{ id: number; xmin: string }[]>`
        select id::int as id, xmin::text as xmin from public.predictions
        where prediction_date = ${RUN_DATE} order by id`;
      const res = await call({ run_date: RUN_DATE });
      assert.equal(res.status, 200);
      const again = await res.json();
      assert.equal(again.model_version, first.model_version);
      assert.deepEqual(again.predictions, { rows: predictable.length, inserted: 0, updated: 0 });
      assert.equal(again.historical_snapshots.inserted, 0);
      assert.equal(again.historical_snapshots.updated, 0);
      const after = await sql<{ id: number; xmin: string }[]>`
        select id::int as id, xmin::text as xmin from public.predictions
        where prediction_date = ${RUN_DATE} order by id`;
      assert.deepEqual(after, before);
    });

    await t.step("a row changed behind its back is put back, and only that row", async () => {
      const [victim] = await sql<{ id: number; reasoning: string }[]>`
        update public.predictions set reasoning = 'tampered', ai_score = 0
        where prediction_date = ${RUN_DATE} and game_id = ${predictable[0]}
        returning id::int as id`;
      const again = await (await call({ run_date: RUN_DATE })).json();
      assert.deepEqual(again.predictions, { rows: predictable.length, inserted: 0, updated: 1 });
      const [row] = await sql<{ reasoning: string }[]>`
        select reasoning from public.predictions where id = ${victim.id}`;
      assert.match(row.reasoning, /^Net expected value is /);
      assert.equal(await predictionCount(RUN_DATE), predictable.length);
    });
  } finally {
    await deleteRun(RUN_DATE);
  }
});

test("two parts of the day write exactly the rows of the whole day", async () => {
  await requireData();
  const day = "2026-07-11"; // used by no other test
  const rows = () =>
    db()<{ game_id: number; model_version: string; ai_score: string; data_as_of: string }[]>`
      select game_id, model_version, ai_score::text, data_as_of::text from public.predictions
      where prediction_date = ${day} order by game_id`;
  const clear = () => db()`delete from public.predictions where prediction_date = ${day}`;
  await clear();
  try {
    const whole = await (await call({ run_date: day })).json();
    assert.equal(whole.part, null);
    const all = await rows();
    assert.ok(all.length > 1, "the whole day predicted fewer than two games");
    await clear();
    const ids = (await db()<{ id: number }[]>`
      select id from public.games where is_active order by id`).map((r) => Number(r.id));
    const mid = ids[Math.floor(ids.length / 2)];
    const parts = [
      { from_game_id: ids[0], to_game_id: mid },
      { from_game_id: mid + 1, to_game_id: ids[ids.length - 1] },
    ];
    const answers = [];
    for (const part of parts) {
      const res = await call({ run_date: day, part });
      assert.equal(res.status, 200);
      answers.push(await res.json());
    }
    assert.deepEqual(answers.map((a) => a.part), parts);
    assert.equal(answers[0].games + answers[1].games, whole.games);
    assert.equal(
      answers[0].predictions.inserted + answers[1].predictions.inserted,
      whole.predictions.rows,
    );
    assert.deepEqual(await rows(), all);
  } finally {
    await clear();
  }
});
