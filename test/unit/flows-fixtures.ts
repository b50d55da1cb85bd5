/**
 * Shared pieces of the flow tests: RealNVPs pushed far from the identity (so that round trips and log-dets are
 * not checked on a near-identity map), the Jacobian by autodiff, and float64 log |det|.
 */
import * as tf from '@tensorflow/tfjs';
import { logDet, matmul, matrix, transpose } from '../../lib/core/linalg.js';
import { key, normal, split } from '../../lib/core/random.js';
import { realNvp, type RealNvp, type RealNvpOptions } from '../../lib/models/realnvp.js';

/** Every variable (weights and biases) re-drawn i.i.d. N(0, scale^2): a flow far from the identity. */
export function perturb(variables: readonly tf.Variable[], seed: number, scale = 0.5): void {
  const keys = split(key(seed), variables.length);
  variables.forEach((v, i) => {
    const value = normal(keys[i], v.shape, 0, scale);
    v.assign(value);
    value.dispose();
  });
}

/** A RealNVP with perturbed weights (see {@link perturb}). */
export function perturbedRealNvp(options: RealNvpOptions, seed: number, scale = 0.5): RealNvp {
  const flow = realNvp(key(seed), options);
  perturb(flow.variables, seed + 1000, scale);
  return flow;
}

/**
 * Per-row Jacobians of a map f: [n, d] -> [n, d] whose rows do not interact, by autodiff: row i of every
 * Jacobian is the gradient of sum_rows f(x)[:, i]. Returns J[r][i][j] = d f_i / d x_j at row r.
 */
export function jacobians(f: (x: tf.Tensor2D) => tf.Tensor2D, x: tf.Tensor2D): number[][][] {
  const [n, d] = x.shape;
  const out: number[][][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < d; i++) {
    const unit = tf.oneHot([i], d).reshape([1, d]).toFloat();
    const rowI = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(f(xi as tf.Tensor2D), unit)))(x);
    const values = rowI.arraySync() as number[][];
    for (let r = 0; r < n; r++) out[r][i] = values[r];
    tf.dispose([unit, rowI]);
  }
  return out;
}

/** log |det J| in float64, as log det(J J^T) / 2 (J J^T is symmetric positive definite for invertible J). */
export function logAbsDet(j: number[][]): number {
  const d = j.length;
  const m = matrix(d, d, j);
  return 0.5 * logDet(matmul(m, transpose(m)));
}

/** Largest |a_i - b_i|. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** Largest |a_i|. */
export function maxAbs(a: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]));
  return worst;
}

/** x W + b, then relu unless last, in float64: an MLP from its variables [W0, b0, W1, b1, ...]. */
function mlpFloat64(vars: tf.Variable[], x: number[]): number[] {
  let h = x;
  const layers = vars.length / 2;
  for (let l = 0; l < layers; l++) {
    const [rows, cols] = vars[2 * l].shape;
    const w = vars[2 * l].dataSync();
    const b = vars[2 * l + 1].dataSync();
    const out = Array.from({ length: cols }, (_, j) => {
      let sum = b[j];
      for (let i = 0; i < rows; i++) sum += h[i] * w[i * cols + j];
      return sum;
    });
    h = l < layers - 1 ? out.map((v) => Math.max(v, 0)) : out;
  }
  return h;
}

/**
 * The reference's forward pass (flow_mcmc flow/realnvp.py, ResidualAffineCoupling) written out in float64 for
 * one point, from the flow's variables in their documented order; ReLU activation only.
 * Returns T(z) and log |det J_T(z)|.
 */
export function referenceForward(flow: RealNvp, z: number[]): { x: number[]; logDet: number } {
  const { dim, numBlocks, hiddenDepth, activation, maskType } = flow.config;
  if (activation !== 'relu') throw new Error('referenceForward: relu only');
  const m = Array.from({ length: dim }, (_, i) => (maskType === 'half' ? (i < Math.floor(dim / 2) ? 0 : 1) : i % 2));
  const perNet = 2 * (hiddenDepth - 1);
  const dt = 2 / (numBlocks * 2 * 1); // the reference's dt with block_depth = 1
  let x = [...z];
  let logDet = 0;
  let offset = 0;
  for (let b = 0; b < numBlocks; b++) {
    for (let c = 0; c < 2; c++) {
      const mask = c === 0 ? m.map((v) => 1 - v) : m;
      const scaleVars = flow.variables.slice(offset, offset + perNet);
      const transVars = flow.variables.slice(offset + perNet, offset + 2 * perNet);
      offset += 2 * perNet;
      const input = x.map((v, i) => v * (1 - mask[i]));
      const sRaw = mlpFloat64(scaleVars, input);
      const tRaw = mlpFloat64(transVars, input);
      const s = sRaw.map((v, i) => dt * Math.tanh(mask[i] * v));
      const t = tRaw.map((v, i) => dt * mask[i] * v);
      x = x.map((v, i) => (v + t[i]) * Math.exp(s[i]));
      logDet += s.reduce((a, v) => a + v, 0);
    }
  }
  return { x, logDet };
}
