#!/usr/bin/env node
// Registers the project's tslab kernel (TypeScript notebooks) with Debian's Jupyter, inside the project:
// the kernelspec goes to .jupyter/share/jupyter/kernels/{tslab,jslab}/ and nothing is written to ~/.local or
// /usr/local. Jupyter finds it through JUPYTER_PATH=$PWD/.jupyter/share/jupyter, which `npm run notebook` and
// tools/run_notebooks.py set themselves.
//
// Runs in `postinstall`, so it NEVER fails by default: when Jupyter is missing it prints what to install and
// exits 0 (the library works without notebooks). `--strict` turns every problem into exit code 1 (CI, tests).
//
//   node scripts/setup-kernel.mjs [--strict]
//   SAMPLING_LAB_JUPYTER_PYTHON=/path/to/python3   a Python with jupyter_client other than /usr/bin/python3
//   SAMPLING_LAB_SKIP_KERNEL=1                      do nothing
//
// Gotchas handled here (research/notebook-stack.md section 1.2): `tslab install` exits 0 even when its Python
// lacks Jupyter, so the result is checked (kernel.json exists, `jupyter kernelspec list` sees it); the Python
// is given explicitly because `python3` on PATH may be another interpreter without Jupyter; the kernel binary
// is the project's own node_modules/.bin/tslab (an absolute path: the kernel's PATH may not have it).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PREFIX = join(ROOT, '.jupyter');
const JUPYTER_DATA_DIR = join(PREFIX, 'share', 'jupyter');
const TSLAB_BIN = join(ROOT, 'node_modules', '.bin', 'tslab');
const PYTHON = process.env.SAMPLING_LAB_JUPYTER_PYTHON || '/usr/bin/python3';
const DEBIAN_PACKAGES = [
  'jupyter-notebook',
  'jupyter-nbconvert',
  'python3-nbclient',
  'jupyter-client',
  'python3-ipykernel',
  'python3-jupyter-kernel-test',
];
const INSTALL_HINT =
  `sudo apt-get install --no-install-recommends ${DEBIAN_PACKAGES.join(' ')}` +
  '   (Debian/Ubuntu; then run `node scripts/setup-kernel.mjs` again)';

const strict = process.argv.includes('--strict');

function finish(ok, message) {
  if (ok) {
    console.log(`sampling-lab: ${message}`);
    process.exit(0);
  }
  console.error(`sampling-lab: ${message}`);
  process.exit(strict ? 1 : 0);
}

function run(cmd, args, env = process.env) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, cwd: ROOT });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  return {
    ok: r.error == null && r.status === 0,
    stdout: r.stdout ?? '',
    output: r.error ? String(r.error.message) : output,
  };
}

function lastLines(text, n = 5) {
  return text.split('\n').filter((l) => l.trim() !== '').slice(-n).join('\n    ');
}

if (process.env.SAMPLING_LAB_SKIP_KERNEL === '1') finish(true, 'notebook kernel setup skipped (SAMPLING_LAB_SKIP_KERNEL=1)');

// 1. Jupyter present?
const probe = run(PYTHON, ['-c', 'import jupyter_client, jupyter_core, nbclient, nbconvert, notebook']);
if (!probe.ok) {
  finish(
    false,
    `notebook kernel not registered: ${PYTHON} has no Jupyter (${lastLines(probe.output, 1) || 'not found'}). ` +
      `The library works without it; for the notebooks install:\n    ${INSTALL_HINT}`,
  );
}
if (!existsSync(TSLAB_BIN)) {
  finish(false, `notebook kernel not registered: ${TSLAB_BIN} is missing (run \`npm ci\`)`);
}

// 2. Register (idempotent: tslab install overwrites the spec).
const specFile = join(JUPYTER_DATA_DIR, 'kernels', 'tslab', 'kernel.json');
const started = Date.now();
const install = run(TSLAB_BIN, ['install', `--python=${PYTHON}`, `--prefix=${PREFIX}`, `--binary=${TSLAB_BIN}`]);
// A kernel.json left by an earlier run must not pass for this one: it has to be (re)written now.
const written = existsSync(specFile) && statSync(specFile).mtimeMs >= started - 1000;
if (!install.ok || !written) {
  finish(
    false,
    `notebook kernel not registered: \`tslab install\` did not write ${specFile}` +
      `${install.ok ? ' (it exited 0 anyway)' : ''}:\n    ${lastLines(install.output)}`,
  );
}
let spec;
try {
  spec = JSON.parse(readFileSync(specFile, 'utf8'));
} catch (err) {
  finish(false, `notebook kernel spec ${specFile} is not valid JSON: ${err.message}`);
}
if (!Array.isArray(spec.argv) || spec.argv[0] !== TSLAB_BIN) {
  finish(false, `notebook kernel spec ${specFile} has argv ${JSON.stringify(spec.argv)}, expected it to start with ${TSLAB_BIN}`);
}

// 3. Verify that Jupyter itself sees it through JUPYTER_PATH.
const env = {
  ...process.env,
  JUPYTER_PATH: [JUPYTER_DATA_DIR, process.env.JUPYTER_PATH].filter(Boolean).join(':'),
  PYDEVD_DISABLE_FILE_VALIDATION: '1', // Debian's Jupyter otherwise warns about frozen modules
};
const list = run(PYTHON, ['-m', 'jupyter', 'kernelspec', 'list', '--json'], env);
let seen;
try {
  seen = list.ok ? JSON.parse(list.stdout).kernelspecs?.tslab : undefined;
} catch {
  seen = undefined;
}
if (seen == null || resolve(seen.resource_dir) !== dirname(specFile)) {
  finish(
    false,
    `notebook kernel written to ${specFile}, but \`jupyter kernelspec list\` (JUPYTER_PATH=${env.JUPYTER_PATH}) ` +
      `${seen == null ? 'does not list "tslab"' : `lists "tslab" at ${seen.resource_dir}`}:\n    ${lastLines(list.output)}`,
  );
}
finish(true, `notebook kernel "tslab" registered in ${JUPYTER_DATA_DIR} (start Jupyter with \`npm run notebook\`)`);
