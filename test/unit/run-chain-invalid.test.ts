/**
 * runChain counts the proposals its kernel rejected as invalid (`info.isInvalid`: a NaN or +Infinity log-density),
 * which the kernels reject silently by design (issue 13 item 4): in the result, in each progress report and on the
 * progress line. Positions may be passed as rows of numbers.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { foldIn, key, normal } from '../../lib/core/random.js';
import { rwmh } from '../../lib/samplers/mcmc/rwmh.js';
import type { ChainState, Kernel } from '../../lib/samplers/mcmc/kernel.js';
import { formatProgressBar, runChain, type ProgressReport } from '../../lib/samplers/runChain.js';
import type { Target } from '../../lib/targets/target.js';
import { useBackend } from '../helpers/backends.js';

before(() => useBackend('wasm'));

/** N(0.5, 1/4 I) in 2-D with log-density NaN on the half-plane x0 > 1 (a target that breaks there). */
const target: Target = {
  name: 'broken-right',
  dim: 2,
  logDensity: (x) =>
    tf.tidy(() => {
      const base = tf.mul(-2, tf.sum(tf.square(tf.sub(x, 0.5)), 1));
      const right = tf.greater(tf.reshape(tf.slice(x, [0, 0], [-1, 1]), [-1]), 1);
      return tf.where(right, tf.fill(base.shape as [number], NaN), base) as tf.Tensor1D;
    }),
};

test('runChain counts invalid proposals: result, progress reports and the progress line', async () => {
  const kernel = rwmh(target);
  const x0 = tf.tidy(() => tf.add(0.8, tf.mul(0.05, normal(key(1), [16, 2])))) as tf.Tensor2D;
  // The count the kernel's infos give, step by step with the same keys.
  let expected = 0;
  let state = await kernel.init(x0);
  const k = key(2);
  for (let i = 0; i < 40; i++) {
    const out = kernel.step(foldIn(k, i), state, { stepSize: 0.4 });
    expected += Array.from(await out.info.isInvalid.data()).reduce((a, b) => a + b, 0);
    tf.dispose([...Object.values(state), ...Object.values(out.info)]);
    state = out.state;
  }
  tf.dispose(Object.values(state));
  assert.ok(expected > 0, 'the fixture proposes into the NaN half-plane');

  const reports: ProgressReport[] = [];
  const result = await runChain(k, kernel, x0, { numSteps: 40, params: { stepSize: 0.4 }, chunkSize: 10, onProgress: (r) => reports.push(r) });
  assert.equal(result.infos.numInvalid, expected);
  assert.equal(result.infos.chunks.reduce((a, c) => a + c.numInvalid, 0), expected);
  assert.equal(reports.length, 4);
  assert.equal(reports.at(-1)!.numInvalid, expected, 'the last report holds the run total');
  assert.ok(reports.every((r, i) => i === 0 || r.numInvalid >= reports[i - 1].numInvalid), 'the reported count only grows');
  tf.dispose([...Object.values(result.state), x0]);

  assert.match(formatProgressBar(40, 40, 100, 0.5, 20, expected), new RegExp(`acc 0\\.500  invalid ${expected}$`));
  assert.doesNotMatch(formatProgressBar(40, 40, 100, 0.5, 20, 0), /invalid/, 'no count when nothing was invalid');
});

test('a kernel whose info has no isInvalid (written before the field) counts 0', async () => {
  const inner = rwmh(target);
  const legacy: Kernel<ChainState, { stepSize: number }> = {
    ...inner,
    step: (k, s, p) => {
      const out = inner.step(k, s, p);
      const { isInvalid, ...rest } = out.info;
      isInvalid.dispose();
      return { state: out.state, info: rest as never };
    },
  };
  const result = await runChain(key(3), legacy, [[0.5, 0.5], [0.9, 0.2]], { numSteps: 20, params: { stepSize: 0.4 } });
  assert.equal(result.infos.numInvalid, 0);
  assert.deepEqual(result.state.position.shape, [2, 2], 'positions given as rows of numbers');
  tf.dispose(Object.values(result.state));
});
