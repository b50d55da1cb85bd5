#!/usr/bin/env node
// The installable package, tested the way a user meets it (CI runs this after `npm ci`):
//   1. `npm pack` (prepack builds dist/ with tsc -p tsconfig.build.json);
//   2. a fresh project in a temporary folder installs the tarball (with no lockfile: npm resolves every range
//      itself; peer dependencies, i.e. tfjs, come in once, at the project's top level) and approves the
//      package's postinstall (its package.json "allowScripts"), so it runs as it does for a user who allows it;
//   3. that project type-checks a TypeScript file importing `sampling-lab` (strict, NodeNext: types through
//      package.json "exports") and runs it: MALA chains through runChain on tensors made with the user's own
//      `@tensorflow/tfjs`, and SMC with its log Z;
//   4. checks: one copy of @tensorflow/tfjs-core, @uwdata/flechette at the version that installs, the postinstall
//      left the user's project alone (no .jupyter/, no tslab), the sampling-lab binary answers --help;
//   5. a linked install of this folder (its own node_modules, so a second tfjs copy): initBackend fails clearly.
//
//   node scripts/pack-test.mjs [--keep]     --keep leaves the temporary project in place and prints where
// Packages come from npm's cache when they are there (--prefer-offline), else from the registry.
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, existsSync, rmSync, realpathSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const keep = process.argv.includes('--keep');
const work = mkdtempSync(join(tmpdir(), 'sampling-lab-pack-'));
const project = join(work, 'user-project');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const t0 = Date.now();

function step(message) {
  console.log(`pack-test: ${message} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}

function fail(message) {
  console.error(`pack-test: FAILED: ${message}\n  (temporary project kept in ${work})`);
  process.exit(1);
}

/** Run a command; on a non-zero exit fail with its last output lines. */
function run(cmd, args, cwd, env = process.env) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) {
    const out = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.trim().split('\n').slice(-40).join('\n  ');
    fail(`${cmd} ${args.join(' ')} (in ${cwd}) exited with ${r.status ?? r.signal ?? r.error}:\n  ${out}`);
  }
  return r;
}

// 1. pack
step('npm pack (prepack builds dist/)');
const packed = run(npm, ['pack', '--json', '--pack-destination', work], ROOT);
const tarball = join(work, JSON.parse(packed.stdout)[0].filename);
const packedFiles = JSON.parse(packed.stdout)[0].files.map((f) => f.path);
for (const needed of ['dist/index.js', 'dist/index.d.ts', 'bin/sampling-lab.mjs', 'scripts/postinstall.mjs', 'native/sgemm.c']) {
  if (!packedFiles.includes(needed)) fail(`the tarball lacks ${needed}`);
}
if (packedFiles.some((f) => f.startsWith('test/') || f.startsWith('node_modules/'))) fail('the tarball carries test/ or node_modules/');

// 2. a user's project
mkdirSync(project);
writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module', allowScripts: { 'sampling-lab': true } }, null, 2));
const typescript = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'typescript', 'package.json'), 'utf8')).version;
const typesNode = JSON.parse(readFileSync(join(ROOT, 'node_modules', '@types', 'node', 'package.json'), 'utf8')).version;
step(`npm install ${tarball.replace(work, '<tmp>')} (typescript@${typescript}, @types/node@${typesNode})`);
run(
  npm,
  ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, `typescript@${typescript}`, `@types/node@${typesNode}`],
  project,
);

// 3. type-check and run the user's script
writeFileSync(
  join(project, 'tsconfig.json'),
  JSON.stringify(
    {
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, types: ['node'], outDir: 'out' },
      files: ['main.ts'],
    },
    null,
    2,
  ),
);
writeFileSync(
  join(project, 'main.ts'),
  `import * as tf from '@tensorflow/tfjs';
import { initBackend, key, split, targets, gaussian, mala, runChain, smc, type Target } from 'sampling-lab';

const backend = await initBackend();
const target: Target = targets.get('two-modes', { dim: 2, separation: 6 });
// positions made with the user's own tf: the library must take them as its tensors
const start = tf.randomNormal([32, 2], 0, 1, 'float32', 1) as tf.Tensor2D;
const [k1, k2] = split(key(0));
const chain = await runChain(k1, mala(target), start, { numSteps: 40, params: { stepSize: 0.5 } });
const run = await smc(k2, { reference: gaussian([0, 0], 9), target, kernel: (t) => mala(t), params: { stepSize: 0.3 }, numParticles: 256 });
console.log(JSON.stringify({ backend: backend.active, steps: chain.stepsDone, logZ: run.logZ, exactLogZ: target.logZ }));
`,
);
step('tsc (strict, NodeNext) on a file importing sampling-lab');
run(process.execPath, [join(project, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], project);
step('node out/main.js');
const out = run(process.execPath, ['out/main.js'], project, { ...process.env, SAMPLING_LAB_BACKEND: 'wasm' });
const line = out.stdout.trim().split('\n').pop() ?? '';
let result;
try {
  result = JSON.parse(line);
} catch {
  fail(`the script printed no result line:\n${out.stdout}\n${out.stderr}`);
}
if (result.steps !== 40 || !Number.isFinite(result.logZ) || Math.abs(result.logZ - result.exactLogZ) > 1) {
  fail(`unexpected result ${line} (40 steps, log Z within 1 of ${result.exactLogZ} expected)`);
}

// 4. what the install left
const userRequire = createRequire(join(project, 'package.json'));
const libRequire = createRequire(join(project, 'node_modules', 'sampling-lab', 'package.json'));
const cores = new Set([userRequire, libRequire].map((req) => realpathSync(req.resolve('@tensorflow/tfjs-core'))));
if (cores.size !== 1) fail(`two copies of @tensorflow/tfjs-core: ${[...cores].join(', ')}`);
const flechette = JSON.parse(readFileSync(join(project, 'node_modules', '@uwdata', 'flechette', 'package.json'), 'utf8')).version;
if (existsSync(join(project, '.jupyter'))) fail("the postinstall registered a Jupyter kernel in the user's project");
if (existsSync(join(project, 'node_modules', 'tslab'))) fail('tslab (a devDependency) was installed into the user project');
const native = existsSync(join(project, 'node_modules', 'sampling-lab', 'build', 'native', 'sgemm.node'));
const help = run(join(project, 'node_modules', '.bin', 'sampling-lab'), ['--help'], project);
if (!/usage: sampling-lab/.test(help.stdout)) fail(`sampling-lab --help printed:\n${help.stdout}`);

// 5. a linked install (`npm install <folder>` links the folder, which keeps its own node_modules): two copies of
// tfjs-core, which initBackend must refuse with a clear error (lib/core/tfjsCopies.ts)
symlinkSync(ROOT, join(project, 'node_modules', 'sampling-lab-linked'), 'dir');
writeFileSync(
  join(project, 'linked.mjs'),
  `import '@tensorflow/tfjs';
const lib = await import('sampling-lab-linked');
await lib.initBackend().then(() => console.log('initBackend: no error'), (err) => console.log(err.message));
`,
);
const linked = run(process.execPath, ['linked.mjs'], project);
if (!/two copies of @tensorflow\/tfjs-core/.test(linked.stdout)) fail(`a linked install with two tfjs copies gave no clear error:\n${linked.stdout}`);

step(
  `ok: ${result.backend}, ${result.steps} MALA steps, SMC log Z ${result.logZ.toFixed(3)} (exact ${result.exactLogZ}); ` +
    `one tfjs-core; @uwdata/flechette ${flechette}; native matmul ${native ? 'built' : 'not built (no OpenBLAS)'}; ` +
    'a linked install with a second tfjs copy fails clearly',
);
if (keep) console.log(`pack-test: project kept in ${project}`);
else rmSync(work, { recursive: true, force: true });
