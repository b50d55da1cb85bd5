#!/usr/bin/env node
// Runs test/**/*.test.ts under node's own test runner (through tsx), so CI reads node:test totals.
// Node 20 does not expand globs in `node --test`; this script does.
//
//   node scripts/run-tests.mjs              every test file except test/webgpu/, then the webgpu suite as a second
//                                           run when a WebGPU adapter is there (else one line says why it is skipped)
//   node scripts/run-tests.mjs --webgpu     only the webgpu suite (npm run test:webgpu); fails if there is no adapter
//   node scripts/run-tests.mjs random ops   only files whose path contains "random" or "ops" (a webgpu file among
//                                           them runs in the webgpu run)
//
// The webgpu suite forces tfjs' webgpu backend. Its adapter: whatever Dawn finds in this environment (a GPU, or the
// device VK_ICD_FILENAMES names); failing that, SwiftShader, the Vulkan device in software that Debian's chromium
// ships (VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json, needs libvulkan1). SwiftShader runs the same
// shaders as a GPU, slowly: a correctness run (a few minutes).
// SAMPLING_LAB_WEBGPU=skip leaves the webgpu suite out of the default run (CI runs it as its own step).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { spawnSync } from 'node:child_process';

const WEBGPU_DIR = join('test', 'webgpu') + sep;
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

function collect(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return collect(path);
    return path.endsWith('.test.ts') ? [path] : [];
  });
}

function runFiles(files, env = process.env) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], { stdio: 'inherit', env });
  return result.status ?? 1;
}

/** The adapter Dawn gives with `env` (lib/core/backend.ts probes in a child process), or null. */
function probe(env) {
  const code =
    "import('./lib/core/backend.ts').then(async (m) => { const p = await m.probeWebgpuAdapter(); " +
    "process.stdout.write(JSON.stringify(p.adapter == null ? null : m.describeAdapter(p.adapter) + (m.classifyAdapter(p.adapter).software ? ' (software)' : ''))); })" +
    ".catch((e) => { process.stdout.write(JSON.stringify(null)); process.stderr.write(String(e && e.message)); })";
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { encoding: 'utf8', env, timeout: 60_000 });
  try {
    return JSON.parse(r.stdout.trim() || 'null');
  } catch {
    return null;
  }
}

/** The environment for the webgpu suite, or the reason there is none. */
function webgpuEnvironment() {
  const here = probe(process.env);
  if (here != null) {
    const via = process.env.VK_ICD_FILENAMES ? ` (VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES})` : '';
    return { env: process.env, adapter: `${here}${via}` };
  }
  if (process.env.VK_ICD_FILENAMES) return { reason: `Dawn found no adapter with VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES}` };
  if (!existsSync(SWIFTSHADER_ICD)) {
    return { reason: `no WebGPU adapter here, and no SwiftShader (${SWIFTSHADER_ICD}: Debian packages chromium and libvulkan1)` };
  }
  const env = { ...process.env, VK_ICD_FILENAMES: SWIFTSHADER_ICD };
  const swiftshader = probe(env);
  if (swiftshader == null) return { reason: `no WebGPU adapter here, and Dawn did not start SwiftShader (${SWIFTSHADER_ICD}; is libvulkan1 installed?)` };
  return { env, adapter: `${swiftshader} (VK_ICD_FILENAMES=${SWIFTSHADER_ICD})` };
}

function runWebgpu(files, required) {
  const found = webgpuEnvironment();
  if (found.env == null) {
    if (required) {
      console.error(`webgpu suite: cannot run: ${found.reason}`);
      return 1;
    }
    console.log(`\n# webgpu suite skipped: ${found.reason}`);
    return 0;
  }
  console.log(`\n# webgpu suite (${files.length} files) on ${found.adapter}`);
  const t0 = Date.now();
  const status = runFiles(files, found.env);
  console.log(`# webgpu suite ${status === 0 ? 'passed' : 'FAILED'} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return status;
}

const args = process.argv.slice(2);
const webgpuOnly = args.includes('--webgpu');
const filters = args.filter((a) => a !== '--webgpu');
const all = collect('test').sort();
const isWebgpu = (f) => f.startsWith(WEBGPU_DIR);
const matching = all.filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
const webgpuFiles = matching.filter(isWebgpu);
const otherFiles = webgpuOnly ? [] : matching.filter((f) => !isWebgpu(f));
if (webgpuFiles.length + otherFiles.length === 0) {
  console.error(`no test files match ${JSON.stringify(filters)}${webgpuOnly ? ' in test/webgpu' : ''}`);
  process.exit(2);
}

let status = otherFiles.length > 0 ? runFiles(otherFiles) : 0;
const skipWebgpu = !webgpuOnly && filters.length === 0 && process.env.SAMPLING_LAB_WEBGPU === 'skip';
if (webgpuFiles.length > 0 && !skipWebgpu) {
  // required when asked for by name (--webgpu, or a filter that picks webgpu files)
  const webgpuStatus = runWebgpu(webgpuFiles, webgpuOnly || filters.length > 0);
  status = status || webgpuStatus;
} else if (skipWebgpu) {
  console.log('\n# webgpu suite skipped: SAMPLING_LAB_WEBGPU=skip (CI runs it as its own step: npm run test:webgpu)');
}
process.exit(status);
