// The wasm module's exports: numbers and raw pointers only. TS owns the memory layout and
// allocates through alloc/free (TLSF from the minimal runtime: any block can be freed).
import { BLOCK_MAXSIZE } from 'rt/common';

export { rowNormsF32, rowNormsU8 } from './distance';
export { packClassPanels, classScoresF32, classGradF32 } from './gemm';
import { CLASS_DIMS, CLASSES_PER_PANEL } from './gemm';
export { packPanels8 } from './l2-panels';
import { PANEL_ROWS } from './l2-panels';
export { knnU8, knnF32, distancesU8, distancesF32, knnScratchBytes } from './knn';
export { lossGrad } from './loss';
export { sgdStep, linearScores } from './linear';

/** Allocates `size` bytes, 16-byte aligned; the TS side frees with free(). */
export function alloc(size: usize): usize {
  return heap.alloc(size);
}

/** The largest size alloc() can serve (TLSF's block limit, just under 1 GiB); TS never asks for more. */
export function maxBlockBytes(): usize {
  return BLOCK_MAXSIZE;
}

/** Rows per panel of packPanels8 (f32 L2 kNN): training row blocks are padded to a multiple. */
export function panelRows(): i32 {
  return PANEL_ROWS;
}

/** Floats a class-major weight row (and the X rows it multiplies) is padded to a multiple of. */
export function classDims(): i32 {
  return CLASS_DIMS;
}

/** Classes per panel of packClassPanels. */
export function classesPerPanel(): i32 {
  return CLASSES_PER_PANEL;
}

/** Frees a block returned by alloc(). */
export function free(ptr: usize): void {
  heap.free(ptr);
}

/** Reports the SIMD flavour of this build: 0 scalar, 1 SIMD, 2 relaxed SIMD. */
export function simdLevel(): i32 {
  if (ASC_FEATURE_RELAXED_SIMD) return 2;
  if (ASC_FEATURE_SIMD) return 1;
  return 0;
}

export {
  pyramidDescBytes, pyramidDescribeLevel, pyramidSlotValues, pyramidDescribeProjection, pyramidSumsScratchBytes, pyramidSumsU8, pyramidColumnsBytes, pyramidColumnsU8, pyramidColumnBoundsU8,
  pyramidGroupOrder, pyramidGroupBoxesBytes, pyramidGroupBoxesU8, pyramidGroupScratchBytes,
  pyramidBatchScratchBytes, pyramidRefineU8, pyramidNormedLevel, pyramidRowNorms,
  pyramidSeedScratchBytes, pyramidResetTopk, pyramidFinishTopk,
  pyramidFrameBytes, pyramidSeenPitch, pyramidSearchChunk,
} from './pyramid';

export { projectionCoefficientsU8, pyramidProjectU8, pyramidProjectSums, pyramidPrefixRows, projectionColumnsBytes, projectionColumnsU8, projectionGramRows } from './projection';
