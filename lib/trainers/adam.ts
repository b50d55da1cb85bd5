/**
 * Adam (Kingma & Ba 2015, Algorithm 1) with the update fused per parameter tensor.
 *
 * tf.train.adam issues about a dozen kernels per variable per step; a RealNVP with 96 weight tensors spends
 * more time in those ~1,100 small kernels than in its matmuls. On backends whose data lives in host memory
 * (wasm, cpu) this optimiser instead reads each gradient once, updates the moments and the parameter in one
 * JavaScript loop (moments kept in Float32Arrays on the host) and assigns the result. On device backends
 * (webgpu, tensorflow) it runs the same update with tf ops, so nothing is read back. On wasm with the OpenBLAS addon
 * one native kernel (lib/core/nativeAdam.ts) runs that loop for every variable, on the wasm heap, with the same bits.
 *
 *   m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
 *   theta <- theta - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 *
 * The state (step, moments) is plain data, so a checkpoint can hold it and resume bit-exactly.
 *
 * `learningRate` can be set between steps (the trainers' step schedules do). `weightDecay` adds wd * theta to the
 * gradient before the moments, as torch.optim.Adam(weight_decay=wd) does (L2, not AdamW's decoupled decay); the
 * nfmcmc reference pre-trains its flows with wd = 1e-4 (spec section 1.3).
 */
import * as tf from '@tensorflow/tfjs';
import { readAll, readIfOnHost } from '../core/readback.js';

/** The native kernel of lib/core/nativeAdam.ts (same arithmetic), registered for wasm with the OpenBLAS addon. */
const NATIVE_ADAM_KERNEL = 'SamplingLabAdam';

export interface AdamOptions {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** L2 coefficient added to the gradient, g <- g + weightDecay * theta (torch.optim.Adam semantics). Default 0. */
  weightDecay?: number;
  /** Where the update runs: 'auto' (host on wasm/cpu, device elsewhere), 'host' or 'device'. */
  placement?: 'auto' | 'host' | 'device';
}

export interface AdamState {
  step: number;
  /** First and second moments per variable, in variable order, as plain number arrays. */
  m: number[][];
  v: number[][];
}

const HOST_BACKENDS = new Set(['wasm', 'cpu']);

function checkRate(name: string, value: unknown, open01: boolean): number {
  const ok = typeof value === 'number' && Number.isFinite(value) && (open01 ? value >= 0 && value < 1 : value > 0);
  if (!ok) {
    throw new Error(`adam: option "${name}" = ${String(value)}, expected ${open01 ? 'a number in [0, 1)' : 'a finite number > 0'}`);
  }
  return value as number;
}

export class Adam {
  readonly variables: tf.Variable[];
  private rate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  readonly placement: 'auto' | 'host' | 'device';
  private step = 0;
  /** Every variable's moments one after the other (the native kernel's layout); m[i], v[i] are views of them. */
  private mAll: Float32Array;
  private vAll: Float32Array;
  private m: Float32Array[];
  private v: Float32Array[];
  private device: { m: tf.Variable; v: tf.Variable }[] | null = null;

  constructor(variables: tf.Variable[], options: AdamOptions) {
    if (!Array.isArray(variables) || variables.length === 0 || !variables.every((x) => x instanceof tf.Variable)) {
      throw new Error('adam: option "variables" must be a non-empty array of tf.Variable');
    }
    if (options == null || typeof options !== 'object') throw new Error('adam: options must be an object { learningRate, ... }');
    this.variables = variables;
    this.rate = checkRate('learningRate', options.learningRate, false);
    this.beta1 = checkRate('beta1', options.beta1 ?? 0.9, true);
    this.beta2 = checkRate('beta2', options.beta2 ?? 0.999, true);
    this.epsilon = checkRate('epsilon', options.epsilon ?? 1e-8, false);
    const weightDecay = options.weightDecay ?? 0;
    if (typeof weightDecay !== 'number' || !Number.isFinite(weightDecay) || weightDecay < 0) {
      throw new Error(`adam: option "weightDecay" = ${String(weightDecay)}, expected a finite number >= 0`);
    }
    this.weightDecay = weightDecay;
    const placement = options.placement ?? 'auto';
    if (!['auto', 'host', 'device'].includes(placement)) {
      throw new Error(`adam: option "placement" = ${String(placement)}, expected 'auto', 'host' or 'device'`);
    }
    this.placement = placement;
    const total = variables.reduce((n, x) => n + x.size, 0);
    this.mAll = new Float32Array(total);
    this.vAll = new Float32Array(total);
    let at = 0;
    const views = variables.map((x) => [at, (at += x.size)] as const);
    this.m = views.map(([a, b]) => this.mAll.subarray(a, b));
    this.v = views.map(([a, b]) => this.vAll.subarray(a, b));
  }

  /** Copy moments given per variable into the views. */
  private setMoments(m: ArrayLike<number>[], v: ArrayLike<number>[]): void {
    m.forEach((a, i) => this.m[i].set(a));
    v.forEach((a, i) => this.v[i].set(a));
  }

  /** The step size used by the next update (settable between steps, e.g. by a StepLR schedule). */
  get learningRate(): number {
    return this.rate;
  }

  set learningRate(value: number) {
    this.rate = checkRate('learningRate', value, false);
  }

  /** Compute loss and gradients w.r.t. the variables, apply one update, and return the loss (caller disposes). */
  minimize(loss: () => tf.Scalar): tf.Scalar {
    const { value, grads } = tf.variableGrads(loss, this.variables);
    this.applyGradients(this.variables.map((x) => grads[x.name]));
    tf.dispose(grads);
    return value;
  }

  /** Apply one update with gradients given in variable order (missing gradients count as zero). */
  applyGradients(grads: (tf.Tensor | undefined)[]): void {
    if (grads.length !== this.variables.length) {
      throw new Error(`adam.applyGradients: got ${grads.length} gradients, expected ${this.variables.length} (one per variable)`);
    }
    this.step += 1;
    const lrT = (this.learningRate * Math.sqrt(1 - this.beta2 ** this.step)) / (1 - this.beta1 ** this.step);
    // eps scaled so that lrT * m / (sqrt(v) + epsT) equals the textbook update with eps outside the bias correction.
    const epsT = this.epsilon * Math.sqrt(1 - this.beta2 ** this.step);
    // The host path reads values synchronously: only where the backend keeps tensors in host memory.
    const onHost = HOST_BACKENDS.has(tf.getBackend());
    if (this.placement === 'host' && !onHost) {
      throw new Error(`adam: option "placement" = 'host' on the ${tf.getBackend()} backend, expected 'auto' or 'device' there (the host path reads tensors synchronously, which only cpu and wasm allow)`);
    }
    const host = this.placement === 'auto' ? onHost : this.placement === 'host';
    if (host && this.device) this.movesMomentsToHost();
    grads.forEach((g, i) => {
      const variable = this.variables[i];
      if (g != null && !tf.util.arraysEqual(g.shape, variable.shape)) {
        throw new Error(`adam.applyGradients: gradient ${i} has shape [${g.shape}], expected [${variable.shape}] like variable "${variable.name}"`);
      }
    });
    if (host && this.updateNatively(grads, lrT, epsT)) return;
    this.variables.forEach((variable, i) => {
      const g = grads[i];
      if (g == null) return;
      if (host) this.updateOnHost(variable, g, i, lrT, epsT);
      else this.updateOnDevice(variable, g, i, lrT, epsT);
    });
  }

  /**
   * Every variable in one native call (lib/core/nativeAdam.ts: the same arithmetic as updateOnHost, in place on the
   * wasm heap) when that kernel is registered and every gradient is present; false otherwise.
   */
  private updateNatively(grads: (tf.Tensor | undefined)[], lrT: number, epsT: number): boolean {
    if (tf.getBackend() !== 'wasm' || tf.getKernel(NATIVE_ADAM_KERNEL, 'wasm') == null) return false;
    if (!grads.every((g) => g != null && g.dtype === 'float32') || !this.variables.every((x) => x.dtype === 'float32')) return false;
    const outs = tf.engine().runKernel(
      NATIVE_ADAM_KERNEL,
      [...this.variables, ...(grads as tf.Tensor[])] as unknown as tf.NamedTensorMap,
      { m: this.mAll, v: this.vAll, beta1: this.beta1, beta2: this.beta2, lrT, epsT, weightDecay: this.weightDecay } as unknown as tf.NamedAttrMap,
    ) as tf.Tensor[];
    this.variables.forEach((variable, i) => variable.assign(outs[i]));
    tf.dispose(outs);
    return true;
  }

  private updateOnHost(variable: tf.Variable, g: tf.Tensor, i: number, lrT: number, epsT: number): void {
    const grad = readIfOnHost(g) as Float32Array;
    const theta = Float32Array.from(readIfOnHost(variable) as Float32Array);
    const m = this.m[i];
    const v = this.v[i];
    const { beta1: b1, beta2: b2, weightDecay: wd } = this;
    for (let j = 0; j < theta.length; j++) {
      const gj = wd === 0 ? grad[j] : grad[j] + wd * theta[j];
      const mj = b1 * m[j] + (1 - b1) * gj;
      const vj = b2 * v[j] + (1 - b2) * gj * gj;
      m[j] = mj;
      v[j] = vj;
      theta[j] -= (lrT * mj) / (Math.sqrt(vj) + epsT);
    }
    const next = tf.tensor(theta, variable.shape, 'float32');
    variable.assign(next);
    next.dispose();
  }

  private updateOnDevice(variable: tf.Variable, g: tf.Tensor, i: number, lrT: number, epsT: number): void {
    // tidy frees the initial values (each variable keeps its own reference to the data).
    this.device ??= this.variables.map((x, j) =>
      tf.tidy(() => ({ m: tf.variable(tf.tensor(this.m[j], x.shape), false), v: tf.variable(tf.tensor(this.v[j], x.shape), false) })),
    );
    const { m, v } = this.device[i];
    tf.tidy(() => {
      if (this.weightDecay !== 0) g = tf.add(g, tf.mul(variable, this.weightDecay));
      m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1)));
      v.assign(tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)));
      variable.assign(tf.sub(variable, tf.div(tf.mul(m, lrT), tf.add(tf.sqrt(v), epsT))));
    });
  }

  /** Moments back on the host (device backends keep them as variables until a state is asked for): one read. */
  private async syncMoments(): Promise<void> {
    if (this.device == null) return;
    const values = await readAll(this.device.flatMap((d) => [d.m, d.v]));
    this.setMoments(this.device.map((_, i) => values[2 * i]), this.device.map((_, i) => values[2 * i + 1]));
  }

  /** A switch to the host path on a host backend (placement 'device' then 'host'): the moments follow. */
  private movesMomentsToHost(): void {
    this.setMoments(this.device!.map((d) => readIfOnHost(d.m)!), this.device!.map((d) => readIfOnHost(d.v)!));
    this.freeDeviceMoments();
  }

  private freeDeviceMoments(): void {
    if (this.device) tf.dispose(this.device.flatMap((d) => [d.m, d.v]));
    this.device = null;
  }

  /** Free the device-side moments, keeping them on the host first (one read). */
  async dispose(): Promise<void> {
    await this.syncMoments();
    this.freeDeviceMoments();
  }

  /** Plain-data state for checkpoints (one read of the device-side moments, if any). */
  async getState(): Promise<AdamState> {
    await this.syncMoments();
    return { step: this.step, m: this.m.map((a) => Array.from(a)), v: this.v.map((a) => Array.from(a)) };
  }

  /** Restore a state from getState(); sizes must match the variables. */
  setState(state: AdamState): void {
    const sizes = this.variables.map((x) => x.size);
    const fits = (arrays: number[][]) => arrays.length === sizes.length && arrays.every((a, i) => a.length === sizes[i]);
    if (!Number.isInteger(state?.step) || state.step < 0 || !fits(state.m) || !fits(state.v)) {
      throw new Error(`adam.setState: state does not match ${sizes.length} variables of sizes [${sizes}]`);
    }
    this.freeDeviceMoments();
    this.step = state.step;
    this.setMoments(state.m, state.v);
  }
}

/** `adam(variables, { learningRate })`: see {@link Adam}. */
export function adam(variables: tf.Variable[], options: AdamOptions): Adam {
  return new Adam(variables, options);
}
