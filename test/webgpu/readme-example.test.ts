/**
 * The README's first example (test/helpers/readme-example.ts extracts and runs it) with SAMPLING_LAB_BACKEND=webgpu:
 * the user's path as written (the ladder forced to webgpu, tfjs' default flags, CPU forwarding of small ops on),
 * with 512 particles instead of 2048 (SwiftShader: 2 minutes at 2048, about 30 s at 512), next to the same code on
 * wasm. Checked as test/unit/readme-example.test.ts does, with the mode-weight bound for N = 512: 4 binomial standard
 * errors sqrt((2/3)(1/3) / 512) = 0.021 plus the 0.03 bias allowance of test/stats/smc-modes.test.ts, so 0.12;
 * log Z within 0.5 of 0. The run must print nothing about synchronous GPU reads.
 * Both runs draw the same random numbers (lib/core/random.ts), so they agree far closer than these bounds unless
 * rounding flips an accept or resampling decision (see smc-logz.test.ts); the differences are reported.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runReadmeExample } from '../helpers/readme-example.js';
import { agreement } from '../helpers/webgpu.js';

const fewerParticles = (code: string): string => {
  assert.match(code, /numParticles: 2048/, 'the README example sets numParticles: 2048 (update this test if it changed)');
  return code.replace('numParticles: 2048', 'numParticles: 512');
};

test('the README example runs on webgpu and recovers log Z and the mode weights, next to wasm', () => {
  const wasm = runReadmeExample({ SAMPLING_LAB_BACKEND: 'wasm' }, 300_000, fewerParticles);
  assert.equal(wasm.status, 0, wasm.stderr.slice(-2000));
  const gpu = runReadmeExample({ SAMPLING_LAB_BACKEND: 'webgpu' }, 300_000, fewerParticles);
  assert.equal(gpu.status, 0, gpu.stderr.slice(-2000));
  console.log(`# webgpu (${(gpu.ms / 1000).toFixed(1)} s): ${gpu.stdout.trim().replace(/\n/g, '; ')}`);
  console.log(`# wasm (${(wasm.ms / 1000).toFixed(1)} s): ${wasm.stdout.trim().replace(/\n/g, '; ')}`);
  assert.doesNotMatch(gpu.stderr, /synchronously reading data from GPU/i, 'a synchronous read-back reached the webgpu backend');
  for (const [name, run] of [['webgpu', gpu], ['wasm', wasm]] as const) {
    assert.ok(Number.isFinite(run.weights[0]), `${name}: ${run.stdout}`);
    assert.ok(Math.abs(run.logZ) < 0.5, `${name}: log Z = ${run.logZ}`);
    assert.ok(Math.abs(run.weights[0] - run.exactWeights[0]) < 0.12, `${name}: ${run.stdout}`);
  }
  agreement('README example log Z and mode weights (printed to 3 decimals)', [gpu.logZ, ...gpu.weights], [wasm.logZ, ...wasm.weights]);
});
