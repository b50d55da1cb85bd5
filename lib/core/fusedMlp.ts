/**
 * A whole MLP (dense layers with a hidden activation, none after the last) as one kernel with its own first-order
 * gradient, where a backend registers the kernels (lib/core/nativeMlp.ts does, for wasm with the OpenBLAS addon).
 * Layer by layer, an MLP step on small layers is bound by tfjs' per-kernel cost (~10-30 us per kernel on wasm: a
 * RealNVP coupling's two 16-64-64-16 nets dispatch ~40 kernels per training step, about half of them elementwise);
 * fused, a net costs one forward kernel and, backward, one kernel for the deltas, one per weight gradient asked for
 * and one for the input gradient.
 *
 * Kernels (registered by a backend; this module only registers the gradient and calls them):
 *   `SamplingLabMlpWorkspace`, no inputs, attrs {size}: an uninitialised float32 vector of that size.
 *   `SamplingLabMlp{L}`, inputs {x, W0, b0, ..., W{L-1}, b{L-1}, workspace}, attrs {activation}: output y. It also
 *       fills the workspace (made for this call alone) with, for l = 0..L-2, the pre-activation z_l [n, s_{l+1}]
 *       then the hidden h_{l+1} = act(z_l), one after the other, for the backward pass. (A second output would
 *       cost a zero-filled gradient of its size in every backward pass: tfjs fills the dy of unused outputs.)
 *   `SamplingLabMlpDeltas`, inputs [dy, W1..W{L-1}, workspace], attrs {activation, sizes}:
 *       outputs [delta_0 .. delta_{L-2}, db_0 .. db_{L-1}], delta_l = dL/dz_l (delta_{L-1} = dy) and db_l its column
 *       sums: delta_{l-1} = (delta_l W_l^T) * act'(z_{l-1}).
 *   `SamplingLabMlpWeightGrads`, inputs [x, workspace, delta_0 .. delta_{L-1}], attrs {offsets, rows, sizes}:
 *       outputs dW_l = h_l^T delta_l for every l, h_0 = x and h_l the [rows, sizes[l]] matrix at element offsets[l]
 *       of the workspace.
 * The input gradient is delta_0 W_0^T (`tf.matMul` with the transpose flag). The weight gradients are computed,
 * all in one kernel, only when tfjs asks for one of them, so an input-gradient `tf.grad(f)(x)` pays for none.
 *
 * First order only: the gradient is not itself differentiable. {@link canFuseMlp} therefore refuses while a
 * gradient is taken inside another (tfjs' gradient depth above 1: a loss holding an input-gradient, a
 * Hessian-vector product), and the MLP then runs layer by layer with ops.ts' exact-at-every-order ops.
 */
import * as tf from '@tensorflow/tfjs';
import { insideNestedGradient } from './ops.js';

/** Activations with fused kernels (the codes of native/elementwise.c). */
export const FUSED_MLP_ACTIVATIONS = { relu: 1, silu: 7 } as const;
export type FusedMlpActivation = keyof typeof FUSED_MLP_ACTIVATIONS;

/** The most layers a fused kernel is registered for (deeper MLPs run layer by layer). */
export const MAX_FUSED_MLP_LAYERS = 16;

export const MLP_WORKSPACE_KERNEL = 'SamplingLabMlpWorkspace';
export const MLP_DELTAS_KERNEL = 'SamplingLabMlpDeltas';
export const MLP_WEIGHT_GRADS_KERNEL = 'SamplingLabMlpWeightGrads';

/** The forward kernel's name for an MLP of `numLayers` dense layers. */
export function mlpKernelName(numLayers: number): string {
  return `SamplingLabMlp${numLayers}`;
}

/** Input names of the forward kernel: x, W0, b0, W1, b1, ... */
function inputNames(numLayers: number): string[] {
  return ['x', ...Array.from({ length: numLayers }, (_, l) => [`W${l}`, `b${l}`]).flat()];
}

/** The layer sizes [s_0, ..., s_L] from the saved x and weights. */
function layerSizes(x: tf.Tensor, weights: readonly tf.Tensor[]): number[] {
  return [x.shape[1] as number, ...weights.map((w) => w.shape[1] as number)];
}

interface EngineScopes {
  state: { scopeStack: { id: number; track: tf.Tensor[] }[] };
}

/**
 * Hand a tensor made inside tfjs' per-input gradient tidy to the enclosing scope (the backward pass's), as if it
 * had been made there: it then outlives this input's gradient (a later input's gradient returns it) and is freed
 * with the backward pass's other intermediates when no input asked for it (tfjs-core 4.x scope internals).
 */
function moveToParentScope(t: tf.Tensor): void {
  const stack = (tf.engine() as unknown as EngineScopes).state.scopeStack;
  const current = stack[stack.length - 1];
  const parent = stack[stack.length - 2];
  if (current == null || parent == null) return;
  const i = current.track.indexOf(t);
  if (i >= 0) current.track.splice(i, 1);
  parent.track.push(t);
  (t as unknown as { scopeId: number }).scopeId = parent.id;
}

function registerGradient(numLayers: number): void {
  const weightNames = Array.from({ length: numLayers }, (_, l) => `W${l}`);
  tf.registerGradient({
    kernelName: mlpKernelName(numLayers),
    inputsToSave: ['x', ...weightNames, 'workspace'],
    gradFunc: (dy, saved, attrs) => {
      if (tf.engine().isTapeOn()) {
        // canFuseMlp keeps this from happening; say so rather than return a gradient that is not differentiable
        throw new Error('fused MLP: a higher-order gradient reached the fused kernel (it is first-order only)');
      }
      const x = saved[0];
      const weights = saved.slice(1, numLayers + 1);
      const workspace = saved[numLayers + 1];
      const sizes = layerSizes(x, weights);
      const n = x.shape[0] as number;
      const outs = tf.engine().runKernel(
        MLP_DELTAS_KERNEL,
        [dy as tf.Tensor, ...weights.slice(1), workspace] as unknown as tf.NamedTensorMap,
        { activation: attrs.activation, sizes },
      ) as tf.Tensor[];
      const deltas = [...outs.slice(0, numLayers - 1), dy as tf.Tensor];
      const biasGrads = outs.slice(numLayers - 1);
      // h_l inside the workspace: after z_0, h_1, ..., z_{l-1}
      let offset = 0;
      const hiddenOffsets = [0];
      for (let l = 1; l < numLayers; l++) {
        offset += n * sizes[l];
        hiddenOffsets.push(offset);
        offset += n * sizes[l];
      }
      // every weight gradient in one kernel, at the first request: the others wait in the backward pass's scope
      let weightGrads: tf.Tensor[] | null = null;
      const weightGrad = (l: number): tf.Tensor => {
        if (weightGrads == null) {
          weightGrads = tf.engine().runKernel(
            MLP_WEIGHT_GRADS_KERNEL,
            [x, workspace, ...deltas] as unknown as tf.NamedTensorMap,
            { offsets: hiddenOffsets, rows: n, sizes },
          ) as tf.Tensor[];
          weightGrads.forEach((g, k) => k !== l && moveToParentScope(g));
        }
        return weightGrads[l];
      };
      const grads: Record<string, () => tf.Tensor> = {
        // a transpose flag is fast here: these kernels exist only on the OpenBLAS matmul (ops.ts' trap 1 does not apply)
        x: () => tf.matMul(deltas[0], weights[0], false, true),
      };
      for (let l = 0; l < numLayers; l++) {
        grads[`W${l}`] = () => weightGrad(l);
        grads[`b${l}`] = () => biasGrads[l];
      }
      return grads;
    },
  });
}

for (let l = 1; l <= MAX_FUSED_MLP_LAYERS; l++) registerGradient(l);

/**
 * Whether {@link fusedMlp} can run this MLP now: the active backend registered the kernel, the activation has one,
 * every tensor is float32, and no gradient is being taken inside another one (see the module comment).
 */
export function canFuseMlp(x: tf.Tensor, weights: readonly tf.Tensor[], biases: readonly tf.Tensor[], activation: string): boolean {
  const numLayers = weights.length;
  if (numLayers < 1 || numLayers > MAX_FUSED_MLP_LAYERS || !(activation in FUSED_MLP_ACTIVATIONS)) return false;
  if (insideNestedGradient()) return false;
  if (tf.getKernel(mlpKernelName(numLayers), tf.getBackend()) == null) return false;
  return [x, ...weights, ...biases].every((t) => t.dtype === 'float32');
}

/**
 * y = dense(act(... act(dense(x, W0, b0)) ...), W{L-1}, b{L-1}) in one kernel; call only when {@link canFuseMlp}
 * says so. Same values as the layer-by-layer form (relu bit for bit with the OpenBLAS kernels).
 */
export function fusedMlp(
  x: tf.Tensor2D, weights: readonly tf.Tensor[], biases: readonly tf.Tensor[], activation: FusedMlpActivation,
): tf.Tensor2D {
  const numLayers = weights.length;
  const names = inputNames(numLayers);
  const [n] = x.shape;
  const size = weights.slice(0, -1).reduce((sum, w) => sum + 2 * n * (w.shape[1] as number), 0);
  const workspace = tf.engine().runKernel(MLP_WORKSPACE_KERNEL, {}, { size }) as tf.Tensor;
  const inputs: tf.NamedTensorMap = { x, workspace };
  for (let l = 0; l < numLayers; l++) {
    inputs[names[1 + 2 * l]] = weights[l];
    inputs[names[2 + 2 * l]] = biases[l];
  }
  try {
    return tf.engine().runKernel(mlpKernelName(numLayers), inputs, { activation }) as tf.Tensor2D;
  } finally {
    workspace.dispose(); // the tape keeps its own reference when it needs the workspace
  }
}
