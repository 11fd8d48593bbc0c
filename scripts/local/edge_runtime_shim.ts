/**
 * Edge runtime shim: imposes the hosted Supabase edge runtime's rule on a local Deno process.
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
 *   feature probes, such as onnxruntime-web's thread check, see "no threads").
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
    bytes.length < 8 || bytes[0] !== 0x00 || bytes[1] !== 0x61 || bytes[2] !== 0x73 ||
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

  const info: ShimInfo = { installedAt: Date.now(), refusals: 0, lastRefusal: null };
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
  ) => Promise<WebAssembly.WebAssemblyInstantiatedSource | WebAssembly.Instance>;
  const origValidate = wasm.validate.bind(wasm);

  const checkBinary = (source: unknown, what: string): void => {
    if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
      if (declaresSharedMemory(source as WasmBytes)) refuse(what, wasm.CompileError);
    }
  };

  // 2. No shared WebAssembly.Memory. A Proxy keeps `instanceof WebAssembly.Memory` working.
  const Memory = new Proxy(OrigMemory, {
    construct(target, args, newTarget) {
      const descriptor = args[0] as WebAssembly.MemoryDescriptor | undefined;
      if (descriptor && descriptor.shared) refuse("WebAssembly.Memory({shared: true})", TypeError);
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
  ): Promise<WebAssembly.WebAssemblyInstantiatedSource | WebAssembly.Instance> => {
    try {
      checkBinary(source, "WebAssembly.instantiate");
    } catch (e) {
      return Promise.reject(e);
    }
    return origInstantiate(source as BufferSource | WebAssembly.Module, imports);
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
    return (await instantiate(bytes, imports)) as WebAssembly.WebAssemblyInstantiatedSource;
  };

  const define = (name: string, value: unknown): void => {
    Object.defineProperty(wasm, name, { value, writable: true, configurable: true });
  };
  define("Memory", Memory);
  define("Module", Module);
  define("compile", compile);
  define("instantiate", instantiate);
  define("validate", validate);
  define("compileStreaming", compileStreaming);
  define("instantiateStreaming", instantiateStreaming);

  Object.defineProperty(g, SHIM_MARKER, { value: info, enumerable: false, configurable: false });
  return info;
}

/** The shim's record; installing the shim is the side effect of importing this module. */
export const shimInfo: ShimInfo = install();

/** True when the shim is active in this process. */
export function isShimActive(): boolean {
  return (globalThis as GlobalWithShim)[SHIM_MARKER] !== undefined;
}
