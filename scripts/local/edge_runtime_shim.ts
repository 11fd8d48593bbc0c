/**
 * Edge runtime shim: imposes the hosted Supabase edge runtime's rule on a local Deno process, and
 * provides its built-in ONNX engine.
 *
 * The hosted runtime forbids shared memory: there is no SharedArrayBuffer and no shared
 * WebAssembly.Memory, so a WebAssembly module that declares or imports a shared memory cannot be
 * used (DESIGN.md, "Edge functions", hosted constraints). Plain Deno allows both, so without this
 * shim a dependency that only works with threads (onnxruntime-web >= 1.19 ships only a threaded
 * wasm) would pass every local test and then fail once deployed.
 *
 * Load it before anything else:
 *   deno run --preload scripts/local/edge_runtime_shim.ts main.ts
 *   deno test --preload scripts/local/edge_runtime_shim.ts ...
 * or make it the first import of a test or entry module (ES modules evaluate in import order).
 *
 * What it does, once per process (idempotent):
 * - deletes globalThis.SharedArrayBuffer;
 * - `new WebAssembly.Memory({shared: true, ...})` throws a TypeError;
 * - compiling or instantiating a module (WebAssembly.Module, compile, instantiate,
 *   compileStreaming, instantiateStreaming) whose binary declares or imports a shared memory throws
 *   a WebAssembly.CompileError, and WebAssembly.validate returns false for it (which is how
 *   feature probes, such as onnxruntime-web's thread check, see "no threads");
 * - installs `globalThis[Symbol.for("onnxruntime")]`, the hosted runtime's built-in ONNX engine,
 *   with the API surface of supabase/edge-runtime's ext/ai/js/onnxruntime/onnx.js (a LOCAL
 *   STAND-IN backed by onnxruntime-node, the same native onnxruntime), unless the stack option
 *   EDGE_RUNTIME_ORT=web asks for a runtime without it. Loading it needs --allow-ffi (native
 *   addon); without that permission the global is left out and a warning is printed;
 * - with EDGE_RUNTIME_MEMORY_REPORT=1 (the gateway sets it for its function processes), answers
 *   SIGUSR2 with one stderr line, MEMORY_LINE_PREFIX + JSON of Deno.memoryUsage() and the pid:
 *   the V8 heap and external memory an isolate's limit is measured on, for scripts/bench.
 */

/** Marker set on globalThis once the shim is active. */
export const SHIM_MARKER = "__scratchOracleEdgeRuntimeShim";

/** The message prefix every refusal of this shim carries. */
export const SHIM_ERROR_PREFIX = "edge runtime: shared memory is not supported";

type WasmBytes = ArrayBuffer | ArrayBufferView;

type GlobalWithShim = typeof globalThis & { [SHIM_MARKER]?: ShimInfo };

/** What the shim recorded: refusals are counted so tests can tell the shim, not luck, stopped it. */
export interface ShimInfo {
  readonly installedAt: number;
  refusals: number;
  lastRefusal: string | null;
}

/** Reads an unsigned LEB128 value; returns [value, nextOffset]. */
function readU32(bytes: Uint8Array, offset: number): [number, number] {
  let result = 0;
  let shift = 0;
  let pos = offset;
  for (;;) {
    if (pos >= bytes.length) throw new RangeError("truncated LEB128");
    const byte = bytes[pos++];
    result += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [result, pos];
    shift += 7;
    if (shift > 63) throw new RangeError("LEB128 too long");
  }
}

/** Skips a signed LEB128 value (heap types of typed references). */
function skipLeb(bytes: Uint8Array, offset: number): number {
  let pos = offset;
  for (;;) {
    if (pos >= bytes.length) throw new RangeError("truncated LEB128");
    if ((bytes[pos++] & 0x80) === 0) return pos;
  }
}

/** Reads memory or table limits; returns [isShared, nextOffset]. */
function readLimits(bytes: Uint8Array, offset: number): [boolean, number] {
  const flags = bytes[offset];
  let pos = offset + 1;
  pos = skipLeb(bytes, pos); // minimum
  if (flags & 0x01) pos = skipLeb(bytes, pos); // maximum
  if (flags & 0x08) pos = skipLeb(bytes, pos); // custom page size
  return [(flags & 0x02) !== 0, pos];
}

function readName(bytes: Uint8Array, offset: number): number {
  const [len, pos] = readU32(bytes, offset);
  return pos + len;
}

function toBytes(source: WasmBytes): Uint8Array {
  if (source instanceof Uint8Array) return source;
  if (ArrayBuffer.isView(source)) {
    return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  }
  return new Uint8Array(source);
}

/**
 * True when the WebAssembly binary imports or defines a shared memory. A binary that cannot be
 * parsed gives false: the engine then reports its own, more precise, error.
 */
export function declaresSharedMemory(source: WasmBytes): boolean {
  let bytes: Uint8Array;
  try {
    bytes = toBytes(source);
  } catch {
    return false;
  }
  if (
    bytes.length < 8 || bytes[0] !== 0x00 || bytes[1] !== 0x61 ||
    bytes[2] !== 0x73 ||
    bytes[3] !== 0x6d
  ) {
    return false;
  }
  try {
    let pos = 8;
    while (pos < bytes.length) {
      const id = bytes[pos++];
      const [size, start] = readU32(bytes, pos);
      const end = start + size;
      if (id === 2) {
        // import section
        let [count, p] = readU32(bytes, start);
        for (; count > 0; count--) {
          p = readName(bytes, p); // module
          p = readName(bytes, p); // field
          const kind = bytes[p++];
          if (kind === 0x00) {
            p = skipLeb(bytes, p); // function type index
          } else if (kind === 0x01) {
            const refType = bytes[p++];
            if (refType === 0x63 || refType === 0x64) p = skipLeb(bytes, p);
            p = readLimits(bytes, p)[1];
          } else if (kind === 0x02) {
            const [shared, next] = readLimits(bytes, p);
            if (shared) return true;
            p = next;
          } else if (kind === 0x03) {
            const valType = bytes[p++];
            if (valType === 0x63 || valType === 0x64) p = skipLeb(bytes, p);
            p += 1; // mutability
          } else if (kind === 0x04) {
            p += 1; // tag attribute
            p = skipLeb(bytes, p);
          } else {
            return false; // unknown import kind: leave it to the engine
          }
        }
      } else if (id === 5) {
        // memory section
        let [count, p] = readU32(bytes, start);
        for (; count > 0; count--) {
          const [shared, next] = readLimits(bytes, p);
          if (shared) return true;
          p = next;
        }
      }
      pos = end;
    }
  } catch {
    return false;
  }
  return false;
}

function install(): ShimInfo {
  const g = globalThis as GlobalWithShim;
  const existing = g[SHIM_MARKER];
  if (existing) return existing;

  const info: ShimInfo = {
    installedAt: Date.now(),
    refusals: 0,
    lastRefusal: null,
  };
  const refuse = (what: string, Err: new (message: string) => Error): never => {
    const message = `${SHIM_ERROR_PREFIX} (${what})`;
    info.refusals += 1;
    info.lastRefusal = message;
    throw new Err(message);
  };

  // 1. No SharedArrayBuffer.
  delete (globalThis as { SharedArrayBuffer?: unknown }).SharedArrayBuffer;

  const wasm = WebAssembly;
  const OrigMemory = wasm.Memory;
  const OrigModule = wasm.Module;
  const origCompile = wasm.compile.bind(wasm);
  const origInstantiate = wasm.instantiate.bind(wasm) as (
    source: WasmBytes | WebAssembly.Module,
    imports?: WebAssembly.Imports,
  ) => Promise<
    WebAssembly.WebAssemblyInstantiatedSource | WebAssembly.Instance
  >;
  const origValidate = wasm.validate.bind(wasm);

  const checkBinary = (source: unknown, what: string): void => {
    if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
      if (declaresSharedMemory(source as WasmBytes)) {
        refuse(what, wasm.CompileError);
      }
    }
  };

  // 2. No shared WebAssembly.Memory. A Proxy keeps `instanceof WebAssembly.Memory` working.
  const Memory = new Proxy(OrigMemory, {
    construct(target, args, newTarget) {
      const descriptor = args[0] as WebAssembly.MemoryDescriptor | undefined;
      if (descriptor && descriptor.shared) {
        refuse("WebAssembly.Memory({shared: true})", TypeError);
      }
      return Reflect.construct(target, args, newTarget);
    },
  });

  // 3. No module that declares or imports a shared memory.
  const Module = new Proxy(OrigModule, {
    construct(target, args, newTarget) {
      checkBinary(args[0], "WebAssembly.Module");
      return Reflect.construct(target, args, newTarget);
    },
  });

  const compile = (bytes: WasmBytes): Promise<WebAssembly.Module> => {
    try {
      checkBinary(bytes, "WebAssembly.compile");
    } catch (e) {
      return Promise.reject(e);
    }
    return origCompile(bytes as BufferSource);
  };

  const instantiate = (
    source: WasmBytes | WebAssembly.Module,
    imports?: WebAssembly.Imports,
  ): Promise<
    WebAssembly.WebAssemblyInstantiatedSource | WebAssembly.Instance
  > => {
    try {
      checkBinary(source, "WebAssembly.instantiate");
    } catch (e) {
      return Promise.reject(e);
    }
    return origInstantiate(
      source as BufferSource | WebAssembly.Module,
      imports,
    );
  };

  const validate = (bytes: WasmBytes): boolean =>
    declaresSharedMemory(bytes) ? false : origValidate(bytes as BufferSource);

  const compileStreaming = async (
    source: Response | PromiseLike<Response>,
  ): Promise<WebAssembly.Module> => {
    const bytes = await (await source).arrayBuffer();
    return compile(bytes);
  };

  const instantiateStreaming = async (
    source: Response | PromiseLike<Response>,
    imports?: WebAssembly.Imports,
  ): Promise<WebAssembly.WebAssemblyInstantiatedSource> => {
    const bytes = await (await source).arrayBuffer();
    return (await instantiate(
      bytes,
      imports,
    )) as WebAssembly.WebAssemblyInstantiatedSource;
  };

  const define = (name: string, value: unknown): void => {
    Object.defineProperty(wasm, name, {
      value,
      writable: true,
      configurable: true,
    });
  };
  define("Memory", Memory);
  define("Module", Module);
  define("compile", compile);
  define("instantiate", instantiate);
  define("validate", validate);
  define("compileStreaming", compileStreaming);
  define("instantiateStreaming", instantiateStreaming);

  Object.defineProperty(g, SHIM_MARKER, {
    value: info,
    enumerable: false,
    configurable: false,
  });
  return info;
}

/** The shim's record; installing the shim is the side effect of importing this module. */
export const shimInfo: ShimInfo = install();

/** True when the shim is active in this process. */
export function isShimActive(): boolean {
  return (globalThis as GlobalWithShim)[SHIM_MARKER] !== undefined;
}

// ---- the built-in ONNX engine (LOCAL STAND-IN) --------------------------------------------------

/** The stack option choosing the engine the functions find: "builtin" (default, as hosted) or
 * "web" (no built-in engine: the functions fall back to onnxruntime-web). */
export const ENGINE_ENV = "EDGE_RUNTIME_ORT";

type TensorData = ArrayLike<number | bigint | string> | ArrayBufferLike;
type TypedArrayCtor = new (
  data: ArrayLike<number | bigint> | ArrayBufferLike,
) => ArrayLike<unknown>;

// onnx.js's DataTypeMap ("string" is Array.from).
const DATA_TYPES: Record<string, TypedArrayCtor> = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array as unknown as TypedArrayCtor,
  uint64: BigUint64Array as unknown as TypedArrayCtor,
  bool: Uint8Array,
};

/** onnx.js's Tensor: `data` holds {ty, c}; tensors handed back are proxied so `.data` is `c`. */
class Tensor {
  type: string;
  data: { ty: string; c: ArrayLike<unknown> };
  dims: number[];
  size = 0;

  constructor(type: string, data: TensorData, dims: number[]) {
    let c: ArrayLike<unknown>;
    if (type === "string") {
      c = Array.from(data as ArrayLike<string>);
    } else {
      const DataType = DATA_TYPES[type];
      if (!DataType) throw new Error(`Unsupported type: ${type}`);
      c = data instanceof DataType
        ? data as ArrayLike<unknown>
        : new DataType(data as ArrayLike<number> | ArrayBufferLike);
    }
    this.type = type;
    this.data = { ty: type, c };
    this.dims = dims;
    this.size = c.length;
  }
}

function proxied(tensor: Tensor): Tensor {
  return new Proxy(tensor, {
    get: (target, property) =>
      property === "data"
        ? (target.data as { c?: unknown })?.c ?? target.data
        : target[property as keyof Tensor],
  });
}

type NodeOrt = typeof import("onnxruntime-node");

function builtinEngine(node: NodeOrt) {
  let nextId = 0;
  class InferenceSession {
    constructor(
      readonly sessionId: number,
      readonly inputNames: string[],
      readonly outputNames: string[],
      private readonly session: import("onnxruntime-node").InferenceSession,
    ) {}

    static async fromBuffer(
      modelBuffer: Uint8Array,
    ): Promise<InferenceSession> {
      // One thread, as onnxruntime in the parity suite; the hosted engine runs its own settings.
      const session = await node.InferenceSession.create(modelBuffer, {
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
        executionMode: "sequential",
        graphOptimizationLevel: "all",
      });
      return new InferenceSession(
        nextId++,
        [...session.inputNames],
        [...session.outputNames],
        session,
      );
    }

    async run(inputs: Record<string, Tensor>): Promise<Record<string, Tensor>> {
      const feeds: Record<string, import("onnxruntime-node").Tensor> = {};
      for (const [key, tensorLike] of Object.entries(inputs)) {
        const { type, data, dims } = proxied(tensorLike);
        const t = new Tensor(type, data as unknown as TensorData, dims);
        feeds[key] = new node.Tensor(
          type as "float32",
          t.data.c as Float32Array,
          dims,
        );
      }
      const results = await this.session.run(feeds);
      const outputs: Record<string, Tensor> = {};
      for (const [key, r] of Object.entries(results)) {
        const data = r.data as ArrayBufferView;
        const buffer = data.buffer.slice(
          data.byteOffset,
          data.byteOffset + data.byteLength,
        );
        outputs[key] = proxied(
          new Tensor(r.type, buffer as ArrayBuffer, [...r.dims].map(Number)),
        );
      }
      return outputs;
    }
  }
  return {
    Tensor,
    env: {},
    InferenceSession: { create: InferenceSession.fromBuffer },
  };
}

function engineOption(): string {
  try {
    return Deno.env.get(ENGINE_ENV) ?? "builtin";
  } catch {
    return "builtin"; // no --allow-env: as hosted
  }
}

const BUILTIN_KEY = Symbol.for("onnxruntime");

async function installEngine(): Promise<void> {
  const g = globalThis as Record<symbol, unknown>;
  if (g[BUILTIN_KEY] !== undefined || engineOption() === "web") return;
  let node: NodeOrt;
  try {
    const mod = await import("onnxruntime-node");
    node = (mod.default ?? mod) as unknown as NodeOrt;
  } catch (e) {
    console.error(
      `edge runtime shim: no built-in ONNX engine (${(e as Error).message})`,
    );
    return;
  }
  g[BUILTIN_KEY] = builtinEngine(node);
}

await installEngine();

// ---- memory as the host counts it --------------------------------------------------------------

export const MEMORY_REPORT_ENV = "EDGE_RUNTIME_MEMORY_REPORT";
export const MEMORY_LINE_PREFIX = "edge-runtime memory ";

function installMemoryReport(): void {
  try {
    if (Deno.env.get(MEMORY_REPORT_ENV) !== "1") return;
  } catch {
    return; // no --allow-env
  }
  // A signal listener does not keep the process alive.
  Deno.addSignalListener("SIGUSR2", () => {
    console.error(
      MEMORY_LINE_PREFIX +
        JSON.stringify({ pid: Deno.pid, ...Deno.memoryUsage() }),
    );
  });
}

installMemoryReport();
