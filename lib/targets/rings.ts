/**
 * Concentric rings in 2-D, as in both reference implementations (SLIPS `slips/distributions/rings.py`, LRDS
 * `sde_sampler/distr/rings.py`; spec slips-lrds-amcbg.md sections 1.6 and 2.7): in polar coordinates the radius
 * follows the 1-D Gaussian mixture p_r(rho) = sum_k w_k N(rho; r_k, std^2) (weights normalised) and the angle is
 * uniform, so
 *     log p(x) = log p_r(|x|) - log(2 pi |x|).
 * The 1/|x| factor is the polar Jacobian: the mass of ring k is w_k itself (up to the negligible part of
 * N(r_k, std^2) below 0), NOT w_k r_k as it would be for exp(-(|x| - r_k)^2 / (2 std^2)) in Cartesian
 * coordinates. (Near the origin the density has an integrable 1/|x| spike of height p_r(0) / (2 pi |x|), with
 * p_r(0) ~ exp(-r_1^2 / (2 std^2)) tiny for the presets; |x| is floored at 1e-6 so that logDensity and its
 * gradient stay finite there and x = 0 is not a spurious mode.)
 *
 * Ground truth, all closed form in float64 (no quadrature needed):
 * - logZ = log int exp(logDensity) = log sum_k w_k Phi(r_k / std) (the radius is restricted to (0, inf)).
 * - exact samples: ring k with probability w_k Phi(r_k / std) / Z, then the radius from N(r_k, std^2) truncated
 *   to (0, inf) by inverse CDF (rho = r_k - std Phi^{-1}(u Phi(r_k / std))), angle uniform.
 * - modes: ring index by nearest radius (`assignBy: 'radius'`, default) or nearest squared radius
 *   (`'squaredRadius'`, LRDS `compute_mode_count`); `modes.weights` are the exact masses of that partition of the
 *   radius (boundaries (r_k + r_{k+1})/2, resp. sqrt((r_k^2 + r_{k+1}^2)/2)), which differ slightly from w_k
 *   where neighbouring rings overlap.
 * - mean 0 and per-coordinate variance E|x|^2 / 2 (truncated-normal moments).
 *
 * Presets: `ringsSlips()` radii 1, 2, 3, 4, std 0.15, equal weights; `ringsLrds()` radii 1, 3, 5, std 0.1,
 * weights proportional to the radius (1/9, 3/9, 5/9), squared-radius assignment.
 */
import * as tf from '@tensorflow/tfjs';
import { exp, logSumExp, sumSquares } from '../core/ops.js';
import { uniformArray, type Key } from '../core/random.js';
import { readValues } from '../core/readback.js';
import { normalCdf, normalLogCdf, normalQuantile } from '../core/special.js';
import { checkNumber, checkNumberArray, checkSampleCount, invalidOption } from '../core/validate.js';
import { checkPositions, type Modes, type Target } from './target.js';

// |x| is floored here (sqrt(|x|^2 + floor^2)): below it the 1/|x| spike is cut off. At 1e-6 the change is
// invisible elsewhere, and for the presets the origin stays far less likely than the rings (log p(0) ~ -10 for
// ringsSlips); a floor of 1e-12 would make x = 0, a common chain initialisation, a spurious global mode.
const RADIUS_FLOOR = 1e-6;
const LOG_2PI = Math.log(2 * Math.PI);

export type RingAssignment = 'radius' | 'squaredRadius';

export interface RingsOptions {
  /** Ring radii, strictly increasing, > 0. */
  radii: readonly number[];
  /** Radial standard deviation, > 0. */
  std: number;
  /** Positive ring weights (normalised internally), default equal. */
  weights?: readonly number[];
  /** Mode assignment rule (default 'radius'). */
  assignBy?: RingAssignment;
  name?: string;
}

export interface RingsTarget extends Target {
  readonly radii: number[];
  readonly std: number;
  /** Normalised weights of the radial mixture. */
  readonly ringWeights: number[];
  readonly assignBy: RingAssignment;
  logZ: number;
  mean: number[];
  variance: number[];
  modes: Modes;
  gradLogDensity(x: tf.Tensor2D): tf.Tensor2D;
  logDensityAndGrad(x: tf.Tensor2D): { logDensity: tf.Tensor1D; grad: tf.Tensor2D };
  sample(key: Key, n: number): tf.Tensor2D;
  /** P(|X| <= rho) under the normalised target, float64. */
  radialCdf(rho: number): number;
  /** Free the device constants. */
  dispose(): void;
}

/** The rings target; see the file header. */
export function rings(options: RingsOptions): RingsTarget {
  const fn = 'rings';
  if (options == null || typeof options !== 'object') invalidOption(fn, 'options', options, 'an object { radii, std }');
  const radii = checkNumberArray(fn, 'radii', options.radii, { positive: true });
  for (let k = 1; k < radii.length; k++) {
    if (!(radii[k] > radii[k - 1])) invalidOption(fn, 'radii', options.radii, 'strictly increasing radii > 0');
  }
  const K = radii.length;
  const std = checkNumber(fn, 'std', options.std, 'positive');
  const rawWeights = checkNumberArray(fn, 'weights', options.weights ?? new Array<number>(K).fill(1), {
    length: K,
    positive: true,
  });
  const assignBy = options.assignBy ?? 'radius';
  if (assignBy !== 'radius' && assignBy !== 'squaredRadius') {
    invalidOption(fn, 'assignBy', assignBy, `'radius' or 'squaredRadius'`);
  }
  const name = options.name ?? `rings-${K}`;
  const total = rawWeights.reduce((a, b) => a + b, 0);
  const w = rawWeights.map((v) => v / total);

  // Mass of each radial component on (0, inf) and the total Z.
  const positiveMass = radii.map((r, k) => w[k] * normalCdf(r / std));
  const Z = positiveMass.reduce((a, b) => a + b, 0);
  const logTerms = radii.map((r, k) => Math.log(w[k]) + normalLogCdf(r / std));
  const maxTerm = Math.max(...logTerms);
  const logZ = maxTerm + Math.log(logTerms.reduce((s, t) => s + Math.exp(t - maxTerm), 0));
  const ringProbability = positiveMass.map((m) => m / Z);

  const radialCdf = (rho: number): number => {
    if (!(rho > 0)) return 0;
    let s = 0;
    for (let k = 0; k < K; k++) s += w[k] * (normalCdf((rho - radii[k]) / std) - normalCdf(-radii[k] / std));
    return Math.min(1, s / Z);
  };

  // Partition boundaries on the radius and their exact masses.
  const boundaries = radii.slice(1).map((r, k) =>
    assignBy === 'radius' ? (radii[k] + r) / 2 : Math.sqrt((radii[k] ** 2 + r ** 2) / 2),
  );
  const modeWeights = radii.map((_, k) => {
    const upper = k < K - 1 ? radialCdf(boundaries[k]) : 1;
    const lower = k > 0 ? radialCdf(boundaries[k - 1]) : 0;
    return upper - lower;
  });

  // E|x|^2 from the truncated-normal moments: alpha = -r/std, lambda = phi(alpha) / (1 - Phi(alpha)).
  let secondMoment = 0;
  for (let k = 0; k < K; k++) {
    const mu = radii[k];
    const alpha = -mu / std;
    const lambda = Math.exp(-0.5 * alpha * alpha - 0.5 * LOG_2PI - normalLogCdf(-alpha));
    const m1 = mu + std * lambda;
    const v = std * std * (1 + alpha * lambda - lambda * lambda);
    secondMoment += ringProbability[k] * (v + m1 * m1);
  }

  const radiiT = tf.tensor1d(Float32Array.from(radii), 'float32');
  // log w_k - log(std sqrt(2 pi)) - log(2 pi): the radial mixture constants plus the angular 1/(2 pi).
  const offsetsT = tf.tensor1d(Float32Array.from(w.map((v) => Math.log(v) - Math.log(std) - 1.5 * LOG_2PI)), 'float32');
  const invVar = 1 / (std * std);

  // Radius [n, 1] and the radial logits [n, K].
  const polar = (x: tf.Tensor2D) => {
    const r = tf.sqrt(tf.add(sumSquares(x, 1), RADIUS_FLOOR * RADIUS_FLOOR)) as tf.Tensor1D;
    const diff = tf.sub(tf.expandDims(r, 1), radiiT);
    const logits = tf.add(tf.mul(-0.5 * invVar, tf.square(diff)), offsetsT) as tf.Tensor2D;
    return { r, diff, logits };
  };
  const logDensityFrom = (r: tf.Tensor1D, logits: tf.Tensor2D): tf.Tensor1D =>
    tf.sub(logSumExp(logits, 1), tf.log(r)) as tf.Tensor1D;
  // grad = x / r * (d/dr log p_r(r) - 1/r), d/dr log p_r = sum_k rho_k (r_k - r) / std^2.
  const gradientFrom = (x: tf.Tensor2D, r: tf.Tensor1D, diff: tf.Tensor, logits: tf.Tensor2D): tf.Tensor2D => {
    const rho = exp(tf.sub(logits, logSumExp(logits, 1, true)));
    const dRadial = tf.mul(-invVar, tf.sum(tf.mul(rho, diff), 1));
    const scale = tf.div(tf.sub(dRadial, tf.reciprocal(r)), r);
    return tf.mul(x, tf.expandDims(scale, 1)) as tf.Tensor2D;
  };

  const modes: Modes = {
    weights: modeWeights,
    async assign(x: tf.Tensor2D): Promise<Int32Array> {
      checkPositions(`${name}.modes.assign`, x, 2, 'x');
      const values = await readValues(x);
      const n = x.shape[0];
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const rho = Math.hypot(values[2 * i], values[2 * i + 1]);
        let k = 0;
        while (k < K - 1 && rho > boundaries[k]) k++;
        out[i] = k;
      }
      return out;
    },
  };

  return {
    name,
    dim: 2,
    radii,
    std,
    ringWeights: w,
    assignBy,
    logZ,
    mean: [0, 0],
    variance: [secondMoment / 2, secondMoment / 2],
    modes,
    radialCdf,
    logDensity(x: tf.Tensor2D): tf.Tensor1D {
      checkPositions(`${name}.logDensity`, x, 2, 'x');
      return tf.tidy(() => {
        const { r, logits } = polar(x);
        return logDensityFrom(r, logits);
      });
    },
    gradLogDensity(x: tf.Tensor2D): tf.Tensor2D {
      checkPositions(`${name}.gradLogDensity`, x, 2, 'x');
      return tf.tidy(() => {
        const { r, diff, logits } = polar(x);
        return gradientFrom(x, r, diff, logits);
      });
    },
    logDensityAndGrad(x: tf.Tensor2D) {
      checkPositions(`${name}.logDensityAndGrad`, x, 2, 'x');
      return tf.tidy(() => {
        const { r, diff, logits } = polar(x);
        return { logDensity: logDensityFrom(r, logits), grad: gradientFrom(x, r, diff, logits) };
      });
    },
    sample(key: Key, n: number): tf.Tensor2D {
      checkSampleCount(`${name}.sample`, n);
      const u = uniformArray(key, 3 * n);
      const out = new Float32Array(2 * n);
      const cumulative: number[] = [];
      let running = 0;
      for (const p of ringProbability) cumulative.push((running += p));
      const upperTail = radii.map((r) => normalCdf(r / std));
      for (let i = 0; i < n; i++) {
        let k = 0;
        while (k < K - 1 && u[3 * i] >= cumulative[k]) k++;
        // Truncated normal on (0, inf) by inverse CDF, from the lower tail (accurate): 1 - u in (0, 1].
        const rho = Math.max(0, radii[k] - std * normalQuantile((1 - u[3 * i + 1]) * upperTail[k]));
        const theta = 2 * Math.PI * u[3 * i + 2];
        out[2 * i] = rho * Math.cos(theta);
        out[2 * i + 1] = rho * Math.sin(theta);
      }
      return tf.tensor2d(out, [n, 2], 'float32');
    },
    dispose(): void {
      radiiT.dispose();
      offsetsT.dispose();
    },
  };
}

/** SLIPS rings: radii 1, 2, 3, 4, radial std 0.15, equal weights. */
export function ringsSlips(): RingsTarget {
  return rings({ radii: [1, 2, 3, 4], std: 0.15, name: 'rings-slips' });
}

/**
 * LRDS rings: radii linspace(1, 5, 3) = 1, 3, 5, radial std 0.1, weights proportional to the radius (or equal
 * with `equilibrated: true`), modes by nearest squared radius.
 */
export function ringsLrds(options: { equilibrated?: boolean } = {}): RingsTarget {
  const equilibrated = options.equilibrated ?? false;
  if (typeof equilibrated !== 'boolean') invalidOption('ringsLrds', 'equilibrated', equilibrated, 'a boolean');
  const radii = [1, 3, 5];
  return rings({
    radii,
    std: 0.1,
    weights: equilibrated ? [1, 1, 1] : radii,
    assignBy: 'squaredRadius',
    name: equilibrated ? 'rings-lrds-equilibrated' : 'rings-lrds',
  });
}
