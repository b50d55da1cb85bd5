#!/usr/bin/env node
// `npm run notebooks:check` / `npm run notebooks:html`: run the notebooks headless in quick mode (QUICK=1) with
// tools/run_notebooks.py and fail on any error, after checking what the runner needs (Debian's Jupyter, the patched
// tslab, the project's kernelspec, which it registers when missing).
//
//   node scripts/notebooks-check.mjs                        every notebooks/*.ipynb
//   node scripts/notebooks-check.mjs --html                 ... and export them to build/notebooks-html/*.html
//   node scripts/notebooks-check.mjs --html=DIR notebooks/01-x.ipynb --jobs 1 --timeout 300
// Other options go to the runner: /usr/bin/python3 tools/run_notebooks.py --help.
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PYTHON = process.env.SAMPLING_LAB_JUPYTER_PYTHON || '/usr/bin/python3';
const KERNEL_SPEC = join(ROOT, '.jupyter', 'share', 'jupyter', 'kernels', 'tslab', 'kernel.json');
const DEFAULT_HTML_DIR = join(ROOT, 'build', 'notebooks-html');
/** Runner options that take a value (their value is not a notebook path). */
const VALUE_OPTIONS = new Set(['--jobs', '--timeout', '--startup-timeout', '--settle-ms', '--save-executed', '--log-dir', '--json', '--kernel', '--html']);

function die(message) {
  console.error(`notebooks-check: ${message}`);
  process.exit(1);
}

const probe = spawnSync(PYTHON, ['-c', 'import nbclient, nbconvert, jupyter_client'], { encoding: 'utf8' });
if (probe.error || probe.status !== 0) {
  die(
    `Debian's Jupyter is not installed for ${PYTHON}:\n` +
      '  sudo apt-get install --no-install-recommends jupyter-notebook jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel',
  );
}
const patch = spawnSync(process.execPath, [join(ROOT, 'scripts', 'patch-tslab.cjs'), '--check'], { encoding: 'utf8' });
if (patch.status !== 0) die(`${patch.stderr.trim()}\n  (it runs in postinstall; or: node scripts/patch-tslab.cjs)`);
if (!existsSync(KERNEL_SPEC)) {
  const setup = spawnSync(process.execPath, [join(ROOT, 'scripts', 'setup-kernel.mjs'), '--strict'], { stdio: 'inherit' });
  if (setup.status !== 0) die('the TypeScript kernel could not be registered (see above)');
}

const args = [];
let sawNotebook = false;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--html') {
    args.push('--html', DEFAULT_HTML_DIR);
  } else if (a.startsWith('--html=')) {
    args.push('--html', resolve(a.slice('--html='.length)));
  } else if (VALUE_OPTIONS.has(a)) {
    if (argv[i + 1] === undefined) die(`option ${a} needs a value`);
    args.push(a, argv[++i]);
  } else {
    if (!a.startsWith('-')) {
      if (!a.endsWith('.ipynb') && !(existsSync(a) && statSync(a).isDirectory())) {
        die(`${JSON.stringify(a)} is neither a .ipynb file nor a folder of notebooks`);
      }
      sawNotebook = true;
    }
    args.push(a);
  }
}
if (!sawNotebook) args.push(join(ROOT, 'notebooks'));

const r = spawnSync(PYTHON, [join(ROOT, 'tools', 'run_notebooks.py'), ...args], { stdio: 'inherit', cwd: ROOT });
if (r.error) die(`could not run ${PYTHON}: ${r.error.message}`);
const htmlAt = args.indexOf('--html');
if (r.status === 0 && htmlAt !== -1) console.log(`notebooks-check: HTML in ${args[htmlAt + 1]}`);
process.exit(r.status ?? 1);
