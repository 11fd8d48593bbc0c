/**
 * ONNX runtime wrapper for the edge functions: two engines behind one API.
 *
 * - "builtin": the hosted edge runtime's own native ONNX engine, which it exposes to functions as
 *   `globalThis[Symbol.for("onnxruntime")]` (supabase/edge-runtime, ext/ai/js/onnxruntime/onnx.js:
 *   `InferenceSession.create(bytes)`, `new Tensor(type, data, dims)`, `session.run(feeds)`). No
 *   wasm to compile, far less memory. Locally the runtime shim installs the same global, backed by
 *   onnxruntime-node (scripts/local/edge_runtime_shim.ts).
 * - "web": onnxruntime-web 1.18 (WebAssembly CPU backend), imported only when it is needed.
 *
 * Selection: the built-in engine when the global exists at isolate start, else web. Whichever
 * runs a model, the model is first checked against its golden vectors (from the manifest) when
 * they are given: a built-in engine that fails to load a model that web loads, or disagrees with
 * the golden vectors beyond the parity tolerance, is refused for the rest of the isolate (logged
 * once) and every model moves to web, each checked again. A model that web also fails is invalid.
 *
 * Hosted constraints for web (DESIGN.md, "Edge functions"): the edge runtime forbids shared
 * WebAssembly memory, so onnxruntime-web is pinned to 1.18.0 (the last release with a non-threaded
 * wasm), with numThreads = 1 and proxy = false. Deno resolves the npm package to its Node build,
 * which reads `ort-wasm-simd.wasm` from its own dist/ folder; ORT_WASM_PATHS (a directory path or
 * file:// URL ending in "/") or configureOrt({ wasmPaths }) loads it from elsewhere.
 *
 * Errors: every failure is an OrtError with a stable code and HTTP status; its `message` is safe to
 * show to a client (no stack, no paths), its `detail` is for logs.
 */
import type * as OrtWeb from "onnxruntime-web";

/** Stable error codes; the HTTP status the functions should answer with is on the error. */
export type OrtErrorCode =
  | "runtime_unavailable" // the runtime could not start (503)
  | "model_invalid" // bytes that are not a loadable ONNX model, or wrong answers (500)
  | "bad_input" // a call that does not match the model (500: a server-side bug)
  | "inference_failed"; // the runtime failed while running (500)

const STATUS: Record<OrtErrorCode, number> = {
  runtime_unavailable: 503,
  model_invalid: 500,
  bad_input: 500,
  inference_failed: 500,
};

/** A typed, client-safe error. `detail` carries the runtime's own message for the logs. */
export class OrtError extends Error {
  override readonly name = "OrtError";
  readonly code: OrtErrorCode;
  readonly status: number;
  readonly detail: string;

  constructor(code: OrtErrorCode, message: string, cause?: unknown) {
    super(message);
    this.code = code;
    this.status = STATUS[code];
    this.detail = cause === undefined ? "" : describe(cause);
  }

  /** The JSON error body of DESIGN.md: {"error": {"code", "message"}}; never a stack. */
  toJSON(): { error: { code: OrtErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

function describe(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

/** Output tensor data types the engines return for CPU outputs. */
export type OutputData =
  | Float32Array
  | Float64Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | BigUint64Array
  | string[]
  | boolean[];

/** One output of a run: the element type ("float32", "int64", ...), flat data and dims. */
export interface Output {
  readonly type: string;
  readonly data: OutputData;
  readonly dims: readonly number[];
}

export type EngineName = "builtin" | "web";

// ---- the hosted runtime's built-in engine (its API surface, as onnx.js defines it) -------------

/** The key of the hosted runtime's engine on globalThis. */
export const BUILTIN_ORT_KEY: unique symbol = Symbol.for("onnxruntime") as never;

/** What `globalThis[Symbol.for("onnxruntime")]` offers (ext/ai/js/onnxruntime/onnx.js). */
export interface BuiltinOrt {
  Tensor: new (type: string, data: unknown, dims: number[]) => unknown;
  InferenceSession: { create(bytes: Uint8Array): Promise<BuiltinSession> };
}

export interface BuiltinSession {
  inputNames: string[];
  outputNames: string[];
  run(feeds: Record<string, unknown>): Promise<Record<string, Output>>;
}

/** The runtime's built-in engine, if this isolate has one. */
export function builtinOrt(): BuiltinOrt | undefined {
  const g = (globalThis as Record<symbol, unknown>)[BUILTIN_ORT_KEY] as BuiltinOrt | undefined;
  return g && typeof g.InferenceSession?.create === "function" ? g : undefined;
}

// ---- engines ------------------------------------------------------------------------------------

interface Session {
  inputNames: readonly string[];
  outputNames: readonly string[];
  run(
    inputName: string,
    rows: Float32Array,
    dims: [number, number],
  ): Promise<Record<string, Output>>;
  release(): Promise<void>;
}

interface Engine {
  readonly name: EngineName;
  create(bytes: Uint8Array): Promise<Session>;
}

function builtinEngine(api: BuiltinOrt): Engine {
  return {
    name: "builtin",
    async create(bytes) {
      const session = await api.InferenceSession.create(bytes);
      return {
        inputNames: [...session.inputNames],
        outputNames: [...session.outputNames],
        async run(inputName, rows, dims) {
          const results = await session.run({
            [inputName]: new api.Tensor("float32", rows, [...dims]),
          });
          const out: Record<string, Output> = {};
          for (const [name, t] of Object.entries(results)) {
            out[name] = { type: t.type, data: t.data, dims: [...t.dims].map(Number) };
          }
          return out;
        },
        release: () => Promise.resolve(), // the hosted runtime frees its sessions itself
      };
    },
  };
}

/** Options that must be set before onnxruntime-web starts. */
export interface OrtConfig {
  /** Where the .wasm files are: a directory path or file:// URL ending in "/", or a map. */
  wasmPaths?: string | Record<string, string>;
  /** Turn WebAssembly SIMD off (uses ort-wasm.wasm instead of ort-wasm-simd.wasm). */
  simd?: boolean;
}

let webConfig: OrtConfig = {};
let webModule: Promise<typeof OrtWeb> | null = null;
let webStart: Promise<number> | null = null;

/**
 * Sets onnxruntime-web's options. Call it (optionally) before web starts; after, it throws, because
 * onnxruntime-web reads them only once.
 */
export function configureOrt(config: OrtConfig): void {
  if (webStart) {
    throw new OrtError("bad_input", "configureOrt() must be called before the runtime starts");
  }
  webConfig = config;
}

function ortWeb(): Promise<typeof OrtWeb> {
  webModule ??= import("onnxruntime-web").then((ort) => {
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.proxy = false;
    ort.env.logLevel = "error";
    if (webConfig.simd !== undefined) ort.env.wasm.simd = webConfig.simd;
    let paths = webConfig.wasmPaths;
    if (paths === undefined) {
      try {
        paths = Deno.env.get("ORT_WASM_PATHS") || undefined;
      } catch {
        // no --allow-env: keep the package's own directory
      }
    }
    if (paths !== undefined) ort.env.wasm.wasmPaths = paths;
    return ort;
  });
  return webModule;
}

/** The onnxruntime-web version (from the package itself); imports it. */
export async function ortWebVersion(): Promise<string> {
  return (await ortWeb()).env.versions?.web ?? "unknown";
}

// A 90-byte ONNX model (opset 15, IR 8): y = Identity(x), x float32 [N, 1]. Loading it starts the
// wasm runtime, so a runtime failure is told apart from a broken model.
const WARMUP_MODEL_B64 =
  "CAgSDnNjcmF0Y2gtb3JhY2xlOkAKEAoBeBIBeSIISWRlbnRpdHkSBndhcm11cFoRCgF4EgwKCggBEgYKAAoCCAFiEQoBeRIMCgoIARIGCgAKAggBQgQKABAP";

/**
 * Starts onnxruntime-web's wasm once per isolate (idempotent; concurrent callers share one start).
 * Resolves to the start time in ms. A failure is an OrtError "runtime_unavailable" (503), and every
 * later call fails the same way: onnxruntime-web cannot retry a failed start.
 */
export function initOrt(): Promise<number> {
  webStart ??= (async () => {
    const t0 = performance.now();
    try {
      const ort = await ortWeb();
      const bytes = Uint8Array.from(atob(WARMUP_MODEL_B64), (c) => c.charCodeAt(0));
      const session = await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
      await session.release();
    } catch (e) {
      throw new OrtError("runtime_unavailable", "the model runtime could not start", e);
    }
    return performance.now() - t0;
  })();
  return webStart;
}

// Every web run of this isolate is serialised, across sessions too: onnxruntime-web 1.18's wasm
// backend fails ("Cannot read properties of null (reading '3')") when runs of two sessions
// overlap, and the single-threaded backend gains nothing from overlapping them anyway.
let webQueue: Promise<unknown> = Promise.resolve();

const webEngine: Engine = {
  name: "web",
  async create(bytes) {
    await initOrt();
    const ort = await ortWeb();
    const session = await ort.InferenceSession.create(bytes, {
      executionProviders: ["wasm"],
      graphOptimizationLevel: "all",
    });
    return {
      inputNames: [...session.inputNames],
      outputNames: [...session.outputNames],
      run(inputName, rows, dims) {
        const current = webQueue.catch(() => undefined).then(async () => {
          const results = await session.run({
            [inputName]: new ort.Tensor("float32", rows, dims),
          });
          const out: Record<string, Output> = {};
          for (const [name, t] of Object.entries(results)) {
            out[name] = { type: t.type, data: t.data as OutputData, dims: [...t.dims] };
          }
          return out;
        });
        webQueue = current;
        return current;
      },
      release: () => session.release(),
    };
  },
};

// ---- selection ----------------------------------------------------------------------------------

let builtin: Engine | null = null;
let builtinRefusal: string | null = null;

/**
 * Selects the engine as at isolate start: the built-in engine when `api` (default: the runtime's
 * global) is given, else (null) web. Called once when this module loads; tests call it to simulate a
 * runtime (a faulty built-in engine, or none).
 */
export function selectEngine(api: BuiltinOrt | null = builtinOrt() ?? null): EngineName {
  builtin = api ? builtinEngine(api) : null;
  builtinRefusal = null;
  return engineName();
}
selectEngine();

/** The engine new sessions use now. */
export function engineName(): EngineName {
  return builtin && builtinRefusal === null ? "builtin" : "web";
}

/** Why the built-in engine was refused in this isolate, or null. */
export function builtinRefused(): string | null {
  return builtinRefusal;
}

function refuseBuiltin(why: string): void {
  if (builtinRefusal !== null) return;
  builtinRefusal = why;
  console.error(`onnx engine: the runtime's built-in engine is not used: ${why}; using web`);
}

// ---- golden vectors -----------------------------------------------------------------------------

/** Golden vectors of a model (onnx_models/golden/*.json): float32 features and the native
 * estimator's outputs, by output name. */
export interface Golden {
  features: number[][];
  expected: Record<string, unknown[]>;
}

/** The parity suite's bar (parity_tests/test_models_parity.py): labels exact, other outputs within
 * 1e-5 x max(1, |expected|). */
export const PARITY_TOLERANCE = 1e-5;

/** null when the session's outputs on the golden features match, else what differs. */
async function goldenProblem(
  session: Session,
  inputName: string,
  golden: Golden,
): Promise<string | null> {
  const nRows = golden.features.length;
  const nCols = golden.features[0]?.length ?? 0;
  const rows = new Float32Array(golden.features.flat());
  const out = await session.run(inputName, rows, [nRows, nCols]);
  for (const [name, expected] of Object.entries(golden.expected)) {
    const got = out[name];
    const want = (expected as unknown[]).flat(Infinity) as number[];
    if (!got) return `no output ${name}`;
    if (got.data.length !== want.length) {
      return `output ${name}: ${got.data.length} values, golden ${want.length}`;
    }
    for (let i = 0; i < want.length; i++) {
      const g = Number(got.data[i]);
      const w = Number(want[i]);
      const limit = name === "label" ? 0 : PARITY_TOLERANCE * Math.max(1, Math.abs(w));
      if (!(Math.abs(g - w) <= limit)) {
        return `output ${name}[${i}] = ${g}, golden ${w} (tolerance ${limit})`;
      }
    }
  }
  return null;
}

// ---- models -------------------------------------------------------------------------------------

/** A loaded model: a session on one engine and what it expects. */
export interface Model {
  readonly key: string;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly byteLength: number;
  /** Wall time of the load (and golden check), in ms (includes web's start for its first model). */
  loadMs: number;
  /** The engine its session runs on; moves to web if the built-in engine is refused later. */
  engine: EngineName;
  /** @internal the session; use run(). */
  session: Session;
  /** @internal kept to move the model to web if the built-in engine is refused. */
  readonly bytes: Uint8Array;
  readonly golden?: { inputName: string; vectors: Golden };
}

export interface LoadOptions {
  /** Golden vectors to check the session against before it is used, with the input they feed. */
  golden?: { inputName: string; vectors: Golden };
}

const ONNX_MIN_BYTES = 8;

async function openChecked(
  engine: Engine,
  bytes: Uint8Array,
  key: string,
  golden: LoadOptions["golden"],
): Promise<Session> {
  let session: Session;
  try {
    session = await engine.create(bytes);
  } catch (e) {
    if (e instanceof OrtError) throw e;
    throw new OrtError("model_invalid", `model ${key} is not a valid ONNX model`, e);
  }
  if (golden) {
    let problem: string | null;
    try {
      problem = await goldenProblem(session, golden.inputName, golden.vectors);
    } catch (e) {
      problem = `golden run failed: ${describe(e)}`;
    }
    if (problem !== null) {
      await session.release();
      throw new OrtError(
        "model_invalid",
        `model ${key} disagrees with its golden vectors`,
        `${engine.name}: ${problem}`,
      );
    }
  }
  return session;
}

/** A session for `bytes` on the selected engine, checked; the built-in engine refused (and web
 * used) when it fails a model that web passes. */
async function open(
  bytes: Uint8Array,
  key: string,
  golden: LoadOptions["golden"],
): Promise<{ session: Session; engine: EngineName }> {
  if (engineName() === "builtin") {
    try {
      return { session: await openChecked(builtin!, bytes, key, golden), engine: "builtin" };
    } catch (builtinErr) {
      // Web decides whether the model or the engine is at fault.
      const session = await openChecked(webEngine, bytes, key, golden);
      refuseBuiltin(`model ${key}: ${(builtinErr as OrtError).detail || builtinErr}`);
      return { session, engine: "web" };
    }
  }
  return { session: await openChecked(webEngine, bytes, key, golden), engine: "web" };
}

/**
 * Creates a session from ONNX model bytes on the selected engine, checked against `golden` when
 * given. Bytes that are not a loadable ONNX model, or a model that disagrees with its golden
 * vectors on every engine, give an OrtError "model_invalid"; web failing to start gives
 * "runtime_unavailable".
 */
export async function loadModel(
  bytes: Uint8Array,
  key = "anonymous",
  options: LoadOptions = {},
): Promise<Model> {
  if (!(bytes instanceof Uint8Array) || bytes.byteLength < ONNX_MIN_BYTES) {
    throw new OrtError("model_invalid", `model ${key} is not a valid ONNX model`);
  }
  const t0 = performance.now();
  const { session, engine } = await open(bytes, key, options.golden);
  return {
    key,
    session,
    engine,
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    byteLength: bytes.byteLength,
    loadMs: performance.now() - t0,
    bytes,
    golden: options.golden,
  };
}

// A model whose engine has been refused since it loaded moves to web once, on its next run.
const moving = new WeakMap<Model, Promise<void>>();

function onSelectedEngine(model: Model): Promise<void> {
  if (model.engine === engineName()) return Promise.resolve();
  let pending = moving.get(model);
  if (!pending) {
    pending = (async () => {
      const old = model.session;
      const { session, engine } = await open(model.bytes, model.key, model.golden);
      model.session = session;
      model.engine = engine;
      await old.release();
    })().finally(() => moving.delete(model));
    moving.set(model, pending);
  }
  return pending;
}

/** The cache key of a model: name and version. */
export function modelKey(name: string, version: string): string {
  return `${name}@${version}`;
}

// Per-isolate session cache. Promises are cached so that concurrent first requests share one load;
// a failed load is removed so that a later request can try again (e.g. the bundled fallback).
const cache = new Map<string, Promise<Model>>();

/**
 * Returns the cached model for `key`, loading it with `loadBytes` on first use. The same key always
 * gives the same Model until evictModel(key).
 */
export function getModel(
  key: string,
  loadBytes: () => Uint8Array | Promise<Uint8Array>,
  options: () => LoadOptions | Promise<LoadOptions> = () => ({}),
): Promise<Model> {
  const hit = cache.get(key);
  if (hit) return hit;
  const pending = (async () => loadModel(await loadBytes(), key, await options()))();
  cache.set(key, pending);
  pending.catch(() => {
    if (cache.get(key) === pending) cache.delete(key);
  });
  return pending;
}

/** True when a model is cached (loaded or loading) under `key`. */
export function hasModel(key: string): boolean {
  return cache.has(key);
}

/** Drops a cached model and releases its session. */
export async function evictModel(key: string): Promise<void> {
  const hit = cache.get(key);
  if (!hit) return;
  cache.delete(key);
  try {
    await (await hit).session.release();
  } catch {
    // a failed load has no session to release
  }
}

/** Drops every cached model. */
export async function clearModelCache(): Promise<void> {
  await Promise.all([...cache.keys()].map((k) => evictModel(k)));
}

/**
 * Runs the model on `nRows` rows of `nCols` float32 features (row-major in `rows`), feeding the
 * input `inputName` with shape [nRows, nCols]. Returns every output by name.
 */
export async function run(
  model: Model,
  inputName: string,
  rows: Float32Array,
  nRows: number,
  nCols: number,
): Promise<Record<string, Output>> {
  if (!model.inputNames.includes(inputName)) {
    throw new OrtError(
      "bad_input",
      `model ${model.key} has no input "${inputName}" (inputs: ${model.inputNames.join(", ")})`,
    );
  }
  if (!Number.isInteger(nRows) || !Number.isInteger(nCols) || nRows < 1 || nCols < 1) {
    throw new OrtError("bad_input", `model ${model.key}: bad shape [${nRows}, ${nCols}]`);
  }
  if (!(rows instanceof Float32Array) || rows.length !== nRows * nCols) {
    throw new OrtError(
      "bad_input",
      `model ${model.key}: expected ${nRows} x ${nCols} = ${nRows * nCols} float32 values, got ${
        rows instanceof Float32Array ? rows.length : typeof rows
      }`,
    );
  }
  await onSelectedEngine(model);
  try {
    return await model.session.run(inputName, rows, [nRows, nCols]);
  } catch (e) {
    throw new OrtError("inference_failed", `model ${model.key} failed to run`, e);
  }
}
