/**
 * The discretised generative (time-reversed) process of the RDS over a noising-time grid t_0 < ... < t_K
 * (spec slips-lrds-amcbg.md section 2.2). Generative step k runs from noising time t_{K-k} down to t_{K-k-1}; every
 * scheme has the form
 *   Y' = scale Y + forcing (grad log p^ref_from(Y) + u(from, Y)) + noiseStd z,    omega = (forcing / noiseStd)^2,
 * with u ~ grad log(p_t / p_t^ref) the control; the running RND term is omega u.(u_hat - u/2) + sqrt(omega) u.z.
 * - 'em' (Euler-Maruyama, EMReferenceSDELoss), with dt = from - to and f, g at `from`:
 *   scale = 1 - f dt, forcing = g^2 dt, noiseStd = g sqrt(dt), so omega = g^2 dt and sqrt(omega) u.z = c.dB with
 *   c = g u (the rescaled control of the spec's EM form).
 * - 'ei' (exponential integrator, EIReferenceSDELoss): the SDE's own step (VP-EI, PBM-EI; noisingSde.ts).
 */
import { checkChoice } from '../../../core/validate.js';
import { checkNoisingSde, type NoisingSde, type StepCoefficients } from './noisingSde.js';
import { checkGrid } from './rdsTimeGrid.js';

export type RdsScheme = 'em' | 'ei';
export const RDS_SCHEMES: readonly RdsScheme[] = ['em', 'ei'];

export interface GenerativeStep extends StepCoefficients {
  /** Noising times: the step starts at `from` (where the scores are evaluated) and ends at `to` < from. */
  from: number;
  to: number;
  /** (forcing / noiseStd)^2. */
  omega: number;
}

/** The Euler-Maruyama step from noising time `from` down to `to`. */
export function eulerMaruyamaStep(sde: NoisingSde, from: number, to: number): StepCoefficients {
  const dt = from - to;
  const g2 = sde.diffusionSquared(from);
  return { scale: 1 - sde.drift(from) * dt, forcing: g2 * dt, noiseStd: Math.sqrt(g2 * dt) };
}

/** The K generative steps over `grid`, in generative order. */
export function generativeSteps(sde: NoisingSde, grid: ArrayLike<number>, scheme: RdsScheme): GenerativeStep[] {
  const fn = 'generativeSteps';
  checkNoisingSde(fn, sde);
  const times = checkGrid(fn, grid, sde.horizon);
  checkChoice(fn, 'scheme', scheme, RDS_SCHEMES);
  const steps: GenerativeStep[] = [];
  for (let j = times.length - 1; j >= 1; j--) {
    const from = times[j];
    const to = times[j - 1];
    const c = scheme === 'em' ? eulerMaruyamaStep(sde, from, to) : sde.exponentialIntegratorStep(from, to);
    steps.push({ ...c, from, to, omega: (c.forcing / c.noiseStd) ** 2 });
  }
  return steps;
}
