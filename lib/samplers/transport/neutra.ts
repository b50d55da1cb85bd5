/**
 * NeuTra reparametrisation (Hoffman et al. 2019; nfmcmc spec sections 1.3 "NeuTra wrapper" and 4.3): given a flow
 * T (latent z -> data x) and a target pi, the pulled-back target on the latent space is
 *   pi_T(z) = pi(T z)^(1 / temperature) |det dT/dz|,   log pi_T(z) = log pi(T z) / temperature + logDet_forward(z),
 * so any kernel (MALA, HMC, elliptical slice, ...) runs in latent space and its states are pushed forward by T.
 * The temperature is applied here and only here (spec section 1.9, pitfall 1: the reference divided by it twice,
 * once in the latent target and again in the inner sampler; our kernels take no temperature, so it cannot happen).
 *
 * Gradients: d/dz log pi_T(z) = J_T(z)^T grad log pi(T z) / temperature + d/dz logDet(z), by autodiff through the
 * flow. When the target has an analytic gradient, autodiff goes through the flow only: the surrogate
 * sum(logDet(z)) + sum(T(z) * g) / temperature with g = grad log pi(T z) held constant has exactly that gradient.
 */
import * as tf from '@tensorflow/tfjs';
import { stopGradient } from '../../core/ops.js';
import type { Key } from '../../core/random.js';
import { checkNumber, checkOptions, invalidOption } from '../../core/validate.js';
import type { Flow } from '../../models/flow.js';
import { checkFinite, checkPositions, logDensityAndGrad, type Target } from '../../targets/target.js';
import type { ChainState, Kernel, StepInfo } from '../mcmc/kernel.js';
import { positionsFromRows } from '../mcmc/metropolis.js';

export interface NeutraOptions {
  /** Divides log pi (exactly once); default 1. */
  temperature?: number;
}

/** The latent target pi_T, with the flow, the data-space target and the temperature it was built from. */
export interface NeutraTarget extends Target {
  logDensityAndGrad(z: tf.Tensor2D): { logDensity: tf.Tensor1D; grad: tf.Tensor2D };
  readonly flow: Flow;
  readonly dataTarget: Target;
  readonly temperature: number;
}

/** Check that `flow` has the `Flow` shape and the target's dimension. */
export function checkFlow(where: string, flow: unknown, dim: number): Flow {
  const f = flow as Flow | null;
  if (f == null || typeof f !== 'object' || typeof f.forward !== 'function' || typeof f.inverse !== 'function') {
    invalidOption(where, 'flow', flow, 'a Flow { dim, forward(z) -> { value, logDet }, inverse(x) -> { value, logDet } }');
  }
  if (f.dim !== dim) invalidOption(where, 'flow.dim', f.dim, `the target's dimension ${dim}`);
  return f;
}

export function checkTarget(where: string, target: unknown): Target {
  const t = target as Target | null;
  if (t == null || typeof t !== 'object' || typeof t.logDensity !== 'function' || !Number.isInteger(t.dim) || t.dim < 1) {
    invalidOption(where, 'target', target, 'a Target { name, dim, logDensity(x) -> [n], ... }');
  }
  return t;
}

/** The pulled-back target pi_T on the latent space (see the file header). */
export function neutraTarget(flow: Flow, target: Target, options: NeutraOptions = {}): NeutraTarget {
  const where = 'neutraTarget';
  checkTarget(where, target);
  checkFlow(where, flow, target.dim);
  const opts = checkOptions<NeutraOptions>(where, options, ['temperature']);
  const temperature = checkNumber(where, 'temperature', opts.temperature ?? 1, 'positive');
  const d = target.dim;
  const name = `neutra(${target.name})`;
  const analyticGradient = typeof target.gradLogDensity === 'function' || typeof target.logDensityAndGrad === 'function';
  const tempered = (logDensity: tf.Tensor1D) => (temperature === 1 ? logDensity : tf.div(logDensity, temperature));

  const logDensity = (z: tf.Tensor2D): tf.Tensor1D => {
    checkPositions(`${name}.logDensity`, z, d, 'z');
    return tf.tidy(() => {
      const { value: x, logDet } = flow.forward(z);
      return tf.add(tempered(target.logDensity(x)), logDet) as tf.Tensor1D;
    });
  };

  const valueAndGrad = (z: tf.Tensor2D) => {
    checkPositions(`${name}.logDensityAndGrad`, z, d, 'z');
    return tf.tidy(() => {
      // tf.valueAndGrad only returns the summed value: the per-chain values are kept out of its scope.
      let perChain: tf.Tensor1D | undefined;
      const { grad } = tf.valueAndGrad((zi: tf.Tensor) => {
        const { value: x, logDet } = flow.forward(zi as tf.Tensor2D);
        if (analyticGradient) {
          const at = logDensityAndGrad(target, stopGradient(x));
          perChain = tf.keep(tf.add(tempered(at.logDensity), logDet) as tf.Tensor1D);
          return tf.add(tf.sum(logDet), tf.div(tf.sum(tf.mul(x, at.grad)), temperature)) as tf.Scalar;
        }
        perChain = tf.keep(tf.add(tempered(target.logDensity(x)), logDet) as tf.Tensor1D);
        return tf.sum(perChain) as tf.Scalar;
      })(z);
      const values = tf.clone(perChain as tf.Tensor1D);
      (perChain as tf.Tensor1D).dispose();
      return { logDensity: values, grad: grad as tf.Tensor2D };
    });
  };

  const latent: NeutraTarget = {
    name,
    dim: d,
    flow,
    dataTarget: target,
    temperature,
    logDensity,
    logDensityAndGrad: valueAndGrad,
  };
  if (temperature === 1) {
    // pi_T integrates to the same Z as pi, and z = T^-1(x) with x ~ pi is an exact draw from it.
    if (target.logZ !== undefined) latent.logZ = target.logZ;
    const exact = target.sample;
    if (typeof exact === 'function') {
      latent.sample = (key: Key, n: number) =>
        tf.tidy(() => {
          const x = exact.call(target, key, n);
          return flow.inverse(x).value;
        });
    }
  }
  return latent;
}

/** A NeuTra chain state: the inner kernel's latent state (position = z) and its push-forward x = T z. */
export type NeutraState<S extends ChainState = ChainState> = S & { dataPosition: tf.Tensor2D };

export interface NeutraKernel<S extends ChainState, P, I extends StepInfo = StepInfo> extends Kernel<NeutraState<S>, P, I> {
  /** The latent target pi_T: the chain's `position` follows it. */
  readonly target: NeutraTarget;
  readonly flow: Flow;
  /** The inner kernel, built on the latent target. */
  readonly inner: Kernel<S, P, I>;
  /** Data-space positions x = T z of a state; pass as runChain's `transform` to record samples of pi. */
  transform(state: NeutraState<S>): tf.Tensor2D;
  /** A state from latent positions z [n, d] (init takes data-space positions x and starts at T^-1 x). */
  initLatent(z: tf.Tensor2D): Promise<NeutraState<S>>;
}

/**
 * NeuTra-ise a kernel: `neutra((latent) => mala(latent), flow, target)` runs MALA on pi_T and reports x = T z.
 * `init(x0)` takes DATA-space positions (as the reference: the inner sampler starts at T^-1(x0)); `step` is the
 * inner kernel's step followed by one forward pass of the flow (no gradient) for `dataPosition`.
 */
export function neutra<S extends ChainState, P, I extends StepInfo = StepInfo>(
  kernelFactory: (latentTarget: Target) => Kernel<S, P, I>,
  flow: Flow,
  target: Target,
  options: NeutraOptions = {},
): NeutraKernel<S, P, I> {
  const where = 'neutra';
  if (typeof kernelFactory !== 'function') {
    invalidOption(where, 'kernelFactory', kernelFactory, 'a function (latentTarget) -> Kernel, e.g. (t) => mala(t)');
  }
  const latent = neutraTarget(flow, target, options);
  const inner = kernelFactory(latent);
  if (inner == null || typeof inner.init !== 'function' || typeof inner.step !== 'function') {
    invalidOption(where, 'kernelFactory', 'a function returning ' + String(inner), 'a function returning a Kernel { init, step }');
  }
  const d = target.dim;
  const withData = (state: S): NeutraState<S> => {
    const x = tf.tidy(() => flow.forward(state.position).value);
    return { ...state, dataPosition: x };
  };
  const initLatent = async (z: tf.Tensor2D): Promise<NeutraState<S>> => withData(await inner.init(z));
  return {
    name: `neutra-${inner.name}`,
    target: latent,
    flow,
    inner,
    transform: (state) => state.dataPosition,
    initLatent,
    async init(position: tf.Tensor2D | number[][]): Promise<NeutraState<S>> {
      const x = Array.isArray(position) ? positionsFromRows(`${where}.init`, position, d) : position;
      try {
        checkPositions(`${where}.init`, x, d);
        await checkFinite(`${where}.init`, x);
        const z = tf.tidy(() => flow.inverse(x).value);
        try {
          return await initLatent(z);
        } finally {
          z.dispose();
        }
      } finally {
        if (x !== position) x.dispose();
      }
    },
    step(key: Key, state: NeutraState<S>, params: P): { state: NeutraState<S>; info: I } {
      if (state == null || typeof state !== 'object') {
        invalidOption(`${where}.step`, 'state', state, 'a NeuTra chain state from init or step');
      }
      const { dataPosition: _old, ...latentState } = state;
      return tf.tidy(() => {
        const out = inner.step(key, latentState as unknown as S, params);
        return { state: withData(out.state), info: out.info };
      });
    },
  };
}
