/**
 * The standard workloads, with the same definitions as the PyTorch peer (`bench/torch_peer.py`):
 *   mlp_regression  MLP 2-256-256-256-1, SiLU, batch 1024, Adam(1e-3), loss mean((f(x)-y)^2); one step.
 *   mlp_input_grad  same MLP, loss mean(0.5 f(x)^2 + |grad_x f(x)|^2); one step.
 *   mala_gmm32      MALA on a 32-d mixture of 8 unit-variance Gaussians, equal weights, means ~ N(0, 3^2 I),
 *                   4096 chains, step size 0.05; one step = proposal, log-density and gradient, MH accept.
 *                   Runs the library's `mala` kernel on the library's `gaussianMixture` target.
 *   realnvp_mle     RealNVP d=16, 8 affine couplings (alternating halves), s and t nets 16-64-64-16 with ReLU
 *                   on the masked input (as the peer's code), tanh-bounded log-scale; batch 1024 of N(0, I);
 *                   Adam(1e-3); loss = NLL through the inverse pass; one step. Runs the library's `realNvp`
 *                   and `forwardKl` loss.
 *   matmul1024      1024x1024 @ 1024x1024 float32.
 * Training workloads use the library's fused Adam (lib/trainers/adam.ts).
 * Each workload returns a `step` to time and a `sync` that waits for the device.
 */
import * as tf from '@tensorflow/tfjs';
import { matMul } from '../lib/core/ops.js';
import { mlp } from '../lib/models/mlp.js';
import { key, split, foldIn, normal } from '../lib/core/random.js';
import { advance, tensorsIn } from '../lib/core/memory.js';
import { gaussianMixture } from '../lib/targets/mixture.js';
import { mala, type MalaState } from '../lib/samplers/mcmc/mala.js';
import { adam } from '../lib/trainers/adam.js';
import { realNvp } from '../lib/models/realnvp.js';
import { forwardKl } from '../lib/trainers/flowLosses.js';

export interface Workload {
  step: () => void;
  sync: () => Promise<void>;
  dispose: () => void | Promise<void>;
}

export type WorkloadName = 'mlp_regression' | 'mlp_input_grad' | 'mala_gmm32' | 'realnvp_mle' | 'matmul1024';
export const WORKLOADS: WorkloadName[] = ['mlp_regression', 'mlp_input_grad', 'mala_gmm32', 'realnvp_mle', 'matmul1024'];

function lastLoss(): { set: (t: tf.Tensor) => void; sync: () => Promise<void>; dispose: () => void } {
  let loss: tf.Tensor | null = null;
  return {
    set: (t) => {
      loss?.dispose();
      loss = t;
    },
    sync: async () => {
      if (loss) await loss.data();
    },
    dispose: () => loss?.dispose(),
  };
}

function mlpWorkload(inputGrad: boolean): Workload {
  const [kNet, kx, ky] = split(key(0), 3);
  // The library's MLP (lib/models/mlp.ts, the building block of its energy and score networks).
  const net = mlp(kNet, [2, 256, 256, 256, 1], { activation: 'silu' });
  const opt = adam(net.variables, { learningRate: 1e-3 });
  const x = normal(kx, [1024, 2]) as tf.Tensor2D;
  const y = normal(ky, [1024, 1]);
  const loss = lastLoss();
  const step = () => {
    const l = opt.minimize(() => {
      if (!inputGrad) return tf.mean(tf.square(tf.sub(net.apply(x), y))) as tf.Scalar;
      // One forward pass; its output is kept out of grad's tidy scope to be reused in the loss.
      let f: tf.Tensor | null = null;
      const g = tf.grad((xi: tf.Tensor) => {
        f = tf.keep(net.apply(xi as tf.Tensor2D));
        return tf.sum(f);
      })(x);
      const out = tf.add(tf.mean(tf.mul(0.5, tf.square(f!))), tf.mean(tf.sum(tf.square(g), 1)));
      tf.dispose(f!);
      return out as tf.Scalar;
    });
    loss.set(l);
  };
  return {
    step,
    sync: loss.sync,
    dispose: () => {
      loss.dispose();
      net.dispose();
      tf.dispose([x, y]);
      return opt.dispose();
    },
  };
}

async function malaWorkload(): Promise<Workload> {
  const d = 32;
  const k = 8;
  const n = 4096;
  const [kMeans, kInit, kChain] = split(key(0), 3);
  const means = normal(kMeans, [k, d], 0, 3);
  // The library's mixture target (analytic gradient, distances as matmuls) and the library's MALA kernel.
  const target = gaussianMixture({
    weights: Array.from({ length: k }, () => 1 / k),
    means: (await means.array()) as number[][],
    covariances: Array.from({ length: k }, () => 1),
  });
  means.dispose();
  const kernel = mala(target);
  const x0 = normal(kInit, [n, d]) as tf.Tensor2D;
  let state: MalaState = await kernel.init(x0);
  x0.dispose();
  const params = { stepSize: 0.05 };
  let i = 0;
  return {
    step: () => {
      const stepKey = foldIn(kChain, i++);
      state = advance(state, (s) => kernel.step(stepKey, s, params).state);
    },
    sync: async () => {
      await state.position.data();
    },
    dispose: () => {
      tf.dispose([...tensorsIn(state)]);
      target.dispose();
    },
  };
}

function realnvpWorkload(): Workload {
  const d = 16;
  const [kNet, kData] = split(key(0));
  // The library's RealNVP with the peer's sizes: 4 blocks x 2 couplings = 8 affine couplings on alternating halves,
  // s and t nets 16-64-64-16 with ReLU on the masked input, tanh-bounded log-scale (plus the residual dt = 1/K
  // scaling of the reference implementation, which costs one multiply), trained by the forward-KL / NLL loss.
  const flow = realNvp(kNet, { dim: d, numBlocks: 4, hiddenDim: 64, hiddenDepth: 4, initScale: 1 });
  const opt = adam(flow.variables, { learningRate: 1e-3 });
  const data = normal(kData, [1024, d]) as tf.Tensor2D;
  const loss = lastLoss();
  const step = () => {
    loss.set(opt.minimize(() => forwardKl(flow, data)));
  };
  return {
    step,
    sync: loss.sync,
    dispose: () => {
      loss.dispose();
      flow.dispose();
      data.dispose();
      return opt.dispose(); // the moments, on the device on webgpu
    },
  };
}

function matmulWorkload(): Workload {
  const [ka, kb] = split(key(0));
  const a = normal(ka, [1024, 1024]);
  const b = normal(kb, [1024, 1024]);
  let c: tf.Tensor | null = null;
  return {
    step: () => {
      c?.dispose();
      c = matMul(a, b);
    },
    // waits for the product without copying its 4 MB out (the peer's sync copies nothing either)
    sync: async () => {
      if (!c) return;
      const corner = tf.slice(c, [0, 0], [1, 1]);
      await corner.data();
      corner.dispose();
    },
    dispose: () => tf.dispose([a, b, ...(c ? [c] : [])]),
  };
}

/** Build a workload (async: a few host reads at setup, e.g. the mixture's means and the kernel's initial check). */
export async function makeWorkload(name: WorkloadName): Promise<Workload> {
  switch (name) {
    case 'mlp_regression':
      return mlpWorkload(false);
    case 'mlp_input_grad':
      return mlpWorkload(true);
    case 'mala_gmm32':
      return malaWorkload();
    case 'realnvp_mle':
      return realnvpWorkload();
    case 'matmul1024':
      return matmulWorkload();
  }
}

/** Inner calls per repetition, as in the peer. */
export const INNER: Record<WorkloadName, number> = {
  mlp_regression: 5,
  mlp_input_grad: 5,
  mala_gmm32: 20,
  realnvp_mle: 5,
  matmul1024: 5,
};
