/**
 * The backend ladder (DESIGN.md section 1): `tensorflow` (tfjs-node-gpu, then tfjs-node) -> `webgpu`
 * (tfjs-backend-webgpu on Dawn's `webgpu` npm package) -> `wasm` -> `cpu`. The first that starts wins.
 * `SAMPLING_LAB_BACKEND=name` forces one and fails with a clear message when it cannot start.
 *
 * webgpu: a child process first asks Dawn for an adapter (Dawn's and the drivers' warnings land in its stderr,
 * kept in the report, not on the user's terminal). The default ladder takes a hardware adapter only: a software
 * one (SwiftShader, llvmpipe, lavapipe, isFallbackAdapter) is skipped, wasm being faster on the CPU;
 * SAMPLING_LAB_BACKEND=webgpu takes whatever adapter there is.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { enableNativeMatMul } from './nativeMatMul.js';
import { patchWasmCopies, patchWebgpuAddN } from './ops.js';
import { checkOneTfjsCore } from './tfjsCopies.js';

export const BACKENDS = ['tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface BackendAttempt {
  name: BackendName;
  ok: boolean;
  /** Why it was skipped or failed, or what started (package, adapter). */
  detail: string;
  ms: number;
  /**
   * What the backend's native code printed while it was tried (Dawn's and the drivers' warnings, captured from
   * the adapter probe's stderr). Shown by `formatBackendReport(report, { verbose: true })` (`sampling-lab backend`).
   */
  log?: string[];
}

export interface BackendReport {
  active: BackendName;
  forced: boolean;
  attempts: BackendAttempt[];
  /** When webgpu is active: its adapter, and whether that is a software one (then timings are not GPU timings). */
  adapter?: AdapterInfo & { software: boolean };
}

type Starter = (forced: boolean) => Promise<string>;

/** The slice of Dawn's `GPU` object used here (avoids a dependency on @webgpu/types). */
interface DawnGpu {
  requestAdapter(options?: { powerPreference?: string }): Promise<object | null>;
}

/** Import a module by name without letting TypeScript or bundlers resolve it (optional peers). */
const importOptional = (name: string): Promise<unknown> => import(/* @vite-ignore */ name);

async function startTensorflow(): Promise<string> {
  const reasons: string[] = [];
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await importOptional(pkg);
    } catch (err) {
      reasons.push(`${pkg}: ${shortError(err)}`);
      continue;
    }
    if (tf.findBackend('tensorflow') == null) {
      reasons.push(`${pkg} loaded but registered no 'tensorflow' backend in this @tensorflow/tfjs copy`);
      continue;
    }
    await activate('tensorflow');
    return `${pkg} (libtensorflow)`;
  }
  throw new Error(
    `${reasons.join('; ')}. These are optional peers (their install downloads libtensorflow): ` +
      '`npm install @tensorflow/tfjs-node` on a machine with internet access.',
  );
}

/**
 * What the ladder looks at in a WebGPU adapter: `GPUAdapterInfo` (vendor, architecture, device, description,
 * `isFallbackAdapter` where the implementation has it) plus Dawn's adapter type where one is known. All optional.
 */
export interface AdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  /** WebGPU's flag for an adapter that may be slow (a CPU implementation); Dawn sets it for SwiftShader. */
  isFallbackAdapter?: boolean;
  /** Dawn's `wgpu::AdapterType`: 'discrete GPU', 'integrated GPU', 'CPU', 'unknown' (not in every binding). */
  adapterType?: string;
}

/** Names of Vulkan / GL drivers that run on the CPU, as they appear in adapter vendor, architecture or description. */
const SOFTWARE_RENDERERS = /swiftshader|llvmpipe|lavapipe|softpipe|software rasterizer|microsoft basic render/i;

/**
 * Whether a WebGPU adapter is a software one (a CPU implementation of Vulkan or GL: SwiftShader, llvmpipe,
 * lavapipe, softpipe, an adapter of type CPU, or any adapter flagged `isFallbackAdapter`), and why.
 * The default ladder skips those (WebGPU on the CPU is slower than the wasm backend); forcing webgpu does not.
 */
export function classifyAdapter(info: AdapterInfo): { software: boolean; reason: string } {
  if (info.isFallbackAdapter === true) return { software: true, reason: 'isFallbackAdapter' };
  if (info.adapterType != null && /^cpu$/i.test(info.adapterType.trim())) return { software: true, reason: 'adapter type CPU' };
  for (const field of ['description', 'device', 'architecture', 'vendor'] as const) {
    const match = SOFTWARE_RENDERERS.exec(info[field] ?? '');
    if (match) return { software: true, reason: `${field} names ${match[0].toLowerCase()}` };
  }
  return { software: false, reason: 'hardware adapter' };
}

/** "google swiftshader SwiftShader driver 5.0.0": vendor, architecture and description, or 'unknown'. */
export function describeAdapter(info: AdapterInfo): string {
  return [info.vendor, info.architecture, info.description].filter((s) => s != null && s !== '').join(' ') || 'unknown';
}

/** The ladder's one-line reason for skipping a software adapter (exported for the report tests). */
export function softwareAdapterSkip(info: AdapterInfo): string {
  const { reason } = classifyAdapter(info);
  return (
    `software adapter ${describeAdapter(info)} (${reason}): WebGPU on the CPU is slower than wasm, so the ladder ` +
    'goes on; SAMPLING_LAB_BACKEND=webgpu forces it (e.g. to test the GPU code path on SwiftShader)'
  );
}

/** Dawn flags from SAMPLING_LAB_DAWN_FLAGS, e.g. backend=opengles for Mesa llvmpipe. */
function dawnFlags(): string[] {
  return (process.env.SAMPLING_LAB_DAWN_FLAGS ?? '').split(',').filter((f) => f.length > 0);
}

/** The probe result: the adapter Dawn would give (or null), and everything Dawn and its drivers printed. */
export interface AdapterProbe {
  adapter: AdapterInfo | null;
  log: string[];
}

/**
 * The adapter probe runs in a child process. Dawn and the Vulkan / EGL drivers it loads write warnings to fd 2
 * from native code (Mesa's lavapipe rejected by Dawn, libwayland's "XDG_RUNTIME_DIR is invalid or not set", ...),
 * about five lines on a machine without a GPU; a child's stderr can be captured, the parent's cannot. It costs
 * 0.1-0.2 s, less than loading Dawn in this process, which now happens only once an adapter is known to exist.
 */
const PROBE_SCRIPT = `
const [url, flags] = process.argv.slice(1);
const { create } = await import(url);
const gpu = create(JSON.parse(flags));
const a = await gpu.requestAdapter({ powerPreference: 'high-performance' });
const i = a == null ? null : a.info;
const pick = (k) => (i != null && i[k] != null ? i[k] : undefined);
const info = i == null ? null : { vendor: pick('vendor'), architecture: pick('architecture'), device: pick('device'),
  description: pick('description'), isFallbackAdapter: pick('isFallbackAdapter'), adapterType: pick('adapterType') };
process.stdout.write('ADAPTER ' + JSON.stringify(info) + '\\n', () => process.exit(0));
`;

const PROBE_TIMEOUT_MS = 30_000;

/** A private, empty XDG_RUNTIME_DIR (libwayland complains on stderr when the variable is unset). */
function privateRuntimeDir(): { env: Record<string, string>; cleanup: () => void } {
  if (process.env.XDG_RUNTIME_DIR) return { env: {}, cleanup: () => {} };
  const dir = mkdtempSync(join(tmpdir(), 'sampling-lab-xdg-'));
  chmodSync(dir, 0o700);
  return { env: { XDG_RUNTIME_DIR: dir }, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function probeAdapter(moduleUrl: string, flags: string[]): Promise<AdapterProbe> {
  const runtime = privateRuntimeDir();
  return new Promise<AdapterProbe>((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', PROBE_SCRIPT, moduleUrl, JSON.stringify(flags)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...runtime.env },
      timeout: PROBE_TIMEOUT_MS,
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', (e) => {
      runtime.cleanup();
      reject(e);
    });
    child.on('close', (code, signal) => {
      runtime.cleanup();
      const log = err.split('\n').map((l) => l.trimEnd()).filter((l) => l.length > 0);
      const line = out.split('\n').find((l) => l.startsWith('ADAPTER '));
      if (line == null) {
        const why = signal != null ? `killed by ${signal}${signal === 'SIGTERM' ? ` after ${PROBE_TIMEOUT_MS / 1000} s` : ''}` : `exit code ${code}`;
        const message = log.find((l) => /error/i.test(l) && !/^\s*at /.test(l)) ?? log.slice(-1)[0];
        reject(new StartError(`the WebGPU adapter probe (a child process) failed: ${why}${message ? `: ${message.trim()}` : ''}`, log));
        return;
      }
      resolve({ adapter: JSON.parse(line.slice('ADAPTER '.length)) as AdapterInfo | null, log });
    });
  });
}

/**
 * Ask Dawn, in a child process, which WebGPU adapter this environment gives (null: none), with what Dawn and its
 * drivers printed. Used by the ladder and by scripts/run-tests.mjs (whether the webgpu suite can run here).
 */
export async function probeWebgpuAdapter(): Promise<AdapterProbe> {
  return probeAdapter(dawnModuleUrl(), dawnFlags());
}

/** The file URL of Dawn's `webgpu` package as this module resolves it (the probe runs in any directory). */
function dawnModuleUrl(): string {
  try {
    return pathToFileURL(createRequire(import.meta.url).resolve('webgpu')).href;
  } catch (err) {
    throw new Error(`the 'webgpu' package (Dawn) is not installed: ${shortError(err)}`);
  }
}

const NO_ADAPTER =
  'Dawn found no WebGPU adapter (no Vulkan device: on NVIDIA, install the driver with its Vulkan ICD ' +
  'and libvulkan1; on Mesa, try SAMPLING_LAB_DAWN_FLAGS=backend=opengles)';

/** Thrown by the webgpu starter to skip it; carries Dawn's messages for the report. */
class StartError extends Error {
  constructor(message: string, readonly log: string[] = []) {
    super(message);
  }
}

/** GPUAdapterInfo's fields as plain data (Dawn's object has them as getters on its prototype). */
function plainInfo(info: AdapterInfo): AdapterInfo {
  const out: AdapterInfo = {};
  for (const k of ['vendor', 'architecture', 'device', 'description', 'isFallbackAdapter', 'adapterType'] as const) {
    if (info[k] != null) (out as Record<string, unknown>)[k] = info[k];
  }
  return out;
}

/** Dawn and tfjs-backend-webgpu loaded in this process: once per process, whatever the later switches. */
let webgpuInProcess: Promise<string> | null = null;
/** The adapter tfjs-backend-webgpu runs on in this process, once started. */
let webgpuAdapter: (AdapterInfo & { software: boolean }) | null = null;

async function loadWebgpuInProcess(dawn: { create: (flags: string[]) => DawnGpu; globals: Record<string, unknown> }): Promise<string> {
  const runtime = privateRuntimeDir();
  const saved = process.env.XDG_RUNTIME_DIR;
  Object.assign(process.env, runtime.env);
  try {
    const gpu = dawn.create(dawnFlags());
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (adapter == null) throw new Error(NO_ADAPTER);
    const info = (adapter as { info?: AdapterInfo }).info ?? {};
    // tfjs-backend-webgpu registers itself only if navigator.gpu exists when it is first imported.
    Object.assign(globalThis, dawn.globals);
    const nav = ((globalThis as { navigator?: object }).navigator ?? {}) as { gpu?: DawnGpu };
    if (nav.gpu == null) {
      Object.defineProperty(globalThis, 'navigator', { value: { ...nav, gpu, userAgent: 'node' }, configurable: true });
    }
    await import('@tensorflow/tfjs-backend-webgpu');
    patchWebgpuAddN();
    await activate('webgpu'); // tfjs requests its adapter and device here
    const { software, reason } = classifyAdapter(info);
    webgpuAdapter = { ...plainInfo(info), software };
    return `adapter ${describeAdapter(info)}${software ? ` (software: ${reason}; a correctness run, not a speed one)` : ''}`;
  } finally {
    if (saved == null) delete process.env.XDG_RUNTIME_DIR;
    else process.env.XDG_RUNTIME_DIR = saved;
    runtime.cleanup();
  }
}

async function startWebgpu(forced: boolean): Promise<string> {
  if (webgpuInProcess != null) {
    const detail = await webgpuInProcess;
    await activate('webgpu');
    return detail;
  }
  const moduleUrl = dawnModuleUrl();
  // Dawn is loaded here only once the probe found an adapter the ladder will take.
  const probe = await probeAdapter(moduleUrl, dawnFlags());
  if (probe.adapter == null) throw new StartError(NO_ADAPTER, probe.log);
  if (!forced && classifyAdapter(probe.adapter).software) throw new StartError(softwareAdapterSkip(probe.adapter), probe.log);
  webgpuInProcess = (async () => {
    let dawn: { create: (flags: string[]) => DawnGpu; globals: Record<string, unknown> };
    try {
      dawn = (await importOptional(moduleUrl)) as typeof dawn;
    } catch (err) {
      throw new Error(`the 'webgpu' package (Dawn) did not load: ${shortError(err)}`);
    }
    return loadWebgpuInProcess(dawn);
  })();
  webgpuInProcess.catch(() => (webgpuInProcess = null));
  return webgpuInProcess;
}

async function startWasm(): Promise<string> {
  await import('@tensorflow/tfjs-backend-wasm');
  await activate('wasm');
  patchWasmCopies();
  // Matmuls go to OpenBLAS when the optional native addon was built at install (lib/core/nativeMatMul.ts).
  let matmul: string;
  try {
    const status = enableNativeMatMul();
    matmul = status.ok ? status.detail : `matmul on XNNPACK (native OpenBLAS matmul off: ${status.detail})`;
  } catch (err) {
    matmul = `matmul on XNNPACK (native OpenBLAS matmul failed: ${shortError(err)})`;
  }
  return `tfjs-backend-wasm (SIMD, 1 thread); ${matmul}`;
}

async function startCpu(): Promise<string> {
  await activate('cpu');
  return 'tfjs-backend-cpu (pure JavaScript)';
}

const STARTERS: Record<BackendName, Starter> = {
  tensorflow: startTensorflow,
  webgpu: (forced) => startWebgpu(forced),
  wasm: startWasm,
  cpu: startCpu,
};

async function activate(name: BackendName): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tf.setBackend('${name}') returned false`);
  await tf.ready();
}

function shortError(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0].slice(0, 600);
}

let current: Promise<BackendReport> | null = null;

/**
 * Start the ladder once per process and return the report; later calls return the same promise.
 * `SAMPLING_LAB_BACKEND` (or `options.force`) forces a single backend. Fails when two copies of tfjs-core are
 * loaded (lib/core/tfjsCopies.ts).
 */
export function initBackend(options: { force?: string } = {}): Promise<BackendReport> {
  try {
    checkOneTfjsCore();
  } catch (err) {
    return Promise.reject(err);
  }
  const force = options.force ?? process.env.SAMPLING_LAB_BACKEND;
  if (current == null || force != null) current = runLadder(force);
  return current;
}

/** Return the report of the last `initBackend` call, starting the ladder if none ran. */
export function backendReport(): Promise<BackendReport> {
  return current ?? initBackend();
}

async function runLadder(force: string | undefined): Promise<BackendReport> {
  if (force != null && force !== '' && !(BACKENDS as readonly string[]).includes(force)) {
    throw new Error(
      `SAMPLING_LAB_BACKEND="${force}" is not a backend: expected one of ${BACKENDS.join(', ')}`,
    );
  }
  const forced = force != null && force !== '';
  const order: readonly BackendName[] = forced ? [force as BackendName] : BACKENDS;
  const attempts: BackendAttempt[] = [];
  for (const name of order) {
    const t0 = performance.now();
    try {
      const detail = await STARTERS[name](forced);
      attempts.push({ name, ok: true, detail, ms: performance.now() - t0 });
      for (const skipped of BACKENDS.slice(BACKENDS.indexOf(name) + 1)) {
        if (!forced) attempts.push({ name: skipped, ok: false, detail: `not tried: '${name}' started first`, ms: 0 });
      }
      return { active: name, forced, attempts, ...(name === 'webgpu' && webgpuAdapter != null ? { adapter: webgpuAdapter } : {}) };
    } catch (err) {
      const log = err instanceof StartError && err.log.length > 0 ? { log: err.log } : {};
      attempts.push({ name, ok: false, detail: shortError(err), ms: performance.now() - t0, ...log });
    }
  }
  if (forced) {
    const log = attempts[0].log?.length ? `\n${attempts[0].name} printed:\n  ${attempts[0].log.join('\n  ')}` : '';
    throw new Error(`SAMPLING_LAB_BACKEND=${force} could not start: ${attempts[0].detail}${log}`);
  }
  throw new Error(`no backend could start:\n${formatBackendReport({ active: 'cpu', forced, attempts })}`);
}

/**
 * Human-readable report: which backend is in use, and why each other one was skipped. `verbose` adds what each
 * backend's native code printed while it was tried (Dawn's warnings), which the ladder otherwise keeps quiet.
 */
export function formatBackendReport(report: BackendReport, options: { verbose?: boolean } = {}): string {
  const lines = [`backend in use: ${report.active}${report.forced ? ' (forced by SAMPLING_LAB_BACKEND)' : ''}`];
  for (const a of report.attempts) {
    const mark = a.ok ? 'started' : 'skipped';
    lines.push(`  ${a.name.padEnd(10)} ${mark}: ${a.detail}${a.ms > 0 ? ` (${a.ms.toFixed(0)} ms)` : ''}`);
    if (options.verbose && a.log != null && a.log.length > 0) {
      lines.push(`             what ${a.name === 'webgpu' ? 'Dawn and its drivers' : a.name} printed (stderr of the probe):`);
      for (const l of a.log) lines.push(`               | ${l}`);
    }
  }
  return lines.join('\n');
}
