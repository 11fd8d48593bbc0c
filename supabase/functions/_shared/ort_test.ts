// Tests of the ONNX runtime wrapper under the hosted runtime's shim: its no-shared-memory rule, its
// built-in engine (the global the shim installs, as hosted does), onnxruntime-web, and the choice
// between them.
//
//   cd supabase/functions && deno test --allow-read --allow-env \
//     --preload ../../scripts/local/edge_runtime_shim.ts _shared/ort_test.ts
//
// The shim is also this file's first import, so the rule holds even without --preload.
import {
  declaresSharedMemory,
  isShimActive,
  SHIM_ERROR_PREFIX,
  shimInfo,
} from "../../../scripts/local/edge_runtime_shim.ts";
import assert from "node:assert/strict";
import {
  type BuiltinOrt,
  builtinOrt,
  builtinRefused,
  type EngineName,
  engineName,
  evictModel,
  getModel,
  type Golden,
  hasModel,
  initOrt,
  loadModel,
  modelKey,
  OrtError,
  ortWebVersion,
  type Output,
  run,
  selectEngine,
} from "./ort.ts";

const testdata = new URL("./testdata/", import.meta.url);
const fixture = (name: string): Promise<Uint8Array> => Deno.readFile(new URL(name, testdata));

// Rows of 4 float32 features, row-major.
const ROWS = new Float32Array([0.1, 0.2, 0.3, 0.4, 1, 2, 3, 4, -1.5, 0.25, 1.75, -0.5]);

const hex = (s: string) =>
  new Uint8Array((s.replace(/\s+/g, "").match(/../g) ?? []).map((b) => parseInt(b, 16)));

// --- the shim itself --------------------------------------------------------------------------

// (module (memory (import "env" "memory") 1 2 shared))
const WASM_IMPORTS_SHARED = hex("0061736d 01000000 0210 01 03656e76 066d656d6f7279 02 03 01 02");
// (module (memory 1 2 shared))
const WASM_DEFINES_SHARED = hex("0061736d 01000000 0504 01 03 01 02");
// (module (memory 1 2))
const WASM_PLAIN_MEMORY = hex("0061736d 01000000 0504 01 01 01 02");

Deno.test("shim: no SharedArrayBuffer, no shared WebAssembly.Memory", () => {
  assert.ok(isShimActive());
  assert.equal(
    typeof (globalThis as { SharedArrayBuffer?: unknown }).SharedArrayBuffer,
    "undefined",
  );
  assert.throws(
    () => new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true }),
    (e: unknown) => e instanceof TypeError && e.message.startsWith(SHIM_ERROR_PREFIX),
  );
  const plain = new WebAssembly.Memory({ initial: 1, maximum: 2 });
  assert.ok(plain instanceof WebAssembly.Memory);
  assert.equal(plain.buffer.byteLength, 65536);
});

Deno.test("shim: modules that import or define a shared memory do not compile", async () => {
  assert.equal(declaresSharedMemory(WASM_IMPORTS_SHARED), true);
  assert.equal(declaresSharedMemory(WASM_DEFINES_SHARED), true);
  assert.equal(declaresSharedMemory(WASM_PLAIN_MEMORY), false);
  for (const bytes of [WASM_IMPORTS_SHARED, WASM_DEFINES_SHARED]) {
    assert.equal(WebAssembly.validate(bytes), false);
    assert.throws(() => new WebAssembly.Module(bytes), WebAssembly.CompileError);
    await assert.rejects(WebAssembly.compile(bytes), WebAssembly.CompileError);
    await assert.rejects(WebAssembly.instantiate(bytes, {}), WebAssembly.CompileError);
  }
  assert.equal(WebAssembly.validate(WASM_PLAIN_MEMORY), true);
  const { instance } = await WebAssembly.instantiate(WASM_PLAIN_MEMORY, {});
  assert.ok(instance instanceof WebAssembly.Instance);
});

// --- onnxruntime-web under the shim -----------------------------------------------------------

/** Runs `body` with the engine a runtime with (or without) `api` would select, then restores. */
async function withEngine(api: BuiltinOrt | null, body: () => Promise<void>): Promise<void> {
  const real = builtinOrt() ?? null;
  selectEngine(api);
  try {
    await body();
  } finally {
    selectEngine(real);
  }
}

const ENGINES: [EngineName, () => BuiltinOrt | null][] = [
  ["builtin", () => builtinOrt()!],
  ["web", () => null],
];

/** One test per engine. */
function testEach(name: string, body: (engine: EngineName) => Promise<void>): void {
  for (const [engine, api] of ENGINES) {
    Deno.test(`${engine}: ${name}`, () => withEngine(api(), () => body(engine)));
  }
}

Deno.test("onnxruntime-web 1.18.0 (the pin) starts under the shim", async () => {
  assert.equal(await ortWebVersion(), "1.18.0");
  const refusalsBefore = shimInfo.refusals;
  const initMs = await initOrt();
  assert.ok(initMs >= 0);
  // the pinned runtime never asked for shared memory
  assert.equal(shimInfo.refusals, refusalsBefore);
});

testEach("runs a classifier: int64 labels, float32 probabilities", async (engine) => {
  const model = await loadModel(await fixture("rf_classifier.onnx"), "rf_fixture@1");
  assert.equal(model.engine, engine);
  assert.deepEqual(model.inputNames, ["input"]);
  assert.deepEqual(model.outputNames, ["label", "probabilities"]);
  const out = await run(model, "input", ROWS, 3, 4);
  assert.equal(out.label.type, "int64");
  assert.ok(out.label.data instanceof BigInt64Array);
  assert.deepEqual(out.label.dims, [3]);
  assert.equal(out.probabilities.type, "float32");
  assert.ok(out.probabilities.data instanceof Float32Array);
  assert.deepEqual(out.probabilities.dims, [3, 3]);
  const probs = out.probabilities.data as Float32Array;
  const labels = out.label.data as BigInt64Array;
  for (let r = 0; r < 3; r++) {
    const row = probs.subarray(r * 3, r * 3 + 3);
    assert.ok(Math.abs(row[0] + row[1] + row[2] - 1) < 1e-5, `row ${r} sums to 1`);
    let best = 0;
    for (let c = 1; c < 3; c++) if (row[c] > row[best]) best = c;
    assert.equal(labels[r], BigInt(best), `row ${r}: label is the argmax`);
  }
  await model.session.release();
});

testEach("xgboost regressor runs and gives one value per row", async () => {
  const model = await loadModel(await fixture("xgb_regressor.onnx"), "xgb_fixture@1");
  const out = await run(model, "input", ROWS, 3, 4);
  assert.deepEqual(Object.keys(out), ["variable"]);
  assert.equal(out.variable.type, "float32");
  assert.deepEqual(out.variable.dims, [3, 1]);
  assert.ok([...(out.variable.data as Float32Array)].every(Number.isFinite));
  await model.session.release();
});

Deno.test("onnxruntime-web 1.30.0 fails to start under the shim", async () => {
  const refusalsBefore = shimInfo.refusals;
  const ort30 = await import("onnxruntime-web-threaded-only");
  assert.equal(ort30.env.versions.web, "1.30.0");
  ort30.env.wasm.numThreads = 1;
  ort30.env.wasm.proxy = false;
  ort30.env.logLevel = "fatal";
  await assert.rejects(
    ort30.InferenceSession.create(await fixture("rf_classifier.onnx")),
    (e: unknown) => e instanceof Error && e.message.includes(SHIM_ERROR_PREFIX),
  );
  // refused by the shim, not by anything else
  assert.ok(shimInfo.refusals > refusalsBefore);
});

// --- errors and the cache ---------------------------------------------------------------------

testEach("bytes that are not ONNX give a typed, client-safe error", async (engine) => {
  for (
    const bytes of [
      await fixture("not_a_model.onnx"),
      new Uint8Array(0),
      (await fixture("rf_classifier.onnx")).subarray(0, 500), // truncated model
    ]
  ) {
    const err = await loadModel(bytes, "broken@0").then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof OrtError, `expected OrtError, got ${err}`);
    assert.equal(err.code, "model_invalid");
    assert.equal(err.status, 500);
    assert.deepEqual(err.toJSON(), {
      error: { code: "model_invalid", message: "model broken@0 is not a valid ONNX model" },
    });
    assert.ok(!JSON.stringify(err.toJSON()).includes("    at "), "no stack in the body");
  }
  // a broken model is the model's fault, not the engine's
  assert.equal(engineName(), engine);
});

testEach("a wrong input name or shape gives bad_input", async () => {
  const model = await loadModel(await fixture("xgb_regressor.onnx"), "xgb_fixture@1");
  await assert.rejects(run(model, "nope", ROWS, 3, 4), { name: "OrtError", code: "bad_input" });
  await assert.rejects(run(model, "input", ROWS, 2, 4), { name: "OrtError", code: "bad_input" });
  await assert.rejects(run(model, "input", ROWS, 0, 4), { name: "OrtError", code: "bad_input" });
  // a width the model does not accept is refused by the runtime
  await assert.rejects(run(model, "input", ROWS, 4, 3), {
    name: "OrtError",
    code: "inference_failed",
  });
  await model.session.release();
});

testEach("the cache gives the same session for the same key and loads once", async () => {
  let loads = 0;
  const loader = async () => {
    loads++;
    return await fixture("rf_classifier.onnx");
  };
  const key = modelKey("rf_fixture", "2026.01.01");
  assert.equal(key, "rf_fixture@2026.01.01");
  const [a, b] = await Promise.all([getModel(key, loader), getModel(key, loader)]);
  const c = await getModel(key, loader);
  assert.equal(loads, 1);
  assert.equal(a, b);
  assert.equal(a, c);
  assert.equal(a.session, c.session);
  assert.ok(hasModel(key));

  const other = await getModel(modelKey("rf_fixture", "2026.01.02"), loader);
  assert.notEqual(other.session, a.session);
  assert.equal(loads, 2);

  // concurrent runs on one cached session give the same answers as one run
  const single = await run(a, "input", ROWS, 3, 4);
  const many = await Promise.all(Array.from({ length: 8 }, () => run(a, "input", ROWS, 3, 4)));
  for (const m of many) assert.deepEqual(m.probabilities.data, single.probabilities.data);

  await evictModel(key);
  await evictModel(modelKey("rf_fixture", "2026.01.02"));
  assert.ok(!hasModel(key));
});

testEach("a failed load is not cached", async () => {
  const key = modelKey("flaky", "1");
  await assert.rejects(getModel(key, () => fixture("not_a_model.onnx")), { code: "model_invalid" });
  assert.ok(!hasModel(key));
  const ok = await getModel(key, () => fixture("xgb_regressor.onnx"));
  assert.deepEqual(ok.outputNames, ["variable"]);
  await evictModel(key);
});

// --- engine selection: golden vectors decide --------------------------------------------------

const MODELS = new URL("../../../onnx_models/", import.meta.url);
const MANIFEST = JSON.parse(await Deno.readTextFile(new URL("manifest.json", MODELS)))
  .models as Record<
    string,
    { file: string; golden: string; input_name: string }
  >;

async function shipped(name: string): Promise<{ bytes: Uint8Array; golden: Golden }> {
  const entry = MANIFEST[name];
  return {
    bytes: await Deno.readFile(new URL(entry.file, MODELS)),
    golden: JSON.parse(await Deno.readTextFile(new URL(entry.golden, MODELS))),
  };
}

const checked = (golden: Golden) => ({ golden: { inputName: "input", vectors: golden } });

/** The runtime's engine, except that for the model with `bytes` it answers `fault`. */
function faultyBuiltin(
  bytes: Uint8Array,
  fault: "gives wrong numbers" | "cannot load",
): BuiltinOrt {
  const real = builtinOrt()!;
  const same = (b: Uint8Array) => b.length === bytes.length && b.every((v, i) => v === bytes[i]);
  return {
    Tensor: real.Tensor,
    InferenceSession: {
      async create(b) {
        if (!same(b)) return await real.InferenceSession.create(b);
        if (fault === "cannot load") throw new Error("simulated: unsupported operator");
        const session = await real.InferenceSession.create(b);
        return {
          inputNames: session.inputNames,
          outputNames: session.outputNames,
          async run(feeds) {
            const out = await session.run(feeds);
            const skewed: Record<string, Output> = {};
            for (const [name, o] of Object.entries(out)) {
              skewed[name] = o.data instanceof Float32Array
                ? { ...o, type: o.type, dims: o.dims, data: o.data.map((v) => v + 1e-3) }
                : o;
            }
            return skewed;
          },
        };
      },
    },
  };
}

Deno.test("the shim provides the built-in engine and it is selected at start", async () => {
  assert.ok(builtinOrt(), "globalThis[Symbol.for('onnxruntime')] is installed");
  assert.equal(engineName(), "builtin");
  const { bytes, golden } = await shipped("ev_change_14d_xgb");
  const model = await loadModel(bytes, "xgb", checked(golden));
  assert.equal(model.engine, "builtin");
  assert.equal(builtinRefused(), null);
});

for (const fault of ["gives wrong numbers", "cannot load"] as const) {
  Deno.test(`a built-in engine that ${fault} for a model is refused and web answers`, async () => {
    const good = await shipped("ev_change_14d_rf");
    const bad = await shipped("top_prize_claim_14d_xgb");
    await withEngine(faultyBuiltin(bad.bytes, fault), async () => {
      const first = await loadModel(good.bytes, "rf", checked(good.golden));
      assert.equal(first.engine, "builtin", "a model it answers right is served by it");
      const second = await loadModel(bad.bytes, "claims", checked(bad.golden));
      assert.equal(second.engine, "web");
      assert.match(builtinRefused()!, /model claims/);
      assert.equal(engineName(), "web");
      // the model loaded before moves to web on its next run, checked again, same answers
      const rows = new Float32Array(good.golden.features.flat());
      const out = await run(first, "input", rows, good.golden.features.length, 22);
      assert.equal(first.engine, "web");
      const want = (good.golden.expected.variable as number[][]).flat();
      (out.variable.data as Float32Array).forEach((v, i) =>
        assert.ok(Math.abs(v - want[i]) < 1e-5)
      );
    });
  });
}

testEach("a model that disagrees with its golden vectors on every engine is invalid", async (e) => {
  const { bytes, golden } = await shipped("ev_change_14d_xgb");
  const wrong: Golden = {
    ...golden,
    expected: { variable: (golden.expected.variable as number[][]).map(([v]) => [v + 1]) },
  };
  await assert.rejects(loadModel(bytes, "xgb", checked(wrong)), (err: unknown) => {
    assert.ok(err instanceof OrtError);
    assert.equal(err.code, "model_invalid");
    assert.equal(err.message, "model xgb disagrees with its golden vectors");
    return true;
  });
  assert.equal(engineName(), e, "the engine is not blamed for the model");
});
