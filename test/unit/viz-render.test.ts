import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scatterOverDensity } from '../../lib/viz/scatterOverDensity.js';
import { compileSpec, renderSvg, toPng, toSvg } from '../../lib/viz/render.js';
import { findDejaVuFonts } from '../../lib/viz/fonts.js';
import { decodePng, gaussianRows, inkPixels } from './viz-fixtures.js';

const textSvg = '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="50"><text x="10" y="35" font-family="sans-serif" font-size="24">Hello</text></svg>';
const fontsFound = findDejaVuFonts().length > 0;

test('fonts: DejaVu Sans is installed (Debian package fonts-dejavu-core), so PNG text is drawn', { skip: fontsFound ? false : 'DejaVu fonts not found: apt-get install fonts-dejavu-core' }, () => {
  const files = findDejaVuFonts();
  assert.ok(files.some((f) => f.endsWith('DejaVuSans.ttf')));
  assert.ok(files.some((f) => f.endsWith('DejaVuSans-Bold.ttf')), 'bold titles need DejaVuSans-Bold.ttf');
  // Text only: the PNG has ink only if a font was found for "sans-serif".
  const ink = inkPixels(decodePng(toPng(textSvg)));
  assert.ok(ink > 500, `${ink} text pixels`);
  // Control: the same text with no usable font draws nothing, so the check above can fail.
  assert.equal(inkPixels(decodePng(toPng(textSvg, { fontFiles: ['/nonexistent/font.ttf'] }))), 0);
});

test('toPng: valid PNG of the SVG size times scale, white background, ink in the plot and in the title', async () => {
  const spec = scatterOverDensity({ samples: gaussianRows(1, 200, [0, 0]), density: (x, y) => -0.5 * (x * x + y * y), gridSize: 20, title: 'Scatter title' });
  const svg = await toSvg(spec, { strict: true });
  const [, w, h] = svg.match(/<svg[^>]*width="(\d+)" height="(\d+)"/)!.map(Number);
  for (const scale of [1, 2]) {
    const png = decodePng(toPng(svg, { scale }));
    assert.equal(png.width, w * scale);
    assert.equal(png.height, h * scale);
    assert.deepEqual([...png.rgba.subarray(0, 4)], [255, 255, 255, 255], 'white corner');
    assert.ok(inkPixels(png) > 0.1 * png.width * png.height, 'the heat map and the points cover the plot');
    // The title is centred over the plot in the top 20 px (scaled): it must have ink.
    const titleInk = inkPixels(png, { x: 0, y: 0, width: png.width, height: 20 * scale });
    assert.ok(titleInk > 50 * scale * scale, `${titleInk} pixels of title text`);
  }
  // 'transparent' keeps alpha where the SVG draws nothing (Vega's own SVGs paint their config background).
  assert.equal(decodePng(toPng(textSvg, { background: 'transparent' })).rgba[3], 0, 'transparent corner');
  assert.equal(decodePng(toPng(textSvg)).rgba[3], 255, 'opaque white corner');
});

test('renderSvg reports compiler and runtime warnings; toSvg strict throws them; compile errors are clear', async () => {
  const logZero = { data: { values: [{ x: 1 }, { x: 0 }] }, mark: 'point', encoding: { x: { field: 'x', type: 'quantitative', scale: { type: 'log', zero: true } } } } as never;
  const { warnings } = await renderSvg(logZero);
  assert.ok(warnings.some((w) => /zero.*log scale/.test(w)), warnings.join('; '));
  assert.ok(warnings.some((w) => /Log scale domain includes zero/.test(w)), 'runtime (Vega) warnings are collected too');
  await assert.rejects(toSvg(logZero, { strict: true }), /toSvg: the spec rendered with warnings: /);
  await assert.rejects(compileSpec({ mark: 'nonsense' } as never), /compileSpec: Vega-Lite could not compile the spec: /);
  await assert.rejects(renderSvg(null as never), /compileSpec: option "spec" = null, expected a Vega-Lite spec object/);
  await assert.rejects(toSvg(logZero, { strct: true } as never), /toSvg: option "strct" = true, expected no such option/);
});

test('rendering leaves the spec untouched (Vega writes into the data objects it is given)', async () => {
  const spec = scatterOverDensity({ samples: gaussianRows(2, 20, [0, 0]), density: (x, y) => -(x * x + y * y), gridSize: 5 });
  const before = JSON.stringify(spec);
  const density = (spec as unknown as { datasets: { density: object[] } }).datasets.density;
  await renderSvg(spec);
  assert.equal(JSON.stringify(spec), before);
  assert.deepEqual(Object.getOwnPropertySymbols(density[0]), [], 'no Vega tuple id on the caller\'s rows');
  assert.equal('strokeDensity' in density[0], false, 'no calculated field on the caller\'s rows');
});

test('toPng bad input', () => {
  assert.throws(() => toPng('hello'), /toPng: option "svg" = "hello", expected an SVG document string/);
  assert.throws(() => toPng(textSvg, { scale: 0 }), /toPng: option "scale" = 0, expected a finite number > 0/);
  assert.throws(() => toPng(textSvg, { dpi: 96 } as never), /toPng: option "dpi" = 96, expected no such option/);
  assert.throws(() => toPng(textSvg, { fontFamily: 'Arial' }), /option "fontFamily" = "Arial", expected no fontFamily without fontFiles/);
});

test('element ids (gradients, clip paths) are prefixed per chart, references follow, the same chart gives the same SVG', async () => {
  const a = scatterOverDensity({ samples: [[0, 0], [1, 1]], density: (x, y) => -(x * x + y * y), gridSize: 4 });
  const b = scatterOverDensity({ samples: [[0, 0], [2, 1]], density: (x, y) => -(x * x + y * y), gridSize: 4 });
  const svgA = await toSvg(a);
  const svgB = await toSvg(b);
  const ids = (svg: string) => [...svg.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
  assert.ok(ids(svgA).length >= 2, 'a legend gradient and clip paths');
  for (const id of ids(svgA)) {
    assert.match(id, /^v[0-9a-f]{8}-/);
    assert.ok(svgA.includes(`url(#${id})`), `${id} is referenced with its new name`);
  }
  assert.ok(!/url\(#(gradient|clip)/.test(svgA), 'no reference to an old name is left');
  assert.equal(ids(svgA).filter((id) => ids(svgB).includes(id)).length, 0, 'two charts share no id');
  // Vega's id counters move on between renders; the renamed ids do not depend on them.
  assert.equal(await toSvg(a), svgA);
});
