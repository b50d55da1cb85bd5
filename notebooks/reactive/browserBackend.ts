/**
 * The tfjs backend of the reactive pages, picked in the browser: `webgpu` when `navigator.gpu.requestAdapter()`
 * gives an adapter (any adapter, software ones included: the page runs where the user opened it), else `wasm`
 * (its binaries served by the page's own site), else `cpu`. The first that starts and passes a one-matmul check
 * wins; every rung that was skipped says why.
 *
 * lib/core/backend.ts is the Node ladder (tfjs-node, Dawn, the native OpenBLAS matmul) and is never imported by
 * a page. tfjs-backend-webgpu is loaded only once an adapter was found (a dynamic import: Vite puts it in its own
 * chunk, so wasm-only browsers never download it); it registers itself only when navigator.gpu exists.
 *
 * On webgpu, page code reads with `await t.data()`, never `dataSync` / `arraySync`: tfjs reads synchronously
 * through an OffscreenCanvas, which stalls the page, and in headless Chromium 156 on SwiftShader returns zeros and
 * loses the WebGPU instance (every later `mapAsync` fails: "A valid external Instance reference no longer exists").
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export const BROWSER_BACKENDS = ['webgpu', 'wasm', 'cpu'] as const;
export type BrowserBackendName = (typeof BROWSER_BACKENDS)[number];

/** The slice of WebGPU's `GPUAdapterInfo` shown to the user (no dependency on @webgpu/types). */
export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A software or otherwise degraded adapter (SwiftShader in headless Chromium is one). */
  isFallbackAdapter: boolean;
}

interface GpuAdapterLike {
  info?: Partial<Omit<AdapterInfo, 'isFallbackAdapter'>> & { isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
}

/** The slice of `navigator.gpu` used here. */
export interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'low-power' | 'high-performance' }): Promise<GpuAdapterLike | null>;
}

export interface BackendChoice {
  backend: BrowserBackendName;
  /** The WebGPU adapter, when webgpu runs. */
  adapter: AdapterInfo | null;
  /** The rungs above `backend`, each with why it was not taken. */
  skipped: { backend: BrowserBackendName; reason: string }[];
  /** One line for the page: which backend runs, on what, and why not the ones above. */
  summary: string;
}

export interface LadderSteps {
  /** `navigator.gpu`, or undefined in a browser without WebGPU. */
  gpu: GpuLike | undefined;
  /** Start a backend (rejects or returns false when it cannot) and check that it computes. */
  start(name: BrowserBackendName): Promise<boolean | void>;
}

function message(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0].slice(0, 300);
}

function adapterInfo(adapter: GpuAdapterLike): AdapterInfo {
  const info = adapter.info ?? {};
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    isFallbackAdapter: Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter),
  };
}

/** "google swiftshader, a fallback (software) adapter" */
export function describeAdapter(info: AdapterInfo): string {
  const name = [info.vendor, info.architecture, info.device, info.description].filter((s) => s.length > 0).join(' ');
  return `${name || 'unnamed adapter'}${info.isFallbackAdapter ? ', a fallback (software) adapter' : ''}`;
}

/** The ladder itself, on injected steps (the unit test drives it with fakes; `startBrowserBackend` with the browser). */
export async function chooseBackend(steps: LadderSteps): Promise<BackendChoice> {
  const skipped: BackendChoice['skipped'] = [];
  let adapter: AdapterInfo | null = null;
  if (steps.gpu == null || typeof steps.gpu.requestAdapter !== 'function') {
    skipped.push({ backend: 'webgpu', reason: 'this browser has no navigator.gpu' });
  } else {
    let found: GpuAdapterLike | null = null;
    try {
      // The same request tfjs-backend-webgpu makes when it starts.
      found = await steps.gpu.requestAdapter({ powerPreference: 'high-performance' });
    } catch (err) {
      skipped.push({ backend: 'webgpu', reason: `navigator.gpu.requestAdapter() failed: ${message(err)}` });
    }
    if (found != null) adapter = adapterInfo(found);
    else if (skipped.length === 0) skipped.push({ backend: 'webgpu', reason: 'navigator.gpu.requestAdapter() gave no adapter' });
  }
  for (const backend of BROWSER_BACKENDS) {
    if (backend === 'webgpu' && adapter == null) continue;
    let reason: string;
    try {
      if ((await steps.start(backend)) !== false) {
        const used = backend === 'webgpu' ? adapter : null;
        const on = used ? ` on ${describeAdapter(used)}` : '';
        const why = skipped.length ? ` (not ${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')})` : '';
        return { backend, adapter: used, skipped, summary: `tfjs backend: ${backend}${on}${why}` };
      }
      reason = `tf.setBackend('${backend}') returned false`;
    } catch (err) {
      reason = message(err);
    }
    skipped.push({ backend, reason: backend === 'webgpu' ? `${describeAdapter(adapter!)}: ${reason}` : reason });
  }
  throw new Error(`no tfjs backend started in this browser: ${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')}`);
}

/** One 1x2 by 2x1 matmul, read back asynchronously: a backend that starts but cannot compute is refused. */
async function checkComputes(name: string): Promise<void> {
  const product = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])));
  try {
    const [value] = await product.data();
    if (value !== 11) throw new Error(`the ${name} backend computed [1 2]·[3 4]ᵀ = ${value}, expected 11`);
  } finally {
    product.dispose();
  }
}

/**
 * Pick and start the page's backend (see the file comment). `wasmPaths` maps the three tfjs-backend-wasm binary
 * names to the URLs the page serves them at (Vite `?url` imports).
 */
export async function startBrowserBackend(wasmPaths: Record<string, string>): Promise<BackendChoice> {
  const gpu = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
  return chooseBackend({
    gpu,
    async start(name) {
      if (name === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
      if (name === 'wasm') setWasmPaths(wasmPaths);
      if (tf.findBackendFactory(name) == null) throw new Error(`no '${name}' backend is registered`);
      if (!(await tf.setBackend(name))) return false;
      await tf.ready();
      await checkComputes(name);
      return true;
    },
  });
}
