/**
 * The variance-preserving (VP) schedule (spec slips-lrds-amcbg.md sections 2.2, 3.4 and 4.2; the LRDS `VP` SDE):
 *   beta(t) = beta_min + (beta_max - beta_min) t / T,   A(t) = int_0^t beta = beta_min t + (beta_max - beta_min) t^2 / (2T),
 *   dx = -beta(t)/2 x dt + scale sqrt(beta(t)) dW,
 *   a(t) = exp(-A/2),  s(t)^2 = scale^2 (1 - exp(-A)),  alphaBar(t) = a^2 = exp(-A),
 *   log-SNR(t) = log(a^2 / s^2) = -log(exp(A) - 1) - 2 log(scale).
 * Defaults: beta_min = 0.1, beta_max = 20 (the `vp_20` config; `vp_10` has beta_max = 10), T = 1, scale = 1 (the aMC
 * setting of spec 3.4). The log-SNR inverse is closed form: A = softplus(-logSnr - 2 log scale), then the positive
 * root of the quadratic A(t) = A, written as t = 2A / (beta_min + sqrt(beta_min^2 + 2 (beta_max - beta_min) A / T))
 * (no cancellation). Everything uses expm1 / log1p, so small t keeps full float64 precision.
 */
import { checkNumber, checkOptions, invalidOption } from '../core/validate.js';
import { checkTime, type NoiseSchedule, type ScheduleConfig } from './schedule.js';

export interface VpScheduleOptions {
  /** beta(0); default 0.1. */
  betaMin?: number;
  /** beta(T); default 20. */
  betaMax?: number;
  /** T; default 1. */
  horizon?: number;
  /** sigma: the stationary law is N(0, scale^2 I); default 1. */
  scale?: number;
}

export interface VpSchedule extends NoiseSchedule {
  readonly kind: 'vp';
  readonly betaMin: number;
  readonly betaMax: number;
  readonly scale: number;
  /** beta(t). */
  beta(t: number): number;
  /** A(t) = int_0^t beta(u) du. */
  integratedBeta(t: number): number;
  /** exp(-A(t)) = a(t)^2. */
  alphaBar(t: number): number;
}

/** log(1 + exp(u)) without overflow. */
function softplus64(u: number): number {
  return u > 0 ? u + Math.log1p(Math.exp(-u)) : Math.log1p(Math.exp(u));
}

export function vpSchedule(options: VpScheduleOptions = {}): VpSchedule {
  const fn = 'vpSchedule';
  const opts = checkOptions<VpScheduleOptions>(fn, options, ['betaMin', 'betaMax', 'horizon', 'scale']);
  const betaMin = checkNumber(fn, 'betaMin', opts.betaMin ?? 0.1, 'nonNegative');
  const betaMax = checkNumber(fn, 'betaMax', opts.betaMax ?? 20, 'positive');
  if (betaMax < betaMin) invalidOption(fn, 'betaMax', betaMax, `a number >= betaMin = ${betaMin}`);
  const horizon = checkNumber(fn, 'horizon', opts.horizon ?? 1, 'positive');
  const scale = checkNumber(fn, 'scale', opts.scale ?? 1, 'positive');
  const logScale2 = 2 * Math.log(scale);
  const slope = (betaMax - betaMin) / horizon;
  const time = (method: string, t: unknown) => checkTime(`${fn}.${method}`, 't', t, horizon);
  const A = (t: number) => betaMin * t + 0.5 * slope * t * t;
  const logSnrAt = (t: number) => -Math.log(Math.expm1(A(t))) - logScale2;
  const logSnrEnd = logSnrAt(horizon);
  const config: ScheduleConfig = { kind: 'vp', betaMin, betaMax, horizon, scale };

  return {
    kind: 'vp',
    config,
    horizon,
    priorStd: scale,
    betaMin,
    betaMax,
    scale,
    beta: (t) => betaMin + slope * time('beta', t),
    integratedBeta: (t) => A(time('integratedBeta', t)),
    alphaBar: (t) => Math.exp(-A(time('alphaBar', t))),
    signalScale: (t) => Math.exp(-0.5 * A(time('signalScale', t))),
    noiseScale: (t) => scale * Math.sqrt(-Math.expm1(-A(time('noiseScale', t)))),
    logSnr: (t) => logSnrAt(time('logSnr', t)),
    timeAtLogSnr(logSnr: number): number {
      if (typeof logSnr !== 'number' || Number.isNaN(logSnr) || logSnr < logSnrEnd - 1e-12 * (1 + Math.abs(logSnrEnd))) {
        invalidOption(`${fn}.timeAtLogSnr`, 'logSnr', logSnr, `a log-SNR in [${logSnrEnd}, Infinity] (logSnr(T) to logSnr(0))`);
      }
      const a = softplus64(-logSnr - logScale2);
      if (a === 0) return 0;
      const t = (2 * a) / (betaMin + Math.sqrt(betaMin * betaMin + 2 * slope * a));
      return Math.min(t, horizon);
    },
    drift: (t) => -0.5 * (betaMin + slope * time('drift', t)),
    diffusionSquared: (t) => scale * scale * (betaMin + slope * time('diffusionSquared', t)),
    transition(from: number, to: number) {
      time('transition', from);
      checkTime(`${fn}.transition`, 'to', to, horizon);
      if (to < from) invalidOption(`${fn}.transition`, 'to', to, `a time >= from = ${from}`);
      const dA = A(to) - A(from);
      return { scale: Math.exp(-0.5 * dA), std: scale * Math.sqrt(-Math.expm1(-dA)) };
    },
  };
}
