import * as loader from '@assemblyscript/loader';
import { ArgumentRangeError, OutOfMemoryError, StateError, WasmLoadError } from './errors.js';
import { checkInt } from './matrix.js';
import { checkOptions } from './options.js';
import { Pool, type SpawnWorker } from './exec/pool.js';

/** The three binaries built from assembly/: relaxed SIMD (real FMA), SIMD, and scalar (for tests and old engines). */
export type Build = 'relaxed' | 'simd' | 'scalar';

/** Where the wasm comes from: bytes, a compiled module, a URL or a fetch Response. */
export type WasmSource = BufferSource | WebAssembly.Module | URL | string | Response;

export interface InitOptions {
  /** Which binary to run; 'auto' (default) picks relaxed when the engine validates it, else SIMD. */
  build?: Build | 'auto';
  /** Overrides where the chosen binary is loaded from (for bundlers that do not copy the .wasm). */
  wasm?: WasmSource;
  /**
   * Worker threads that run the kernels over one shared memory (default: the machine's cores,
   * os.availableParallelism() in Node, navigator.hardwareConcurrency in browsers). 0 runs every
   * kernel in the caller's thread.
   */
  threads?: number;
}

export interface RuntimeInfo {
  build: Build;
  /** Bytes of wasm linear memory in use (grows, never shrinks). */
  memoryBytes: number;
  /** Worker threads running the kernels (0: the caller's thread). */
  threads: number;
  /** Why there are fewer threads than asked for, when there are (e.g. a page that is not cross-origin isolated). */
  threadsNote?: string;
}

/** Raw kernel exports (assembly/index.ts): pointers and sizes only. */
export interface Kernels {
  alloc(size: number): number;
  free(ptr: number): void;
  maxBlockBytes(): number;
  panelRows(): number;
  classDims(): number;
  classesPerPanel(): number;
  simdLevel(): number;
  rowNormsF32(x: number, rows: number, stride: number, out: number): void;
  rowNormsU8(x: number, rows: number, stride: number, out: number): void;
  knnScratchBytes(stride: number): number;
  packPanels8(x: number, rows: number, stride: number, out: number): void;
  knnU8(metric: number, q: number, m: number, t: number, tNorms: number, n: number, stride: number, k: number, outDist: number, outIdx: number, scratch: number): void;
  knnF32(metric: number, q: number, m: number, t: number, panels: number, tNorms: number, n: number, stride: number, k: number, outDist: number, outIdx: number, scratch: number): void;
  distancesU8(metric: number, q: number, m: number, t: number, tNorms: number, n: number, stride: number, out: number, scratch: number): void;
  distancesF32(metric: number, q: number, m: number, t: number, panels: number, tNorms: number, n: number, stride: number, out: number, scratch: number): void;
  packClassPanels(w: number, ld: number, classes: number, minus: number, out: number): void;
  classScoresF32(x: number, ld: number, m: number, panels: number, classes: number, s: number, lds: number): void;
  classGradF32(x: number, ld: number, m: number, ds: number, lds: number, classes: number, dw: number, accumulate: number): void;
  lossGrad(loss: number, x: number, ld: number, m: number, w: number, c: number, y: number, reg: number, s: number, lds: number, panels: number, dw: number): number;
  sgdStep(loss: number, isU8: number, rowPtrs: number, y: number, count: number, d: number, mean: number, w: number, c: number, reg: number, lr: number, xb: number, ld: number, s: number, lds: number, panels: number, dw: number): number;
  linearScores(src: number, isU8: number, srcStride: number, first: number, count: number, d: number, mean: number, panels: number, c: number, xb: number, ld: number, s: number, lds: number): void;
}

const MAX_PAGES = 65536;

/** wasm32 addresses 4 GiB: no block, and no sum of live blocks, can reach it. */
export const WASM32_BYTES = 2 ** 32;

/**
 * The byte size of `what`: the product of `factors` (counts and bytes per item) in exact integer
 * arithmetic. A product that wasm32 could never hold is an ERR_OUT_OF_MEMORY naming the request,
 * so that no size reaches the wasm allocator, where a u32 would wrap it.
 */
export function byteSize(what: string, ...factors: number[]): number {
  let bytes = 1;
  for (const f of factors) {
    if (!Number.isSafeInteger(f) || f < 0) throw new ArgumentRangeError(`Expected the sizes of ${what} to be non-negative integers, got ${f}`);
    bytes *= f;
    if (bytes >= WASM32_BYTES) {
      throw new OutOfMemoryError(`${what} would need ${factors.join(' x ')} bytes, more than wasm32's 4 GiB address space`);
    }
  }
  return bytes;
}

/** "3.2 GiB (3435973836 bytes)": readable and exact. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes, unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  return unit === 0 ? `${bytes} bytes` : `${value >= 100 ? value.toFixed(0) : value.toPrecision(3)} ${units[unit]} (${bytes} bytes)`;
}

/**
 * The instantiated core: one imported linear memory that TS lays out. Typed-array views are
 * re-created whenever memory growth has detached the old buffer. Every block is counted, so an
 * out-of-memory error can say what is free, and a pointer is freed at most once.
 */
export class Core {
  readonly build: Build;
  readonly kernels: Kernels;
  readonly memory: WebAssembly.Memory;
  /** The worker pool over this core's shared memory, or null when kernels run in the caller's thread. */
  pool: Pool | null = null;
  threadsRequested = 0;
  threadsNote: string | undefined;
  /** The largest block the wasm allocator hands out (TLSF: just under 1 GiB). */
  readonly maxBlockBytes: number;
  /** The kernels' layout constants (see src/layout.ts), read from the module. */
  readonly layout: { panelRows: number; classDims: number; classesPerPanel: number };
  private readonly live = new Map<number, number>();
  private liveBytes = 0;
  private readonly baseBytes: number;
  private buffer: ArrayBuffer | SharedArrayBuffer | null = null;
  private u8View = new Uint8Array(0);
  private i32View = new Int32Array(0);
  private f32View = new Float32Array(0);
  private f64View = new Float64Array(0);

  constructor(build: Build, kernels: Kernels, memory: WebAssembly.Memory) {
    this.build = build;
    this.kernels = kernels;
    this.memory = memory;
    this.maxBlockBytes = kernels.maxBlockBytes() >>> 0;
    this.layout = { panelRows: kernels.panelRows(), classDims: kernels.classDims(), classesPerPanel: kernels.classesPerPanel() };
    this.baseBytes = memory.buffer.byteLength;
  }

  /** Bytes that live blocks hold. */
  get usedBytes(): number { return this.liveBytes; }

  /** About how many bytes can still be allocated (wasm32's 4 GiB less the blocks in use and the static data). */
  get freeBytes(): number { return WASM32_BYTES - this.baseBytes - this.liveBytes; }

  /**
   * Allocates a 16-byte aligned block of `bytes` (a positive integer, at most maxBlockBytes) for
   * `what`, or throws ERR_OUT_OF_MEMORY naming it. Nothing larger ever reaches the wasm allocator.
   */
  alloc(bytes: number, what = 'a block'): number {
    if (!Number.isSafeInteger(bytes) || bytes <= 0) {
      throw new ArgumentRangeError(`Expected the size of ${what} to be a positive integer number of bytes, got ${bytes}`);
    }
    if (bytes > this.maxBlockBytes) {
      throw new OutOfMemoryError(`${what} needs ${formatBytes(bytes)} in one block; the largest WebAssembly block is ${formatBytes(this.maxBlockBytes)}`);
    }
    this.checkFits(bytes, what);
    let ptr: number;
    try {
      ptr = this.kernels.alloc(bytes) >>> 0;
    } catch {
      ptr = 0;
    }
    if (ptr === 0) throw new OutOfMemoryError(`Out of WebAssembly memory: ${what} needs ${formatBytes(bytes)}; ${this.freeNote()}`);
    this.live.set(ptr, bytes);
    this.liveBytes += bytes;
    return ptr;
  }

  /** Throws ERR_OUT_OF_MEMORY, before anything is allocated or copied, when `bytes` more cannot fit. */
  checkFits(bytes: number, what: string): void {
    if (bytes > this.freeBytes) throw new OutOfMemoryError(`Out of WebAssembly memory: ${what} needs ${formatBytes(bytes)}; ${this.freeNote()}`);
  }

  private freeNote(): string {
    return `about ${formatBytes(Math.max(0, this.freeBytes))} of wasm32's 4 GiB are free (${formatBytes(this.liveBytes)} held by live models and buffers)`;
  }

  /** Frees a block from alloc(); 0, and a pointer that is not live, are ignored (never a double free). */
  free(ptr: number): void {
    const bytes = this.live.get(ptr);
    if (bytes === undefined) return;
    this.live.delete(ptr);
    this.liveBytes -= bytes;
    this.kernels.free(ptr);
  }

  /**
   * Runs `fn` with a scope whose blocks are all freed when it returns or throws, except the ones
   * it keep()s: those now belong to the caller (a model's state).
   */
  scoped<T>(fn: (scope: Scope) => T): T {
    const scope = new Scope(this);
    try {
      return fn(scope);
    } finally {
      scope.close();
    }
  }

  /** scoped() for work that awaits kernels on the pool: the blocks are freed once it settles. */
  async scopedAsync<T>(fn: (scope: Scope) => Promise<T>): Promise<T> {
    const scope = new Scope(this);
    try {
      return await fn(scope);
    } finally {
      scope.close();
    }
  }

  private refresh(): void {
    const buffer = this.memory.buffer;
    if (buffer !== this.buffer) {
      this.buffer = buffer;
      this.u8View = new Uint8Array(buffer);
      this.i32View = new Int32Array(buffer);
      this.f32View = new Float32Array(buffer);
      this.f64View = new Float64Array(buffer);
    }
  }

  get u8(): Uint8Array { this.refresh(); return this.u8View; }
  get i32(): Int32Array { this.refresh(); return this.i32View; }
  get f32(): Float32Array { this.refresh(); return this.f32View; }
  get f64(): Float64Array { this.refresh(); return this.f64View; }

  get memoryBytes(): number { return this.memory.buffer.byteLength; }
}

/** Blocks allocated for one call; see Core.scoped. */
export class Scope {
  private readonly blocks = new Set<number>();
  constructor(private readonly core: Core) {}

  alloc(bytes: number, what: string): number {
    const ptr = this.core.alloc(bytes, what);
    this.blocks.add(ptr);
    return ptr;
  }

  /** Takes the block out of the scope: it outlives the call and its owner frees it. */
  keep(ptr: number): number {
    this.blocks.delete(ptr);
    return ptr;
  }

  close(): void {
    for (const ptr of this.blocks) this.core.free(ptr);
    this.blocks.clear();
  }
}

let current: Core | null = null;
// One core per (build, threads): switching builds (as the tests do) reuses a core and its workers.
const cores = new Map<string, Core>();

/** The initialized core; model methods call this and get a clear error when init() was not awaited. */
export function core(): Core {
  if (current === null) throw new StateError('simdclass is not initialized: call `await init()` once before using models or losses');
  return current;
}

/** How many model calls can usefully run at once: the pool's workers, or 1 (also before init). */
export function parallelism(): number {
  return current?.pool?.size ?? 1;
}

/** Platform hooks: where the wasm of a build is, how to start a worker, what to run before compiling. */
export interface Platform {
  defaultSource(build: Build, threaded: boolean): WasmSource | Promise<WasmSource>;
  prepare?(): void;
  /** The thread count init() uses by default. */
  defaultThreads(): number;
  /** Why threads cannot run here (no SharedArrayBuffer, a page without cross-origin isolation), or null. */
  threadsUnavailable(): string | null;
  spawnWorker: SpawnWorker;
}

const BUILD_OF_LEVEL: Record<number, Build> = { 0: 'scalar', 1: 'simd', 2: 'relaxed' };

/** Builds that have a threaded binary (the scalar build is for tests and engines without SIMD, which lack threads too). */
const THREADED_BUILDS: readonly Build[] = ['relaxed', 'simd'];

/** Shared init() behind the browser and Node entries. Idempotent for the same options. */
export async function initWith(platform: Platform, initOptions?: InitOptions | null): Promise<RuntimeInfo> {
  const options = checkOptions(initOptions, 'init options', ['build', 'wasm', 'threads']);
  const requested = options.build ?? 'auto';
  if (!['auto', 'relaxed', 'simd', 'scalar'].includes(requested)) {
    throw new ArgumentRangeError(`Expected build to be 'auto', 'relaxed', 'simd' or 'scalar', got ${String(requested)}`);
  }
  if (current !== null && options.wasm === undefined && options.threads === undefined && (requested === 'auto' || requested === current.build)) {
    return info(current);
  }
  const wanted = checkInt(options.threads ?? current?.threadsRequested ?? platform.defaultThreads(), 'threads', 0, 256);
  platform.prepare?.();
  const build: Build = requested === 'auto' ? detectBuild() : requested;
  if (build !== 'scalar' && !supports(build)) {
    throw new WasmLoadError(`This engine cannot run the '${build}' build: WebAssembly ${build === 'relaxed' ? 'relaxed SIMD' : 'SIMD'} is not supported. Use init({ build: 'auto' }) or 'scalar'.`);
  }
  const unavailable = wanted === 0 ? null : !THREADED_BUILDS.includes(build) ? `the ${build} build runs in the caller's thread` : platform.threadsUnavailable();
  const threads = unavailable === null ? wanted : 0;
  const key = `${build}/${threads}`;
  let next = options.wasm === undefined ? cores.get(key) : undefined;
  if (next === undefined) {
    const source = options.wasm ?? await platform.defaultSource(build, threads > 0);
    // A binary given with build 'auto' is used as whatever build it is (its SIMD level says which).
    next = await instantiate(options.wasm !== undefined && requested === 'auto' ? null : build, source, threads, platform.spawnWorker);
    if (options.wasm === undefined) cores.set(key, next);
  }
  next.threadsRequested = wanted;
  // Why this request got fewer threads than it asked for (a cached core may serve several requests).
  if (unavailable !== null) next.threadsNote = `no worker threads: ${unavailable}`;
  else if (next.pool !== null || wanted === 0) next.threadsNote = undefined;
  current = next;
  return info(current);
}

function info(c: Core): RuntimeInfo {
  const out: RuntimeInfo = { build: c.build, memoryBytes: c.memoryBytes, threads: c.pool?.size ?? 0 };
  if (c.threadsNote !== undefined) out.threadsNote = c.threadsNote;
  return out;
}

async function instantiate(wanted: Build | null, source: WasmSource, threads: number, spawnWorker: SpawnWorker): Promise<Core> {
  const build = wanted ?? 'given';
  const where = source instanceof URL || typeof source === 'string' ? String(source) : null;
  let module: WebAssembly.Module;
  try {
    module = await compile(where !== null ? await fetchWasm(where) : source as BufferSource | WebAssembly.Module | Response);
  } catch (err) {
    throw loadError(build, where, err);
  }
  // A threaded binary imports a shared memory and an unthreaded one a plain memory; a binary
  // given through init({ wasm }) may be either, so the shared flag it wants is tried first.
  const attempts = threads > 0 ? [true, false] : [false, true];
  let lastError: unknown = null;
  for (const shared of attempts) {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared });
    let kernels: Kernels;
    try {
      const { exports } = await loader.instantiate<Record<string, unknown>>(module, { env: { memory } });
      kernels = exports as unknown as Kernels;
    } catch (err) {
      lastError = err;
      continue;
    }
    const level = BUILD_OF_LEVEL[kernels.simdLevel()];
    if (level === undefined || (wanted !== null && level !== wanted)) {
      throw loadError(build, where, new Error(`the binary reports SIMD level ${kernels.simdLevel()}, not the '${build}' build`));
    }
    if (level !== 'scalar' && !supports(level)) throw new WasmLoadError(`This engine cannot run the given '${level}' binary: WebAssembly ${level === 'relaxed' ? 'relaxed SIMD' : 'SIMD'} is not supported`);
    const c = new Core(level, kernels, memory);
    if (shared && threads > 0) {
      // Workers that cannot start (a bundle without the worker script, a blocked context) leave the core in the caller's thread.
      try {
        c.pool = await Pool.start(threads, spawnWorker, module, memory);
      } catch (err) {
        c.threadsNote = `no worker threads: the workers could not start (${err instanceof Error ? err.message : String(err)})`;
      }
    } else if (threads > 0) {
      c.threadsNote = 'no worker threads: the wasm binary given to init() is not a threaded build';
    }
    return c;
  }
  throw loadError(build, where, lastError);
}

async function compile(source: BufferSource | WebAssembly.Module | Response): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  if (typeof Response !== 'undefined' && source instanceof Response) return WebAssembly.compileStreaming(source);
  return WebAssembly.compile(source as BufferSource);
}

function loadError(build: Build | 'given', where: string | null, err: unknown): Error {
  if (err instanceof WasmLoadError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  const from = where !== null ? ` from ${where}` : '';
  if (build === 'given') return new WasmLoadError(`Could not load the WebAssembly core given to init({ wasm })${from}: ${detail}`);
  return new WasmLoadError(`Could not load the simdclass '${build}' WebAssembly core${from}: ${detail}. ` +
    `If your bundler does not copy build/simdclass-${build}.wasm, serve that file and pass its URL or bytes: init({ wasm: url })`);
}

async function fetchWasm(url: string): Promise<Response | ArrayBuffer> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
  // Streaming compilation needs the application/wasm type; a server that sends another one still works through bytes.
  if (!(response.headers.get('Content-Type') ?? '').startsWith('application/wasm')) return response.arrayBuffer();
  return response;
}

// Smallest modules that use one v128 instruction of each feature (v128.const; f32x4.relaxed_madd).
const V128_CONST = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
const SIMD_PROBE = probeModule([...V128_CONST, 0x0b]);
const RELAXED_PROBE = probeModule([...V128_CONST, ...V128_CONST, ...V128_CONST, 0xfd, 0x85, 0x02, 0x0b]);

function probeModule(code: number[]): Uint8Array<ArrayBuffer> {
  const body = [0x00, ...code];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type: () -> v128
    0x03, 0x02, 0x01, 0x00, // one function of type 0
    0x0a, body.length + 2, 0x01, body.length, ...body,
  ]);
}

function supports(build: Build): boolean {
  if (build === 'scalar') return true;
  return WebAssembly.validate(build === 'relaxed' ? RELAXED_PROBE : SIMD_PROBE);
}

function detectBuild(): Build {
  if (supports('relaxed')) return 'relaxed';
  if (supports('simd')) return 'simd';
  return 'scalar';
}
