/**
 * A categorical heat map: one coloured cell per (x, y), e.g. the multimodal-evaluation grids "dimension x flow
 * quality -> error of the mode weights", optionally with the value printed in each cell.
 *
 *   heatmap({ rows: [{ x: 8, y: 'good flow', value: 0.03 }, ...], showValues: true, format: '.2f' })
 *
 * Rows are plain objects or an arquero table with columns x, y, value (rename them with `fields`). x and y are
 * category labels (strings or numbers), ordered by first appearance unless `xOrder` / `yOrder` is given. A value
 * may be missing (NaN / null: the cell is left blank; with showValues it reads "–"). Each (x, y) at most once.
 *
 * Dataset in the spec (one CSV): `cells` {x, y, value}.
 */
import type { TopLevelSpec } from 'vega-lite';
import { checkBoolean, checkInterval, checkOptions, checkString, fail, failEntry } from './checks.js';
import { readChartOptions, topLevelSpec, type ChartOptions } from './chartOptions.js';
import { readField, readRows, type RowsInput } from './data.js';

export interface HeatmapRow {
  x: string | number;
  y: string | number;
  value: number | null;
}

export interface HeatmapOptions extends ChartOptions {
  rows: RowsInput<HeatmapRow | Record<string, unknown>>;
  /** Column names to read instead of x, y, value. */
  fields?: { x?: string; y?: string; value?: string };
  /** Print the value in each cell (default false), with this d3-format (default '.2f'). */
  showValues?: boolean;
  format?: string;
  /** Category orders (default: order of first appearance); every category in the rows must be listed. */
  xOrder?: (string | number)[];
  yOrder?: (string | number)[];
  /**
   * Vega colour scheme (default 'viridis'), reversed if `reverse` (e.g. so that low errors are light). The printed
   * values are white on the dark half of the scale, assuming a scheme that is dark at its low end (viridis, magma,
   * inferno, plasma, cividis).
   */
  scheme?: string;
  reverse?: boolean;
  /** Colour domain [lo, hi] (default: the values' range). */
  domain?: [number, number];
  /** Legend title (default 'value'). */
  valueTitle?: string;
}

const FN = 'heatmap';
const EXTRA = ['fields', 'showValues', 'format', 'xOrder', 'yOrder', 'scheme', 'reverse', 'domain', 'valueTitle'] as const;

export function heatmap(options: HeatmapOptions): TopLevelSpec {
  // Default size: 40 px per column and 28 px per row (set below, once the categories are known).
  const { options: o, chart } = readChartOptions<HeatmapOptions>(FN, options, EXTRA, ['rows'], { width: 1, height: 1, xTitle: 'x', yTitle: 'y' });
  if (o.colors !== undefined) fail(FN, 'colors', o.colors, 'no colors for a heat map (use scheme, reverse and domain)');
  const f = { x: 'x', y: 'y', value: 'value' };
  if (o.fields !== undefined) {
    const given = checkOptions<Record<string, unknown>>(FN, o.fields, Object.keys(f));
    for (const [k, v] of Object.entries(given)) if (v !== undefined) f[k as keyof typeof f] = checkString(FN, `fields.${k}`, v);
    if (o.xTitle === undefined && given.x !== undefined) chart.xTitle = f.x;
    if (o.yTitle === undefined && given.y !== undefined) chart.yTitle = f.y;
  }
  const showValues = o.showValues === undefined ? false : checkBoolean(FN, 'showValues', o.showValues);
  const format = o.format === undefined ? '.2f' : checkString(FN, 'format', o.format);
  if (o.format !== undefined && !showValues) fail(FN, 'format', o.format, 'no format unless showValues is true');
  const scheme = o.scheme === undefined ? 'viridis' : checkString(FN, 'scheme', o.scheme);
  const reverse = o.reverse === undefined ? false : checkBoolean(FN, 'reverse', o.reverse);
  const domain = o.domain === undefined ? undefined : checkInterval(FN, 'domain', o.domain);
  const valueTitle = o.valueTitle === undefined ? 'value' : checkString(FN, 'valueTitle', o.valueTitle);

  const input = readRows<Record<string, unknown>>(FN, 'rows', o.rows);
  const cells: { x: string | number; y: string | number; value: number | null }[] = [];
  const xs: (string | number)[] = [];
  const ys: (string | number)[] = [];
  const seen = new Set<string>();
  input.forEach((r, i) => {
    const x = r[f.x];
    const y = r[f.y];
    for (const [name, v] of [[f.x, x], [f.y, y]] as const) {
      if (!((typeof v === 'string' && v.length > 0) || (typeof v === 'number' && Number.isFinite(v)))) {
        failEntry(FN, 'rows', `[${i}].${name}`, v, 'a category label (a non-empty string or a finite number)');
      }
    }
    const value = readField(FN, 'rows', r, i, f.value, true);
    const key = JSON.stringify([x, y]);
    if (seen.has(key)) failEntry(FN, 'rows', `[${i}]`, r, `one row per (${f.x}, ${f.y}); (${String(x)}, ${String(y)}) appears twice`);
    seen.add(key);
    if (!xs.includes(x as string | number)) xs.push(x as string | number);
    if (!ys.includes(y as string | number)) ys.push(y as string | number);
    cells.push({ x: x as string | number, y: y as string | number, value });
  });
  const order = (option: 'xOrder' | 'yOrder', found: (string | number)[]): (string | number)[] => {
    const given = o[option];
    if (given === undefined) return found;
    if (!Array.isArray(given)) fail(FN, option, given, 'an array of category labels');
    for (const v of found) if (!given.includes(v)) fail(FN, option, given, `a list containing every category of the rows, missing ${JSON.stringify(v)}`);
    return given;
  };
  const xDomain = order('xOrder', xs);
  const yDomain = order('yOrder', ys);
  if (cells.every((c) => c.value === null)) fail(FN, 'rows', o.rows, 'at least one row with a finite value (all are missing)');

  // Categorical axes: numbers are labels too (ordinal type keeps numeric labels, the explicit sort keeps the order).
  const x = { field: 'x', type: 'ordinal', sort: xDomain, title: chart.xTitle, axis: { labelAngle: 0 } };
  const y = { field: 'y', type: 'ordinal', sort: yDomain, title: chart.yTitle };
  const finite = cells.filter((c) => c.value !== null).map((c) => c.value as number);
  const [lo, hi] = domain ?? [Math.min(...finite), Math.max(...finite)];
  const layers: Record<string, unknown>[] = [
    {
      mark: { type: 'rect' },
      encoding: {
        x,
        y,
        color: {
          field: 'value',
          type: 'quantitative',
          title: valueTitle,
          scale: { scheme, reverse, ...(domain ? { domain } : {}) },
        },
      },
    },
  ];
  if (showValues) {
    // Dark text on the light half of the scheme, white on the dark half (viridis & co. are dark at the low end).
    const mid = (lo + hi) / 2;
    const darkBelow = !reverse;
    layers.push({
      transform: [{ calculate: `isValid(datum.value) ? format(datum.value, ${JSON.stringify(format)}) : '–'`, as: 'label' }],
      mark: { type: 'text', fontSize: 10 },
      encoding: {
        x,
        y,
        text: { field: 'label', type: 'nominal' },
        color: {
          condition: { test: `isValid(datum.value) && datum.value ${darkBelow ? '<' : '>'} ${mid}`, value: 'white' },
          value: 'black',
        },
      },
    });
  }
  return topLevelSpec(FN, chart, { cells }, {
    width: o.width === undefined ? Math.max(120, 40 * xDomain.length) : chart.width,
    height: o.height === undefined ? Math.max(80, 28 * yDomain.length) : chart.height,
    data: { name: 'cells' },
    layer: layers,
    resolve: { scale: { color: 'independent' } },
  });
}
