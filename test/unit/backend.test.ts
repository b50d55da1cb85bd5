/**
 * The backend ladder's webgpu rules (lib/core/backend.ts): which adapters count as software (skipped by the default
 * ladder, taken when SAMPLING_LAB_BACKEND=webgpu forces it), the report's wording, and that the warnings Dawn and
 * its drivers print from native code stay off the terminal (they go to the report of `sampling-lab backend`).
 * The adapter infos below are what Dawn's GPUAdapterInfo gives: the SwiftShader one as measured here (Debian's
 * chromium ICD), the others in the same fields as the drivers report them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import {
  classifyAdapter,
  describeAdapter,
  formatBackendReport,
  softwareAdapterSkip,
  type AdapterInfo,
  type BackendReport,
} from '../../lib/core/backend.js';

const SWIFTSHADER: AdapterInfo = {
  vendor: 'google',
  architecture: 'swiftshader',
  device: 'swiftshader-device-subzero-',
  description: 'SwiftShader driver 5.0.0',
  isFallbackAdapter: true,
};

const SOFTWARE: [string, AdapterInfo, RegExp][] = [
  ['SwiftShader (as Dawn reports it here)', SWIFTSHADER, /^isFallbackAdapter$/],
  ['SwiftShader without the fallback flag', { ...SWIFTSHADER, isFallbackAdapter: undefined }, /description names swiftshader/],
  ['Mesa lavapipe (Vulkan)', { vendor: 'mesa', architecture: '', description: 'llvmpipe (LLVM 15.0.6, 256 bits)', isFallbackAdapter: false }, /description names llvmpipe/],
  ['lavapipe by driver name', { vendor: 'mesa', device: 'lavapipe' }, /device names lavapipe/],
  ['Mesa softpipe (GL)', { vendor: 'mesa', description: 'softpipe' }, /softpipe/],
  ['an adapter of type CPU', { vendor: 'unknown', description: 'some driver', adapterType: 'CPU' }, /adapter type CPU/],
  ['Microsoft Basic Render Driver (WARP)', { vendor: 'microsoft', description: 'Microsoft Basic Render Driver' }, /microsoft basic render/],
];

const HARDWARE: [string, AdapterInfo][] = [
  ['NVIDIA through Vulkan', { vendor: 'nvidia', architecture: 'ampere', description: 'NVIDIA GeForce RTX 3090', isFallbackAdapter: false, adapterType: 'discrete GPU' }],
  ['Intel through Mesa ANV', { vendor: 'intel', architecture: 'gen-12lp', description: 'Mesa Intel(R) UHD Graphics 770 (ADL-S GT1)' }],
  ['AMD through Mesa RADV', { vendor: 'amd', architecture: 'rdna-2', description: 'AMD Radeon RX 6800 (RADV NAVI21)' }],
  ['nothing known', {}],
];

test('classifyAdapter: SwiftShader, llvmpipe, lavapipe, softpipe, WARP, type CPU and any fallback adapter are software', () => {
  for (const [what, info, reason] of SOFTWARE) {
    const c = classifyAdapter(info);
    assert.equal(c.software, true, `${what}: ${JSON.stringify(c)}`);
    assert.match(c.reason, reason, what);
  }
});

test('classifyAdapter: NVIDIA, Intel, AMD (Mesa hardware drivers included) and an adapter with no info are hardware', () => {
  for (const [what, info] of HARDWARE) assert.deepEqual(classifyAdapter(info), { software: false, reason: 'hardware adapter' }, what);
});

test('the report says which software adapter was skipped, why, and how to force it', () => {
  assert.equal(describeAdapter(SWIFTSHADER), 'google swiftshader SwiftShader driver 5.0.0');
  assert.equal(describeAdapter({}), 'unknown');
  assert.equal(
    softwareAdapterSkip(SWIFTSHADER),
    'software adapter google swiftshader SwiftShader driver 5.0.0 (isFallbackAdapter): WebGPU on the CPU is slower ' +
      'than wasm, so the ladder goes on; SAMPLING_LAB_BACKEND=webgpu forces it (e.g. to test the GPU code path on SwiftShader)',
  );
  const report: BackendReport = {
    active: 'wasm',
    forced: false,
    attempts: [
      { name: 'webgpu', ok: false, detail: softwareAdapterSkip(SWIFTSHADER), ms: 99, log: ['Warning: something from Dawn', ' - While initializing adapter'] },
      { name: 'wasm', ok: true, detail: 'tfjs-backend-wasm', ms: 60 },
      { name: 'cpu', ok: false, detail: "not tried: 'wasm' started first", ms: 0 },
    ],
  };
  const quiet = formatBackendReport(report);
  assert.equal(
    quiet,
    [
      'backend in use: wasm',
      `  webgpu     skipped: ${softwareAdapterSkip(SWIFTSHADER)} (99 ms)`,
      '  wasm       started: tfjs-backend-wasm (60 ms)',
      "  cpu        skipped: not tried: 'wasm' started first",
    ].join('\n'),
  );
  const verbose = formatBackendReport(report, { verbose: true }).split('\n');
  assert.deepEqual(verbose.slice(2, 5), [
    '             what Dawn and its drivers printed (stderr of the probe):',
    '               | Warning: something from Dawn',
    '               |  - While initializing adapter',
  ]);
  assert.equal(verbose.length, quiet.split('\n').length + 3);
});

/** `sampling-lab backend` (or a figure script's first step) in a child process, with extra environment. */
function cli(env: Record<string, string | undefined>, script = 'lib/cli.ts', args = ['backend']): { stdout: string; stderr: string; status: number | null } {
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { encoding: 'utf8', env: childEnv, timeout: 120_000 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

test('the default ladder prints nothing on stderr when webgpu is skipped (no Vulkan device, XDG_RUNTIME_DIR unset)', () => {
  const r = cli({ SAMPLING_LAB_BACKEND: undefined, VK_ICD_FILENAMES: undefined, XDG_RUNTIME_DIR: undefined });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /backend in use: (wasm|webgpu|tensorflow)/);
  assert.match(r.stdout, /\n {2}webgpu {5}(skipped|started): /);
  assert.equal(r.stderr, '', 'stderr must be empty (Dawn and driver warnings belong in the report)');
});

test('SwiftShader: skipped by the default ladder with the reason, taken when forced; stderr stays empty', { skip: !existsSync(ICD) && `${ICD} is missing (Debian package chromium)` }, () => {
  const ladder = cli({ SAMPLING_LAB_BACKEND: undefined, VK_ICD_FILENAMES: ICD, XDG_RUNTIME_DIR: undefined });
  assert.equal(ladder.status, 0, ladder.stderr);
  assert.match(ladder.stdout, /backend in use: wasm/);
  assert.match(ladder.stdout, /webgpu {5}skipped: software adapter google swiftshader .*\(isFallbackAdapter\): WebGPU on the CPU is slower than wasm/);
  assert.equal(ladder.stderr, '');
  const forced = cli({ SAMPLING_LAB_BACKEND: 'webgpu', VK_ICD_FILENAMES: ICD, XDG_RUNTIME_DIR: undefined });
  assert.equal(forced.status, 0, forced.stderr);
  assert.match(forced.stdout, /backend in use: webgpu \(forced by SAMPLING_LAB_BACKEND\)/);
  assert.match(forced.stdout, /webgpu {5}started: adapter google swiftshader .*\(software: isFallbackAdapter; a correctness run, not a speed one\)/);
  assert.equal(forced.stderr, '');
});
