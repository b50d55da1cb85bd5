/**
 * The README's first example must run as written and give answers close to the truth it prints.
 * The block between <!-- example:start --> and <!-- example:end --> is written next to the README and run with tsx.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

test('the README example runs and recovers log Z and the mode weights', () => {
  const readme = readFileSync('README.md', 'utf8');
  const block = /<!-- example:start -->\s*```ts\n([\s\S]*?)```\s*<!-- example:end -->/.exec(readme);
  assert.ok(block, 'README.md has an example block');
  const code = block[1];
  assert.ok(code.trim().split('\n').length <= 12, 'the example stays short');
  const file = `readme-example-${process.pid}.ts`;
  writeFileSync(file, code);
  try {
    const run = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(run.status, 0, run.stderr.slice(-2000));
    const logZ = Number(/log Z (-?[\d.]+)/.exec(run.stdout)?.[1]);
    const w = /mode weights ([\d.]+),([\d.]+) \(exact ([\d.]+),([\d.]+)\)/.exec(run.stdout);
    assert.ok(w, run.stdout);
    // test/stats/smc-modes.test.ts bounds the first mode weight at N = 2048 by 4 binomial SEs plus a 0.03 bias
    // allowance (about 0.07); the example runs fewer MCMC steps per level, so 0.1. log Z: within 0.5 of 0.
    assert.ok(Math.abs(logZ) < 0.5, `log Z = ${logZ}`);
    assert.ok(Math.abs(Number(w[1]) - Number(w[3])) < 0.1, run.stdout);
  } finally {
    rmSync(file, { force: true });
  }
});
