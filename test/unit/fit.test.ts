/**
 * fit / resumeFit: convergence to a known optimum, equality with a plain Adam loop (keys, StepLR schedule),
 * progress cadence and event-loop yields, early stopping (stopWhen), abort with a partial result, non-finite handling (error with rollback,
 * skip), a flat tensor count, determinism, bit-exact checkpoint resume (in process, and across a real SIGKILL of
 * a child process), the progress bar, bad inputs.
 *
 * This file is also the child process of the kill test: with FIT_CHILD=<checkpoint path> it runs a long
 * checkpointed fit and registers no tests.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { foldIn, key, normal, type Key } from '../../lib/core/random.js';
import { dense, stopGradient } from '../../lib/core/ops.js';
import { choleskySolve, cholesky, matmul, matrix, transpose } from '../../lib/core/linalg.js';
import { Adam } from '../../lib/trainers/adam.js';
import { fit, resumeFit, FitAbortedError, NonFiniteLossError, type FitProgress, type FitResult, type LossFunction } from '../../lib/trainers/fit.js';
import { useBackend } from '../helpers/backends.js';
import { stepPast, waitForOutput } from '../helpers/child-output.js';

const ROWS = 40;
const TRUE_W = [1.5, -2, 0.25];
const TRUE_B = 0.7;

/**
 * Linear least squares y ~ X w + b on fixed data (asymmetric coefficients). `noisy` adds fresh N(0, 0.3^2) noise to
 * y from the step key, so the loss depends on the key (stochastic gradients). Variables start at `start`.
 */
function regression(start = 0) {
  const X = normal(key(11), [ROWS, 3]) as tf.Tensor2D;
  const y = tf.tidy(() => tf.add(tf.add(tf.matMul(X, tf.tensor2d(TRUE_W, [3, 1])), TRUE_B), normal(key(12), [ROWS, 1], 0, 0.1))) as tf.Tensor2D;
  const w = tf.variable(tf.fill([3, 1], start));
  const b = tf.variable(tf.fill([1], start));
  const lossWith = (noisy: boolean): LossFunction => (k) =>
    tf.tidy(() => {
      const target = noisy ? tf.add(y, normal(k, [ROWS, 1], 0, 0.3)) : y;
      return tf.mean(tf.square(tf.sub(dense(X, w, b), target))) as tf.Scalar;
    });
  return {
    variables: [w, b],
    exactLoss: lossWith(false),
    noisyLoss: lossWith(true),
    /** The least-squares optimum [w0, w1, w2, b] in float64 (normal equations, Cholesky). */
    optimum(): number[] {
      const x = X.arraySync();
      const a = matrix(ROWS, 4, x.map((row) => [...row, 1]));
      const at = transpose(a);
      const solution = choleskySolve(cholesky(matmul(at, a)), matmul(at, matrix(ROWS, 1, y.dataSync())));
      return Array.from(solution.data);
    },
    dispose: () => tf.dispose([X, y, w, b]),
  };
}

function bytesOf(t: tf.Tensor): Buffer {
  const data = t.dataSync() as Float32Array;
  return Buffer.from(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

function assertSameVariables(a: tf.Variable[], b: tf.Variable[], what: string): void {
  a.forEach((v, i) => assert.ok(bytesOf(v).equals(bytesOf(b[i])), `${what}: variable ${i} must be bit-identical`));
}

function assertSameLosses(a: Float64Array, b: Float64Array): void {
  assert.equal(a.length, b.length);
  assert.ok(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength)), 'losses must be bit-identical');
}

const CHILD_CHECKPOINT = process.env.FIT_CHILD;

if (CHILD_CHECKPOINT) {
  // Child of the kill test: train "forever", checkpointing every 10 steps, until the parent kills it.
  await useBackend('wasm');
  const p = regression();
  await fit({
    variables: p.variables,
    loss: p.noisyLoss,
    steps: 1_000_000,
    key: key(7),
    optimizer: { learningRate: 0.05 },
    schedule: { every: 15, gamma: 0.9 },
    chunkSize: 5,
    checkpoint: { path: CHILD_CHECKPOINT, everySteps: 10 },
    onProgress: ({ step }) => console.log(`step ${step}`),
  });
} else {
  registerTests();
}

function registerTests(): void {
  let dir: string;
  before(async () => {
    await useBackend('wasm');
    dir = await mkdtemp(join(tmpdir(), 'fit-test-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('fit takes a convex least-squares loss to its optimum (normal equations in float64)', async () => {
    const p = regression();
    const optimum = p.optimum();
    const schedule = { every: 100, gamma: 0.5 };
    const steps = 800;
    const result = await fit({ variables: p.variables, loss: p.exactLoss, steps, key: key(1), optimizer: { learningRate: 0.05 }, schedule });
    assert.equal(result.stepsDone, steps);
    assert.equal(result.aborted, false);
    assert.equal(result.losses.length, steps);
    const found = [...p.variables[0].dataSync(), ...p.variables[1].dataSync()];
    // Near the optimum an Adam step moves each coordinate by about lr at most; the last rate is 0.05 * 0.5^7.
    const lastRate = 0.05 * 0.5 ** Math.floor((steps - 1) / schedule.every);
    found.forEach((v, i) => assert.ok(Math.abs(v - optimum[i]) < 10 * lastRate, `theta[${i}] = ${v}, optimum ${optimum[i]}`));
    // The optimum is the true line up to the data noise (sd 0.1 over 40 rows): a sanity check on the problem.
    TRUE_W.forEach((w, i) => assert.ok(Math.abs(optimum[i] - w) < 0.15, `optimum w[${i}]`));
    assert.ok(result.losses[steps - 1] < result.losses[0] / 100, 'the loss went down by orders of magnitude');
    p.dispose();
  });

  test('fit equals a plain Adam loop with keys foldIn(key, i) and the StepLR rate lr * gamma^floor(i / every)', async () => {
    const schedule = { every: 7, gamma: 0.6 };
    const steps = 45;
    const a = regression();
    const optimizer = new Adam(a.variables, { learningRate: 0.1 });
    const seenRates: number[] = [];
    const result = await fit({
      loss: (k, step) => {
        seenRates[step] = optimizer.learningRate;
        return a.noisyLoss(k, step);
      },
      steps,
      key: key(3),
      optimizer,
      schedule,
      chunkSize: 10,
    });
    const expected = Array.from({ length: steps }, (_, i) => 0.1 * 0.6 ** Math.floor(i / 7));
    assert.deepEqual(seenRates, expected, 'the rate used at step i');
    assert.equal(optimizer.learningRate, 0.1, 'fit leaves the optimiser at its base rate');
    assert.equal(result.optimizer, optimizer);
    // The same computation by hand.
    const b = regression();
    const manual = new Adam(b.variables, { learningRate: 0.1 });
    const losses = new Float64Array(steps);
    for (let i = 0; i < steps; i++) {
      manual.learningRate = expected[i];
      const value = manual.minimize(() => b.noisyLoss(foldIn(key(3), i), i));
      losses[i] = value.dataSync()[0];
      value.dispose();
    }
    assertSameVariables(a.variables, b.variables, 'fit vs manual loop');
    assertSameLosses(result.losses, losses);
    assert.equal((await optimizer.getState()).step, steps);
    a.dispose();
    b.dispose();
  });

  test('progress: one report per logEvery steps (and at the end), window means, rate and elapsed time; the event loop runs', async () => {
    const p = regression();
    const reports: FitProgress[] = [];
    let ticks = 0;
    let ticking = true;
    const tick = () => {
      ticks += 1;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const result = await fit({
      variables: p.variables,
      loss: p.noisyLoss,
      steps: 130,
      key: key(4),
      optimizer: { learningRate: 0.02 },
      schedule: { every: 50, gamma: 0.5 },
      chunkSize: 50,
      logEvery: 20,
      onProgress: (r) => reports.push(r),
    });
    ticking = false;
    assert.deepEqual(reports.map((r) => r.step), [20, 40, 60, 80, 100, 120, 130]);
    assert.ok(reports.every((r) => r.steps === 130 && r.skipped === 0));
    let from = 0;
    for (const r of reports) {
      const window = result.losses.subarray(from, r.step);
      const mean = window.reduce((s, v) => s + v, 0) / window.length;
      assert.ok(Math.abs(r.loss - mean) < 1e-12 * Math.abs(mean), `report at ${r.step}: loss is the window mean`);
      assert.equal(r.lr, 0.02 * 0.5 ** Math.floor((r.step - 1) / 50));
      from = r.step;
    }
    for (let i = 1; i < reports.length; i++) assert.ok(reports[i].elapsedMs >= reports[i - 1].elapsedMs);
    assert.ok(ticks >= reports.length, `the event loop ran between chunks (${ticks} ticks)`);
    // Default logEvery = chunkSize.
    const steps: number[] = [];
    await fit({ variables: p.variables, loss: p.noisyLoss, steps: 70, key: key(4), chunkSize: 30, onProgress: (r) => steps.push(r.step) });
    assert.deepEqual(steps, [30, 60, 70]);
    p.dispose();
  });

  test('the tensor count is flat across chunks and fit leaves nothing behind (both non-finite modes, host and device Adam)', async () => {
    // 'device' is the placement a GPU backend gets: its moments are tensors, moved back to the host when fit ends.
    for (const [nonFinite, placement] of [['error', 'auto'], ['skip', 'auto'], ['error', 'device']] as const) {
      const p = regression();
      const baseline = tf.memory().numTensors;
      const counts: number[] = [];
      await fit({
        variables: p.variables,
        loss: p.noisyLoss,
        steps: 120,
        key: key(5),
        nonFinite,
        chunkSize: 10,
        optimizer: { learningRate: 0.01, placement },
        onProgress: () => counts.push(tf.memory().numTensors),
      });
      assert.equal(counts.length, 12);
      assert.equal(Math.max(...counts) - Math.min(...counts), 0, `${nonFinite}: tensor count at chunk ends ${counts.join(', ')}`);
      assert.equal(tf.memory().numTensors, baseline, `${nonFinite}: back to the baseline`);
      p.dispose();
    }
  });

  test('same key -> same weights and losses whatever the chunking; another key -> another run', async () => {
    const runs: { result: FitResult; vars: tf.Variable[]; dispose: () => void }[] = [];
    for (const [seed, chunkSize] of [[6, 7], [6, 40], [8, 40]]) {
      const p = regression();
      const result = await fit({ variables: p.variables, loss: p.noisyLoss, steps: 40, key: key(seed), chunkSize });
      runs.push({ result, vars: p.variables, dispose: p.dispose });
    }
    assertSameVariables(runs[0].vars, runs[1].vars, 'same key');
    assertSameLosses(runs[0].result.losses, runs[1].result.losses);
    assert.ok(!bytesOf(runs[0].vars[0]).equals(bytesOf(runs[2].vars[0])), 'another key gives other weights');
    runs.forEach((r) => r.dispose());
  });

  test('abort stops at the next chunk boundary and throws an AbortError carrying the partial result', async () => {
    const p = regression();
    const path = join(dir, 'aborted', 'fit.json');
    const controller = new AbortController();
    const caught = await fit({
      variables: p.variables,
      loss: p.noisyLoss,
      steps: 1000,
      key: key(9),
      chunkSize: 10,
      signal: controller.signal,
      checkpoint: { path, everySteps: 25 },
      onProgress: ({ step }) => {
        if (step === 40) controller.abort();
      },
    }).catch((err: unknown) => err);
    assert.ok(caught instanceof FitAbortedError, 'a FitAbortedError is thrown');
    assert.equal(caught.name, 'AbortError');
    assert.equal(caught.result.aborted, true);
    assert.equal(caught.result.stepsDone, 40);
    assert.equal(caught.result.losses.length, 40);
    assert.equal(JSON.parse(await readFile(path, 'utf8')).step, 40, 'the checkpoint is written on abort');
    // The variables hold the values after 40 steps: the same as a 40-step run.
    const q = regression();
    const straight = await fit({ variables: q.variables, loss: q.noisyLoss, steps: 40, key: key(9) });
    assertSameVariables(p.variables, q.variables, 'aborted at 40 vs 40 steps');
    assertSameLosses(caught.result.losses, straight.losses);
    // Already aborted: nothing runs.
    const early = await fit({ variables: p.variables, loss: p.noisyLoss, steps: 10, key: key(9), signal: AbortSignal.abort() }).catch((err: unknown) => err);
    assert.ok(early instanceof FitAbortedError);
    assert.equal(early.result.stepsDone, 0);
    p.dispose();
    q.dispose();
  });

  test('stopWhen ends the run at the first report where it returns true: the same as a run of that many steps', async () => {
    const p = regression();
    const path = join(dir, 'stopped', 'fit.json');
    const seen: number[] = [];
    // Asynchronous, and reading a tensor back (as a held-out check does): stop once |w0 - 1.5| < 0.5.
    const result = await fit({
      variables: p.variables,
      loss: p.noisyLoss,
      steps: 1000,
      key: key(21),
      optimizer: { learningRate: 0.05 },
      schedule: { every: 15, gamma: 0.9 },
      chunkSize: 7,
      logEvery: 10,
      checkpoint: { path, everySteps: 1000 },
      stopWhen: async ({ step }) => {
        seen.push(step);
        const w0 = (await p.variables[0].data())[0];
        return Math.abs(w0 - TRUE_W[0]) < 0.5;
      },
    });
    const stop = seen[seen.length - 1];
    assert.equal(result.stoppedEarly, true);
    assert.equal(result.aborted, false);
    assert.ok(stop > 10 && stop < 1000, `stopped at ${stop}, after a few reports and before the end`);
    assert.deepEqual(seen, Array.from({ length: stop / 10 }, (_, i) => 10 * (i + 1)), 'called at every report until it said stop');
    assert.equal(result.stepsDone, stop);
    assert.equal(result.losses.length, stop);
    assert.equal(JSON.parse(await readFile(path, 'utf8')).step, stop, 'the checkpoint is written where the run stopped');
    const q = regression();
    const straight = await fit({ variables: q.variables, loss: q.noisyLoss, steps: stop, key: key(21), optimizer: { learningRate: 0.05 }, schedule: { every: 15, gamma: 0.9 } });
    assert.equal(straight.stoppedEarly, false);
    assertSameVariables(p.variables, q.variables, `stopped at ${stop} vs ${stop} steps`);
    assertSameLosses(result.losses, straight.losses);
    // Never true: the run goes to the end, and stopWhen is not called at the last step.
    const calls: number[] = [];
    const full = await fit({ variables: q.variables, loss: q.noisyLoss, steps: 30, key: key(21), logEvery: 10, stopWhen: ({ step }) => (calls.push(step), false) });
    assert.equal(full.stoppedEarly, false);
    assert.equal(full.stepsDone, 30);
    assert.deepEqual(calls, [10, 20]);
    p.dispose();
    q.dispose();
  });

  test("a non-finite loss throws naming the step, rolled back to the chunk start; a non-finite gradient too", async () => {
    const p = regression();
    const badLoss: LossFunction = (k, step) => (step === 37 ? tf.tidy(() => tf.mul(p.noisyLoss(k, step), NaN) as tf.Scalar) : p.noisyLoss(k, step));
    const baseline = tf.memory().numTensors;
    const caught = await fit({ variables: p.variables, loss: badLoss, steps: 100, key: key(10), chunkSize: 10 }).catch((err: unknown) => err);
    assert.ok(caught instanceof NonFiniteLossError, `a NonFiniteLossError is thrown (got ${String(caught)})`);
    assert.match(caught.message, /^fit: the loss at step 37 is NaN; the variables and the optimiser were rolled back to step 30/);
    assert.equal(caught.step, 37);
    assert.equal(caught.result.stepsDone, 30);
    assert.equal((await caught.result.optimizer.getState()).step, 30);
    assert.equal(tf.memory().numTensors, baseline, 'nothing leaks on the error path');
    const q = regression();
    const straight = await fit({ variables: q.variables, loss: q.noisyLoss, steps: 30, key: key(10) });
    assertSameVariables(p.variables, q.variables, 'rolled back to step 30');
    assertSameLosses(caught.result.losses, straight.losses);
    // A finite loss whose gradient is NaN (d sqrt(u) / du at u = 0).
    const r = regression();
    const [w] = r.variables;
    const badGradient: LossFunction = (k, step) =>
      tf.tidy(() => {
        const base = r.noisyLoss(k, step);
        return (step === 12 ? tf.add(base, tf.sqrt(tf.sum(tf.square(tf.sub(w, stopGradient(w)))))) : base) as tf.Scalar;
      });
    await assert.rejects(
      fit({ variables: r.variables, loss: badGradient, steps: 30, key: key(10), chunkSize: 8 }),
      /fit: a gradient at step 12 is non-finite \(loss [0-9.e-]+\); the variables and the optimiser were rolled back to step 8/,
    );
    [p, q, r].forEach((x) => x.dispose());
  });

  test("nonFinite: 'skip' leaves the bad steps' updates out: the same as a manual loop without them", async () => {
    const skipped = new Set([5, 17]);
    const steps = 30;
    const p = regression();
    const [w] = p.variables;
    const loss: LossFunction = (k, step) =>
      tf.tidy(() => {
        const base = p.noisyLoss(k, step);
        if (step === 5) return tf.mul(base, Infinity) as tf.Scalar; // non-finite loss
        if (step === 17) return tf.add(base, tf.sqrt(tf.sum(tf.square(tf.sub(w, stopGradient(w)))))) as tf.Scalar; // NaN gradient
        return base;
      });
    const reports: FitProgress[] = [];
    const result = await fit({ variables: p.variables, loss, steps, key: key(13), nonFinite: 'skip', chunkSize: 10, onProgress: (r) => reports.push(r) });
    assert.deepEqual(result.skippedSteps, [5, 17]);
    assert.equal(result.losses[5], Infinity);
    assert.ok(Number.isFinite(result.losses[17]), 'the loss of a step skipped for its gradient is recorded as it was');
    assert.equal((await result.optimizer.getState()).step, steps - 2, 'skipped steps do not advance Adam');
    assert.deepEqual(reports.map((r) => r.skipped), [1, 2, 2]);
    assert.ok(Number.isFinite(reports[0].loss), 'the report mean leaves non-finite losses out');
    const q = regression();
    const manual = new Adam(q.variables, { learningRate: 1e-3 });
    for (let i = 0; i < steps; i++) {
      if (skipped.has(i)) continue;
      manual.minimize(() => q.noisyLoss(foldIn(key(13), i), i)).dispose();
    }
    assertSameVariables(p.variables, q.variables, 'skip vs manual loop');
    p.dispose();
    q.dispose();
  });

  test('checkpoint + resume is bit-exact: 2N steps = N steps, checkpoint, fresh variables and optimiser, N more', async () => {
    const path = join(dir, 'in-process', 'fit.json');
    const common = { steps: 60, key: key(14), optimizer: { learningRate: 0.05, weightDecay: 1e-3 }, schedule: { every: 20, gamma: 0.5 }, chunkSize: 8 };
    const a = regression();
    const continuous = await fit({ ...common, variables: a.variables, loss: a.noisyLoss });
    const b = regression();
    const firstHalf = await fit({ ...common, steps: 30, variables: b.variables, loss: b.noisyLoss, checkpoint: { path, everySteps: 25 } });
    assert.equal(firstHalf.stepsDone, 30);
    const saved = JSON.parse(await readFile(path, 'utf8'));
    assert.equal(saved.step, 30, 'the final step is checkpointed');
    assert.equal(saved.learningRate, 0.05);
    assert.equal(saved.optimizer.step, 30);
    // Fresh objects: variables at other values, a new optimiser (from options); the checkpoint replaces both.
    const c = regression(3);
    const resumed = await resumeFit(path, { ...common, variables: c.variables, loss: c.noisyLoss, checkpoint: { path, everySteps: 25 } });
    assert.equal(resumed.stepsDone, 60);
    assertSameVariables(a.variables, c.variables, 'continuous vs resumed');
    assertSameLosses(continuous.losses, resumed.losses);
    assert.deepEqual(await resumed.optimizer.getState(), await continuous.optimizer.getState());
    assert.equal(JSON.parse(await readFile(path, 'utf8')).step, 60);
    // Resuming a finished run with the same total does nothing more.
    const again = await resumeFit(path, { ...common, variables: c.variables, loss: c.noisyLoss });
    assert.equal(again.stepsDone, 60);
    assertSameVariables(a.variables, c.variables, 'a finished run resumed');
    [a, b, c].forEach((p) => p.dispose());
  });

  // The timeout only guards against a hang: the test waits on the child's progress lines, not on the clock.
  test('resume after a SIGKILL of a child process mid-run is bit-exact', { timeout: 600_000 }, async () => {
    const path = join(dir, 'killed', 'fit.json');
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
      env: { ...process.env, FIT_CHILD: path },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // fit writes the checkpoint of step 20 before it runs step 21, so a report past step 20 means a checkpoint at
    // step >= 20 is on disk: kill the child then.
    await waitForOutput(child, 'a progress report past step 20', stepPast(20));
    child.kill('SIGKILL');
    assert.equal(await exited, null, 'the child was killed, not finished');
    const saved = JSON.parse(await readFile(path, 'utf8'));
    assert.ok(saved.step >= 10 && saved.step % 10 === 0, `checkpoint step ${saved.step}`);
    const total = saved.step + 17;
    const options = { steps: total, optimizer: { learningRate: 0.05 }, schedule: { every: 15, gamma: 0.9 } };
    const r = regression(-1);
    const resumed = await resumeFit(path, { ...options, key: key(7), variables: r.variables, loss: r.noisyLoss, chunkSize: 6 });
    const s = regression();
    const continuous = await fit({ ...options, key: key(7), variables: s.variables, loss: s.noisyLoss });
    assertSameVariables(s.variables, r.variables, 'continuous vs resumed after a kill');
    assertSameLosses(continuous.losses, resumed.losses);
    r.dispose();
    s.dispose();
  });

  test('progressBar writes a one-line bar with rate, ETA, loss and lr to stderr', async () => {
    const p = regression();
    const written: string[] = [];
    const original = process.stderr.write;
    process.stderr.write = ((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      await fit({ variables: p.variables, loss: p.noisyLoss, steps: 40, key: key(15), chunkSize: 20, progressBar: true, optimizer: { learningRate: 0.01 } });
    } finally {
      process.stderr.write = original;
    }
    const text = written.join('');
    assert.equal(text.split('\n').length, 2, 'one line, ended by a newline');
    assert.match(text, /\r\[#{15}-{15}\]\s+50% 20\/40 .* it\/s\s+ETA \S+\s+loss [0-9.e+-]+\s+lr 1\.00e-2/);
    assert.match(text, /\r\[#{30}\] 100% 40\/40 /);
    p.dispose();
  });

  test("Adam additions used by fit: weightDecay = torch's L2 (gradient of loss + wd/2 |theta|^2); a checked learningRate setter", () => {
    const wd = 0.3;
    const a = regression(0.5);
    const b = regression(0.5);
    const withDecay = new Adam(a.variables, { learningRate: 0.05, weightDecay: wd });
    const explicit = new Adam(b.variables, { learningRate: 0.05 });
    const penalty = (vars: tf.Variable[]) => tf.addN(vars.map((v) => tf.sum(tf.square(v))));
    for (let i = 0; i < 25; i++) {
      withDecay.minimize(() => a.exactLoss(key(0), i)).dispose();
      explicit.minimize(() => tf.tidy(() => tf.add(b.exactLoss(key(0), i), tf.mul(wd / 2, penalty(b.variables))) as tf.Scalar)).dispose();
    }
    a.variables.forEach((v, i) => {
      const x = v.dataSync();
      const y = b.variables[i].dataSync();
      x.forEach((xj, j) => assert.ok(Math.abs(xj - y[j]) < 1e-5 * (1 + Math.abs(y[j])), `variable ${i}[${j}]: ${xj} vs ${y[j]}`));
    });
    // And the decay matters: without it the weights end elsewhere.
    const c = regression(0.5);
    const plain = new Adam(c.variables, { learningRate: 0.05 });
    for (let i = 0; i < 25; i++) plain.minimize(() => c.exactLoss(key(0), i)).dispose();
    assert.ok(Math.abs(c.variables[0].dataSync()[0] - a.variables[0].dataSync()[0]) > 1e-3, 'weight decay changes the trajectory');
    c.dispose();
    withDecay.learningRate = 0.01;
    assert.equal(withDecay.learningRate, 0.01);
    assert.throws(() => {
      withDecay.learningRate = 0;
    }, /adam: option "learningRate" = 0, expected a finite number > 0/);
    assert.throws(() => new Adam(a.variables, { learningRate: 0.1, weightDecay: -1 }), /adam: option "weightDecay" = -1, expected a finite number >= 0/);
    a.dispose();
    b.dispose();
  });

  test('bad inputs give errors naming the option, the value and what was expected', async () => {
    const p = regression();
    const ok = { variables: p.variables, loss: p.exactLoss, steps: 5, key: key(1) };
    await assert.rejects(fit({ ...ok, steps: 0 }), /fit: option "steps" = 0, expected an integer >= 1/);
    await assert.rejects(fit({ ...ok, steps: 2.5 }), /fit: option "steps" = 2.5, expected an integer >= 1/);
    await assert.rejects(fit({ ...ok, optimizer: { learningRate: 0 } }), /fit: option "optimizer.learningRate" = 0, expected a finite number > 0/);
    await assert.rejects(fit({ ...ok, optimizer: { learningRate: -1e-3 } }), /option "optimizer.learningRate" = -0.001, expected a finite number > 0/);
    await assert.rejects(fit({ ...ok, optimizer: { learningRate: NaN } }), /option "optimizer.learningRate" = NaN, expected a finite number > 0/);
    await assert.rejects(fit({ ...ok, variables: [] }), /fit: option "variables" = \[\], expected a non-empty array of tf.Variable/);
    await assert.rejects(fit({ ...ok, variables: undefined }), /option "variables" = undefined, expected a non-empty array of tf.Variable/);
    await assert.rejects(fit({ ...ok, loss: 3 as never }), /option "loss" = 3, expected a function \(key, step\) -> scalar tf.Tensor/);
    await assert.rejects(fit({ ...ok, loss: () => tf.zeros([2]) as never }), /fit: option "loss" returned Tensor\(float32, \[2\]\) at step 0, expected a scalar tf.Tensor/);
    await assert.rejects(fit({ ...ok, key: [1] as never }), /fit: option "key" = \[1\], expected a Key/);
    await assert.rejects(fit({ ...ok, schedule: { every: 0, gamma: 0.5 } }), /option "schedule.every" = 0, expected an integer >= 1/);
    await assert.rejects(fit({ ...ok, schedule: { every: 10, gamma: 1.5 } }), /option "schedule.gamma" = 1.5, expected a number in \(0, 1\]/);
    await assert.rejects(fit({ ...ok, stopWhen: true as never }), /fit: option "stopWhen" = true, expected a function \(report\) -> boolean \| Promise<boolean>/);
    await assert.rejects(fit({ ...ok, nonFinite: 'ignore' as never }), /option "nonFinite" = "ignore", expected one of "error", "skip"/);
    await assert.rejects(fit({ ...ok, chunkSize: 0 }), /option "chunkSize" = 0, expected an integer >= 1/);
    await assert.rejects(fit({ ...ok, logEvery: -5 }), /option "logEvery" = -5, expected an integer >= 1/);
    await assert.rejects(fit({ ...ok, checkpoint: { path: '', everySteps: 5 } }), /option "checkpoint.path" = "", expected a non-empty file path/);
    await assert.rejects(fit({ ...ok, checkpoint: { path: join(dir, 'x.json'), everySteps: 0 } }), /option "checkpoint.everySteps" = 0, expected an integer >= 1/);
    await assert.rejects(fit({ ...ok, learningRate: 0.1 } as never), /fit: option "learningRate" = 0.1, expected no such option; known options: variables, loss/);
    const other = tf.variable(tf.zeros([2]));
    await assert.rejects(fit({ ...ok, optimizer: new Adam([other], { learningRate: 0.1 }) }), /fit: option "optimizer" = an Adam over 1 other variables, expected an Adam over the same "variables"/);
    // resumeFit: missing file, wrong file, and options that do not match the checkpoint.
    await assert.rejects(resumeFit(join(dir, 'missing.json'), ok), /resumeFit: option "path" = ".*missing.json" could not be read .*, expected a checkpoint file written by fit/);
    const path = join(dir, 'bad-resume', 'fit.json');
    await fit({ ...ok, checkpoint: { path, everySteps: 5 }, optimizer: { learningRate: 0.01 }, schedule: { every: 2, gamma: 0.5 } });
    const same = { ...ok, steps: 10, optimizer: { learningRate: 0.01 }, schedule: { every: 2, gamma: 0.5 } };
    await assert.rejects(resumeFit(path, { ...same, key: key(2) }), /resumeFit: option "key" = \[0,2\], expected the checkpoint's key \[0, 1\]/);
    await assert.rejects(resumeFit(path, { ...same, optimizer: { learningRate: 0.02 } }), /resumeFit: option "optimizer.learningRate" = 0.02, expected the checkpoint's learningRate, 0.01/);
    await assert.rejects(resumeFit(path, { ...same, schedule: undefined }), /resumeFit: option "schedule" = undefined, expected the checkpoint's schedule \{"every":2,"gamma":0.5\}/);
    await assert.rejects(resumeFit(path, { ...same, steps: 3 }), /resumeFit: option "steps" = 3, expected the total number of steps, at least the 5 already done/);
    await assert.rejects(resumeFit(path, { ...same, variables: [p.variables[0], other] }), /resumeFit: option "variables" has variable 1 of shape \[2\] \(float32\), expected \[1\] \(float32\)/);
    await assert.rejects(resumeFit(join(dir, 'bad-resume'), same), /resumeFit: option "path" = ".*bad-resume" could not be read/);
    other.dispose();
    p.dispose();
  });
}
