/**
 * Times one Adam step of the standard MLP workload built from lib/core/ops.ts (DESIGN.md section 4: a script,
 * never a timed unit test):
 *   MLP 2-256-256-256-1, SiLU, batch 1024, Adam(1e-3)
 *   - regression:  loss = mean((f(x) - y)^2)
 *   - input-grad:  loss = mean(0.5 f(x)^2 + |grad_x f(x)|^2)   (tf.grad inside tf.variableGrads: 2nd order)
 * and prints medians (ms / step), a per-kernel breakdown of one step (tf.profile, leaf kernels only), and the
 * matmul floor: the FLOPs of the step's matmuls at the plain-matmul rate measured in the same run.
 *
 *   npx tsx bench/ops-probe.ts [--backend wasm|cpu] [--plain-tfjs] [--reps 7] [--steps 5] [--no-profile]
 *                              [--transpose auto|materialise|flags]
 * SAMPLING_LAB_NATIVE_MATMUL=0 keeps tfjs-wasm's own XNNPACK matmul (otherwise the OpenBLAS kernels of
 * lib/core/nativeMatMul.ts are used when built).
 *
 * --plain-tfjs adds the plain-tfjs versions (tf.matMul + x * tf.sigmoid(x), tfjs' own gradients) for the ratio;
 * their input-grad gradients are wrong (tfjs issue 3252), it is timed only for reference.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, formatBackendReport } from '../lib/core/backend.js';
import * as ops from '../lib/core/ops.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const backend = opt('backend', 'wasm');
const reps = Number(opt('reps', '7'));
const steps = Number(opt('steps', '5'));
const withNative = args.includes('--plain-tfjs');
const withProfile = !args.includes('--no-profile');
const transpose = opt('transpose', 'auto') as ops.TransposePolicy;

const report = await initBackend({ force: backend });
console.log(formatBackendReport(report));

const SIZES = [2, 256, 256, 256, 1];
const BATCH = 1024;

interface Layer {
  W: tf.Variable;
  b: tf.Variable;
}

function makeParams(seed: number): Layer[] {
  const layers: Layer[] = [];
  for (let l = 0; l + 1 < SIZES.length; l++) {
    const [i, o] = [SIZES[l], SIZES[l + 1]];
    layers.push({
      W: tf.variable(tf.randomNormal([i, o], 0, 1 / Math.sqrt(i), 'float32', seed + 2 * l)),
      b: tf.variable(tf.zeros([o])),
    });
  }
  return layers;
}

type Net = (x: tf.Tensor, layers: Layer[]) => tf.Tensor;

const oursNet: Net = (x, layers) => {
  let h = x;
  layers.forEach(({ W, b }, l) => {
    h = ops.dense(h, W, b);
    if (l + 1 < layers.length) h = ops.silu(h);
  });
  return h;
};

const nativeNet: Net = (x, layers) => {
  let h = x;
  layers.forEach(({ W, b }, l) => {
    h = tf.add(tf.matMul(h, W), b);
    if (l + 1 < layers.length) h = tf.mul(h, tf.sigmoid(h));
  });
  return h;
};

const x = tf.randomNormal([BATCH, 2], 0, 1, 'float32', 101);
const y = tf.tidy(() => tf.sin(tf.sum(tf.mul(x, tf.tensor([1.5, -0.7])), 1, true)));

function regressionLoss(net: Net, layers: Layer[]): () => tf.Scalar {
  return () => tf.mean(tf.square(tf.sub(net(x, layers), y))) as tf.Scalar;
}

function inputGradLoss(net: Net, layers: Layer[]): () => tf.Scalar {
  return () => {
    // One forward pass: f is per-sample, so the gradient of sum(f) w.r.t. x holds every per-sample
    // input-gradient; the per-sample values are kept out of tf.grad's inner tidy (they stay on the outer tape).
    let fx: tf.Tensor | null = null;
    const g = tf.grad((u: tf.Tensor) => {
      fx = tf.keep(net(u, layers));
      return tf.sum(fx);
    })(x);
    const f = fx as unknown as tf.Tensor;
    const loss = tf.mean(tf.add(tf.mul(0.5, tf.sum(tf.square(f), 1)), tf.sum(tf.square(g), 1))) as tf.Scalar;
    f.dispose();
    return loss;
  };
}

function median(a: number[]): number {
  const s = [...a].sort((p, q) => p - q);
  return s[Math.floor(s.length / 2)];
}

async function timeSteps(name: string, loss: () => tf.Scalar, nReps: number, nSteps: number): Promise<number> {
  const optimizer = tf.train.adam(1e-3);
  const step = (): void => {
    tf.tidy(() => {
      optimizer.minimize(loss, false);
    });
  };
  for (let i = 0; i < 2; i++) step();
  const before = tf.memory().numTensors;
  const perStep: number[] = [];
  const cpuPerStep: number[] = [];
  let last = NaN;
  for (let r = 0; r < nReps; r++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (let i = 0; i < nSteps; i++) step();
    const c1 = process.cpuUsage(c0);
    perStep.push((performance.now() - t0) / nSteps);
    cpuPerStep.push((c1.user + c1.system) / 1000 / nSteps);
    const l = tf.tidy(() => loss());
    last = (await l.data())[0];
    l.dispose();
  }
  const leak = tf.memory().numTensors - before;
  optimizer.dispose();
  const med = median(perStep);
  console.log(
    `${name.padEnd(34)} median ${med.toFixed(1).padStart(7)} ms/step, cpu ${median(cpuPerStep).toFixed(1)} ms  (min ${Math.min(...perStep).toFixed(1)}, ` +
      `max ${Math.max(...perStep).toFixed(1)}; ${nReps} x ${nSteps} steps; loss ${last.toPrecision(4)}; ` +
      `tensor growth ${leak})`,
  );
  return med;
}

/** Leaf-kernel time of one step by kernel name (our fused kernels and customGrad scopes are containers). */
async function profileStep(loss: () => tf.Scalar): Promise<void> {
  const optimizer = tf.train.adam(1e-3);
  const step = (): void => {
    tf.tidy(() => {
      optimizer.minimize(loss, false);
    });
  };
  step();
  const info = await tf.profile(() => {
    step();
  });
  optimizer.dispose();
  const byName = new Map<string, { ms: number; n: number }>();
  let total = 0;
  for (const k of info.kernels) {
    if (k.name.startsWith('SamplingLab') || tf.getKernel(k.name, tf.getBackend()) == null) continue;
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0; // {error} when the backend has no timer
    const e = byName.get(k.name) ?? { ms: 0, n: 0 };
    e.ms += ms;
    e.n += 1;
    byName.set(k.name, e);
    total += ms;
  }
  const rows = [...byName.entries()].sort((a, b) => b[1].ms - a[1].ms);
  console.log(`  leaf kernels of one profiled step: ${total.toFixed(1)} ms in ${rows.reduce((s, r) => s + r[1].n, 0)} calls`);
  for (const [name, e] of rows.slice(0, 14)) {
    console.log(`    ${name.padEnd(20)} ${e.ms.toFixed(2).padStart(8)} ms  ${String(e.n).padStart(4)} calls  ${((100 * e.ms) / total).toFixed(0).padStart(3)} %`);
  }
}

/** Plain matmul throughput for a [1024, 256] x [256, 256] product with a fresh right operand each call. */
async function matmulRate(): Promise<number> {
  const a = tf.randomNormal([BATCH, 256]);
  const bs = Array.from({ length: 8 }, () => tf.randomNormal([256, 256]));
  // one read at the end of each batch (kernels run synchronously on cpu / wasm; a device backend syncs there)
  const batch = async (): Promise<void> => {
    const last = tf.tidy(() => {
      let out: tf.Tensor | null = null;
      for (const b of bs) {
        out?.dispose();
        out = tf.matMul(a, b);
      }
      return out!;
    });
    await last.data();
    last.dispose();
  };
  await batch();
  const times: number[] = [];
  for (let r = 0; r < 9; r++) {
    const t0 = performance.now();
    await batch();
    times.push((performance.now() - t0) / bs.length);
  }
  tf.dispose([a, ...bs]);
  return (2 * BATCH * 256 * 256) / (median(times) * 1e6); // GFLOP/s
}

/** FLOPs of the matmuls in one step (forward + backward), counted from the layer sizes. */
function stepFlops(kind: 'regression' | 'input-grad'): number {
  let fwd = 0;
  let dW = 0;
  let dX = 0;
  for (let l = 0; l + 1 < SIZES.length; l++) {
    const mm = 2 * BATCH * SIZES[l] * SIZES[l + 1];
    fwd += mm;
    dW += mm;
    if (l > 0) dX += mm; // no gradient w.r.t. the data for the first layer
  }
  if (kind === 'regression') return fwd + dW + dX;
  // forward + inner backward (dX only, down to x) + outer backward: each inner dX matmul gives two matmuls,
  // each forward matmul gives dW (and dX above the first layer).
  const dXall = dX + 2 * BATCH * SIZES[0] * SIZES[1];
  return fwd + dXall + 2 * dXall + dW + dX;
}

ops.setTransposePolicy(transpose);
console.log(`\nMLP ${SIZES.join('-')} SiLU, batch ${BATCH}, Adam; backend ${tf.getBackend()}; transpose policy ${transpose}`);
const gflops = await matmulRate();
console.log(`plain matmul [1024,256]x[256,256] (8 different right operands): ${gflops.toFixed(1)} GFLOP/s`);

const layers = makeParams(7);
const tReg = await timeSteps('ours, regression', regressionLoss(oursNet, layers), reps, steps);
const tGg = await timeSteps('ours, input-grad (2nd order)', inputGradLoss(oursNet, layers), reps, Math.max(1, Math.round(steps / 2)));
for (const [kind, t] of [['regression', tReg], ['input-grad', tGg]] as const) {
  const f = stepFlops(kind);
  const floor = f / (gflops * 1e6);
  console.log(
    `  ${kind}: ${(f / 1e6).toFixed(0)} MFLOP of matmul per step -> ${floor.toFixed(1)} ms at ${gflops.toFixed(1)} GFLOP/s ` +
      `(${((100 * floor) / t).toFixed(0)} % of the step)`,
  );
}
if (withProfile) {
  console.log('\nprofile, regression step:');
  await profileStep(regressionLoss(oursNet, layers));
  console.log('profile, input-grad step:');
  await profileStep(inputGradLoss(oursNet, layers));
}
if (withNative) {
  console.log('\nplain tfjs for reference (input-grad parameter gradients are wrong there):');
  const nl = makeParams(7);
  const nReg = await timeSteps('native tfjs, regression', regressionLoss(nativeNet, nl), 3, 1);
  const nGg = await timeSteps('native tfjs, input-grad', inputGradLoss(nativeNet, nl), 3, 1);
  console.log(`  speed-up: regression ${(nReg / tReg).toFixed(1)}x, input-grad ${(nGg / tGg).toFixed(1)}x`);
}
console.log('\nreference points measured earlier on this machine (research/compute-backends.md): naive tfjs-wasm');
console.log('571-698 ms/step; materialised transposes ~63 ms; PyTorch 1 thread 17-19 ms (input-grad 45.8 ms).');
