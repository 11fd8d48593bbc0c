/**
 * The `predict` handler, imported (not over HTTP), against the real local database
 * (SUPABASE_DB_URL; scripts/test exports the stack's env). Needs the shipped data and models:
 * `python -m trainer ingest && python -m trainer publish` must have run first.
 */
import assert from "node:assert/strict";
import { handler, MAX_GAMES } from "./handler.ts";
import { db } from "../_shared/db.ts";
import { recommendation } from "../_shared/scratchoff/prediction.ts";
import { builtinOrt } from "../_shared/ort.ts";

// The pool of _shared/db.ts and the onnxruntime sessions live for the whole process (as in the
// edge runtime), so the per-test resource and op sanitizers are off.
function test(name: string, fn: () => Promise<void>): void {
  Deno.test({ name: `predict: ${name}`, sanitizeOps: false, sanitizeResources: false, fn });
}

interface Row {
  id: number;
  state: string;
  game_number: string;
  snapshot_date: string;
}

let known: Promise<{ latest: string; first: string; games: Row[] }> | undefined;

/** The data the tests need, read from the database; fails clearly when it is not loaded. */
function data(): Promise<{ latest: string; first: string; games: Row[] }> {
  known ??= (async () => {
    const sql = db();
    const [{ n }] = await sql<{ n: number }[]>`select count(*)::int as n from public.games`;
    const [{ models }] = await sql<{ models: number }[]>`
      select count(*)::int as models from public.model_registry
      where is_active and name like any (array['ev_change_14d_%', 'top_prize_claim_14d_%'])`;
    if (n === 0 || models < 4) {
      throw new Error(
        `the database at SUPABASE_DB_URL has ${n} games and ${models} active scratch-off models:` +
          " run python -m trainer ingest && python -m trainer publish first",
      );
    }
    const [{ latest, first }] = await sql<{ latest: string; first: string }[]>`
      select max(snapshot_date)::text as latest, min(snapshot_date)::text as first
      from public.prize_tier_snapshots`;
    const games = await sql<Row[]>`
      select g.id::int as id, g.state, g.game_number, max(t.snapshot_date)::text as snapshot_date
      from public.games g join public.prize_tier_snapshots t on t.game_id = g.id
      where g.is_active group by g.id
      -- games with data of the latest day: fresh at that date (another state's older feed is not)
      having max(t.snapshot_date) = ${latest}::date order by g.id`;
    return { latest, first, games };
  })();
  return known;
}

function post(body: unknown, init: RequestInit = {}): Promise<Response> {
  return handler(
    new Request("http://localhost/predict", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
      ...init,
    }),
  );
}

/** Every error: the status asked for, JSON {"error": {"code", "message"}} and nothing else. */
async function expectError(res: Response, status: number, code: string): Promise<string> {
  const text = await res.text();
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${text}`);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  const body = JSON.parse(text);
  assert.deepEqual(Object.keys(body), ["error"]);
  assert.deepEqual(Object.keys(body.error).sort(), ["code", "message"]);
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, "string");
  assert.ok(body.error.message.length > 0);
  assert.doesNotMatch(text, /at .*\.ts:\d+|Error:/, "no stack trace reaches the client");
  return body.error.message;
}

// deno-lint-ignore no-explicit-any
type Json = any;

function checkResult(result: Json, game: Row, date: string): void {
  assert.equal(result.game.id, game.id);
  assert.equal(result.game.state, game.state);
  assert.equal(result.game.game_number, game.game_number);
  assert.equal(result.prediction_date, date);
  assert.equal(result.snapshot_date, game.snapshot_date <= date ? game.snapshot_date : null);
  assert.equal(typeof result.model_version, "string");
  // the runtime's built-in engine when it has one (the stack's default, as hosted)
  assert.equal(result.engine, builtinOrt() ? "builtin" : "web");
  const p = result.prediction;
  assert.ok(p !== null, `game ${game.id}: no prediction (${result.reason})`);
  assert.equal(result.reason, null);
  assert.ok(p.ai_score >= 0 && p.ai_score <= 100, `ai_score ${p.ai_score}`);
  assert.equal(p.recommendation, recommendation(p.ai_score));
  assert.ok(
    p.win_probability > 0 && p.win_probability <= 1,
    `win_probability ${p.win_probability}`,
  );
  assert.ok(p.confidence_level >= 0 && p.confidence_level <= 100);
  // win_probability and expected_value (net) come from the analytics, not from a model.
  assert.equal(p.win_probability, result.analytics.win_probability);
  assert.equal(p.expected_value, result.analytics.net_ev);
  assert.equal(p.expected_value, result.analytics.gross_ev - result.analytics.ticket_price);
  assert.match(p.reasoning, /^Net expected value is (positive|negative|zero): /);
  assert.equal(result.features.ticket_price, result.game.ticket_price);
  assert.equal(result.features.ev_per_dollar, result.analytics.ev_per_dollar);
}

test("a real game by (state, game_number) and by game_id: the same answer", async () => {
  const { latest, games } = await data();
  const game = games[0];
  const byKey = await post({ state: game.state, game_number: game.game_number, date: latest });
  assert.equal(byKey.status, 200);
  assert.equal(byKey.headers.get("access-control-allow-origin"), "*");
  const a = (await byKey.json()).result;
  checkResult(a, game, latest);
  const b = (await (await post({ game_id: game.id, date: latest })).json()).result;
  assert.deepEqual(b, a);
  // a lower-case state and an integer game number name the same game
  const c = await post({
    state: game.state.toLowerCase(),
    game_number: Number(game.game_number),
    date: latest,
  });
  assert.equal(c.status, 200);
  assert.deepEqual((await c.json()).result, a);
  console.log(
    `game ${game.id} ${game.state}-${game.game_number} on ${latest}:`,
    `ai_score ${a.prediction.ai_score.toFixed(2)} ${a.prediction.recommendation},`,
    `EV ${a.prediction.expected_value.toFixed(4)}, P(win) ${a.prediction.win_probability}`,
  );
});

test("the date picks the latest snapshot on or before it; before the first, no prediction", async () => {
  const { first, games } = await data();
  const game = games[0];
  const mid = new Date(Date.parse(`${first}T00:00:00Z`) + 30 * 86400000).toISOString().slice(
    0,
    10,
  );
  const [{ expected }] = await db()<{ expected: string | null }[]>`
    select max(snapshot_date)::text as expected from public.prize_tier_snapshots
    where game_id = ${game.id} and snapshot_date <= ${mid}`;
  const r = (await (await post({ game_id: game.id, date: mid })).json()).result;
  assert.equal(r.snapshot_date, expected);
  if (expected !== null) assert.ok(r.prediction !== null);
  const early = (await (await post({ game_id: game.id, date: "2000-01-01" })).json()).result;
  assert.equal(early.snapshot_date, null);
  assert.equal(early.prediction, null);
  assert.equal(early.analytics, null);
  assert.equal(early.reason, "no snapshot on or before the date");
});

test("a list: results in the order asked, unknown games marked not_found", async () => {
  const { latest, games } = await data();
  const [g1, g2] = [games[0], games[games.length - 1]];
  const refs = [
    { game_id: g2.id },
    { state: "ZZ", game_number: "no-such-game" },
    { state: g1.state, game_number: g1.game_number },
    { game_id: 2 ** 40 },
  ];
  const res = await post({ games: refs, date: latest });
  assert.equal(res.status, 200);
  const { results } = await res.json();
  assert.equal(results.length, 4);
  checkResult(results[0], g2, latest);
  checkResult(results[2], g1, latest);
  for (const i of [1, 3]) {
    assert.deepEqual(results[i].error, { code: "not_found", message: "no such game" });
    assert.deepEqual(results[i].request, refs[i]);
  }
});

test(`${MAX_GAMES} games are answered, ${MAX_GAMES + 1} are 413`, async () => {
  const { latest, games } = await data();
  const refs = Array.from(
    { length: MAX_GAMES },
    (_, i) => ({ game_id: games[i % games.length].id }),
  );
  const ok = await post({ games: refs, date: latest });
  assert.equal(ok.status, 200);
  const { results } = await ok.json();
  assert.equal(results.length, MAX_GAMES);
  results.forEach((r: Json, i: number) => assert.equal(r.game.id, refs[i].game_id));
  await expectError(
    await post({ games: [...refs, { game_id: 1 }], date: latest }),
    413,
    "too_many_games",
  );
});

test("a publish is seen by the next request: versions are read with the games", async () => {
  const { latest, games } = await data();
  const body = { game_id: games[0].id, date: latest };
  const before = (await (await post(body)).json()).result;
  const sql = db();
  const name = "ev_change_14d_rf";
  const [{ version }] = await sql<{ version: string }[]>`
    select version from public.model_registry where name = ${name} and is_active`;
  const copy = `${version}-republished`;
  try {
    // the same bytes under a new version, made active the way publish does
    await sql.begin(async (tx) => {
      await tx`
        insert into public.model_registry (name, version, sha256, onnx, manifest)
        select name, ${copy}, sha256, onnx, manifest from public.model_registry
        where name = ${name} and version = ${version}`;
      await tx`update public.model_registry set is_active = false where name = ${name}`;
      await tx`update public.model_registry set is_active = true
        where name = ${name} and version = ${copy}`;
    });
    const after = (await (await post(body)).json()).result;
    assert.notEqual(after.model_version, before.model_version, "the new version is served");
    assert.deepEqual(after.prediction, before.prediction, "same bytes, same answer");
  } finally {
    await sql.begin(async (tx) => {
      await tx`update public.model_registry set is_active = false where name = ${name}`;
      await tx`update public.model_registry set is_active = true
        where name = ${name} and version = ${version}`;
      await tx`delete from public.model_registry where name = ${name} and version = ${copy}`;
    });
  }
  const restored = (await (await post(body)).json()).result;
  assert.equal(restored.model_version, before.model_version);
});

test("an unknown game is 404", async () => {
  await expectError(await post({ game_id: 2 ** 40 }), 404, "not_found");
  await expectError(await post({ state: "ZZ", game_number: "0000" }), 404, "not_found");
});

test("malformed JSON is 400", async () => {
  for (const body of ["{", '{"game_id": 1,}', "not json", "{'game_id': 1}"]) {
    await expectError(await post(body), 400, "malformed_json");
  }
});

test("wrong types are 422", async () => {
  const bad: unknown[] = [
    [1, 2],
    "1",
    {},
    { game_id: "1" },
    { game_id: 1.5 },
    { game_id: 0 },
    { game_id: null },
    { state: 48, game_number: "2400" },
    { state: "TEX", game_number: "2400" },
    { state: "TX" },
    { state: "TX", game_number: "" },
    { state: "TX", game_number: 1.5 },
    { state: "TX", game_number: ["2400"] },
    { games: "1" },
    { games: [] },
    { games: [1] },
    { games: [{ game_id: "x" }] },
    { game_id: 1, date: "2026-02-30" },
    { game_id: 1, date: 20260401 },
  ];
  for (const body of bad) {
    const message = await expectError(await post(body), 422, "invalid_body");
    assert.ok(message.length < 200, message);
  }
});

test("unknown fields are 422", async () => {
  for (
    const body of [
      { game_id: 1, foo: 1 },
      { state: "TX", game_number: "2400", gameid: 1 },
      { game_id: 1, state: "TX", game_number: "2400" },
      { games: [{ game_id: 1 }], limit: 5 },
      { games: [{ game_id: 1, extra: true }] },
    ]
  ) {
    const message = await expectError(await post(body), 422, "invalid_body");
    assert.match(message, /unknown field/);
  }
});

test("a body over 64 KiB is 413", async () => {
  const body = JSON.stringify({ game_id: 1, pad: "x".repeat(70 * 1024) });
  await expectError(await post(body), 413, "payload_too_large");
});

test("GET and other methods are 405", async () => {
  for (const method of ["GET", "PUT", "DELETE", "PATCH"]) {
    const res = await handler(new Request("http://localhost/predict", { method }));
    await expectError(res, 405, "method_not_allowed");
  }
});

test("OPTIONS is the CORS preflight: 200 with the CORS headers", async () => {
  const res = await handler(
    new Request("http://localhost/predict", {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    }),
  );
  await res.body?.cancel();
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  assert.match(res.headers.get("access-control-allow-methods") ?? "", /POST/);
  for (const h of ["authorization", "apikey", "content-type", "x-client-info"]) {
    assert.match(res.headers.get("access-control-allow-headers") ?? "", new RegExp(h));
  }
});
