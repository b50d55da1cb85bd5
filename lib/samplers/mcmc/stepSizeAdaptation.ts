/**
 * Step-size adaptation rules.
 *
 * Multiplicative heuristics of the reference code (nfmcmc spec sections 1.3 and 4.3; slips spec section 4.3):
 * - shared (flow_mcmc `heuristics_step_size`): one h for all chains, driven by the fraction of chains that
 *   accepted; x factor if acc - target > tolerance, / factor if target - acc > tolerance, else h <- min(h, max);
 * - per chain, SLIPS (`heuristics_step_size_vectorized`): acc = min(1, e^{log alpha}) per chain; x factor if
 *   acc > target + tolerance, / factor if acc < target - tolerance; then h <- min(h, max) (factor 1.03,
 *   tolerance 0.01, max 1);
 * - per chain, LRDS (`additions/mcmc.heuristics_step_size`): on the unclipped log alpha, x factor if
 *   log alpha > log target + log(1 + tolerance), / factor if log alpha < log target + log(1 - tolerance)
 *   (factor 1.01, tolerance 0.05, no cap). A NaN log alpha counts as a rejection (the step size shrinks).
 * Per-chain rules are tensor ops on the [n] step sizes (no read-back); the shared rule works on numbers.
 *
 * Dual averaging (Hoffman & Gelman 2014, Algorithm 5 / eq. (6)): with mu = log(10 h0), gamma = 0.05, t0 = 10,
 * kappa = 0.75 and target acceptance delta, after the m-th acceptance statistic a_m:
 *   Hbar_m = (1 - 1/(m + t0)) Hbar_{m-1} + (delta - a_m) / (m + t0),
 *   log h_m = mu - sqrt(m) / gamma * Hbar_m,
 *   log hbar_m = m^{-kappa} log h_m + (1 - m^{-kappa}) log hbar_{m-1}   (hbar_0 = 1);
 * h_m is used while adapting, hbar_m once adaptation ends. The state is a plain JSON-serialisable object.
 */
import * as tf from '@tensorflow/tfjs';
import { checkInterval, checkNumber } from '../../core/validate.js';
import { invalid } from './metropolis.js';

// ------------------------------------------------------------------------------------------------------------
// Multiplicative rules

export interface MultiplicativeRule {
  /** Target acceptance tau. */
  targetAcceptance: number;
  /** Multiplicative factor (> 1). */
  factor: number;
  /** Dead band around the target (absolute for the shared and SLIPS rules, relative for the LRDS rule). */
  tolerance: number;
  /** Cap on the step size (Infinity: none). */
  maxStepSize: number;
}

/** flow_mcmc: shared step size, batch acceptance fraction, tau = 0.75, factor 1.05, tolerance 0.03, cap 1. */
export const FLOW_MCMC_RULE: Readonly<MultiplicativeRule> = Object.freeze({
  targetAcceptance: 0.75,
  factor: 1.05,
  tolerance: 0.03,
  maxStepSize: 1,
});

/** SLIPS: per chain, acc = min(1, e^{log alpha}), tau = 0.75, factor 1.03, tolerance 0.01, cap 1. */
export const SLIPS_RULE: Readonly<MultiplicativeRule> = Object.freeze({
  targetAcceptance: 0.75,
  factor: 1.03,
  tolerance: 0.01,
  maxStepSize: 1,
});

/** LRDS: per chain, unclipped log alpha, tau = 0.75, factor 1.01, relative tolerance 0.05, no cap. */
export const LRDS_RULE: Readonly<MultiplicativeRule> = Object.freeze({
  targetAcceptance: 0.75,
  factor: 1.01,
  tolerance: 0.05,
  maxStepSize: Infinity,
});

function checkRule(where: string, rule: MultiplicativeRule, relativeTolerance: boolean): MultiplicativeRule {
  if (rule == null || typeof rule !== 'object') {
    invalid(where, 'rule', rule, 'an object { targetAcceptance, factor, tolerance, maxStepSize }');
  }
  const { targetAcceptance, factor, tolerance, maxStepSize } = rule;
  checkInterval(where, 'rule.targetAcceptance', targetAcceptance, '(0, 1)');
  if (typeof factor !== 'number' || !Number.isFinite(factor) || !(factor > 1)) {
    invalid(where, 'rule.factor', factor, 'a finite number > 1');
  }
  const maxTolerance = relativeTolerance ? 1 : Infinity;
  if (typeof tolerance !== 'number' || !(tolerance >= 0 && tolerance < maxTolerance)) {
    invalid(where, 'rule.tolerance', tolerance, relativeTolerance ? 'a number in [0, 1)' : 'a finite number >= 0');
  }
  if (typeof maxStepSize !== 'number' || !(maxStepSize > 0)) {
    invalid(where, 'rule.maxStepSize', maxStepSize, 'a number > 0 (Infinity: no cap)');
  }
  return rule;
}

/**
 * flow_mcmc's shared rule (`heuristics_step_size`): one step size for all chains from the fraction of chains
 * that accepted the last step (read it back once per step, e.g. `mean(info.isAccepted)`). As in the reference,
 * the cap applies in the dead band only.
 */
export function adaptSharedStepSize(
  stepSize: number,
  acceptanceFraction: number,
  rule: MultiplicativeRule = FLOW_MCMC_RULE,
): number {
  const where = 'adaptSharedStepSize';
  checkNumber(where, 'stepSize', stepSize, 'positive');
  checkInterval(where, 'acceptanceFraction', acceptanceFraction, '[0, 1]');
  const { targetAcceptance, factor, tolerance, maxStepSize } = checkRule(where, rule, false);
  if (acceptanceFraction - targetAcceptance > tolerance) return stepSize * factor;
  if (targetAcceptance - acceptanceFraction > tolerance) return stepSize / factor;
  return Math.min(stepSize, maxStepSize);
}

function checkPerChain(where: string, stepSize: unknown, statistic: unknown, statisticName: string): void {
  if (!(stepSize instanceof tf.Tensor) || stepSize.rank !== 1 || stepSize.dtype !== 'float32') {
    invalid(where, 'stepSize', stepSize, 'a float32 tensor [n] of per-chain step sizes');
  }
  if (!(statistic instanceof tf.Tensor) || statistic.rank !== 1 || statistic.shape[0] !== stepSize.shape[0]) {
    invalid(where, statisticName, statistic, `a tensor of shape [${stepSize.shape[0]}] (one value per chain, from info)`);
  }
}

/**
 * The per-chain multiplicative step: h x factor where `statistic` > upper, h / factor where it is not >= lower
 * (so NaN counts as a rejection), unchanged in between; then capped at `maxStepSize` (Infinity: no cap).
 */
function scalePerChain(
  stepSize: tf.Tensor1D,
  statistic: tf.Tensor1D,
  lower: number,
  upper: number,
  factor: number,
  maxStepSize: number,
): tf.Tensor1D {
  return tf.tidy(() => {
    const up = tf.cast(tf.greater(statistic, upper), 'float32');
    const down = tf.cast(tf.logicalNot(tf.greaterEqual(statistic, lower)), 'float32');
    const scaled = tf.mul(stepSize, tf.pow(factor, tf.sub(up, down)));
    return (Number.isFinite(maxStepSize) ? tf.minimum(scaled, maxStepSize) : scaled) as tf.Tensor1D;
  });
}

/**
 * SLIPS per-chain rule on the per-chain acceptance probability min(1, e^{log alpha}) (`info.acceptanceRate`).
 * Returns the new [n] step sizes (a new tensor).
 */
export function adaptStepSizePerChain(
  stepSize: tf.Tensor1D,
  acceptanceRate: tf.Tensor1D,
  rule: MultiplicativeRule = SLIPS_RULE,
): tf.Tensor1D {
  const where = 'adaptStepSizePerChain';
  checkPerChain(where, stepSize, acceptanceRate, 'acceptanceRate');
  const { targetAcceptance, factor, tolerance, maxStepSize } = checkRule(where, rule, false);
  // NaN (not from this library's kernels, which report 0) shrinks the step as a rejection would.
  return scalePerChain(stepSize, acceptanceRate, targetAcceptance - tolerance, targetAcceptance + tolerance, factor, maxStepSize);
}

/**
 * LRDS per-chain rule on the unclipped log-acceptance (`info.logAcceptance`); NaN counts as a rejection.
 * Returns the new [n] step sizes (a new tensor).
 */
export function adaptStepSizePerChainLog(
  stepSize: tf.Tensor1D,
  logAcceptance: tf.Tensor1D,
  rule: MultiplicativeRule = LRDS_RULE,
): tf.Tensor1D {
  const where = 'adaptStepSizePerChainLog';
  checkPerChain(where, stepSize, logAcceptance, 'logAcceptance');
  const { targetAcceptance, factor, tolerance, maxStepSize } = checkRule(where, rule, true);
  const upper = Math.log(targetAcceptance) + Math.log1p(tolerance);
  const lower = Math.log(targetAcceptance) + Math.log1p(-tolerance);
  return scalePerChain(stepSize, logAcceptance, lower, upper, factor, maxStepSize);
}

// ------------------------------------------------------------------------------------------------------------
// Between SMC levels (smc, ais, amc: one rule)

/** SMC's per-level rule: log h <- log h + rate · (acceptance − targetAcceptance), clamped to [min, max]. */
export interface StepSizeAdaptation {
  /** E.g. 0.574 for MALA, 0.234 for RWMH, 0.65 for HMC. */
  targetAcceptance: number;
  /** Default 1. */
  rate?: number;
  /** Default 0 (no lower clamp). */
  minStepSize?: number;
  /** Default Infinity (SLIPS caps MALA at 1). */
  maxStepSize?: number;
}

/** The step size for the next level after a level's mean acceptance (see StepSizeAdaptation). */
export function adaptStepSizeBetweenLevels(stepSize: number, acceptanceRate: number, rule: Required<StepSizeAdaptation>): number {
  const next = stepSize * Math.exp(rule.rate * (acceptanceRate - rule.targetAcceptance));
  return Math.min(rule.maxStepSize, Math.max(rule.minStepSize, next));
}

// ------------------------------------------------------------------------------------------------------------
// Dual averaging

export interface DualAveragingOptions {
  /** Target mean acceptance delta (default 0.8, the nfmcmc HMC setting; 0.574 suits MALA). */
  targetAcceptance?: number;
  /** Shrinkage gamma (default 0.05). */
  gamma?: number;
  /** Stabilisation t0 (default 10). */
  t0?: number;
  /** Averaging exponent kappa (default 0.75). */
  kappa?: number;
}

/** Plain, JSON-serialisable dual-averaging state. */
export interface DualAveragingState {
  /** m, the number of updates so far. */
  iteration: number;
  /** log h_m: the step size to use while adapting. */
  logStepSize: number;
  /** log hbar_m: the averaged step size to use after adaptation. */
  logAveragedStepSize: number;
  /** Hbar_m, the running mean of (delta - a). */
  averagedError: number;
  /** mu = log(10 h0), the point log h is shrunk towards. */
  mu: number;
  targetAcceptance: number;
  gamma: number;
  t0: number;
  kappa: number;
}

export const dualAveraging = {
  /** Start from the initial step size h0. */
  init(initialStepSize: number, options: DualAveragingOptions = {}): DualAveragingState {
    const where = 'dualAveraging.init';
    checkNumber(where, 'initialStepSize', initialStepSize, 'positive');
    if (options == null || typeof options !== 'object') invalid(where, 'options', options, 'an options object');
    const targetAcceptance = checkInterval(where, 'targetAcceptance', options.targetAcceptance ?? 0.8, '(0, 1)');
    const gamma = checkNumber(where, 'gamma', options.gamma ?? 0.05, 'positive');
    const t0 = checkNumber(where, 't0', options.t0 ?? 10, 'nonNegative');
    const kappa = checkInterval(where, 'kappa', options.kappa ?? 0.75, '(0, 1]');
    return {
      iteration: 0,
      logStepSize: Math.log(initialStepSize),
      logAveragedStepSize: 0,
      averagedError: 0,
      mu: Math.log(10 * initialStepSize),
      targetAcceptance,
      gamma,
      t0,
      kappa,
    };
  },

  /** One update with the acceptance statistic a in [0, 1] of the last step (e.g. the chains' mean acceptanceRate). */
  update(state: DualAveragingState, acceptanceRate: number): DualAveragingState {
    const where = 'dualAveraging.update';
    if (state == null || typeof state !== 'object' || !Number.isInteger(state.iteration)) {
      invalid(where, 'state', state, 'a state from dualAveraging.init or .update');
    }
    checkInterval(where, 'acceptanceRate', acceptanceRate, '[0, 1]');
    const m = state.iteration + 1;
    const eta = 1 / (m + state.t0);
    const averagedError = (1 - eta) * state.averagedError + eta * (state.targetAcceptance - acceptanceRate);
    const logStepSize = state.mu - (Math.sqrt(m) / state.gamma) * averagedError;
    const weight = m ** -state.kappa;
    const logAveragedStepSize = weight * logStepSize + (1 - weight) * state.logAveragedStepSize;
    return { ...state, iteration: m, averagedError, logStepSize, logAveragedStepSize };
  },

  /** The step size to use for the next adaptation step, h_m. */
  stepSize(state: DualAveragingState): number {
    return Math.exp(state.logStepSize);
  },

  /** The step size to keep once adaptation ends, hbar_m (h0 itself before any update). */
  final(state: DualAveragingState): number {
    return state.iteration === 0 ? Math.exp(state.logStepSize) : Math.exp(state.logAveragedStepSize);
  },
};
