/**
 * The command line's `figures` command: --help, bad options, and the progress lines' counters and per-paper ETA
 * (lib/experiments/progress.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastRunSeconds, paperEta, progressCounter } from '../../lib/experiments/progress.js';

function cli(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'lib/cli.ts', ...args], { encoding: 'utf8', timeout: 120_000 });
}

test('figures --help and -h print the usage, the options and every paper, and exit 0', () => {
  for (const flag of ['--help', '-h']) {
    const r = cli('figures', flag);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^usage: sampling-lab figures <paper\|all> \[--quick\|--full\]/);
    assert.match(r.stdout, /--quick/);
    for (const paper of ['nfmcmc', 'slips', 'amcbg']) assert.match(r.stdout, new RegExp(`\\n  ${paper} `));
  }
});

test('figures with an unknown option fails, naming the option and what is accepted', () => {
  const r = cli('figures', 'nfmcmc', '--fast');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /figures: unknown option "--fast", expected --quick, --full or --help/);
});

test('progressCounter: done/total, elapsed and an ETA from the mean time per unit', () => {
  assert.equal(progressCounter(3, 12, 30), '[3/12, 30 s, ETA 90 s]');
  assert.equal(progressCounter(12, 12, 120.4), '[12/12, 120 s]');
  assert.equal(progressCounter(0, 12, 0), '[0/12, 0 s]');
});

test('paperEta: elapsed time, and the time left from the last run (or that it is over)', () => {
  assert.equal(paperEta(35, undefined), '[paper 35 s]');
  assert.equal(paperEta(35, 200), '[paper 35 s, ETA ~165 s]');
  assert.equal(paperEta(210, 200), "[paper 210 s, over the last run's 200 s]");
});

test("lastRunSeconds reads timings.json's total for the same config only", () => {
  const dir = mkdtempSync(join(tmpdir(), 'sampling-lab-eta-'));
  try {
    assert.equal(lastRunSeconds(dir, 'quick'), undefined);
    writeFileSync(join(dir, 'timings.json'), JSON.stringify({ config: 'quick', seconds: { total: 196.9, F1: 60 } }));
    assert.equal(lastRunSeconds(dir, 'quick'), 196.9);
    assert.equal(lastRunSeconds(dir, 'full'), undefined);
    writeFileSync(join(dir, 'timings.json'), '{ not json');
    assert.equal(lastRunSeconds(dir, 'quick'), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
