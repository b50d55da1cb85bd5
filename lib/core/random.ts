/**
 * Functional random keys (JAX style) and fast bulk draws.
 *
 * Keys. A `Key` is two uint32 words (plain data: it JSON-serialises into checkpoints). `key`, `split` and
 * `foldIn` are the classic (non-partitionable) JAX Threefry-2x32 scheme, bit for bit:
 *   key(seed)      = [seed >> 32, seed & 0xffffffff] (64-bit two's complement, i.e. JAX with x64 enabled)
 *   split(k, n)    = threefry2x32(k, iota(2n)) reshaped to [n, 2]       (key(0) -> [[4146024105, 967050713], ...])
 *   foldIn(k, i)   = threefry2x32(k, [i >> 32, i & 0xffffffff])
 * Never reuse a key for two draws that must be independent: split it.
 *
 * Bulk draws. Threefry is too slow to hash every element in JavaScript, so each draw derives a 128-bit
 * xoshiro128** state from the key (two Threefry blocks, with a counter domain that `split` and `foldIn`
 * can never reach, and a per-distribution tag so `normal(k)` and `uniform(k)` are not the same bits), then
 * fills a typed array in JavaScript and creates the tensor from it. Normals use a 128-layer ziggurat
 * (Marsaglia & Tsang 2000; index, sign and a 24-bit uniform from one 32-bit word). The values do not
 * depend on the backend: same key -> bit-identical output on cpu, wasm, webgpu, tensorflow. They are not
 * JAX's values (only the key derivation is).
 *
 * Every function validates its inputs and throws errors that name the option, the value and what was
 * expected, e.g. `normal: option "std" = -1, expected a finite number > 0`.
 */
import * as tf from '@tensorflow/tfjs';
import { checkNumber, invalidOption, showValue } from './validate.js';

/** Two uint32 words. Plain data, so it survives `JSON.stringify` / `JSON.parse` in checkpoints. */
export type Key = readonly [number, number];

// ---------------------------------------------------------------------------------------------------
// Validation helpers

function isUint32(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffffffff;
}

function checkKey(fn: string, k: unknown): Key {
  if (!Array.isArray(k) || k.length !== 2 || !isUint32(k[0]) || !isUint32(k[1])) {
    invalidOption(fn, 'key', k, 'a Key: two uint32 words [hi, lo], as returned by key(seed), split or foldIn');
  }
  return k as unknown as Key;
}

function checkShape(fn: string, shape: unknown): number {
  if (!Array.isArray(shape)) invalidOption(fn, 'shape', shape, 'an array of non-negative integers');
  let size = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      invalidOption(fn, 'shape', shape, 'an array of non-negative integers');
    }
    size *= d;
  }
  if (size > 2 ** 31 - 1) invalidOption(fn, 'shape', shape, `at most ${2 ** 31 - 1} elements in all`);
  return size;
}

function checkCount(fn: string, option: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n > 2 ** 31 - 1) {
    invalidOption(fn, option, n, 'an integer in [0, 2^31 - 1]');
  }
  return n;
}

// ---------------------------------------------------------------------------------------------------
// Threefry-2x32, 20 rounds (Salmon et al. 2011, Random123; the same function as jax.random's)

const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));

/**
 * Threefry-2x32 with 20 rounds: hashes the counter (x0, x1) under the key (k0, k1); returns two uint32.
 * Low level; exported for tests against the Random123 / JAX known-answer vectors.
 */
export function threefry2x32(k0: number, k1: number, x0: number, x1: number): [number, number] {
  const ks0 = k0 | 0;
  const ks1 = k1 | 0;
  const ks2 = 0x1bd11bda ^ ks0 ^ ks1;
  let a = (x0 + ks0) | 0;
  let b = (x1 + ks1) | 0;
  // Each group of 4 rounds is followed by a key injection.
  a = (a + b) | 0; b = rotl(b, 13) ^ a;
  a = (a + b) | 0; b = rotl(b, 15) ^ a;
  a = (a + b) | 0; b = rotl(b, 26) ^ a;
  a = (a + b) | 0; b = rotl(b, 6) ^ a;
  a = (a + ks1) | 0; b = (b + ks2 + 1) | 0;
  a = (a + b) | 0; b = rotl(b, 17) ^ a;
  a = (a + b) | 0; b = rotl(b, 29) ^ a;
  a = (a + b) | 0; b = rotl(b, 16) ^ a;
  a = (a + b) | 0; b = rotl(b, 24) ^ a;
  a = (a + ks2) | 0; b = (b + ks0 + 2) | 0;
  a = (a + b) | 0; b = rotl(b, 13) ^ a;
  a = (a + b) | 0; b = rotl(b, 15) ^ a;
  a = (a + b) | 0; b = rotl(b, 26) ^ a;
  a = (a + b) | 0; b = rotl(b, 6) ^ a;
  a = (a + ks0) | 0; b = (b + ks1 + 3) | 0;
  a = (a + b) | 0; b = rotl(b, 17) ^ a;
  a = (a + b) | 0; b = rotl(b, 29) ^ a;
  a = (a + b) | 0; b = rotl(b, 16) ^ a;
  a = (a + b) | 0; b = rotl(b, 24) ^ a;
  a = (a + ks1) | 0; b = (b + ks2 + 4) | 0;
  a = (a + b) | 0; b = rotl(b, 13) ^ a;
  a = (a + b) | 0; b = rotl(b, 15) ^ a;
  a = (a + b) | 0; b = rotl(b, 26) ^ a;
  a = (a + b) | 0; b = rotl(b, 6) ^ a;
  a = (a + ks2) | 0; b = (b + ks0 + 5) | 0;
  return [a >>> 0, b >>> 0];
}

const TWO32 = 4294967296;

/** Split a safe integer into its 64-bit two's complement words [hi, lo]. */
function words64(x: number): [number, number] {
  return [Math.floor(x / TWO32) >>> 0, x >>> 0];
}

function makeKey(hi: number, lo: number): Key {
  return Object.freeze([hi >>> 0, lo >>> 0]) as Key;
}

// ---------------------------------------------------------------------------------------------------
// Keys

/**
 * A key from an integer seed (any safe integer, negative allowed: 64-bit two's complement words).
 * `key(s)` equals `jax.random.PRNGKey(s)` (for negative seeds, with `jax_enable_x64`).
 */
export function key(seed: number): Key {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
    invalidOption('key', 'seed', seed, `a safe integer (|seed| <= ${Number.MAX_SAFE_INTEGER})`);
  }
  const [hi, lo] = words64(seed);
  return makeKey(hi, lo);
}

/**
 * `n` independent child keys (default 2). Same as the classic `jax.random.split`: the counters
 * 0 .. 2n-1 are hashed as the pairs (j, n + j) and the 2n output words are read back in pairs.
 */
export function split(k: Key, n = 2): Key[] {
  checkKey('split', k);
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n > 2 ** 31) {
    invalidOption('split', 'n', n, 'an integer in [0, 2^31]');
  }
  const words = new Uint32Array(2 * n);
  for (let j = 0; j < n; j++) {
    const [y0, y1] = threefry2x32(k[0], k[1], j, n + j);
    words[j] = y0;
    words[n + j] = y1;
  }
  const out: Key[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = makeKey(words[2 * i], words[2 * i + 1]);
  return out;
}

/**
 * A key derived from `k` and the integer `i` (e.g. a step or chain index). Same as `jax.random.fold_in`:
 * `i` is a uint32 usually; any safe integer is accepted (64-bit two's complement words).
 */
export function foldIn(k: Key, i: number): Key {
  checkKey('foldIn', k);
  if (typeof i !== 'number' || !Number.isSafeInteger(i)) {
    invalidOption('foldIn', 'i', i, 'an integer (a uint32 usually; any safe integer is accepted)');
  }
  const [hi, lo] = words64(i);
  const [y0, y1] = threefry2x32(k[0], k[1], hi, lo);
  return makeKey(y0, y1);
}

// ---------------------------------------------------------------------------------------------------
// Bulk generator: xoshiro128** (Blackman & Vigna 2018) seeded from the key through Threefry

/**
 * Counter words used to seed the bulk generator. `split` uses first counter words < 2^31 and `foldIn`
 * uses first words < 2^21 or >= 2^32 - 2^21 (safe integers), so 0xa0000000 + tag is never a key's hash.
 */
const GEN_DOMAIN = 0xa0000000;
const TAG_NORMAL = 1;
const TAG_UNIFORM = 2;
const TAG_GUMBEL = 3;
const TAG_BERNOULLI = 4;
const TAG_NORMAL_ARRAY = 5;
const TAG_UNIFORM_ARRAY = 6;

/** Scratch state (int32 words) of the generator that the slow paths advance. */
const ST = new Int32Array(4);

function seedState(k: Key, tag: number): void {
  const [a0, a1] = threefry2x32(k[0], k[1], (GEN_DOMAIN + tag) >>> 0, 0);
  const [b0, b1] = threefry2x32(k[0], k[1], (GEN_DOMAIN + tag) >>> 0, 1);
  ST[0] = a0;
  ST[1] = a1;
  ST[2] = b0;
  ST[3] = b1;
  if ((a0 | a1 | b0 | b1) === 0) ST[0] = 1; // the all-zero state is a fixed point (probability 2^-128)
}

/** One xoshiro128** output (int32 bits) from the scratch state; used on slow paths only. */
function nextST(): number {
  const s0 = ST[0];
  const s1 = ST[1];
  const s2 = ST[2];
  const s3 = ST[3];
  const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
  const t = s1 << 9;
  const n2 = s2 ^ s0;
  const n3 = s3 ^ s1;
  ST[1] = s1 ^ n2;
  ST[0] = s0 ^ n3;
  ST[2] = n2 ^ t;
  ST[3] = rotl(n3, 11);
  return r;
}

const U32 = 2.3283064365386963e-10; // 2^-32
const U24 = 5.960464477539063e-8; // 2^-24
const U53 = 1.1102230246251565e-16; // 2^-53

/** A float64 uniform in [0, 1) with 53 random bits (27 + 26 from two outputs of the scratch state). */
function nextU53(): number {
  return ((nextST() >>> 5) * 67108864 + (nextST() >>> 6)) * U53;
}

/** Uniform in (0, 1]: never 0, so its log is finite. */
const openLow = (r: number): number => ((r >>> 0) + 1) * U32;

// ---------------------------------------------------------------------------------------------------
// Ziggurat tables (128 layers of equal area under f(x) = exp(-x^2 / 2), x >= 0)

const ZN = 128;
const ZR = 3.442619855899; // start of the tail (Marsaglia & Tsang 2000)
const ZV = 9.91256303526217e-3; // area of each layer
/** X[i]: right edge of layer i (X[0] = V / f(R) is the base strip's virtual width, X[1] = R, X[128] = 0). */
const ZX = new Float64Array(ZN + 1);
/** f(X[i]). */
const ZF = new Float64Array(ZN + 1);
/** X[i] * 2^-24: maps the 24-bit integer uniform to x. */
const ZW = new Float64Array(ZN);
/** Integer acceptance thresholds: u24 < ZK[i] guarantees x = u * X[i] < X[i + 1] (inside the curve). */
const ZK = new Int32Array(ZN);
/** Hot-loop tables indexed by the low 8 bits (layer + sign bit): +-X[i] * 2^-24, and ZK repeated. */
const ZWS = new Float64Array(2 * ZN);
const ZKS = new Int32Array(2 * ZN);
{
  const f = (x: number) => Math.exp(-0.5 * x * x);
  ZX[0] = ZV / f(ZR);
  ZX[1] = ZR;
  for (let i = 1; i < ZN - 1; i++) ZX[i + 1] = Math.sqrt(-2 * Math.log(ZV / ZX[i] + f(ZX[i])));
  ZX[ZN] = 0;
  for (let i = 0; i <= ZN; i++) ZF[i] = f(ZX[i]);
  for (let i = 0; i < ZN; i++) {
    ZW[i] = ZX[i] * U24;
    ZK[i] = Math.floor((ZX[i + 1] / ZX[i]) * 16777216);
  }
  for (let i = 0; i < 2 * ZN; i++) {
    ZWS[i] = i < ZN ? ZW[i] : -ZW[i - ZN];
    ZKS[i] = ZK[i & (ZN - 1)];
  }
}

/**
 * Slow path of the ziggurat (about 3% of draws; the top layer always comes here): the word that picked layer `i` with 24-bit uniform
 * `u` was not inside the rectangle. Uses the scratch state ST and returns |x| (the caller applies the sign).
 */
function zigguratSlow(i: number, u: number): number {
  for (;;) {
    const x = u * ZW[i];
    if (i === 0) {
      // Tail beyond R (Marsaglia 1964): x = R + a with a ~ Exp(R) thinned by exp(-a^2 / 2).
      let a: number;
      let b: number;
      do {
        a = -Math.log(openLow(nextST())) / ZR;
        b = -Math.log(openLow(nextST()));
      } while (b + b < a * a);
      return ZR + a;
    }
    // Wedge: y uniform between f(X[i]) and f(X[i + 1]).
    const y = ZF[i] + (nextST() >>> 0) * U32 * (ZF[i + 1] - ZF[i]);
    if (y < Math.exp(-0.5 * x * x)) return x;
    // Rejected: a fresh draw from the whole ziggurat.
    const r = nextST();
    i = r & 127;
    u = r >>> 8;
    if (u < ZK[i]) return u * ZW[i];
    if (i === 0 && u * ZW[0] < ZR) return u * ZW[0];
  }
}

/**
 * Fill out[0..n) with mean + std * N(0, 1) draws; the generator starts from ST and ST is left advanced.
 * The hot loop keeps xoshiro128**'s state in locals.
 */
function fillNormal(out: Float32Array, mean: number, std: number): void {
  const n = out.length;
  let s0 = ST[0];
  let s1 = ST[1];
  let s2 = ST[2];
  let s3 = ST[3];
  for (let j = 0; j < n; j++) {
    // xoshiro128** step
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    // ziggurat: bits 0-6 layer, bit 7 sign (both folded into the 256-entry tables), bits 8-31 uniform
    const i = r & 255;
    const u = r >>> 8;
    if (u < ZKS[i]) {
      out[j] = mean + std * (u * ZWS[i]);
    } else {
      ST[0] = s0;
      ST[1] = s1;
      ST[2] = s2;
      ST[3] = s3;
      const layer = i & 127;
      const z = layer === 0 && u * ZW[0] < ZR ? u * ZW[0] : zigguratSlow(layer, u);
      s0 = ST[0];
      s1 = ST[1];
      s2 = ST[2];
      s3 = ST[3];
      out[j] = mean + std * (i >= ZN ? -z : z);
    }
  }
  ST[0] = s0;
  ST[1] = s1;
  ST[2] = s2;
  ST[3] = s3;
}

/**
 * Fill out[0..n) with 24-bit uniforms low + (high - low) * u, u in [0, 1), clamped to `top` (float32
 * rounding of low + span * u can reach high).
 */
function fillUniform24(out: Float32Array, low: number, span: number, top: number): void {
  const n = out.length;
  let s0 = ST[0];
  let s1 = ST[1];
  let s2 = ST[2];
  let s3 = ST[3];
  for (let j = 0; j < n; j++) {
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    const v = Math.fround(low + span * ((r >>> 8) * U24));
    out[j] = v > top ? top : v;
  }
  ST[0] = s0;
  ST[1] = s1;
  ST[2] = s2;
  ST[3] = s3;
}

/** Largest float32 strictly below the real number x (x finite, |x| < float32 max). */
function float32Below(x: number): number {
  const f = Math.fround(x);
  if (f < x) return f;
  // step one float32 ulp down from f
  const buf = new Float32Array([f]);
  const bits = new Int32Array(buf.buffer);
  if (f === 0) bits[0] = 0x80000001; // -smallest subnormal
  else if (f > 0) bits[0] -= 1;
  else bits[0] += 1;
  return buf[0];
}

// ---------------------------------------------------------------------------------------------------
// Tensor draws

/**
 * Normal draws, float32, `mean + std * N(0, 1)`. Generated in JavaScript (ziggurat), so the values do not
 * depend on the backend.
 */
export function normal(k: Key, shape: number[], mean = 0, std = 1): tf.Tensor {
  checkKey('normal', k);
  const size = checkShape('normal', shape);
  checkNumber('normal', 'mean', mean);
  checkNumber('normal', 'std', std, 'positive');
  const out = new Float32Array(size);
  seedState(k, TAG_NORMAL);
  fillNormal(out, mean, std);
  return tf.tensor(out, shape, 'float32');
}

/**
 * Uniform draws, float32 in [low, high): the values are >= float32(low) and strictly below `high` (also in
 * float32 comparisons, where `high` is rounded to float32).
 */
export function uniform(k: Key, shape: number[], low = 0, high = 1): tf.Tensor {
  checkKey('uniform', k);
  const size = checkShape('uniform', shape);
  checkNumber('uniform', 'low', low);
  checkNumber('uniform', 'high', high);
  if (!(low < high)) invalidOption('uniform', 'high', high, `a finite number > low = ${showValue(low)}`);
  if (Math.abs(low) > 3.4e38 || Math.abs(high) > 3.4e38) {
    invalidOption('uniform', Math.abs(low) > 3.4e38 ? 'low' : 'high', Math.abs(low) > 3.4e38 ? low : high,
      'a number within float32 range (|x| <= 3.4e38)');
  }
  const out = new Float32Array(size);
  seedState(k, TAG_UNIFORM);
  // float32 rounding of low + span * u can reach high: clamp to the largest float32 strictly below both high
  // and float32(high), so that x < high holds in float64 and in float32 tensor comparisons (ranges narrower
  // than a float32 ulp give float32(low) everywhere).
  fillUniform24(out, low, high - low, Math.max(float32Below(Math.fround(high)), Math.fround(low)));
  return tf.tensor(out, shape, 'float32');
}

/**
 * One category per row of `logits` ([n, k], unnormalised log-probabilities, -Infinity allowed: that category
 * is never drawn unless the whole row is -Infinity) -> int32 [n]. Gumbel-max: argMax(logits + Gumbel noise);
 * the noise is drawn in JavaScript (32-bit uniforms, float64 logs), the argMax runs on the backend, nothing
 * is read back. NaN logits give unspecified results.
 */
export function categorical(k: Key, logits: tf.Tensor): tf.Tensor {
  checkKey('categorical', k);
  if (!(logits instanceof tf.Tensor)) invalidOption('categorical', 'logits', logits, 'a tf.Tensor of shape [n, k]');
  if (logits.rank !== 2 || (logits.shape[1] ?? 0) < 1) {
    invalidOption('categorical', 'logits', logits, 'a rank-2 tensor [n, k] with k >= 1 (one row of logits per draw)');
  }
  if (logits.dtype !== 'float32' && logits.dtype !== 'int32') {
    invalidOption('categorical', 'logits', logits, 'a float32 (or int32) tensor');
  }
  const [n, c] = logits.shape as [number, number];
  if (n === 0) return tf.zeros([0], 'int32');
  const size = n * c;
  const g = new Float32Array(size);
  seedState(k, TAG_GUMBEL);
  let s0 = ST[0];
  let s1 = ST[1];
  let s2 = ST[2];
  let s3 = ST[3];
  for (let j = 0; j < size; j++) {
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    // u in (0, 1) strictly; Gumbel = -log(-log u)
    g[j] = -Math.log(-Math.log(((r >>> 0) + 0.5) * U32));
  }
  return tf.tidy(() => {
    const noise = tf.tensor2d(g, [n, c], 'float32');
    const lf = logits.dtype === 'float32' ? logits : tf.cast(logits, 'float32');
    return tf.argMax(tf.add(lf, noise), 1);
  });
}

function broadcastsTo(from: number[], to: number[]): boolean {
  if (from.length > to.length) return false;
  for (let i = 1; i <= from.length; i++) {
    const a = from[from.length - i];
    if (a !== 1 && a !== to[to.length - i]) return false;
  }
  return true;
}

/**
 * Bernoulli draws, float32 0/1 with P(1) = p. `p` is a number in [0, 1] or a float32 tensor broadcast to
 * `shape` (default: p's shape, or [] for a number). Tensor p values are not read back (no sync): values
 * <= 0 give 0, >= 1 give 1.
 */
export function bernoulli(k: Key, p: number | tf.Tensor, shape?: number[]): tf.Tensor {
  checkKey('bernoulli', k);
  if (p instanceof tf.Tensor) {
    const outShape = shape ?? p.shape;
    const size = checkShape('bernoulli', outShape);
    if (!broadcastsTo(p.shape, outShape)) {
      invalidOption('bernoulli', 'p', p, `a tensor whose shape broadcasts to shape [${outShape.join(', ')}]`);
    }
    if (p.dtype !== 'float32' && p.dtype !== 'int32') invalidOption('bernoulli', 'p', p, 'a float32 tensor');
    const u = new Float32Array(size);
    seedState(k, TAG_BERNOULLI);
    fillUniform24(u, 0, 1, 1);
    return tf.tidy(() => tf.cast(tf.less(tf.tensor(u, outShape, 'float32'), p), 'float32'));
  }
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) invalidOption('bernoulli', 'p', p, 'a number in [0, 1] or a tf.Tensor');
  const outShape = shape ?? [];
  const size = checkShape('bernoulli', outShape);
  const out = new Float32Array(size);
  seedState(k, TAG_BERNOULLI);
  let s0 = ST[0];
  let s1 = ST[1];
  let s2 = ST[2];
  let s3 = ST[3];
  // P(u < p) with u = r * 2^-32 in [0, 1): exact for p a multiple of 2^-32; p = 0 never, p = 1 always.
  const threshold = p * TWO32;
  for (let j = 0; j < size; j++) {
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    out[j] = r >>> 0 < threshold ? 1 : 0;
  }
  return tf.tensor(out, outShape, 'float32');
}

// ---------------------------------------------------------------------------------------------------
// JS-side draws (float64) for CPU code: resampling, small linear algebra

/**
 * `n` standard normal draws in float64 (Marsaglia's polar method on 53-bit uniforms). Not the same values
 * as `normal(k, [n])` (that one is float32, ziggurat).
 */
export function normalArray(k: Key, n: number): Float64Array {
  checkKey('normalArray', k);
  checkCount('normalArray', 'n', n);
  const out = new Float64Array(n);
  seedState(k, TAG_NORMAL_ARRAY);
  for (let j = 0; j < n; j += 2) {
    let a: number;
    let b: number;
    let s: number;
    do {
      a = 2 * nextU53() - 1;
      b = 2 * nextU53() - 1;
      s = a * a + b * b;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    out[j] = a * m;
    if (j + 1 < n) out[j + 1] = b * m;
  }
  return out;
}

/** `n` uniform draws in [0, 1), float64 with 53 random bits each. */
export function uniformArray(k: Key, n: number): Float64Array {
  checkKey('uniformArray', k);
  checkCount('uniformArray', 'n', n);
  const out = new Float64Array(n);
  seedState(k, TAG_UNIFORM_ARRAY);
  for (let j = 0; j < n; j++) out[j] = nextU53();
  return out;
}
