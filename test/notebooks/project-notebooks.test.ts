/**
 * Every notebook in notebooks/ executes headless in quick mode (QUICK=1) with no error of any kind, through the
 * same runner as `npm run notebooks:check`. One test per notebook, so CI's totals name the one that broke.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, PYTHON, RUNNER, JUPYTER_DATA_DIR, missingPython, assertKernelReady, run } from './jupyter.js';

const skip = missingPython();
const notebooks = readdirSync(join(ROOT, 'notebooks')).filter((f) => f.endsWith('.ipynb')).sort();

test('there are notebooks to check', () => {
  assert.ok(notebooks.includes('00-tour.ipynb'), `notebooks/ holds ${notebooks.join(', ')}`);
});

for (const name of notebooks) {
  test(`notebooks/${name} runs in quick mode without errors`, { skip }, async () => {
    assertKernelReady();
    const env = { ...process.env, JUPYTER_PATH: JUPYTER_DATA_DIR, PYDEVD_DISABLE_FILE_VALIDATION: '1' };
    const result = await run(PYTHON, [RUNNER, '--jobs', '1', '--timeout', '600', join('notebooks', name)], { env, timeoutMs: 900_000 });
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`.slice(-4000));
    assert.match(result.stdout, /1\/1 notebooks passed/);
    console.log(`# ${name}: ${result.stdout.trim().split('\n')[0]}`);
  });
}
