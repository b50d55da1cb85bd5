/**
 * The variance-exploding (VE) schedule (Song et al. 2021, "score SDE"; spec slips-lrds-amcbg.md section 4.2 lists
 * it with the VP one): no drift, a noise level growing geometrically,
 *   sigma(t) = sigma_min (sigma_max / sigma_min)^(t / T),   dx = g(t) dW,  g^2 = d sigma^2 / dt = 2 sigma^2 log(sigma_max / sigma_min) / T,
 *   a(t) = 1,  s(t) = sigma(t),  log-SNR(t) = -2 log sigma(t)   (linear in t, so the log-SNR grid is the uniform one).
 * Defaults sigma_min = 0.01, sigma_max = 50 (Song et al.'s CIFAR-10 VE setting), T = 1; the reference law at T is
 * N(0, sigma_max^2 I). Note s(0) = sigma_min > 0: the VE process starts slightly noised.
 */
import { checkNumber, checkOptions, invalidOption } from '../core/validate.js';
import { checkTime, type NoiseSchedule, type ScheduleConfig } from './schedule.js';

export interface VeScheduleOptions {
  /** sigma(0); default 0.01. */
  sigmaMin?: number;
  /** sigma(T); default 50. */
  sigmaMax?: number;
  /** T; default 1. */
  horizon?: number;
}

export interface VeSchedule extends NoiseSchedule {
  readonly kind: 've';
  readonly sigmaMin: number;
  readonly sigmaMax: number;
  /** sigma(t) = s(t). */
  sigma(t: number): number;
}

export function veSchedule(options: VeScheduleOptions = {}): VeSchedule {
  const fn = 'veSchedule';
  const opts = checkOptions<VeScheduleOptions>(fn, options, ['sigmaMin', 'sigmaMax', 'horizon']);
  const sigmaMin = checkNumber(fn, 'sigmaMin', opts.sigmaMin ?? 0.01, 'positive');
  const sigmaMax = checkNumber(fn, 'sigmaMax', opts.sigmaMax ?? 50, 'positive');
  if (!(sigmaMax > sigmaMin)) invalidOption(fn, 'sigmaMax', sigmaMax, `a number > sigmaMin = ${sigmaMin}`);
  const horizon = checkNumber(fn, 'horizon', opts.horizon ?? 1, 'positive');
  const logMin = Math.log(sigmaMin);
  const logRatio = Math.log(sigmaMax / sigmaMin);
  const time = (method: string, t: unknown) => checkTime(`${fn}.${method}`, 't', t, horizon);
  const logSigma = (t: number) => logMin + (logRatio * t) / horizon;
  const sigmaAt = (t: number) => Math.exp(logSigma(t));
  const logSnrStart = -2 * logMin;
  const logSnrEnd = -2 * Math.log(sigmaMax);
  const config: ScheduleConfig = { kind: 've', sigmaMin, sigmaMax, horizon };

  return {
    kind: 've',
    config,
    horizon,
    priorStd: sigmaMax,
    sigmaMin,
    sigmaMax,
    sigma: (t) => sigmaAt(time('sigma', t)),
    signalScale: (t) => (time('signalScale', t), 1),
    noiseScale: (t) => sigmaAt(time('noiseScale', t)),
    logSnr: (t) => -2 * logSigma(time('logSnr', t)),
    timeAtLogSnr(logSnr: number): number {
      const tol = 1e-12 * (1 + Math.abs(logSnrEnd) + Math.abs(logSnrStart));
      if (typeof logSnr !== 'number' || !(logSnr >= logSnrEnd - tol && logSnr <= logSnrStart + tol)) {
        invalidOption(`${fn}.timeAtLogSnr`, 'logSnr', logSnr, `a log-SNR in [${logSnrEnd}, ${logSnrStart}] (logSnr(T) to logSnr(0))`);
      }
      const t = (horizon * (-0.5 * logSnr - logMin)) / logRatio;
      return Math.min(Math.max(t, 0), horizon);
    },
    drift: (t) => (time('drift', t), 0),
    diffusionSquared: (t) => (2 * sigmaAt(time('diffusionSquared', t)) ** 2 * logRatio) / horizon,
    transition(from: number, to: number) {
      time('transition', from);
      checkTime(`${fn}.transition`, 'to', to, horizon);
      if (to < from) invalidOption(`${fn}.transition`, 'to', to, `a time >= from = ${from}`);
      // sigma(to)^2 - sigma(from)^2 = sigma(from)^2 expm1(2 (log sigma(to) - log sigma(from)))
      return { scale: 1, std: sigmaAt(from) * Math.sqrt(Math.expm1(2 * (logSigma(to) - logSigma(from)))) };
    },
  };
}
