/**
 * Gaussian mixture target  p(x) = sum_k w_k N(x; mu_k, Sigma_k)  with exact ground truth.
 *
 * Density convention: the weights w_k are used as given (any positive finite numbers) and each component is a
 * normalised Gaussian, so exp(logDensity) integrates to sum_k w_k and `logZ = log sum_k w_k` (0 for normalised
 * weights).
 *
 * Device algebra (DESIGN.md section 4: no [n, K, d] broadcasts for distances):
 * - 'diagonal' kind (every component isotropic or diagonal): all K component log-densities come from two
 *   [n, d] x [d, K] matmuls,
 *     log N_k(x) = -1/2 sum_j x_j^2 / v_kj + sum_j x_j mu_kj / v_kj + c_k = (x^2) @ Q + x @ M + c,
 *   and the gradient sum_k r_k (mu_k - x) / v_k = (r @ (mu / v)) - x * (r @ (1 / v)) from two [n, K] x [K, d]
 *   matmuls. Positions are shifted by the (unweighted) centre of the means first, which keeps the float32 terms
 *   small. (twoModesSlips(32), n = 4096, wasm: logDensityAndGrad about 3 ms.) Precision cost of the expansion: the
 *   terms x^2 / v are large when variances are small, so float32 log-densities lose about 3 digits (measured at
 *   exact samples against float64: 2e-5 for eightGaussians, 4e-4 for twoModesSlips(128), 4e-3 for
 *   twoModesLrds(64, 'hard')), harmless for MCMC acceptance ratios.
 * - 'full' kind (some component has a full covariance): z_k = (x - mu_k) L_k^{-T} for all k at once as
 *   x @ [L_1^{-T} | ... | L_K^{-T}] (one [d, K d] matmul), log N_k = logNormalizer_k - |z_k|^2 / 2, and the
 *   gradient -sum_k r_k z_k L_k^{-1} as one [n, K d] x [K d, d] matmul.
 * Responsibilities r_k(x) = softmax_k(log w_k + log N_k(x)) (log-sum-exp).
 *
 * Exact samples: a component from the categorical over the weights, then mu_k + eps L_k^T.
 *
 * Modes: component k is mode k; `modes.assign` is the argmax of the component log-responsibility
 * (`assignBy: 'responsibility'`, the Bayes classifier) or of the unweighted component log-likelihood
 * (`assignBy: 'likelihood'`, the LRDS `compute_mode_count` / multimodal-evaluation partition S_k, spec
 * nfmcmc-nfebm-multimodal-eval.md section 3.2). `modes.weights` are the exact masses pi(S_k) of that partition when
 * they have a closed form (K = 1; K = 2 with equal covariances: the boundary is a hyperplane), otherwise the
 * normalised component weights, which equal pi(S_k) up to the overlap mass (`modeWeightsExact` says which).
 */
import * as tf from '@tensorflow/tfjs';
import { choleskySolve, matrix, type Matrix } from '../core/linalg.js';
import { exp, logSumExp, matMul, sumSquares } from '../core/ops.js';
import { categorical, normal, split, type Key } from '../core/random.js';
import { readValues } from '../core/readback.js';
import { normalCdf } from '../core/special.js';
import { checkNumberArray, checkSampleCount, invalidOption } from '../core/validate.js';
import { parseCovariance, type CovarianceSpec, type ParsedCovariance } from './gaussian.js';
import { checkPositions, type Modes, type Target } from './target.js';

const LOG_2PI = Math.log(2 * Math.PI);

export type ModeAssignment = 'responsibility' | 'likelihood';

export interface GaussianMixtureOptions {
  /** K positive finite weights (normalised or not). */
  weights: readonly number[];
  /** K means, each of length d >= 1. */
  means: readonly (readonly number[])[];
  /** K covariances: a variance (isotropic), d variances (diagonal) or a d x d SPD matrix (full). */
  covariances: readonly CovarianceSpec[];
  /** Mode assignment rule (default 'responsibility'), see the file header. */
  assignBy?: ModeAssignment;
  /** Default `gmm-<K>x<d>d`. */
  name?: string;
}

/** The float64 description of a mixture (what `noisedMixture` and the paper presets build on). */
export interface MixtureComponents {
  /** The weights as given (unnormalised). */
  weights: number[];
  means: number[][];
  /** 'diagonal' when every component is isotropic or diagonal (elementwise device algebra), else 'full'. */
  kind: 'diagonal' | 'full';
  /** Per-component variances [K][d] (diagonal kind), null for the full kind. */
  variances: number[][] | null;
  /** Per-component covariance matrices (always filled). */
  covariances: Matrix[];
  /** Per-component lower Cholesky factors and their inverses (always filled). */
  choleskyFactors: Matrix[];
  choleskyInverses: Matrix[];
}

export interface GaussianMixtureTarget extends Target {
  readonly components: MixtureComponents;
  readonly numComponents: number;
  /** The normalised weights w_k / sum w. */
  readonly componentWeights: number[];
  /** log sum_k w_k (see the density convention in the file header). */
  logZ: number;
  mean: number[];
  variance: number[];
  modes: Modes;
  /** Whether `modes.weights` are the exact partition masses (else the component weights). */
  readonly modeWeightsExact: boolean;
  readonly assignBy: ModeAssignment;
  gradLogDensity(x: tf.Tensor2D): tf.Tensor2D;
  logDensityAndGrad(x: tf.Tensor2D): { logDensity: tf.Tensor1D; grad: tf.Tensor2D };
  sample(key: Key, n: number): tf.Tensor2D;
  /** Exact samples with the component each came from (int32 [n]). */
  sampleWithComponents(key: Key, n: number): { x: tf.Tensor2D; components: tf.Tensor1D };
  /** Normalised component log-densities log N(x; mu_k, Sigma_k), [n, K] (unweighted). */
  componentLogDensities(x: tf.Tensor2D): tf.Tensor2D;
  /** log r_k(x) = log w_k + log N_k(x) - log p(x), [n, K]. */
  logResponsibilities(x: tf.Tensor2D): tf.Tensor2D;
  /** r_k(x), [n, K]; rows sum to 1. */
  responsibilities(x: tf.Tensor2D): tf.Tensor2D;
  /** Free the device constants (the target is unusable afterwards). */
  dispose(): void;
}

// ---------------------------------------------------------------------------------------------------------------
// Validation and float64 preparation

function parseComponents(fn: string, options: GaussianMixtureOptions): MixtureComponents {
  if (options == null || typeof options !== 'object') {
    invalidOption(fn, 'options', options, 'an object { weights, means, covariances }');
  }
  const weights = checkNumberArray(fn, 'weights', options.weights, { positive: true });
  const K = weights.length;
  const meansIn = options.means as unknown;
  if (!Array.isArray(meansIn) || meansIn.length !== K) {
    invalidOption(fn, 'means', meansIn, `an array of K = ${K} means (one per weight)`);
  }
  const first = checkNumberArray(fn, 'means[0]', meansIn[0]);
  const d = first.length;
  const means = [first];
  for (let k = 1; k < K; k++) means.push(checkNumberArray(fn, `means[${k}]`, meansIn[k], { length: d }));
  const covIn = options.covariances as unknown;
  if (!Array.isArray(covIn) || covIn.length !== K) {
    invalidOption(fn, 'covariances', covIn, `an array of K = ${K} covariances (one per weight)`);
  }
  const parsed: ParsedCovariance[] = covIn.map((c, k) => parseCovariance(fn, `covariances[${k}]`, c, d));
  const kind = parsed.every((p) => p.kind !== 'full') ? 'diagonal' : 'full';
  const choleskyFactors: Matrix[] = [];
  const choleskyInverses: Matrix[] = [];
  for (const p of parsed) {
    if (p.kind === 'full') {
      choleskyFactors.push(p.factor.cholesky);
      choleskyInverses.push(p.factor.choleskyInverse);
    } else {
      const L = matrix(d, d);
      const Linv = matrix(d, d);
      for (let i = 0; i < d; i++) {
        L.data[i * d + i] = Math.sqrt(p.variances[i]);
        Linv.data[i * d + i] = 1 / Math.sqrt(p.variances[i]);
      }
      choleskyFactors.push(L);
      choleskyInverses.push(Linv);
    }
  }
  return {
    weights,
    means,
    kind,
    variances: kind === 'diagonal' ? parsed.map((p) => (p.kind === 'full' ? [] : p.variances)) : null,
    covariances: parsed.map((p) => p.matrix),
    choleskyFactors,
    choleskyInverses,
  };
}

/**
 * Exact masses of the assignment partition when they have a closed form, else null. For K = 2 with equal
 * covariance Sigma, t(x) = (x - (mu_1 + mu_2)/2)^T Sigma^{-1} (mu_2 - mu_1) is N(-/+ Delta^2/2, Delta^2) under
 * component 1 / 2 (Delta = Mahalanobis distance of the means); x goes to mode 1 iff t < c with c = 0
 * ('likelihood') or c = log(w_1 / w_2) ('responsibility').
 */
function exactModeWeights(c: MixtureComponents, normalised: number[], assignBy: ModeAssignment): number[] | null {
  const K = normalised.length;
  if (K === 1) return [1];
  if (K !== 2) return null;
  const [S1, S2] = c.covariances;
  for (let i = 0; i < S1.data.length; i++) if (S1.data[i] !== S2.data[i]) return null;
  const d = c.means[0].length;
  const delta = matrix(d, 1, c.means[1].map((m, i) => m - c.means[0][i]));
  const solved = choleskySolve(c.choleskyFactors[0], delta);
  let delta2 = 0;
  for (let i = 0; i < d; i++) delta2 += delta.data[i] * solved.data[i];
  const Delta = Math.sqrt(delta2);
  if (!(Delta > 0)) return null; // identical components: the partition is degenerate
  const threshold = assignBy === 'likelihood' ? 0 : Math.log(c.weights[0] / c.weights[1]);
  const w1 =
    normalised[0] * normalCdf((threshold + delta2 / 2) / Delta) +
    normalised[1] * normalCdf((threshold - delta2 / 2) / Delta);
  return [w1, 1 - w1];
}

// ---------------------------------------------------------------------------------------------------------------
// Device constants

interface PreparedPositions {
  /** log N_k(x) for all k, [n, K]. */
  componentLogDensities(): tf.Tensor2D;
  /** grad log p(x) given the responsibilities r [n, K] (reuses the intermediates of componentLogDensities). */
  gradient(r: tf.Tensor2D): tf.Tensor2D;
}

interface DeviceAlgebra {
  /** Per-position intermediates shared by the log-density and the gradient (call inside a tidy). */
  prepare(x: tf.Tensor2D): PreparedPositions;
  /** mu_k + eps L_k^T for one-hot component rows [n, K] and eps [n, d]. */
  transform(oneHot: tf.Tensor2D, eps: tf.Tensor2D): tf.Tensor2D;
  tensors: tf.Tensor[];
}

function f32(values: ArrayLike<number>, shape: number[]): tf.Tensor {
  return tf.tensor(Float32Array.from(values), shape, 'float32');
}

function diagonalAlgebra(c: MixtureComponents): DeviceAlgebra {
  const K = c.weights.length;
  const d = c.means[0].length;
  const v = c.variances as number[][];
  const centre = new Array<number>(d).fill(0);
  for (const m of c.means) for (let j = 0; j < d; j++) centre[j] += m[j] / K;
  // [d, K] matrices: -1/(2 v_kj) and (mu_kj - centre_j) / v_kj, so log N_k(x) = x^2 @ Q + x @ M + bias_k.
  // (Two matmuls: concatenating [x^2 | x] for one matmul costs more than the second matmul on wasm.)
  const Q = new Float64Array(d * K);
  const M = new Float64Array(d * K);
  const bias = new Float64Array(K);
  // [K, d] matrices for the gradient: (mu_k - centre) / v_k and 1 / v_k.
  const meanPrecision = new Float64Array(K * d);
  const precision = new Float64Array(K * d);
  // [K, d] means and standard deviations, for sampling.
  const means = new Float64Array(K * d);
  const stds = new Float64Array(K * d);
  for (let k = 0; k < K; k++) {
    let b = -0.5 * d * LOG_2PI;
    for (let j = 0; j < d; j++) {
      const m = c.means[k][j] - centre[j];
      const prec = 1 / v[k][j];
      Q[j * K + k] = -0.5 * prec;
      M[j * K + k] = m * prec;
      b += -0.5 * Math.log(v[k][j]) - 0.5 * m * m * prec;
      meanPrecision[k * d + j] = m * prec;
      precision[k * d + j] = prec;
      means[k * d + j] = c.means[k][j];
      stds[k * d + j] = Math.sqrt(v[k][j]);
    }
    bias[k] = b;
  }
  const centreT = f32(centre, [d]);
  const QT = f32(Q, [d, K]);
  const MT = f32(M, [d, K]);
  const biasT = f32(bias, [K]);
  const meanPrecisionT = f32(meanPrecision, [K, d]);
  const precisionT = f32(precision, [K, d]);
  const meansT = f32(means, [K, d]);
  const stdsT = f32(stds, [K, d]);
  return {
    prepare: (x) => {
      const xc = tf.sub(x, centreT) as tf.Tensor2D;
      return {
        componentLogDensities: () => tf.add(tf.add(matMul(tf.square(xc), QT), matMul(xc, MT)), biasT) as tf.Tensor2D,
        // sum_k r_k (mu_k - x) / v_k = r @ ((mu - centre) / v) - (x - centre) * (r @ (1 / v))
        gradient: (r) => tf.sub(matMul(r, meanPrecisionT), tf.mul(xc, matMul(r, precisionT))) as tf.Tensor2D,
      };
    },
    transform: (oneHot, eps) => tf.add(matMul(oneHot, meansT), tf.mul(matMul(oneHot, stdsT), eps)) as tf.Tensor2D,
    tensors: [centreT, QT, MT, biasT, meanPrecisionT, precisionT, meansT, stdsT],
  };
}

function fullAlgebra(c: MixtureComponents): DeviceAlgebra {
  const K = c.weights.length;
  const d = c.means[0].length;
  const centre = new Array<number>(d).fill(0);
  for (const m of c.means) for (let j = 0; j < d; j++) centre[j] += m[j] / K;
  // Horizontal stack [L_1^{-T} | ... | L_K^{-T}] [d, K d]; offsets (mu_k - centre) L_k^{-T} [K d].
  const whitenStack = new Float64Array(d * K * d);
  const offsets = new Float64Array(K * d);
  // Vertical stack of L_k^{-1} [K d, d] (gradient) and horizontal stack of L_k^T [d, K d] (sampling).
  const inverseStack = new Float64Array(K * d * d);
  const choleskyTStack = new Float64Array(d * K * d);
  const logNormalizers = new Float64Array(K);
  const means = new Float64Array(K * d);
  for (let k = 0; k < K; k++) {
    const Linv = c.choleskyInverses[k].data;
    const L = c.choleskyFactors[k].data;
    let halfLogDet = 0;
    for (let i = 0; i < d; i++) {
      halfLogDet += Math.log(L[i * d + i]);
      means[k * d + i] = c.means[k][i];
      for (let j = 0; j < d; j++) {
        // (L^{-T})_{ij} = (L^{-1})_{ji}; (L^T)_{ij} = L_{ji}.
        whitenStack[i * K * d + k * d + j] = Linv[j * d + i];
        choleskyTStack[i * K * d + k * d + j] = L[j * d + i];
        inverseStack[(k * d + i) * d + j] = Linv[i * d + j];
      }
    }
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let i = 0; i < d; i++) s += (c.means[k][i] - centre[i]) * Linv[j * d + i];
      offsets[k * d + j] = s;
    }
    logNormalizers[k] = -0.5 * d * LOG_2PI - halfLogDet;
  }
  const centreT = f32(centre, [d]);
  const whitenT = f32(whitenStack, [d, K * d]);
  const offsetsT = f32(offsets, [K * d]);
  const inverseT = f32(inverseStack, [K * d, d]);
  const choleskyTT = f32(choleskyTStack, [d, K * d]);
  const logNormT = f32(logNormalizers, [K]);
  const meansT = f32(means, [K, d]);
  return {
    prepare: (x) => {
      const n = x.shape[0];
      // z_k = (x - mu_k) L_k^{-T} for all k: [n, K, d].
      const z = tf.reshape(tf.sub(matMul(tf.sub(x, centreT), whitenT), offsetsT), [n, K, d]);
      return {
        componentLogDensities: () => tf.sub(logNormT, tf.mul(0.5, sumSquares(z, 2))) as tf.Tensor2D,
        // -sum_k r_k z_k L_k^{-1}: one [n, K d] x [K d, d] matmul.
        gradient: (r) => tf.neg(matMul(tf.reshape(tf.mul(z, tf.expandDims(r, 2)), [n, K * d]), inverseT)) as tf.Tensor2D,
      };
    },
    transform: (oneHot, eps) => {
      const n = eps.shape[0];
      const perComponent = tf.reshape(matMul(eps, choleskyTT), [n, K, d]);
      const picked = tf.sum(tf.mul(perComponent, tf.expandDims(oneHot, 2)), 1);
      return tf.add(matMul(oneHot, meansT), picked) as tf.Tensor2D;
    },
    tensors: [centreT, whitenT, offsetsT, inverseT, choleskyTT, logNormT, meansT],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The mixture target

/** The Gaussian mixture target; see the file header for conventions. */
export function gaussianMixture(options: GaussianMixtureOptions): GaussianMixtureTarget {
  const fn = 'gaussianMixture';
  const c = parseComponents(fn, options);
  const assignBy = options.assignBy ?? 'responsibility';
  if (assignBy !== 'responsibility' && assignBy !== 'likelihood') {
    invalidOption(fn, 'assignBy', assignBy, `'responsibility' or 'likelihood'`);
  }
  const K = c.weights.length;
  const d = c.means[0].length;
  const name = options.name ?? `gmm-${K}x${d}d`;
  if (typeof name !== 'string') invalidOption(fn, 'name', name, 'a string');

  const weightSum = c.weights.reduce((a, b) => a + b, 0);
  const normalised = c.weights.map((w) => w / weightSum);
  const logWeights = c.weights.map(Math.log);
  const logNormalisedWeights = normalised.map(Math.log);
  const mean = new Array<number>(d).fill(0);
  const second = new Array<number>(d).fill(0);
  for (let k = 0; k < K; k++) {
    for (let j = 0; j < d; j++) {
      mean[j] += normalised[k] * c.means[k][j];
      second[j] += normalised[k] * (c.covariances[k].data[j * d + j] + c.means[k][j] ** 2);
    }
  }
  const variance = second.map((s, j) => s - mean[j] ** 2);
  const exact = exactModeWeights(c, normalised, assignBy);

  const algebra = c.kind === 'diagonal' ? diagonalAlgebra(c) : fullAlgebra(c);
  const logWeightsT = f32(logWeights, [K]);
  const logNormalisedT = f32(logNormalisedWeights, [1, K]);

  const componentLogDensities = (x: tf.Tensor2D): tf.Tensor2D => algebra.prepare(x).componentLogDensities();
  const logits = (x: tf.Tensor2D): tf.Tensor2D => tf.add(componentLogDensities(x), logWeightsT) as tf.Tensor2D;
  const densityAndGradient = (x: tf.Tensor2D) => {
    const prepared = algebra.prepare(x);
    const l = tf.add(prepared.componentLogDensities(), logWeightsT);
    const lse = logSumExp(l, 1) as tf.Tensor1D;
    const r = exp(tf.sub(l, tf.expandDims(lse, 1))) as tf.Tensor2D;
    return { lse, r, grad: () => prepared.gradient(r) };
  };

  const target: GaussianMixtureTarget = {
    name,
    dim: d,
    components: c,
    numComponents: K,
    componentWeights: normalised,
    logZ: Math.log(weightSum),
    mean,
    variance,
    assignBy,
    modeWeightsExact: exact !== null,
    modes: {
      weights: exact ?? normalised.slice(),
      async assign(x: tf.Tensor2D): Promise<Int32Array> {
        checkPositions(`${name}.modes.assign`, x, d, 'x');
        const idx = tf.tidy(() => tf.argMax(assignBy === 'likelihood' ? componentLogDensities(x) : logits(x), 1));
        return Int32Array.from(await readValues(idx).finally(() => idx.dispose()));
      },
    },
    logDensity(x: tf.Tensor2D): tf.Tensor1D {
      checkPositions(`${name}.logDensity`, x, d, 'x');
      return tf.tidy(() => logSumExp(logits(x), 1) as tf.Tensor1D);
    },
    gradLogDensity(x: tf.Tensor2D): tf.Tensor2D {
      checkPositions(`${name}.gradLogDensity`, x, d, 'x');
      return tf.tidy(() => densityAndGradient(x).grad());
    },
    logDensityAndGrad(x: tf.Tensor2D) {
      checkPositions(`${name}.logDensityAndGrad`, x, d, 'x');
      return tf.tidy(() => {
        const { lse, grad } = densityAndGradient(x);
        return { logDensity: lse, grad: grad() };
      });
    },
    componentLogDensities(x: tf.Tensor2D): tf.Tensor2D {
      checkPositions(`${name}.componentLogDensities`, x, d, 'x');
      return tf.tidy(() => componentLogDensities(x));
    },
    logResponsibilities(x: tf.Tensor2D): tf.Tensor2D {
      checkPositions(`${name}.logResponsibilities`, x, d, 'x');
      return tf.tidy(() => {
        const l = logits(x);
        return tf.sub(l, logSumExp(l, 1, true)) as tf.Tensor2D;
      });
    },
    responsibilities(x: tf.Tensor2D): tf.Tensor2D {
      checkPositions(`${name}.responsibilities`, x, d, 'x');
      return tf.tidy(() => densityAndGradient(x).r);
    },
    sampleWithComponents(key: Key, n: number) {
      checkSampleCount(`${name}.sampleWithComponents`, n);
      const [componentKey, noiseKey] = split(key);
      return tf.tidy(() => {
        const components = categorical(componentKey, tf.broadcastTo(logNormalisedT, [n, K])) as tf.Tensor1D;
        // tf.oneHot rejects depth 1, so a one-component mixture gets its (all-ones) indicator directly
        const oneHot = (K === 1 ? tf.ones([n, 1]) : tf.oneHot(components, K).toFloat()) as tf.Tensor2D;
        const x = algebra.transform(oneHot, normal(noiseKey, [n, d]) as tf.Tensor2D);
        return { x, components };
      });
    },
    sample(key: Key, n: number): tf.Tensor2D {
      checkSampleCount(`${name}.sample`, n);
      const { x, components } = target.sampleWithComponents(key, n);
      components.dispose();
      return x;
    },
    dispose(): void {
      for (const t of algebra.tensors) t.dispose();
      logWeightsT.dispose();
      logNormalisedT.dispose();
    },
  };
  return target;
}
