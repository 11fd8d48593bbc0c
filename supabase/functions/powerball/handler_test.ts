// The powerball handler against the real local database (scripts/stack up; draws ingested and
// models published): valid tickets for many seeds, determinism, the response's contract, errors.
//   deno test --config supabase/functions/deno.json --allow-all \
//     --preload scripts/local/edge_runtime_shim.ts supabase/functions/powerball
import assert from "node:assert/strict";
import { builtinOrt } from "../_shared/ort.ts";
import { DISCLAIMER, handler, MAX_COUNT, recentDraws, RED_MODEL, WHITE_MODEL } from "./handler.ts";
import { activeModels, predictRows } from "../_shared/models.ts";
import { nextDrawFeatures } from "../_shared/powerball/features.ts";
import { drawTickets, samplingWeights } from "../_shared/powerball/sampling.ts";
import { withDb } from "../_shared/db.ts";

// db.ts reads the URL at the first query; scripts/test exports it, this is the local default.
if (!Deno.env.get("SUPABASE_DB_URL")) {
  Deno.env.set("SUPABASE_DB_URL", "postgresql://postgres:postgres@127.0.0.1:54322/postgres");
}

// The pool and the onnxruntime sessions live for the whole process, as in the function.
const opts = { sanitizeOps: false, sanitizeResources: false };

interface Ticket {
  white: number[];
  powerball: number;
}

// deno-lint-ignore no-explicit-any
type Body = any;

async function call(body?: unknown, method = "POST"): Promise<{ status: number; body: Body }> {
  const init: RequestInit = { method, headers: { "content-type": "application/json" } };
  if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
  const res = await handler(new Request("http://localhost/functions/v1/powerball", init));
  return { status: res.status, body: await res.json() };
}

function assertValidTicket(t: Ticket): void {
  assert.deepEqual(Object.keys(t).sort(), ["powerball", "white"]);
  assert.equal(t.white.length, 5);
  for (let i = 0; i < 5; i++) {
    assert(Number.isInteger(t.white[i]) && t.white[i] >= 1 && t.white[i] <= 69, `${t.white}`);
    if (i > 0) assert(t.white[i - 1] < t.white[i], `not sorted and distinct: ${t.white}`);
  }
  assert(Number.isInteger(t.powerball) && t.powerball >= 1 && t.powerball <= 26);
}

Deno.test({
  name: "a call with a seed: the response's contract",
  ...opts,
  async fn() {
    const { status, body } = await call({ count: 3, seed: 42 });
    assert.equal(status, 200);
    assert.deepEqual(Object.keys(body).sort(), [
      "based_on",
      "count",
      "disclaimer",
      "engine",
      "model_versions",
      "seed",
      "skill_vs_uniform",
      "tickets",
    ]);
    assert.equal(body.count, 3);
    assert.equal(body.seed, 42);
    assert.equal(body.tickets.length, 3);
    body.tickets.forEach(assertValidTicket);
    assert.deepEqual(Object.keys(body.model_versions).sort(), [RED_MODEL, WHITE_MODEL].sort());
    assert.equal(body.engine, builtinOrt() ? "builtin" : "web");
    const [last] = await withDb((sql) =>
      sql<{ n: number; last: string }[]>`
        select count(*)::int as n, max(draw_date)::text as last from public.powerball_draws`
    );
    assert.deepEqual(body.based_on, { draws: Math.min(100, last.n), last_draw_date: last.last });
    for (const [key, model] of [["white", WHITE_MODEL], ["powerball", RED_MODEL]]) {
      const skill = body.skill_vs_uniform[key];
      assert.equal(skill.model, model);
      assert.equal(skill.version, body.model_versions[model]);
      assert.equal(typeof skill.summary, "string");
      assert(skill.summary.includes("uniform"), skill.summary);
      assert.equal(typeof skill.beats_uniform, "boolean");
      assert.equal(skill.log_loss_skill_ci95.length, 2);
      assert.equal(skill.top_pick_mean_hits_ci95.length, 2);
    }
    assert.equal(body.disclaimer, DISCLAIMER);
    assert(!body.disclaimer.includes("\n"));
  },
});

Deno.test({
  name: "every ticket is valid over many seeds (including 0 and 2^32-1)",
  ...opts,
  async fn() {
    const seeds = [0, 0xffffffff, ...Array.from({ length: 48 }, (_, i) => (i * 2654435761) >>> 0)];
    const answers = await Promise.all(seeds.map((seed) => call({ count: MAX_COUNT, seed })));
    for (const [i, { status, body }] of answers.entries()) {
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.seed, seeds[i]);
      assert.equal(body.tickets.length, MAX_COUNT);
      body.tickets.forEach(assertValidTicket);
    }
  },
});

Deno.test({
  name: "determinism: the same seed gives the same tickets; other seeds give others",
  ...opts,
  async fn() {
    const a = await call({ seed: 123456789, count: 10 });
    const b = await call({ count: 10, seed: 123456789 });
    assert.deepEqual(a.body.tickets, b.body.tickets);
    // the first tickets of a longer request are those of a shorter one with the same seed
    const c = await call({ seed: 123456789, count: 2 });
    assert.deepEqual(c.body.tickets, a.body.tickets.slice(0, 2));
    const others = await Promise.all([1, 2, 3].map((seed) => call({ seed, count: 10 })));
    const all = [a, ...others].map((r) => JSON.stringify(r.body.tickets));
    assert.equal(new Set(all).size, all.length);
  },
});

Deno.test({
  name: "the tickets are the model's: drawn from its weights for the next draw",
  ...opts,
  async fn() {
    const { body } = await call({ seed: 2024, count: 5 });
    const models = await activeModels([WHITE_MODEL, RED_MODEL]);
    const features = nextDrawFeatures((await recentDraws()).draws);
    const white = await predictRows(models.get(WHITE_MODEL)!, features.white, 69);
    const red = await predictRows(models.get(RED_MODEL)!, features.red, 26);
    const col1 = (p: number[], n: number) => Array.from({ length: n }, (_, i) => p[i * 2 + 1]);
    const expected = drawTickets(
      samplingWeights(col1(white.probabilities, 69)),
      samplingWeights(col1(red.probabilities, 26)),
      5,
      2024,
    );
    assert.deepEqual(body.tickets, expected);
  },
});

Deno.test({
  name: "defaults: an empty body or {} gives one ticket and a random seed",
  ...opts,
  async fn() {
    const seeds = new Set<number>();
    for (const body of [undefined, {}, "", " "]) {
      const r = await call(body);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.count, 1);
      assert.equal(r.body.tickets.length, 1);
      assert(Number.isInteger(r.body.seed) && r.body.seed >= 0 && r.body.seed <= 0xffffffff);
      seeds.add(r.body.seed);
      // the returned seed replays the answer
      const again = await call({ seed: r.body.seed });
      assert.deepEqual(again.body.tickets, r.body.tickets);
    }
    assert(seeds.size > 1);
  },
});

Deno.test({
  name: "errors: 400 malformed JSON, 405 other methods, 422 bad fields, JSON error bodies",
  ...opts,
  async fn() {
    const cases: [unknown, number, string?][] = [
      ["{", 400],
      ['{"count": 1,}', 400],
      ["[1, 2]", 422],
      ["5", 422],
      ["null", 422],
      [{ count: 0 }, 422, "count"],
      [{ count: MAX_COUNT + 1 }, 422, "count"],
      [{ count: 1.5 }, 422, "count"],
      [{ count: "3" }, 422, "count"],
      [{ count: null }, 422, "count"],
      [{ count: true }, 422, "count"],
      [{ count: [2] }, 422, "count"],
      [{ seed: -1 }, 422, "seed"],
      [{ seed: 2 ** 32 }, 422, "seed"],
      [{ seed: 0.5 }, 422, "seed"],
      [{ seed: "42" }, 422, "seed"],
      [{ seed: null }, 422, "seed"],
      [{ seed: 1, extra: 1 }, 422, "extra"],
      [{ game_id: 1 }, 422, "game_id"],
    ];
    for (const [body, status, mention] of cases) {
      const r = await call(body);
      assert.equal(r.status, status, `${JSON.stringify(body)} -> ${r.status}`);
      assert.deepEqual(Object.keys(r.body), ["error"]);
      assert.equal(typeof r.body.error.code, "string");
      assert.equal(typeof r.body.error.message, "string");
      if (mention) assert(r.body.error.message.includes(mention), r.body.error.message);
    }
    for (const method of ["GET", "PUT", "DELETE"]) {
      const r = await call(undefined, method);
      assert.equal(r.status, 405);
      assert.equal(r.body.error.code, "method_not_allowed");
    }
    const big = await call(JSON.stringify({ seed: 1, pad: "x".repeat(70_000) }));
    assert.equal(big.status, 413);
    const preflight = await handler(new Request("http://localhost/", { method: "OPTIONS" }));
    assert.equal(preflight.status, 200);
    await preflight.body?.cancel();
  },
});
