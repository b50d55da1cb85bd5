/**
 * `tools/run_notebooks.py --html`: a notebook that shows a Vega-Lite chart (lib/viz `show`: Vega-Lite JSON + SVG)
 * is exported with tools/nbconvert/sampling-lab.html.j2 and opened from disk in headless Chromium, offline. The
 * chart must be drawn by the inlined vega-embed (an SVG with 20 point marks), pixels must be painted in the chart's
 * box, SVG outputs must keep their elements (nbconvert 6.5's stock template strips them), and the page must make no
 * request other than file:// and data: URLs, nor log errors.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { FIXTURES, assertKernelReady, missingChromium, missingPython, runNotebooks } from './jupyter.js';

const CHROMIUM = '/usr/bin/chromium';

// The few browser globals that the page-side functions below use (the project compiles without the DOM library).
declare const window: { samplingLabVega: Promise<unknown> };
declare const document: {
  querySelector(selector: string): { dataset: Record<string, string | undefined> } | null;
  querySelectorAll(selector: string): { length: number };
  createElement(tag: 'canvas'): {
    width: number;
    height: number;
    getContext(kind: '2d'): {
      drawImage(image: unknown, x: number, y: number): void;
      getImageData(x: number, y: number, width: number, height: number): { data: Uint8ClampedArray };
    } | null;
  };
};
declare const Image: new () => { src: string; width: number; height: number; decode(): Promise<void> };
const skip = missingPython() || missingChromium(CHROMIUM);

describe('HTML export of an executed notebook', { skip }, () => {
  let work: string;
  let html: string;
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];
  const errors: string[] = [];

  before(async () => {
    assertKernelReady();
    work = mkdtempSync(join(tmpdir(), 'html-export-'));
    const r = await runNotebooks(['--html', join(work, 'html'), '--log-dir', work, join(FIXTURES, 'pass-vega-lite-chart.ipynb')]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    html = join(work, 'html', 'pass-vega-lite-chart.html');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    // launch() already uses a fresh temporary profile (user-data-dir) that it deletes on close
    page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
    page.on('request', (req) => requests.push(req.url()));
    page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
    });
    await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });
    await page.evaluate(() => window.samplingLabVega);
  });

  after(async () => {
    await browser?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('the export exists and carries the chart as Vega-Lite plus a static SVG fallback', () => {
    assert.ok(existsSync(html), html);
    const text = readFileSync(html, 'utf8');
    assert.match(text, /data-mime-type="application\/vnd\.vegalite\.v5\+json"/);
    assert.match(text, /<script type="application\/json" class="sampling-lab-vega-spec">/);
    assert.doesNotMatch(text, /require\.min\.js/, 'RequireJS is left out');
  });

  test('vega-embed drew the chart: an SVG with 20 point marks', async () => {
    const info = await page.evaluate(() => {
      const out = document.querySelector('.sampling-lab-vega');
      return {
        rendered: out?.dataset.rendered,
        error: out?.dataset.error,
        fallbackLeft: document.querySelectorAll('.sampling-lab-vega-fallback').length,
        svgs: document.querySelectorAll('.sampling-lab-vega .vega-embed svg.marks').length,
        points: document.querySelectorAll('.sampling-lab-vega .vega-embed svg.marks .mark-symbol path').length,
        axes: document.querySelectorAll('.sampling-lab-vega .vega-embed svg.marks .role-axis').length,
      };
    });
    assert.deepEqual(info, { rendered: 'vega-embed', error: undefined, fallbackLeft: 0, svgs: 1, points: 20, axes: 4 }); // 2 axes + 2 grids
  });

  test('the chart area is painted (non-white pixels in a screenshot)', async () => {
    const box = page.locator('.sampling-lab-vega .vega-embed svg.marks');
    const png = await box.screenshot();
    const counts = await page.evaluate(async (b64: string) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const { data } = ctx.getImageData(0, 0, img.width, img.height);
      let nonWhite = 0;
      let blue = 0; // the points' fill, #1f77b4
      for (let i = 0; i < data.length; i += 4) {
        if (data[i] < 240 || data[i + 1] < 240 || data[i + 2] < 240) nonWhite++;
        if (Math.abs(data[i] - 0x1f) < 30 && Math.abs(data[i + 1] - 0x77) < 30 && Math.abs(data[i + 2] - 0xb4) < 30) blue++;
      }
      return { width: img.width, height: img.height, nonWhite, blue };
    }, png.toString('base64'));
    assert.ok(counts.width > 300 && counts.height > 150, `chart box ${counts.width}x${counts.height}`);
    assert.ok(counts.nonWhite > 500, `only ${counts.nonWhite} non-white pixels`);
    assert.ok(counts.blue > 200, `only ${counts.blue} pixels in the points' colour`);
  });

  test('without JavaScript the static SVG shows, with its marks (not stripped by nbconvert\'s sanitiser)', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    try {
      const noJs = await context.newPage();
      await noJs.goto(pathToFileURL(html).href, { waitUntil: 'load' });
      const points = await noJs.locator('.sampling-lab-vega-fallback svg .mark-symbol path').count();
      assert.equal(points, 20);
    } finally {
      await context.close();
    }
  });

  test('an SVG-only output keeps its elements', async () => {
    assert.equal(await page.locator('.jp-RenderedSVG svg.fixture-svg circle').count(), 3);
  });

  test('offline: only file:// and data: requests, no page errors', () => {
    const external = requests.filter((u) => !u.startsWith('file://') && !u.startsWith('data:'));
    assert.deepEqual(external, []);
    assert.deepEqual(errors, []);
  });
});
