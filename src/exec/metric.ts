// The kNN metrics as one table: what the kernels compute for each, what the rows need beside
// them, and how a kernel distance becomes the distance the API reports.

/** Distance between rows: 'l1' (Manhattan), 'l2' (Euclidean) or 'cosine' (1 - cosine similarity). */
export type Metric = 'l1' | 'l2' | 'cosine';

export const METRIC_NAMES: readonly Metric[] = ['l1', 'l2', 'cosine'];

export interface MetricSpec {
  /** The kernel's metric code; twin: METRIC_L1 / METRIC_L2 in assembly/knn.ts. */
  code: number;
  /** The kernel needs the training rows' squared norms (and, for f32 rows, 8-row panels). */
  norms: boolean;
  /** Rows are stored as f32 unit vectors (with two marker columns), whatever their input type. */
  unitRows: boolean;
  /** The reported distance of a kernel distance (L1; or squared L2). */
  finish(raw: number): number;
}

export const METRICS: Record<Metric, MetricSpec> = {
  l1: { code: 1, norms: false, unitRows: false, finish: (raw) => raw },
  l2: { code: 2, norms: true, unitRows: false, finish: Math.sqrt },
  // On unit vectors |q - t|^2 = 2 - 2 cos(q, t): the squared L2 path, halved.
  cosine: { code: 2, norms: true, unitRows: true, finish: (raw) => raw / 2 },
};
