#!/usr/bin/env node
// `npm run notebook`: Debian's classic Jupyter Notebook on 127.0.0.1, rooted at notebooks/, with the project's
// TypeScript kernel (tslab, registered in .jupyter/ by scripts/setup-kernel.mjs). Prints the URL to open.
//
//   npm run notebook                      port 8888 (the next free one if taken)
//   npm run notebook -- --port 9000       any other option goes to `jupyter notebook`
//   QUICK=1 npm run notebook              kernels inherit the environment: notebooks then use their quick configs
//
// Stop it with Ctrl-C, or SIGTERM to this script or its process group: Jupyter shuts its kernels down, then exits.
import { existsSync, mkdirSync, readFileSync, watch } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
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
const runtimeDir = env.JUPYTER_RUNTIME_DIR;
mkdirSync(runtimeDir, { recursive: true });
// Its own process group: a signal to this script's group (Ctrl-C, `kill -TERM -<pgid>`) reaches Jupyter once, as
// the SIGTERM below, and not a second time directly (a second signal would cut short its kernel shutdown).
const child = spawn(PYTHON, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });

// Announce the URL, with its token whatever it is (generated, set with --NotebookApp.token=..., or none), once the
// server has written its info file (runtime dir, nbserver-<pid>.json: Jupyter's own record of url and token; the
// log masks a token given on the command line).
const infoFile = join(runtimeDir, `nbserver-${child.pid}.json`);
let announced = false;
function announce() {
  if (announced || !existsSync(infoFile)) return;
  let info;
  try {
    info = JSON.parse(readFileSync(infoFile, 'utf8'));
  } catch {
    return; // being written: the next event reads it whole
  }
  announced = true;
  watcher.close();
  const url = info.token ? `${info.url}?token=${encodeURIComponent(info.token)}` : info.url;
  console.log(`\nsampling-lab notebooks (TypeScript kernel "tslab"): ${url}\n`);
}
const watcher = watch(runtimeDir, (_event, name) => {
  if (name === basename(infoFile)) announce();
});
function relay(stream, sink) {
  stream.setEncoding('utf8').on('data', (chunk) => {
    sink.write(chunk);
    announce();
  });
}
relay(child.stdout, process.stdout);
relay(child.stderr, process.stderr);

// Jupyter stops on SIGTERM without asking (SIGINT would ask for a confirmation), and shuts its kernels down first.
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    child.kill('SIGTERM');
  });
}
child.on('error', (err) => die(`could not start ${PYTHON} -m notebook: ${err.message}`));
child.on('exit', (code, signal) => {
  watcher.close();
  process.exit(code ?? (signal ? 0 : 1));
});
