/**
 * definePaper (lib/experiments/definePaper.ts), on a toy paper: names and objects resolve to checked
 * configurations, the root key defaults to key(config.seed), an abort stops the run, and writeFigures / run write
 * the figures, the tables, run-info.json (paper, config, backend, extra fields) and timings.json (the timings,
 * the total first). The paper modules import definePaper, never the registry that lists them.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as aq from 'arquero';
import { key, uniformArray, type Key } from '../../lib/core/random.js';
import { invalidOption } from '../../lib/core/validate.js';
import { definePaper, type PaperResults } from '../../lib/experiments/definePaper.js';
import { throwIfAborted } from '../../lib/experiments/progress.js';
import { useBackend } from '../helpers/backends.js';

before(() => useBackend('cpu'));

interface ToyConfig {
  name: string;
  seed: number;
  draws: number;
}

interface ToyResults extends PaperResults<ToyConfig> {
  draws: { values: number[]; seconds: number };
}

const checked: ToyConfig[] = [];

function toyPaper() {
  return definePaper<ToyConfig, ToyResults>({
    id: 'toy',
    title: 'A toy paper',
    configs: { quick: 'two draws', full: 'three draws' },
    configFor: (name) => {
      if (name !== 'quick' && name !== 'full') invalidOption('toyConfig', 'config', name, 'one of "quick", "full"');
      return { name, seed: 5, draws: name === 'quick' ? 2 : 3 };
    },
    check: (config) => {
      checked.push(config);
      if (!(config.draws >= 1)) invalidOption('toy', 'draws', config.draws, 'an integer >= 1');
      return config;
    },
    experiments: async (config, root: Key, options) => {
      const values = Array.from(uniformArray(root, config.draws));
      for (let i = 0; i < config.draws; i++) {
        throwIfAborted(options.signal, 'toy draws');
        await new Promise((resolve) => setImmediate(resolve));
        options.onProgress?.(`draw ${i}`);
      }
      return { draws: { values, seconds: 0.5 } };
    },
    async figures(results, out) {
      const rows = results.draws.values.map((y, x) => ({ x, y }));
      await out.figure('t1-draws', { data: { values: rows }, mark: 'point', encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } } });
      out.table('t1-rows', rows);
      out.table('t1-table', aq.from(rows));
    },
    runInfo: (results) => ({ count: results.draws.values.length, seconds: { T1: results.draws.seconds } }),
  });
}

test('a name or an object resolves to a checked configuration; the key defaults to key(config.seed)', async () => {
  const paper = toyPaper();
  checked.length = 0;
  assert.deepEqual(paper.resolveConfig('full'), { name: 'full', seed: 5, draws: 3 });
  assert.equal(checked.length, 1, 'a named configuration is checked too');
  assert.throws(() => paper.resolveConfig('medium'), /toyConfig: option "config" = "medium", expected one of "quick", "full"/);
  assert.throws(() => paper.resolveConfig({ name: 'bad', seed: 1, draws: 0 }), /toy: option "draws" = 0/);
  await assert.rejects(() => paper.runExperiments({ name: 'bad', seed: 1, draws: 0 }), /toy: option "draws" = 0/);

  const messages: string[] = [];
  const byName = await paper.runExperiments('quick', { onProgress: (m) => messages.push(m) });
  const byKey = await paper.runExperiments({ name: 'quick', seed: 99, draws: 2 }, { key: key(5) });
  assert.deepEqual(byName.config, { name: 'quick', seed: 5, draws: 2 });
  assert.deepEqual(byName.draws.values, byKey.draws.values, 'key(seed) by default, the given key otherwise');
  assert.deepEqual(byName.draws.values, Array.from(uniformArray(key(5), 2)));
  assert.deepEqual(messages, ['draw 0', 'draw 1']);
  assert.ok(byName.seconds >= 0);
  assert.deepEqual(Object.keys(byName), ['config', 'draws', 'seconds']);
});

test('an abort before the start or midway rejects with an AbortError', async () => {
  const paper = toyPaper();
  const already = new AbortController();
  already.abort();
  await assert.rejects(() => paper.runExperiments('quick', { signal: already.signal }), { name: 'AbortError', message: 'toy: aborted' });
  const midway = new AbortController();
  await assert.rejects(() => paper.runExperiments('full', { signal: midway.signal, onProgress: () => midway.abort() }), { name: 'AbortError', message: 'toy draws: aborted' });
});

test('run writes the figures, the tables and run-info.json into outDir, and says so', async () => {
  const paper = toyPaper();
  const dir = mkdtempSync(join(tmpdir(), 'toy-paper-'));
  try {
    const messages: string[] = [];
    await paper.run({ config: 'full', outDir: join(dir, 'toy'), onProgress: (m) => messages.push(m) });
    for (const name of ['t1-draws.svg', 't1-draws.png', 't1-draws.vl.json', 't1-rows.csv', 't1-table.csv', 'run-info.json', 'timings.json']) {
      assert.ok(existsSync(join(dir, 'toy', name)), `${name} written`);
    }
    const rows = readFileSync(join(dir, 'toy', 't1-rows.csv'), 'utf8');
    assert.equal(readFileSync(join(dir, 'toy', 't1-table.csv'), 'utf8'), rows, 'an arquero table and its rows give the same CSV');
    assert.equal(rows.trim().split('\n').length, 1 + 3);
    const info = JSON.parse(readFileSync(join(dir, 'toy', 'run-info.json'), 'utf8'));
    assert.deepEqual(Object.keys(info), ['paper', 'config', 'backend', 'count']);
    assert.equal(info.paper, 'A toy paper');
    assert.equal(info.backend, 'cpu');
    assert.deepEqual(info.config, { name: 'full', seed: 5, draws: 3 });
    assert.equal(info.count, 3);
    const timings = JSON.parse(readFileSync(join(dir, 'toy', 'timings.json'), 'utf8'));
    assert.equal(timings.config, 'full');
    assert.deepEqual(Object.keys(timings.seconds), ['total', 'T1']);
    assert.equal(messages.at(-1)?.startsWith(`wrote `), true, messages.join('\n'));
    assert.match(messages.at(-1)!, new RegExp(`files to ${join(dir, 'toy')} \\(experiments \\d+ s\\)`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the paper modules import definePaper, not the registry (no import circle)', () => {
  for (const paper of ['slips', 'nfmcmc', 'amcbg']) {
    const source = readFileSync(`lib/experiments/${paper}.ts`, 'utf8');
    assert.doesNotMatch(source, /from '\.\/registry\.js'/, `${paper}.ts imports the registry`);
    assert.match(source, /from '\.\/definePaper\.js'/, `${paper}.ts uses definePaper`);
  }
  assert.doesNotMatch(readFileSync('lib/experiments/definePaper.ts', 'utf8'), /from '\.\/(registry|slips|nfmcmc|amcbg)\.js'/);
});
