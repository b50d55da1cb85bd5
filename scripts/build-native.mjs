#!/usr/bin/env node
// Builds the optional OpenBLAS addon native/*.c into build/native/sgemm.node (used by
// lib/core/nativeMatMul.ts to speed up the wasm backend's matmuls). Runs as the package's postinstall.
// It NEVER fails the install: when a compiler, Node's headers or OpenBLAS is missing, it prints one line
// saying what to install and exits 0; the library then runs on plain tfjs-wasm kernels.
//   SAMPLING_LAB_SKIP_NATIVE=1   skip the build.
//   CC=clang                     choose the C compiler (default: cc, then gcc, then clang).
//   PKG_CONFIG_PATH=...          find an OpenBLAS installed outside the system directories.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sources = ['sgemm.c', 'elementwise.c', 'adam.c', 'coupling.c'].map((f) => join(root, 'native', f));
const outDir = join(root, 'build', 'native');
const output = join(outDir, 'sgemm.node');
const INSTALL_HINT = 'apt-get install gcc libopenblas-dev (Debian/Ubuntu; or your system\'s OpenBLAS development package)';

/** One line on stdout, then a successful exit: the addon is optional. */
function skip(reason) {
  console.log(`sampling-lab: native OpenBLAS matmul not built (${reason}); the wasm backend uses its own kernels.`);
  process.exit(0);
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { ok: r.status === 0 && r.error == null, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

function firstLine(text) {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  return (lines.find((l) => /error/i.test(l)) ?? lines[0] ?? '').slice(0, 300);
}

function findCompiler() {
  const candidates = [process.env.CC, 'cc', 'gcc', 'clang'].filter((c) => c != null && c !== '');
  return candidates.find((c) => run(c, ['--version']).ok);
}

/** The folder holding node_api.h: npm's nodedir, the install prefix of this node, or the usual places. */
function findNodeHeaders() {
  const candidates = [
    process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, 'include', 'node'),
    resolve(dirname(process.execPath), '..', 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ].filter(Boolean);
  return candidates.find((dir) => existsSync(join(dir, 'node_api.h')));
}

/** Compiler and linker flags for OpenBLAS: pkg-config first, then the usual header folders. */
function findOpenBlas() {
  const pc = run('pkg-config', ['--cflags', '--libs', 'openblas']);
  if (pc.ok && /-lopenblas/.test(pc.stdout)) {
    const flags = pc.stdout.trim().split(/\s+/).filter((f) => f.length > 0);
    // Custom installs (outside the system lib folders) also need a run-time search path.
    const rpaths = flags
      .filter((f) => f.startsWith('-L'))
      .map((f) => f.slice(2))
      .filter((d) => !/^\/(usr\/)?lib(64)?\//.test(d))
      .map((d) => `-Wl,-rpath,${d}`);
    return [...flags, ...rpaths];
  }
  const headerDirs = [
    '/usr/include/x86_64-linux-gnu/openblas-pthread',
    '/usr/include/aarch64-linux-gnu/openblas-pthread',
    '/usr/include/openblas',
    '/opt/homebrew/opt/openblas/include',
    '/usr/local/opt/openblas/include',
    '/usr/include',
    '/usr/local/include',
  ];
  const dir = headerDirs.find((d) => existsSync(join(d, 'cblas.h')) && existsSync(join(d, 'openblas_config.h')));
  if (dir == null) return null;
  const libDir = dir.endsWith('/include') ? dir.replace(/\/include$/, '/lib') : null;
  return [`-I${dir}`, ...(libDir && existsSync(libDir) ? [`-L${libDir}`, `-Wl,-rpath,${libDir}`] : []), '-lopenblas'];
}

if (process.env.SAMPLING_LAB_SKIP_NATIVE === '1') skip('SAMPLING_LAB_SKIP_NATIVE=1');
if (process.platform === 'win32') skip('Windows builds are not supported by this script');
for (const source of sources) if (!existsSync(source)) skip(`${source} is missing`);
const cc = findCompiler();
if (cc == null) skip(`no C compiler found; install one: ${INSTALL_HINT}`);
const nodeHeaders = findNodeHeaders();
if (nodeHeaders == null) {
  skip(`Node's headers (node_api.h) not found; install them (apt-get install libnode-dev, or set npm's nodedir)`);
}
const blasFlags = findOpenBlas();
if (blasFlags == null) skip(`OpenBLAS headers and library not found; install them: ${INSTALL_HINT}`);

mkdirSync(outDir, { recursive: true });
const partial = `${output}.${process.pid}.tmp`;
const args = [
  // -fno-trapping-math: lets the compiler vectorise loops with comparisons (no code here reads FP exception flags)
  '-O3', '-fno-trapping-math', '-std=c99', '-shared', '-fPIC', '-Wall',
  `-I${nodeHeaders}`,
  ...sources,
  ...blasFlags,
  ...(process.platform === 'darwin' ? ['-undefined', 'dynamic_lookup'] : []),
  '-lm',
  '-o', partial,
];
const compiled = run(cc, args);
if (!compiled.ok) {
  rmSync(partial, { force: true });
  skip(`${cc} failed: ${firstLine(compiled.stderr || String(compiled.error))}; check: ${INSTALL_HINT}`);
}
renameSync(partial, output);

// Load it in a child process (a broken library must not take this process down) and report what BLAS we got.
const probe = run(process.execPath, [
  '-e',
  `const m = require(${JSON.stringify(output)}); const i = m.info(); ` +
    `if (!/OpenBLAS/i.test(i.config)) throw new Error('linked BLAS is not OpenBLAS: ' + i.config); ` +
    `console.log(i.config + ' (' + i.corename + ', ' + i.parallel + ')');`,
]);
if (!probe.ok) {
  rmSync(output, { force: true });
  skip(`the built addon did not load: ${firstLine(probe.stderr)}`);
}
console.log(`sampling-lab: built ${join('build', 'native', 'sgemm.node')} against ${probe.stdout.trim()}`);
