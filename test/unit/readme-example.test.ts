/**
 * The README's first example is example.ts (README.md shows the file verbatim): it must run as written and give
 * answers close to the truth it prints. test/helpers/readme-example.ts runs it with tsx; the webgpu suite runs it too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exampleCode, readmeExampleBlock, runReadmeExample } from '../helpers/readme-example.js';

test('the README shows example.ts verbatim', () => {
  assert.equal(readmeExampleBlock(), exampleCode(), 'README.md\'s example block differs from example.ts: copy the file into the README');
});

test('the README example (example.ts) runs and recovers log Z and the mode weights', () => {
  assert.ok(exampleCode().trim().split('\n').length <= 12, 'the example stays short');
  const run = runReadmeExample();
  assert.equal(run.status, 0, run.stderr.slice(-2000));
  assert.ok(Number.isFinite(run.weights[0]), run.stdout);
  // test/stats/smc-modes.test.ts bounds the first mode weight at N = 2048 by 4 binomial SEs plus a 0.03 bias
  // allowance (about 0.07); the example runs fewer MCMC steps per level, so 0.1. log Z: within 0.5 of 0.
  assert.ok(Math.abs(run.logZ) < 0.5, `log Z = ${run.logZ}`);
  assert.ok(Math.abs(run.weights[0] - run.exactWeights[0]) < 0.1, run.stdout);
});
