// The model loader: the active version of each model from model_registry, its bytes checked
// against its sha256, one onnxruntime session per (name, version) per isolate; the bundled copy
// (onnx_models/, shipped with the function as static files) when the registry has no usable
// version or cannot be reached. Every refusal is logged. Each model is checked against its golden
// vectors before it serves (ort.ts): those the registry stores with it, else the bundled file.
import {
  type EngineName,
  getModel,
  type Golden,
  type LoadOptions,
  type Model,
  run,
} from "./ort.ts";
import { jsonList, withDb } from "./db.ts";

export interface ModelEntry {
  name: string;
  version: string;
  sha256: string;
  file: string;
  input_name: string;
  input_width: number;
  feature_names: string[];
  outputs: { name: string; meaning: string }[];
  [extra: string]: unknown;
}

export interface LoadedModel {
  entry: ModelEntry;
  model: Model;
  source: "registry" | "bundled";
}

const BUNDLED_DIR = new URL("../../../onnx_models/", import.meta.url);
// How long a looked-up active version is trusted before the registry is asked again.
const REFRESH_MS = Number(Deno.env.get("MODEL_REFRESH_MS") ?? "10000");

export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

let bundledManifest: Promise<Record<string, ModelEntry>> | undefined;

export function bundledEntries(): Promise<Record<string, ModelEntry>> {
  bundledManifest ??= Deno.readTextFile(new URL("manifest.json", BUNDLED_DIR)).then(
    (text) => JSON.parse(text).models,
  );
  return bundledManifest;
}

/** The golden vectors of a model: stored with it in the registry, else bundled beside it. */
async function goldenOf(entry: ModelEntry): Promise<LoadOptions> {
  let vectors = entry.golden_vectors as Golden | undefined;
  if (!vectors && typeof entry.golden === "string") {
    try {
      vectors = JSON.parse(await Deno.readTextFile(new URL(entry.golden, BUNDLED_DIR)));
    } catch {
      // not bundled: said below
    }
  }
  if (!vectors) {
    console.error(`model ${entry.name} ${entry.version}: no golden vectors, loaded unchecked`);
    return {};
  }
  return { golden: { inputName: entry.input_name, vectors } };
}

async function checkedBytes(entry: ModelEntry, bytes: Uint8Array<ArrayBuffer>, where: string) {
  const actual = await sha256Hex(bytes);
  if (actual !== entry.sha256) {
    throw new Error(`${where} ${entry.name} ${entry.version}: sha256 ${actual} != ${entry.sha256}`);
  }
  return bytes;
}

async function loadBundled(name: string): Promise<LoadedModel> {
  const entry = (await bundledEntries())[name];
  if (!entry) throw new Error(`model ${name} is not bundled`);
  const model = await getModel(
    `bundled:${name}@${entry.version}`,
    async () =>
      checkedBytes(entry, await Deno.readFile(new URL(entry.file, BUNDLED_DIR)), "bundled"),
    () => goldenOf(entry),
  );
  return { entry, model, source: "bundled" };
}

interface Active {
  version: string | null; // null: nothing usable in the registry
  checkedAt: number;
  loaded: Promise<LoadedModel>;
}

const active = new Map<string, Active>();

/** A scalar subquery: {name: version} of the active models named in the text[] parameter $n. A
 * function's read can carry it, so that one round trip also sees the latest publish. */
export function activeVersionsSql(n: number): string {
  return `(select coalesce(json_object_agg(r.name, r.version), '{}'::json)
    from public.model_registry r where r.is_active and r.name in
      (select jsonb_array_elements_text($${n}::text::jsonb)))`;
}

async function registryVersions(names: string[]): Promise<Map<string, string>> {
  const [row] = await withDb((sql) =>
    sql.unsafe<{ models: Record<string, string> }[]>(
      `select ${activeVersionsSql(1)} as models`,
      [jsonList(names)],
      { prepare: true },
    )
  );
  return new Map(Object.entries(row.models));
}

async function loadFromRegistry(name: string, version: string): Promise<LoadedModel> {
  const rows = await withDb((sql) =>
    sql<{ sha256: string; onnx: Uint8Array; manifest: ModelEntry }[]>`
      select sha256, onnx, manifest from public.model_registry
      where name = ${name} and version = ${version}`
  );
  if (rows.length === 0) throw new Error(`registry ${name} ${version}: gone`);
  const { onnx, manifest } = rows[0];
  const entry = { ...manifest, sha256: rows[0].sha256, version };
  const model = await getModel(
    `registry:${name}@${version}`,
    () => checkedBytes(entry, new Uint8Array(onnx), "registry"),
    () => goldenOf(entry),
  );
  return { entry, model, source: "registry" };
}

/** The loaded models for these names: registry first, bundled copy as fallback. `known`: the
 * registry's active versions when the caller has just read them (then nothing is looked up). */
export async function activeModels(
  names: string[],
  known?: Map<string, string>,
): Promise<Map<string, LoadedModel>> {
  const now = Date.now();
  const stale = known ? names : names.filter((n) => {
    const a = active.get(n);
    return !a || now - a.checkedAt > REFRESH_MS;
  });
  if (stale.length > 0) {
    let versions = known;
    if (!versions) {
      try {
        versions = await registryVersions(stale);
      } catch (err) {
        console.error(`model registry unreachable, keeping cached or bundled models: ${err}`);
      }
    }
    for (const name of stale) {
      const cached = active.get(name);
      const version = versions ? versions.get(name) ?? null : cached?.version ?? null;
      if (cached && cached.version === version) {
        cached.checkedAt = now;
        continue;
      }
      const loaded = version === null ? loadBundled(name) : loadFromRegistry(name, version).catch(
        (err) => {
          console.error(`refused ${err}; falling back to the bundled model`);
          return loadBundled(name);
        },
      );
      active.set(name, { version, checkedAt: now, loaded });
      loaded.catch(() => active.delete(name));
    }
  }
  const out = new Map<string, LoadedModel>();
  for (const name of names) out.set(name, await active.get(name)!.loaded);
  return out;
}

/** The engines the models run on now ("builtin", "web", or both joined by "+"). */
export function enginesOf(models: Iterable<LoadedModel>): string {
  const names = new Set<EngineName>([...models].map((m) => m.model.engine));
  return [...names].sort().join("+");
}

/** Runs a model on row-major float32 features; returns its outputs as plain number arrays. */
export async function predictRows(
  loaded: LoadedModel,
  rows: Float32Array,
  nRows: number,
): Promise<Record<string, number[]>> {
  const width = loaded.entry.input_width;
  const outputs = await run(loaded.model, loaded.entry.input_name, rows, nRows, width);
  return Object.fromEntries(
    Object.entries(outputs).map((
      [name, out],
    ) => [name, Array.from(out.data as Float32Array, Number)]),
  );
}
