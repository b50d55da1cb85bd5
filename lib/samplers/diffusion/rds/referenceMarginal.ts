/**
 * RDS references pi^ref and their noised marginals p_t^ref along a noising SDE (spec slips-lrds-amcbg.md section 2.2):
 * - Gaussian and GMM: p_t^ref = sum_j w_j N(s(t) mu_j, s(t)^2 (Sigma_j + sigmaBar^2(t) I)), the law of s X + s sigmaBar Z,
 *   i.e. lib/targets/noisedMixture.ts with a = s(t), s = s(t) sigmaBar(t) (its score is the GMM score, spec 4.1).
 * - "default" (PIS / DDS): N(0, v I) with v = sde.defaultReferenceVariance (VP sigma^2, PBM T sigma^2).
 * - Energy network: grad log p_t^ref = -grad_x E(t, x) (autodiff); log pi^ref = -E(0, x) up to the unknown log Z^ref,
 *   which the log-variance loss does not see.
 */
import * as tf from '@tensorflow/tfjs';
import { checkInteger, invalidOption } from '../../../core/validate.js';
import { gaussianMixture, type GaussianMixtureTarget } from '../../../targets/mixture.js';
import { noisedMixture, type NoisedMixtureTarget } from '../../../targets/noisedMixture.js';
import { checkNoisingSde, type NoisingSde } from './noisingSde.js';

export interface RdsReference {
  readonly kind: 'gaussian' | 'gmm' | 'energy';
  readonly dim: number;
  /** log pi^ref(x) at t = 0, [n] (normalised for Gaussian / GMM references). */
  logDensity(x: tf.Tensor2D): tf.Tensor1D;
  /** grad log p_t^ref(y) at noising time t, [n, d]. */
  score(t: number, y: tf.Tensor2D): tf.Tensor2D;
  /** The mixture pi^ref (Gaussian / GMM references only). */
  readonly mixture?: GaussianMixtureTarget;
}

/**
 * p_t^ref of a Gaussian mixture pi^ref as a target (a new object: dispose it). Built from float64 algebra each call;
 * also the exact noised target law when `mixture` is the target (the optimal control, optimalControl.ts).
 */
export function noisedMarginal(sde: NoisingSde, mixture: GaussianMixtureTarget, t: number): NoisedMixtureTarget {
  checkNoisingSde('noisedMarginal', sde);
  return noisedMixture(mixture, sde.signalScale(t), sde.noiseStd(t));
}

/** Gaussian-mixture reference (a one-component mixture is the Gaussian reference). */
export function mixtureReference(sde: NoisingSde, mixture: GaussianMixtureTarget): RdsReference {
  const fn = 'mixtureReference';
  checkNoisingSde(fn, sde);
  if (mixture == null || typeof mixture !== 'object' || !('components' in mixture)) {
    invalidOption(fn, 'mixture', mixture, 'a Gaussian mixture target (gaussianMixture or a preset)');
  }
  return {
    kind: mixture.numComponents === 1 ? 'gaussian' : 'gmm',
    dim: mixture.dim,
    mixture,
    logDensity: (x) => tf.tidy(() => tf.sub(mixture.logDensity(x), mixture.logZ) as tf.Tensor1D),
    // The noised law's constants are created in this tidy and freed with it.
    score: (t, y) => tf.tidy(() => noisedMarginal(sde, mixture, t).score(y)),
  };
}

/** The default reference N(0, v I) of the SDE: with it RDS is DDS (VP) or PIS (PBM). Dispose `reference.mixture`. */
export function defaultReference(sde: NoisingSde, dim: number): RdsReference {
  checkNoisingSde('defaultReference', sde);
  checkInteger('defaultReference', 'dim', dim);
  const v = sde.defaultReferenceVariance;
  const mixture = gaussianMixture({ weights: [1], means: [new Array(dim).fill(0)], covariances: [v], name: `${sde.kind}-default-reference` });
  return mixtureReference(sde, mixture);
}

/** A reference given by an energy network E(t, x) [n] (EBM-LRDS): score -grad_x E, log pi^ref = -E(0, x) + const. */
export function energyReference(energy: (t: number, x: tf.Tensor2D) => tf.Tensor1D, dim: number): RdsReference {
  const fn = 'energyReference';
  if (typeof energy !== 'function') invalidOption(fn, 'energy', energy, 'a function (t, x [n, d]) -> energies [n]');
  checkInteger(fn, 'dim', dim);
  return {
    kind: 'energy',
    dim,
    logDensity: (x) => tf.tidy(() => tf.neg(energy(0, x)) as tf.Tensor1D),
    score: (t, y) => tf.tidy(() => tf.neg(tf.grad((x: tf.Tensor) => tf.sum(energy(t, x as tf.Tensor2D)))(y)) as tf.Tensor2D),
  };
}
