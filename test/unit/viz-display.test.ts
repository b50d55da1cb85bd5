import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import Module, { createRequire } from 'node:module';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import * as aq from 'arquero';
import * as Plot from '@observablehq/plot';
import { show, inKernel, displayBundle, isVegaLiteSpec, VEGA_LITE_MIME } from '../../lib/viz/display.js';
import { withFigureDefaults } from '../../lib/viz/figureDefaults.js';
import { plot } from '../../lib/viz/plot.js';
import { toPng } from '../../lib/viz/render.js';
import { heatmap } from '../../lib/viz/heatmap.js';
import { markItems } from './viz-fixtures.js';

const spec = heatmap({ rows: [{ x: 1, y: 'a', value: 0.5 }, { x: 2, y: 'a', value: 1.5 }], title: 'tiny' });
const table = aq.table({ x: [1, 2, 3], y: ['a', 'b', 'c'] });
const chart = plot({ marks: [Plot.dot([{ x: 1, y: 2 }, { x: 2, y: 3 }], { x: 'x', y: 'y' })] });
const pngBytes = toPng('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4" fill="red"/></svg>', { scale: 1 });

test('outside a kernel show() checks its argument and displays nothing', async () => {
  assert.equal(inKernel(), false);
  assert.equal(displayBundle({ 'text/plain': 'x' }), false);
  for (const value of [spec, table, chart, pngBytes]) assert.equal(await show(value), undefined);
  await show(spec, { html: true, svg: false });
  assert.ok(isVegaLiteSpec(spec));
  assert.ok(isVegaLiteSpec({ mark: 'point' }));
  assert.ok(!isVegaLiteSpec(table), 'an arquero table (it has a concat method) is not a spec');
  assert.ok(!isVegaLiteSpec({ $schema: 'https://vega.github.io/schema/vega/v5.json', marks: [] }), 'a Vega (not Vega-Lite) spec');
});

test('bad input: clear errors, inside or outside a kernel', async () => {
  await assert.rejects(show(42), /show: option "value" = 42, expected a Vega-Lite spec, an Observable Plot chart \(from plot\(\)\), an arquero table or PNG bytes/);
  await assert.rejects(show({ a: 1 }), /show: option "value" = \{"a":1\}, expected a Vega-Lite spec/);
  await assert.rejects(show(new Uint8Array([1, 2, 3])), /option "value" = a Uint8Array of length 3, expected/);
  await assert.rejects(show(spec, { htm: true } as never), /show: option "htm" = true, expected no such option; known options: svg, html, limit/);
  await assert.rejects(show(table, { limit: 0 }), /show: option "limit" = 0, expected an integer >= 1/);
});

// A stand-in for tslab's jupyter module, registered in Node's module cache where show() looks for the kernel's
// display writer (tslab/dist/jupyter.js, `lastWriteDisplayData`): the bundles a kernel would send are recorded.
const sent: { data: Record<string, unknown>; update: boolean }[] = [];
const fakePath = join(tmpdir(), 'viz-display-test', 'node_modules', 'tslab', 'dist', 'jupyter.js');
const cache = createRequire(import.meta.url).cache;
after(() => {
  delete cache[fakePath];
});

test('inside a kernel: one multi-mime display_data per show(), with the representations each front end needs', async () => {
  const fake = new Module(fakePath);
  fake.exports = { lastWriteDisplayData: (msg: { data: Record<string, unknown> }, update: boolean) => sent.push({ data: msg.data, update }) };
  fake.loaded = true;
  cache[fakePath] = fake;
  assert.equal(inKernel(), true);

  await show(spec);
  assert.equal(sent.length, 1);
  const bundle = sent[0].data;
  assert.deepEqual(Object.keys(bundle).sort(), [VEGA_LITE_MIME, 'image/svg+xml', 'text/plain'].sort());
  assert.deepEqual(bundle[VEGA_LITE_MIME], JSON.parse(JSON.stringify(withFigureDefaults(spec))), 'the spec (with the shared look) as a JSON object, not a string');
  assert.equal(markItems(bundle['image/svg+xml'] as string, 'rect'), 2, 'the SVG rendered in Node');
  assert.equal(bundle['text/plain'], '<Vega-Lite chart: heatmap "tiny">');
  assert.equal(sent[0].update, false);

  await show(spec, { html: true, svg: false });
  const first = sent[1].data['text/html'] as string;
  assert.ok(!('image/svg+xml' in sent[1].data));
  assert.ok(first.length > 500_000 && first.includes('vegaEmbed'), 'the first HTML output inlines vega, vega-lite and vega-embed');
  assert.ok(!/https?:\/\/cdn/.test(first.slice(-3000)), 'no CDN');
  await show(spec, { html: true });
  const second = sent[2].data['text/html'] as string;
  assert.ok(second.length < 20_000 && second.includes('window.vegaEmbed("#'), 'later outputs reuse the libraries');

  await show(chart);
  assert.match(sent[3].data['image/svg+xml'] as string, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  await show(plot({ title: 'with a title', marks: [Plot.dot([{ x: 1, y: 1 }], { x: 'x', y: 'y' })] }));
  assert.match(sent[4].data['text/html'] as string, /^<figure/);
  await show(table, { limit: 2 });
  assert.match(sent[5].data['text/html'] as string, /<table/);
  assert.equal((sent[5].data['text/html'] as string).match(/<tr>/g)?.length, 3, 'header + 2 rows');
  assert.equal(sent[5].data['text/plain'], '<table: 3 rows x 2 columns>');
  await show(pngBytes);
  assert.deepEqual(Buffer.from(sent[6].data['image/png'] as string, 'base64'), Buffer.from(pngBytes));

  delete cache[fakePath];
  assert.equal(inKernel(), false);
});
