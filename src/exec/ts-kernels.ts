// Kernels written in TypeScript over the wasm memory, called by name like the wasm exports, so that
// they run where the executor runs kernels: on a pool worker (the caller's thread stays free), or in
// the caller's thread without a pool. Pointers and sizes in, results in memory, as for wasm kernels.
import { leadingEigenvectors } from '../principal-axes.js';
import type { Kernel } from './worker-core.js';

/** The TS kernels over `memory`, by name. */
export function tsKernels(memory: WebAssembly.Memory): Record<string, Kernel> {
  return {
    /**
     * The m leading eigenvectors of the symmetric n x n f64 matrix at `a` (principal-axes.ts, that many
     * rounds of subspace iteration), as m rows of n f64 at `out`, in decreasing order of eigenvalue.
     */
    leadingEigenvectorsF64(a: number, n: number, m: number, iterations: number, out: number): number {
      const { vectors } = leadingEigenvectors(new Float64Array(memory.buffer, a, n * n), n, m, { iterations });
      new Float64Array(memory.buffer, out, m * n).set(vectors);
      return 0;
    },
  };
}
