/**
 * runChain / resumeChain: progress, abort, thin and transform shapes, a flat tensor count, determinism, bit-exact
 * checkpoint resume (in process, and across a real SIGKILL of a child process), the progress bar, bad inputs.
 *
 * This file is also the child process of the kill test: with RUN_CHAIN_CHILD=<checkpoint path> it runs a long
 * checkpointed chain and registers no tests.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { key, normal } from '../../lib/core/random.js';
import { mala, type MalaParams, type MalaState } from '../../lib/samplers/mcmc/mala.js';
import { gaussian } from '../../lib/targets/gaussian.js';
import {
  runChain,
  resumeChain,
  formatProgressBar,
  RunAbortedError,
  type ParamsSchedule,
  type RunChainResult,
} from '../../lib/samplers/runChain.js';
import { useBackend } from '../helpers/backends.js';
import { stepPast, waitForOutput } from '../helpers/child-output.js';

const DIM = 3;
const NUM_CHAINS = 16;
/** An asymmetric, correlated target (so a transposed or mis-shaped trace would show). */
const makeTarget = () => gaussian([1, -2, 0.5], [[1, 0.4, 0], [0.4, 2, -0.3], [0, -0.3, 0.5]]);
const initialPositions = () => normal(key(3), [NUM_CHAINS, DIM]) as tf.Tensor2D;

/**
 * A params schedule whose step size depends on JSON adaptation state driven by the previous step's info (a
 * Robbins-Monro step on the mean acceptance): resuming bit-exactly needs both the adaptation state and lastInfo.
 */
function adaptiveParams(initialStepSize = 0.5): ParamsSchedule<MalaState, MalaParams> {
  const schedule = ((_step: number, _state: MalaState, lastInfo) => {
    const a = schedule.adaptation as { logStepSize: number; updates: number };
    if (lastInfo) {
      const acceptance = tf.mean(lastInfo.acceptanceRate).dataSync()[0];
      a.logStepSize += 0.2 * (acceptance - 0.574);
      a.updates += 1;
    }
    return { stepSize: Math.exp(a.logStepSize) };
  }) as ParamsSchedule<MalaState, MalaParams>;
  schedule.adaptation = { logStepSize: Math.log(initialStepSize), updates: 0 };
  return schedule;
}

const CHILD_CHECKPOINT = process.env.RUN_CHAIN_CHILD;

if (CHILD_CHECKPOINT) {
  // Child of the kill test: run "forever", checkpointing every 10 steps, until the parent kills it.
  await useBackend('wasm');
  const target = makeTarget();
  const start = initialPositions();
  await runChain(key(7), mala(target), start, {
    numSteps: 1_000_000,
    params: adaptiveParams(),
    thin: 3,
    chunkSize: 5,
    checkpoint: { path: CHILD_CHECKPOINT, everySteps: 10 },
    onProgress: ({ step }) => console.log(`step ${step}`),
  });
} else {
  registerTests();
}

function bytesOf(t: tf.Tensor): Buffer {
  const data = t.dataSync() as Float32Array;
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function assertSameRun(a: RunChainResult<MalaState>, b: RunChainResult<MalaState>): void {
  assert.equal(a.stepsDone, b.stepsDone);
  for (const field of ['position', 'logDensity', 'grad'] as const) {
    assert.ok(bytesOf(a.state[field]).equals(bytesOf(b.state[field])), `final state.${field} must be bit-identical`);
  }
  assert.deepEqual(a.samples.shape, b.samples.shape);
  assert.ok(Buffer.from(a.samples.data.buffer).equals(Buffer.from(b.samples.data.buffer)), 'trace must be bit-identical');
  assert.deepEqual(Array.from(a.infos.acceptanceRate), Array.from(b.infos.acceptanceRate));
}

function disposeResult(r: RunChainResult<MalaState>): void {
  tf.dispose(Object.values(r.state));
}

function registerTests(): void {
  let target: ReturnType<typeof makeTarget>;
  let dir: string;
  before(async () => {
    await useBackend('wasm');
    target = makeTarget();
    dir = await mkdtemp(join(tmpdir(), 'run-chain-test-'));
  });
  after(async () => {
    target.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  test('progress is reported once per chunk with step, acceptance and elapsed time', async () => {
    const start = initialPositions();
    const reports: { step: number; numSteps: number; acceptanceRate: number; elapsedMs: number }[] = [];
    const result = await runChain(key(1), mala(target), start, {
      numSteps: 230,
      params: { stepSize: 0.4 },
      chunkSize: 50,
      onProgress: (r) => reports.push(r),
    });
    assert.deepEqual(reports.map((r) => r.step), [50, 100, 150, 200, 230]);
    assert.ok(reports.every((r) => r.numSteps === 230));
    assert.ok(reports.every((r) => r.acceptanceRate > 0 && r.acceptanceRate <= 1), 'acceptance in (0, 1]');
    for (let i = 1; i < reports.length; i++) assert.ok(reports[i].elapsedMs >= reports[i - 1].elapsedMs);
    assert.equal(result.stepsDone, 230);
    assert.equal(result.aborted, false);
    assert.equal(result.infos.acceptanceRate.length, 230);
    assert.equal(result.infos.chunks.length, 5);
    // The chunk means are the means of the per-step values.
    const last = result.infos.chunks[4];
    const perStep = result.infos.acceptanceRate.slice(200, 230);
    assert.ok(Math.abs(last.acceptanceRate - perStep.reduce((a, b) => a + b, 0) / 30) < 1e-12);
    assert.ok(!start.isDisposed, 'the caller keeps its initial positions');
    disposeResult(result);
    start.dispose();
  });

  test('thin and transform choose what is kept: shapes [numKept, nChains, ...]', async () => {
    const start = initialPositions();
    const kernel = mala(target);
    const state = await kernel.init(start);
    const positions = await runChain(key(2), kernel, state, { numSteps: 100, params: { stepSize: 0.4 }, thin: 7, chunkSize: 30 });
    assert.deepEqual(positions.samples.shape, [14, NUM_CHAINS, DIM]);
    assert.equal(positions.samples.data.length, 14 * NUM_CHAINS * DIM);
    assert.ok(!state.position.isDisposed && !state.grad.isDisposed, 'an initial state passed in stays the caller\'s');
    // Same key and start, thin 1: the thinned trace is every 7th row of the full trace (kept after steps 7, 14, ...).
    const full = await runChain(key(2), kernel, state, { numSteps: 100, params: { stepSize: 0.4 }, chunkSize: 100 });
    const row = NUM_CHAINS * DIM;
    for (let j = 0; j < 14; j++) {
      const expected = full.samples.data.subarray((7 * (j + 1) - 1) * row, 7 * (j + 1) * row);
      assert.deepEqual(positions.samples.data.subarray(j * row, (j + 1) * row), expected);
    }
    // The last row of the full trace is the final position.
    assert.deepEqual(full.samples.data.subarray(99 * row), full.state.position.dataSync());
    const scalars = await runChain(key(2), kernel, state, {
      numSteps: 20, params: { stepSize: 0.4 }, thin: 4, transform: (s) => tf.mean(s.logDensity),
    });
    assert.deepEqual(scalars.samples.shape, [5]);
    const perChain = await runChain(key(2), kernel, state, {
      numSteps: 10, params: { stepSize: 0.4 }, transform: (s) => s.logDensity,
    });
    assert.deepEqual(perChain.samples.shape, [10, NUM_CHAINS]);
    assert.deepEqual(perChain.samples.data.subarray(9 * NUM_CHAINS), perChain.state.logDensity.dataSync());
    for (const r of [positions, full, scalars, perChain]) disposeResult(r);
    tf.dispose([start, ...Object.values(state)]);
  });

  test('the tensor count is flat across chunks and nothing leaks', async () => {
    const start = initialPositions();
    const baseline = tf.memory().numTensors;
    const counts: number[] = [];
    const result = await runChain(key(4), mala(target), start, {
      numSteps: 300,
      params: adaptiveParams(),
      thin: 2,
      chunkSize: 25,
      onProgress: () => counts.push(tf.memory().numTensors),
    });
    assert.equal(counts.length, 12);
    assert.equal(Math.max(...counts) - Math.min(...counts), 0, `tensor count at chunk boundaries: ${counts.join(', ')}`);
    disposeResult(result);
    assert.equal(tf.memory().numTensors, baseline, 'after disposing the returned state, the count is back to the baseline');
    start.dispose();
  });

  test('same key -> same trace; another key -> another trace', async () => {
    const start = initialPositions();
    const kernel = mala(target);
    const a = await runChain(key(5), kernel, start, { numSteps: 40, params: { stepSize: 0.4 }, chunkSize: 7 });
    const b = await runChain(key(5), kernel, start, { numSteps: 40, params: { stepSize: 0.4 }, chunkSize: 40 });
    const c = await runChain(key(6), kernel, start, { numSteps: 40, params: { stepSize: 0.4 } });
    assertSameRun(a, b);
    assert.ok(!Buffer.from(a.samples.data.buffer).equals(Buffer.from(c.samples.data.buffer)));
    for (const r of [a, b, c]) disposeResult(r);
    start.dispose();
  });

  test('abort stops at the next chunk boundary and throws an AbortError carrying the partial result', async () => {
    const start = initialPositions();
    const baseline = tf.memory().numTensors;
    const controller = new AbortController();
    let caught: unknown;
    try {
      await runChain(key(8), mala(target), start, {
        numSteps: 1000,
        params: { stepSize: 0.4 },
        chunkSize: 50,
        thin: 10,
        signal: controller.signal,
        onProgress: ({ step }) => {
          if (step === 100) controller.abort();
        },
      });
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof RunAbortedError, 'a RunAbortedError is thrown');
    const error = caught as RunAbortedError<MalaState>;
    assert.equal(error.name, 'AbortError');
    assert.equal(error.result.aborted, true);
    assert.equal(error.result.stepsDone, 100);
    assert.deepEqual(error.result.samples.shape, [10, NUM_CHAINS, DIM]);
    assert.equal(error.result.infos.acceptanceRate.length, 100);
    assert.deepEqual(error.result.samples.data.subarray(9 * NUM_CHAINS * DIM), error.result.state.position.dataSync());
    disposeResult(error.result);
    assert.equal(tf.memory().numTensors, baseline, 'an aborted run leaks nothing beyond the state it hands back');
    // Already aborted: nothing runs.
    const early = await runChain(key(8), mala(target), start, {
      numSteps: 10, params: { stepSize: 0.4 }, signal: AbortSignal.abort(),
    }).catch((err: RunAbortedError<MalaState>) => err);
    assert.ok(early instanceof RunAbortedError);
    assert.equal(early.result.stepsDone, 0);
    disposeResult(early.result);
    start.dispose();
  });

  test('checkpoint + resume is bit-exact: 2N steps = N steps, checkpoint, fresh objects, N more', async () => {
    const path = join(dir, 'in-process', 'chain.json');
    const start = initialPositions();
    const options = { thin: 3, chunkSize: 16 };
    const continuous = await runChain(key(9), mala(target), start, { ...options, numSteps: 120, params: adaptiveParams() });
    const firstHalf = await runChain(key(9), mala(target), start, {
      ...options, numSteps: 60, params: adaptiveParams(), checkpoint: { path, everySteps: 25 },
    });
    const saved = JSON.parse(await readFile(path, 'utf8'));
    assert.equal(saved.step, 60, 'the final step is checkpointed');
    assert.equal(saved.adaptation.updates, 59);
    // Discard everything in memory: the first half's state, the kernel, the params function and its adaptation.
    disposeResult(firstHalf);
    const freshParams = adaptiveParams(3.0); // wrong on purpose: the checkpoint's adaptation must replace it
    const resumed = await resumeChain(path, mala(makeTarget()), { ...options, numSteps: 120, params: freshParams });
    assertSameRun(continuous, resumed);
    assert.equal((freshParams.adaptation as { updates: number }).updates, 119);
    disposeResult(continuous);
    disposeResult(resumed);
    start.dispose();
  });

  // The timeout only guards against a hang: the test waits on the child's progress lines, not on the clock.
  test('resume after a SIGKILL of a child process mid-run is bit-exact', { timeout: 600_000 }, async () => {
    const path = join(dir, 'killed', 'chain.json');
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
      env: { ...process.env, RUN_CHAIN_CHILD: path },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // runChain writes the checkpoint of step 20 before it runs step 21, so a report past step 20 means a checkpoint
    // at step >= 20 is on disk: kill the child then, without warning.
    await waitForOutput(child, 'a progress report past step 20', stepPast(20));
    child.kill('SIGKILL');
    assert.equal(await exited, null, 'the child was killed, not finished');
    const saved = JSON.parse(await readFile(path, 'utf8'));
    assert.ok(saved.step >= 10 && saved.step % 10 === 0, `checkpoint step ${saved.step}`);
    const total = saved.step + 17;
    const resumed = await resumeChain(path, mala(target), { numSteps: total, params: adaptiveParams(), thin: 3, chunkSize: 8 });
    const start = initialPositions();
    const continuous = await runChain(key(7), mala(target), start, { numSteps: total, params: adaptiveParams(), thin: 3 });
    assertSameRun(continuous, resumed);
    disposeResult(continuous);
    disposeResult(resumed);
    start.dispose();
  });

  test('progressBar writes a one-line bar with rate and ETA to stderr', async () => {
    assert.match(formatProgressBar(50, 200, 25, 0.5), /^\[#+-+\]\s+25% 50\/200\s+25\.0 it\/s\s+ETA 00:06\s+acc 0\.500$/);
    const start = initialPositions();
    const written: string[] = [];
    const original = process.stderr.write;
    process.stderr.write = ((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    let result: RunChainResult<MalaState>;
    try {
      result = await runChain(key(10), mala(target), start, { numSteps: 40, params: { stepSize: 0.4 }, chunkSize: 20, progressBar: true });
    } finally {
      process.stderr.write = original;
    }
    const text = written.join('');
    assert.equal(text.split('\n').length, 2, 'one line, ended by a newline');
    assert.match(text, /\r\[#{15}-{15}\]\s+50% 20\/40 .* it\/s\s+ETA /);
    assert.match(text, /\r\[#{30}\] 100% 40\/40 /);
    disposeResult(result!);
    start.dispose();
  });

  test('bad inputs give errors naming the option, the value and what was expected', async () => {
    const start = initialPositions();
    const kernel = mala(target);
    const ok = { numSteps: 5, params: { stepSize: 0.1 } };
    await assert.rejects(runChain(key(1), kernel, start, { ...ok, numSteps: -1 }), /runChain: option "numSteps" = -1, expected an integer >= 0/);
    await assert.rejects(runChain(key(1), kernel, start, { ...ok, thin: 0 }), /option "thin" = 0, expected an integer >= 1/);
    await assert.rejects(runChain(key(1), kernel, start, { ...ok, chunkSize: 2.5 }), /option "chunkSize" = 2.5, expected an integer >= 1/);
    await assert.rejects(runChain(key(1), kernel, start, { numSteps: 5 } as never), /option "params" = undefined, expected kernel params/);
    const wrongShape = tf.zeros([4, 2]) as tf.Tensor2D;
    await assert.rejects(runChain(key(1), kernel, wrongShape, ok), /option "initialState" has shape \[4, 2\], expected \[n, 3\]/);
    await assert.rejects(
      runChain(key(1), kernel, start, { ...ok, checkpoint: { path: join(dir, 'x.json'), everySteps: 0 } }),
      /option "checkpoint.everySteps" = 0, expected an integer >= 1/,
    );
    await assert.rejects(runChain([1] as never, kernel, start, ok), /option "key" = \[1\], expected a Key/);
    await assert.rejects(runChain(key(1), {} as never, start, ok), /option "kernel" = \{\}, expected a Kernel/);
    await assert.rejects(
      runChain(key(1), kernel, start, { ...ok, transform: (s) => (s.position.shape[0] > 0 ? [1] : s.position) as never }),
      /option "transform" = \[1\], expected a function returning a tf.Tensor/,
    );
    // A NaN in the initial positions is caught by the kernel's init.
    const withNaN = tf.fill([2, 3], NaN) as tf.Tensor2D;
    await assert.rejects(runChain(key(1), kernel, withNaN, ok), /non-finite entry NaN/);
    // resumeChain: a missing file, another kernel, another thin, fewer total steps than done.
    await assert.rejects(resumeChain(join(dir, 'missing.json'), kernel, ok), /resumeChain: option "path" = ".*missing.json" could not be read/);
    const path = join(dir, 'bad-inputs.json');
    const done = await runChain(key(1), kernel, start, { numSteps: 10, params: { stepSize: 0.1 }, thin: 2, checkpoint: { path, everySteps: 10 } });
    disposeResult(done);
    await assert.rejects(resumeChain(path, { ...kernel, name: 'hmc' }, { ...ok, thin: 2 }), /option "kernel" = "hmc", expected the kernel the checkpoint was written with, "mala"/);
    await assert.rejects(resumeChain(path, kernel, { ...ok, numSteps: 20 }), /option "thin" = 1, expected the checkpoint's thin, 2/);
    await assert.rejects(resumeChain(path, kernel, { ...ok, thin: 2 }), /option "numSteps" = 5, expected the total number of steps, at least the 10 already done/);
    tf.dispose([start, wrongShape, withNaN]);
  });
}
