/**
 * lib/models/gaussianMixtureFit.ts: EM fit of a Gaussian mixture (float64, sklearn semantics).
 *
 * Recovery: data drawn exactly from known asymmetric mixtures (the mixture target's `sample`: unequal weights,
 * unequal full or diagonal covariances, d = 2 and d = 8, well-separated components so that EM's estimates have the
 * sampling variance of the labelled data). Tolerances are Monte Carlo standard errors with Z = 4.5:
 *   weight:            sd = sqrt(w (1 - w) / N)
 *   mean coordinate a: sd = sqrt(S_aa / (w N))
 *   covariance (a, b): sd = sqrt((S_aa S_bb + S_ab^2) / (w N))   (Gaussian sample covariance, Isserlis)
 * Also: EM's non-decreasing log-likelihood, the reported log-likelihood against a direct float64 evaluation and
 * the mixture target's float32 logDensity, regCovar escalation on degenerate data, meansInit, determinism by key,
 * abort and progress, and bad inputs.
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { gaussianLogDensity, matrix, type Matrix } from '../../lib/core/linalg.js';
import { logSumExp64 } from '../../lib/core/logspace.js';
import { key, normalArray } from '../../lib/core/random.js';
import { fitGaussianMixture, type GaussianMixtureFit } from '../../lib/models/gaussianMixtureFit.js';
import { gaussianMixture } from '../../lib/targets/mixture.js';
import { useBackend } from '../helpers/backends.js';

const Z = 4.5;

type Spec = { weights: number[]; means: number[][]; covariances: (number[] | number[][])[] };

/** Full or diagonal covariances as dense float64 matrices. */
function denseCovariances(covariances: (number[] | number[][])[], d: number): Matrix[] {
  return covariances.map((c) => {
    if (Array.isArray(c[0])) return matrix(d, d, c as number[][]);
    const m = matrix(d, d);
    (c as number[]).forEach((v, j) => (m.data[j * d + j] = v));
    return m;
  });
}

/** Fitted (as written by the fit) and true covariances as dense matrices. */
const fittedCovariances = (fit: GaussianMixtureFit) =>
  denseCovariances(fit.covariances as (number[] | number[][])[], fit.means[0].length);

/** A deterministic SPD matrix A A^T / d + diag(scale) with unequal scales. */
function spd(d: number, seed: number, scale: number): number[][] {
  const a = normalArray(key(seed), d * d);
  return Array.from({ length: d }, (_, i) =>
    Array.from({ length: d }, (_, j) => {
      let s = 0;
      for (let k = 0; k < d; k++) s += a[i * d + k] * a[j * d + k];
      return (0.5 * s) / d + (i === j ? scale * (1 + 0.3 * i) : 0);
    }),
  );
}

const FULL_2D: Spec = {
  weights: [0.55, 0.3, 0.15],
  means: [[0, 0], [6, 1], [-2, 7]],
  covariances: [[[1.0, 0.6], [0.6, 0.8]], [[0.5, -0.2], [-0.2, 1.5]], [[0.3, 0.05], [0.05, 0.2]]],
};

const DIAG_8D: Spec = {
  weights: [0.5, 0.35, 0.15],
  means: [Array(8).fill(0), Array.from({ length: 8 }, (_, j) => (j % 2 ? 3 : -3)), Array.from({ length: 8 }, (_, j) => 2 + 0.5 * j)],
  covariances: [
    Array.from({ length: 8 }, (_, j) => 0.5 + 0.1 * j),
    Array.from({ length: 8 }, (_, j) => 1.5 - 0.1 * j),
    Array.from({ length: 8 }, (_, j) => (j < 4 ? 0.3 : 0.8)),
  ],
};

const FULL_8D: Spec = {
  weights: [0.6, 0.25, 0.15],
  means: DIAG_8D.means,
  covariances: [spd(8, 1, 0.4), spd(8, 2, 0.2), spd(8, 3, 0.3)],
};

/** N exact draws of the mixture as nested rows (float32 values). */
async function draw(spec: Spec, seed: number, n: number): Promise<number[][]> {
  const target = gaussianMixture(spec);
  const x = target.sample(key(seed), n);
  const rows = (await x.array()) as number[][];
  x.dispose();
  target.dispose();
  return rows;
}

/** The permutation of the fitted components that best matches the true means (K <= 4: all permutations). */
function matchComponents(fitted: number[][], truth: number[][]): number[] {
  const K = truth.length;
  const perms = (items: number[]): number[][] =>
    items.length <= 1 ? [items] : items.flatMap((x, i) => perms([...items.slice(0, i), ...items.slice(i + 1)]).map((p) => [x, ...p]));
  let best: number[] = [];
  let bestCost = Infinity;
  for (const p of perms([...Array(K).keys()])) {
    const cost = p.reduce((s, f, k) => s + truth[k].reduce((t, m, j) => t + (fitted[f][j] - m) ** 2, 0), 0);
    if (cost < bestCost) [best, bestCost] = [p, cost];
  }
  return best;
}

/** Assert the fit is within Z standard errors of the truth; returns the largest |error| / sd seen. */
function checkRecovery(fit: GaussianMixtureFit, spec: Spec, n: number, label: string): number {
  const d = spec.means[0].length;
  const truthCov = denseCovariances(spec.covariances, d);
  const fitCov = fittedCovariances(fit);
  const order = matchComponents(fit.means, spec.means);
  const diagonalOnly = fit.covarianceType === 'diag';
  let worst = 0;
  const check = (what: string, estimate: number, truth: number, sd: number) => {
    const z = Math.abs(estimate - truth) / sd;
    worst = Math.max(worst, z);
    assert.ok(z < Z, `${label}: ${what} = ${estimate}, truth ${truth}, |error| = ${z.toFixed(2)} sd > ${Z} sd (sd ${sd.toExponential(2)})`);
  };
  spec.weights.forEach((w, k) => {
    const f = order[k];
    check(`weight ${k}`, fit.weights[f], w, Math.sqrt((w * (1 - w)) / n));
    const S = truthCov[k].data;
    for (let a = 0; a < d; a++) {
      check(`mean ${k}[${a}]`, fit.means[f][a], spec.means[k][a], Math.sqrt(S[a * d + a] / (w * n)));
      for (let b = 0; b <= a; b++) {
        if (diagonalOnly && a !== b) continue;
        const sd = Math.sqrt((S[a * d + a] * S[b * d + b] + S[a * d + b] ** 2) / (w * n));
        check(`covariance ${k}[${a}][${b}]`, fitCov[f].data[a * d + b], S[a * d + b], sd);
      }
    }
  });
  return worst;
}

/** Mean float64 log-density of the fitted mixture at the rows of x, evaluated from scratch. */
function meanLogDensity64(fit: GaussianMixtureFit, rows: number[][]): number {
  const d = rows[0].length;
  const x = matrix(rows.length, d, rows);
  const covs = fittedCovariances(fit);
  const perComponent = fit.weights.map((w, k) => gaussianLogDensity(x, fit.means[k], covs[k]).map((l) => l + Math.log(w)));
  let total = 0;
  for (let i = 0; i < rows.length; i++) total += logSumExp64(perComponent.map((l) => l[i]));
  return total / rows.length;
}

/**
 * At convergence the fit is a fixed point of EM: one more M-step from its own (float64, from scratch)
 * responsibilities gives back its weights, means and covariances (+ regCovar on the diagonal).
 */
function checkFixedPoint(fit: GaussianMixtureFit, rows: number[][], relTol: number): void {
  const d = rows[0].length;
  const K = fit.weights.length;
  const x = matrix(rows.length, d, rows);
  const covs = fittedCovariances(fit);
  const logp = fit.weights.map((w, k) => gaussianLogDensity(x, fit.means[k], covs[k]).map((l) => l + Math.log(w)));
  const weightSum = fit.weights.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(weightSum - 1) < 1e-12, `weights sum to ${weightSum}`);
  const nk = new Array<number>(K).fill(0);
  const sums = fit.means.map(() => new Array<number>(d).fill(0));
  const resp = rows.map((row, i) => {
    const lse = logSumExp64(logp.map((l) => l[i]));
    return logp.map((l, k) => {
      const r = Math.exp(l[i] - lse);
      nk[k] += r;
      row.forEach((v, a) => (sums[k][a] += r * v));
      return r;
    });
  });
  for (let k = 0; k < K; k++) {
    const mean = sums[k].map((s) => s / nk[k]);
    const cov = new Float64Array(d * d);
    rows.forEach((row, i) => {
      for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) cov[a * d + b] += resp[i][k] * (row[a] - mean[a]) * (row[b] - mean[b]);
    });
    const close = (what: string, got: number, want: number, scale: number) =>
      assert.ok(Math.abs(got - want) <= relTol * scale, `fixed point, component ${k}: ${what} = ${got}, one more M-step gives ${want}`);
    close('weight', fit.weights[k], nk[k] / rows.length, 1);
    for (let a = 0; a < d; a++) {
      const sa = Math.sqrt(cov[a * d + a] / nk[k]);
      close(`mean[${a}]`, fit.means[k][a], mean[a], sa);
      for (let b = 0; b < d; b++) {
        if (fit.covarianceType === 'diag' && a !== b) continue;
        const want = cov[a * d + b] / nk[k] + (a === b ? fit.regCovar : 0);
        close(`covariance[${a}][${b}]`, covs[k].data[a * d + b], want, sa * Math.sqrt(cov[b * d + b] / nk[k]));
      }
    }
  }
}

describe('fitGaussianMixture: recovery of known mixtures (Z = 4.5 Monte Carlo standard errors)', () => {
  before(() => useBackend('wasm'));
  const N = 20000;

  test('d = 2, full covariances, k-means++ initialisation', async () => {
    const rows = await draw(FULL_2D, 11, N);
    const fit = await fitGaussianMixture(rows, { numComponents: 3, covarianceType: 'full', key: key(5), tol: 1e-8, maxIter: 500 });
    assert.ok(fit.converged, `not converged after ${fit.iterations} iterations`);
    assert.equal(fit.regCovar, 1e-6);
    assert.deepEqual(fit.regCovarFailures, []);
    const worst = checkRecovery(fit, FULL_2D, N, 'full 2-D');
    checkFixedPoint(fit, rows, 1e-4);
    assert.ok(worst > 0.1, `all errors under 0.1 sd (${worst}): suspiciously exact`);
  });

  test('d = 8, diagonal covariances, from a flat Float64Array', async () => {
    const rows = await draw(DIAG_8D, 12, N);
    const fit = await fitGaussianMixture(Float64Array.from(rows.flat()), {
      numComponents: 3, covarianceType: 'diag', dim: 8, key: key(6), tol: 1e-8, maxIter: 500,
    });
    assert.ok(fit.converged);
    assert.equal((fit.covariances as number[][])[0].length, 8, 'diag covariances are d variances');
    checkRecovery(fit, DIAG_8D, N, 'diag 8-D');
    checkFixedPoint(fit, rows, 1e-4);
  });

  test('d = 8, full covariances, from a tensor', async () => {
    const rows = await draw(FULL_8D, 13, N);
    const x = tf.tensor2d(rows);
    const fit = await fitGaussianMixture(x as tf.Tensor2D, { numComponents: 3, key: key(7), tol: 1e-8, maxIter: 500 });
    x.dispose();
    assert.ok(fit.converged);
    assert.equal(fit.covarianceType, 'full');
    checkRecovery(fit, FULL_8D, N, 'full 8-D');
    checkFixedPoint(fit, rows, 1e-4);
  });
});

describe('fitGaussianMixture: EM properties and the mixture target', () => {
  before(() => useBackend('wasm'));

  // Overlapping components (means 1.5 apart) so that EM takes many iterations.
  const OVERLAP: Spec = {
    weights: [0.7, 0.3],
    means: [[0, 0], [1.5, 0.5]],
    covariances: [[[1, 0.3], [0.3, 0.7]], [[0.4, 0], [0, 1.2]]],
  };

  for (const covarianceType of ['full', 'diag'] as const) {
    test(`${covarianceType}: the log-likelihood never decreases; the reported value is the fitted mixture's mean log-density`, async () => {
      const rows = await draw(OVERLAP, 21, 3000);
      const fit = await fitGaussianMixture(rows, { numComponents: 2, covarianceType, key: key(1), tol: 0, maxIter: 60 });
      const h = fit.logLikelihoodHistory;
      assert.equal(h.length, fit.iterations + 1);
      assert.ok(fit.iterations >= 20, `only ${fit.iterations} iterations`);
      assert.ok(h[h.length - 1] - h[0] > 1e-3, `EM did not improve the initialisation: ${h[0]} -> ${h[h.length - 1]}`);
      for (let i = 1; i < h.length; i++) {
        assert.ok(h[i] >= h[i - 1] - 1e-12 * Math.abs(h[i - 1]), `log-likelihood fell at iteration ${i}: ${h[i - 1]} -> ${h[i]}`);
      }
      // float64 from scratch
      const direct = meanLogDensity64(fit, rows);
      assert.ok(Math.abs(direct - fit.logLikelihood) < 1e-12 * Math.abs(direct), `reported ${fit.logLikelihood}, direct ${direct}`);
      // The fit goes into the mixture target as is; its float32 logDensity agrees to float32 precision.
      const target = gaussianMixture(fit);
      const x = tf.tensor2d(rows);
      const ld = target.logDensity(x as tf.Tensor2D);
      const values = await ld.data();
      const mean32 = Array.from(values).reduce((s, v) => s + v, 0) / values.length;
      tf.dispose([x, ld]);
      target.dispose();
      assert.ok(Math.abs(mean32 - fit.logLikelihood) < 1e-4, `mixture target mean log-density ${mean32}, fit ${fit.logLikelihood}`);
    });
  }

  test('meansInit is honoured: the initial means are used as given and fix the component order', async () => {
    const rows = await draw(FULL_2D, 31, 4000);
    const meansInit = [[-1.9, 6.8], [0.1, -0.2], [5.8, 1.3]]; // truth order 2, 0, 1
    const initial = await fitGaussianMixture(rows, { numComponents: 3, meansInit, maxIter: 0 });
    assert.deepEqual(initial.means, meansInit);
    assert.equal(initial.iterations, 0);
    assert.equal(initial.logLikelihoodHistory.length, 1);
    const fit = await fitGaussianMixture(rows, { numComponents: 3, meansInit, tol: 1e-8, maxIter: 300 });
    assert.deepEqual(matchComponents(fit.means, [FULL_2D.means[2], FULL_2D.means[0], FULL_2D.means[1]]), [0, 1, 2]);
    assert.ok(Math.abs(fit.weights[1] - 0.55) < 0.05 && Math.abs(fit.weights[0] - 0.15) < 0.05, `weights ${fit.weights}`);
  });

  test('determinism by key: same key, same fit; the key drives the k-means++ seeding', async () => {
    const rows = await draw(FULL_2D, 41, 2000);
    const options = { numComponents: 6, key: key(9), maxIter: 0 };
    const a = await fitGaussianMixture(rows, options);
    const b = await fitGaussianMixture(rows, options);
    assert.deepEqual(a, b);
    const c = await fitGaussianMixture(rows, { ...options, key: key(10) });
    assert.notDeepEqual(c.means, a.means);
  });

  test('progress after every E-step; abort throws an AbortError', async () => {
    const rows = await draw(OVERLAP, 51, 500);
    const reports: number[] = [];
    const fit = await fitGaussianMixture(rows, { numComponents: 2, key: key(2), tol: 0, maxIter: 5, onProgress: (r) => reports.push(r.iteration) });
    assert.deepEqual(reports, [0, 1, 2, 3, 4, 5]);
    assert.equal(fit.converged, false);
    const controller = new AbortController();
    const run = fitGaussianMixture(rows, {
      numComponents: 2, key: key(2), tol: 0, maxIter: 1000, signal: controller.signal,
      onProgress: (r) => { if (r.iteration === 3) controller.abort(); },
    });
    await assert.rejects(run, (err: Error) => err.name === 'AbortError' && /after 4 EM iterations/.test(err.message));
  });
});

describe('fitGaussianMixture: regCovar escalation on degenerate data', () => {
  // A blob of 200 points and 64 copies of one point: that component's empirical covariance is exactly 0.
  const blob = Array.from({ length: 200 }, (_, i) => {
    const z = normalArray(key(1000 + i), 2);
    return [10 + z[0], 10 + z[1]];
  });
  const degenerate = [...blob, ...Array.from({ length: 64 }, () => [1.5, -0.5])];
  const meansInit = [[10, 10], [1.5, -0.5]];

  for (const covarianceType of ['full', 'diag'] as const) {
    test(`${covarianceType}: regCovar 0 fails on a point mass and escalates to 1e-6`, async () => {
      const fit = await fitGaussianMixture(degenerate, { numComponents: 2, covarianceType, meansInit, regCovar: 0 });
      assert.equal(fit.regCovar, 1e-6);
      assert.deepEqual(fit.regCovarFailures.map((f) => f.regCovar), [0]);
      assert.match(fit.regCovarFailures[0].reason, /component 1/);
      const cov = fittedCovariances(fit)[1];
      assert.ok(Math.abs(cov.data[0] - 1e-6) < 1e-12 && Math.abs(cov.data[3] - 1e-6) < 1e-12, `point-mass covariance ${cov.data}`);
    });
  }

  test('full: collinear points at scale 1e5 need a larger regCovar; each step is x10 and the failures are reported', async () => {
    // Points (t, 2t + 1) * 1e5: the covariance is rank one; float64 roundoff of its Cholesky pivot is ~1e-5.
    const line = Array.from({ length: 300 }, (_, i) => {
      const t = normalArray(key(2000 + i), 1)[0];
      return [1e5 * t, 1e5 * (2 * t + 1)];
    });
    const fit = await fitGaussianMixture(line, { numComponents: 1, meansInit: [[0, 1e5]], maxRegCovar: 1e3 });
    const ladder = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100, 1000];
    const m = ladder.indexOf(fit.regCovar);
    assert.ok(m >= 1, `regCovar ${fit.regCovar}: expected an escalation along 1e-6 x 10^m, m >= 1`);
    assert.deepEqual(fit.regCovarFailures.map((f) => f.regCovar), ladder.slice(0, m));
    assert.match(fit.regCovarFailures[0].reason, /not positive definite/);
  });

  test('a maxRegCovar too small to rescue the fit gives a clear error', async () => {
    await assert.rejects(
      fitGaussianMixture(degenerate, { numComponents: 2, meansInit, regCovar: 0, maxRegCovar: 0 }),
      /not positive definite at every regCovar tried \(0; option "maxRegCovar" = 0\)/,
    );
  });
});

describe('fitGaussianMixture: bad inputs', () => {
  const rows = [[0, 0], [1, 0], [0, 1], [1, 1]];
  const cases: [string, () => Promise<unknown>, RegExp][] = [
    ['ragged rows', () => fitGaussianMixture([[0, 0], [1]], { numComponents: 1, key: key(0) }), /option "data\[1\]" = \[1\], expected a row of d = 2/],
    ['flat data without dim', () => fitGaussianMixture(new Float64Array(4), { numComponents: 1, key: key(0) }), /option "dim" = undefined/],
    ['flat data not divisible by dim', () => fitGaussianMixture(new Float64Array(5), { numComponents: 1, dim: 2, key: key(0) }), /expected a length divisible by dim = 2/],
    ['rank-1 tensor', () => fitGaussianMixture(tf.zeros([4]) as unknown as tf.Tensor2D, { numComponents: 1, key: key(0) }), /option "data" = Tensor\(float32, \[4\]\)/],
    ['no points', () => fitGaussianMixture([], { numComponents: 1, key: key(0) }), /option "data" = \[\]/],
    ['non-finite data', () => fitGaussianMixture([[0, 0], [1, NaN]], { numComponents: 1, key: key(0) }), /entry \[1\]\[1\] = NaN, expected finite numbers/],
    ['K > N', () => fitGaussianMixture(rows, { numComponents: 5, key: key(0) }), /option "numComponents" = 5, expected at most the number of points N = 4/],
    ['K = 0', () => fitGaussianMixture(rows, { numComponents: 0, key: key(0) }), /option "numComponents" = 0, expected an integer >= 1/],
    ['bad covarianceType', () => fitGaussianMixture(rows, { numComponents: 1, key: key(0), covarianceType: 'spherical' as 'full' }), /option "covarianceType" = "spherical"/],
    ['negative regCovar', () => fitGaussianMixture(rows, { numComponents: 1, key: key(0), regCovar: -1 }), /option "regCovar" = -1, expected a finite number >= 0/],
    ['maxRegCovar below regCovar', () => fitGaussianMixture(rows, { numComponents: 1, key: key(0), regCovar: 1e-3, maxRegCovar: 1e-4 }), /option "maxRegCovar" = 0.0001, expected a number >= regCovar/],
    ['no key and no meansInit', () => fitGaussianMixture(rows, { numComponents: 2 }), /option "key" = undefined, expected a random Key/],
    ['meansInit of the wrong count', () => fitGaussianMixture(rows, { numComponents: 2, meansInit: [[0, 0]] }), /option "meansInit" = \[\[0,0\]\], expected an array of numComponents = 2 means/],
    ['meansInit of the wrong dimension', () => fitGaussianMixture(rows, { numComponents: 1, meansInit: [[0, 0, 0]] }), /option "meansInit\[0\]" = \[0,0,0\], expected an array of d = 2/],
    ['non-finite meansInit', () => fitGaussianMixture(rows, { numComponents: 1, meansInit: [[0, Infinity]] }), /option "meansInit\[0\]\[1\]" = Infinity/],
    ['unknown option', () => fitGaussianMixture(rows, { numComponents: 1, key: key(0), nComponents: 2 } as never), /option "nComponents" = 2, expected no such option/],
    ['negative maxIter', () => fitGaussianMixture(rows, { numComponents: 1, key: key(0), maxIter: -1 }), /option "maxIter" = -1, expected an integer >= 0/],
  ];
  for (const [name, run, message] of cases) {
    test(name, async () => {
      await assert.rejects(run(), message);
    });
  }
});
