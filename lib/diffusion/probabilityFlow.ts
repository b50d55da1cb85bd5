/**
 * The probability-flow ODE of a diffusion model (Song et al. 2021, eq. 13) and its log-density by the
 * instantaneous change of variables (Chen et al. 2018, FFJORD):
 *
 *   dx/dt = v(x, t) = f(t) x - 1/2 g(t)^2 score(x, t),          d/dt log p_t(x_t) = -div v(x_t, t),
 *   div v = d f(t) - 1/2 g(t)^2 div score,
 *   so  log p_from(x_from) = log p_to(x_to) + int_from^to div v(x_t, t) dt.
 *
 * f and g^2 come from the model's schedule (schedule.ts). The ODE is integrated with a fixed-step classical RK4
 * (default; 4 score evaluations per step, global error O(h^4)) or Heun's method (explicit trapezoid, 2 evaluations,
 * O(h^2)), forward (data -> noise, from < to) or backward (noise -> data, from > to), on a grid uniform in t or in
 * log-SNR (`timeGrid`) or on given times. The log-density integrates the augmented state (x, int div v) with the
 * same scheme.
 *
 * The divergence of the score: 'exact' uses the model's closed form when it has one (`scoreDivergence`: the
 * perfect model's Hessian trace), else d backpropagation passes (column i of the Jacobian from the vector-Jacobian
 * product with e_i); 'hutchinson' uses E[eps^T J eps] with Rademacher probes eps drawn once per solve from the key
 * (fixed along the trajectory, as in FFJORD: an unbiased estimate of the whole integral), one backward pass per
 * probe. 'auto' (default) is exact for d <= exactMaxDim (default 8) and Hutchinson above.
 */
import * as tf from '@tensorflow/tfjs';
import { bernoulli, type Key } from '../core/random.js';
import { checkChoice, checkInteger, checkOptions, invalidOption } from '../core/validate.js';
import { checkDiffusionModel, type DiffusionModel } from './diffusionModel.js';
import { checkBatch } from './forwardNoising.js';
import { checkTime, timeGrid, type GridSpacing } from './schedule.js';

export type FlowMethod = 'rk4' | 'heun';
export type DivergenceMethod = 'auto' | 'exact' | 'hutchinson';

export interface ProbabilityFlowOptions {
  /** Integration times (strictly monotone, >= 2 entries, in [0, T]); when given, from / to / numSteps / spacing are not used. */
  times?: ArrayLike<number>;
  /** Start time (the time of x). integrateProbabilityFlow: required unless `times`; probabilityFlowLogDensity: default 0. */
  from?: number;
  /** End time. integrateProbabilityFlow: required unless `times`; probabilityFlowLogDensity: default T. */
  to?: number;
  /** Number of steps (required unless `times`). */
  numSteps?: number;
  /** Grid between from and to: 'uniform' in t (default) or 'logSnr'. */
  spacing?: GridSpacing;
  /** 'rk4' (default) or 'heun'. */
  method?: FlowMethod;
}

export interface FlowLogDensityOptions extends ProbabilityFlowOptions {
  /** See the file header; default 'auto'. */
  divergence?: DivergenceMethod;
  /** Largest d for which 'auto' is exact; default 8. */
  exactMaxDim?: number;
  /** Hutchinson probes per row; default 1. */
  numProbes?: number;
  /** log p_to of the end points, [n, d] -> [n]; default the schedule's reference N(0, priorStd^2 I). */
  terminalLogDensity?: (x: tf.Tensor2D) => tf.Tensor1D;
}

export interface FlowLogDensityResult {
  /** log p_from(x), [n]. */
  logDensity: tf.Tensor1D;
  /** x_to, [n, d]. */
  endpoint: tf.Tensor2D;
  /** log p_to(x_to), [n]. */
  terminalLogDensity: tf.Tensor1D;
  /** int_from^to div v dt along each path, [n] (logDensity = terminalLogDensity + this). */
  divergenceIntegral: tf.Tensor1D;
}

const FLOW_OPTIONS = ['times', 'from', 'to', 'numSteps', 'spacing', 'method'];
const LOG_DENSITY_OPTIONS = [...FLOW_OPTIONS, 'divergence', 'exactMaxDim', 'numProbes', 'terminalLogDensity'];

/** v(x, t) = f(t) x - 1/2 g(t)^2 score(x, t), [n, d]. */
export function probabilityFlowVelocity(model: DiffusionModel, x: tf.Tensor2D, t: number): tf.Tensor2D {
  const fn = 'probabilityFlowVelocity';
  checkDiffusionModel(fn, model);
  checkBatch(fn, 'x', x, model.dim);
  checkTime(fn, 't', t, model.schedule.horizon);
  return velocity(model, x, t);
}

function velocity(model: DiffusionModel, x: tf.Tensor2D, t: number): tf.Tensor2D {
  const f = model.schedule.drift(t);
  const g2 = model.schedule.diffusionSquared(t);
  return tf.tidy(() => tf.sub(tf.mul(x, f), tf.mul(model.score(x, t), 0.5 * g2)) as tf.Tensor2D);
}

/** div of a vector field [n, d] -> [n, d] (rows independent) at x, exactly: d vector-Jacobian products. */
export function exactDivergence(field: (x: tf.Tensor2D) => tf.Tensor2D, x: tf.Tensor2D): tf.Tensor1D {
  const fn = 'exactDivergence';
  if (typeof field !== 'function') invalidOption(fn, 'field', field, 'a function [n, d] -> [n, d]');
  const batch = checkBatch(fn, 'x', x);
  const d = batch.shape[1];
  return tf.tidy(() => {
    let total: tf.Tensor = tf.zeros([batch.shape[0]]);
    for (let i = 0; i < d; i++) {
      const unit = tf.oneHot(tf.tensor1d([i], 'int32'), d).toFloat(); // e_i as [1, d]
      const rowOfJacobian = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(field(xi as tf.Tensor2D), unit)))(batch);
      total = tf.add(total, tf.reshape(tf.slice(rowOfJacobian, [0, i], [-1, 1]), [-1]));
    }
    return total as tf.Tensor1D;
  });
}

/** Rademacher (+-1) probes [numProbes, n, d] from `key`. */
export function rademacherProbes(key: Key, numProbes: number, n: number, d: number): tf.Tensor3D {
  const fn = 'rademacherProbes';
  checkInteger(fn, 'numProbes', numProbes, 1);
  checkInteger(fn, 'n', n, 0);
  checkInteger(fn, 'd', d, 1);
  return tf.tidy(() => tf.sub(tf.mul(bernoulli(key, 0.5, [numProbes, n, d]), 2), 1) as tf.Tensor3D);
}

/** Hutchinson's estimate mean_p eps_p^T J eps_p of div field at x, with probes [numProbes, n, d] (one backward pass each). */
export function hutchinsonDivergence(field: (x: tf.Tensor2D) => tf.Tensor2D, x: tf.Tensor2D, probes: tf.Tensor3D): tf.Tensor1D {
  const fn = 'hutchinsonDivergence';
  if (typeof field !== 'function') invalidOption(fn, 'field', field, 'a function [n, d] -> [n, d]');
  const batch = checkBatch(fn, 'x', x);
  const [n, d] = batch.shape;
  if (!(probes instanceof tf.Tensor) || probes.rank !== 3 || probes.shape[1] !== n || probes.shape[2] !== d) {
    invalidOption(fn, 'probes', probes, `a tensor of shape [numProbes, ${n}, ${d}]`);
  }
  const numProbes = probes.shape[0];
  return tf.tidy(() => {
    let total: tf.Tensor = tf.zeros([n]);
    for (let p = 0; p < numProbes; p++) {
      const eps = tf.reshape(tf.slice(probes, [p, 0, 0], [1, n, d]), [n, d]);
      // J^T eps per row, then eps . (J^T eps) = eps^T J eps
      const vjp = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(field(xi as tf.Tensor2D), eps)))(batch);
      total = tf.add(total, tf.sum(tf.mul(vjp, eps), 1));
    }
    return tf.div(total, numProbes) as tf.Tensor1D;
  });
}

/** The integration times from the options (float64, strictly monotone). */
function flowTimes(fn: string, model: DiffusionModel, opts: ProbabilityFlowOptions, defaults: { from?: number; to?: number }): Float64Array {
  const T = model.schedule.horizon;
  if (opts.times !== undefined) {
    const given = opts.times as unknown;
    const isArrayLike = Array.isArray(given) || (ArrayBuffer.isView(given) && !(given instanceof DataView));
    if (!isArrayLike || (given as ArrayLike<unknown>).length < 2) invalidOption(fn, 'times', given, 'an array of at least 2 times');
    const times = Float64Array.from(given as ArrayLike<number>, (t, i) => checkTime(fn, `times[${i}]`, t, T));
    const sign = Math.sign(times[1] - times[0]);
    for (let k = 1; k < times.length; k++) {
      if (sign === 0 || Math.sign(times[k] - times[k - 1]) !== sign) {
        invalidOption(fn, `times[${k}]`, times[k], `strictly monotone times (times[${k - 1}] = ${times[k - 1]})`);
      }
    }
    return times;
  }
  if (opts.from === undefined && defaults.from === undefined) invalidOption(fn, 'from', opts.from, 'a start time in [0, T] (or the option "times")');
  if (opts.to === undefined && defaults.to === undefined) invalidOption(fn, 'to', opts.to, 'an end time in [0, T] (or the option "times")');
  const from = checkTime(fn, 'from', opts.from ?? defaults.from, T);
  const to = checkTime(fn, 'to', opts.to ?? defaults.to, T);
  if (from === to) invalidOption(fn, 'to', to, `a time different from from = ${from}`);
  const numSteps = checkInteger(fn, 'numSteps', opts.numSteps, 1);
  const grid = timeGrid(model.schedule, numSteps, { spacing: opts.spacing ?? 'uniform', tStart: Math.min(from, to), tEnd: Math.max(from, to) });
  return from < to ? grid : grid.reverse();
}

type Field = (x: tf.Tensor2D, t: number) => { velocity: tf.Tensor2D; divergence: tf.Tensor1D | null };

/** Fixed-step RK4 / Heun on the state (x, integral of div v); the integral is null when not wanted. */
function integrate(times: Float64Array, method: FlowMethod, x0: tf.Tensor2D, field: Field, withDivergence: boolean) {
  let x = tf.clone(x0);
  let integral: tf.Tensor1D | null = withDivergence ? (tf.zeros([x0.shape[0]]) as tf.Tensor1D) : null;
  for (let k = 0; k + 1 < times.length; k++) {
    const t = times[k];
    const h = times[k + 1] - t;
    const next = tf.tidy(() => {
      const axpy = (a: tf.Tensor2D, b: tf.Tensor2D, c: number) => tf.add(a, tf.mul(b, c)) as tf.Tensor2D;
      const combine = (parts: tf.Tensor[], weights: number[]) => parts.reduce((acc, p, i) => tf.add(acc, tf.mul(p, weights[i])), tf.zerosLike(parts[0]));
      let stages: { velocity: tf.Tensor2D; divergence: tf.Tensor1D | null }[];
      let weights: number[];
      if (method === 'rk4') {
        const s1 = field(x, t);
        const s2 = field(axpy(x, s1.velocity, h / 2), t + h / 2);
        const s3 = field(axpy(x, s2.velocity, h / 2), t + h / 2);
        const s4 = field(axpy(x, s3.velocity, h), times[k + 1]);
        stages = [s1, s2, s3, s4];
        weights = [h / 6, h / 3, h / 3, h / 6];
      } else {
        const s1 = field(x, t);
        const s2 = field(axpy(x, s1.velocity, h), times[k + 1]);
        stages = [s1, s2];
        weights = [h / 2, h / 2];
      }
      const newX = tf.add(x, combine(stages.map((s) => s.velocity), weights)) as tf.Tensor2D;
      const newIntegral = integral === null ? null : (tf.add(integral, combine(stages.map((s) => s.divergence as tf.Tensor1D), weights)) as tf.Tensor1D);
      return newIntegral === null ? [newX] : [newX, newIntegral];
    });
    x.dispose();
    integral?.dispose();
    x = next[0] as tf.Tensor2D;
    integral = withDivergence ? (next[1] as tf.Tensor1D) : null;
  }
  return { x, integral };
}

/**
 * x_to from x_from along the probability-flow ODE (see the file header), [n, d]. Backward integration
 * (from > to) maps noise to data.
 */
export function integrateProbabilityFlow(model: DiffusionModel, x: tf.Tensor2D, options: ProbabilityFlowOptions): tf.Tensor2D {
  const fn = 'integrateProbabilityFlow';
  checkDiffusionModel(fn, model);
  const batch = checkBatch(fn, 'x', x, model.dim);
  const opts = checkOptions<ProbabilityFlowOptions>(fn, options, FLOW_OPTIONS);
  const method = checkChoice(fn, 'method', opts.method ?? 'rk4', ['rk4', 'heun'] as const);
  const times = flowTimes(fn, model, opts, {});
  return integrate(times, method, batch, (xi, t) => ({ velocity: velocity(model, xi, t), divergence: null }), false).x;
}

/** log N(x; 0, std^2 I), [n]. */
function isotropicGaussianLogDensity(x: tf.Tensor2D, std: number): tf.Tensor1D {
  const d = x.shape[1];
  return tf.tidy(() => tf.sub(tf.mul(tf.sum(tf.square(x), 1), -0.5 / (std * std)), 0.5 * d * Math.log(2 * Math.PI * std * std)) as tf.Tensor1D);
}

/**
 * log p_from(x) by the instantaneous change of variables along the probability-flow ODE from `from` (default 0) to
 * `to` (default T), with the end density `terminalLogDensity` (see the file header). `key` draws the Hutchinson
 * probes (unused by the exact divergence).
 */
export function probabilityFlowLogDensity(model: DiffusionModel, key: Key, x: tf.Tensor2D, options: FlowLogDensityOptions): FlowLogDensityResult {
  const fn = 'probabilityFlowLogDensity';
  checkDiffusionModel(fn, model);
  const batch = checkBatch(fn, 'x', x, model.dim);
  const opts = checkOptions<FlowLogDensityOptions>(fn, options, LOG_DENSITY_OPTIONS);
  const method = checkChoice(fn, 'method', opts.method ?? 'rk4', ['rk4', 'heun'] as const);
  const choice = checkChoice(fn, 'divergence', opts.divergence ?? 'auto', ['auto', 'exact', 'hutchinson'] as const);
  const exactMaxDim = checkInteger(fn, 'exactMaxDim', opts.exactMaxDim ?? 8, 0);
  const numProbes = checkInteger(fn, 'numProbes', opts.numProbes ?? 1, 1);
  const terminal = opts.terminalLogDensity ?? ((xT: tf.Tensor2D) => isotropicGaussianLogDensity(xT, model.schedule.priorStd));
  if (typeof terminal !== 'function') invalidOption(fn, 'terminalLogDensity', terminal, 'a function [n, d] -> [n]');
  const times = flowTimes(fn, model, opts, { from: 0, to: model.schedule.horizon });
  const [n, d] = batch.shape;
  const exact = choice === 'exact' || (choice === 'auto' && d <= exactMaxDim);
  const probes = exact ? null : rademacherProbes(key, numProbes, n, d);
  const scoreDivergence = (xi: tf.Tensor2D, t: number): tf.Tensor1D => {
    const score = (u: tf.Tensor2D) => model.score(u, t);
    if (!exact) return hutchinsonDivergence(score, xi, probes as tf.Tensor3D);
    return model.scoreDivergence ? model.scoreDivergence(xi, t) : exactDivergence(score, xi);
  };
  const field: Field = (xi, t) => {
    const f = model.schedule.drift(t);
    const g2 = model.schedule.diffusionSquared(t);
    return {
      velocity: velocity(model, xi, t),
      divergence: tf.sub(d * f, tf.mul(scoreDivergence(xi, t), 0.5 * g2)) as tf.Tensor1D,
    };
  };
  try {
    const { x: endpoint, integral } = integrate(times, method, batch, field, true);
    const divergenceIntegral = integral as tf.Tensor1D;
    const terminalLogDensity = terminal(endpoint);
    if (!(terminalLogDensity instanceof tf.Tensor) || terminalLogDensity.rank !== 1 || terminalLogDensity.shape[0] !== n) {
      tf.dispose([endpoint, divergenceIntegral]);
      invalidOption(fn, 'terminalLogDensity', terminalLogDensity, `a function returning a tensor of shape [${n}]`);
    }
    const logDensity = tf.add(terminalLogDensity, divergenceIntegral) as tf.Tensor1D;
    return { logDensity, endpoint, terminalLogDensity, divergenceIntegral };
  } finally {
    probes?.dispose();
  }
}
