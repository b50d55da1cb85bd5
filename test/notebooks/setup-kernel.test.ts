/**
 * scripts/setup-kernel.mjs (run by postinstall): registers the project-local tslab kernelspec when Debian's Jupyter
 * is there and verifies it; otherwise says what to install and still exits 0 (exit 1 only with --strict).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JUPYTER_DATA_DIR, KERNEL_SPEC, PYTHON, ROOT, missingPython, run } from './jupyter.js';

const SCRIPT = join(ROOT, 'scripts', 'setup-kernel.mjs');

function setup(args: string[], python?: string) {
  const env = { ...process.env };
  if (python) env.SAMPLING_LAB_JUPYTER_PYTHON = python;
  return run(process.execPath, [SCRIPT, ...args], { env, timeoutMs: 60_000 });
}

test('without Jupyter: prints the Debian packages to install and exits 0 (exit 1 with --strict)', async () => {
  const missing = join(tmpdir(), 'no-such-dir', 'python3');
  const plain = await setup([], missing);
  assert.equal(plain.code, 0, plain.stdout + plain.stderr);
  assert.match(plain.stderr, /notebook kernel not registered: .*no-such-dir\/python3 has no Jupyter/);
  assert.match(plain.stderr, /apt-get install --no-install-recommends jupyter-notebook jupyter-nbconvert python3-nbclient/);
  const strict = await setup(['--strict'], missing);
  assert.equal(strict.code, 1);
});

test('a `tslab install` that exits 0 without writing the kernelspec is caught', async () => {
  // A "python" that accepts everything and does nothing: the import probe passes, tslab's install.py never runs.
  const dir = mkdtempSync(join(tmpdir(), 'fake-python-'));
  try {
    const fake = join(dir, 'python3');
    writeFileSync(fake, '#!/bin/sh\nexit 0\n');
    chmodSync(fake, 0o755);
    const r = await setup(['--strict'], fake);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /`tslab install` did not write .*kernels\/tslab\/kernel\.json \(it exited 0 anyway\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('with Jupyter: registers tslab in .jupyter and Jupyter lists it', { skip: missingPython(['jupyter_client']) }, async () => {
  const r = await setup(['--strict']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /notebook kernel "tslab" registered/);
  const spec = JSON.parse(readFileSync(KERNEL_SPEC, 'utf8')) as { argv: string[]; language: string };
  assert.deepEqual(spec.argv, [join(ROOT, 'node_modules', '.bin', 'tslab'), 'kernel', '--config-path', '{connection_file}']);
  assert.equal(spec.language, 'typescript');
  const list = await run(PYTHON, ['-m', 'jupyter', 'kernelspec', 'list', '--json'], {
    env: { ...process.env, JUPYTER_PATH: JUPYTER_DATA_DIR, PYDEVD_DISABLE_FILE_VALIDATION: '1' },
  });
  const specs = (JSON.parse(list.stdout) as { kernelspecs: Record<string, { resource_dir: string }> }).kernelspecs;
  assert.equal(specs.tslab?.resource_dir, join(JUPYTER_DATA_DIR, 'kernels', 'tslab'));
});
