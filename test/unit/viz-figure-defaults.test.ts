/**
 * The shared look of saved and shown charts (lib/viz/figureDefaults.ts) and the text widths Vega lays them out with
 * (lib/viz/textWidth.ts): the DejaVu advance widths are read from the font file, a long subtitle wraps instead of
 * widening the canvas, legend labels are not cut, fonts are readable and a spec's own config wins.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TopLevelSpec } from 'vega-lite';
import { FIGURE_CONFIG, SUBTITLE_WIDTH, withFigureDefaults, wrapLine } from '../../lib/viz/figureDefaults.js';
import { findDejaVuFonts } from '../../lib/viz/fonts.js';
import { renderSvg } from '../../lib/viz/render.js';
import { readFontWidths, textWidthEstimate } from '../../lib/viz/textWidth.js';

const regular = findDejaVuFonts().find((f) => f.endsWith('/DejaVuSans.ttf'));

test('advance widths from the font file: DejaVu Sans "0" 1303, " " 651, "m" 1995 units of 2048 per em', { skip: !regular && 'DejaVu Sans not installed' }, () => {
  const font = readFontWidths(regular!);
  assert.equal(font.advance.get(0x30)! * 2048, 1303);
  assert.equal(font.advance.get(0x20)! * 2048, 651);
  assert.equal(font.advance.get(0x6d)! * 2048, 1995);
  assert.ok(Math.abs(textWidthEstimate('m 0', 10) - ((1995 + 651 + 1303) / 2048) * 10) < 1e-9);
  assert.ok(textWidthEstimate('m', 10, true) > textWidthEstimate('m', 10), 'bold is wider');
});

test('wrapLine: lines no wider than the width, words kept whole and in order', () => {
  const text = 'sixteen chains, one hundred warm-up steps and two hundred recorded steps; i-SIR N = 32; FlEx2 N = 32, 20 MALA steps';
  const lines = wrapLine(text, 200, 12);
  assert.ok(lines.length >= 3);
  for (const l of lines) assert.ok(textWidthEstimate(l, 12) <= 200 || !l.includes(' '), `${l}: ${textWidthEstimate(l, 12)} px`);
  assert.equal(lines.join(' '), text);
  assert.deepEqual(wrapLine('short', 200, 12), ['short']);
});

test('withFigureDefaults: config under the spec own, subtitle wrapped, the spec itself unchanged', () => {
  const spec = { title: { text: 't', subtitle: 'a '.repeat(200).trim() }, config: { axis: { labelFontSize: 9 } }, mark: 'point' } as unknown as TopLevelSpec;
  const before = JSON.stringify(spec);
  const out = withFigureDefaults(spec) as unknown as { config: { axis: Record<string, number>; legend: Record<string, number> }; title: { subtitle: string[] } };
  assert.equal(JSON.stringify(spec), before);
  assert.equal(out.config.axis.labelFontSize, 9, "the spec's own config wins");
  assert.equal(out.config.axis.titleFontSize, FIGURE_CONFIG.axis.titleFontSize);
  assert.ok(out.config.legend.labelFontSize >= 11, 'readable legend labels');
  assert.ok(out.title.subtitle.length > 1);
});

test('rendered: a long subtitle does not widen the canvas, a legend label is not cut', { skip: !regular && 'DejaVu Sans not installed' }, async () => {
  const label = 'learned q_t (DSM energy)';
  const spec = {
    title: { text: 'A title', subtitle: ['a long note '.repeat(30).trim()] },
    width: 200,
    height: 100,
    data: { values: [{ x: 1, y: 1, s: label }, { x: 2, y: 2, s: 'exact p_t' }] },
    mark: 'line',
    encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, color: { field: 's', type: 'nominal' } },
  } as unknown as TopLevelSpec;
  const { svg } = await renderSvg(withFigureDefaults(spec));
  const width = Number(/<svg[^>]* width="([\d.]+)"/.exec(svg)![1]);
  assert.ok(width <= SUBTITLE_WIDTH + 20, `canvas ${width} px for a 200 px chart and a ${textWidthEstimate('a long note '.repeat(30), 12).toFixed(0)} px note`);
  assert.ok(svg.includes(`>${label}</text>`), 'the legend label in full');
});
