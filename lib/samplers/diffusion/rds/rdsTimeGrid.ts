/**
 * Noising-time grids of the RDS (spec slips-lrds-amcbg.md section 2.2, `get_timesteps`): numSteps + 1 increasing
 * times t_0 < ... < t_K, uniform in t, or uniform in log-SNR(t) = -log sigmaBar^2(t) with each time found by float64
 * bisection (log-SNR is decreasing). The generative process runs the grid backwards (from t_K down to t_0).
 * Defaults: 'uniform' on the SDE's default range ([0, T] VP, [0, T - 1e-4] PBM); 'logSnr' on [1e-4, T - 1e-4].
 */
import { checkChoice, checkInteger, checkOptions, invalidOption } from '../../../core/validate.js';
import { checkTime, gridBetween } from '../../../diffusion/schedule.js';
import { checkNoisingSde, type NoisingSde } from './noisingSde.js';

export interface RdsTimeGridOptions {
  spacing?: 'uniform' | 'logSnr';
  tStart?: number;
  tEnd?: number;
}

/** The t in [low, high] with sde.logSnr(t) = target, by bisection (float64, down to adjacent floats). */
function bisectLogSnr(sde: NoisingSde, target: number, low: number, high: number): number {
  for (let i = 0; i < 200; i++) {
    const mid = 0.5 * (low + high);
    if (mid <= low || mid >= high) break;
    if (sde.logSnr(mid) > target) low = mid;
    else high = mid;
  }
  return 0.5 * (low + high);
}

export function rdsTimeGrid(sde: NoisingSde, numSteps: number, options: RdsTimeGridOptions = {}): Float64Array {
  const fn = 'rdsTimeGrid';
  checkNoisingSde(fn, sde);
  checkInteger(fn, 'numSteps', numSteps, 1);
  const opts = checkOptions<RdsTimeGridOptions>(fn, options, ['spacing', 'tStart', 'tEnd']);
  const spacing = checkChoice(fn, 'spacing', opts.spacing ?? 'uniform', ['uniform', 'logSnr'] as const);
  const T = sde.horizon;
  const range = spacing === 'uniform' ? sde.defaultTimeRange : { tStart: 1e-4, tEnd: T - 1e-4 };
  const tStart = checkTime(fn, 'tStart', opts.tStart ?? range.tStart, T);
  const tEnd = checkTime(fn, 'tEnd', opts.tEnd ?? range.tEnd, T);
  if (!(tEnd > tStart)) invalidOption(fn, 'tEnd', tEnd, `a time > tStart = ${tStart}`);
  if (spacing === 'uniform') return gridBetween(fn, numSteps, tStart, tEnd);
  const first = sde.logSnr(tStart);
  const last = sde.logSnr(tEnd);
  if (!Number.isFinite(first) || !Number.isFinite(last)) {
    invalidOption(fn, !Number.isFinite(first) ? 'tStart' : 'tEnd', Number.isFinite(first) ? tEnd : tStart,
      'a time with a finite log-SNR for spacing "logSnr" (not 0, nor T for the pinned Brownian motion)');
  }
  return gridBetween(fn, numSteps, tStart, tEnd, (k) => bisectLogSnr(sde, first + ((last - first) * k) / numSteps, tStart, tEnd));
}

/** Throw unless `grid` is a strictly increasing array of >= 2 noising times in [0, T]; returns a Float64Array. */
export function checkGrid(fn: string, grid: unknown, horizon: number, option = 'grid'): Float64Array {
  const isArrayLike = Array.isArray(grid) || (ArrayBuffer.isView(grid) && !(grid instanceof DataView));
  const g = isArrayLike ? Float64Array.from(grid as ArrayLike<number>) : null;
  const ok = g !== null && g.length >= 2 && g.every((t, k) => t >= 0 && t <= horizon && (k === 0 || t > g[k - 1]));
  if (!ok) invalidOption(fn, option, grid, `a strictly increasing array of >= 2 noising times in [0, ${horizon}] (from rdsTimeGrid)`);
  return g as Float64Array;
}
