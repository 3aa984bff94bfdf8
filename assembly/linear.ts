// Linear classifier steps over training data that stays in wasm memory (u8 or f32 rows):
// rows are gathered as f32 minus the mean image, with a 1 appended for the bias trick.
import { classScoresF32 } from './gemm';
import { lossGrad } from './loss';

/**
 * Writes `count` rows to dst (row stride ldDst bytes): for each row r, the source row at address
 * rowPtrs[r] (or src row first + r when rowPtrs is 0) minus mean, then 1 at column d, then zeros.
 * Row addresses let the training rows live in several blocks.
 * u8 rows go four at a time, so four independent memory streams hide the cache misses of
 * randomly chosen minibatch rows.
 */
function gatherCentered(src: usize, isU8: bool, srcStride: i32, rowPtrs: usize, first: i32, count: i32, d: i32, mean: usize, dst: usize, ldDst: i32): void {
  let r = 0;
  if (ASC_FEATURE_SIMD && isU8) {
    const whole = d & ~15;
    for (; r + 4 <= count; r += 4) {
      const f0 = sourceRow(src, srcStride, rowPtrs, first, r), f1 = sourceRow(src, srcStride, rowPtrs, first, r + 1);
      const f2 = sourceRow(src, srcStride, rowPtrs, first, r + 2), f3 = sourceRow(src, srcStride, rowPtrs, first, r + 3);
      const t0 = dst + <usize>r * <usize>ldDst, t1 = t0 + <usize>ldDst, t2 = t1 + <usize>ldDst, t3 = t2 + <usize>ldDst;
      for (let c = 0; c < whole; c += 16) {
        const mp = mean + (<usize>c << 2), o = <usize>c << 2;
        centerU8x16(f0 + c, t0 + o, mp);
        centerU8x16(f1 + c, t1 + o, mp);
        centerU8x16(f2 + c, t2 + o, mp);
        centerU8x16(f3 + c, t3 + o, mp);
      }
      finishRow(f0, true, t0, whole, d, mean, ldDst);
      finishRow(f1, true, t1, whole, d, mean, ldDst);
      finishRow(f2, true, t2, whole, d, mean, ldDst);
      finishRow(f3, true, t3, whole, d, mean, ldDst);
    }
  }
  for (; r < count; r++) {
    const from = sourceRow(src, srcStride, rowPtrs, first, r);
    const to = dst + <usize>r * <usize>ldDst;
    let c = 0;
    if (ASC_FEATURE_SIMD && isU8) {
      for (; c + 16 <= d; c += 16) centerU8x16(from + c, to + (<usize>c << 2), mean + (<usize>c << 2));
    } else if (ASC_FEATURE_SIMD) {
      for (; c + 4 <= d; c += 4) {
        const off = <usize>c << 2;
        v128.store(to + off, f32x4.sub(v128.load(from + off), v128.load(mean + off)));
      }
    }
    finishRow(from, isU8, to, c, d, mean, ldDst);
  }
}

// @ts-ignore: decorator
@inline function sourceRow(src: usize, srcStride: i32, rowPtrs: usize, first: i32, r: i32): usize {
  if (rowPtrs != 0) return <usize>load<u32>(rowPtrs + (<usize>r << 2));
  return src + <usize>(first + r) * <usize>srcStride;
}

/** 16 u8 pixels as f32 minus the mean: four v128 stores. */
// @ts-ignore: decorator
@inline function centerU8x16(from: usize, to: usize, mp: usize): void {
  const v = v128.load(from);
  const lo = i16x8.extend_low_i8x16_u(v), hi = i16x8.extend_high_i8x16_u(v);
  v128.store(to, f32x4.sub(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(lo)), v128.load(mp)));
  v128.store(to, f32x4.sub(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(lo)), v128.load(mp, 16)), 16);
  v128.store(to, f32x4.sub(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(hi)), v128.load(mp, 32)), 32);
  v128.store(to, f32x4.sub(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(hi)), v128.load(mp, 48)), 48);
}

/** Columns [c, d) one by one, the bias 1 at column d, zeros up to the padded width. */
function finishRow(from: usize, isU8: bool, to: usize, c: i32, d: i32, mean: usize, ldDst: i32): void {
  for (; c < d; c++) {
    const v: f32 = isU8 ? <f32>load<u8>(from + c) : load<f32>(from + (<usize>c << 2));
    store<f32>(to + (<usize>c << 2), v - load<f32>(mean + (<usize>c << 2)));
  }
  store<f32>(to + (<usize>d << 2), 1);
  const width = ldDst >> 2;
  for (c = d + 1; c < width; c++) store<f32>(to + (<usize>c << 2), 0);
}

/**
 * One minibatch SGD step: gather the rows at the addresses in rowPtrs, loss and gradient, then W -= lr dW.
 * W^T and dW^T have c class rows of ld bytes, as do the gathered rows xb (see lossGrad).
 * Returns the loss, or NaN with W untouched when the loss or any updated weight is not finite
 * (the new weights are formed in dW and copied over W only when all are finite).
 */
export function sgdStep(loss: i32, isU8: bool, rowPtrs: usize, y: usize, count: i32, d: i32, mean: usize, w: usize, c: i32, reg: f32, lr: f32, xb: usize, ld: i32, s: usize, lds: i32, panels: usize, dw: usize): f64 {
  gatherCentered(0, isU8, 0, rowPtrs, 0, count, d, mean, xb, ld);
  const value = lossGrad(loss, xb, ld, count, w, c, y, reg, s, lds, panels, dw);
  const n = c * (ld >> 2);
  if (!isFinite(value) || !stepInto(dw, w, n, lr)) return NaN;
  memory.copy(w, dw, <usize>n << 2);
  return value;
}

/** Writes w - lr dw over dw (n a multiple of 4) and tells whether every result is finite. */
function stepInto(dw: usize, w: usize, n: i32, lr: f32): bool {
  if (ASC_FEATURE_SIMD) {
    const rate = f32x4.splat(lr);
    let probe = f32x4.splat(0);
    for (let i = 0; i < n; i += 4) {
      const p = <usize>i << 2;
      const v = f32x4.sub(v128.load(w + p), f32x4.mul(rate, v128.load(dw + p)));
      probe = f32x4.add(probe, f32x4.sub(v, v));
      v128.store(dw + p, v);
    }
    // v - v is 0 for finite v and NaN for Infinity or NaN.
    return i32x4.all_true(f32x4.eq(probe, f32x4.splat(0)));
  }
  let probe: f32 = 0;
  for (let i = 0; i < n; i++) {
    const p = <usize>i << 2;
    const v = load<f32>(w + p) - lr * load<f32>(dw + p);
    probe += v - v;
    store<f32>(dw + p, v);
  }
  return probe == 0;
}

/**
 * Class scores S (count rows of lds bytes) of rows [first, first + count): centred rows with the
 * bias 1, against the c classes of W^T as packClassPanels(w, ld, c, 0, panels) left them.
 */
export function linearScores(src: usize, isU8: bool, srcStride: i32, first: i32, count: i32, d: i32, mean: usize, panels: usize, c: i32, xb: usize, ld: i32, s: usize, lds: i32): void {
  gatherCentered(src, isU8, srcStride, 0, first, count, d, mean, xb, ld);
  classScoresF32(xb, ld, count, panels, c, s, lds);
}
