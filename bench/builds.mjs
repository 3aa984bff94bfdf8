// The three wasm builds of simdclass, each loaded as its own Core (own memory, own instance),
// run in the caller's thread (threads: 0): every suite but threads/* measures one thread.
import { init } from '../dist/node.js';
import { core } from '../dist/runtime.js';

/** Build names in report order: scalar first (the baseline), relaxed last. */
export const BUILDS = ['scalar', 'simd', 'relaxed'];

/**
 * Switches simdclass to `build` in the caller's thread (no worker pool) and returns its Core.
 * The library keeps one Core per (build, threads), each with its own instance and memory, and
 * init() makes one of them current, so models and kernels must capture the Core right after
 * this call; a model keeps the Core it was trained on. The threads/* suites switch to pooled
 * cores with useThreads().
 */
export async function useBuild(build) {
  await init({ build, threads: 0 });
  return core();
}

/** Switches simdclass to `build` with a pool of `threads` workers (0: the caller's thread); returns the runtime info. */
export async function useThreads(build, threads) {
  return init({ build, threads });
}

/** The builds this engine can run, and a note for each one it cannot. */
export async function availableBuilds() {
  const builds = [];
  const notes = [];
  for (const build of BUILDS) {
    try {
      await useBuild(build);
      builds.push(build);
    } catch (err) {
      notes.push(`build '${build}' skipped: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return { builds, notes };
}

/** The build `init()` picks by default (relaxed when the engine has it): the one held against the peers. */
export function defaultBuild(builds) {
  return builds.includes('relaxed') ? 'relaxed' : builds.includes('simd') ? 'simd' : 'scalar';
}
