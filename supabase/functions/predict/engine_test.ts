/**
 * `predict` when the runtime's built-in ONNX engine gives wrong numbers for one model (simulated
 * here, from the isolate's start): the engine is refused at the golden-vector check, onnxruntime-web
 * answers, and the answers are the stack's own (its predict process runs the real built-in engine,
 * or web with EDGE_RUNTIME_ORT=web). Needs the running stack with data and models, like
 * handler_test.ts. A test module of its own: the simulation lasts for the whole isolate.
 */
import assert from "node:assert/strict";
import {
  type BuiltinOrt,
  builtinOrt,
  builtinRefused,
  type Output,
  selectEngine,
} from "../_shared/ort.ts";
import { bundledEntries } from "../_shared/models.ts";
import { db } from "../_shared/db.ts";
import { handler } from "./handler.ts";

const FAULTY_MODEL = "top_prize_claim_14d_xgb";

/** The runtime's engine, except that one model's float outputs are off by 1e-3. */
function skewedFor(target: Uint8Array, real: BuiltinOrt): BuiltinOrt {
  const same = (b: Uint8Array) => b.length === target.length && b.every((v, i) => v === target[i]);
  return {
    Tensor: real.Tensor,
    InferenceSession: {
      async create(bytes) {
        const session = await real.InferenceSession.create(bytes);
        if (!same(bytes)) return session;
        return {
          inputNames: session.inputNames,
          outputNames: session.outputNames,
          async run(feeds) {
            const out: Record<string, Output> = { ...await session.run(feeds) };
            for (const [name, o] of Object.entries(out)) {
              if (o.data instanceof Float32Array) {
                out[name] = { ...o, data: o.data.map((v) => v + 1e-3) };
              }
            }
            return out;
          },
        };
      },
    },
  };
}

Deno.test({
  name: "predict: a built-in engine with wrong numbers for a model is refused; web answers",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const real = builtinOrt();
    assert.ok(real, "the shim installs the built-in engine (EDGE_RUNTIME_ORT=builtin)");
    const entry = (await bundledEntries())[FAULTY_MODEL];
    const bytes = await Deno.readFile(
      new URL(`../../../onnx_models/${entry.file}`, import.meta.url),
    );
    selectEngine(skewedFor(bytes, real));

    const games = await db()<{ id: number }[]>`
      select id::int as id from public.games where is_active order by id limit 20`;
    const [{ day }] = await db()<{ day: string }[]>`
      select max(snapshot_date)::text as day from public.historical_snapshots`;
    const body = JSON.stringify({ games: games.map((g) => ({ game_id: g.id })), date: day });
    const res = await handler(
      new Request("http://localhost/predict", { method: "POST", body }),
    );
    assert.equal(res.status, 200, await res.clone().text());
    const here = (await res.json()).results;
    assert.ok(here.every((r: { engine: string }) => r.engine === "web"), "web answered");
    assert.match(builtinRefused() ?? "", new RegExp(FAULTY_MODEL));

    // The same request to the stack's predict process, whose built-in engine is the real one.
    const url = `${Deno.env.get("SUPABASE_URL")}/functions/v1/predict`;
    const stack = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${Deno.env.get("SUPABASE_ANON_KEY")}` },
      body,
    });
    assert.equal(stack.status, 200);
    const there = (await stack.json()).results;
    const withoutEngine = (rs: Record<string, unknown>[]) =>
      rs.map(({ engine: _engine, ...rest }) => rest);
    assert.deepEqual(withoutEngine(here), withoutEngine(there));
  },
});
