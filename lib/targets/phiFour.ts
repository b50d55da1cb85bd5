/**
 * The 1-D phi-four lattice field of SLIPS / LRDS / flow_mcmc (slips-lrds spec sections 1.6 and 2.7, nfmcmc spec
 * section 1.6): pi(x) ∝ exp(-beta U(x)) on R^N, N = dim, with c = a N and Dirichlet boundaries x_0 = x_{N+1} = 0:
 *   U(x) = (c / 2) sum_{i=0}^{N} (x_{i+1} - x_i)^2 + (1 / c) sum_{i=1}^{N} [ (1 - x_i^2)^2 / 4 + b x_i ].
 * dU/dx_i = (b - x_i (1 - x_i^2)) / c + c (2 x_i - x_{i-1} - x_{i+1}). The Hessian is tridiagonal: diagonal
 * 2c + (3 x_i^2 - 1) / c, off-diagonal -c.
 *
 * Two modes: the field near -1 or near +1 in the bulk. The tilt +b x_i lowers the energy of the NEGATIVE mode for
 * b > 0, so the negative mode is the heavier one. Their mass ratio has no closed form; `phiFourLaplace` gives the
 * Laplace approximation, exact as beta -> infinity (relative error O(1 / beta)):
 *   log Z_± ≈ -beta U(x*_±) + (N / 2) log(2 pi / beta) - (1/2) log det H(x*_±),
 * where x*_± are the two minima of U (LRDS `PhiFour.log_Laplace`).
 *
 * Sign convention (the one the spec recommends, LRDS's): logModeRatio = log r, r = P(negative) / P(positive)
 * = Z_- / Z_+, so logModeRatio > 0 for b > 0. (SLIPS's benchmark code compares -log(P(+)/P(-)) with NEGATIVE
 * targets, which is inconsistent; see `PHI_FOUR_SLIPS_REFERENCE`.)
 */
import * as tf from '@tensorflow/tfjs';
import { readValues } from '../core/readback.js';
import { checkInteger, checkNumber, invalidOption } from '../core/validate.js';
import { checkPositions, type Target } from './target.js';

export interface PhiFourOptions {
  /** Number of lattice sites N (the dimension). Default 100. */
  dim?: number;
  /** Coupling a (> 0); the code's coefficient is c = a N. Default 0.1. */
  a?: number;
  /** Tilt b (any finite number; b > 0 favours the negative mode). Default 0. */
  b?: number;
  /** Inverse temperature beta (> 0). Default 20. */
  beta?: number;
  /**
   * Statistic that assigns a configuration to a mode: the sign of the mean field ('mean', default) or of the
   * middle site x_{floor(N/2)} (0-based), as SLIPS and LRDS count their mode ratios ('midpoint').
   */
  modeStatistic?: 'mean' | 'midpoint';
}

/** The paper configurations (slips-lrds spec sections 1.6, 2.7; nfmcmc spec section 1.6). */
export const phiFourPresets = {
  /** SLIPS: N = 100, b in {0, 0.025, 0.05, 0.075, 0.1}. */
  slips: (b: number): Required<Omit<PhiFourOptions, 'modeStatistic'>> => ({ dim: 100, a: 0.1, b, beta: 20 }),
  slipsTilts: [0, 0.025, 0.05, 0.075, 0.1],
  /** LRDS: N = 32, b in {0, 0.0009, 0.002, 0.0025, 0.0035}. */
  lrds: (b: number): Required<Omit<PhiFourOptions, 'modeStatistic'>> => ({ dim: 32, a: 0.1, b, beta: 20 }),
  lrdsTilts: [0, 0.0009, 0.002, 0.0025, 0.0035],
  /** flow_mcmc: b = 0, N in {64, 128, 256}. */
  flowMcmc: (dim: number): Required<Omit<PhiFourOptions, 'modeStatistic'>> => ({ dim, a: 0.1, b: 0, beta: 20 }),
} as const;

/**
 * The |log mode ratios| hard-coded in SLIPS's benchmark (`compute_metrics`, N = 100, a = 0.1, beta = 20), keyed by
 * b. They are NOT the Laplace approximation above: they equal -beta ΔU - Δ log det H, with the FULL log determinant
 * instead of half of it (SLIPS's `log_Laplace` subtracts `torch.logdet(H)`), at the minima of a 10 000-step
 * gradient flow (step 5e-3, not fully converged), in float32 (the unit test reproduces them to 5e-5).
 * The Laplace values (`phiFourLaplace(phiFourPresets.slips(b)).logModeRatio`) are 7.820, 15.628, 23.414, 31.164.
 * Kept only to compare with numbers reported against SLIPS's reference.
 */
export const PHI_FOUR_SLIPS_REFERENCE: ReadonlyMap<number, number> = new Map([
  [0, 0],
  [0.025, 7.50320435],
  [0.05, 14.9925537],
  [0.075, 22.4531708],
  [0.1, 29.8685608],
]);

interface Params {
  dim: number;
  a: number;
  b: number;
  beta: number;
}

function checkParams(where: string, options: PhiFourOptions): Params & { modeStatistic: 'mean' | 'midpoint' } {
  const { dim = 100, a = 0.1, b = 0, beta = 20, modeStatistic = 'mean' } = options;
  checkInteger(where, 'dim', dim);
  checkNumber(where, 'a', a, 'positive');
  checkNumber(where, 'b', b);
  checkNumber(where, 'beta', beta, 'positive');
  if (modeStatistic !== 'mean' && modeStatistic !== 'midpoint') {
    invalidOption(where, 'modeStatistic', modeStatistic, `'mean' or 'midpoint'`);
  }
  return { dim, a, b, beta, modeStatistic };
}

// ---------------------------------------------------------------------------------------------------------------
// float64 energy, gradient, Hessian (CPU, for the Laplace reference)

/** U(x) in float64 (no beta). */
export function phiFourEnergy(x: ArrayLike<number>, a: number, b: number): number {
  const n = x.length;
  const c = a * n;
  let kinetic = 0;
  let potential = 0;
  let previous = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[i];
    kinetic += (xi - previous) ** 2;
    potential += (1 - xi * xi) ** 2 / 4 + b * xi;
    previous = xi;
  }
  kinetic += previous * previous; // (x_{N+1} - x_N)^2 with x_{N+1} = 0
  return (c / 2) * kinetic + potential / c;
}

function energyGradient(x: Float64Array, a: number, b: number): Float64Array {
  const n = x.length;
  const c = a * n;
  const g = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const left = i > 0 ? x[i - 1] : 0;
    const right = i < n - 1 ? x[i + 1] : 0;
    g[i] = (b - x[i] * (1 - x[i] * x[i])) / c + c * (2 * x[i] - left - right);
  }
  return g;
}

function hessianDiagonal(x: Float64Array, a: number): Float64Array {
  const c = a * x.length;
  return x.map((xi) => 2 * c + (3 * xi * xi - 1) / c);
}

/**
 * LDL^T of a symmetric tridiagonal matrix (diagonal `diag` [n], constant off-diagonal `off`):
 * D_0 = diag_0, D_i = diag_i - off^2 / D_{i-1}, L_{i,i-1} = off / D_{i-1}. Returns the pivots D, or null when a
 * pivot is <= 0 (the matrix is not positive definite).
 */
function tridiagonalLdl(diag: ArrayLike<number>, off: number): Float64Array | null {
  const n = diag.length;
  const pivots = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    pivots[i] = i === 0 ? diag[0] : diag[i] - (off * off) / pivots[i - 1];
    if (!(pivots[i] > 0)) return null;
  }
  return pivots;
}

/**
 * log det of a symmetric positive-definite tridiagonal matrix with diagonal `diag` and constant off-diagonal
 * `off`, in float64 (sum of the log LDL^T pivots). Throws if the matrix is not positive definite.
 */
export function tridiagonalLogDet(diag: ArrayLike<number>, off: number): number {
  if (diag.length === 0) throw new Error('tridiagonalLogDet: option "diag" is empty, expected at least one entry');
  const pivots = tridiagonalLdl(diag, off);
  if (!pivots) {
    throw new Error('tridiagonalLogDet: the matrix is not positive definite (a pivot of its LDL^T is <= 0)');
  }
  let sum = 0;
  for (let i = 0; i < pivots.length; i++) sum += Math.log(pivots[i]);
  return sum;
}

/** Solve T y = r for SPD tridiagonal T given its LDL^T pivots (forward, diagonal, backward sweeps). */
function tridiagonalSolve(pivots: Float64Array, off: number, r: Float64Array): Float64Array {
  const n = r.length;
  const y = Float64Array.from(r);
  for (let i = 1; i < n; i++) y[i] -= (off / pivots[i - 1]) * y[i - 1]; // L z = r
  for (let i = 0; i < n; i++) y[i] /= pivots[i]; // D w = z
  for (let i = n - 2; i >= 0; i--) y[i] -= (off / pivots[i]) * y[i + 1]; // L^T y = w
  return y;
}

/**
 * Local minimum of U from `start` by damped Newton (tridiagonal solves, backtracking on U; a gradient step
 * wherever the Hessian is not positive definite). Converges quadratically near the minimum.
 */
function minimise(start: Float64Array, a: number, b: number): Float64Array {
  const c = a * start.length;
  let x = Float64Array.from(start);
  let energy = phiFourEnergy(x, a, b);
  for (let iteration = 0; iteration < 500; iteration++) {
    const g = energyGradient(x, a, b);
    let gradNorm = 0;
    for (let i = 0; i < g.length; i++) gradNorm = Math.max(gradNorm, Math.abs(g[i]));
    if (gradNorm < 1e-13) break;
    const pivots = tridiagonalLdl(hessianDiagonal(x, a), -c);
    const direction = pivots ? tridiagonalSolve(pivots, -c, g) : g.map((gi) => gi / (4 * c + 2 / c));
    let step = 1;
    let next = x.map((xi, i) => xi - step * direction[i]);
    let nextEnergy = phiFourEnergy(next, a, b);
    while (nextEnergy > energy + 1e-15 * Math.abs(energy) && step > 1e-12) {
      step /= 2;
      next = x.map((xi, i) => xi - step * direction[i]);
      nextEnergy = phiFourEnergy(next, a, b);
    }
    if (step <= 1e-12) break; // no further decrease possible in float64
    x = next;
    energy = nextEnergy;
  }
  return x;
}

/** One minimum of U and the pieces of its Laplace term. */
export interface PhiFourMinimum {
  /** The minimiser x* (float64). */
  x: Float64Array;
  /** U(x*). */
  energy: number;
  /** log det of the Hessian of U at x* (not of beta U). */
  logDetHessian: number;
  /** Laplace log Z = -beta U(x*) + (N / 2) log(2 pi / beta) - (1/2) log det H(x*). */
  logZ: number;
}

export interface PhiFourLaplace {
  negative: PhiFourMinimum;
  positive: PhiFourMinimum;
  /** log r, r = Z_- / Z_+ = P(negative mode) / P(positive mode); > 0 for b > 0. */
  logModeRatio: number;
  /** Laplace log Z of the whole target: logaddexp(Z_-, Z_+). */
  logZ: number;
  /** [P(negative), P(positive)] from the Laplace masses. */
  weights: [number, number];
}

/**
 * Laplace-method reference for the two modes' masses (see the header comment): the minima are found by damped
 * Newton from the constant fields -1 and +1 (LRDS starts its gradient flow there), the Hessian log-determinants by
 * a float64 tridiagonal LDL^T.
 */
export function phiFourLaplace(options: PhiFourOptions = {}): PhiFourLaplace {
  const where = 'phiFourLaplace';
  const { dim, a, b, beta } = checkParams(where, options);
  const c = a * dim;
  const minimum = (sign: -1 | 1): PhiFourMinimum => {
    const x = minimise(new Float64Array(dim).fill(sign), a, b);
    let mean = 0;
    for (let i = 0; i < dim; i++) mean += x[i] / dim;
    const pivots = tridiagonalLdl(hessianDiagonal(x, a), -c);
    if (Math.sign(mean) !== sign || !pivots) {
      throw new Error(
        `${where}: no local minimum of U with a ${sign > 0 ? 'positive' : 'negative'} mean field for ` +
          `a = ${a}, b = ${b}, dim = ${dim} (the tilt b is too strong for two modes), expected two minima`,
      );
    }
    const energy = phiFourEnergy(x, a, b);
    const logDetHessian = tridiagonalLogDet(hessianDiagonal(x, a), -c);
    const logZ = -beta * energy + (dim / 2) * Math.log((2 * Math.PI) / beta) - 0.5 * logDetHessian;
    return { x, energy, logDetHessian, logZ };
  };
  const negative = minimum(-1);
  const positive = minimum(1);
  const logModeRatio = negative.logZ - positive.logZ;
  const top = Math.max(negative.logZ, positive.logZ);
  const logZ = top + Math.log(Math.exp(negative.logZ - top) + Math.exp(positive.logZ - top));
  const weightNegative = 1 / (1 + Math.exp(-logModeRatio));
  return { negative, positive, logModeRatio, logZ, weights: [weightNegative, 1 - weightNegative] };
}

// ---------------------------------------------------------------------------------------------------------------
// The target

export interface PhiFourTarget extends Target {
  /** The resolved parameters. */
  params: Params;
  /** The Laplace reference; `modes.weights` are its [P(negative), P(positive)] (approximate: O(1 / beta)). */
  laplace: PhiFourLaplace;
}

/**
 * The phi-four target: logDensity = -beta U(x) (unnormalised; `laplace.logZ` approximates log Z), analytic
 * gradient, modes 0 = negative field, 1 = positive field, assigned by the sign of the mean field (or of the
 * middle site, `modeStatistic: 'midpoint'`), with Laplace weights. No exact sampler.
 */
export function phiFour(options: PhiFourOptions = {}): PhiFourTarget {
  const where = 'phiFour';
  const { dim, a, b, beta, modeStatistic } = checkParams(where, options);
  const c = a * dim;
  const laplace = phiFourLaplace({ dim, a, b, beta });

  /** The field with its zero boundary sites, [n, N + 2]. */
  const padded = (x: tf.Tensor2D) => tf.pad(x, [[0, 0], [1, 1]]) as tf.Tensor2D;

  const logDensityOf = (x: tf.Tensor2D, xPadded: tf.Tensor2D): tf.Tensor1D =>
    tf.tidy(() => {
      const jumps = tf.sub(tf.slice(xPadded, [0, 1], [-1, dim + 1]), tf.slice(xPadded, [0, 0], [-1, dim + 1]));
      const kinetic = tf.mul(c / 2, tf.sum(tf.square(jumps), 1));
      const wells = tf.add(tf.div(tf.square(tf.sub(1, tf.square(x))), 4), tf.mul(b, x));
      const potential = tf.div(tf.sum(wells, 1), c);
      return tf.mul(-beta, tf.add(kinetic, potential)) as tf.Tensor1D;
    });

  const gradOf = (x: tf.Tensor2D, xPadded: tf.Tensor2D): tf.Tensor2D =>
    tf.tidy(() => {
      const left = tf.slice(xPadded, [0, 0], [-1, dim]);
      const right = tf.slice(xPadded, [0, 2], [-1, dim]);
      const local = tf.div(tf.sub(b, tf.mul(x, tf.sub(1, tf.square(x)))), c);
      const coupling = tf.mul(c, tf.sub(tf.mul(2, x), tf.add(left, right)));
      return tf.mul(-beta, tf.add(local, coupling)) as tf.Tensor2D;
    });

  const check = (x: tf.Tensor2D, fn: string) => checkPositions(`phiFour.${fn}`, x, dim, 'x');
  const middle = Math.floor(dim / 2);

  return {
    name: `phiFour(dim=${dim}, a=${a}, b=${b}, beta=${beta})`,
    dim,
    params: { dim, a, b, beta },
    laplace,
    logDensity(x) {
      check(x, 'logDensity');
      return tf.tidy(() => logDensityOf(x, padded(x)));
    },
    gradLogDensity(x) {
      check(x, 'gradLogDensity');
      return tf.tidy(() => gradOf(x, padded(x)));
    },
    logDensityAndGrad(x) {
      check(x, 'logDensityAndGrad');
      return tf.tidy(() => {
        const xPadded = padded(x);
        return { logDensity: logDensityOf(x, xPadded), grad: gradOf(x, xPadded) };
      });
    },
    modes: {
      weights: [...laplace.weights],
      async assign(x) {
        check(x, 'modes.assign');
        const statistic = tf.tidy(() =>
          modeStatistic === 'mean' ? tf.mean(x, 1) : tf.slice(x, [0, middle], [-1, 1]).reshape([-1]),
        );
        const values = await readValues(statistic).finally(() => statistic.dispose());
        // mode 0 = negative field, mode 1 = positive field (a statistic of exactly 0 counts as positive)
        return Int32Array.from(values, (v) => (v < 0 ? 0 : 1));
      },
    },
  };
}
