/**
 * The `scorecard` handler, imported: refusals that write nothing (against the real local
 * database; scripts/test exports the stack's env), and the grouping of scored rows into one
 * model_performance row per (model version, day served). The scheduled path, the replay of the
 * shipped history and the figures are tested by supabase/tests/test_scorecard.py.
 */
import assert from "node:assert/strict";
import { handler, performanceRows } from "./handler.ts";
import { db } from "../_shared/db.ts";

function test(name: string, fn: () => Promise<void> | void): void {
  Deno.test({ name: `scorecard: ${name}`, sanitizeOps: false, sanitizeResources: false, fn });
}

function call(body: unknown, key: string | undefined): Promise<Response> {
  return handler(
    new Request("http://localhost/scorecard", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
    }),
  );
}

test("refused calls answer a JSON error and write nothing", async () => {
  const [{ n: before }] = await db()<{ n: number }[]>`
    select count(*)::int as n from public.model_performance`;
  const cases: [unknown, string | undefined, number, string][] = [
    [{}, Deno.env.get("SUPABASE_ANON_KEY"), 403, "forbidden"],
    [{ run_date: "yesterday" }, Deno.env.get("SUPABASE_SERVICE_ROLE_KEY"), 422, "invalid_body"],
    [{ run_date: "2026-08-04", x: 1 }, Deno.env.get("SUPABASE_SERVICE_ROLE_KEY"), 422, ""],
  ];
  for (const [body, key, status, code] of cases) {
    const res = await call(body, key);
    const payload = await res.json();
    assert.equal(res.status, status, JSON.stringify(payload));
    if (code) assert.equal(payload.error.code, code);
    assert.ok(payload.error.message.length > 0);
  }
  const [{ n: after }] = await db()<{ n: number }[]>`
    select count(*)::int as n from public.model_performance`;
  assert.equal(after, before);
});

test("one row per model version and day served, baselines from the known label counts", () => {
  const row = (version: string, day: string, change: number, claim: number) => ({
    model_version: version,
    prediction_date: day,
    outcome_date: "2026-07-15",
    forecast_change: 0.001,
    realized_change: change,
    trend_change: 0.0,
    claim_probability: 0.5,
    realized_claim: claim,
    ev_per_dollar: 0.7,
    ai_score: 50,
    recommendation: "neutral",
    base_n: 10,
    base_claims: 2,
    game_n: 0,
    game_claims: 0,
  });
  const rows = performanceRows([
    row("a", "2026-07-01", 0.002, 1),
    row("a", "2026-07-01", -0.001, 0),
    row("a", "2026-07-02", 0.0, 0),
    row("b", "2026-07-01", 0.003, 1),
  ]);
  assert.deepEqual(
    rows.map((r) => [r.model_version, r.evaluation_date, r.test_set_size]),
    [["a", "2026-07-01", 2], ["a", "2026-07-02", 1], ["b", "2026-07-01", 1]],
  );
  // base rate 2/10 = 0.2; the game has no labels, so its rate is the base rate too
  assert.equal(rows[0].brier_base_rate, ((0.2 - 1) ** 2 + 0.2 ** 2) / 2);
  assert.equal(rows[0].brier_game_rate, rows[0].brier_base_rate);
});
