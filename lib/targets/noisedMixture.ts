/**
 * Exact law of a noised Gaussian mixture, Y = a X + s Z with X ~ sum_j w_j N(m_j, Sigma_j) and Z ~ N(0, I)
 * independent: the perfect score / perfect denoiser toolkit of the diffusion papers
 * (spec slips-lrds-amcbg.md section 4.1; SLIPS a = alpha(t), s^2 = sigma^2 t; VP a = sqrt(alphaBar)).
 *
 *   p(y) = sum_j w_j N(y; a m_j, C_j),  C_j = a^2 Sigma_j + s^2 I         (a Gaussian mixture: same weights, so the
 *                                                                           same logZ = log sum w as the base)
 *   score  = -sum_j r_j C_j^{-1} (y - a m_j)                               (r_j(y): responsibilities under p)
 *   Hessian = -sum_j r_j C_j^{-1} + sum_j r_j (g_j - gbar)(g_j - gbar)^T,   g_j = -C_j^{-1}(y - a m_j), gbar = score
 *   X | Y = y  ~  sum_j r_j N(mu_j, P_j),
 *     P_j = (Sigma_j^{-1} + (a^2/s^2) I)^{-1} = Sigma_j - a^2 Sigma_j C_j^{-1} Sigma_j,
 *     mu_j = P_j (Sigma_j^{-1} m_j + (a/s^2) y) = m_j + a Sigma_j C_j^{-1} (y - a m_j)     (Kalman form: also valid
 *                                                                                          at s = 0 or a = 0)
 *   E[X | y]   = sum_j r_j mu_j                   (= (y + s^2 score) / a, Tweedie)
 *   Cov[X | y] = sum_j r_j P_j + sum_j r_j (mu_j - E)(mu_j - E)^T     (= (s^2/a^2)(I + s^2 Hessian))
 *
 * Both matrices are "diagonal + rank <= K" for isotropic / diagonal components: `posteriorCovarianceLowRank` and
 * `hessianLowRank` return them as { diag [n, d], factors [n, K, d] } meaning diag(diag) + sum_k f_k f_k^T, for
 * Woodbury algebra; `posteriorCovariance` and `hessian` return dense [n, d, d] tensors (any kind; small d).
 * For isotropic / diagonal components everything is elementwise (no d x d matrices on the device).
 */
import * as tf from '@tensorflow/tfjs';
import { inverseSpd, matmul, matrix, type Matrix } from '../core/linalg.js';
import { matMul } from '../core/ops.js';
import { normal, split, type Key } from '../core/random.js';
import { checkNumber, checkSampleCount, invalidOption } from '../core/validate.js';
import { gaussianMixture, type GaussianMixtureTarget } from './mixture.js';
import { checkPositions } from './target.js';

/** A batch of matrices diag(diag_i) + sum_k f_ik f_ik^T: diag [n, d] (entries may be negative), factors [n, K, d]. */
export interface DiagPlusLowRank {
  diag: tf.Tensor2D;
  factors: tf.Tensor3D;
}

export interface NoisedMixtureTarget extends GaussianMixtureTarget {
  /** The clean mixture X. */
  readonly base: GaussianMixtureTarget;
  readonly a: number;
  readonly s: number;
  /** grad log p(y), [n, d] (same as gradLogDensity). */
  score(y: tf.Tensor2D): tf.Tensor2D;
  /** E[X | Y = y], [n, d]. */
  denoiser(y: tf.Tensor2D): tf.Tensor2D;
  /** Cov[X | Y = y], [n, d, d]. */
  posteriorCovariance(y: tf.Tensor2D): tf.Tensor3D;
  /** Cov[X | Y = y] as diag + rank K (isotropic / diagonal components only). */
  posteriorCovarianceLowRank(y: tf.Tensor2D): DiagPlusLowRank;
  /** Hessian of log p at y, [n, d, d]. */
  hessian(y: tf.Tensor2D): tf.Tensor3D;
  /** Hessian of log p at y as diag + rank K (isotropic / diagonal components only; diag is negative). */
  hessianLowRank(y: tf.Tensor2D): DiagPlusLowRank;
  /** Exact joint samples: x ~ mixture, y = a x + s z. */
  sampleJoint(key: Key, n: number): { x: tf.Tensor2D; y: tf.Tensor2D };
}

/** The dense [n, d, d] form of a diag + low-rank batch. */
export function diagPlusLowRankToDense(m: DiagPlusLowRank): tf.Tensor3D {
  return tf.tidy(() => {
    const d = m.diag.shape[1];
    const diagonal = tf.mul(tf.expandDims(m.diag, 1), tf.eye(d)); // [n, 1, d] * [d, d]: entry (i, j) = diag_j delta_ij
    return tf.add(diagonal, outerSum(m.factors)) as tf.Tensor3D;
  });
}

/** sum_k f_k f_k^T for factors [n, K, d] -> [n, d, d]. */
function outerSum(factors: tf.Tensor3D): tf.Tensor3D {
  // Batched F^T F with an explicit transpose (no transpose flag, DESIGN.md trap 1); not on a differentiated path.
  return tf.matMul(tf.transpose(factors, [0, 2, 1]), factors) as tf.Tensor3D;
}

function f32(values: ArrayLike<number>, shape: number[]): tf.Tensor {
  return tf.tensor(Float32Array.from(values), shape, 'float32');
}

interface PosteriorAlgebra {
  /** Posterior component means mu_j(y), [n, K, d]. */
  componentMeans(y: tf.Tensor2D): tf.Tensor3D;
  /** E[X | y] from the responsibilities. */
  denoiser(y: tf.Tensor2D, r: tf.Tensor2D): tf.Tensor2D;
  /** Component scores g_j(y), [n, K, d]. */
  componentScores(y: tf.Tensor2D): tf.Tensor3D;
  /** sum_j r_j P_j and sum_j r_j C_j^{-1}: [n, d] (diagonal kind) or [n, d, d] (full kind). */
  posteriorCovarianceBase(r: tf.Tensor2D): tf.Tensor;
  precisionBase(r: tf.Tensor2D): tf.Tensor;
  tensors: tf.Tensor[];
}

function diagonalPosterior(base: GaussianMixtureTarget, a: number, s: number): PosteriorAlgebra {
  const { means, variances } = base.components;
  const K = means.length;
  const d = means[0].length;
  const v = variances as number[][];
  const gain = new Float64Array(K * d); // a v / (a^2 v + s^2)
  const offset = new Float64Array(K * d); // s^2 m / (a^2 v + s^2)
  const post = new Float64Array(K * d); // P = v s^2 / (a^2 v + s^2)
  const prec = new Float64Array(K * d); // 1 / (a^2 v + s^2)
  const shift = new Float64Array(K * d); // a m / (a^2 v + s^2)
  for (let k = 0; k < K; k++) {
    for (let j = 0; j < d; j++) {
      const i = k * d + j;
      const c = a * a * v[k][j] + s * s;
      gain[i] = (a * v[k][j]) / c;
      offset[i] = (s * s * means[k][j]) / c;
      post[i] = (v[k][j] * s * s) / c;
      prec[i] = 1 / c;
      shift[i] = (a * means[k][j]) / c;
    }
  }
  const gainT = f32(gain, [K, d]);
  const offsetT = f32(offset, [K, d]);
  const postT = f32(post, [K, d]);
  const precT = f32(prec, [K, d]);
  const shiftT = f32(shift, [K, d]);
  return {
    componentMeans: (y) => tf.add(tf.mul(tf.expandDims(y, 1), gainT), offsetT) as tf.Tensor3D,
    denoiser: (y, r) => {
      // sum_j r_j (gain_j y + offset_j) = y * (r @ gain) + r @ offset: two [n, K] x [K, d] products.
      return tf.add(tf.mul(y, matMul(r, gainT)), matMul(r, offsetT)) as tf.Tensor2D;
    },
    componentScores: (y) => tf.sub(shiftT, tf.mul(tf.expandDims(y, 1), precT)) as tf.Tensor3D,
    posteriorCovarianceBase: (r) => matMul(r, postT),
    precisionBase: (r) => matMul(r, precT),
    tensors: [gainT, offsetT, postT, precT, shiftT],
  };
}

function fullPosterior(base: GaussianMixtureTarget, a: number, s: number): PosteriorAlgebra {
  const { means, covariances } = base.components;
  const K = means.length;
  const d = means[0].length;
  const gainStack = new Float64Array(d * K * d); // [K_1^T | ... | K_K^T], K_j = a Sigma_j C_j^{-1}
  const negPrecStack = new Float64Array(d * K * d); // [-C_1^{-1} | ... ]
  const offset = new Float64Array(K * d); // m_j - a K_j m_j
  const shift = new Float64Array(K * d); // a C_j^{-1} m_j
  const postFlat = new Float64Array(K * d * d);
  const precFlat = new Float64Array(K * d * d);
  for (let k = 0; k < K; k++) {
    const S = covariances[k];
    const Cinv = inverseSpd(noisedCovariance(S, a, s));
    const KT = matmul(Cinv, S); // C^{-1} Sigma = (Sigma C^{-1})^T; times a below
    const SCS = matmul(matmul(S, Cinv), S);
    for (let i = 0; i < d; i++) {
      let km = 0;
      let cm = 0;
      for (let l = 0; l < d; l++) {
        gainStack[i * K * d + k * d + l] = a * KT.data[i * d + l];
        negPrecStack[i * K * d + k * d + l] = -Cinv.data[i * d + l];
        km += a * KT.data[l * d + i] * means[k][l]; // (K_j m_j)_i = sum_l (K_j^T)_{li} m_l
        cm += Cinv.data[i * d + l] * means[k][l];
        // P_j = Sigma_j - a^2 Sigma_j C_j^{-1} Sigma_j, symmetrised.
        const pil = S.data[i * d + l] - 0.5 * a * a * (SCS.data[i * d + l] + SCS.data[l * d + i]);
        postFlat[k * d * d + i * d + l] = pil;
        precFlat[k * d * d + i * d + l] = Cinv.data[i * d + l];
      }
      offset[k * d + i] = means[k][i] - a * km;
      shift[k * d + i] = a * cm;
    }
  }
  const gainT = f32(gainStack, [d, K * d]);
  const negPrecT = f32(negPrecStack, [d, K * d]);
  const offsetT = f32(offset, [K, d]);
  const shiftT = f32(shift, [K, d]);
  const postT = f32(postFlat, [K, d * d]);
  const precT = f32(precFlat, [K, d * d]);
  const componentMeans = (y: tf.Tensor2D) =>
    tf.add(tf.reshape(matMul(y, gainT), [y.shape[0], K, d]), offsetT) as tf.Tensor3D;
  return {
    componentMeans,
    denoiser: (y, r) => tf.sum(tf.mul(componentMeans(y), tf.expandDims(r, 2)), 1) as tf.Tensor2D,
    componentScores: (y) => tf.add(tf.reshape(matMul(y, negPrecT), [y.shape[0], K, d]), shiftT) as tf.Tensor3D,
    posteriorCovarianceBase: (r) => tf.reshape(matMul(r, postT), [r.shape[0], d, d]),
    precisionBase: (r) => tf.reshape(matMul(r, precT), [r.shape[0], d, d]),
    tensors: [gainT, negPrecT, offsetT, shiftT, postT, precT],
  };
}

/** C = a^2 Sigma + s^2 I, the covariance of a component of Y (float64). */
function noisedCovariance(S: Matrix, a: number, s: number): Matrix {
  const d = S.rows;
  const C = matrix(d, d);
  for (let i = 0; i < d * d; i++) C.data[i] = a * a * S.data[i];
  for (let i = 0; i < d; i++) C.data[i * d + i] += s * s;
  return C;
}

/** sqrt(r_j) (v_j - sum_k r_k v_k) for component vectors v [n, K, d]: the rank-K factors. */
function centredFactors(v: tf.Tensor3D, r: tf.Tensor2D): tf.Tensor3D {
  const r3 = tf.expandDims(r, 2);
  const average = tf.sum(tf.mul(v, r3), 1, true);
  return tf.mul(tf.sqrt(r3), tf.sub(v, average)) as tf.Tensor3D;
}

/**
 * The law of Y = a X + s Z for X ~ `mixture`, with its perfect score, denoiser, posterior covariance and Hessian
 * (see the file header). `a` finite, `s >= 0`, not both zero.
 */
export function noisedMixture(mixture: GaussianMixtureTarget, a: number, s: number): NoisedMixtureTarget {
  const fn = 'noisedMixture';
  if (mixture == null || typeof mixture !== 'object' || !('components' in mixture)) {
    invalidOption(fn, 'mixture', mixture, 'a Gaussian mixture target (from gaussianMixture or a preset)');
  }
  checkNumber(fn, 'a', a);
  checkNumber(fn, 's', s, 'nonNegative');
  if (a === 0 && s === 0) invalidOption(fn, 's', s, 'a number > 0 when a = 0 (Y would be identically 0)');
  const { weights, means, kind, variances, covariances } = mixture.components;
  const d = mixture.dim;
  const noisedCovariances =
    kind === 'diagonal'
      ? (variances as number[][]).map((vk) => vk.map((v) => a * a * v + s * s))
      : covariances.map((S) => noisedCovariance(S, a, s));
  const name = `${mixture.name}-noised(a=${a},s=${s})`;
  const law = gaussianMixture({
    weights,
    means: means.map((m) => m.map((x) => a * x)),
    covariances: noisedCovariances,
    assignBy: mixture.assignBy,
    name,
  });
  const posterior = kind === 'diagonal' ? diagonalPosterior(mixture, a, s) : fullPosterior(mixture, a, s);
  const requireDiagonal = (method: string) => {
    if (kind !== 'diagonal') {
      throw new Error(
        `${name}.${method}: the mixture has full covariances, so the matrix is not diagonal + low rank; ` +
          `expected isotropic or diagonal components (use the dense ${method.replace('LowRank', '')} instead)`,
      );
    }
  };

  // Cov[X | y] and the Hessian share one form (file header): base(r) + sum_j r_j (v_j - vbar)(v_j - vbar)^T, with
  // (base, v) = (sum_j r_j P_j, mu_j) for the covariance and (-sum_j r_j C_j^{-1}, g_j) for the Hessian.
  // base is [n, d] (diagonal components) or [n, d, d] (full).
  type Parts = { base: tf.Tensor; factors: tf.Tensor3D };
  const posteriorCovarianceParts = (y: tf.Tensor2D): Parts => {
    const r = law.responsibilities(y);
    return { base: posterior.posteriorCovarianceBase(r), factors: centredFactors(posterior.componentMeans(y), r) };
  };
  const hessianParts = (y: tf.Tensor2D): Parts => {
    const r = law.responsibilities(y);
    return { base: tf.neg(posterior.precisionBase(r)), factors: centredFactors(posterior.componentScores(y), r) };
  };
  const asLowRank = ({ base, factors }: Parts) => ({ diag: base as tf.Tensor2D, factors });
  const asDense = ({ base, factors }: Parts): tf.Tensor3D =>
    kind === 'diagonal'
      ? diagPlusLowRankToDense({ diag: base as tf.Tensor2D, factors })
      : (tf.add(base, outerSum(factors)) as tf.Tensor3D);

  const target: NoisedMixtureTarget = {
    ...law,
    base: mixture,
    a,
    s,
    score(y: tf.Tensor2D): tf.Tensor2D {
      return law.gradLogDensity(y);
    },
    denoiser(y: tf.Tensor2D): tf.Tensor2D {
      checkPositions(`${name}.denoiser`, y, d, 'y');
      return tf.tidy(() => posterior.denoiser(y, law.responsibilities(y)));
    },
    posteriorCovarianceLowRank(y: tf.Tensor2D): DiagPlusLowRank {
      checkPositions(`${name}.posteriorCovarianceLowRank`, y, d, 'y');
      requireDiagonal('posteriorCovarianceLowRank');
      return tf.tidy(() => asLowRank(posteriorCovarianceParts(y)));
    },
    posteriorCovariance(y: tf.Tensor2D): tf.Tensor3D {
      checkPositions(`${name}.posteriorCovariance`, y, d, 'y');
      return tf.tidy(() => asDense(posteriorCovarianceParts(y)));
    },
    hessianLowRank(y: tf.Tensor2D): DiagPlusLowRank {
      checkPositions(`${name}.hessianLowRank`, y, d, 'y');
      requireDiagonal('hessianLowRank');
      return tf.tidy(() => asLowRank(hessianParts(y)));
    },
    hessian(y: tf.Tensor2D): tf.Tensor3D {
      checkPositions(`${name}.hessian`, y, d, 'y');
      return tf.tidy(() => asDense(hessianParts(y)));
    },
    sampleJoint(key: Key, n: number) {
      checkSampleCount(`${name}.sampleJoint`, n);
      const [xKey, zKey] = split(key);
      const x = mixture.sample(xKey, n);
      const y = tf.tidy(() => tf.add(tf.mul(a, x), tf.mul(s, normal(zKey, [n, d]))) as tf.Tensor2D);
      return { x, y };
    },
    dispose(): void {
      law.dispose();
      for (const t of posterior.tensors) t.dispose();
    },
  };
  return target;
}

/** VP noising at level alphaBar in [0, 1]: a = sqrt(alphaBar), s = sqrt(1 - alphaBar). */
export function vpMarginal(mixture: GaussianMixtureTarget, alphaBar: number): NoisedMixtureTarget {
  if (typeof alphaBar !== 'number' || !(alphaBar >= 0 && alphaBar <= 1)) {
    invalidOption('vpMarginal', 'alphaBar', alphaBar, 'a number in [0, 1]');
  }
  return noisedMixture(mixture, Math.sqrt(alphaBar), Math.sqrt(1 - alphaBar));
}

/** VE noising at noise level sigma >= 0: a = 1, s = sigma. */
export function veMarginal(mixture: GaussianMixtureTarget, sigma: number): NoisedMixtureTarget {
  checkNumber('veMarginal', 'sigma', sigma, 'nonNegative');
  return noisedMixture(mixture, 1, sigma);
}
