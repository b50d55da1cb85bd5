/**
 * The package's manifest as a user's install sees it (the full check, which packs and installs the tarball into a
 * fresh project, is scripts/pack-test.mjs, run by CI): every package lib/ loads is installed for the user, tfjs is a
 * peer dependency (one copy shared with the user's own tf), the exports map names the files tsc builds, the files
 * lib/ reads at run time are packed, and this repository's `npm ci` has no install script left unreviewed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

interface Manifest {
  exports: Record<string, { types?: string; import?: string } | string>;
  main: string;
  types: string;
  files: string[];
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  devDependencies: Record<string, string>;
  overrides?: Record<string, string>;
  allowScripts?: Record<string, boolean>;
}

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as Manifest;
const build = JSON.parse(readFileSync('tsconfig.build.json', 'utf8')) as { compilerOptions: { rootDir: string; outDir: string; declaration: boolean } };

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? tsFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** The bare packages a source file loads: static and dynamic imports, and require.resolve of a package name. */
function importedPackages(source: string): string[] {
  const code = source
    .split('\n')
    .filter((line) => !/^\s*(\*|\/\/|\/\*)/.test(line))
    .join('\n');
  const names = [
    ...code.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'/gm),
    ...code.matchAll(/^\s*import\s+'([^']+)'/gm),
    ...code.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
    ...code.matchAll(/\.resolve\(\s*'([^']+)'\s*\)/g),
  ].map((m) => m[1]);
  return names
    .filter((s) => !s.startsWith('.') && !s.startsWith('node:'))
    .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]));
}

test('importedPackages finds static, dynamic and resolved imports, and skips comments and relative paths', () => {
  const source = [
    "import * as tf from '@tensorflow/tfjs';",
    "import { contours } from 'd3-contour/dist/x.js';",
    "export { a } from './a.js';",
    " * import { nothing } from 'in-a-comment';",
    "const m = await import('@tensorflow/tfjs-backend-wasm');",
    "const p = createRequire(import.meta.url).resolve('webgpu');",
    "import { readFileSync } from 'node:fs';",
  ].join('\n');
  assert.deepEqual(importedPackages(source), ['@tensorflow/tfjs', 'd3-contour', '@tensorflow/tfjs-backend-wasm', 'webgpu']);
});

test('every package lib/ loads is installed for a user: a dependency, or a peer dependency (tfjs)', () => {
  const used = new Map<string, string>();
  for (const file of tsFiles('lib')) for (const name of importedPackages(readFileSync(file, 'utf8'))) used.set(name, file);
  assert.ok(used.has('@tensorflow/tfjs') && used.has('vega-lite'), `the import scan found too little: ${[...used.keys()].join(', ')}`);
  const missing = [...used].filter(([name]) => !(name in pkg.dependencies) && !(name in pkg.peerDependencies));
  assert.deepEqual(missing, [], 'packages lib/ imports that a user install would not get (move them from devDependencies to dependencies)');
  // tfjs: peers, so that npm installs one copy, shared with the user's own `import * as tf from '@tensorflow/tfjs'`
  for (const name of [...used.keys()].filter((n) => n.startsWith('@tensorflow/tfjs'))) {
    assert.ok(name in pkg.peerDependencies && !(name in pkg.dependencies), `${name} must be a peer dependency, not a dependency`);
    assert.ok(!pkg.peerDependenciesMeta?.[name]?.optional, `${name} is a required peer`);
    assert.equal(pkg.devDependencies[name], pkg.peerDependencies[name], `${name}: the devDependency (this repository's copy) and the peer range differ`);
  }
});

test('pins that overrides give this repository are dependencies too (a user install ignores a dependency\'s overrides)', () => {
  for (const [name, version] of Object.entries(pkg.overrides ?? {})) {
    assert.equal(pkg.dependencies[name], version, `overrides pins ${name}@${version}; a user install needs it in dependencies`);
  }
});

test('the exports map gives types and import, at the files tsc -p tsconfig.build.json writes for lib/index.ts', () => {
  const { rootDir, outDir, declaration } = build.compilerOptions;
  assert.equal(rootDir, 'lib');
  assert.equal(declaration, true);
  const root = pkg.exports['.'];
  assert.ok(typeof root === 'object', 'exports["."] is a conditions object');
  assert.equal(root.types, `./${outDir}/index.d.ts`);
  assert.equal(root.import, `./${outDir}/index.js`);
  assert.deepEqual(Object.keys(root), ['types', 'import'], '"types" must come first');
  assert.equal(pkg.main, root.import);
  assert.equal(pkg.types, root.types);
  assert.ok(pkg.files.includes(`${outDir}/`), `files must include ${outDir}/`);
  assert.match(readFileSync('.gitignore', 'utf8'), new RegExp(`^/?${outDir}/?$`, 'm'), `${outDir}/ must be gitignored`);
  assert.match(pkg.scripts.prepack ?? '', /npm run build/, 'npm pack must build dist/ first');
});

test('the files lib/ reads at run time and the postinstall needs are packed', () => {
  // data/ (logistic-regression datasets, read relative to the module), the native matmul's source, the postinstall
  for (const entry of ['data/', 'native/', 'bin/', 'scripts/postinstall.mjs', 'scripts/build-native.mjs']) {
    assert.ok(pkg.files.includes(entry), `files lacks ${entry}`);
  }
  assert.match(pkg.scripts.postinstall, /scripts\/postinstall\.mjs/);
});

test('npm ci runs no install script unreviewed: allowScripts covers every installed package that has one', (t) => {
  const r = spawnSync('npm', ['install-scripts', 'ls'], { encoding: 'utf8', timeout: 60_000 });
  if (/unknown command/i.test(`${r.stdout}${r.stderr}`)) {
    t.skip(`npm ${spawnSync('npm', ['--version'], { encoding: 'utf8' }).stdout.trim()} has no install-scripts command (npm >= 11.19)`);
    return;
  }
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /No packages with unreviewed install scripts/, r.stdout);
});
