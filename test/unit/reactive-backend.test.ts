/**
 * notebooks/reactive/browserBackend.ts's ladder (webgpu when navigator.gpu gives an adapter, else wasm, else cpu)
 * on fake navigator.gpu objects and fake backend starters, and mixtureExplorer.ts's URL controls. The real
 * browser, with and without a WebGPU adapter, is driven by test/browser/reactive.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseBackend, describeAdapter, type BrowserBackendName, type GpuLike } from '../../notebooks/reactive/browserBackend.js';
import { controlsFromQuery, DEFAULT_CONTROLS } from '../../notebooks/reactive/mixtureExplorer.js';

const SWIFTSHADER = { info: { vendor: 'google', architecture: 'swiftshader', device: '', description: '', isFallbackAdapter: true } };

function gpuGiving(adapter: object | null): GpuLike & { requests: unknown[] } {
  const requests: unknown[] = [];
  return {
    requests,
    async requestAdapter(options) {
      requests.push(options);
      return adapter;
    },
  };
}

/** A starter that records what it was asked to start; `fails` maps a backend to a thrown message or `false`. */
function starter(fails: Partial<Record<BrowserBackendName, string | false>> = {}) {
  const started: BrowserBackendName[] = [];
  return {
    started,
    async start(name: BrowserBackendName) {
      started.push(name);
      const failure = fails[name];
      if (failure === false) return false;
      if (typeof failure === 'string') throw new Error(failure);
      return true;
    },
  };
}

test('chooseBackend: webgpu when navigator.gpu gives an adapter (a fallback one too), asked as tfjs asks', async () => {
  const gpu = gpuGiving(SWIFTSHADER);
  const steps = starter();
  const choice = await chooseBackend({ gpu, start: steps.start });
  assert.equal(choice.backend, 'webgpu');
  assert.deepEqual(steps.started, ['webgpu']);
  assert.deepEqual(gpu.requests, [{ powerPreference: 'high-performance' }]);
  assert.deepEqual(choice.adapter, { vendor: 'google', architecture: 'swiftshader', device: '', description: '', isFallbackAdapter: true });
  assert.deepEqual(choice.skipped, []);
  assert.equal(choice.summary, 'tfjs backend: webgpu on google swiftshader, a fallback (software) adapter');
});

test('chooseBackend: wasm when navigator.gpu is missing, gives no adapter, or fails; webgpu is never started', async () => {
  const cases: [GpuLike | undefined, string][] = [
    [undefined, 'this browser has no navigator.gpu'],
    [gpuGiving(null), 'navigator.gpu.requestAdapter() gave no adapter'],
    [{ requestAdapter: () => Promise.reject(new Error('GPU process crashed')) }, 'navigator.gpu.requestAdapter() failed: GPU process crashed'],
  ];
  for (const [gpu, reason] of cases) {
    const steps = starter();
    const choice = await chooseBackend({ gpu, start: steps.start });
    assert.equal(choice.backend, 'wasm', reason);
    assert.deepEqual(steps.started, ['wasm']);
    assert.equal(choice.adapter, null);
    assert.deepEqual(choice.skipped, [{ backend: 'webgpu', reason }]);
    assert.equal(choice.summary, `tfjs backend: wasm (not webgpu: ${reason})`);
  }
});

test('chooseBackend: an adapter whose backend does not start or compute falls back to wasm, then cpu', async () => {
  const refused = starter({ webgpu: 'the webgpu backend computed [1 2]·[3 4]ᵀ = 0, expected 11' });
  const choice = await chooseBackend({ gpu: gpuGiving(SWIFTSHADER), start: refused.start });
  assert.equal(choice.backend, 'wasm');
  assert.deepEqual(refused.started, ['webgpu', 'wasm']);
  assert.equal(choice.adapter, null, 'the adapter is reported only when webgpu runs');
  assert.match(choice.skipped[0].reason, /^google swiftshader, a fallback \(software\) adapter: the webgpu backend computed/);

  const both = starter({ webgpu: false, wasm: 'no WebAssembly' });
  const cpu = await chooseBackend({ gpu: gpuGiving(SWIFTSHADER), start: both.start });
  assert.equal(cpu.backend, 'cpu');
  assert.deepEqual(both.started, ['webgpu', 'wasm', 'cpu']);
  assert.deepEqual(cpu.skipped.map((s) => s.backend), ['webgpu', 'wasm']);
  assert.match(cpu.skipped[0].reason, /tf\.setBackend\('webgpu'\) returned false/);
  assert.match(cpu.summary, /^tfjs backend: cpu \(not webgpu: .*; wasm: no WebAssembly\)$/);

  const none = starter({ wasm: 'no WebAssembly', cpu: false });
  await assert.rejects(chooseBackend({ gpu: undefined, start: none.start }), (err: Error) => {
    assert.match(err.message, /^no tfjs backend started in this browser: webgpu: this browser has no navigator\.gpu; wasm: no WebAssembly; cpu: tf\.setBackend\('cpu'\) returned false$/);
    return true;
  });
});

test('describeAdapter: names the adapter and says when it is a fallback one', () => {
  assert.equal(describeAdapter({ vendor: 'nvidia', architecture: 'ampere', device: '', description: '', isFallbackAdapter: false }), 'nvidia ampere');
  assert.equal(describeAdapter({ vendor: '', architecture: '', device: '', description: '', isFallbackAdapter: false }), 'unnamed adapter');
});

test('controlsFromQuery: initial controls from the page URL; invalid values keep their defaults', () => {
  assert.deepEqual(controlsFromQuery(''), DEFAULT_CONTROLS);
  assert.deepEqual(controlsFromQuery('?modes=5&separation=12&dim=16&sampler=SMC'), { modes: 5, separation: 12, dim: 16, sampler: 'SMC' });
  assert.deepEqual(controlsFromQuery('?sampler=smc&separation=6.3'), { ...DEFAULT_CONTROLS, sampler: 'SMC', separation: 6.5 });
  assert.deepEqual(controlsFromQuery('?modes=1&dim=2.5&separation=20&sampler=HMC'), DEFAULT_CONTROLS);
  assert.deepEqual(controlsFromQuery('?modes=&dim=abc&separation=Infinity'), DEFAULT_CONTROLS);
});
