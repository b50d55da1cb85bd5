/**
 * Curves over a swept parameter, one colour per series, with confidence bands: e.g. MMD against the number of
 * steps for several samplers, or log Z error against the dimension, mean +- 2 standard errors as a band.
 *
 *   sweepCurves({ rows: [{ x: 2, y: 0.1, lo: 0.08, hi: 0.12, series: 'MALA' }, ...], xScale: 'log' })
 *
 * Rows are plain objects or an arquero table with columns x, y and optionally lo, hi, series (rename them with
 * `fields`). x must be finite; y may be missing (NaN / null: no point, the line breaks); a band is drawn where
 * both lo and hi are present, and lo <= hi is required there.
 *
 * Dataset in the spec (one CSV): `curves` {series, x, y, lo, hi} (lo / hi null where absent).
 */
import type { TopLevelSpec } from 'vega-lite';
import { checkBoolean, checkChoice, checkInRange, checkOptions, checkString, failEntry } from './checks.js';
import { categoricalScale, readChartOptions, topLevelSpec, type ChartOptions } from './chartOptions.js';
import { readField, readRows, type RowsInput } from './data.js';

export interface SweepRow {
  x: number;
  y: number | null;
  lo?: number | null;
  hi?: number | null;
  series?: string | number;
}

export interface SweepCurvesOptions extends ChartOptions {
  rows: RowsInput<SweepRow | Record<string, unknown>>;
  /** Column names to read instead of x, y, lo, hi, series (e.g. { x: 'dim', y: 'mmd', series: 'sampler' }). */
  fields?: { x?: string; y?: string; lo?: string; hi?: string; series?: string };
  /** Axis scales (default 'linear'); a log axis needs positive values. */
  xScale?: 'linear' | 'log';
  yScale?: 'linear' | 'log';
  /** Draw a dot at each row (default true). */
  points?: boolean;
  /** Legend title (default none). */
  seriesTitle?: string;
  /** Band opacity (default 0.2). */
  bandOpacity?: number;
}

const FN = 'sweepCurves';
const EXTRA = ['fields', 'xScale', 'yScale', 'points', 'seriesTitle', 'bandOpacity'] as const;

export function sweepCurves(options: SweepCurvesOptions): TopLevelSpec {
  const { options: o, chart } = readChartOptions<SweepCurvesOptions>(FN, options, EXTRA, ['rows'], { width: 360, height: 240, xTitle: 'x', yTitle: 'y' });
  const f = { x: 'x', y: 'y', lo: 'lo', hi: 'hi', series: 'series' };
  if (o.fields !== undefined) {
    const given = checkOptions<Record<string, unknown>>(FN, o.fields, Object.keys(f));
    for (const [k, v] of Object.entries(given)) if (v !== undefined) f[k as keyof typeof f] = checkString(FN, `fields.${k}`, v);
    if (o.xTitle === undefined && given.x !== undefined) chart.xTitle = f.x;
    if (o.yTitle === undefined && given.y !== undefined) chart.yTitle = f.y;
  }
  const xScale = o.xScale === undefined ? 'linear' : checkChoice(FN, 'xScale', o.xScale, ['linear', 'log'] as const);
  const yScale = o.yScale === undefined ? 'linear' : checkChoice(FN, 'yScale', o.yScale, ['linear', 'log'] as const);
  const points = o.points === undefined ? true : checkBoolean(FN, 'points', o.points);
  const seriesTitle = o.seriesTitle === undefined ? null : checkString(FN, 'seriesTitle', o.seriesTitle);
  const bandOpacity = o.bandOpacity === undefined ? 0.2 : checkInRange(FN, 'bandOpacity', o.bandOpacity, 0, 1);

  const input = readRows<Record<string, unknown>>(FN, 'rows', o.rows);
  const rows: { series: string; x: number; y: number | null; lo: number | null; hi: number | null }[] = [];
  const seriesOrder: string[] = [];
  const seen = new Map<string, Set<number>>();
  let anyBand = false;
  input.forEach((r, i) => {
    const x = readField(FN, 'rows', r, i, f.x, false) as number;
    const y = readField(FN, 'rows', r, i, f.y, true);
    const lo = readField(FN, 'rows', r, i, f.lo, true);
    const hi = readField(FN, 'rows', r, i, f.hi, true);
    const s = r[f.series];
    if (s !== undefined && typeof s !== 'string' && typeof s !== 'number') failEntry(FN, 'rows', `[${i}].${f.series}`, s, 'a string or number naming the series, or absent');
    const series = s === undefined ? '' : String(s);
    if ((lo === null) !== (hi === null)) failEntry(FN, 'rows', `[${i}]`, r, `both "${f.lo}" and "${f.hi}" or neither`);
    if (lo !== null && hi !== null) {
      if (lo > hi) failEntry(FN, 'rows', `[${i}]`, r, `${f.lo} <= ${f.hi}`);
      anyBand = true;
    }
    if (xScale === 'log' && x <= 0) failEntry(FN, 'rows', `[${i}].${f.x}`, x, 'a positive number (xScale is "log")');
    if (yScale === 'log') {
      for (const [name, v] of [[f.y, y], [f.lo, lo], [f.hi, hi]] as const) {
        if (v !== null && v <= 0) failEntry(FN, 'rows', `[${i}].${name}`, v, 'a positive number (yScale is "log")');
      }
    }
    if (!seen.has(series)) {
      seen.set(series, new Set());
      seriesOrder.push(series);
    }
    if (seen.get(series)!.has(x)) failEntry(FN, 'rows', `[${i}]`, r, `one row per (series, x); series ${JSON.stringify(series)} has x = ${x} twice`);
    seen.get(series)!.add(x);
    rows.push({ series, x, y, lo, hi });
  });
  rows.sort((a, b) => seriesOrder.indexOf(a.series) - seriesOrder.indexOf(b.series) || a.x - b.x);

  const multi = seriesOrder.length > 1;
  const color = {
    field: 'series',
    type: 'nominal',
    scale: categoricalScale(FN, seriesOrder, chart.colors),
    // Line symbols at full opacity (the merged legend would otherwise take the faint band's look).
    legend: multi ? { title: seriesTitle, symbolType: 'stroke', symbolStrokeWidth: 2, symbolOpacity: 1 } : null,
  };
  const x = { field: 'x', type: 'quantitative', title: chart.xTitle, scale: xScale === 'log' ? { type: 'log' } : { zero: false } };
  const yScaleSpec = yScale === 'log' ? { type: 'log' } : { zero: false };
  const layers: Record<string, unknown>[] = [];
  if (anyBand) {
    layers.push({
      transform: [{ filter: 'isValid(datum.lo) && isValid(datum.hi)' }],
      mark: { type: 'area', opacity: bandOpacity, aria: false },
      encoding: { x, y: { field: 'lo', type: 'quantitative', title: chart.yTitle, scale: yScaleSpec }, y2: { field: 'hi' }, color },
    });
  }
  const y = { field: 'y', type: 'quantitative', title: chart.yTitle, scale: yScaleSpec };
  layers.push({ mark: { type: 'line', strokeWidth: 1.5, aria: false }, encoding: { x, y, color } });
  if (points) layers.push({ transform: [{ filter: 'isValid(datum.y)' }], mark: { type: 'point', filled: true, size: 25, aria: false }, encoding: { x, y, color } });
  return topLevelSpec(FN, chart, { curves: rows }, { width: chart.width, height: chart.height, data: { name: 'curves' }, layer: layers });
}
