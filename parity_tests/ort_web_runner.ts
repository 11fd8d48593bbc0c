/**
 * Parity runner: runs ONNX models in Deno through the edge functions' own wrapper
 * (supabase/functions/_shared/ort.ts), under the hosted runtime's shim, on one engine: "web"
 * (onnxruntime-web) or "builtin" (the runtime's built-in engine, here the shim's onnxruntime-node).
 * parity_tests/ort_web.py drives it; one process serves many models and rows.
 *
 *   deno run --quiet --config supabase/functions/deno.json \
 *     --preload scripts/local/edge_runtime_shim.ts --allow-read --allow-env --allow-ffi \
 *     parity_tests/ort_web_runner.ts < request.json > response.json
 *
 * Request (stdin, JSON):
 *   {"engine": "web" | "builtin" (default "web"),
 *    "runs": [{"model": "/abs/path.onnx", "input_name": "input",
 *              "rows": [[0.5, 1.25, ...], ...]}]}                        (float32 values as numbers)
 *   or, per run, instead of "rows" (lossless for NaN and infinities, and faster):
 *              "rows_f32_b64": "<base64 of little-endian float32>", "n_rows": N, "n_cols": M
 *
 * Response (stdout, JSON):
 *   {"engine": "web", "ort_web_version": "1.18.0", "shim_active": true, "init_ms": 12.3,
 *    "results": [{"model": ..., "load_ms": ..., "run_ms": ...,
 *                 "outputs": {"<name>": {"type": "float32", "dims": [N, K],
 *                                        "b64": "<raw little-endian bytes>",
 *                                        "values": [...]}}}
 *                | {"model": ..., "error": {"code": ..., "message": ..., "detail": ...}}]}
 *   "b64" is authoritative. "values" repeats it for people: float32 as float64 numbers (exact:
 *   every float32 is a float64), NaN and infinities as the strings "NaN", "Infinity",
 *   "-Infinity"; 64-bit integers as decimal strings.
 * A run that fails (missing file, corrupt model, wrong input) reports its error and the others go
 * on. Exit 0, unless the request itself is malformed (exit 2, message on stderr) or the runtime
 * cannot start (exit 3, {"error": ...} on stdout).
 */
import { isShimActive } from "../scripts/local/edge_runtime_shim.ts";
import {
  builtinOrt,
  type EngineName,
  initOrt,
  loadModel,
  type Model,
  OrtError,
  ortWebVersion,
  type Output,
  run,
  selectEngine,
} from "../supabase/functions/_shared/ort.ts";

interface RunRequest {
  model: string;
  input_name: string;
  rows?: number[][];
  rows_f32_b64?: string;
  n_rows?: number;
  n_cols?: number;
}

interface EncodedOutput {
  type: string;
  dims: number[];
  b64: string;
  values: (number | string | boolean)[];
}

type RunResult =
  | {
    model: string;
    load_ms: number;
    run_ms: number;
    outputs: Record<string, EncodedOutput>;
  }
  | { model: string; error: { code: string; message: string; detail: string } };

function fail(message: string): never {
  console.error(`ort_web_runner: ${message}`);
  Deno.exit(2);
}

function decodeB64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function encodeB64(bytes: Uint8Array): string {
  let bin = "";
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    bin += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(bin);
}

function floatValue(v: number): number | string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "-Infinity";
  return v;
}

function encodeOutput(o: Output): EncodedOutput {
  const d = o.data;
  let b64 = "";
  let values: (number | string | boolean)[];
  if (ArrayBuffer.isView(d)) {
    // little-endian on every platform Deno runs on (x86-64, aarch64)
    b64 = encodeB64(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    if (d instanceof BigInt64Array || d instanceof BigUint64Array) {
      values = Array.from(d, (v) => v.toString());
    } else if (d instanceof Float32Array || d instanceof Float64Array) {
      values = Array.from(d, floatValue);
    } else {
      values = Array.from(d as ArrayLike<number>);
    }
  } else {
    values = [...d];
  }
  return { type: o.type, dims: [...o.dims], b64, values };
}

function toRows(
  r: RunRequest,
  index: number,
): { rows: Float32Array; nRows: number; nCols: number } {
  if (typeof r.rows_f32_b64 === "string") {
    const nRows = r.n_rows;
    const nCols = r.n_cols;
    if (!Number.isInteger(nRows) || !Number.isInteger(nCols)) {
      fail(`runs[${index}]: rows_f32_b64 needs integer n_rows and n_cols`);
    }
    const bytes = decodeB64(r.rows_f32_b64);
    if (bytes.byteLength !== nRows! * nCols! * 4) {
      fail(
        `runs[${index}]: ${bytes.byteLength} bytes for ${nRows} x ${nCols} float32 values`,
      );
    }
    const rows = new Float32Array(
      bytes.buffer,
      bytes.byteOffset,
      nRows! * nCols!,
    );
    return { rows, nRows: nRows!, nCols: nCols! };
  }
  if (
    !Array.isArray(r.rows) || r.rows.length === 0 || !Array.isArray(r.rows[0])
  ) {
    fail(`runs[${index}]: "rows" must be a non-empty list of lists`);
  }
  const nRows = r.rows.length;
  const nCols = r.rows[0].length;
  const rows = new Float32Array(nRows * nCols);
  r.rows.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== nCols) {
      fail(
        `runs[${index}]: row ${i} has ${row?.length} values, row 0 has ${nCols}`,
      );
    }
    // a float32 sent as a float64 number converts back exactly
    row.forEach((v, j) => (rows[i * nCols + j] = v));
  });
  return { rows, nRows, nCols };
}

function errorOf(
  e: unknown,
): { code: string; message: string; detail: string } {
  if (e instanceof OrtError) {
    return { code: e.code, message: e.message, detail: e.detail };
  }
  if (e instanceof Deno.errors.NotFound) {
    return { code: "model_not_found", message: String(e.message), detail: "" };
  }
  return {
    code: "error",
    message: e instanceof Error ? e.message : String(e),
    detail: "",
  };
}

async function main(): Promise<void> {
  const text = await new Response(Deno.stdin.readable).text();
  let request: { engine?: EngineName; runs?: RunRequest[] };
  try {
    request = JSON.parse(text);
  } catch (e) {
    fail(`stdin is not JSON: ${e instanceof Error ? e.message : e}`);
  }
  if (!request || !Array.isArray(request.runs)) {
    fail(`the request needs a "runs" list`);
  }

  const engine = request.engine ?? "web";
  if (engine !== "web" && engine !== "builtin") {
    fail(`unknown engine ${engine}`);
  }
  const ortWebVersionText = await ortWebVersion();
  let initMs = 0;
  try {
    if (engine === "builtin") {
      const api = builtinOrt();
      if (!api) {
        throw new OrtError(
          "runtime_unavailable",
          "the runtime has no built-in engine",
        );
      }
      selectEngine(api);
    } else {
      selectEngine(null);
      initMs = await initOrt();
    }
  } catch (e) {
    // the runtime itself could not start: nothing can run
    const body = {
      engine,
      ort_web_version: ortWebVersionText,
      shim_active: isShimActive(),
      error: errorOf(e),
    };
    console.log(JSON.stringify(body));
    Deno.exit(3);
  }
  const models = new Map<string, Promise<Model>>();
  const results: RunResult[] = [];
  for (const [i, r] of request.runs.entries()) {
    if (typeof r.model !== "string" || typeof r.input_name !== "string") {
      fail(`runs[${i}] needs "model" and "input_name" strings`);
    }
    const { rows, nRows, nCols } = toRows(r, i);
    try {
      let pending = models.get(r.model);
      if (!pending) {
        pending = Deno.readFile(r.model).then((bytes) => loadModel(bytes, r.model));
        models.set(r.model, pending);
      }
      const model = await pending;
      if (model.engine !== engine) {
        throw new Error(`model ran on ${model.engine}, not ${engine}`);
      }
      const t0 = performance.now();
      const out = await run(model, r.input_name, rows, nRows, nCols);
      const runMs = performance.now() - t0;
      const outputs: Record<string, EncodedOutput> = {};
      for (const [name, o] of Object.entries(out)) {
        outputs[name] = encodeOutput(o);
      }
      results.push({
        model: r.model,
        load_ms: model.loadMs,
        run_ms: runMs,
        outputs,
      });
    } catch (e) {
      results.push({ model: r.model, error: errorOf(e) });
    }
  }

  const body = JSON.stringify({
    engine,
    ort_web_version: ortWebVersionText,
    shim_active: isShimActive(),
    init_ms: initMs,
    results,
  });
  const writer = Deno.stdout.writable.getWriter();
  await writer.write(new TextEncoder().encode(body + "\n"));
  await writer.close();
}

if (import.meta.main) {
  await main();
}
