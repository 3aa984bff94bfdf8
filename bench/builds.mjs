// The three wasm builds of simdclass, each loaded as its own Core (own memory, own instance).
import { init } from '../dist/node.js';
import { core } from '../dist/runtime.js';

/** Build names in report order: scalar first (the baseline), relaxed last. */
export const BUILDS = ['scalar', 'simd', 'relaxed'];

/**
 * Switches simdclass to `build` and returns its Core. init() replaces the global core whenever
 * the build changes (a fresh instance and memory), so models and kernels must capture the Core
 * right after this call; a model keeps the Core it was trained on.
 */
export async function useBuild(build) {
  await init({ build });
  return core();
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
