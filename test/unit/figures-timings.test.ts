/**
 * Timings stay out of the figure files: a table's timing columns (names containing "seconds") are left out of its
 * CSV and written to timings.json's `tableSeconds`, one value per CSV row, with the run's seconds; timings.json is
 * not committed, so a rerun rewrites every committed file byte for byte (scripts/check-figures.mjs diffs them in CI)
 * and leaves `git status` clean.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as aq from 'arquero';
import { definePaper, type PaperResults } from '../../lib/experiments/definePaper.js';
import { isTimingColumn, splitTimingColumns } from '../../lib/experiments/timingColumns.js';
import { useBackend } from '../helpers/backends.js';

before(() => useBackend('cpu'));

interface Config {
  name: string;
  seed: number;
}

test('timing columns: any name containing "seconds"; the rest of the row is kept in order', () => {
  assert.deepEqual(['seconds', 'secondsPerRun', 'trainingSeconds', 'secondsMean', 'second', 'ms'].map(isTimingColumn), [true, true, true, true, false, false]);
  const { rows, timings } = splitTimingColumns([{ a: 1, seconds: 0.5, b: 'x' }, { a: 2, b: 'y' }]);
  assert.deepEqual(rows, [{ a: 1, b: 'x' }, { a: 2, b: 'y' }]);
  assert.deepEqual(timings, { seconds: [0.5, null] });
  assert.equal(splitTimingColumns([{ a: 1 }]).timings, null);
});

test('writeFigures: the CSV has no timing column, timings.json has them per table and row; two runs differ only in timings.json', async () => {
  let call = 0;
  const paper = definePaper<Config, PaperResults<Config> & { runs: { k: number; v: number; seconds: number; trainingSeconds: number }[] }>({
    id: 'toy',
    title: 'A toy paper',
    configs: { quick: 'q', full: 'f' },
    configFor: (name) => ({ name, seed: 1 }),
    check: (config) => config,
    experiments: async () => {
      call += 1;
      return { runs: [1, 2, 3].map((k) => ({ k, v: k / 3, seconds: call * k * 0.001, trainingSeconds: call + k })) };
    },
    async figures(results, out) {
      out.table('t-runs', aq.from(results.runs));
      out.table('t-plain', results.runs.map(({ k, v }) => ({ k, v })));
    },
    runInfo: () => ({ seconds: {} }),
  });
  const dir = mkdtempSync(join(tmpdir(), 'figures-timings-'));
  try {
    const first = await paper.writeFigures(await paper.runExperiments('quick'), join(dir, 'a'));
    const second = await paper.writeFigures(await paper.runExperiments('quick'), join(dir, 'b'));
    assert.equal(readFileSync(join(dir, 'a', 't-runs.csv'), 'utf8'), `k,v\n1,${1 / 3}\n2,${2 / 3}\n3,1\n`);
    const timings = JSON.parse(readFileSync(join(dir, 'b', 'timings.json'), 'utf8'));
    assert.deepEqual(timings.tableSeconds, { 't-runs': { seconds: [0.002, 0.004, 0.006], trainingSeconds: [3, 4, 5] } });
    assert.equal(timings.config, 'quick');
    assert.deepEqual(Object.keys(timings), ['config', 'seconds', 'tableSeconds']);
    const info = JSON.parse(readFileSync(join(dir, 'b', 'run-info.json'), 'utf8'));
    assert.deepEqual(Object.keys(info), ['paper', 'config', 'backend'], 'run-info.json holds no timing');
    const differing = first.filter((path, i) => readFileSync(path, 'utf8') !== readFileSync(second[i], 'utf8'));
    assert.deepEqual(differing.map((p) => p.split('/').at(-1)), ['timings.json']);
    const ignored = readFileSync('.gitignore', 'utf8').split('\n');
    assert.ok(ignored.includes('figures/*/timings.json'), 'timings.json is not committed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
