/**
 * The `picks` handler, imported (not over HTTP), against the real local database
 * (SUPABASE_DB_URL; scripts/test exports the stack's env). Needs the shipped data and models
 * (`python -m trainer ingest && python -m trainer publish`). Writes the predictions of its own
 * fixed run date through the real daily-batch handler, and deletes them afterwards.
 */
import assert from "node:assert/strict";
import { handler } from "./handler.ts";
import { handler as dailyBatch } from "../daily-batch/handler.ts";
import { db } from "../_shared/db.ts";

function test(name: string, fn: () => Promise<void>): void {
  Deno.test({ name: `picks: ${name}`, sanitizeOps: false, sanitizeResources: false, fn });
}

// Inside the shipped data (2026-03-29 .. 2026-07-21), used by no other test.
const RUN_DATE = "2026-07-13";
const AFTER = "2026-07-14"; // no test writes this date, so the picks of RUN_DATE are the latest

// deno-lint-ignore no-explicit-any
type Json = any;

function post(body: unknown, method = "POST"): Promise<Response> {
  return handler(
    new Request("http://localhost/picks", {
      method,
      headers: { "content-type": "application/json" },
      body: method === "GET" ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    }),
  );
}

async function expectError(res: Response, status: number, code: string): Promise<string> {
  const text = await res.text();
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${text}`);
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  const body = JSON.parse(text);
  assert.deepEqual(Object.keys(body), ["error"]);
  assert.equal(body.error.code, code);
  assert.ok(typeof body.error.message === "string" && body.error.message.length > 0);
  return body.error.message;
}

/** The batch of RUN_DATE, written by the real daily-batch handler (service role). */
async function runBatch(): Promise<Json> {
  const key = Deno.env.get("SUPABASE_SERVICE_ROLE_KEY");
  assert.ok(key, "SUPABASE_SERVICE_ROLE_KEY is not set: run under scripts/test or the stack env");
  const res = await dailyBatch(
    new Request("http://localhost/daily-batch", {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ run_date: RUN_DATE }),
    }),
  );
  assert.equal(res.status, 200, await res.clone().text());
  return await res.json();
}

test("the day's stored rows of a state, sorted by ai_score, with the game and its snapshot", async () => {
  const batch = await runBatch();
  assert.ok(batch.predictions.rows > 0, "the batch predicted nothing: is the data loaded?");
  try {
    for (const [date, state] of [[RUN_DATE, "TX"], [AFTER, "tx"]]) {
      const res = await post({ state, date });
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal(res.headers.get("access-control-allow-origin"), "*");
      const body = await res.json();
      assert.equal(body.state, "TX");
      assert.equal(body.date, date);
      assert.equal(body.prediction_date, RUN_DATE);
      assert.equal(body.count, batch.predictions.rows);
      assert.equal(body.picks.length, batch.predictions.rows);
      const scores = body.picks.map((p: Json) => p.ai_score);
      assert.deepEqual(scores, [...scores].sort((a, b) => b - a), "best first");
      const stored = await db()<Json[]>`
        select p.game_id::int as game_id, p.ai_score, p.expected_value, p.win_probability,
          p.recommendation, p.reasoning, p.forecast_ev_per_dollar, p.model_version,
          p.data_as_of::text as data_as_of
        from public.predictions p where p.prediction_date = ${RUN_DATE}`;
      const byId = new Map(stored.map((r) => [r.game_id, r]));
      for (const pick of body.picks) {
        const row = byId.get(pick.game.id);
        assert.ok(row, `game ${pick.game.id} has no stored row`);
        for (const f of ["ai_score", "expected_value", "win_probability", "recommendation"]) {
          assert.equal(pick[f], row[f], `${pick.game.id} ${f}`);
        }
        assert.equal(pick.reasoning, row.reasoning);
        assert.equal(pick.model_version, batch.model_version);
        // the as-of date is the one the batch stored (its snapshot), never the prediction date
        assert.ok(row.data_as_of, `game ${pick.game.id} has no stored as-of date`);
        assert.equal(pick.as_of_date, row.data_as_of);
        assert.ok(pick.as_of_date <= RUN_DATE);
        assert.equal(pick.forecast_ev_per_dollar, row.forecast_ev_per_dollar);
        assert.ok(pick.forecast_ev_per_dollar > 0 && pick.ev_per_dollar > 0);
        assert.ok(pick.expected_value < 0, "every shipped game loses money on average");
        assert.ok(pick.top_prizes_left >= 0 && pick.top_prizes_left <= pick.top_prizes_printed);
        assert.equal(typeof pick.game.name, "string");
        assert.ok(pick.game.ticket_price > 0);
      }
      assert.equal(body.as_of_date, body.picks.map((p: Json) => p.as_of_date).sort().at(-1));
    }
  } finally {
    await db()`delete from public.predictions where prediction_date = ${RUN_DATE}`;
  }
});

test("no stored predictions on or before the date, or an unknown state: 200, no picks", async () => {
  for (const body of [{ state: "TX", date: "2001-01-01" }, { state: "ZZ" }]) {
    const res = await post(body);
    assert.equal(res.status, 200);
    const answer = await res.json();
    assert.equal(answer.prediction_date, null);
    assert.equal(answer.as_of_date, null);
    assert.equal(answer.count, 0);
    assert.deepEqual(answer.picks, []);
  }
});

test("bad requests are JSON errors: 400, 422, 405, 413", async () => {
  await expectError(await post("{"), 400, "malformed_json");
  for (
    const body of [
      {},
      { state: "TEX" },
      { state: 48 },
      { state: "TX", date: "2026-02-30" },
      { state: "TX", date: 20260713 },
      { state: "TX", limit: 5 },
      ["TX"],
    ]
  ) {
    await expectError(await post(body), 422, "invalid_body");
  }
  await expectError(await post(undefined, "GET"), 405, "method_not_allowed");
  await expectError(
    await post(JSON.stringify({ state: "TX", pad: "x".repeat(70 * 1024) })),
    413,
    "payload_too_large",
  );
});

test("a hostile state never reaches SQL as text: refused before the query", async () => {
  const message = await expectError(
    await post({ state: "T'; drop table games;--" }),
    422,
    "invalid_body",
  );
  assert.match(message, /2-letter/);
  const [{ n }] = await db()<{ n: number }[]>`select count(*)::int as n from public.games`;
  assert.ok(n > 0);
});
