// Minibatch losses with their analytic gradients, fused with the score product S = X W and the
// gradient product dW = X^T dS. Shapes: X m x k (k a multiple of 4, zero-padded), W k x cp
// (cp = ldw / 4, a multiple of 4, of which the first c columns are classes), S m x cp scratch.
import { expF32x4, sumF32x4 } from './common';
import { gemmF32, gemmTnF32 } from './gemm';

// Loss codes; twin: LOSS_CODES in src/losses.ts.
export const LOSS_SVM: i32 = 0;
export const LOSS_SOFTMAX: i32 = 1;

/**
 * Mean loss over the m rows plus reg * sum(W^2); dW (k x cp) receives the gradient.
 * y holds m i32 labels in [0, c). X and S are scratch: the SVM may reorder their rows.
 */
export function lossGrad(loss: i32, x: usize, ldx: i32, m: i32, k: i32, w: usize, ldw: i32, c: i32, y: usize, reg: f32, s: usize, dw: usize): f64 {
  const cp = ldw >> 2;
  gemmF32(x, ldx, w, ldw, s, ldw, m, k, cp);
  let rows = m;
  let data: f64;
  if (loss == LOSS_SVM) {
    data = svmScoresToGrad(s, ldw, m, c, y);
    rows = dropZeroGradientRows(x, ldx, s, ldw, m, cp);
  } else {
    data = softmaxScoresToGrad(s, ldw, m, c, y);
  }
  if (rows > 0) gemmTnF32(x, ldx, s, ldw, dw, ldw, rows, k, cp);
  else memory.fill(dw, 0, <usize>k * <usize>ldw);
  return data + addRegularization(w, dw, k * cp, reg);
}

/**
 * SVM rows without a margin violation have an all-zero gradient row and add nothing to X^T dS.
 * When at least an eighth of the rows are such, moves the others (rows of X and dS together) to
 * the front and returns how many there are, so the gradient product skips the rest; otherwise
 * returns m unchanged, since moving rows would cost more than it saves. X and S are scratch.
 */
function dropZeroGradientRows(x: usize, ldx: i32, s: usize, lds: i32, m: i32, cp: i32): i32 {
  let zero = 0;
  for (let i = 0; i < m; i++) if (isZeroRow(s + <usize>i * <usize>lds, cp)) zero++;
  if (zero * 8 < m) return m;
  let kept = 0;
  for (let i = 0; i < m; i++) {
    const row = s + <usize>i * <usize>lds;
    if (isZeroRow(row, cp)) continue;
    if (kept != i) {
      memory.copy(s + <usize>kept * <usize>lds, row, <usize>lds);
      memory.copy(x + <usize>kept * <usize>ldx, x + <usize>i * <usize>ldx, <usize>ldx);
    }
    kept++;
  }
  return kept;
}

// @ts-ignore: decorator
@inline function isZeroRow(row: usize, cp: i32): bool {
  for (let j = 0; j < cp; j++) if (load<f32>(row + (<usize>j << 2)) != 0) return false;
  return true;
}

/** Multiclass SVM: sum_{j != y} max(0, s_j - s_y + 1), averaged. Overwrites S with dLoss/dS. */
function svmScoresToGrad(s: usize, lds: i32, m: i32, c: i32, y: usize): f64 {
  const scale: f32 = 1 / <f32>m;
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
  return total / <f64>m;
}

/** Softmax cross-entropy -log(e^{s_y} / sum_j e^{s_j}), averaged; the row max is subtracted first. Overwrites S with dLoss/dS. */
function softmaxScoresToGrad(s: usize, lds: i32, m: i32, c: i32, y: usize): f64 {
  const scale: f32 = 1 / <f32>m;
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
  return total / <f64>m;
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
