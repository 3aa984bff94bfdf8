// Linear classifier steps over training data that stays in wasm memory (u8 or f32 rows):
// rows are gathered as f32 minus the mean image, with a 1 appended for the bias trick.
import { gemmF32 } from './gemm';
import { lossGrad } from './loss';

/**
 * Writes `count` rows to dst (row stride ldDst bytes): for each row r, the source row
 * rowIdx[r] (or first + r when rowIdx is 0) minus mean, then 1 at column d, then zeros.
 */
export function gatherCentered(src: usize, isU8: bool, srcStride: i32, rowIdx: usize, first: i32, count: i32, d: i32, mean: usize, dst: usize, ldDst: i32): void {
  const width = ldDst >> 2;
  for (let r = 0; r < count; r++) {
    const row = rowIdx != 0 ? load<i32>(rowIdx + (<usize>r << 2)) : first + r;
    const from = src + <usize>row * <usize>srcStride;
    const to = dst + <usize>r * <usize>ldDst;
    let c = 0;
    if (ASC_FEATURE_SIMD && isU8) {
      for (; c + 16 <= d; c += 16) {
        const v = v128.load(from + c);
        const lo = i16x8.extend_low_i8x16_u(v), hi = i16x8.extend_high_i8x16_u(v);
        const o = to + (<usize>c << 2), mp = mean + (<usize>c << 2);
        v128.store(o, f32x4.sub(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(lo)), v128.load(mp)));
        v128.store(o, f32x4.sub(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(lo)), v128.load(mp, 16)), 16);
        v128.store(o, f32x4.sub(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(hi)), v128.load(mp, 32)), 32);
        v128.store(o, f32x4.sub(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(hi)), v128.load(mp, 48)), 48);
      }
    } else if (ASC_FEATURE_SIMD) {
      for (; c + 4 <= d; c += 4) {
        const off = <usize>c << 2;
        v128.store(to + off, f32x4.sub(v128.load(from + off), v128.load(mean + off)));
      }
    }
    for (; c < d; c++) {
      const v: f32 = isU8 ? <f32>load<u8>(from + c) : load<f32>(from + (<usize>c << 2));
      store<f32>(to + (<usize>c << 2), v - load<f32>(mean + (<usize>c << 2)));
    }
    store<f32>(to + (<usize>d << 2), 1);
    for (c = d + 1; c < width; c++) store<f32>(to + (<usize>c << 2), 0);
  }
}

/**
 * One minibatch SGD step: gather the rows in rowIdx, loss and gradient, then W -= lr dW.
 * Returns the loss, or NaN with W untouched when the loss or any updated weight is not finite.
 */
export function sgdStep(loss: i32, src: usize, isU8: bool, srcStride: i32, rowIdx: usize, y: usize, count: i32, d: i32, mean: usize, w: usize, ldw: i32, c: i32, reg: f32, lr: f32, xb: usize, ldx: i32, s: usize, dw: usize): f64 {
  gatherCentered(src, isU8, srcStride, rowIdx, 0, count, d, mean, xb, ldx);
  const k = ldx >> 2;
  const value = lossGrad(loss, xb, ldx, count, k, w, ldw, c, y, reg, s, dw);
  const n = k * (ldw >> 2);
  if (!isFinite(value) || !updateIsFinite(w, dw, n, lr)) return NaN;
  for (let i = 0; i < n; i++) {
    const p = <usize>i << 2;
    store<f32>(w + p, load<f32>(w + p) - lr * load<f32>(dw + p));
  }
  return value;
}

function updateIsFinite(w: usize, dw: usize, n: i32, lr: f32): bool {
  let probe: f32 = 0;
  for (let i = 0; i < n; i++) {
    const p = <usize>i << 2;
    const v = load<f32>(w + p) - lr * load<f32>(dw + p);
    probe += v - v;
  }
  return probe == 0;
}

/** Class scores S (count x ldw/4) of rows [first, first + count): centred rows with the bias 1, times W. */
export function linearScores(src: usize, isU8: bool, srcStride: i32, first: i32, count: i32, d: i32, mean: usize, w: usize, ldw: i32, xb: usize, ldx: i32, s: usize): void {
  gatherCentered(src, isU8, srcStride, 0, first, count, d, mean, xb, ldx);
  gemmF32(xb, ldx, w, ldw, s, ldw, count, ldx >> 2, ldw >> 2);
}
