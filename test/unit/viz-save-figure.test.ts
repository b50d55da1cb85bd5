import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withFigureDefaults } from '../../lib/viz/figureDefaults.js';
import { saveFigure } from '../../lib/viz/saveFigure.js';
import { specTables } from '../../lib/viz/specData.js';
import { toCsv } from '../../lib/viz/csv.js';
import { scatterOverDensity } from '../../lib/viz/scatterOverDensity.js';
import { traces } from '../../lib/viz/traces.js';
import { decodePng, gaussianRows, normals, parseCsv } from './viz-fixtures.js';

/** Every cell of the CSV reads back as the table's value: numbers exactly (Number(cell) === v), null as ''. */
function assertRoundTrip(csv: string, values: readonly unknown[]): void {
  const [header, ...lines] = parseCsv(csv);
  assert.equal(lines.length, values.length);
  lines.forEach((line, i) => {
    const row = values[i] as Record<string, unknown>;
    assert.deepEqual(header, Object.keys(row), `row ${i} columns`);
    header.forEach((col, j) => {
      const v = row[col];
      if (v === null) assert.equal(line[j], '', `row ${i} ${col}`);
      else if (typeof v === 'number') assert.ok(Object.is(Number(line[j]), v), `row ${i} ${col}: ${line[j]} vs ${v}`);
      else assert.equal(line[j], String(v), `row ${i} ${col}`);
    });
  });
}

test('saveFigure writes SVG, PNG, the spec and one CSV per table; the CSVs hold the data exactly', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'viz-save-'));
  try {
    const samples = gaussianRows(1, 50, [0, 0]).map(([x, y]) => [x / 3, y * 1e-7]); // long decimals and tiny numbers
    const spec = scatterOverDensity({ samples, density: (x, y) => -0.5 * (x * x + y * y), densityLayer: 'both', gridSize: 8 });
    const path = join(dir, 'paper', 'sub', 'fig1');
    const saved = await saveFigure(spec, path, { strict: true, png: { scale: 1 } });
    assert.deepEqual(saved, {
      svg: `${path}.svg`,
      png: `${path}.png`,
      vl: `${path}.vl.json`,
      csv: [`${path}-density.csv`, `${path}-contours.csv`, `${path}-points.csv`],
    });
    assert.deepEqual(readdirSync(join(dir, 'paper', 'sub')).sort(), ['fig1-contours.csv', 'fig1-density.csv', 'fig1-points.csv', 'fig1.png', 'fig1.svg', 'fig1.vl.json']);
    assert.match(readFileSync(saved.svg, 'utf8'), /^<svg /);
    const png = decodePng(readFileSync(saved.png));
    const [, w, h] = readFileSync(saved.svg, 'utf8').match(/width="(\d+)" height="(\d+)"/)!.map(Number);
    assert.deepEqual([png.width, png.height], [w, h]);
    assert.deepEqual(JSON.parse(readFileSync(saved.vl, 'utf8')), JSON.parse(JSON.stringify(withFigureDefaults(spec))), 'the spec as drawn');
    const datasets = (spec as unknown as { datasets: Record<string, object[]> }).datasets;
    assertRoundTrip(readFileSync(saved.csv[0], 'utf8'), datasets.density);
    assertRoundTrip(readFileSync(saved.csv[1], 'utf8'), datasets.contours);
    assertRoundTrip(readFileSync(saved.csv[2], 'utf8'), datasets.points);
    // The rendered figure did not add columns to the tables (Vega computes 'strokeDensity' on its own copy).
    assert.ok(!readFileSync(saved.csv[0], 'utf8').split('\n')[0].includes('strokeDensity'));

    // One table: <name>.csv.
    const one = await saveFigure(traces({ trace: [[1, 2], [3, NaN]] }), join(dir, 'trace'));
    assert.deepEqual(one.csv, [join(dir, 'trace.csv')]);
    assert.equal(readFileSync(one.csv[0], 'utf8'), 'step,chain,value\n0,0,1\n1,0,3\n0,1,2\n1,1,\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('specTables: datasets first, then inline data.values anywhere (named or data1, data2, ...); CSV quoting', () => {
  const shared = [{ a: 1 }];
  const spec = {
    datasets: { main: [{ x: 1 }] },
    layer: [
      { data: { values: [{ y: 'p, "q"' }] }, mark: 'point' },
      { data: { name: 'named', values: [3, 4] }, mark: 'point' },
      { data: { values: shared }, mark: 'point' },
      { data: { values: shared }, mark: 'line' },
      { data: { url: 'x.csv' }, mark: 'point' },
    ],
  };
  assert.deepEqual(specTables(spec).map((t) => t.name), ['main', 'data1', 'named', 'data2']);
  assert.equal(toCsv([{ y: 'p, "q"' }, { y: ' pad' }, { y: '' }, { y: null }, { y: true }]), 'y\n"p, ""q"""\n pad\n\n\ntrue\n');
  assert.equal(toCsv([{ o: [1, 2] }, { o: { k: 'v' } }]), 'o\n"[1,2]"\n"{""k"":""v""}"\n');
  assert.equal(toCsv([3, 4]), 'data\n3\n4\n');
  assert.equal(toCsv([{ a: 1 }, { b: 2 }]), 'a,b\n1,\n,2\n');
  assert.equal(toCsv([{ v: NaN }, { v: -Infinity }, { v: -0 }, { v: 1e-300 }]), 'v\nNaN\n-Infinity\n0\n1e-300\n');
  // Random doubles survive the trip exactly.
  const z = normals(7);
  const rows = Array.from({ length: 200 }, () => ({ u: z() * 10 ** Math.floor(z() * 8), s: 'a,b' }));
  assertRoundTrip(toCsv(rows), rows);
});

test('saveFigure bad input: no files written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'viz-save-'));
  try {
    const spec = traces({ trace: [[1]] });
    await assert.rejects(saveFigure(spec, join(dir, 'fig.png')), /saveFigure: option "path" = ".*fig.png", expected a path without extension/);
    await assert.rejects(saveFigure(spec, ''), /option "path" = "", expected a file path without extension/);
    await assert.rejects(saveFigure(null as never, join(dir, 'x')), /saveFigure: option "spec" = null, expected a Vega-Lite spec object/);
    await assert.rejects(saveFigure(spec, join(dir, 'x'), { scale: 2 } as never), /saveFigure: option "scale" = 2, expected no such option; known options: png, strict/);
    const warns = { data: { values: [{ x: 0 }] }, mark: 'point', encoding: { x: { field: 'x', type: 'quantitative', scale: { type: 'log' } } } } as never;
    await assert.rejects(saveFigure(warns, join(dir, 'w'), { strict: true }), /saveFigure: .*w: the spec rendered with warnings: Log scale domain includes zero/);
    assert.deepEqual(readdirSync(dir), []);
    assert.equal(existsSync(join(dir, 'w.svg')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
