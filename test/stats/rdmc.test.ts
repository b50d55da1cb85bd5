/**
 * RDMC (lib/samplers/diffusion/rdmc.ts) against ground truth.
 *
 * 1. Exact score, Gaussian target N(mu, S) in 2-D (correlated, off-centre): with the score of p_t exact, the whole
 *    scheme (Gaussian draw, K_init unadjusted Langevin steps on p_T, K exponential-integrator reverse steps) is a
 *    linear-Gaussian recursion, so its output law N(m_K, C_K) is computed exactly here in float64 (`schemeLaw`).
 *    The sample mean and covariance of N particles must match it within z = 4.5 standard errors:
 *      mean_j: sqrt(C_jj / N);   covariance_jk: sqrt((C_jj C_kk + C_jk^2) / N)   (Gaussian sample covariance).
 *    K is small (24) on purpose: the law differs visibly from the target, so the test checks the discretisation
 *    formula itself, not merely closeness to pi.
 * 2. Exact score, an asymmetric two-component mixture in 2-D (weights 0.7 / 0.3, different covariances), started
 *    from exact samples of p_T (`vpMarginal(mixture, e^{-2T}).sample`): with a fine grid the output must reproduce
 *    the target. Per coordinate: a one-sample KS test against the exact marginal CDF (p-value > 1e-5), the mean
 *    within z sqrt(var / N) and the variance within z sqrt((mu4 - var^2) / N) (mu4: the exact fourth central moment)
 *    plus the discretisation bias of the scheme (bounded by the Gaussian recursion of item 1 for the widest
 *    component, printed), and the fraction in the first mode within z binomial standard errors of the fraction
 *    among 20 000 exact samples (same assignment rule).
 * 3. Estimated score (MALA on the posterior, 4 chains per particle) on the Gaussian of item 1, initialised by the
 *    Langevin steps: compared with the exact-score scheme law of item 1 for the same grid. The estimated score is
 *    the exact one plus zero-mean noise of variance <= a_t^2 lambda_max(Cov[X | y]) / (v_t^2 numChains) per
 *    coordinate (numChains chains started independently, each chain average no noisier than one posterior draw);
 *    each step multiplies it by its drift coefficient c_k (h for Langevin, 2 (e^eta - 1) for a reverse step) and adds
 *    it like the step's own noise, so the output covariance is inflated by at most delta, the largest entry of the
 *    difference between the recursion with and without that extra noise (an unbiased estimate, noise uncorrelated
 *    with Y). Tolerances: mean z sqrt((C_jj + delta) / N), covariance z SE + delta.
 * False alarms: 15 checks at z = 4.5 (normal tails, 6.8e-6 each) and 2 KS at 1e-5: 1.2e-4 (test/README.md).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { key, split } from '../../lib/core/random.js';
import { normalCdf } from '../../lib/core/special.js';
import { ksOneSample } from '../../lib/metrics/ks.js';
import { modeWeights } from '../../lib/metrics/modeWeights.js';
import { rdmc } from '../../lib/samplers/diffusion/rdmc.js';
import { costPerParticle } from '../../lib/samplers/particleSampler.js';
import { gaussian, type GaussianTarget } from '../../lib/targets/gaussian.js';
import { gaussianMixture, type GaussianMixtureTarget } from '../../lib/targets/mixture.js';
import { vpMarginal } from '../../lib/targets/noisedMixture.js';
import { useBackend } from '../helpers/backends.js';

const Z = 4.5;
const MU = [1, -0.5];
const SIGMA: M2 = [0.5, 0.2, 0.2, 0.3];

type M2 = [number, number, number, number]; // row-major 2 x 2
const mul = (A: M2, B: M2): M2 => [A[0] * B[0] + A[1] * B[2], A[0] * B[1] + A[1] * B[3], A[2] * B[0] + A[3] * B[2], A[2] * B[1] + A[3] * B[3]];
const transpose = (A: M2): M2 => [A[0], A[2], A[1], A[3]];
const inverse = (A: M2): M2 => {
  const det = A[0] * A[3] - A[1] * A[2];
  return [A[3] / det, -A[1] / det, -A[2] / det, A[0] / det];
};
const apply = (A: M2, x: number[]) => [A[0] * x[0] + A[1] * x[1], A[2] * x[0] + A[3] * x[1]];
const largestEigenvalue = (A: M2) => (A[0] + A[3]) / 2 + Math.sqrt(((A[0] - A[3]) / 2) ** 2 + A[1] * A[2]);

interface SchemeConfig {
  T: number;
  K: number;
  numInit: number;
  h: number;
  initialScale: number;
}

/** OU marginal of N(mu, S): a_t, v_t, the precision P_t of p_t and the posterior covariance Cov[X | y]. */
function ouGaussian(S: M2, t: number) {
  const a = Math.exp(-t);
  const v = -Math.expm1(-2 * t);
  const P = inverse([a * a * S[0] + v, a * a * S[1], a * a * S[2], a * a * S[3] + v]);
  const Sinv = inverse(S);
  const posteriorCov = inverse([Sinv[0] + (a * a) / v, Sinv[1], Sinv[2], Sinv[3] + (a * a) / v]);
  return { a, v, P, posteriorCov };
}

/**
 * Exact law of the RDMC output with the exact score for pi = N(mu, S), and the score-noise inflation bound delta
 * for `numChains` chains (see the file comment). Each step is Y' = B Y + c + noise: m' = B m + c, C' = B C B^T + Q.
 * The same recursion with Q + c_k^2 Var(noise_k) I gives the covariance with the score noise added at every step
 * (contracted by the later steps like any other noise); delta is the largest entry of the difference.
 */
function schemeLaw(mu: number[], S: M2, cfg: SchemeConfig, numChains = 1): { mean: number[]; cov: M2; delta: number } {
  const { a: aT, v: vT } = ouGaussian(S, cfg.T);
  let mean = [0, 0];
  const s2 = aT * aT * cfg.initialScale ** 2 + vT;
  let cov: M2 = [s2, 0, 0, s2];
  let inflated: M2 = [s2, 0, 0, s2];
  const propagate = (B: M2, C: M2, noise: number): M2 => {
    const BC = mul(mul(B, C), transpose(B));
    return [BC[0] + noise, BC[1], BC[2], BC[3] + noise];
  };
  const step = (B: M2, shift: number[], noise: number, c: number, t: number) => {
    const Bm = apply(B, mean);
    mean = [Bm[0] + shift[0], Bm[1] + shift[1]];
    cov = propagate(B, cov, noise);
    const { a, v, posteriorCov } = ouGaussian(S, t);
    const scoreNoise = (a * a * largestEigenvalue(posteriorCov)) / (v * v * numChains);
    inflated = propagate(B, inflated, noise + c * c * scoreNoise);
  };
  for (let j = 0; j < cfg.numInit; j++) {
    const { a, P } = ouGaussian(S, cfg.T); // Y' = Y + h s(Y) + sqrt(2h) xi,  s(Y) = -P (Y - a mu)
    const h = cfg.h;
    step([1 - h * P[0], -h * P[1], -h * P[2], 1 - h * P[3]], apply(P, mu.map((m) => h * a * m)), 2 * h, h, cfg.T);
  }
  for (let k = 0; k < cfg.K; k++) {
    const t = cfg.T - (cfg.T * k) / cfg.K;
    const eta = cfg.T / cfg.K;
    const { a, P } = ouGaussian(S, t); // Y' = e^eta Y + 2 (e^eta - 1) s(Y) + sqrt(e^{2 eta} - 1) xi
    const e = Math.exp(eta);
    const c = 2 * Math.expm1(eta);
    step([e - c * P[0], -c * P[1], -c * P[2], e - c * P[3]], apply(P, mu.map((m) => c * a * m)), Math.expm1(2 * eta), c, t);
  }
  const delta = Math.max(...inflated.map((v, i) => Math.abs(v - cov[i])));
  return { mean, cov, delta };
}

/** Sample mean and (biased, 1/N) covariance of [N, 2] samples, in float64. */
function moments(x: tf.Tensor2D): { mean: number[]; cov: M2 } {
  const v = x.dataSync();
  const n = x.shape[0];
  const mean = [0, 0];
  for (let i = 0; i < n; i++) for (let j = 0; j < 2; j++) mean[j] += v[2 * i + j] / n;
  const cov: M2 = [0, 0, 0, 0];
  for (let i = 0; i < n; i++) {
    const d0 = v[2 * i] - mean[0];
    const d1 = v[2 * i + 1] - mean[1];
    cov[0] += (d0 * d0) / n;
    cov[1] += (d0 * d1) / n;
    cov[3] += (d1 * d1) / n;
  }
  cov[2] = cov[1];
  return { mean, cov };
}

function checkMoments(what: string, x: tf.Tensor2D, law: { mean: number[]; cov: M2 }, allowance: number): void {
  const n = x.shape[0];
  const { mean, cov } = moments(x);
  const C = law.cov;
  for (let j = 0; j < 2; j++) {
    const se = Math.sqrt((C[3 * j] + allowance) / n);
    assert.ok(Math.abs(mean[j] - law.mean[j]) < Z * se, `${what}: mean[${j}] ${mean[j]} vs ${law.mean[j]} (SE ${se})`);
  }
  for (const [j, k] of [[0, 0], [0, 1], [1, 1]]) {
    const cjk = C[2 * j + k];
    const se = Math.sqrt((C[3 * j] * C[3 * k] + cjk * cjk) / n);
    const got = cov[2 * j + k];
    assert.ok(Math.abs(got - cjk) < Z * se + allowance, `${what}: cov[${j}][${k}] ${got} vs ${cjk} (SE ${se}, allowance ${allowance})`);
  }
}

let gauss: GaussianTarget;
let mixture: GaussianMixtureTarget;
before(async () => {
  await useBackend('wasm');
  gauss = gaussian(MU, [[SIGMA[0], SIGMA[1]], [SIGMA[2], SIGMA[3]]]);
  mixture = gaussianMixture({ weights: [0.7, 0.3], means: [[-1, 0.5], [1.5, -1]], covariances: [0.3, [0.2, 0.5]] });
});
after(() => {
  gauss.dispose();
  mixture.dispose();
});

/** The exact score of the OU marginal of a Gaussian target: -P_t (y - a_t mu). */
function gaussianScore(y: tf.Tensor2D, t: number): tf.Tensor2D {
  const { a, P } = ouGaussian(SIGMA, t);
  return tf.tidy(() => tf.neg(tf.matMul(tf.sub(y, tf.mul(a, tf.tensor1d(MU))), tf.tensor2d(P, [2, 2]))) as tf.Tensor2D);
}

test('exact score, 2-D Gaussian: the output law is the exact law of the discretised scheme (Langevin init + EI)', async () => {
  const n = 6000;
  const cfg: SchemeConfig = { T: 1, K: 24, numInit: 16, h: -Math.expm1(-2) / 2, initialScale: 1 };
  const law = schemeLaw(MU, SIGMA, cfg);
  const result = await rdmc(key(101), gauss, { numParticles: n, terminalTime: cfg.T, numSteps: cfg.K, score: gaussianScore });
  console.log(`# scheme law K = ${cfg.K}: mean ${law.mean.map((v) => v.toFixed(4))}, cov ${law.cov.map((v) => v.toFixed(4))} (target cov ${SIGMA})`);
  checkMoments('exact-score scheme', result.samples, law, 0);
  result.samples.dispose();
});

test('exact score, asymmetric 2-D mixture from exact p_T samples: KS per coordinate, moments and mode weight', async () => {
  const n = 4000;
  const T = 1;
  const K = 800;
  const [initKey, runKey, referenceKey] = split(key(202), 3);
  const terminal = vpMarginal(mixture, Math.exp(-2 * T));
  const initialParticles = terminal.sample(initKey, n);
  terminal.dispose();
  const result = await rdmc(runKey, mixture, {
    numParticles: n,
    terminalTime: T,
    numSteps: K,
    initialParticles,
    score: (y, t) => {
      const marginal = vpMarginal(mixture, Math.exp(-2 * t));
      const s = marginal.score(y);
      marginal.dispose();
      return s;
    },
  });
  initialParticles.dispose();
  // Discretisation allowance: the variance bias of the same grid for the widest component (variance 0.5), from the
  // Gaussian recursion (the initial law is exact here: numInit = 0 and the initial covariance is set to p_T's).
  const component: M2 = [0.5, 0, 0, 0.5];
  const gaussianBias = (() => {
    const cfg: SchemeConfig = { T, K, numInit: 0, h: 0, initialScale: Math.sqrt(0.5) };
    return Math.abs(schemeLaw([0, 0], component, cfg).cov[0] - 0.5);
  })();
  console.log(`# discretisation bias of the variance (Gaussian, variance 0.5, K = ${K}): ${gaussianBias.toExponential(2)}`);
  const { weights, means, variances } = mixture.components;
  const w = weights.map((wk) => wk / weights.reduce((s, v) => s + v, 0));
  const samples = result.samples.dataSync();
  for (let j = 0; j < 2; j++) {
    const column = Float64Array.from({ length: n }, (_, i) => samples[2 * i + j]);
    const cdf = (x: number) => w.reduce((s, wk, k) => s + wk * normalCdf((x - means[k][j]) / Math.sqrt(variances![k][j])), 0);
    const ks = ksOneSample(column, cdf);
    assert.ok(ks.pValue > 1e-5, `coordinate ${j}: KS statistic ${ks.statistic}, p-value ${ks.pValue}`);
    const mean = w.reduce((s, wk, k) => s + wk * means[k][j], 0);
    const variance = w.reduce((s, wk, k) => s + wk * (variances![k][j] + (means[k][j] - mean) ** 2), 0);
    const mu4 = w.reduce((s, wk, k) => {
      const dk = means[k][j] - mean;
      const vk = variances![k][j];
      return s + wk * (dk ** 4 + 6 * dk * dk * vk + 3 * vk * vk);
    }, 0);
    const sampleMean = column.reduce((s, v) => s + v, 0) / n;
    const sampleVariance = column.reduce((s, v) => s + (v - sampleMean) ** 2, 0) / n;
    assert.ok(Math.abs(sampleMean - mean) < Z * Math.sqrt(variance / n), `coordinate ${j}: mean ${sampleMean} vs ${mean}`);
    const varianceSe = Math.sqrt((mu4 - variance * variance) / n);
    assert.ok(
      Math.abs(sampleVariance - variance) < Z * varianceSe + gaussianBias,
      `coordinate ${j}: variance ${sampleVariance} vs ${variance} (SE ${varianceSe})`,
    );
  }
  const exact = mixture.sample(referenceKey, 20000);
  const pExact = modeWeights(await mixture.modes.assign(exact), 2)[0];
  const pRdmc = modeWeights(await mixture.modes.assign(result.samples), 2)[0];
  const se = Math.sqrt(pExact * (1 - pExact) * (1 / n + 1 / 20000));
  assert.ok(Math.abs(pRdmc - pExact) < Z * se, `first-mode fraction ${pRdmc} vs ${pExact} among exact samples (SE ${se})`);
  tf.dispose([exact, result.samples]);
});

test('estimated score (MALA on the posterior), 2-D Gaussian: close to the exact-score scheme within 4.5 SE + the score-noise bound', async () => {
  const n = 1000;
  const numChains = 4;
  const cfg: SchemeConfig = { T: 1, K: 64, numInit: 16, h: -Math.expm1(-2) / 2, initialScale: 1 };
  const law = schemeLaw(MU, SIGMA, cfg, numChains);
  const started = Date.now();
  const result = await rdmc(key(303), gauss, {
    numParticles: n,
    terminalTime: cfg.T,
    numSteps: cfg.K,
    estimator: { method: 'mcmc', numChains, numMcmcSteps: 16, keepFraction: 0.5, numProposals: 64, initialStepSize: 0.1 },
  });
  const perParticle = costPerParticle(result.budget.cost, n);
  console.log(
    `# estimated score: ${Date.now() - started} ms, ${perParticle.gradientEvaluations} gradient + ` +
      `${perParticle.densityEvaluations} density evaluations per particle, score-noise bound delta = ${law.delta.toFixed(4)}, ` +
      `mean acceptance ${(result.acceptanceRate.reduce((s, v) => s + v, 0) / result.acceptanceRate.length).toFixed(3)}`,
  );
  assert.equal(perParticle.gradientEvaluations, (cfg.numInit + cfg.K) * numChains * (16 + 1) + numChains * 64);
  checkMoments('estimated-score RDMC', result.samples, law, law.delta);
  result.samples.dispose();
});
