/**
 * The affine coupling update of a RealNVP (lib/models/realnvp.ts) as one kernel with its own first-order gradient,
 * where a backend registers the kernels (lib/core/nativeCoupling.ts does, for wasm with the OpenBLAS addon). Layer
 * by layer the update and its gradient dispatch about twenty small elementwise kernels per coupling; fused, two.
 *
 * With a = the scale net's output, b = the translation net's, m = dt u the scaled update mask ([1, d]):
 *   s = m tanh(a),  t = m b;   inverse (x -> z): y = x exp(-s) - t;   forward (z -> x): y = (x + t) exp(s).
 * Kernel `SamplingLabAffineCoupling`, inputs {x, scale: a, shift: b, mask: m}, attrs {inverse}: outputs [y, s]
 * (s feeds the log-determinant). Its gradient runs `SamplingLabAffineCouplingGrad` (inputs {dy, ds, x, scale,
 * shift, mask}, attrs {inverse}, outputs [dx, dScale, dShift]); the formulas are in native/coupling.c.
 *
 * First order only, like lib/core/fusedMlp.ts: {@link canFuseCoupling} refuses while a gradient is taken inside
 * another, and the mask must be a constant (it gets no gradient).
 */
import * as tf from '@tensorflow/tfjs';
import { insideNestedGradient } from './ops.js';

export const COUPLING_KERNEL = 'SamplingLabAffineCoupling';
export const COUPLING_GRAD_KERNEL = 'SamplingLabAffineCouplingGrad';

tf.registerGradient({
  kernelName: COUPLING_KERNEL,
  inputsToSave: ['x', 'scale', 'shift', 'mask'],
  gradFunc: (dys, saved, attrs) => {
    if (tf.engine().isTapeOn()) {
      throw new Error('fused coupling: a higher-order gradient reached the fused kernel (it is first-order only)');
    }
    const [dy, ds] = dys as tf.Tensor[];
    const [x, scale, shift, mask] = saved;
    const [dx, dScale, dShift] = tf.engine().runKernel(
      COUPLING_GRAD_KERNEL, { dy, ds, x, scale, shift, mask }, { inverse: attrs.inverse },
    ) as tf.Tensor[];
    return {
      x: () => dx,
      scale: () => dScale,
      shift: () => dShift,
      mask: () => {
        throw new Error('fused coupling: the mask is a constant; no gradient flows to it');
      },
    };
  },
});

/** Whether {@link fusedCoupling} can run now (kernel registered, float32, no gradient inside a gradient). */
export function canFuseCoupling(...tensors: tf.Tensor[]): boolean {
  if (insideNestedGradient()) return false;
  if (tf.getKernel(COUPLING_KERNEL, tf.getBackend()) == null) return false;
  return tensors.every((t) => t.dtype === 'float32');
}

/** y and s of one coupling (see the module comment); call only when {@link canFuseCoupling} says so. */
export function fusedCoupling(
  x: tf.Tensor2D, scale: tf.Tensor2D, shift: tf.Tensor2D, mask: tf.Tensor2D, inverse: boolean,
): { y: tf.Tensor2D; s: tf.Tensor2D } {
  const [y, s] = tf.engine().runKernel(COUPLING_KERNEL, { x, scale, shift, mask }, { inverse }) as tf.Tensor2D[];
  return { y, s };
}
