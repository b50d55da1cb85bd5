/**
 * The RDS evaluation outputs, from per-trajectory rnd read back once into float64 (spec slips-lrds-amcbg.md section
 * 2.2, BaseOCLoss.compute_results and hacking.evaluate_eubo), over trajectories with a finite rnd < maxRnd:
 * - generative paths: ELBO = -mean(rnd); IS weights w = exp(-rnd), log Z_IS = logsumexp(-rnd) - log N, with the
 *   delta-method standard error sqrt((1/ess - 1) / N); normalised ESS = (sum w)^2 / (N sum w^2).
 * - noising paths from exact target samples (controlledSde.forwardRnd): EUBO = -mean(rnd) (>= log Z >= ELBO in
 *   expectation) and the normalised forward ESS N^2 / (sum w sum 1/w) with w = exp(-rnd) (Midgley et al.; Z cancels).
 */
import { logSumExp64 } from '../../../core/logspace.js';
import { checkNumber } from '../../../core/validate.js';
import { DEFAULT_MAX_RND } from './rdsLosses.js';

export interface RdsEvaluation {
  /** Trajectories given and kept (finite rnd < maxRnd). */
  numTrajectories: number;
  numKept: number;
  elbo: number;
  logZ: number;
  logZStandardError: number;
  /** (sum w)^2 / (N sum w^2), in (0, 1]. */
  normalisedEss: number;
}

export interface RdsForwardEvaluation {
  numTrajectories: number;
  numKept: number;
  eubo: number;
  /** N^2 / (sum w sum 1/w), in (0, 1]. */
  forwardEss: number;
}

function keptValues(fn: string, rnd: ArrayLike<number>, maxRnd: number): Float64Array {
  checkNumber(fn, 'maxRnd', maxRnd);
  const out = Array.from(rnd).filter((r) => Number.isFinite(r) && r < maxRnd);
  if (out.length === 0) throw new Error(`${fn}: none of the ${rnd.length} trajectories has a finite rnd < maxRnd = ${maxRnd}; expected at least one (the control or the step size diverged)`);
  return Float64Array.from(out);
}

const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;

export function evaluateRnd(rnd: ArrayLike<number>, maxRnd = DEFAULT_MAX_RND): RdsEvaluation {
  const r = keptValues('evaluateRnd', rnd, maxRnd);
  const N = r.length;
  const logW = r.map((v) => -v);
  const lse = logSumExp64(logW);
  const lse2 = logSumExp64(logW.map((v) => 2 * v));
  const normalisedEss = Math.exp(2 * lse - lse2 - Math.log(N));
  return {
    numTrajectories: rnd.length,
    numKept: N,
    elbo: -mean(r),
    logZ: lse - Math.log(N),
    logZStandardError: Math.sqrt(Math.max(1 / normalisedEss - 1, 0) / N),
    normalisedEss,
  };
}

export function evaluateForwardRnd(rnd: ArrayLike<number>, maxRnd = DEFAULT_MAX_RND): RdsForwardEvaluation {
  const r = keptValues('evaluateForwardRnd', rnd, maxRnd);
  const N = r.length;
  const forwardEss = Math.exp(2 * Math.log(N) - logSumExp64(r.map((v) => -v)) - logSumExp64(r));
  return { numTrajectories: rnd.length, numKept: N, eubo: -mean(r), forwardEss };
}
