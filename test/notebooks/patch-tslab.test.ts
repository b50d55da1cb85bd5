/**
 * scripts/patch-tslab.cjs on a scratch copy of tslab 1.0.22's files: it applies, it is idempotent, `--check` tells
 * patched from unpatched, and it refuses (exit 1, saying why) another tslab version or text it does not know.
 * (That the patched kernel works is checked in a live kernel by runner.test.ts and kernel-protocol.test.ts.)
 */
import { beforeEach, afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './jupyter.js';

const SCRIPT = join(ROOT, 'scripts', 'patch-tslab.cjs');
const INSTALLED = join(ROOT, 'node_modules', 'tslab');
const ORIG = '.sampling-lab-orig';

/** tslab's pristine dist file: the backup the patch keeps, or the installed file if it was never patched. */
function pristine(name: string): string {
  const backup = join(INSTALLED, 'dist', name + ORIG);
  const text = readFileSync(existsSync(backup) ? backup : join(INSTALLED, 'dist', name), 'utf8');
  assert.ok(!text.includes('sampling-lab-tslab-patch'), `no pristine copy of tslab/dist/${name}`);
  return text;
}

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'patch-tslab-'));
  mkdirSync(join(dir, 'dist'));
  cpSync(join(INSTALLED, 'package.json'), join(dir, 'package.json'));
  for (const name of ['converter.js', 'executor.js']) writeFileSync(join(dir, 'dist', name), pristine(name));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

function patch(...args: string[]) {
  const r = spawnSync(process.execPath, [SCRIPT, '--tslab-dir', dir, ...args], { encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

const read = (name: string) => readFileSync(join(dir, 'dist', name), 'utf8');

test('patches converter.js and executor.js, keeping the pristine files', () => {
  assert.equal(patch('--check').code, 1, 'unpatched copy fails --check');
  const r = patch();
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /patched tslab 1\.0\.22/);
  const converter = read('converter.js');
  for (const piece of [
    'rootDir: projectRoot,',
    'moduleResolution: ts.ModuleResolutionKind.Bundler,',
    'path: (0, tspath_1.normalizeJoin)(projectRoot, rel),',
    'data: samplingLabLibraryToCommonJS(data, transpileTarget),',
    'function samplingLabProjectRoot(cwd)',
  ]) {
    assert.ok(converter.includes(piece), piece);
  }
  const executor = read('executor.js');
  assert.ok(executor.includes('(0, tspath_1.normalizeJoin)(base, "index.js")'));
  assert.ok(executor.includes('filename: "In[" + samplingLabCell + "]",'));
  assert.equal(readFileSync(join(dir, 'dist', 'converter.js' + ORIG), 'utf8'), pristine('converter.js'));
  assert.equal(patch('--check').code, 0);
});

test('is idempotent: a second run changes nothing', () => {
  assert.equal(patch().code, 0);
  const once = [read('converter.js'), read('executor.js')];
  const r = patch();
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /already carries sampling-lab-tslab-patch/);
  assert.deepEqual([read('converter.js'), read('executor.js')], once);
});

test('refuses another tslab version', () => {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ ...pkg, version: '1.0.23' }));
  const r = patch();
  assert.equal(r.code, 1);
  assert.match(r.out, /installed tslab is 1\.0\.23, this patch is written for tslab 1\.0\.22/);
  assert.ok(!read('converter.js').includes('sampling-lab-tslab-patch'), 'nothing written');
});

test('refuses text it does not know, naming the edit', () => {
  writeFileSync(join(dir, 'dist', 'converter.js'), pristine('converter.js').replace('rootDir: cwd,', 'rootDir: cwd ,'));
  const r = patch();
  assert.equal(r.code, 1);
  assert.match(r.out, /expected exactly one occurrence of the text for "compiler option rootDir", found 0/);
  assert.ok(!read('executor.js').includes('sampling-lab-tslab-patch'), 'nothing written');
});

test('refuses a patched copy without its pristine backup', () => {
  assert.equal(patch().code, 0);
  rmSync(join(dir, 'dist', 'converter.js' + ORIG));
  const r = patch();
  assert.equal(r.code, 1);
  assert.match(r.out, /is patched but its pristine copy converter\.js\.sampling-lab-orig is missing/);
});
