/**
 * Vega-Lite specs of the NF-MCMC figures. Each spec is self-contained (its tables inline under `datasets`, so
 * `saveFigure` writes them as CSV next to the SVG and PNG):
 *
 * - `flowQualityHeatmaps` (F1.1): one panel per sampler, x = flow quality, y = dimension, colour = sliced KS;
 * - `sortedModeHistograms` (F1.2): one panel per (dimension, sampler), the per-chain mode histograms sorted from
 *   the least to the most visited mode: bars = mean over chains and seeds, dots = single chains, rule at 1/4;
 * - `latentDataIllustration` (F1.3): contours of pi, of the flow's T # rho and of the pulled-back pi_T, with
 *   trajectories of NeuTra-MALA and i-SIR.
 * Faceted and concatenated views are written here because the single-panel builders of lib/viz (heatmap,
 * modeWeightBars, scatterOverDensity) draw one panel each; contours reuse lib/viz's marching squares.
 */
import type { TopLevelSpec } from 'vega-lite';
import { VEGA_LITE_SCHEMA } from '../../viz/chartOptions.js';
import { contourSegments, type ContourSegment } from '../../viz/contours.js';
import type { LogDensityGrid } from '../../targets/logDensityGrid.js';

export interface HeatmapCell {
  sampler: string;
  dim: number;
  quality: number;
  /** Mean over seeds of the sliced KS distance (null: no finite value). */
  slicedKs: number | null;
}

export interface FlowQualityHeatmapOptions {
  cells: HeatmapCell[];
  samplers: readonly string[];
  dims: number[];
  qualities: number[];
  /** The exact flow's quality (t = 0.5, beta = 1), marked in the axis labels. */
  exactQuality: number;
  qualityTitle: string;
  title: string;
  subtitle?: string[];
}

/** Axis label of a quality value: 3 significant digits, the exact one starred. */
export function qualityLabel(quality: number, exactQuality: number): string {
  const text = String(Number(quality.toPrecision(3)));
  return quality === exactQuality ? `${text}*` : text;
}

/** F1.1: sliced KS per (quality, dimension), one panel per sampler, one colour scale [0, 1] for all panels. */
export function flowQualityHeatmaps(options: FlowQualityHeatmapOptions): TopLevelSpec {
  const { samplers, dims, qualities, exactQuality } = options;
  const xOrder = qualities.map((q) => qualityLabel(q, exactQuality));
  const yOrder = dims.slice().reverse().map(String);
  const cells = options.cells.map((c) => ({
    sampler: c.sampler,
    dim: String(c.dim),
    quality: qualityLabel(c.quality, exactQuality),
    slicedKs: c.slicedKs,
  }));
  const x = { field: 'quality', type: 'ordinal', sort: xOrder, title: options.qualityTitle, axis: { labelAngle: 0 } };
  const y = { field: 'dim', type: 'ordinal', sort: yOrder, title: 'dimension d' };
  const spec = {
    $schema: VEGA_LITE_SCHEMA,
    title: { text: options.title, subtitle: options.subtitle ?? [] },
    datasets: { cells },
    data: { name: 'cells' },
    facet: { field: 'sampler', type: 'nominal', sort: [...samplers], title: null, header: { labelFontSize: 12, labelFontWeight: 'bold' } },
    columns: 3,
    spec: {
      width: Math.max(120, 34 * xOrder.length),
      height: Math.max(60, 26 * yOrder.length),
      layer: [
        {
          mark: { type: 'rect' },
          encoding: {
            x,
            y,
            color: {
              field: 'slicedKs',
              type: 'quantitative',
              title: 'sliced KS',
              scale: { scheme: 'viridis', domain: [0, 1], reverse: true },
            },
          },
        },
        {
          transform: [{ calculate: "isValid(datum.slicedKs) ? format(datum.slicedKs, '.2f') : '–'", as: 'label' }],
          mark: { type: 'text', fontSize: 9 },
          encoding: {
            x,
            y,
            text: { field: 'label', type: 'nominal' },
            color: { condition: { test: 'isValid(datum.slicedKs) && datum.slicedKs > 0.5', value: 'white' }, value: 'black' },
          },
        },
      ],
    },
    resolve: { scale: { color: 'shared' } },
  };
  return spec as unknown as TopLevelSpec;
}

export interface SortedHistogramRow {
  dim: number;
  sampler: string;
  seed: number;
  chain: number;
  /** 1 = least visited mode ... K = most visited. */
  rank: number;
  fraction: number;
}

export interface SortedModeHistogramsOptions {
  rows: SortedHistogramRow[];
  samplers: readonly string[];
  dims: number[];
  numModes: number;
  title: string;
  subtitle?: string[];
}

/** F1.2: sorted per-chain mode histograms, one panel per (dimension, sampler). */
export function sortedModeHistograms(options: SortedModeHistogramsOptions): TopLevelSpec {
  const { rows, samplers, dims, numModes } = options;
  const ranks = Array.from({ length: numModes }, (_, i) => String(i + 1));
  const histograms = rows.map((r) => ({ ...r, dim: `d = ${r.dim}`, rank: String(r.rank) }));
  const x = { field: 'rank', type: 'ordinal', sort: ranks, title: 'mode, by visits', axis: { labelAngle: 0 } };
  const y = { field: 'fraction', type: 'quantitative', title: ['fraction of', 'the chain'], scale: { domain: [0, 1] } }; // two lines: one is taller than a panel
  const spec = {
    $schema: VEGA_LITE_SCHEMA,
    title: { text: options.title, subtitle: options.subtitle ?? [] },
    datasets: { histograms },
    data: { name: 'histograms' },
    facet: {
      row: { field: 'dim', type: 'nominal', sort: dims.map((d) => `d = ${d}`), title: null },
      column: { field: 'sampler', type: 'nominal', sort: [...samplers], title: null, header: { labelFontWeight: 'bold' } },
    },
    spec: {
      width: 110,
      height: 110,
      layer: [
        { mark: { type: 'bar', color: '#9ecae1' }, encoding: { x, y: { ...y, aggregate: 'mean' } } },
        {
          mark: { type: 'point', filled: true, size: 14, opacity: 0.5, color: '#08519c' },
          encoding: { x, xOffset: { field: 'chain', type: 'nominal', legend: null }, y },
        },
        { mark: { type: 'rule', color: '#d62728', strokeDash: [4, 3] }, encoding: { y: { datum: 1 / numModes } } },
      ],
    },
  };
  return spec as unknown as TopLevelSpec;
}


export interface PanelPath {
  sampler: string;
  chain: number;
  /** Positions [numSteps + 1, 2] row-major, the start first. */
  points: ArrayLike<number>;
}

export interface IllustrationPanel {
  name: string;
  /** 'data' or 'latent' space (axis titles). */
  space: 'data' | 'latent';
  grid: LogDensityGrid;
  paths: PanelPath[];
}

/** Contour segments of a log-density grid at fractions `levels` of its maximum. */
export function gridContours(grid: LogDensityGrid, levels: readonly number[]): ContourSegment[] {
  let max = -Infinity;
  for (const v of grid.logDensity) if (v > max) max = v;
  const relative = Array.from(grid.logDensity, (v) => Math.exp(v - max));
  return contourSegments(grid.x, grid.y, relative, levels);
}

const PANEL_LEVELS = [0.02, 0.1, 0.3, 0.6, 0.9];

/** F1.3: one panel per density (contours) with the trajectories drawn on it, side by side. */
export function latentDataIllustration(options: { panels: IllustrationPanel[]; samplers: readonly string[]; title: string; subtitle?: string[] }): TopLevelSpec {
  const contours: object[] = [];
  const paths: object[] = [];
  for (const panel of options.panels) {
    for (const s of gridContours(panel.grid, PANEL_LEVELS)) contours.push({ panel: panel.name, ...s });
    for (const p of panel.paths) {
      for (let t = 0; 2 * t < p.points.length; t++) {
        paths.push({ panel: panel.name, sampler: p.sampler, chain: p.chain, step: t, x: p.points[2 * t], y: p.points[2 * t + 1] });
      }
    }
  }
  const colour = { field: 'sampler', type: 'nominal', scale: { domain: [...options.samplers], range: ['#d62728', '#1f77b4', '#2ca02c', '#9467bd'] }, legend: { title: null, orient: 'bottom' } };
  const view = (panel: IllustrationPanel) => {
    const lo = panel.grid.x[0];
    const hi = panel.grid.x[panel.grid.x.length - 1];
    const axis = (field: string, title: string) => ({ field, type: 'quantitative', scale: { domain: [lo, hi], nice: false, zero: false }, title });
    const [xTitle, yTitle] = panel.space === 'data' ? ['x₁', 'x₂'] : ['z₁', 'z₂'];
    const inPanel = { filter: { field: 'panel', equal: panel.name } };
    return {
      title: panel.name,
      width: 230,
      height: 230,
      layer: [
        {
          data: { name: 'contours' },
          transform: [inPanel],
          mark: { type: 'rule', color: '#777', strokeWidth: 0.8, clip: true },
          encoding: { x: axis('x', xTitle), y: axis('y', yTitle), x2: { field: 'x2' }, y2: { field: 'y2' } },
        },
        {
          data: { name: 'paths' },
          transform: [inPanel],
          mark: { type: 'line', strokeWidth: 0.8, opacity: 0.55, clip: true, point: { size: 7, filled: true } },
          encoding: {
            x: axis('x', xTitle),
            y: axis('y', yTitle),
            color: colour,
            detail: { field: 'chain', type: 'nominal' },
            order: { field: 'step', type: 'quantitative' },
          },
        },
      ],
    };
  };
  const spec = {
    $schema: VEGA_LITE_SCHEMA,
    title: { text: options.title, subtitle: options.subtitle ?? [] },
    datasets: { contours, paths },
    concat: options.panels.map(view),
    // four panels as 2 x 2: the chart stays under ~900 px wide (a notebook cell, a page)
    columns: options.panels.length <= 3 ? options.panels.length : 2,
    resolve: { scale: { color: 'shared' } },
  };
  return spec as unknown as TopLevelSpec;
}
