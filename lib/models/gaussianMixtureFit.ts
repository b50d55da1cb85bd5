/**
 * Fitting a Gaussian mixture to data by expectation-maximisation, in float64 on the host: the sklearn
 * `GaussianMixture` that the LRDS reference fit uses (spec slips-lrds-amcbg.md section 2.3, `fit_gmm`).
 *
 * Semantics (sklearn's, unless said otherwise):
 * - `covarianceType` 'full' (d x d matrices) or 'diag' (d variances per component); `regCovar` is added to the
 *   diagonal of every covariance in every M-step; `tol` bounds the change of the mean log-likelihood per sample
 *   between two E-steps; `maxIter` M-steps at most.
 * - Initialisation: responsibilities from a hard assignment of every point to its nearest centre, then one M-step.
 *   The centres are `meansInit` (whose values then replace the M-step means, as sklearn's `means_init`), else
 *   k-means++ seeding drawn with `key` followed by Lloyd iterations.
 * - E-step: log r_ik = log w_k + log N(x_i; mu_k, Sigma_k) - logsumexp_k(...), through the Cholesky factor
 *   (lib/core/linalg.ts `GaussianFactor`) or the variances. M-step: N_k = sum_i r_ik + 10 eps (sklearn's guard
 *   against empty components), w_k = N_k / N, mu_k = sum_i r_ik x_i / N_k,
 *   Sigma_k = sum_i r_ik (x_i - mu_k)(x_i - mu_k)^T / N_k + regCovar I.
 * - Escalation (the LRDS retry loop): when a covariance is not positive definite (Cholesky pivot not above
 *   roundoff; for 'diag', a variance not above eps times the coordinate's second moment), the whole fit restarts
 *   from the same initialisation with regCovar x 10 (from 0 the next value is 1e-6), up to `maxRegCovar`; the
 *   regCovar that succeeded is reported, with the failed attempts.
 *
 * The result's `{ weights, means, covariances }` can be passed to `gaussianMixture` (lib/targets/mixture.ts) as is.
 */
import * as tf from '@tensorflow/tfjs';
import { AbortError, throwIfAborted } from '../core/abort.js';
import { GaussianFactor, type Matrix } from '../core/linalg.js';
import { yieldToEventLoop } from '../core/progress.js';
import { uniformArray, type Key } from '../core/random.js';
import { readValues } from '../core/readback.js';
import {
  checkChoice,
  checkInteger,
  checkNumber,
  checkOptions,
  invalidOption,
  showValue,
} from '../core/validate.js';

export type MixtureCovarianceType = 'full' | 'diag';

/** What `onProgress` receives after every E-step. */
export interface GaussianMixtureFitProgress {
  /** M-steps done so far (0: the initial parameters). */
  iteration: number;
  /** Mean log-likelihood per sample of the current parameters. */
  logLikelihood: number;
  /** Change since the previous E-step (NaN at iteration 0). */
  change: number;
  regCovar: number;
}

export interface GaussianMixtureFitOptions {
  /** K >= 1 components (at most the number of points). */
  numComponents: number;
  /** 'full' (default, sklearn's) or 'diag'. */
  covarianceType?: MixtureCovarianceType;
  /** Added to the covariance diagonals (default 1e-6, sklearn's); >= 0. */
  regCovar?: number;
  /** Largest regCovar the escalation may reach (default 1e-2, the end of the LRDS retry list). */
  maxRegCovar?: number;
  /** Convergence threshold on the change of the mean log-likelihood (default 1e-3). */
  tol?: number;
  /** Most EM iterations (default 100; LRDS uses 1000); 0 returns the initialisation. */
  maxIter?: number;
  /** K initial means, each of length d; without them `key` seeds k-means++. */
  meansInit?: readonly (readonly number[])[];
  /** Random key of the k-means++ seeding (required without meansInit). */
  key?: Key;
  /** Lloyd iterations after the k-means++ seeding (default 10; stops early when no point moves). */
  kmeansIterations?: number;
  /** The dimension d, required when the data are a flat row-major Float64Array. */
  dim?: number;
  /** Checked between iterations; aborting throws an AbortError. */
  signal?: AbortSignal;
  onProgress?: (report: GaussianMixtureFitProgress) => void;
}

/** A failed attempt of the regCovar escalation. */
export interface RegCovarFailure {
  regCovar: number;
  /** Which component, at which iteration, and why. */
  reason: string;
}

export interface GaussianMixtureFit {
  /** Normalised weights (sum 1). */
  weights: number[];
  means: number[][];
  /** K d x d matrices (nested rows) for 'full', K arrays of d variances for 'diag'. */
  covariances: number[][][] | number[][];
  covarianceType: MixtureCovarianceType;
  /** Mean log-likelihood per sample of the returned parameters (float64). */
  logLikelihood: number;
  /** The mean log-likelihood after each E-step: index m holds the parameters after m M-steps. */
  logLikelihoodHistory: number[];
  converged: boolean;
  /** M-steps done after the initialisation. */
  iterations: number;
  /** The regCovar of the returned fit (after any escalation). */
  regCovar: number;
  /** The smaller regCovar values that failed, with the reason. */
  regCovarFailures: RegCovarFailure[];
}

const FN = 'fitGaussianMixture';
const OPTION_NAMES = [
  'numComponents', 'covarianceType', 'regCovar', 'maxRegCovar', 'tol', 'maxIter', 'meansInit', 'key',
  'kmeansIterations', 'dim', 'signal', 'onProgress',
] as const;
const EPS = Number.EPSILON;
/** sklearn's reg_covar default; also the first nonzero value of the escalation from regCovar = 0. */
const DEFAULT_REG_COVAR = 1e-6;
const REG_COVAR_GROWTH = 10;

/** Data as N rows of d float64 values. */
interface Data {
  n: number;
  d: number;
  x: Float64Array;
}

interface Parameters {
  weights: Float64Array;
  /** [K, d] row-major. */
  means: Float64Array;
  /** K covariances: [d, d] row-major ('full') or [d] variances ('diag'). */
  covariances: Float64Array[];
}

/** A covariance that is not positive definite at this regCovar: the fit restarts with a larger one. */
class IllDefinedCovariance extends Error {}

// ---------------------------------------------------------------------------------------------------------------
// Input checks

async function readData(data: unknown, dim: number | undefined): Promise<Data> {
  const expected = 'an [N, d] tf.Tensor2D, an array of N rows of d numbers, or a flat row-major Float64Array with option "dim"';
  let x: Float64Array;
  let n: number;
  let d: number;
  if (data instanceof tf.Tensor) {
    if (data.rank !== 2) invalidOption(FN, 'data', data, expected);
    [n, d] = data.shape as [number, number];
    x = Float64Array.from(await readValues(data as tf.Tensor2D));
  } else if (data instanceof Float64Array) {
    if (dim === undefined) invalidOption(FN, 'dim', dim, 'the dimension d (an integer >= 1) when the data are a flat Float64Array');
    d = checkInteger(FN, 'dim', dim);
    if (data.length % d !== 0) invalidOption(FN, 'data', data, `a length divisible by dim = ${d}`);
    n = data.length / d;
    x = Float64Array.from(data);
  } else if (Array.isArray(data)) {
    n = data.length;
    const first = data[0] as unknown;
    if (n === 0 || !(Array.isArray(first) || ArrayBuffer.isView(first))) invalidOption(FN, 'data', data, expected);
    d = (first as ArrayLike<number>).length;
    x = new Float64Array(n * d);
    for (let i = 0; i < n; i++) {
      const row = data[i] as unknown;
      if (!(Array.isArray(row) || ArrayBuffer.isView(row)) || (row as ArrayLike<number>).length !== d) {
        invalidOption(FN, `data[${i}]`, row, `a row of d = ${d} numbers (the length of data[0])`);
      }
      for (let j = 0; j < d; j++) x[i * d + j] = (row as ArrayLike<number>)[j];
    }
  } else {
    invalidOption(FN, 'data', data, expected);
  }
  if (d < 1 || n < 1) invalidOption(FN, 'data', data, `at least one point of dimension >= 1 (got shape [${n}, ${d}])`);
  for (let k = 0; k < x.length; k++) {
    if (!Number.isFinite(x[k])) {
      const i = Math.floor(k / d);
      throw new Error(`${FN}: option "data" has entry [${i}][${k - i * d}] = ${showValue(x[k])}, expected finite numbers`);
    }
  }
  return { n, d, x };
}

function readMeansInit(value: unknown, K: number, d: number): Float64Array {
  const expected = `an array of numComponents = ${K} means, each an array of d = ${d} finite numbers`;
  if (!Array.isArray(value) || value.length !== K) invalidOption(FN, 'meansInit', value, expected);
  const out = new Float64Array(K * d);
  value.forEach((row: unknown, k) => {
    if (!(Array.isArray(row) || ArrayBuffer.isView(row)) || (row as ArrayLike<number>).length !== d) {
      invalidOption(FN, `meansInit[${k}]`, row, `an array of d = ${d} finite numbers`);
    }
    for (let j = 0; j < d; j++) out[k * d + j] = checkNumber(FN, `meansInit[${k}][${j}]`, (row as ArrayLike<unknown>)[j]);
  });
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Initialisation: nearest-centre responsibilities

function squaredDistance(x: Float64Array, i: number, centres: Float64Array, k: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) {
    const t = x[i * d + j] - centres[k * d + j];
    s += t * t;
  }
  return s;
}

/** Index of the nearest centre of every point. */
function nearestCentres(data: Data, centres: Float64Array, K: number): Int32Array {
  const labels = new Int32Array(data.n);
  for (let i = 0; i < data.n; i++) {
    let best = Infinity;
    for (let k = 0; k < K; k++) {
      const s = squaredDistance(data.x, i, centres, k, data.d);
      if (s < best) {
        best = s;
        labels[i] = k;
      }
    }
  }
  return labels;
}

/** k-means++ seeding (Arthur & Vassilvitskii 2007): each next centre drawn with probability proportional to D^2. */
function kmeansPlusPlus(data: Data, K: number, k0: Key): Float64Array {
  const { n, d, x } = data;
  const u = uniformArray(k0, K);
  const centres = new Float64Array(K * d);
  const pick = (k: number, i: number) => centres.set(x.subarray(i * d, (i + 1) * d), k * d);
  pick(0, Math.min(n - 1, Math.floor(u[0] * n)));
  const d2 = new Float64Array(n).fill(Infinity);
  for (let k = 1; k < K; k++) {
    let total = 0;
    for (let i = 0; i < n; i++) {
      d2[i] = Math.min(d2[i], squaredDistance(x, i, centres, k - 1, d));
      total += d2[i];
    }
    let chosen = n - 1;
    if (total > 0) {
      let acc = 0;
      const threshold = u[k] * total;
      for (let i = 0; i < n; i++) {
        acc += d2[i];
        if (acc > threshold) {
          chosen = i;
          break;
        }
      }
    } else {
      chosen = Math.min(n - 1, Math.floor(u[k] * n)); // every point sits on a centre already
    }
    pick(k, chosen);
  }
  return centres;
}

/** Lloyd iterations from `centres` (updated in place); returns the final labels. */
function lloyd(data: Data, centres: Float64Array, K: number, iterations: number): Int32Array {
  const { n, d, x } = data;
  let labels = nearestCentres(data, centres, K);
  for (let it = 0; it < iterations; it++) {
    const sums = new Float64Array(K * d);
    const counts = new Float64Array(K);
    for (let i = 0; i < n; i++) {
      counts[labels[i]] += 1;
      for (let j = 0; j < d; j++) sums[labels[i] * d + j] += x[i * d + j];
    }
    for (let k = 0; k < K; k++) {
      if (counts[k] === 0) continue; // an empty cluster keeps its centre
      for (let j = 0; j < d; j++) centres[k * d + j] = sums[k * d + j] / counts[k];
    }
    const next = nearestCentres(data, centres, K);
    const moved = next.some((l, i) => l !== labels[i]);
    labels = next;
    if (!moved) break;
  }
  return labels;
}

function oneHot(labels: Int32Array, K: number): Float64Array {
  const r = new Float64Array(labels.length * K);
  labels.forEach((l, i) => (r[i * K + l] = 1));
  return r;
}

// ---------------------------------------------------------------------------------------------------------------
// EM steps

/** Component log-density functions of the parameters; throws IllDefinedCovariance when one is not PD. */
function componentLogDensities(data: Data, p: Parameters, type: MixtureCovarianceType, K: number): Float64Array[] {
  const { n, d, x } = data;
  const out: Float64Array[] = [];
  const X: Matrix = { rows: n, cols: d, data: x };
  for (let k = 0; k < K; k++) {
    const mean = p.means.subarray(k * d, (k + 1) * d);
    if (type === 'full') {
      let factor: GaussianFactor;
      try {
        factor = new GaussianFactor(mean, { rows: d, cols: d, data: p.covariances[k] });
      } catch (err) {
        throw new IllDefinedCovariance(`component ${k}: ${(err as Error).message}`);
      }
      out.push(factor.logDensity(X));
    } else {
      const v = p.covariances[k];
      let logNorm = -0.5 * d * Math.log(2 * Math.PI);
      for (let j = 0; j < d; j++) logNorm -= 0.5 * Math.log(v[j]);
      const l = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let q = 0;
        for (let j = 0; j < d; j++) {
          const t = x[i * d + j] - mean[j];
          q += (t * t) / v[j];
        }
        l[i] = logNorm - 0.5 * q;
      }
      out.push(l);
    }
  }
  return out;
}

/** E-step: responsibilities [N, K] and the mean log-likelihood per sample. */
function eStep(data: Data, p: Parameters, type: MixtureCovarianceType, K: number): { resp: Float64Array; logLikelihood: number } {
  const logN = componentLogDensities(data, p, type, K);
  const logW = Array.from(p.weights, Math.log);
  const resp = new Float64Array(data.n * K);
  const row = new Float64Array(K);
  let total = 0;
  for (let i = 0; i < data.n; i++) {
    let max = -Infinity;
    for (let k = 0; k < K; k++) {
      row[k] = logW[k] + logN[k][i];
      if (row[k] > max) max = row[k];
    }
    let s = 0;
    for (let k = 0; k < K; k++) s += Math.exp(row[k] - max);
    const lse = max + Math.log(s);
    total += lse;
    for (let k = 0; k < K; k++) resp[i * K + k] = Math.exp(row[k] - lse);
  }
  return { resp, logLikelihood: total / data.n };
}

/** M-step from responsibilities [N, K]; throws IllDefinedCovariance for a degenerate diagonal covariance. */
function mStep(data: Data, resp: Float64Array, type: MixtureCovarianceType, K: number, reg: number): Parameters {
  const { n, d, x } = data;
  const nk = new Float64Array(K).fill(10 * EPS);
  const means = new Float64Array(K * d);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < K; k++) {
      const r = resp[i * K + k];
      if (r === 0) continue;
      nk[k] += r;
      for (let j = 0; j < d; j++) means[k * d + j] += r * x[i * d + j];
    }
  }
  for (let k = 0; k < K; k++) for (let j = 0; j < d; j++) means[k * d + j] /= nk[k];
  const covariances: Float64Array[] = [];
  const diff = new Float64Array(d);
  for (let k = 0; k < K; k++) {
    const mu = means.subarray(k * d, (k + 1) * d);
    if (type === 'full') {
      const c = new Float64Array(d * d);
      for (let i = 0; i < n; i++) {
        const r = resp[i * K + k];
        if (r === 0) continue;
        for (let a = 0; a < d; a++) diff[a] = x[i * d + a] - mu[a];
        for (let a = 0; a < d; a++) {
          const ra = r * diff[a];
          for (let b = 0; b <= a; b++) c[a * d + b] += ra * diff[b];
        }
      }
      for (let a = 0; a < d; a++) {
        for (let b = 0; b <= a; b++) {
          const v = c[a * d + b] / nk[k];
          c[a * d + b] = v;
          c[b * d + a] = v; // exactly symmetric
        }
        c[a * d + a] += reg;
      }
      covariances.push(c);
    } else {
      const v = new Float64Array(d);
      const second = new Float64Array(d);
      for (let i = 0; i < n; i++) {
        const r = resp[i * K + k];
        if (r === 0) continue;
        for (let j = 0; j < d; j++) {
          const t = x[i * d + j] - mu[j];
          v[j] += r * t * t;
          second[j] += r * x[i * d + j] * x[i * d + j];
        }
      }
      for (let j = 0; j < d; j++) {
        v[j] = v[j] / nk[k] + reg;
        // Below eps times the second moment, a variance is roundoff of the two-pass sum (cf. linalg's pivot floor).
        const floor = EPS * (second[j] / nk[k]);
        if (!(v[j] > floor)) {
          throw new IllDefinedCovariance(`component ${k}: variance ${j} is ${v[j]}, not above roundoff (${floor})`);
        }
      }
      covariances.push(v);
    }
  }
  const weights = nk.map((w) => w / n);
  return { weights, means, covariances };
}

// ---------------------------------------------------------------------------------------------------------------
// The fit

/**
 * Fit a K-component Gaussian mixture to the rows of `data` by EM (see the file header). Async: tensors are read
 * back, and the loop yields to the event loop between iterations (abort, progress).
 */
export async function fitGaussianMixture(
  data: Float64Array | number[][] | tf.Tensor2D,
  options: GaussianMixtureFitOptions,
): Promise<GaussianMixtureFit> {
  if (options === undefined) invalidOption(FN, 'options', options, 'an options object with numComponents');
  const o = checkOptions<GaussianMixtureFitOptions>(FN, options, OPTION_NAMES);
  const K = checkInteger(FN, 'numComponents', o.numComponents);
  const type = checkChoice(FN, 'covarianceType', o.covarianceType ?? 'full', ['full', 'diag'] as const);
  const reg0 = checkNumber(FN, 'regCovar', o.regCovar ?? DEFAULT_REG_COVAR, 'nonNegative');
  const maxReg = checkNumber(FN, 'maxRegCovar', o.maxRegCovar ?? Math.max(1e-2, reg0), 'nonNegative');
  if (maxReg < reg0) invalidOption(FN, 'maxRegCovar', maxReg, `a number >= regCovar = ${reg0}`);
  const tol = checkNumber(FN, 'tol', o.tol ?? 1e-3, 'nonNegative');
  const maxIter = checkInteger(FN, 'maxIter', o.maxIter ?? 100, 0);
  const kmeansIterations = checkInteger(FN, 'kmeansIterations', o.kmeansIterations ?? 10, 0);
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') invalidOption(FN, 'onProgress', o.onProgress, 'a function');
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) invalidOption(FN, 'signal', o.signal, 'an AbortSignal');
  const dataset = await readData(data, o.dim);
  const { n, d } = dataset;
  if (K > n) invalidOption(FN, 'numComponents', K, `at most the number of points N = ${n}`);

  // Initial responsibilities (shared by every regCovar attempt).
  let meansInit: Float64Array | null = null;
  let labels: Int32Array;
  if (o.meansInit !== undefined) {
    meansInit = readMeansInit(o.meansInit, K, d);
    labels = nearestCentres(dataset, meansInit, K);
  } else {
    if (o.key === undefined) invalidOption(FN, 'key', o.key, 'a random Key (k-means++ seeding) when meansInit is not given');
    const centres = kmeansPlusPlus(dataset, K, o.key);
    labels = lloyd(dataset, centres, K, kmeansIterations);
  }
  const initialResp = oneHot(labels, K);

  const failures: RegCovarFailure[] = [];
  for (let reg = reg0; ; ) {
    try {
      const fit = await runEm(dataset, initialResp, meansInit, type, K, reg, tol, maxIter, o);
      return { ...fit, regCovarFailures: failures };
    } catch (err) {
      if (!(err instanceof IllDefinedCovariance)) throw err;
      failures.push({ regCovar: reg, reason: err.message });
      // x 10, rounded to 15 digits so that the reported values read 1e-5, 1e-4, ... (not 9.999999999999999e-6)
      const next = reg > 0 ? Number((reg * REG_COVAR_GROWTH).toPrecision(15)) : DEFAULT_REG_COVAR;
      if (next > maxReg * (1 + 1e-9)) {
        throw new Error(
          `${FN}: the fit has a covariance that is not positive definite at every regCovar tried ` +
            `(${failures.map((f) => f.regCovar).join(', ')}; option "maxRegCovar" = ${maxReg}); last failure: ${err.message}. ` +
            `Raise maxRegCovar, lower numComponents, or check the data for duplicated or collinear points.`,
        );
      }
      reg = next;
    }
  }
}

async function runEm(
  data: Data,
  initialResp: Float64Array,
  meansInit: Float64Array | null,
  type: MixtureCovarianceType,
  K: number,
  reg: number,
  tol: number,
  maxIter: number,
  o: Partial<GaussianMixtureFitOptions>,
): Promise<Omit<GaussianMixtureFit, 'regCovarFailures'>> {
  let params = mStep(data, initialResp, type, K, reg);
  if (meansInit) params.means = Float64Array.from(meansInit);
  const history: number[] = [];
  let iterations = 0;
  let converged = false;
  for (;;) {
    if (o.signal?.aborted) throw new AbortError(`${FN}: aborted after ${iterations} EM iterations (regCovar = ${reg})`);
    const { resp, logLikelihood } = eStep(data, params, type, K);
    const change = history.length > 0 ? logLikelihood - history[history.length - 1] : NaN;
    history.push(logLikelihood);
    o.onProgress?.({ iteration: iterations, logLikelihood, change, regCovar: reg });
    if (Math.abs(change) < tol) {
      converged = true;
      break;
    }
    if (iterations >= maxIter) break;
    params = mStep(data, resp, type, K, reg);
    iterations++;
    await yieldToEventLoop();
  }
  throwIfAborted(o.signal, FN);
  const { d } = data;
  const means = Array.from({ length: K }, (_, k) => Array.from(params.means.subarray(k * d, (k + 1) * d)));
  const covariances =
    type === 'full'
      ? params.covariances.map((c) => Array.from({ length: d }, (_, a) => Array.from(c.subarray(a * d, (a + 1) * d))))
      : params.covariances.map((v) => Array.from(v));
  return {
    weights: Array.from(params.weights),
    means,
    covariances,
    covarianceType: type,
    logLikelihood: history[history.length - 1],
    logLikelihoodHistory: history,
    converged,
    iterations,
    regCovar: reg,
  };
}

