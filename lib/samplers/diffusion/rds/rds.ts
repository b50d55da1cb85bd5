/**
 * The reference-diffusion sampler as a ParticleSampler (spec slips-lrds-amcbg.md section 2.2):
 *
 *   const run = await rds(key(0), target, { numParticles: 8192, sde: vpSde(), reference, control });
 *   run.particles, run.logWeights (w ~ exp(-rnd)), run.logZ (IS) +- run.logZStandardError, run.details.evaluation (ELBO, ESS)
 *
 * It simulates the controlled generative SDE once (controlledSde.ts), reads the rnd back once, and reports the
 * evaluation outputs (rdsEvaluation.ts). The defaults are the fixed-reference special cases: `sde` VP (`vp_10`) and
 * `reference` the SDE's default Gaussian, i.e. DDS (VP) or PIS (`sde: pinnedBrownianSde()`); a GMM or energy
 * reference is LRDS. Without a control it runs the reference process itself (importance sampling from the reference
 * path measure); with `mixtureOptimalControl` it is the "perfect" RDS of a Gaussian-mixture target; a trained
 * network plugs in as `control`. Trajectories with rnd >= maxRnd get weight 0. Cost: target densities at the end,
 * and the control's evaluations as model score evaluations (the Gaussian / GMM reference scores are closed form).
 */
import * as tf from '@tensorflow/tfjs';
import { throwIfAborted } from '../../../core/abort.js';
import { normaliseLogWeights } from '../../../core/logspace.js';
import { readFloat64 } from '../../../core/readback.js';
import { checkChoice, checkInteger, checkOptions, invalidOption } from '../../../core/validate.js';
import { checkTarget } from '../../../targets/target.js';
import { countingTarget } from '../../countingTarget.js';
import { lowEssWarnings, zeroCost, type ParticleSampler } from '../../particleSampler.js';
import { simulateRds, type RdsControl } from './controlledSde.js';
import { RDS_SCHEMES, type RdsScheme } from './generativeSteps.js';
import { checkNoisingSde, vpSde, type NoisingSde } from './noisingSde.js';
import { DEFAULT_MAX_RND } from './rdsLosses.js';
import { evaluateRnd, type RdsEvaluation } from './rdsEvaluation.js';
import { checkGrid, rdsTimeGrid } from './rdsTimeGrid.js';
import { defaultReference, type RdsReference } from './referenceMarginal.js';

export interface RdsOptions {
  numParticles: number;
  /** Default vpSde() (beta 0.1 to 10, T = 1, sigma = 1). */
  sde?: NoisingSde;
  /** Default: the SDE's default Gaussian reference (DDS / PIS). */
  reference?: RdsReference;
  /** u(t, y) ~ grad log(p_t / p_t^ref); default none (the reference process). */
  control?: RdsControl;
  /** Default 'ei'. */
  scheme?: RdsScheme;
  /** Steps of the default grid (100) and its spacing ('uniform'); or the noising-time grid itself. */
  numSteps?: number;
  spacing?: 'uniform' | 'logSnr';
  grid?: ArrayLike<number>;
  /** Default 1e8. */
  maxRnd?: number;
}

export interface RdsDetails {
  evaluation: RdsEvaluation;
  /** Per-trajectory log RND (float64 copy of the device values). */
  rnd: Float64Array;
  grid: Float64Array;
  scheme: RdsScheme;
}

export const rds: ParticleSampler<RdsOptions> = async (key, target, options) => {
  const fn = 'rds';
  const started = performance.now();
  checkTarget(fn, target);
  const opts = checkOptions<RdsOptions & { signal?: AbortSignal; onProgress?: unknown }>(fn, options, [
    'numParticles', 'sde', 'reference', 'control', 'scheme', 'numSteps', 'spacing', 'grid', 'maxRnd', 'signal', 'onProgress',
  ]);
  const numParticles = checkInteger(fn, 'numParticles', opts.numParticles);
  const sde = checkNoisingSde(fn, opts.sde ?? vpSde());
  const scheme = checkChoice(fn, 'scheme', opts.scheme ?? 'ei', RDS_SCHEMES);
  if (opts.grid !== undefined && (opts.numSteps !== undefined || opts.spacing !== undefined)) {
    invalidOption(fn, 'grid', '(an array)', 'either `grid` or `numSteps` / `spacing`, not both');
  }
  const grid = opts.grid !== undefined
    ? checkGrid(fn, opts.grid, sde.horizon)
    : rdsTimeGrid(sde, checkInteger(fn, 'numSteps', opts.numSteps ?? 100), { spacing: opts.spacing });
  const reference = opts.reference ?? defaultReference(sde, target.dim);
  const maxRnd = opts.maxRnd ?? DEFAULT_MAX_RND;
  throwIfAborted(opts.signal, fn);

  const cost = zeroCost();
  const counted = countingTarget(target, cost);
  const control = opts.control;
  const countedControl: RdsControl | undefined = control && ((t, y) => {
    cost.modelScoreEvaluations += y.shape[0];
    return control(t, y);
  });
  const out = simulateRds(key, { sde, reference, target: counted, control: countedControl, grid, scheme, numParticles });
  out.start.dispose();
  const rnd = await readFloat64(out.rnd);
  out.rnd.dispose();
  if (opts.reference === undefined) reference.mixture?.dispose();
  const evaluation = evaluateRnd(rnd, maxRnd);
  const logW = rnd.map((r) => (Number.isFinite(r) && r < maxRnd ? -r : -Infinity));
  const ess = evaluation.normalisedEss * evaluation.numKept;
  const K = grid.length - 1;
  (opts.onProgress as ((p: { sampler: string; done: number; total: number; message: string }) => void) | undefined)?.({
    sampler: fn, done: K, total: K, message: `${K} steps: ELBO ${evaluation.elbo.toFixed(4)}, log Z ${evaluation.logZ.toFixed(4)}, ESS ${evaluation.normalisedEss.toFixed(3)} N`,
  });
  const details: RdsDetails = { evaluation, rnd, grid, scheme };
  const kept = evaluation.numKept < numParticles ? [`rds: ${numParticles - evaluation.numKept} trajectories had rnd >= ${maxRnd} or not finite and got weight 0`] : [];
  return {
    sampler: fn,
    particles: out.samples as tf.Tensor2D,
    logWeights: normaliseLogWeights(logW).logWeights,
    logZ: evaluation.logZ,
    logZStandardError: evaluation.logZStandardError,
    ess,
    cost,
    levels: K,
    seconds: (performance.now() - started) / 1000,
    warnings: [...kept, ...lowEssWarnings(fn, ess, numParticles)],
    details,
  };
};
