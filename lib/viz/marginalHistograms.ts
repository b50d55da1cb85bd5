/**
 * One histogram per coordinate of [n, d] samples, in a grid of panels, with the truth overlaid: either a
 * histogram of exact samples (drawn as outlined bars) or the exact marginal pdfs (drawn as lines).
 *
 *   marginalHistograms({ samples: x, truth: target.sample(key, 10_000), dims: [0, 1, 2] })
 *   marginalHistograms({ samples: x, truth: (v, i) => marginalPdf(i, v) })
 *
 * Dataset in the spec (one CSV): `marginals` {coordinate, series, kind, binStart, binEnd, x, density}: kind 'bin'
 * rows are histogram bars (x = bin centre), kind 'curve' rows are points of a pdf curve (binStart/binEnd null).
 * Histograms are densities (count / (n * bin width)), so bars and curves share one y axis. Non-finite values
 * are dropped per coordinate by default (counted in the subtitle); `nonFinite: 'error'` throws.
 */
import type { TopLevelSpec } from 'vega-lite';
import { checkChoice, checkInteger, checkInterval, checkString, fail, failEntry } from './checks.js';
import { categoricalScale, readChartOptions, topLevelSpec, type ChartOptions } from './chartOptions.js';
import { columnExtent, padExtent, readMatrix, type Matrix, type MatrixInput } from './data.js';
import { densityHistogram } from './histogram.js';

/** A marginal pdf: a density (not a log-density) of one coordinate. */
export type MarginalPdf = (x: number) => number;

export interface MarginalHistogramsOptions extends ChartOptions {
  /** Samples [n, d]. */
  samples: MatrixInput;
  /**
   * The truth: exact samples [m, d]; or one pdf per coordinate (an array of d functions, index = coordinate);
   * or one function `(x, coordinate) => pdf` for all coordinates. Pdfs return densities, not log-densities.
   */
  truth?: MatrixInput | readonly MarginalPdf[] | ((x: number, coordinate: number) => number);
  /** 0-based coordinates to show (default: all when d <= 16, else the first 16, noted in the subtitle). */
  dims?: number[];
  /** Names of the d coordinates (default x1, x2, ...). */
  names?: string[];
  /** Bins per histogram (default 30). */
  bins?: number;
  /** One binning range for every coordinate (default: each coordinate's extent over samples and truth samples). */
  range?: [number, number];
  /** Panels per row (default min(4, number of coordinates shown)). */
  columns?: number;
  /** Points per pdf curve (default 200). */
  curvePoints?: number;
  /** Legend names (default 'samples', 'truth'). */
  samplesLabel?: string;
  truthLabel?: string;
  /** Non-finite sample values: 'drop' (default, counted in the subtitle) or 'error'. */
  nonFinite?: 'drop' | 'error';
}

const FN = 'marginalHistograms';
const EXTRA = ['truth', 'dims', 'names', 'bins', 'range', 'columns', 'curvePoints', 'samplesLabel', 'truthLabel', 'nonFinite'] as const;
const MAX_DEFAULT_DIMS = 16;

interface Row {
  coordinate: string;
  series: string;
  kind: 'bin' | 'curve';
  binStart: number | null;
  binEnd: number | null;
  x: number;
  density: number;
}

export function marginalHistograms(options: MarginalHistogramsOptions): TopLevelSpec {
  const { options: o, chart } = readChartOptions<MarginalHistogramsOptions>(FN, options, EXTRA, ['samples'], {
    width: 160,
    height: 110,
    xTitle: '',
    yTitle: 'density',
  });
  const samples = readMatrix(FN, 'samples', o.samples);
  const d = samples.cols;
  const bins = o.bins === undefined ? 30 : checkInteger(FN, 'bins', o.bins, 1);
  const curvePoints = o.curvePoints === undefined ? 200 : checkInteger(FN, 'curvePoints', o.curvePoints, 2);
  const nonFinite = o.nonFinite === undefined ? 'drop' : checkChoice(FN, 'nonFinite', o.nonFinite, ['drop', 'error'] as const);
  const samplesLabel = o.samplesLabel === undefined ? 'samples' : checkString(FN, 'samplesLabel', o.samplesLabel);
  const truthLabel = o.truthLabel === undefined ? 'truth' : checkString(FN, 'truthLabel', o.truthLabel);
  if (o.truth !== undefined && samplesLabel === truthLabel) fail(FN, 'truthLabel', truthLabel, `a label different from samplesLabel (${JSON.stringify(samplesLabel)})`);
  const range = o.range === undefined ? undefined : checkInterval(FN, 'range', o.range);
  const notes: string[] = [];

  let names: string[];
  if (o.names === undefined) names = Array.from({ length: d }, (_, i) => `x${i + 1}`);
  else {
    if (!Array.isArray(o.names) || o.names.length !== d) fail(FN, 'names', o.names, `${d} names, one per column of samples`);
    o.names.forEach((n, i) => checkString(FN, `names[${i}]`, n));
    if (new Set(o.names).size !== d) fail(FN, 'names', o.names, 'distinct names');
    names = o.names;
  }
  let dims: number[];
  if (o.dims === undefined) {
    dims = Array.from({ length: Math.min(d, MAX_DEFAULT_DIMS) }, (_, i) => i);
    if (d > MAX_DEFAULT_DIMS) notes.push(`coordinates 1-${MAX_DEFAULT_DIMS} of ${d} shown (choose with dims)`);
  } else {
    if (!Array.isArray(o.dims) || o.dims.length === 0) fail(FN, 'dims', o.dims, `a non-empty array of coordinate indices in [0, ${d})`);
    o.dims.forEach((k, i) => {
      if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k >= d) failEntry(FN, 'dims', `[${i}]`, k, `an integer coordinate index in [0, ${d}) (samples have ${d} columns)`);
    });
    if (new Set(o.dims).size !== o.dims.length) fail(FN, 'dims', o.dims, 'distinct coordinate indices');
    dims = o.dims;
  }
  const columns = o.columns === undefined ? Math.min(4, dims.length) : checkInteger(FN, 'columns', o.columns, 1);

  // The truth: exact samples, or pdfs.
  let truthSamples: Matrix | undefined;
  let pdf: ((x: number, k: number) => number) | undefined;
  const t = o.truth as unknown;
  if (typeof t === 'function') pdf = t as (x: number, k: number) => number;
  else if (Array.isArray(t) && t.length > 0 && typeof t[0] === 'function') {
    if (t.length !== d) fail(FN, 'truth', t, `${d} pdf functions, one per coordinate (samples have ${d} columns), got ${t.length}`);
    t.forEach((f, i) => {
      if (typeof f !== 'function') failEntry(FN, 'truth', `[${i}]`, f, 'a pdf function (x) => density');
    });
    pdf = (x, k) => (t[k] as MarginalPdf)(x);
  } else if (t !== undefined) {
    truthSamples = readMatrix(FN, 'truth', t);
    if (truthSamples.cols !== d) fail(FN, 'truth', t, `exact samples with ${d} columns like samples, got ${truthSamples.cols}`);
  }

  const finiteColumn = (m: Matrix, k: number, option: string, label: string): Float64Array => {
    const out: number[] = [];
    for (let i = 0; i < m.rows; i++) {
      const v = m.data[i * m.cols + k];
      if (Number.isFinite(v)) out.push(v);
      else if (nonFinite === 'error') failEntry(FN, option, `[${i}][${k}]`, v, 'a finite number (or nonFinite: "drop")');
    }
    if (out.length === 0) {
      throw new Error(`${FN}: option "${option}" has no finite value in coordinate ${k} (${names[k]}), expected at least one`);
    }
    if (out.length < m.rows) notes.push(`${label} ${names[k]}: ${m.rows - out.length} of ${m.rows} values non-finite, not shown`);
    return Float64Array.from(out);
  };

  const rows: Row[] = [];
  const pushHistogram = (values: Float64Array, lo: number, hi: number, coordinate: string, series: string) => {
    const h = densityHistogram(values, lo, hi, bins);
    for (let b = 0; b < bins; b++) {
      rows.push({ coordinate, series, kind: 'bin', binStart: h.binStart[b], binEnd: h.binEnd[b], x: (h.binStart[b] + h.binEnd[b]) / 2, density: h.density[b] });
    }
  };
  for (const k of dims) {
    const values = finiteColumn(samples, k, 'samples', samplesLabel);
    const truthValues = truthSamples ? finiteColumn(truthSamples, k, 'truth', truthLabel) : undefined;
    const [lo, hi] =
      range ??
      padExtent(
        columnExtent(
          [{ rows: values.length, cols: 1, data: values }, ...(truthValues ? [{ rows: truthValues.length, cols: 1, data: truthValues }] : [])],
          0,
        )!,
        0.02,
      );
    pushHistogram(values, lo, hi, names[k], samplesLabel);
    if (truthValues) pushHistogram(truthValues, lo, hi, names[k], truthLabel);
    if (pdf) {
      for (let p = 0; p < curvePoints; p++) {
        const x = lo + ((hi - lo) * p) / (curvePoints - 1);
        const y = pdf(x, k);
        if (typeof y !== 'number' || !Number.isFinite(y) || y < 0) {
          fail(FN, 'truth', o.truth, `pdf functions returning finite densities >= 0; coordinate ${k} (${names[k]}) gave ${String(y)} at x = ${x}`);
        }
        rows.push({ coordinate: names[k], series: truthLabel, kind: 'curve', binStart: null, binEnd: null, x, density: y });
      }
    }
  }

  const seriesNames = o.truth === undefined ? [samplesLabel] : [samplesLabel, truthLabel];
  const color = {
    field: 'series',
    type: 'nominal',
    scale: categoricalScale(FN, seriesNames, chart.colors),
    legend: seriesNames.length > 1 ? { title: null } : null,
  };
  const x = { field: 'binStart', type: 'quantitative', title: chart.xTitle || null, scale: { zero: false, nice: false } };
  const y = { field: 'density', type: 'quantitative', title: chart.yTitle || null };
  const layers: Record<string, unknown>[] = [
    {
      transform: [{ filter: { and: [{ field: 'kind', equal: 'bin' }, { field: 'series', equal: samplesLabel }] } }],
      mark: { type: 'bar', opacity: 0.55, aria: false },
      encoding: { x, x2: { field: 'binEnd' }, y, y2: { datum: 0 }, color },
    },
  ];
  if (truthSamples) {
    layers.push({
      transform: [{ filter: { and: [{ field: 'kind', equal: 'bin' }, { field: 'series', equal: truthLabel }] } }],
      mark: { type: 'bar', filled: false, strokeWidth: 1.5, aria: false },
      encoding: { x, x2: { field: 'binEnd' }, y, y2: { datum: 0 }, color },
    });
  }
  if (pdf) {
    layers.push({
      transform: [{ filter: { field: 'kind', equal: 'curve' } }],
      mark: { type: 'line', strokeWidth: 1.5, aria: false },
      encoding: { x: { ...x, field: 'x' }, y, color },
    });
  }
  return topLevelSpec(
    FN,
    chart,
    { marginals: rows },
    {
      data: { name: 'marginals' },
      facet: { field: 'coordinate', type: 'nominal', sort: dims.map((k) => names[k]), title: null },
      columns,
      spec: { width: chart.width, height: chart.height, layer: layers },
      resolve: { scale: { x: 'independent', y: 'independent' } },
    },
    notes,
  );
}
