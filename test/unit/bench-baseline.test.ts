/**
 * The regression check's arithmetic (bench/baseline.ts): the log-noise of repeated peer runs, the tolerance
 * k * 2 s, and the verdicts. Breaks that turn these red: the sample sd with n instead of n - 1, dropping the factor
 * 2 (or k) of the tolerance, a two-sided test (an improvement failing), a missing workload passing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareWithBaseline, logNoise, logTolerance, NOISE_MULTIPLIER, type Baseline } from '../../bench/baseline.js';

test('logNoise is the sample standard deviation (n - 1) of ln(ms), and scale-free', () => {
  // ln of these: ln 10 + {ln 1, ln 2, ln 4} = ln 10 + ln 2 * {0, 1, 2}: sd (n - 1) = ln 2
  assert.ok(Math.abs(logNoise([10, 20, 40]) - Math.LN2) < 1e-12, `got ${logNoise([10, 20, 40])}`);
  assert.ok(Math.abs(logNoise([1, 2, 4]) - logNoise([1000, 2000, 4000])) < 1e-12);
  assert.equal(logNoise([7, 7, 7]), 0);
});

test('logNoise refuses fewer than 3 runs and non-positive times, naming what it expected', () => {
  assert.throws(() => logNoise([10, 11]), /2 run\(s\), expected at least 3/);
  assert.throws(() => logNoise([10, 0, 11]), /finite and > 0/);
});

test('the tolerance is k x 2 s on the log scale (sd of the difference of two noisy log-ratios)', () => {
  assert.equal(NOISE_MULTIPLIER, 3);
  assert.ok(Math.abs(logTolerance(0.05) - 0.3) < 1e-12);
  assert.ok(Math.abs(logTolerance(0.05, 2) - 0.2) < 1e-12);
});

function baseline(): Baseline {
  return {
    recorded: '2026-12-07T00:00:00Z',
    machine: {},
    quick: true,
    k: 3,
    note: '',
    workloads: {
      a: { ratio: 1.0, ours_ms: 10, peer_ms: 10, peerLogNoise: 0.05, noiseRuns: 5 },
      b: { ratio: 2.0, ours_ms: 20, peer_ms: 10, peerLogNoise: 0.01, noiseRuns: 5 },
    },
  };
}

test('a worsening beyond k x 2 s fails, one just inside passes, an improvement never fails', () => {
  // a: tolerance 0.3 in ln; b: tolerance 0.06
  const inside = compareWithBaseline(baseline(), { a: Math.exp(0.29), b: 2 * Math.exp(0.059) });
  assert.deepEqual(inside.map((v) => v.status), ['ok', 'ok']);
  const outside = compareWithBaseline(baseline(), { a: Math.exp(0.31), b: 2 * Math.exp(0.061) });
  assert.deepEqual(outside.map((v) => v.status), ['worse', 'worse']);
  const better = compareWithBaseline(baseline(), { a: 0.2, b: 0.5 });
  assert.deepEqual(better.map((v) => v.status), ['ok', 'ok']);
  assert.ok(better[0].logChange < 0);
});

test('a fresh noise estimate overrides the baseline one; a missing workload is reported, not passed', () => {
  // with s = 0.2 for b, tolerance 1.2: a 2x worsening (ln 2 = 0.69) passes
  const v = compareWithBaseline(baseline(), { a: 1, b: 4 }, { b: 0.2 });
  assert.equal(v[1].status, 'ok');
  assert.equal(v[1].peerLogNoise, 0.2);
  const noB = compareWithBaseline(baseline(), { a: 1 });
  assert.equal(noB[1].status, 'missing');
});
