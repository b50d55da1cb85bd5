/**
 * The reactive notebook notebooks/reactive/mixture-explorer.html, end to end: `scripts/reactive.mjs` builds it with
 * notebook-kit and serves it on a free localhost port (once for the file); headless Chromium (playwright-core,
 * /usr/bin/chromium) opens it, waits for the library's first run, moves controls, and checks that the library
 * re-ran and the charts were redrawn (samples, mode means, true and recovered weight bars), that every request
 * stayed on the local server, and that the console shows no error.
 *
 * The tfjs backend the page picks (notebooks/reactive/browserBackend.ts), both ways:
 * - Chromium as launched by default here offers navigator.gpu but no adapter: the page runs on wasm.
 * - With WEBGPU_FLAGS, Chromium gives WebGPU on SwiftShader (its software Vulkan, shipped with Debian's chromium;
 *   adapter vendor "google", architecture "swiftshader", isFallbackAdapter): the page runs on webgpu, and its SMC
 *   run must still recover the mode weights and log Z. SwiftShader is slow at tfjs's reductions (a MALA step on
 *   1000 chains takes ~0.3 s there against ~2 ms on wasm), so this test opens the page on SMC (`?sampler=SMC`,
 *   three tempering levels) rather than on the 200-step MALA run (about a minute there).
 *
 * Skipped, with the reason, when Chromium is missing (apt-get install -y chromium). CHROMIUM_PATH overrides the path.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { waitForOutput } from '../helpers/child-output.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
/**
 * WebGPU on SwiftShader in headless Chromium 156 (Debian): --enable-unsafe-webgpu alone gives the adapter, even
 * next to --disable-gpu; --enable-unsafe-swiftshader keeps it once Chromium stops offering SwiftShader by default.
 */
const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--enable-unsafe-swiftshader'];
const PAGE = 'mixture-explorer.html';
/** Node built-ins the library may load lazily (runChain's checkpoint I/O, never used by the page). */
// The checkpoint file I/O imports these lazily (never reached in the browser); Vite stubs them and says so.
const EXPECTED_EXTERNALIZED = new Set(['lib/core/checkpointFile.ts: node:fs/promises', 'lib/core/checkpointFile.ts: node:path']);
/**
 * No wall-clock waits: the tests wait on events (the server's `serving` line; the page's status line, which the page
 * redraws with a run's settings when that run has finished, and its charts; Playwright polls the DOM for them) and
 * fail at once on a page error. The tests' timeouts only guard against a hang: a loaded machine is slow, not wrong.
 */
const HANG_GUARD_MS = 600_000;

const skip = existsSync(CHROMIUM)
  ? false
  : `headless Chromium not found at ${CHROMIUM} (install it with: apt-get install -y chromium, or set CHROMIUM_PATH)`;

interface Served {
  child: ChildProcess;
  url: string;
  output: string;
}

/** Start `node scripts/reactive.mjs --port 0 --out <dir>` and wait for its `serving <url>` line (or its exit). */
async function buildAndServe(out: string): Promise<Served> {
  const child = spawn(process.execPath, [join(ROOT, 'scripts', 'reactive.mjs'), '--port', '0', '--out', out], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return waitForOutput(child, 'scripts/reactive.mjs to print "serving <url>"', (output) => {
    const match = /^serving (http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(output);
    return match ? { child, url: match[1], output } : undefined;
  });
}

interface Snapshot {
  status: string;
  trueWeights: number[];
  recoveredWeights: number[];
  samplesSvg: string;
  trueBars: number;
  recoveredBars: string[];
  modeMeans: number;
  samples: number;
}

async function snapshot(page: Page): Promise<Snapshot> {
  const status = page.locator('#explorer-status');
  const weightsChart = page.locator('svg[aria-label="mode weights"]');
  const recovered = weightsChart.locator('g.recovered-weight rect');
  const recoveredBars: string[] = [];
  for (let i = 0; i < (await recovered.count()); i++) {
    recoveredBars.push(`${await recovered.nth(i).getAttribute('y')}/${await recovered.nth(i).getAttribute('height')}`);
  }
  return {
    status: (await status.textContent())!.replace(/\s+/g, ' ').trim(),
    trueWeights: JSON.parse((await status.getAttribute('data-true-weights'))!) as number[],
    recoveredWeights: JSON.parse((await status.getAttribute('data-recovered-weights'))!) as number[],
    samplesSvg: await page.locator('svg[aria-label="samples"]').innerHTML(),
    trueBars: await weightsChart.locator('g.true-weight rect').count(),
    recoveredBars,
    modeMeans: await page.locator('svg[aria-label="samples"] g.mode-mean > *').count(),
    samples: await page.locator('svg[aria-label="samples"] g.sample > *').count(),
  };
}

/** Wait until the status line reports these settings and both charts show `modes` modes (or a problem shows up). */
async function waitForRun(
  page: Page,
  watch: Watch,
  settings: Record<string, string | number>,
  modes: number,
): Promise<void> {
  const attributes = Object.entries(settings).map(([name, value]) => `[data-${name}="${value}"]`).join('');
  const rendered = (async () => {
    await page.locator(`#explorer-status${attributes}`).waitFor({ timeout: 0 });
    await page.waitForFunction(
      `document.querySelectorAll('svg[aria-label="mode weights"] g.true-weight rect').length === ${modes} && ` +
        `document.querySelectorAll('svg[aria-label="samples"] g.mode-mean > *').length === ${modes}`,
      undefined,
      { timeout: 0 },
    );
  })();
  try {
    await Promise.race([rendered, watch.failed]);
  } catch (err) {
    rendered.catch(() => {}); // the race is lost (the page closes with the test)
    throw new Error(
      `the page did not render ${JSON.stringify(settings)}: ${(err as Error).message}\n` +
        `problems:\n  ${watch.problems.join('\n  ') || '(none)'}\noff-site requests:\n  ${watch.offsite().join('\n  ') || '(none)'}`,
    );
  }
}

/** Everything the page asked for and every error it reported; `failed` rejects at the first problem. */
interface Watch {
  requests: string[];
  problems: string[];
  offsite(): string[];
  failed: Promise<never>;
}

function watchPage(context: BrowserContext, page: Page, origin: string): Watch {
  let reject!: (err: Error) => void;
  const failed = new Promise<never>((_, r) => (reject = r));
  failed.catch(() => {}); // observed through Promise.race only
  const isOffsite = (url: string) => !url.startsWith(`${origin}/`) && !/^(data|blob):/.test(url);
  const watch: Watch = { requests: [], problems: [], offsite: () => watch.requests.filter(isOffsite), failed };
  const problem = (text: string) => {
    watch.problems.push(text);
    reject(new Error(text));
  };
  context.on('request', (request) => {
    watch.requests.push(request.url());
    if (isOffsite(request.url())) problem(`request left ${origin}: ${request.url()}`);
  });
  page.on('console', (message) => {
    if (message.type() === 'error') problem(`console.error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problem(`page error: ${error.message}`));
  page.on('response', (response) => {
    if (response.status() >= 400) problem(`HTTP ${response.status()}: ${response.url()}`);
  });
  page.on('requestfailed', (request) => problem(`request failed: ${request.url()} (${request.failure()?.errorText})`));
  return watch;
}

/** Type a value into the number box of an Inputs.range (as a user would), which moves the slider and fires input. */
async function setRange(page: Page, label: string, value: number): Promise<void> {
  const form = page.locator('form', { hasText: label });
  await form.locator('input[type=number]').fill(String(value));
  assert.equal(await form.locator('input[type=range]').inputValue(), String(value), `the "${label}" slider did not move to ${value}`);
}

function assertWeights(s: Snapshot, modes: number): void {
  assert.equal(s.trueWeights.length, modes);
  assert.equal(s.recoveredWeights.length, modes);
  // The explorer's mixture has weights proportional to k + 1; for K >= 3 modes.weights are the normalised weights.
  const total = (modes * (modes + 1)) / 2;
  s.trueWeights.forEach((w, k) => assert.ok(Math.abs(w - (k + 1) / total) < 1e-12, `true weight ${k} = ${w}, expected ${(k + 1) / total}`));
  const sum = s.recoveredWeights.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-9, `recovered weights sum to ${sum}, expected 1`);
  assert.equal(s.trueBars, modes, 'one true-weight bar per mode');
  assert.equal(s.recoveredBars.length, modes, 'one recovered-weight bar per mode');
  assert.equal(s.modeMeans, modes, 'one mode-mean marker per mode');
}

/** The page's backend line: which backend, the WebGPU adapter (JSON, empty without one) and the text shown. */
async function backendLine(page: Page, watch: Watch): Promise<{ backend: string | null; adapter: string | null; text: string }> {
  const line = page.locator('#backend-status');
  const shown = line.waitFor({ timeout: 0 });
  shown.catch(() => {}); // when the page fails first
  await Promise.race([shown, watch.failed]);
  return {
    backend: await line.getAttribute('data-backend'),
    adapter: await line.getAttribute('data-adapter'),
    text: (await line.textContent())!.replace(/\s+/g, ' ').trim(),
  };
}

/** A number from a data-* attribute of the status line (NaN when empty). */
async function statusNumber(page: Page, name: string): Promise<number> {
  const value = await page.locator('#explorer-status').getAttribute(`data-${name}`);
  return value === null || value === '' ? Number.NaN : Number(value);
}

let served: Served | undefined;
let out: string | undefined;
const profiles: string[] = [];

/** A fresh Chromium profile with these extra flags, its first page, and a watch on that page. */
async function openBrowser(extraFlags: string[]): Promise<{ context: BrowserContext; page: Page; watch: Watch; origin: string }> {
  const profile = mkdtempSync(join(tmpdir(), 'sampling-lab-chromium-'));
  profiles.push(profile);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: [...CHROMIUM_FLAGS, ...extraFlags],
    viewport: { width: 1000, height: 1400 },
  });
  context.setDefaultTimeout(0); // no 30 s action or navigation deadlines (see HANG_GUARD_MS)
  const origin = new URL(served!.url).origin;
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page, watch: watchPage(context, page, origin), origin };
}

before(async () => {
  if (skip) return;
  out = mkdtempSync(join(tmpdir(), 'sampling-lab-reactive-'));
  served = await buildAndServe(out);
});

after(async () => {
  if (served && served.child.exitCode === null) {
    const exited = new Promise((r) => served!.child.once('exit', r));
    served.child.kill('SIGTERM');
    await exited;
  }
  if (out) rmSync(out, { recursive: true, force: true });
  for (const profile of profiles) rmSync(profile, { recursive: true, force: true });
});

test('mixture explorer: built, served offline, re-runs the library and redraws when controls change (wasm: no WebGPU adapter)', { skip, timeout: HANG_GUARD_MS }, async (t) => {
  const externalized = [...served!.output.matchAll(/^externalized: (\S+) \(imported by (\S+);/gm)].map((m) => `${m[2]}: ${m[1]}`);
  const unexpected = externalized.filter((e) => !EXPECTED_EXTERNALIZED.has(e));
  assert.deepEqual(unexpected, [], `the page's import graph pulls Node built-ins into the browser bundle:\n${unexpected.join('\n')}`);

  const { context, page, watch, origin } = await openBrowser([]);
  try {
    const started = Date.now();
    await page.goto(served!.url + PAGE);
    // This Chromium has navigator.gpu but, without WEBGPU_FLAGS, no adapter: the page falls back to wasm and says why.
    const line = await backendLine(page, watch);
    t.diagnostic(`backend line: ${line.text}`);
    assert.equal(line.backend, 'wasm', `the page should fall back to wasm without a WebGPU adapter: ${line.text}`);
    assert.equal(line.adapter, '', 'no WebGPU adapter is reported');
    assert.match(line.text, /tfjs backend: wasm \(not webgpu: navigator\.gpu\.requestAdapter\(\) gave no adapter\)/);
    await waitForRun(page, watch, { modes: 3, separation: 6, dim: 2, sampler: 'MALA' }, 3);
    const first = await snapshot(page);
    t.diagnostic(`first render after ${Date.now() - started} ms: ${first.status}`);
    assert.equal(await page.locator('#explorer-status').getAttribute('data-backend'), 'wasm', 'the page runs on the tfjs wasm backend');
    assertWeights(first, 3);
    assert.ok(first.samples > 100, `expected the scatter plot to show samples, found ${first.samples} dots`);

    // Two controls in quick succession (the first run is aborted by the second change).
    const changed = Date.now();
    await setRange(page, 'separation', 12);
    await setRange(page, 'modes', 5);
    await waitForRun(page, watch, { modes: 5, separation: 12, dim: 2, sampler: 'MALA' }, 5);
    const second = await snapshot(page);
    t.diagnostic(`re-render after ${Date.now() - changed} ms: ${second.status}`);
    assertWeights(second, 5);
    assert.notEqual(second.samplesSvg, first.samplesSvg, 'the samples chart did not change');
    assert.notDeepEqual(second.recoveredBars, first.recoveredBars, 'the recovered-weight bars did not change');

    // The other sampler in a higher dimension.
    const switched = Date.now();
    await setRange(page, 'dimension', 16);
    await page.locator('form', { hasText: 'sampler' }).getByLabel('SMC').check();
    await waitForRun(page, watch, { modes: 5, separation: 12, dim: 16, sampler: 'SMC' }, 5);
    const third = await snapshot(page);
    t.diagnostic(`SMC re-render after ${Date.now() - switched} ms: ${third.status}`);
    assertWeights(third, 5);
    assert.match(third.status, /tempering levels/, 'the SMC run reports its tempering levels');
    assert.notEqual(third.samplesSvg, second.samplesSvg, 'the samples chart did not change for SMC');
    assert.notDeepEqual(third.recoveredWeights, second.recoveredWeights, 'the recovered weights did not change for SMC');

    assert.deepEqual(watch.offsite(), [], `requests left ${origin}`);
    assert.ok(watch.requests.some((url) => url.endsWith('.wasm')), 'the tfjs wasm binary was loaded from the local server');
    assert.deepEqual(watch.problems, [], 'the page reported errors');
  } finally {
    await context.close();
  }
});

test('mixture explorer on WebGPU (SwiftShader): picks webgpu when navigator.gpu gives an adapter, and its SMC run is right', { skip, timeout: HANG_GUARD_MS }, async (t) => {
  const { context, page, watch, origin } = await openBrowser(WEBGPU_FLAGS);
  try {
    // The precondition, asked of the browser itself: these flags give an adapter here.
    await page.goto(served!.url);
    const probe = await page.evaluate(async () => {
      type Adapter = { info?: Record<string, unknown>; isFallbackAdapter?: boolean };
      const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<Adapter | null> } } }).navigator?.gpu;
      if (!gpu) return 'no navigator.gpu';
      const adapter = await gpu.requestAdapter();
      if (!adapter) return null;
      const { vendor, architecture, device, description } = (adapter.info ?? {}) as Record<string, string>;
      return { vendor, architecture, device, description, isFallbackAdapter: adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter };
    });
    t.diagnostic(`navigator.gpu.requestAdapter() with ${WEBGPU_FLAGS.join(' ')}: ${JSON.stringify(probe)}`);
    assert.ok(probe !== null && typeof probe === 'object', `Chromium gave no WebGPU adapter with ${WEBGPU_FLAGS.join(' ')} (got ${JSON.stringify(probe)})`);

    const started = Date.now();
    await page.goto(`${served!.url}${PAGE}?sampler=SMC`);
    const line = await backendLine(page, watch);
    t.diagnostic(`backend line: ${line.text}`);
    assert.equal(line.backend, 'webgpu', `the page should run on webgpu when navigator.gpu gives an adapter: ${line.text}`);
    assert.deepEqual(JSON.parse(line.adapter!), probe, 'the page reports the adapter the browser gives');
    assert.match(line.text, /^tfjs backend: webgpu on /);

    await waitForRun(page, watch, { modes: 3, separation: 6, dim: 2, sampler: 'SMC' }, 3);
    const run = await snapshot(page);
    t.diagnostic(`SMC on webgpu, rendered after ${Date.now() - started} ms: ${run.status}`);
    assert.equal(await page.locator('#explorer-status').getAttribute('data-backend'), 'webgpu', 'the library ran on webgpu');
    assertWeights(run, 3);
    assert.ok(run.samples > 100, `expected the scatter plot to show samples, found ${run.samples} dots`);
    // A right answer, not only a drawn one (wasm gives TV 0.03, log Z 1.73 against 1.79, acceptance 0.69 here).
    const totalVariation = await statusNumber(page, 'total-variation');
    const logZ = await statusNumber(page, 'log-z');
    const trueLogZ = await statusNumber(page, 'true-log-z');
    const acceptance = await statusNumber(page, 'acceptance');
    const levels = await statusNumber(page, 'levels');
    assert.ok(totalVariation < 0.1, `SMC's mode weights are off: total variation ${totalVariation} from the true weights`);
    assert.ok(Math.abs(logZ - trueLogZ) < 0.25, `SMC's log Z ${logZ}, exact ${trueLogZ}`);
    assert.ok(acceptance > 0.4 && acceptance < 0.95, `mean MALA acceptance ${acceptance}`);
    assert.ok(Number.isInteger(levels) && levels >= 1, `tempering levels ${levels}`);

    assert.deepEqual(watch.offsite(), [], `requests left ${origin}`);
    assert.ok(!watch.requests.some((url) => url.endsWith('.wasm')), 'the wasm backend was started although webgpu runs');
    assert.deepEqual(watch.problems, [], 'the page reported errors');
  } finally {
    await context.close();
  }
});
