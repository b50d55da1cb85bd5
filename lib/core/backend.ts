/**
 * The backend ladder (DESIGN.md section 1): `tensorflow` (tfjs-node-gpu, then tfjs-node) -> `webgpu`
 * (tfjs-backend-webgpu on Dawn's `webgpu` npm package) -> `wasm` -> `cpu`. The first that starts wins.
 * `SAMPLING_LAB_BACKEND=name` forces one and fails with a clear message when it cannot start.
 */
import * as tf from '@tensorflow/tfjs';
import { enableNativeMatMul } from './nativeMatMul.js';

export const BACKENDS = ['tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface BackendAttempt {
  name: BackendName;
  ok: boolean;
  /** Why it was skipped or failed, or what started (package, adapter). */
  detail: string;
  ms: number;
}

export interface BackendReport {
  active: BackendName;
  forced: boolean;
  attempts: BackendAttempt[];
}

type Starter = () => Promise<string>;

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

async function startWebgpu(): Promise<string> {
  let dawn: { create: (flags: string[]) => DawnGpu; globals: Record<string, unknown> };
  try {
    dawn = (await importOptional('webgpu')) as typeof dawn;
  } catch (err) {
    throw new Error(`the 'webgpu' package (Dawn) did not load: ${shortError(err)}`);
  }
  // Extra Dawn toggles, e.g. SAMPLING_LAB_DAWN_FLAGS=backend=opengles for Mesa llvmpipe.
  const flags = (process.env.SAMPLING_LAB_DAWN_FLAGS ?? '').split(',').filter((f) => f.length > 0);
  const gpu = dawn.create(flags);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (adapter == null) {
    throw new Error(
      'Dawn found no WebGPU adapter (no Vulkan device: on NVIDIA, install the driver with its Vulkan ICD ' +
        'and libvulkan1; on Mesa, try SAMPLING_LAB_DAWN_FLAGS=backend=opengles)',
    );
  }
  const info = (adapter as unknown as { info?: { vendor?: string; architecture?: string; description?: string } }).info;
  // tfjs-backend-webgpu registers itself only if navigator.gpu exists when it is first imported.
  Object.assign(globalThis, dawn.globals);
  const nav = ((globalThis as { navigator?: object }).navigator ?? {}) as { gpu?: DawnGpu };
  if (nav.gpu == null) {
    Object.defineProperty(globalThis, 'navigator', { value: { ...nav, gpu, userAgent: 'node' }, configurable: true });
  }
  await import('@tensorflow/tfjs-backend-webgpu');
  await activate('webgpu');
  return `adapter ${[info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ') || 'unknown'}`;
}

async function startWasm(): Promise<string> {
  await import('@tensorflow/tfjs-backend-wasm');
  await activate('wasm');
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
  webgpu: startWebgpu,
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
 * `SAMPLING_LAB_BACKEND` (or `options.force`) forces a single backend.
 */
export function initBackend(options: { force?: string } = {}): Promise<BackendReport> {
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
      const detail = await STARTERS[name]();
      attempts.push({ name, ok: true, detail, ms: performance.now() - t0 });
      for (const skipped of BACKENDS.slice(BACKENDS.indexOf(name) + 1)) {
        if (!forced) attempts.push({ name: skipped, ok: false, detail: `not tried: '${name}' started first`, ms: 0 });
      }
      return { active: name, forced, attempts };
    } catch (err) {
      attempts.push({ name, ok: false, detail: shortError(err), ms: performance.now() - t0 });
    }
  }
  if (forced) {
    throw new Error(`SAMPLING_LAB_BACKEND=${force} could not start: ${attempts[0].detail}`);
  }
  throw new Error(`no backend could start:\n${formatBackendReport({ active: 'cpu', forced, attempts })}`);
}

/** Human-readable report: which backend is in use, and why each other one was skipped. */
export function formatBackendReport(report: BackendReport): string {
  const lines = [`backend in use: ${report.active}${report.forced ? ' (forced by SAMPLING_LAB_BACKEND)' : ''}`];
  for (const a of report.attempts) {
    const mark = a.ok ? 'started' : 'skipped';
    lines.push(`  ${a.name.padEnd(10)} ${mark}: ${a.detail}${a.ms > 0 ? ` (${a.ms.toFixed(0)} ms)` : ''}`);
  }
  return lines.join('\n');
}
