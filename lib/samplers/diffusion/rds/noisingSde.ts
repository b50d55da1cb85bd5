/**
 * The linear noising (reference) SDEs of the reference-diffusion sampler (RDS, spec slips-lrds-amcbg.md section 2.2):
 *   dX_t = f(t) X_t dt + g(t) dB_t on [0, T],   s(t) = exp(int_0^t f),   sigmaBar^2(t) = int_0^t g^2 / s^2,
 *   X_t | X_0 ~ N(s(t) X_0, s(t)^2 sigmaBar^2(t) I),
 *   X_t | X_u ~ N((s(t)/s(u)) X_u, s(t)^2 (sigmaBar^2(t) - sigmaBar^2(u)) I)   (u < t).
 * - VP (`vp_10`): beta(t) = beta_min + (beta_max - beta_min) t / T, f = -beta/2, g = sigma sqrt(beta); with A = int beta:
 *   s = exp(-A/2), sigmaBar^2 = sigma^2 (exp(A) - 1). Built on lib/diffusion/vpSchedule.ts (its a(t) is s(t), its
 *   noise scale is s(t) sigmaBar(t), its log-SNR is -log sigmaBar^2). Generative start N(0, sigma^2 I).
 * - Pinned Brownian motion (PIS): f = -1/(T - t), g = sigma; s = (T - t)/T, sigmaBar^2 = sigma^2 T t / (T - t). The
 *   generative start is delta_0 (s(T) = 0). Grids stop 1e-4 short of T (the LRDS generative times start at 1e-4).
 * Both also give their exponential-integrator step (spec 2.2, VP-EI and PBM-EI) as the coefficients of
 *   Y' = scale Y + forcing (grad log p^ref + u) + noiseStd z,
 * whose RND weight is omega = (forcing / noiseStd)^2 (VP: 4 sigma^2 tanh(dA/4); PBM: sigma^2 (t_k/t_{k+1})(t_{k+1} - t_k)).
 * Float64 numbers on the JS side (DESIGN.md trap 6); only the per-step scalars go to the device.
 */
import { checkNumber, checkOptions, invalidOption } from '../../../core/validate.js';
import { checkTime } from '../../../diffusion/schedule.js';
import { vpSchedule } from '../../../diffusion/vpSchedule.js';

/** One generative step Y' = scale Y + forcing (reference score + control) + noiseStd z (z ~ N(0, I)). */
export interface StepCoefficients {
  scale: number;
  forcing: number;
  noiseStd: number;
}

export interface NoisingSde {
  readonly kind: 'vp' | 'pbm';
  /** T. */
  readonly horizon: number;
  /** sigma (VP: the stationary std; PBM: the diffusion coefficient). */
  readonly scale: number;
  /** Std of the generative start N(0, priorStd^2 I); 0 means delta_0 (PBM). */
  readonly priorStd: number;
  /** Variance of the "default" Gaussian reference N(0, v I): VP sigma^2 (= DDS), PBM T sigma^2 (= PIS). */
  readonly defaultReferenceVariance: number;
  /** The default time range of grids: [0, T] (VP) or [0, T - 1e-4] (PBM, whose f is singular at T). */
  readonly defaultTimeRange: { tStart: number; tEnd: number };
  /** s(t) = exp(int_0^t f). */
  signalScale(t: number): number;
  /** sigmaBar^2(t) = int_0^t g^2 / s^2 (+Infinity for PBM at T). */
  sigmaBarSquared(t: number): number;
  /** s(t) sigmaBar(t): the std of X_t | X_0, computed without overflow. */
  noiseStd(t: number): number;
  /** f(t). */
  drift(t: number): number;
  /** g(t)^2. */
  diffusionSquared(t: number): number;
  /** log-SNR(t) = -log sigmaBar^2(t), strictly decreasing. */
  logSnr(t: number): number;
  /** X_to = scale X_from + std z, for from <= to. */
  transition(from: number, to: number): { scale: number; std: number };
  /** The exponential-integrator generative step from noising time `from` down to `to` (< from). */
  exponentialIntegratorStep(from: number, to: number): StepCoefficients;
}

function checkStepTimes(fn: string, from: number, to: number, horizon: number): void {
  checkTime(fn, 'from', from, horizon);
  checkTime(fn, 'to', to, horizon);
  if (!(to < from)) invalidOption(fn, 'to', to, `a noising time < from = ${from} (a generative step runs backwards in noising time)`);
}

export interface VpSdeOptions {
  /** Default 0.1. */
  betaMin?: number;
  /** Default 10 (the LRDS `vp_10`; `vp_20` has 20). */
  betaMax?: number;
  /** T; default 1. */
  horizon?: number;
  /** sigma; default 1. */
  scale?: number;
}

/** The VP noising SDE (see the file header). */
export function vpSde(options: VpSdeOptions = {}): NoisingSde {
  const fn = 'vpSde';
  const opts = checkOptions<VpSdeOptions>(fn, options, ['betaMin', 'betaMax', 'horizon', 'scale']);
  const schedule = vpSchedule({ betaMin: opts.betaMin ?? 0.1, betaMax: opts.betaMax ?? 10, horizon: opts.horizon, scale: opts.scale });
  const { horizon, scale } = schedule;
  const sigma2 = scale * scale;
  return {
    kind: 'vp',
    horizon,
    scale,
    priorStd: scale,
    defaultReferenceVariance: sigma2,
    defaultTimeRange: { tStart: 0, tEnd: horizon },
    signalScale: (t) => schedule.signalScale(t),
    sigmaBarSquared: (t) => sigma2 * Math.expm1(schedule.integratedBeta(t)),
    noiseStd: (t) => schedule.noiseScale(t),
    drift: (t) => schedule.drift(t),
    diffusionSquared: (t) => schedule.diffusionSquared(t),
    logSnr: (t) => schedule.logSnr(t),
    transition: (from, to) => schedule.transition(from, to),
    exponentialIntegratorStep(from, to) {
      checkStepTimes(`${fn}.exponentialIntegratorStep`, from, to, horizon);
      // VP-EI: dA = A(from) - A(to), lambda = e^dA - 1; the linear part and the noise are exact, the scores frozen.
      const dA = schedule.integratedBeta(from) - schedule.integratedBeta(to);
      const growth = Math.exp(0.5 * dA); // sqrt(1 + lambda)
      return { scale: growth, forcing: 2 * sigma2 * Math.expm1(0.5 * dA), noiseStd: scale * Math.sqrt(Math.expm1(dA)) };
    },
  };
}

export interface PinnedBrownianSdeOptions {
  /** T; default 5. */
  horizon?: number;
  /** sigma; default sqrt(0.2) (the LRDS `pinned_bm_pis`). */
  scale?: number;
}

/** The pinned Brownian motion noising SDE (see the file header). */
export function pinnedBrownianSde(options: PinnedBrownianSdeOptions = {}): NoisingSde {
  const fn = 'pinnedBrownianSde';
  const opts = checkOptions<PinnedBrownianSdeOptions>(fn, options, ['horizon', 'scale']);
  const T = checkNumber(fn, 'horizon', opts.horizon ?? 5, 'positive');
  const scale = checkNumber(fn, 'scale', opts.scale ?? Math.sqrt(0.2), 'positive');
  const sigma2 = scale * scale;
  const time = (method: string, t: unknown) => checkTime(`${fn}.${method}`, 't', t, T);
  const before = (method: string, t: unknown) => {
    const u = time(method, t);
    if (u === T) invalidOption(`${fn}.${method}`, 't', t, `a time < T = ${T} (f = -1/(T - t) is singular at T)`);
    return u;
  };
  return {
    kind: 'pbm',
    horizon: T,
    scale,
    priorStd: 0,
    defaultReferenceVariance: T * sigma2,
    defaultTimeRange: { tStart: 0, tEnd: T - 1e-4 },
    signalScale: (t) => (T - time('signalScale', t)) / T,
    sigmaBarSquared: (t) => (sigma2 * T * time('sigmaBarSquared', t)) / (T - t),
    // s^2 sigmaBar^2 = sigma^2 t (T - t) / T: the Brownian bridge variance.
    noiseStd: (t) => scale * Math.sqrt((time('noiseStd', t) * (T - t)) / T),
    drift: (t) => -1 / (T - before('drift', t)),
    diffusionSquared: (t) => (time('diffusionSquared', t), sigma2),
    logSnr: (t) => -Math.log((sigma2 * T * time('logSnr', t)) / (T - t)),
    transition(from, to) {
      checkTime(`${fn}.transition`, 'from', from, T);
      checkTime(`${fn}.transition`, 'to', to, T);
      if (to < from) invalidOption(`${fn}.transition`, 'to', to, `a time >= from = ${from}`);
      if (from === T) return { scale: 1, std: 0 }; // X_T = 0, pinned
      // s(to)^2 (sigmaBar^2(to) - sigmaBar^2(from)) = sigma^2 (T - to)(to - from) / (T - from)
      return { scale: (T - to) / (T - from), std: scale * Math.sqrt(((T - to) * (to - from)) / (T - from)) };
    },
    exponentialIntegratorStep(from, to) {
      checkStepTimes(`${fn}.exponentialIntegratorStep`, from, to, T);
      if (from === T) invalidOption(`${fn}.exponentialIntegratorStep`, 'from', from, `a noising time < T = ${T} (generative time 0 divides by 0; start at 1e-4)`);
      // PBM-EI in generative times r = T - t: Y' = (r'/r) Y + sigma^2 (r' - r)(score) + sigma sqrt((r'/r)(r' - r)) z.
      const r = T - from;
      const rNext = T - to;
      return { scale: rNext / r, forcing: sigma2 * (rNext - r), noiseStd: scale * Math.sqrt((rNext / r) * (rNext - r)) };
    },
  };
}

/** Throw unless `sde` looks like a NoisingSde. */
export function checkNoisingSde(fn: string, sde: unknown, option = 'sde'): NoisingSde {
  const s = sde as NoisingSde;
  if (s == null || typeof s !== 'object' || typeof s.signalScale !== 'function' || typeof s.exponentialIntegratorStep !== 'function') {
    invalidOption(fn, option, sde, 'a noising SDE (from vpSde or pinnedBrownianSde)');
  }
  return s;
}
