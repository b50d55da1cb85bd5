/**
 * The noise-schedule contract of the diffusion layer, and what is built on any schedule: time grids (uniform in t
 * or uniform in log-SNR) and a bisection inverse of the log-SNR.
 *
 * A schedule describes the forward (noising) process on [0, T] (T = `horizon`) as the linear SDE
 *   dx = f(t) x dt + g(t) dW,   x_t | x_0 ~ N(a(t) x_0, s(t)^2 I),
 * with f = d log a / dt and g^2 = d(s^2)/dt - 2 f s^2 (spec slips-lrds-amcbg.md sections 2.2 and 4.2: a is the
 * `s(t)` of the LRDS code, s^2 its `s(t)^2 sigma_bar^2(t)`). log-SNR(t) = log(a^2 / s^2) decreases in t.
 * Every quantity is a float64 JavaScript number: schedules are evaluated once per level or per batch on the JS
 * side (DESIGN.md trap 6), and only the resulting scales go to the device.
 */
import { checkChoice, checkInteger, checkOptions, invalidOption } from '../core/validate.js';
import type { VpScheduleOptions } from './vpSchedule.js';
import type { VeScheduleOptions } from './veSchedule.js';

/** A schedule as plain JSON (see scheduleConfig.ts). */
export type ScheduleConfig = ({ kind: 'vp' } & Required<VpScheduleOptions>) | ({ kind: 've' } & Required<VeScheduleOptions>);

export interface NoiseSchedule {
  readonly kind: 'vp' | 've';
  /** Plain JSON that `scheduleFromConfig` turns back into the same schedule. */
  readonly config: ScheduleConfig;
  /** T: the forward process runs on [0, T]. */
  readonly horizon: number;
  /** The reference law at t = T is taken as N(0, priorStd^2 I) (VP: the stationary law; VE: sigma_max). */
  readonly priorStd: number;
  /** a(t), the signal scale of x_t = a(t) x_0 + s(t) eps. */
  signalScale(t: number): number;
  /** s(t), the noise scale. */
  noiseScale(t: number): number;
  /** log(a(t)^2 / s(t)^2); +Infinity where s(t) = 0. Strictly decreasing in t. */
  logSnr(t: number): number;
  /** The t in [0, T] with logSnr(t) = logSnr (closed form); throws outside [logSnr(T), logSnr(0)]. */
  timeAtLogSnr(logSnr: number): number;
  /** f(t) = d log a / dt, the drift coefficient of the forward SDE. */
  drift(t: number): number;
  /** g(t)^2, the squared diffusion coefficient of the forward SDE. */
  diffusionSquared(t: number): number;
  /**
   * The forward transition x_to = scale x_from + std z (0 <= from <= to <= T): scale = a(to)/a(from),
   * std^2 = s(to)^2 - scale^2 s(from)^2, computed without cancellation.
   */
  transition(from: number, to: number): { scale: number; std: number };
}

/** Throw unless t is a finite number in [0, horizon]; returns it. */
export function checkTime(fn: string, option: string, t: unknown, horizon: number): number {
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0 || t > horizon) {
    invalidOption(fn, option, t, `a time in [0, ${horizon}] (the schedule's horizon T)`);
  }
  return t;
}

/** Throw unless `schedule` looks like a NoiseSchedule. */
export function checkNoiseSchedule(fn: string, schedule: unknown, option = 'schedule'): NoiseSchedule {
  const s = schedule as NoiseSchedule;
  if (s == null || typeof s !== 'object' || typeof s.signalScale !== 'function' || typeof s.logSnr !== 'function') {
    invalidOption(fn, option, schedule, 'a noise schedule (from vpSchedule or veSchedule)');
  }
  return s;
}

export interface BisectionOptions {
  /** Search interval [low, high] in t; default [0, T]. */
  low?: number;
  high?: number;
  /** Iterations; default 200 (float64 converges well before). */
  iterations?: number;
}

/**
 * The t with logSnr(t) = target by bisection in float64, for schedules without a closed-form inverse (the LRDS
 * `get_timesteps` grid, spec section 2.2). logSnr is decreasing, so the interval keeps logSnr(low) >= target >=
 * logSnr(high). Throws when the target is outside [logSnr(high), logSnr(low)].
 */
export function timeAtLogSnrByBisection(schedule: NoiseSchedule, target: number, options: BisectionOptions = {}): number {
  const fn = 'timeAtLogSnrByBisection';
  checkNoiseSchedule(fn, schedule);
  const opts = checkOptions<BisectionOptions>(fn, options, ['low', 'high', 'iterations']);
  let low = checkTime(fn, 'low', opts.low ?? 0, schedule.horizon);
  let high = checkTime(fn, 'high', opts.high ?? schedule.horizon, schedule.horizon);
  if (!(low < high)) invalidOption(fn, 'high', high, `a time > low = ${low}`);
  const iterations = checkInteger(fn, 'iterations', opts.iterations ?? 200);
  if (typeof target !== 'number' || Number.isNaN(target)) invalidOption(fn, 'target', target, 'a log-SNR value (a number)');
  const top = schedule.logSnr(low);
  const bottom = schedule.logSnr(high);
  if (target > top || target < bottom) {
    invalidOption(fn, 'target', target, `a log-SNR in [${bottom}, ${top}] (the values at high = ${high} and low = ${low})`);
  }
  for (let i = 0; i < iterations && high - low > 0; i++) {
    const mid = 0.5 * (low + high);
    if (mid <= low || mid >= high) break; // adjacent floats
    if (schedule.logSnr(mid) > target) low = mid;
    else high = mid;
  }
  return 0.5 * (low + high);
}

export type GridSpacing = 'uniform' | 'logSnr';

export interface TimeGridOptions {
  /** 'uniform' in t (default) or 'logSnr': equally spaced log-SNR values (spec sections 1.3, 2.2, 3.4). */
  spacing?: GridSpacing;
  /** First time; default 0 for 'uniform', 1e-4 T for 'logSnr' (the LRDS start; logSnr(0) may be infinite). */
  tStart?: number;
  /** Last time; default T. */
  tEnd?: number;
}

/**
 * numSteps + 1 increasing times from tStart to tEnd (both included, exactly), equally spaced in t or in log-SNR
 * (inverted with the schedule's closed form). Float64.
 */
export function timeGrid(schedule: NoiseSchedule, numSteps: number, options: TimeGridOptions = {}): Float64Array {
  const fn = 'timeGrid';
  checkNoiseSchedule(fn, schedule);
  checkInteger(fn, 'numSteps', numSteps, 1);
  const opts = checkOptions<TimeGridOptions>(fn, options, ['spacing', 'tStart', 'tEnd']);
  const spacing = checkChoice(fn, 'spacing', opts.spacing ?? 'uniform', ['uniform', 'logSnr'] as const);
  const T = schedule.horizon;
  const tStart = checkTime(fn, 'tStart', opts.tStart ?? (spacing === 'uniform' ? 0 : 1e-4 * T), T);
  const tEnd = checkTime(fn, 'tEnd', opts.tEnd ?? T, T);
  if (!(tEnd > tStart)) invalidOption(fn, 'tEnd', tEnd, `a time > tStart = ${tStart}`);
  if (spacing === 'uniform') return gridBetween(fn, numSteps, tStart, tEnd);
  const first = schedule.logSnr(tStart);
  const last = schedule.logSnr(tEnd);
  if (!Number.isFinite(first)) {
    invalidOption(fn, 'tStart', tStart, `a time with a finite log-SNR for spacing "logSnr" (logSnr(${tStart}) = ${first}); e.g. 1e-4`);
  }
  return gridBetween(fn, numSteps, tStart, tEnd, (k) => schedule.timeAtLogSnr(first + ((last - first) * k) / numSteps));
}

/**
 * numSteps + 1 times with point k at `at(k)` (default: uniform in t), the ends pinned to tStart and tEnd exactly,
 * and a clear error (named `fn`) unless they increase strictly. The shared tail of every time grid (timeGrid here,
 * the RDS grids of samplers/diffusion/rds/rdsTimeGrid.ts).
 */
export function gridBetween(
  fn: string,
  numSteps: number,
  tStart: number,
  tEnd: number,
  at: (k: number) => number = (k) => tStart + ((tEnd - tStart) * k) / numSteps,
): Float64Array {
  const grid = new Float64Array(numSteps + 1);
  for (let k = 0; k <= numSteps; k++) grid[k] = at(k);
  grid[0] = tStart;
  grid[numSteps] = tEnd;
  for (let k = 1; k <= numSteps; k++) {
    if (!(grid[k] > grid[k - 1])) {
      throw new Error(`${fn}: the grid is not strictly increasing at step ${k} (${grid[k - 1]} then ${grid[k]}); expected fewer steps (numSteps = ${numSteps}) or a wider [tStart, tEnd]`);
    }
  }
  return grid;
}
