#!/usr/bin/env node
// `npm run notebook`: Debian's classic Jupyter Notebook on 127.0.0.1, rooted at notebooks/, with the project's
// TypeScript kernel (tslab, registered in .jupyter/ by scripts/setup-kernel.mjs). Prints the URL to open.
//
//   npm run notebook                      port 8888 (the next free one if taken)
//   npm run notebook -- --port 9000       any other option goes to `jupyter notebook`
//   QUICK=1 npm run notebook              kernels inherit the environment: notebooks then use their quick configs
//
// Stop it with Ctrl-C.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PYTHON = process.env.SAMPLING_LAB_JUPYTER_PYTHON || '/usr/bin/python3';
const JUPYTER_DATA_DIR = join(ROOT, '.jupyter', 'share', 'jupyter');
const KERNEL_SPEC = join(JUPYTER_DATA_DIR, 'kernels', 'tslab', 'kernel.json');
const NOTEBOOKS = join(ROOT, 'notebooks');

function die(message) {
  console.error(`notebook: ${message}`);
  process.exit(1);
}

const probe = spawnSync(PYTHON, ['-c', 'import notebook, jupyter_client'], { encoding: 'utf8' });
if (probe.error || probe.status !== 0) {
  die(
    `Jupyter Notebook is not installed for ${PYTHON}. Install Debian's:\n` +
      '  sudo apt-get install --no-install-recommends jupyter-notebook jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel\n' +
      'then register the kernel: node scripts/setup-kernel.mjs',
  );
}
if (!existsSync(KERNEL_SPEC)) {
  const setup = spawnSync(process.execPath, [join(ROOT, 'scripts', 'setup-kernel.mjs'), '--strict'], { stdio: 'inherit' });
  if (setup.status !== 0) die('the TypeScript kernel could not be registered (see above)');
}
const patch = spawnSync(process.execPath, [join(ROOT, 'scripts', 'patch-tslab.cjs'), '--check'], { encoding: 'utf8' });
if (patch.status !== 0) {
  console.warn(`notebook: warning: ${patch.stderr.trim()}\n  (notebooks cannot import ../lib until it is; run node scripts/patch-tslab.cjs)`);
}

const userArgs = process.argv.slice(2);
const args = ['-m', 'notebook', '--no-browser', '--ip=127.0.0.1', `--notebook-dir=${NOTEBOOKS}`];
if (!userArgs.some((a) => a === '--port' || a.startsWith('--port='))) args.push('--port=8888');
// The notebook server refuses to run as root without this (containers, CI machines).
if (process.getuid?.() === 0) args.push('--allow-root');
args.push(...userArgs);

const env = {
  ...process.env,
  JUPYTER_PATH: [JUPYTER_DATA_DIR, process.env.JUPYTER_PATH].filter(Boolean).join(':'),
  // connection files and the cookie secret stay in the project, not in ~/.local/share/jupyter/runtime
  JUPYTER_RUNTIME_DIR: process.env.JUPYTER_RUNTIME_DIR || join(ROOT, '.jupyter', 'runtime'),
  PYDEVD_DISABLE_FILE_VALIDATION: '1', // Debian's debugpy warns about frozen modules otherwise
};
const child = spawn(PYTHON, args, { cwd: ROOT, env, stdio: ['inherit', 'pipe', 'pipe'] });

// The server logs its URL (with the access token) on stderr; repeat it once, clearly, when it appears.
let announced = false;
const URL_PATTERN = /http:\/\/127\.0\.0\.1:\d+\/\S*\?token=[0-9a-f]+/;
function relay(stream, sink) {
  let buffered = '';
  stream.setEncoding('utf8').on('data', (chunk) => {
    sink.write(chunk);
    if (announced) return;
    buffered += chunk;
    const match = URL_PATTERN.exec(buffered);
    if (match) {
      announced = true;
      console.log(`\nsampling-lab notebooks (TypeScript kernel "tslab"): ${match[0]}\n`);
    } else if (buffered.length > 65536) {
      buffered = buffered.slice(-4096);
    }
  });
}
relay(child.stdout, process.stdout);
relay(child.stderr, process.stderr);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => child.kill(signal));
}
child.on('error', (err) => die(`could not start ${PYTHON} -m notebook: ${err.message}`));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
