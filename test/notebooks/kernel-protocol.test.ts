/**
 * The tslab kernel passes the Jupyter messaging-protocol tests of Debian's python3-jupyter-kernel-test
 * (test/notebooks/test_tslab_kernel.py, run here with /usr/bin/python3 -m unittest so that node:test totals
 * include it). tslab's three known spec deviations are expected failures there; anything else fails this test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertKernelReady, missingPython, run, PYTHON } from './jupyter.js';

const skip = missingPython(['jupyter_client', 'jupyter_kernel_test']);

test('tslab kernel: jupyter_kernel_test protocol suite', { skip }, async () => {
  assertKernelReady();
  const r = await run(PYTHON, ['-m', 'unittest', 'discover', '-v', '-s', 'test/notebooks', '-p', 'test_tslab_kernel.py'], {
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' }, // no __pycache__ in test/notebooks
    timeoutMs: 300_000,
  });
  const out = `${r.stdout}${r.stderr}`;
  assert.equal(r.code, 0, out);
  const ran = /^Ran (\d+) tests? in/m.exec(out);
  assert.ok(ran, out);
  assert.ok(Number(ran[1]) >= 19, `expected the full suite (>= 19 tests), ran ${ran[1]}\n${out}`);
  // exactly tslab's three documented deviations, no more (an unexpected success would already fail the run)
  assert.match(out, /^OK \(skipped=\d+, expected failures=3\)$/m, out);
  for (const name of ['test_execute_stdout', 'test_display_data', 'test_library_import_with_js_specifiers', 'test_stack_traces_name_the_cell']) {
    assert.match(out, new RegExp(`^${name} \\(.*\\) \\.\\.\\. ok$`, 'm'), `${name} did not pass\n${out}`);
  }
});
