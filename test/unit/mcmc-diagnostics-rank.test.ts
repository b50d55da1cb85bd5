/**
 * Rank-normalised R-hat, bulk ESS and tail ESS (lib/metrics/rankDiagnostics.ts) against (1) values computed by an
 * independent numpy/scipy script written from Vehtari et al. (2021) (scipy.stats.rankdata, norm.ppf, direct
 * autocovariance sums), (2) a float64 reference in this file with a different structure (counting ranks, direct
 * autocovariances, nested [draw][chain] arrays), and (3) the properties the paper states.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { foldIn, key, normalArray, uniformArray } from '../../lib/core/random.js';
import { normalQuantile } from '../../lib/core/special.js';
import { effectiveSampleSize, splitRHat } from '../../lib/metrics/mcmcDiagnostics.js';
import { bulkEss, rankNormalizedRHat, tailEss } from '../../lib/metrics/rankDiagnostics.js';
import { useBackend } from '../helpers/backends.js';

before(async () => {
  await useBackend('wasm');
});

// ---------------------------------------------------------------------------------------------------------------
// Independent float64 reference: x is [numDraws][numChains] (one coordinate)

type Draws = number[][];

/** Split each chain in two halves (middle draw dropped for odd length): [half][2 * numChains]. */
function refSplit(x: Draws): Draws {
  const half = Math.floor(x.length / 2);
  return Array.from({ length: half }, (_, t) => [...x[t], ...x[x.length - half + t]]);
}

/** Blom rank normal scores, ranks by counting (rank = #below + (#equal + 1) / 2). */
function refZ(x: Draws): Draws {
  const all = x.flat();
  const s = all.length;
  return x.map((row) =>
    row.map((v) => {
      const below = all.filter((w) => w < v).length;
      const equal = all.filter((w) => w === v).length;
      return normalQuantile((below + (equal + 1) / 2 - 0.375) / (s + 0.25));
    }),
  );
}

const column = (x: Draws, c: number) => x.map((row) => row[c]);
const avg = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const var1 = (v: number[]) => v.reduce((a, b) => a + (b - avg(v)) ** 2, 0) / (v.length - 1);

function refRHat(x: Draws): number {
  const n = x.length;
  const chains = x[0].map((_, c) => column(x, c));
  const w = avg(chains.map(var1));
  return Math.sqrt(((n - 1) / n) * w + var1(chains.map(avg))) / Math.sqrt(w);
}

function refEss(x: Draws): number {
  const n = x.length;
  const m = x[0].length;
  const all = x.flat();
  if (all.every((v) => v === all[0])) return all.length;
  const chains = x[0].map((_, c) => column(x, c));
  const centred = chains.map((ch) => ch.map((v) => v - avg(ch)));
  const acov = (k: number) => avg(centred.map((ch) => ch.slice(0, n - k).reduce((a, v, i) => a + v * ch[i + k], 0) / n));
  const meanVar = (acov(0) * n) / (n - 1);
  const varPlus = (meanVar * (n - 1)) / n + (m > 1 ? var1(chains.map(avg)) : 0);
  const r = (k: number) => 1 - (meanVar - acov(k)) / varPlus;
  const rho = new Array<number>(n).fill(0);
  rho[0] = 1;
  rho[1] = r(1);
  let [even, odd, t] = [1, rho[1], 0];
  while (t < n - 5 && even + odd > 0) {
    t += 2;
    [even, odd] = [r(t), r(t + 1)];
    if (even + odd >= 0) [rho[t], rho[t + 1]] = [even, odd];
  }
  if (even > 0) rho[t] = even;
  for (let k = 2; k <= t - 2; k += 2) {
    if (rho[k] + rho[k + 1] > rho[k - 2] + rho[k - 1]) rho[k] = rho[k + 1] = (rho[k - 2] + rho[k - 1]) / 2;
  }
  const tau = -1 + 2 * rho.slice(0, t).reduce((a, b) => a + b, 0) + rho[t];
  return all.length / Math.max(tau, 1 / Math.log10(all.length));
}

function refQuantile(values: number[], p: number): number {
  const s = values.slice().sort((a, b) => a - b);
  const h = (s.length - 1) * p;
  return s[Math.floor(h)] + (h - Math.floor(h)) * (s[Math.ceil(h)] - s[Math.floor(h)]);
}

function refRankRHat(x: Draws): number {
  const med = refQuantile(x.flat(), 0.5);
  return Math.max(refRHat(refZ(refSplit(x))), refRHat(refZ(refSplit(x.map((row) => row.map((v) => Math.abs(v - med)))))));
}

const refBulkEss = (x: Draws) => refEss(refZ(refSplit(x)));

function refTailEss(x: Draws): number {
  const indicator = (p: number) => {
    const q = refQuantile(x.flat(), p);
    return x.map((row) => row.map((v) => (v <= q ? 1 : 0)));
  };
  return Math.min(refEss(refSplit(indicator(0.05))), refEss(refSplit(indicator(0.95))));
}

/** The relative difference |a - b| / |b|. */
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

// ---------------------------------------------------------------------------------------------------------------

test('a small fixed case matches the numpy/scipy reference (values printed by the script in the comment)', async () => {
  // Python, written independently from the paper's formulas (scipy.stats.rankdata(method="average"), norm.ppf,
  // direct autocovariance sums, np.quantile): x[t, c] = sin(0.35 t + c) + 0.4 cos(2.1 t c + 0.5) + 0.02 t c,
  // t < 21, c < 3, gives rank R-hat 1.1737657409131532, bulk ESS 14.148687678846853, tail ESS
  // 34.43786982248519, classic split R-hat 1.1925996390821285, classic ESS 13.028206338914535.
  const x: Draws = Array.from({ length: 21 }, (_, t) =>
    Array.from({ length: 3 }, (_, c) => Math.sin(0.35 * t + c) + 0.4 * Math.cos(2.1 * t * c + 0.5) + 0.02 * t * c));
  const expected = { rankRHat: 1.1737657409131532, bulk: 14.148687678846853, tail: 34.43786982248519 };
  assert.ok(rel((await rankNormalizedRHat(x))[0], expected.rankRHat) < 1e-12, 'rank R-hat');
  assert.ok(rel((await bulkEss(x))[0], expected.bulk) < 1e-12, 'bulk ESS');
  assert.ok(rel((await tailEss(x))[0], expected.tail) < 1e-12, 'tail ESS');
  assert.ok(rel((await splitRHat(x))[0], 1.1925996390821285) < 1e-12, 'classic split R-hat');
  assert.ok(rel((await effectiveSampleSize(x))[0], 13.028206338914535) < 1e-12, 'classic ESS');
  // The in-file reference agrees on the same case.
  assert.ok(rel(refRankRHat(x), expected.rankRHat) < 1e-12 && rel(refBulkEss(x), expected.bulk) < 1e-12 && rel(refTailEss(x), expected.tail) < 1e-12);
});

test('random traces, with ties and odd lengths, match the float64 reference; every coordinate of a trace separately', async () => {
  for (const [seed, numDraws, numChains] of [[1, 40, 4], [2, 33, 2], [3, 101, 3]] as const) {
    const u = uniformArray(key(seed), numDraws * numChains * 2);
    // coordinate 0: an autocorrelated walk; coordinate 1: integers 0..4 (many ties)
    const data = new Float64Array(numDraws * numChains * 2);
    for (let c = 0; c < numChains; c++) {
      let walk = 0;
      for (let t = 0; t < numDraws; t++) {
        walk = 0.8 * walk + u[(t * numChains + c) * 2] - 0.5;
        data[(t * numChains + c) * 2] = walk + 0.2 * c;
        data[(t * numChains + c) * 2 + 1] = Math.floor(5 * u[(t * numChains + c) * 2 + 1]);
      }
    }
    const trace = { shape: [numDraws, numChains, 2], data };
    const [r, b, tl] = [await rankNormalizedRHat(trace), await bulkEss(trace), await tailEss(trace)];
    for (const j of [0, 1]) {
      const x: Draws = Array.from({ length: numDraws }, (_, t) => Array.from({ length: numChains }, (_, c) => data[(t * numChains + c) * 2 + j]));
      const what = `seed ${seed}, coordinate ${j}`;
      assert.ok(rel(r[j], refRankRHat(x)) < 1e-10, `${what}: rank R-hat ${r[j]} vs ${refRankRHat(x)}`);
      assert.ok(rel(b[j], refBulkEss(x)) < 1e-10, `${what}: bulk ESS ${b[j]} vs ${refBulkEss(x)}`);
      assert.ok(rel(tl[j], refTailEss(x)) < 1e-10, `${what}: tail ESS ${tl[j]} vs ${refTailEss(x)}`);
    }
  }
});

/** iid N(mu_c, sd_c^2) draws as a trace [numDraws, numChains, 1] (chain c gets means[c], sds[c], default 0 and 1). */
function normalTrace(seed: number, numDraws: number, numChains: number, means: number[] = [], sds: number[] = []) {
  const eps = normalArray(key(seed), numDraws * numChains);
  const data = eps.map((e, k) => (means[k % numChains] ?? 0) + (sds[k % numChains] ?? 1) * e);
  return { shape: [numDraws, numChains, 1], data };
}

test('iid normal chains: R-hat within its sampling spread of 1, bulk and tail ESS near S', async () => {
  const [numDraws, numChains] = [1000, 4];
  const m = 2 * numChains; // split chains
  const l = numDraws / 2;
  const s = numDraws * numChains;
  // iid: R-hat^2 - 1 ~ (chi2_{M-1} / (M - 1) - 1) / L, so sd(R-hat) ~ sqrt(2 / (M - 1)) / (2 L).
  const rhatSd = Math.sqrt(2 / (m - 1)) / (2 * l);
  // iid: each rho_t estimate has sd ~ 1 / sqrt(S); tau sums a few of them doubled, sd(tau) <~ 4 / sqrt(S).
  const tauSd = 4 / Math.sqrt(s);
  for (const seed of [11, 12, 13]) {
    const trace = normalTrace(seed, numDraws, numChains);
    const r = (await rankNormalizedRHat(trace))[0];
    assert.ok(Math.abs(r - 1) < 5 * rhatSd, `seed ${seed}: rank R-hat ${r}, expected 1 +- ${5 * rhatSd}`);
    for (const [name, ess] of [['bulk', (await bulkEss(trace))[0]], ['tail', (await tailEss(trace))[0]]] as const) {
      assert.ok(Math.abs(s / ess - 1) < 5 * tauSd, `seed ${seed}: ${name} ESS ${ess}, expected S = ${s} within tau +- ${5 * tauSd}`);
    }
  }
});

test('a chain with a shifted mean, or a wider spread, pushes rank R-hat above 1.01; only the folded part sees the spread', async () => {
  const shifted = normalTrace(21, 1000, 4, [0, 0, 0, 1]);
  assert.ok((await rankNormalizedRHat(shifted))[0] > 1.05, 'shifted mean');
  // Same mean, one chain 3x wider: the classic R-hat (means only) stays near 1, the folded rank R-hat does not.
  const wide = normalTrace(22, 1000, 4, [], [1, 1, 1, 3]);
  const classic = (await splitRHat(wide))[0];
  const rank = (await rankNormalizedRHat(wide))[0];
  assert.ok(classic < 1.01, `classic split R-hat ${classic}`);
  assert.ok(rank > 1.05, `rank-normalised R-hat ${rank} should flag the different spread`);
});

test('heavy tails: random-walk Metropolis on a Cauchy lingers in the tails, so tail ESS < bulk ESS', async () => {
  const [numDraws, numChains] = [4000, 4];
  const eps = normalArray(foldIn(key(31), 0), numDraws * numChains);
  const u = uniformArray(foldIn(key(31), 1), numDraws * numChains);
  const logDensity = (x: number) => -Math.log1p(x * x);
  const data = new Float64Array(numDraws * numChains);
  for (let c = 0; c < numChains; c++) {
    let x = 0;
    for (let t = 0; t < numDraws; t++) {
      const k = t * numChains + c;
      const y = x + 1.0 * eps[k];
      if (Math.log(u[k]) < logDensity(y) - logDensity(x)) x = y;
      data[k] = x;
    }
  }
  const trace = { shape: [numDraws, numChains], data };
  const bulk = (await bulkEss(trace))[0];
  const tail = (await tailEss(trace))[0];
  assert.ok(tail < bulk, `tail ESS ${tail} should be below bulk ESS ${bulk}`);
});

test('bad input: too few draws, non-finite values, a malformed trace', async () => {
  await assert.rejects(rankNormalizedRHat({ shape: [3, 2, 1], data: new Float64Array(6) }), /rankNormalizedRHat: .*at least 4 draws per chain/);
  await assert.rejects(bulkEss({ shape: [2, 2], data: new Float32Array([0, 1, NaN, 2]) }), /bulkEss: .*at least 6 draws/);
  await assert.rejects(tailEss({ shape: [6, 1], data: Float64Array.from([0, 1, NaN, 2, 3, 4]) }), /tailEss: option "trace" has a non-finite value NaN at draw 2, chain 0/);
  await assert.rejects(bulkEss({ shape: [6, 2, 1], data: new Float64Array(5) }), /bulkEss: option "trace.data" = a Float64Array of length 5, expected 12 values for shape \[6, 2, 1\]/);
});
