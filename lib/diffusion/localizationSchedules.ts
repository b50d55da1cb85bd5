/**
 * Stochastic-localization schedules of SLIPS (spec slips-lrds-amcbg.md sections 1.2, 1.3 and 4.2; reference code
 * h2o64/slips `slips/samplers/alphas.py` and `integrators.make_time_discretization_from_snr`).
 *
 * The observation process is Y_t = α(t) X + σ W_t with α(t) = √t g(t), so Y_t / α(t) = X + (σ / g(t)) Z: g(t)² is
 * the signal-to-noise ratio (relative to σ²) and log g(t)² the "log-SNR". Every schedule is strictly increasing in
 * t on [0, tGen), with g(0) = 0 and g → ∞ as t → tGen:
 *
 * | schedule                | g(t)                                 | α(t)                 | tGen |
 * | classic                 | √t                                   | t                    | ∞    |
 * | log-linear (a ≥ 1)      | t^{a/2}                              | t^{(a+1)/2}          | ∞    |
 * | geometric (T, a ≥ 1, b) | (t/T)^{a/2} (1 − t/T)^{−b/2}          | √t g(t)              | T    |
 * | log-tangent (T, a ≥ 1)  | tan(πt / 2T)^{a/2}                   | √t g(t)              | T    |
 *
 * Inverses: classic u², log-linear u^{2/a}, geometric with a = b: T u^{2/a} / (1 + u^{2/a}) (geometric (1, 1) has
 * log g² = logit(t/T)), log-tangent (2T/π) atan(u^{2/a}); geometric with a ≠ b has no closed form and is inverted by
 * float64 bisection on the log-SNR (the reference bisects g for 512 iterations; here the bracket is halved until it
 * stops shrinking in float64, at most 2000 times).
 *
 * All functions are float64 scalars on the JS side (they set up the time grid and the per-step coefficients; no
 * tensors). The log-SNR and its inverse are computed in log form (logit, log1p, atan of an exponential), so that the
 * grid of `snrTimeGrid` stays accurate far into both tails.
 */
import { checkInteger, checkNumber, invalidOption } from '../core/validate.js';

export type LocalizationScheduleKind = 'classic' | 'log-linear' | 'geometric' | 'log-tangent';

export interface LocalizationSchedule {
  readonly kind: LocalizationScheduleKind;
  /** E.g. `geometric(T=1,a=1,b=1)`. */
  readonly name: string;
  /** The parameters of the schedule (T only for the finite-time ones). */
  readonly params: Readonly<{ T?: number; a?: number; b?: number }>;
  /** The generation horizon: Infinity (classic, log-linear) or T (geometric, log-tangent). */
  readonly tGen: number;
  /** g(t), t in [0, tGen). */
  g(t: number): number;
  /** The t in [0, tGen) with g(t) = u, for u >= 0 (u = Infinity gives tGen). */
  gInverse(u: number): number;
  /** α(t) = √t g(t), t in [0, tGen). */
  alpha(t: number): number;
  /** dα/dt, t in (0, tGen). */
  alphaDot(t: number): number;
  /** d log α / dt = α̇(t) / α(t) (the reference's `log_alpha_dot`), t in (0, tGen). */
  logAlphaDot(t: number): number;
  /** log g(t)², t in [0, tGen) (−Infinity at t = 0). */
  logSnr(t: number): number;
  /**
   * The t with log g(t)² = η, for any η in [−∞, ∞]. Near a finite T the answer is limited by float64: once
   * 1 − t/T falls below the spacing of doubles near T (η ≳ 36 b for geometric), it rounds to T itself.
   */
  logSnrInverse(eta: number): number;
}

/** A schedule described as plain data (experiment configs): `{ kind: 'geometric', a: 2, b: 1 }`. */
export type LocalizationScheduleSpec =
  | { kind: 'classic' }
  | { kind: 'log-linear'; a?: number }
  | { kind: 'geometric'; T?: number; a?: number; b?: number }
  | { kind: 'log-tangent'; T?: number; a?: number };

// ---------------------------------------------------------------------------------------------------------------
// Shared checks

interface ScheduleMaths {
  g(t: number): number;
  alpha(t: number): number;
  alphaDot(t: number): number;
  logAlphaDot(t: number): number;
  logSnr(t: number): number;
  logSnrInverse(eta: number): number;
}

/** Wrap the maths of a schedule with argument checks that name the schedule, the argument and its range. */
function makeSchedule(
  kind: LocalizationScheduleKind,
  name: string,
  params: { T?: number; a?: number; b?: number },
  tGen: number,
  maths: ScheduleMaths,
): LocalizationSchedule {
  const range = Number.isFinite(tGen) ? `, ${tGen})` : ', Infinity)';
  const checkTime = (fn: string, t: unknown, open: boolean): number => {
    if (typeof t !== 'number' || !(open ? t > 0 : t >= 0) || !(t < tGen)) {
      invalidOption(`${name}.${fn}`, 't', t, `a time in ${open ? '(0' : '[0'}${range}`);
    }
    return t;
  };
  return Object.freeze({
    kind,
    name,
    params: Object.freeze({ ...params }),
    tGen,
    g: (t: number) => maths.g(checkTime('g', t, false)),
    alpha: (t: number) => maths.alpha(checkTime('alpha', t, false)),
    alphaDot: (t: number) => maths.alphaDot(checkTime('alphaDot', t, true)),
    logAlphaDot: (t: number) => maths.logAlphaDot(checkTime('logAlphaDot', t, true)),
    logSnr: (t: number) => maths.logSnr(checkTime('logSnr', t, false)),
    logSnrInverse(eta: number): number {
      if (typeof eta !== 'number' || Number.isNaN(eta)) {
        invalidOption(`${name}.logSnrInverse`, 'eta', eta, 'a number (a log-SNR log g², ±Infinity allowed)');
      }
      if (eta === -Infinity) return 0;
      if (eta === Infinity) return tGen;
      return maths.logSnrInverse(eta);
    },
    gInverse(u: number): number {
      if (typeof u !== 'number' || !(u >= 0)) invalidOption(`${name}.gInverse`, 'u', u, 'a number >= 0 (a value of g)');
      if (u === 0) return 0;
      if (u === Infinity) return tGen;
      return maths.logSnrInverse(2 * Math.log(u));
    },
  });
}

function checkExponent(fn: string, option: string, value: unknown): number {
  const a = checkNumber(fn, option, value, 'positive');
  if (a < 1) invalidOption(fn, option, a, 'a finite number >= 1 (the reference requires a >= 1)');
  return a;
}

/** log(x / (1 − x)) for x in [0, 1]. */
function logit(x: number): number {
  return Math.log(x) - Math.log1p(-x);
}

/** 1 / (1 + e^{−z}), accurate in both tails. */
function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/**
 * The root in (low, high) of an increasing function f with f(low) < target < f(high) (f may be ±Infinity at the
 * ends), by bisection until the bracket stops shrinking in float64 (at most `maxIterations` halvings).
 */
export function bisectIncreasing(f: (t: number) => number, target: number, low: number, high: number, maxIterations = 2000): number {
  let lo = low;
  let hi = high;
  for (let i = 0; i < maxIterations; i++) {
    const mid = lo + (hi - lo) / 2;
    if (mid <= lo || mid >= hi) break; // adjacent floats: converged
    if (f(mid) < target) lo = mid;
    else hi = mid;
  }
  return lo + (hi - lo) / 2;
}

// ---------------------------------------------------------------------------------------------------------------
// The schedules

/** Montanari's classical stochastic localization: g(t) = √t, α(t) = t, tGen = ∞ (reference `AlphaClassic`). */
export function classicSchedule(): LocalizationSchedule {
  return makeSchedule('classic', 'classic', {}, Infinity, {
    g: (t) => Math.sqrt(t),
    alpha: (t) => t,
    alphaDot: () => 1,
    logAlphaDot: (t) => 1 / t,
    logSnr: (t) => Math.log(t),
    logSnrInverse: (eta) => Math.exp(eta),
  });
}

/** g(t) = t^{a/2}, α(t) = t^{(a+1)/2}, a >= 1, tGen = ∞ (reference `AlphaLogLinear`; a = 1 is the classic schedule). */
export function logLinearSchedule(a = 1): LocalizationSchedule {
  checkExponent('logLinearSchedule', 'a', a);
  return makeSchedule('log-linear', `log-linear(a=${a})`, { a }, Infinity, {
    g: (t) => t ** (a / 2),
    alpha: (t) => t ** ((a + 1) / 2),
    alphaDot: (t) => ((a + 1) / 2) * t ** ((a - 1) / 2),
    logAlphaDot: (t) => (a + 1) / (2 * t),
    logSnr: (t) => a * Math.log(t),
    logSnrInverse: (eta) => Math.exp(eta / a),
  });
}

export interface GeometricScheduleOptions {
  /** Horizon T > 0 (default 1). */
  T?: number;
  /** Exponent a >= 1 near t = 0 (default 1). */
  a?: number;
  /** Exponent b > 0 near t = T (default 1). */
  b?: number;
}

/**
 * The finite-time "geometric" schedule g(t) = (t/T)^{a/2} (1 − t/T)^{−b/2} (reference `AlphaGeometric`; the paper's
 * benchmarks use (a, b) = (1, 1) and (2, 1)):
 *   log g² = a log(t/T) − b log(1 − t/T),
 *   α̇ = T^{−a/2} [ (a+1)/2 t^{(a−1)/2} (1 − t/T)^{−b/2} + (b / 2T) t^{(a+1)/2} (1 − t/T)^{−b/2−1} ],
 *   α̇/α = (a+1)/(2t) + b/(2(T − t)).
 * g⁻¹ is closed-form when a = b (then log g² = a logit(t/T)), bisection otherwise.
 */
export function geometricSchedule(options: GeometricScheduleOptions = {}): LocalizationSchedule {
  const fn = 'geometricSchedule';
  if (options == null || typeof options !== 'object') invalidOption(fn, 'options', options, 'an options object { T, a, b }');
  const T = checkNumber(fn, 'T', options.T ?? 1, 'positive');
  const a = checkExponent(fn, 'a', options.a ?? 1);
  const b = checkNumber(fn, 'b', options.b ?? 1, 'positive');
  const logSnr = (t: number) => a * Math.log(t / T) - b * Math.log1p(-t / T);
  return makeSchedule('geometric', `geometric(T=${T},a=${a},b=${b})`, { T, a, b }, T, {
    g: (t) => Math.exp(0.5 * logSnr(t)),
    alpha: (t) => Math.sqrt(t) * Math.exp(0.5 * logSnr(t)),
    alphaDot(t) {
      const s = 1 - t / T;
      return T ** (-a / 2) * (((a + 1) / 2) * t ** ((a - 1) / 2) * s ** (-b / 2) + (b / (2 * T)) * t ** ((a + 1) / 2) * s ** (-b / 2 - 1));
    },
    logAlphaDot: (t) => (a + 1) / (2 * t) + b / (2 * (T - t)),
    logSnr,
    logSnrInverse: (eta) => (a === b ? T * sigmoid(eta / a) : bisectIncreasing(logSnr, eta, 0, T)),
  });
}

export interface LogTangentScheduleOptions {
  /** Horizon T > 0 (default 1). */
  T?: number;
  /** Exponent a >= 1 (default 1). */
  a?: number;
}

/**
 * g(t) = tan(πt / 2T)^{a/2} (reference `AlphaLogTangent`):
 *   α̇ = tan^{a/2}/(2√t) + √t (aπ / 4T) sin^{a/2−1} / cos^{a/2+1},   α̇/α = 1/(2t) + aπ / (2T sin(πt/T)),
 *   g⁻¹(u) = (2T/π) atan(u^{2/a}).
 */
export function logTangentSchedule(options: LogTangentScheduleOptions = {}): LocalizationSchedule {
  const fn = 'logTangentSchedule';
  if (options == null || typeof options !== 'object') invalidOption(fn, 'options', options, 'an options object { T, a }');
  const T = checkNumber(fn, 'T', options.T ?? 1, 'positive');
  const a = checkExponent(fn, 'a', options.a ?? 1);
  const angle = (t: number) => (Math.PI * t) / (2 * T);
  return makeSchedule('log-tangent', `log-tangent(T=${T},a=${a})`, { T, a }, T, {
    g: (t) => Math.tan(angle(t)) ** (a / 2),
    alpha: (t) => Math.sqrt(t) * Math.tan(angle(t)) ** (a / 2),
    alphaDot(t) {
      const x = angle(t);
      return (
        Math.tan(x) ** (a / 2) / (2 * Math.sqrt(t)) +
        (Math.sqrt(t) * a * Math.PI * Math.sin(x) ** (a / 2 - 1)) / (4 * T * Math.cos(x) ** (a / 2 + 1))
      );
    },
    logAlphaDot: (t) => 1 / (2 * t) + (a * Math.PI) / (2 * T * Math.sin((Math.PI * t) / T)),
    logSnr: (t) => a * Math.log(Math.tan(angle(t))),
    logSnrInverse: (eta) => ((2 * T) / Math.PI) * Math.atan(Math.exp(eta / a)),
  });
}

/** A schedule from its plain-data description (experiment configs). */
export function localizationSchedule(spec: LocalizationScheduleSpec): LocalizationSchedule {
  const fn = 'localizationSchedule';
  if (spec == null || typeof spec !== 'object') invalidOption(fn, 'spec', spec, "an object { kind: 'classic' | 'log-linear' | 'geometric' | 'log-tangent', ... }");
  switch (spec.kind) {
    case 'classic':
      return classicSchedule();
    case 'log-linear':
      return logLinearSchedule(spec.a ?? 1);
    case 'geometric':
      return geometricSchedule({ T: spec.T, a: spec.a, b: spec.b });
    case 'log-tangent':
      return logTangentSchedule({ T: spec.T, a: spec.a });
    default:
      return invalidOption(fn, 'kind', (spec as { kind?: unknown }).kind, "one of 'classic', 'log-linear', 'geometric', 'log-tangent'");
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The SNR-adapted time grid

export interface SnrTimeGridOptions {
  /** Start time t₀ = ε, in (0, horizon − epsilonEnd). */
  epsilon: number;
  /** The grid ends at horizon − epsilonEnd; >= 0, and > 0 for the finite-time schedules (g(T) = ∞). Default 0. */
  epsilonEnd?: number;
  /** Number of grid points K >= 2 (K − 1 steps). */
  numSteps: number;
  /**
   * The horizon T: required for the infinite-time schedules (classic, log-linear: the paper uses T = 150), and
   * for the finite-time ones it defaults to (and may not exceed) tGen.
   */
  horizon?: number;
}

/**
 * The SNR-adapted grid (spec section 1.3): η_k = linspace(log g²(ε), log g²(T − ε_end), K), t_k = g⁻¹(e^{η_k / 2}),
 * k = 0 .. K − 1. Strictly increasing from ε to T − ε_end, uniform in log g². The end points are returned exactly.
 */
export function snrTimeGrid(schedule: LocalizationSchedule, options: SnrTimeGridOptions): Float64Array {
  const fn = 'snrTimeGrid';
  if (schedule == null || typeof schedule !== 'object' || typeof schedule.logSnr !== 'function' || typeof schedule.logSnrInverse !== 'function') {
    invalidOption(fn, 'schedule', schedule, 'a LocalizationSchedule (classicSchedule(), geometricSchedule(...), ...)');
  }
  if (options == null || typeof options !== 'object') invalidOption(fn, 'options', options, 'an options object { epsilon, numSteps, epsilonEnd?, horizon? }');
  const numSteps = checkInteger(fn, 'numSteps', options.numSteps, 2);
  const finite = Number.isFinite(schedule.tGen);
  let horizon: number;
  if (options.horizon === undefined) {
    if (!finite) {
      invalidOption(fn, 'horizon', undefined, `a finite horizon T > 0 for the infinite-time schedule ${schedule.name} (the paper uses T = 150 for classic)`);
    }
    horizon = schedule.tGen;
  } else {
    horizon = checkNumber(fn, 'horizon', options.horizon, 'positive');
    if (horizon > schedule.tGen) invalidOption(fn, 'horizon', horizon, `a number in (0, ${schedule.tGen}] (the schedule's tGen)`);
  }
  const epsilonEnd = checkNumber(fn, 'epsilonEnd', options.epsilonEnd ?? 0, 'nonNegative');
  if (horizon === schedule.tGen && epsilonEnd === 0) {
    invalidOption(fn, 'epsilonEnd', epsilonEnd, `a number in (0, ${horizon}) (g(T) is infinite for ${schedule.name}; the paper uses 6.62e-3 for geometric (1, 1))`);
  }
  if (!(epsilonEnd < horizon)) invalidOption(fn, 'epsilonEnd', epsilonEnd, `a number in [0, ${horizon}) (the grid ends at horizon − epsilonEnd)`);
  const end = horizon - epsilonEnd;
  const epsilon = options.epsilon;
  if (typeof epsilon !== 'number' || !(epsilon > 0 && epsilon < end)) {
    invalidOption(fn, 'epsilon', epsilon, `a start time in (0, ${end}) (= (0, horizon − epsilonEnd) with horizon ${horizon}, epsilonEnd ${epsilonEnd})`);
  }
  const etaStart = schedule.logSnr(epsilon);
  const etaEnd = schedule.logSnr(end);
  const grid = new Float64Array(numSteps);
  for (let k = 0; k < numSteps; k++) {
    const eta = etaStart + ((etaEnd - etaStart) * k) / (numSteps - 1);
    grid[k] = schedule.logSnrInverse(eta);
  }
  grid[0] = epsilon;
  grid[numSteps - 1] = end;
  for (let k = 1; k < numSteps; k++) {
    if (!(grid[k] > grid[k - 1])) {
      throw new Error(
        `${fn}: the grid is not strictly increasing at k = ${k} (t = ${grid[k - 1]} then ${grid[k]}); ` +
          `numSteps = ${numSteps} is too many for the log-SNR range [${etaStart}, ${etaEnd}] in float64`,
      );
    }
  }
  return grid;
}
