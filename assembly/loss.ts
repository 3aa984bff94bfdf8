// Minibatch losses with their analytic gradients, fused with the score product and the gradient
// product. Layout (class-major, see gemm.ts): X has m rows and W^T and dW^T one row per class,
// all of stride ld bytes (a multiple of CLASS_DIMS floats, zero padded); S has m rows of lds
// bytes; `panels` is scratch for packClassPanels of c - 1 classes.
//
// Both losses depend only on the differences of the scores within a row, so the kernel scores
// against w_j - w_{c-1} (c - 1 classes, the last score is 0), and since each row of dS then sums
// to 0, the last gradient row is minus the sum of the others: c - 1 classes in each product.
import { expF32x4, sumF32x4 } from './common';
import { classGradF32, classScoresF32, packClassPanels } from './gemm';

// Loss codes; twin: LOSS_CODES in src/losses.ts.
export const LOSS_SVM: i32 = 0;
export const LOSS_SOFTMAX: i32 = 1;

/** Rows scored, turned into dS and added into dW^T per pass, so X is read from memory once. */
const LOSS_ROWS: i32 = 24;

/**
 * Mean loss over the m rows plus reg * sum(W^2); dW^T receives the gradient. y holds m i32
 * labels in [0, c); S (m rows) and `panels` are scratch.
 */
export function lossGrad(loss: i32, x: usize, ld: i32, m: i32, w: usize, c: i32, y: usize, reg: f32, s: usize, lds: i32, panels: usize, dw: usize): f64 {
  const shifted = c - 1;
  packClassPanels(w, ld, shifted, w + <usize>shifted * <usize>ld, panels);
  const scale: f32 = 1 / <f32>m;
  let data: f64 = 0;
  for (let i0 = 0; i0 < m; i0 += LOSS_ROWS) {
    const rows = min(LOSS_ROWS, m - i0);
    const xi = x + <usize>i0 * <usize>ld, si = s + <usize>i0 * <usize>lds, yi = y + (<usize>i0 << 2);
    classScoresF32(xi, ld, rows, panels, shifted, si, lds);
    for (let i = 0; i < rows; i++) store<f32>(si + <usize>i * <usize>lds + (<usize>shifted << 2), 0);
    data += loss == LOSS_SVM ? svmScoresToGrad(si, lds, rows, c, yi, scale) : softmaxScoresToGrad(si, lds, rows, c, yi, scale);
    classGradF32(xi, ld, rows, si, lds, shifted, dw, i0 > 0);
  }
  lastClassFromOthers(dw, ld, c);
  return data / <f64>m + addRegularization(w, dw, c * (ld >> 2), reg);
}

/** dW^T row c-1 = -(sum of rows 0 .. c-2): each row of dS sums to 0. */
function lastClassFromOthers(dw: usize, ld: i32, c: i32): void {
  const last = dw + <usize>(c - 1) * <usize>ld;
  if (ASC_FEATURE_SIMD) {
    for (let d: usize = 0; d < <usize>ld; d += 16) {
      let sum = f32x4.splat(0);
      for (let j = 0; j < c - 1; j++) sum = f32x4.add(sum, v128.load(dw + <usize>j * <usize>ld + d));
      v128.store(last + d, f32x4.neg(sum));
    }
    return;
  }
  for (let d: usize = 0; d < <usize>ld; d += 4) {
    let sum: f32 = 0;
    for (let j = 0; j < c - 1; j++) sum += load<f32>(dw + <usize>j * <usize>ld + d);
    store<f32>(last + d, -sum);
  }
}

/** Multiclass SVM: returns the sum over the m rows of sum_{j != y} max(0, s_j - s_y + 1); overwrites S with scale * dLoss/dS. */
function svmScoresToGrad(s: usize, lds: i32, m: i32, c: i32, y: usize, scale: f32): f64 {
  let total: f64 = 0;
  for (let i = 0; i < m; i++) {
    const row = s + <usize>i * <usize>lds;
    const label = load<i32>(y + (<usize>i << 2));
    const sy = load<f32>(row + (<usize>label << 2));
    let positive = 0;
    for (let j = 0; j < c; j++) {
      if (j == label) continue;
      const margin = load<f32>(row + (<usize>j << 2)) - sy + 1;
      if (margin > 0) {
        total += margin;
        positive++;
        store<f32>(row + (<usize>j << 2), scale);
      } else {
        store<f32>(row + (<usize>j << 2), 0);
      }
    }
    store<f32>(row + (<usize>label << 2), -<f32>positive * scale);
  }
  return total;
}

/** Softmax cross-entropy -log(e^{s_y} / sum_j e^{s_j}), summed over the m rows; the row max is subtracted first. Overwrites S with scale * dLoss/dS. */
function softmaxScoresToGrad(s: usize, lds: i32, m: i32, c: i32, y: usize, scale: f32): f64 {
  let total: f64 = 0;
  for (let i = 0; i < m; i++) {
    const row = s + <usize>i * <usize>lds;
    const label = load<i32>(y + (<usize>i << 2));
    const sy = load<f32>(row + (<usize>label << 2));
    let top = load<f32>(row);
    for (let j = 1; j < c; j++) top = max(top, load<f32>(row + (<usize>j << 2)));
    const sum = ASC_FEATURE_SIMD ? expRowF32x4(row, c, top) : expRowScalar(row, c, top);
    const inv: f32 = 1 / sum;
    // -log p_y = log(sum) - (s_y - top), from the exponent: e^(s_y - top) itself may underflow to 0.
    total += Math.log(<f64>sum) - <f64>(sy - top);
    for (let j = 0; j < c; j++) {
      const p = load<f32>(row + (<usize>j << 2)) * inv;
      store<f32>(row + (<usize>j << 2), (j == label ? p - 1 : p) * scale);
    }
  }
  return total;
}

/** Replaces row[j] by e^(row[j] - top) for j < c and returns their sum. */
function expRowScalar(row: usize, c: i32, top: f32): f32 {
  let sum: f32 = 0;
  for (let j = 0; j < c; j++) {
    const e = Mathf.exp(load<f32>(row + (<usize>j << 2)) - top);
    store<f32>(row + (<usize>j << 2), e);
    sum += e;
  }
  return sum;
}

/** expRowScalar four lanes at a time; lanes from c up to the next multiple of 4 become 0. */
function expRowF32x4(row: usize, c: i32, top: f32): f32 {
  const shift = f32x4.splat(top);
  let sum = f32x4.splat(0);
  for (let j = 0; j < c; j += 4) {
    const p = row + (<usize>j << 2);
    const inside = i32x4.lt_s(i32x4.add(i32x4.splat(j), i32x4(0, 1, 2, 3)), i32x4.splat(c));
    const e = v128.and(expF32x4(f32x4.sub(v128.load(p), shift)), inside);
    v128.store(p, e);
    sum = f32x4.add(sum, e);
  }
  return sumF32x4(sum);
}

/** Adds 2 reg W to dW and returns reg * sum(W^2). count is a multiple of 4. */
function addRegularization(w: usize, dw: usize, count: i32, reg: f32): f64 {
  let sum: f64 = 0;
  const twice: f32 = 2 * reg;
  if (ASC_FEATURE_SIMD) {
    const twiceF32x4 = f32x4.splat(twice);
    // f32 partial sums over short runs, gathered into f64, keep sum(W^2) accurate for any count.
    for (let i0 = 0; i0 < count; i0 += 256) {
      let squares = f32x4.splat(0);
      const end = min(count, i0 + 256);
      for (let i = i0; i < end; i += 4) {
        const p = <usize>i << 2;
        const v = v128.load(w + p);
        squares = f32x4.add(squares, f32x4.mul(v, v));
        v128.store(dw + p, f32x4.add(v128.load(dw + p), f32x4.mul(twiceF32x4, v)));
      }
      sum += <f64>f32x4.extract_lane(squares, 0) + <f64>f32x4.extract_lane(squares, 1) + <f64>f32x4.extract_lane(squares, 2) + <f64>f32x4.extract_lane(squares, 3);
    }
    return <f64>reg * sum;
  }
  for (let i = 0; i < count; i++) {
    const p = <usize>i << 2;
    const v = load<f32>(w + p);
    sum += <f64>v * <f64>v;
    store<f32>(dw + p, load<f32>(dw + p) + twice * v);
  }
  return <f64>reg * sum;
}
