/**
 * ScoreCtrl, the target-informed LRDS control (spec slips-lrds-amcbg.md 2.4, sde_sampler `models/reparam.py`):
 *   u(t, x) = clip(FourierMLP(t, x)) + clip(TimeEmbed(t)) * clip(grad log gamma(x)),
 * with clip(v) = min(max(v, -1e4), 1e4) elementwise, FourierMLP of fourierMlp.ts and TimeEmbed a scalar time net
 * (4 layers, 64 channels, out 1; the same Fourier features). Both start near zero, so u ~ 0 initially.
 * grad log gamma comes from logDensityAndGrad (the target's analytic gradient, or autodiff).
 */
import * as tf from '@tensorflow/tfjs';
import { split, type Key } from '../core/random.js';
import { checkInteger, checkOptions, invalidOption } from '../core/validate.js';
import type { RdsControl } from '../samplers/diffusion/rds/controlledSde.js';
import { checkTarget, logDensityAndGrad, type Target } from '../targets/target.js';
import { checkControlInput, checkScope, fourierMlp, timeNet, type FourierMlp, type TimeNet } from './fourierMlp.js';

/** The clipping bound of every ScoreCtrl term. */
export const SCORE_CONTROL_CLIP = 1e4;

export interface ScoreControlOptions {
  /** gamma: the unnormalised target whose score informs the control. */
  target: Target;
  /** d; default (and must equal) target.dim. */
  dim?: number;
  /** FourierMLP layers (>= 2); default 4. */
  numLayers?: number;
  /** FourierMLP channels; default 64. */
  channels?: number;
  /** Time-net layers (>= 2); default 4. */
  timeLayers?: number;
  /** Time-net channels; default 64. */
  timeChannels?: number;
  /** Variable-name prefix; default a fresh `scoreControl#<n>`. */
  scope?: string;
}

export interface ScoreControl {
  readonly config: { dim: number; numLayers: number; channels: number; timeLayers: number; timeChannels: number };
  readonly network: FourierMlp;
  readonly timeNetwork: TimeNet;
  /** The network's variables, then the time net's. */
  readonly variables: tf.Variable[];
  apply(t: number, x: tf.Tensor2D): tf.Tensor2D;
  asControl(): RdsControl;
  dispose(): void;
}

const OPTION_NAMES = ['target', 'dim', 'numLayers', 'channels', 'timeLayers', 'timeChannels', 'scope'];

const clip = (v: tf.Tensor): tf.Tensor => tf.clipByValue(v, -SCORE_CONTROL_CLIP, SCORE_CONTROL_CLIP);

export function scoreControl(key: Key, options: ScoreControlOptions): ScoreControl {
  const fn = 'scoreControl';
  const opts = checkOptions<ScoreControlOptions>(fn, options, OPTION_NAMES);
  checkTarget(fn, opts.target);
  const target = opts.target as Target;
  const dim = checkInteger(fn, 'dim', opts.dim ?? target.dim);
  if (dim !== target.dim) invalidOption(fn, 'dim', dim, `the target's dimension ${target.dim} (or leave it out)`);
  const timeLayers = checkInteger(fn, 'timeLayers', opts.timeLayers ?? 4, 2);
  const timeChannels = checkInteger(fn, 'timeChannels', opts.timeChannels ?? 64);
  const scope = checkScope(fn, opts.scope, 'scoreControl');

  const [kNet, kTime] = split(key, 2);
  const network = fourierMlp(kNet, { dim, numLayers: opts.numLayers, channels: opts.channels, scope: `${scope}/network` });
  let timeNetwork: TimeNet;
  try {
    timeNetwork = timeNet(kTime, { out: 1, numLayers: timeLayers, channels: timeChannels, nearZeroOutput: true, scope: `${scope}/timeNet` });
  } catch (err) {
    network.dispose();
    throw err;
  }
  const apply = (t: number, x: tf.Tensor2D): tf.Tensor2D => {
    checkControlInput(fn, x, dim);
    return tf.tidy(() => {
      const { logDensity, grad } = logDensityAndGrad(target, x);
      logDensity.dispose();
      // [n, d] + [1, 1] * [n, d]
      return tf.add(clip(network.apply(t, x)), tf.mul(clip(timeNetwork.apply(t)), clip(grad))) as tf.Tensor2D;
    });
  };
  return {
    config: { dim, numLayers: network.config.numLayers, channels: network.config.channels, timeLayers, timeChannels },
    network,
    timeNetwork,
    variables: [...network.variables, ...timeNetwork.variables],
    apply,
    asControl: () => (t, y) => apply(t, y),
    dispose() {
      network.dispose();
      timeNetwork.dispose();
    },
  };
}
