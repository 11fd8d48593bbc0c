/**
 * ONNX runtime wrapper for the edge functions (onnxruntime-web, WebAssembly CPU backend).
 *
 * Hosted constraints (DESIGN.md, "Edge functions"): the Supabase edge runtime forbids shared
 * WebAssembly memory, so onnxruntime-web is pinned to 1.18.0 (the last release that ships a
 * non-threaded wasm; later ones load only a threaded wasm and fail there), with numThreads = 1 and
 * proxy = false (no worker). The pin lives in supabase/functions/deno.json ("onnxruntime-web").
 *
 * How the wasm is found: Deno resolves the npm package with the "node" condition, i.e. to
 * onnxruntime-web's Node build (dist/ort.node.min.js). Under Deno `process.versions.node` is set,
 * so its Emscripten loader runs in Node mode and reads `ort-wasm-simd.wasm` (or `ort-wasm.wasm`
 * where SIMD is missing) with fs.readFileSync from its own directory: the package's dist/ folder in
 * the npm cache (nodeModulesDir "none") or in node_modules. No network, no CDN. To load it from
 * elsewhere (a bundled copy, a static file), set the ORT_WASM_PATHS environment variable (a
 * directory path or file:// URL ending in "/") or call configureOrt({ wasmPaths }) before the first
 * model is loaded.
 *
 * Errors: every failure is an OrtError with a stable code and HTTP status; its `message` is safe to
 * show to a client (no stack, no paths), its `detail` is for logs.
 */

import * as ort from "onnxruntime-web";

/** The onnxruntime-web version actually loaded (from the package itself). */
export const ORT_WEB_VERSION: string = ort.env.versions?.web ?? "unknown";

/** Stable error codes; the HTTP status the functions should answer with is on the error. */
export type OrtErrorCode =
  | "runtime_unavailable" // the wasm runtime could not start (503)
  | "model_invalid" // bytes that are not a loadable ONNX model (500)
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

/** Output tensor data types that onnxruntime-web can return for CPU outputs. */
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

/** A loaded model: one InferenceSession and what it expects. */
export interface Model {
  readonly key: string;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly byteLength: number;
  /** Wall time of InferenceSession.create, in ms (includes runtime start for the first model). */
  readonly loadMs: number;
  /** @internal the underlying session; use run(). */
  readonly session: ort.InferenceSession;
}

/** Options that must be set before the first model is loaded. */
export interface OrtConfig {
  /** Where the .wasm files are: a directory path or file:// URL ending in "/", or a map. */
  wasmPaths?: string | Record<string, string>;
  /** Turn WebAssembly SIMD off (uses ort-wasm.wasm instead of ort-wasm-simd.wasm). */
  simd?: boolean;
}

let configured = false;
let initPromise: Promise<number> | null = null;

function applyConfig(config: OrtConfig = {}): void {
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = "error";
  if (config.simd !== undefined) ort.env.wasm.simd = config.simd;
  let paths = config.wasmPaths;
  if (paths === undefined) {
    try {
      paths = Deno.env.get("ORT_WASM_PATHS") || undefined;
    } catch {
      // no --allow-env: keep the package's own directory
    }
  }
  if (paths !== undefined) ort.env.wasm.wasmPaths = paths;
  configured = true;
}

/**
 * Sets the runtime options. Call it (optionally) before the first loadModel/initOrt; after the
 * runtime has started it throws, because onnxruntime-web reads them only once.
 */
export function configureOrt(config: OrtConfig): void {
  if (initPromise) {
    throw new OrtError("bad_input", "configureOrt() must be called before the runtime starts");
  }
  applyConfig(config);
}

// A 90-byte ONNX model (opset 15, IR 8): y = Identity(x), x float32 [N, 1]. Loading it starts the
// wasm runtime, so a runtime failure is told apart from a broken model.
const WARMUP_MODEL_B64 =
  "CAgSDnNjcmF0Y2gtb3JhY2xlOkAKEAoBeBIBeSIISWRlbnRpdHkSBndhcm11cFoRCgF4EgwKCggBEgYKAAoCCAFiEQoBeRIMCgoIARIGCgAKAggBQgQKABAP";

function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Starts the wasm runtime once per isolate (idempotent; concurrent callers share one start).
 * Resolves to the start time in ms. A failure is an OrtError "runtime_unavailable" (503), and every
 * later call fails the same way: onnxruntime-web cannot retry a failed start.
 */
export function initOrt(): Promise<number> {
  if (!initPromise) {
    if (!configured) applyConfig();
    initPromise = (async () => {
      const t0 = performance.now();
      let session: ort.InferenceSession;
      try {
        session = await ort.InferenceSession.create(decodeBase64(WARMUP_MODEL_B64), {
          executionProviders: ["wasm"],
        });
      } catch (e) {
        throw new OrtError(
          "runtime_unavailable",
          "the model runtime could not start",
          e,
        );
      }
      await session.release();
      return performance.now() - t0;
    })();
  }
  return initPromise;
}

const ONNX_MIN_BYTES = 8;

/**
 * Creates a session from ONNX model bytes. Bytes that are not a loadable ONNX model give an
 * OrtError "model_invalid"; a runtime that cannot start gives "runtime_unavailable".
 */
export async function loadModel(bytes: Uint8Array, key = "anonymous"): Promise<Model> {
  await initOrt();
  if (!(bytes instanceof Uint8Array) || bytes.byteLength < ONNX_MIN_BYTES) {
    throw new OrtError("model_invalid", `model ${key} is not a valid ONNX model`);
  }
  const t0 = performance.now();
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, {
      executionProviders: ["wasm"],
      graphOptimizationLevel: "all",
    });
  } catch (e) {
    throw new OrtError("model_invalid", `model ${key} is not a valid ONNX model`, e);
  }
  return {
    key,
    session,
    inputNames: [...session.inputNames],
    outputNames: [...session.outputNames],
    byteLength: bytes.byteLength,
    loadMs: performance.now() - t0,
  };
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
 * gives the same Model (same session) until evictModel(key).
 */
export function getModel(
  key: string,
  loadBytes: () => Uint8Array | Promise<Uint8Array>,
): Promise<Model> {
  const hit = cache.get(key);
  if (hit) return hit;
  const pending = (async () => loadModel(await loadBytes(), key))();
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

// Every run of this isolate is serialised, across sessions too: onnxruntime-web 1.18's wasm
// backend fails ("Cannot read properties of null (reading '3')") when runs of two sessions
// overlap, and the single-threaded backend gains nothing from overlapping them anyway.
let runQueue: Promise<unknown> = Promise.resolve();

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
  const session = model.session;
  const current = runQueue.catch(() => undefined).then(async () => {
    const feeds: Record<string, ort.Tensor> = {
      [inputName]: new ort.Tensor("float32", rows, [nRows, nCols]),
    };
    let results: ort.InferenceSession.OnnxValueMapType;
    try {
      results = await session.run(feeds);
    } catch (e) {
      throw new OrtError("inference_failed", `model ${model.key} failed to run`, e);
    }
    const out: Record<string, Output> = {};
    for (const name of model.outputNames) {
      const t = results[name];
      if (!t) continue;
      out[name] = { type: t.type, data: t.data as OutputData, dims: [...t.dims] };
    }
    return out;
  });
  runQueue = current;
  return await current;
}
