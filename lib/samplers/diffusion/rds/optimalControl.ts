/**
 * The optimal RDS control of a Gaussian-mixture target (spec slips-lrds-amcbg.md section 2.2): the network
 * approximates u*(t, y) = grad log(p_t / p_t^ref)(y), where p_t is the law of s(t) X + s(t) sigmaBar(t) Z for
 * X ~ target, a Gaussian mixture in closed form (lib/targets/noisedMixture.ts). With u* the generative process has
 * the target's noised marginals, so rnd = -log Z + log(p_T^ref / p_T)(Y_0) up to the discretisation: constant for
 * PBM (both laws are delta_0 at T). The ground truth that RDS tests and a "perfect LRDS" baseline rest on.
 */
import * as tf from '@tensorflow/tfjs';
import { invalidOption } from '../../../core/validate.js';
import type { GaussianMixtureTarget } from '../../../targets/mixture.js';
import type { RdsControl } from './controlledSde.js';
import { checkNoisingSde, type NoisingSde } from './noisingSde.js';
import { noisedMarginal, type RdsReference } from './referenceMarginal.js';

export function mixtureOptimalControl(sde: NoisingSde, target: GaussianMixtureTarget, reference: RdsReference): RdsControl {
  const fn = 'mixtureOptimalControl';
  checkNoisingSde(fn, sde);
  if (target == null || typeof target !== 'object' || !('components' in target)) {
    invalidOption(fn, 'target', target, 'a Gaussian mixture target (gaussianMixture or a preset)');
  }
  if (reference == null || typeof reference.score !== 'function' || reference.dim !== target.dim) {
    invalidOption(fn, 'reference', reference, `an RDS reference of dimension ${target.dim}`);
  }
  return (t, y) => tf.tidy(() => tf.sub(noisedMarginal(sde, target, t).score(y), reference.score(t, y)) as tf.Tensor2D);
}
