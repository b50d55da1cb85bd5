/**
 * lib/core/random.ts: key derivation (known answers from Random123 and JAX), reproducibility, distributions
 * (moments within z = 4 Monte Carlo standard errors, KS tests at p > 1e-3, binned / per-category z-tests
 * with a Bonferroni correction at family-wise level 1e-3), independence of split streams, bad inputs.
 * Seeds were picked once (1, 2, 3, ...) and never tuned; tolerances come from standard errors.
 */
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import {
  key,
  split,
  foldIn,
  normal,
  uniform,
  categorical,
  bernoulli,
  normalArray,
  uniformArray,
  threefry2x32,
  type Key,
} from '../../lib/core/random.js';
import { ksOneSample } from '../../lib/metrics/ks.js';
import { normalCdf, normalQuantile } from '../../lib/core/special.js';
import { onBackends } from '../helpers/backends.js';

const Z = 4; // z threshold for single moment checks (two-sided false alarm 6e-5 each)
const KS_P = 1e-3;

/** z threshold for m simultaneous two-sided z-tests at family-wise level alpha (Bonferroni). */
const bonferroniZ = (m: number, alpha = 1e-3) => normalQuantile(1 - alpha / (2 * m));

interface Moments {
  n: number;
  mean: number;
  variance: number; // unbiased
  skewness: number;
  exKurtosis: number;
}

function moments(xs: ArrayLike<number>): Moments {
  const n = xs.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += xs[i];
  const mean = s / n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = xs[i] - mean;
    const d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  return { n, mean, variance: (m2 * n) / (n - 1), skewness: m3 / m2 ** 1.5, exKurtosis: m4 / (m2 * m2) - 3 };
}

function within(est: number, truth: number, se: number, what: string, z = Z): void {
  const dev = Math.abs(est - truth) / se;
  assert.ok(dev < z, `${what}: estimate ${est}, truth ${truth}, ${dev.toFixed(2)} standard errors (se ${se.toExponential(3)})`);
}

/**
 * Normal(mu, sigma) moments from n draws. Standard errors (large n):
 *   mean: sigma / sqrt(n); unbiased variance: sigma^2 sqrt(2 / (n - 1));
 *   skewness: sqrt(6 / n); excess kurtosis: sqrt(24 / n).
 */
function checkNormalMoments(xs: ArrayLike<number>, mu: number, sigma: number, what: string): void {
  const m = moments(xs);
  within(m.mean, mu, sigma / Math.sqrt(m.n), `${what} mean`);
  within(m.variance, sigma * sigma, sigma * sigma * Math.sqrt(2 / (m.n - 1)), `${what} variance`);
  within(m.skewness, 0, Math.sqrt(6 / m.n), `${what} skewness`);
  within(m.exKurtosis, 0, Math.sqrt(24 / m.n), `${what} excess kurtosis`);
}

/**
 * Uniform[a, b) moments. mean: (b - a) / sqrt(12 n); variance (b - a)^2 / 12 with standard error
 * sqrt((mu4 - sigma^4) / n), mu4 = (b - a)^4 / 80, sigma^4 = (b - a)^4 / 144.
 */
function checkUniformMoments(xs: ArrayLike<number>, a: number, b: number, what: string): void {
  const m = moments(xs);
  const w = b - a;
  within(m.mean, (a + b) / 2, w / Math.sqrt(12 * m.n), `${what} mean`);
  within(m.variance, (w * w) / 12, w * w * Math.sqrt((1 / 80 - 1 / 144) / m.n), `${what} variance`);
}

/** Sample correlation of x and y; under independence its sd is 1 / sqrt(n). */
function correlation(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxy / Math.sqrt(sxx * syy);
}

function checkUncorrelated(x: ArrayLike<number>, y: ArrayLike<number>, what: string): void {
  const n = x.length;
  const r = correlation(x, y);
  assert.ok(Math.abs(r) < Z / Math.sqrt(n), `${what}: correlation ${r} over ${n} pairs (limit ${Z / Math.sqrt(n)})`);
}

function checkLag1(x: ArrayLike<number>, what: string): void {
  const a = Array.prototype.slice.call(x, 0, x.length - 1) as number[];
  const b = Array.prototype.slice.call(x, 1) as number[];
  checkUncorrelated(a, b, `${what} lag-1 autocorrelation`);
}

/** Binomial z-test: count of successes out of n with probability p. */
function checkCount(count: number, n: number, p: number, z: number, what: string): void {
  if (p === 0 || p === 1) {
    assert.equal(count, p * n, `${what}: probability ${p} must give exactly ${p * n}, got ${count}`);
    return;
  }
  within(count, n * p, Math.sqrt(n * p * (1 - p)), `${what} count`, z);
}

const uniformCdf = (a: number, b: number) => (x: number) => Math.min(1, Math.max(0, (x - a) / (b - a)));

function arraysEqual(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

// ------------------------------------------------------------------------------------------------
describe('keys', () => {
  test('threefry2x32 matches the Random123 known-answer vectors', () => {
    assert.deepEqual(threefry2x32(0, 0, 0, 0), [0x6b200159, 0x99ba4efe]);
    assert.deepEqual(threefry2x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff), [0x1cb996fc, 0xbb002be7]);
    assert.deepEqual(threefry2x32(0x13198a2e, 0x03707344, 0x243f6a88, 0x85a308d3), [0xc4923a9c, 0x483df7a0]);
  });

  test('key / split / foldIn match jax.random (PRNGKey, classic split, fold_in)', () => {
    assert.deepEqual([...key(0)], [0, 0]);
    assert.deepEqual([...key(7)], [0, 7]);
    assert.deepEqual([...key(2 ** 40 + 5)], [256, 5]);
    assert.deepEqual([...key(-1)], [0xffffffff, 0xffffffff]); // int64 two's complement
    assert.deepEqual([...key(-(2 ** 32))], [0xffffffff, 0]);
    assert.deepEqual(split(key(0)).map((k) => [...k]), [[4146024105, 967050713], [2718843009, 1272950319]]);
    assert.deepEqual(split(key(0), 3).map((k) => [...k]), [
      [2467461003, 428148500],
      [3186719485, 3840466878],
      [2562233961, 1946702221],
    ]);
    assert.deepEqual([...foldIn(key(0), 0)], [1797259609, 2579123966]);
    assert.deepEqual([...foldIn(key(0), 1)], [928981903, 3453687069]);
    assert.deepEqual([...foldIn(key(0), 2)], [4146024105, 2718843009]);
    assert.equal(split(key(3), 0).length, 0);
  });

  test('keys are plain JSON data; a parsed key gives the same draws', () => {
    const k = foldIn(split(key(1))[1], 12);
    const parsed = JSON.parse(JSON.stringify({ k })) as { k: Key };
    assert.deepEqual(parsed.k, [...k]);
    assert.ok(arraysEqual(normalArray(parsed.k, 9), normalArray(k, 9)));
  });

  test('same key, same numbers; different keys, split children and foldIn indices differ', () => {
    const k = key(1);
    assert.ok(arraysEqual(normalArray(k, 100), normalArray(key(1), 100)));
    assert.ok(arraysEqual(uniformArray(k, 100), uniformArray(key(1), 100)));
    assert.ok(!arraysEqual(normalArray(k, 100), normalArray(key(2), 100)));
    const [c1, c2] = split(k);
    const draws = [k, c1, c2].map((kk) => normalArray(kk, 50));
    assert.ok(!arraysEqual(draws[0], draws[1]) && !arraysEqual(draws[0], draws[2]) && !arraysEqual(draws[1], draws[2]));
    // 1000 children, 1000 fold-ins, the parent: all distinct keys
    const all = [k, ...split(k, 1000), ...Array.from({ length: 1000 }, (_, i) => foldIn(k, i))];
    assert.equal(new Set(all.map((kk) => `${kk[0]},${kk[1]}`)).size, all.length);
    assert.ok(!arraysEqual(uniformArray(foldIn(k, 0), 20), uniformArray(foldIn(k, 1), 20)));
    // split is deterministic and a prefix-free function of n
    assert.deepEqual(split(k, 4), split(key(1), 4));
  });

  test('normalArray: moments, KS, tails', () => {
    const x = normalArray(key(1), 100_001); // odd length: last pair half used
    assert.equal(x.length, 100_001);
    checkNormalMoments(x, 0, 1, 'normalArray');
    const ks = ksOneSample(x, normalCdf);
    assert.ok(ks.pValue > KS_P, `KS p = ${ks.pValue}`);
  });

  test('uniformArray: in [0, 1), moments, KS', () => {
    const u = uniformArray(key(2), 100_000);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of u) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    assert.ok(lo >= 0 && hi < 1);
    checkUniformMoments(u, 0, 1, 'uniformArray');
    assert.ok(ksOneSample(u, uniformCdf(0, 1)).pValue > KS_P);
  });

  test('JS-side streams: split children and foldIn neighbours uncorrelated, no lag-1 autocorrelation', () => {
    const n = 100_000;
    const [a, b] = split(key(3));
    checkUncorrelated(normalArray(a, n), normalArray(b, n), 'normalArray split children');
    checkUncorrelated(uniformArray(a, n), uniformArray(b, n), 'uniformArray split children');
    checkUncorrelated(normalArray(foldIn(a, 0), n), normalArray(foldIn(a, 1), n), 'normalArray foldIn 0 / 1');
    checkLag1(normalArray(a, n), 'normalArray');
    checkLag1(uniformArray(a, n), 'uniformArray');
  });

  test('bad inputs throw errors naming the option, the value and what was expected', () => {
    assert.throws(() => key(1.5), /^Error: key: option "seed" = 1\.5, expected a safe integer/);
    assert.throws(() => key(NaN), /key: option "seed" = NaN, expected a safe integer/);
    assert.throws(() => key(2 ** 60), /key: option "seed" = 1152921504606847000, expected a safe integer/);
    assert.throws(() => key('3' as unknown as number), /key: option "seed" = "3", expected a safe integer/);
    assert.throws(() => split(key(1), -1), /split: option "n" = -1, expected an integer in \[0, 2\^31\]/);
    assert.throws(() => split(key(1), 2.5), /split: option "n" = 2\.5/);
    assert.throws(() => split([1, 2, 3] as unknown as Key), /split: option "key" = \[1,2,3\], expected a Key/);
    assert.throws(() => foldIn(key(1), 0.5), /foldIn: option "i" = 0\.5, expected an integer/);
    assert.throws(() => foldIn([-1, 0] as unknown as Key, 1), /foldIn: option "key" = \[-1,0\], expected a Key/);
    assert.throws(() => normalArray(key(1), -1), /normalArray: option "n" = -1, expected an integer in \[0, 2\^31 - 1\]/);
    assert.throws(() => uniformArray(7 as unknown as Key, 3), /uniformArray: option "key" = 7, expected a Key/);
  });
});

// ------------------------------------------------------------------------------------------------
/** Outputs of the same keyed draws on each backend: must be bit-identical across backends. */
const seen = new Map<string, Record<string, number[]>>();

onBackends(['cpu', 'wasm'], (backend) => {
  test('normal: same key -> same tensor, shape / dtype, empty shapes', async () => {
    const k = key(1);
    const a = normal(k, [3, 5], 0.5, 2);
    const b = normal(key(1), [3, 5], 0.5, 2);
    assert.deepEqual(a.shape, [3, 5]);
    assert.equal(a.dtype, 'float32');
    assert.ok(arraysEqual(await a.data(), await b.data()));
    const c = normal(key(2), [3, 5], 0.5, 2);
    assert.ok(!arraysEqual(await a.data(), await c.data()));
    const e = normal(k, [0, 4]);
    assert.deepEqual(e.shape, [0, 4]);
    const s = normal(k, []);
    assert.deepEqual(s.shape, []);
    tf.dispose([a, b, c, e, s]);
  });

  test('normal(mean 1.5, std 0.7): moments and KS on 2e5 draws', async () => {
    const t = normal(key(1), [400, 500], 1.5, 0.7);
    const x = await t.data();
    t.dispose();
    checkNormalMoments(x, 1.5, 0.7, `${backend} normal`);
    const ks = ksOneSample(x, (v) => normalCdf((v - 1.5) / 0.7));
    assert.ok(ks.pValue > KS_P, `KS p = ${ks.pValue}, D = ${ks.statistic}`);
  });

  test('normal: 1e6 draws, 40 equal-probability bins and the ziggurat tail (|z| > 3.44) by z-tests', async () => {
    const n = 1_000_000;
    const t = normal(key(2), [n]);
    const x = await t.data();
    t.dispose();
    const bins = 40;
    const counts = new Float64Array(bins);
    const R = 3.442619855899; // where the ziggurat's tail algorithm takes over
    let tailLo = 0;
    let tailHi = 0;
    let far = 0;
    for (let i = 0; i < n; i++) {
      const v = x[i];
      counts[Math.min(bins - 1, Math.floor(normalCdf(v) * bins))]++;
      if (v < -R) tailLo++;
      if (v > R) tailHi++;
      if (Math.abs(v) > 4.5) far++;
    }
    const zc = bonferroniZ(bins + 3);
    for (let j = 0; j < bins; j++) checkCount(counts[j], n, 1 / bins, zc, `bin ${j}`);
    checkCount(tailLo, n, normalCdf(-R), zc, 'lower tail beyond R');
    checkCount(tailHi, n, normalCdf(-R), zc, 'upper tail beyond R');
    checkCount(far, n, 2 * normalCdf(-4.5), zc, '|z| > 4.5');
  });

  test('normal: shape of the tail beyond R (1e7 draws, ~5800 in the tail), KS against the conditional CDF', async () => {
    const R = 3.442619855899;
    const tailMass = normalCdf(-R);
    const excess: number[] = [];
    const base = key(10);
    for (let chunk = 0; chunk < 10; chunk++) {
      const t = normal(foldIn(base, chunk), [1_000_000]);
      const x = await t.data();
      t.dispose();
      for (let i = 0; i < x.length; i++) if (Math.abs(x[i]) > R) excess.push(Math.abs(x[i]));
    }
    // P(|Z| <= v | |Z| > R) = 1 - Phi(-v) / Phi(-R)
    const ks = ksOneSample(excess, (v) => 1 - normalCdf(-v) / tailMass);
    assert.ok(ks.pValue > KS_P, `tail KS p = ${ks.pValue}, D = ${ks.statistic}, ${excess.length} tail draws`);
  });

  test('uniform(-2, 3): range, moments, KS; float32 values stay below high', async () => {
    const t = uniform(key(3), [1000, 100], -2, 3);
    assert.equal(t.dtype, 'float32');
    const u = await t.data();
    t.dispose();
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of u) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    assert.ok(lo >= -2 && hi < 3, `range [${lo}, ${hi}]`);
    checkUniformMoments(u, -2, 3, `${backend} uniform`);
    const ks = ksOneSample(u, uniformCdf(-2, 3));
    assert.ok(ks.pValue > KS_P, `KS p = ${ks.pValue}`);
    // a range a few float32 ulps wide: rounding would hit high without the clamp
    const narrow = uniform(key(4), [10000], 1, 1 + 3e-7);
    const nv = await narrow.data();
    const below = tf.tidy(() => tf.all(tf.less(narrow, 1 + 3e-7)));
    assert.equal((await below.data())[0], 1, 'float32 comparison x < high');
    for (const v of nv) assert.ok(v >= 1 && v < 1 + 3e-7, `narrow value ${v}`);
    tf.dispose([narrow, below]);
  });

  test('categorical: per-category z-tests against softmax on asymmetric rows; -Infinity never drawn', async () => {
    const rows = [
      [0.0, 1.0, -1.0, 2.0, -Infinity],
      [-3.0, -Infinity, 1.0, 0.2, 0.7],
      [5.0, 0.0, -Infinity, -Infinity, 1.0],
    ];
    const m = 20_000; // draws per row type
    const flat: number[] = [];
    for (const row of rows) for (let i = 0; i < m; i++) flat.push(...row);
    const logits = tf.tensor2d(flat, [rows.length * m, 5]);
    const before = tf.memory().numTensors;
    const out = categorical(key(5), logits);
    assert.equal(tf.memory().numTensors, before + 1, 'no leaked intermediates');
    assert.equal(out.dtype, 'int32');
    assert.deepEqual(out.shape, [rows.length * m]);
    const c = await out.data();
    tf.dispose([logits, out]);
    const probs = rows.map((row) => {
      const mx = Math.max(...row);
      const e = row.map((l) => Math.exp(l - mx));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    });
    const tests = probs.flat().filter((p) => p > 0).length;
    const zc = bonferroniZ(tests);
    rows.forEach((row, r) => {
      const counts = new Array(5).fill(0);
      for (let i = r * m; i < (r + 1) * m; i++) counts[c[i]]++;
      for (let j = 0; j < 5; j++) {
        if (row[j] === -Infinity) assert.equal(counts[j], 0, `row ${r}: -Infinity category ${j} drawn`);
        else checkCount(counts[j], m, probs[r][j], zc, `row ${r} category ${j} (p = ${probs[r][j].toFixed(4)})`);
      }
    });
  });

  test('bernoulli: tensor p broadcast over rows (binomial z-tests), number p, p = 0 and 1', async () => {
    const ps = [0.05, 0.3, 0.5, 0.93, 0, 1];
    const p = tf.tensor2d([ps], [1, ps.length]);
    const rows = 25_000;
    const before = tf.memory().numTensors;
    const t = bernoulli(key(6), p, [rows, ps.length]);
    assert.equal(tf.memory().numTensors, before + 1, 'no leaked intermediates');
    assert.deepEqual(t.shape, [rows, ps.length]);
    assert.equal(t.dtype, 'float32');
    const x = await t.data();
    const zc = bonferroniZ(ps.length + 1);
    ps.forEach((pj, j) => {
      let count = 0;
      for (let i = 0; i < rows; i++) {
        const v = x[i * ps.length + j];
        assert.ok(v === 0 || v === 1);
        count += v;
      }
      checkCount(count, rows, pj, zc, `p = ${pj}`);
    });
    // default shape: p's shape
    const d = bernoulli(key(6), p);
    assert.deepEqual(d.shape, [1, ps.length]);
    const s = bernoulli(key(7), 0.2, [50_000]);
    const sv = Array.from(await s.data());
    checkCount(sv.reduce((a, b) => a + b, 0), 50_000, 0.2, zc, 'number p = 0.2');
    const zt = bernoulli(key(8), 0, [1000]);
    const ot = bernoulli(key(8), 1, [1000]);
    const scalar = bernoulli(key(8), 0.5);
    assert.ok(Array.from(await zt.data()).every((v) => v === 0) && Array.from(await ot.data()).every((v) => v === 1));
    assert.deepEqual(scalar.shape, []);
    tf.dispose([p, t, d, s, zt, ot, scalar]);
  });

  test('split streams are uncorrelated; no lag-1 autocorrelation; distributions use separate bits', async () => {
    const n = 100_000;
    const [k1, k2] = split(key(9));
    const a = normal(k1, [n]);
    const b = normal(k2, [n]);
    const u = uniform(k1, [n]);
    const xa = await a.data();
    const xb = await b.data();
    const xu = await u.data();
    tf.dispose([a, b, u]);
    checkUncorrelated(xa, xb, 'normal split children');
    checkLag1(xa, 'normal');
    checkLag1(xu, 'uniform');
    // the same key for normal and uniform: different bit streams, uncorrelated even in |z| vs u
    checkUncorrelated(xa.map(Math.abs), xu, 'normal(k) vs uniform(k)');
  });

  test('same key -> same numbers for every distribution (recorded for the cross-backend check)', async () => {
    const k = key(11);
    const logits = tf.tidy(() => tf.tile(tf.tensor2d([0.1, -0.4, 2.0, -Infinity, 0.0, 0.3], [2, 3]), [50, 1]));
    const p = tf.tensor1d([0.2, 0.8, 0.5]);
    const draws = () => [
      normal(k, [257], 0.5, 2),
      uniform(k, [257], -1, 3),
      categorical(k, logits),
      bernoulli(k, p, [40, 3]),
      bernoulli(k, 0.3, [100]),
    ];
    const before = tf.memory().numTensors;
    const first = draws();
    const second = draws();
    assert.equal(tf.memory().numTensors, before + 2 * first.length, 'one tensor per draw, nothing else');
    const rec: Record<string, number[]> = {};
    for (let i = 0; i < first.length; i++) {
      const a = await first[i].data();
      const b = await second[i].data();
      assert.ok(arraysEqual(a, b), `draw ${i} not reproducible`);
      rec[`draw${i}`] = Array.from(a);
    }
    rec.normalArray = Array.from(normalArray(k, 33));
    rec.uniformArray = Array.from(uniformArray(k, 33));
    seen.set(backend, rec);
    tf.dispose([...first, ...second, logits, p]);
  });

  test('bad inputs throw errors naming the option, the value and what was expected', () => {
    const k = key(1);
    assert.throws(() => normal(k, [4], 0, -1), /^Error: normal: option "std" = -1, expected a finite number > 0$/);
    assert.throws(() => normal(k, [4], 0, 0), /normal: option "std" = 0, expected a finite number > 0/);
    assert.throws(() => normal(k, [4], 0, NaN), /normal: option "std" = NaN/);
    assert.throws(() => normal(k, [4], Infinity), /normal: option "mean" = Infinity, expected a finite number/);
    assert.throws(() => normal(k, [2, -1]), /normal: option "shape" = \[2,-1\], expected an array of non-negative integers/);
    assert.throws(() => normal(k, [2.5]), /normal: option "shape" = \[2\.5\]/);
    assert.throws(() => normal(k, 5 as unknown as number[]), /normal: option "shape" = 5, expected an array/);
    assert.throws(() => normal(3 as unknown as Key, [2]), /normal: option "key" = 3, expected a Key/);
    assert.throws(() => uniform(k, [3], 1, 1), /uniform: option "high" = 1, expected a finite number > low = 1/);
    assert.throws(() => uniform(k, [3], 2, 1), /uniform: option "high" = 1, expected a finite number > low = 2/);
    assert.throws(() => uniform(k, [3], NaN, 1), /uniform: option "low" = NaN, expected a finite number/);
    assert.throws(() => bernoulli(k, 1.5, [3]), /bernoulli: option "p" = 1\.5, expected a number in \[0, 1\]/);
    assert.throws(() => bernoulli(k, NaN, [3]), /bernoulli: option "p" = NaN/);
    const p = tf.tensor1d([0.1, 0.2, 0.3]);
    assert.throws(() => bernoulli(k, p, [2]), /bernoulli: option "p" = Tensor\(float32, \[3\]\), expected a tensor whose shape broadcasts to shape \[2\]/);
    const v = tf.tensor1d([0, 1]);
    assert.throws(() => categorical(k, v), /categorical: option "logits" = Tensor\(float32, \[2\]\), expected a rank-2 tensor \[n, k\]/);
    assert.throws(() => categorical(k, [[0, 1]] as unknown as tf.Tensor), /categorical: option "logits" = \[\[0,1\]\], expected a tf\.Tensor/);
    tf.dispose([p, v]);
  });
});

describe('across backends', () => {
  test('cpu and wasm give bit-identical draws for the same key', () => {
    const cpu = seen.get('cpu');
    const wasm = seen.get('wasm');
    assert.ok(cpu && wasm, 'both backend blocks ran');
    for (const name of Object.keys(cpu)) assert.ok(arraysEqual(cpu[name], wasm[name]), `${name} differs across backends`);
  });
});

after(() => {
  seen.clear();
});
