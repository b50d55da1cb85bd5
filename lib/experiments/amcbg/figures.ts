/**
 * The faceted curve chart of the aMC-BG sweeps: one panel per (dimension, number of modes), one colour per kernel,
 * mean with a +- 2 standard-error band. (lib/viz's sweepCurves draws a single panel; this is its faceted form.)
 * Dataset in the spec (one CSV): `curves` {panel, series, x, y, lo, hi}.
 */
import type { TopLevelSpec } from 'vega-lite';
import { VEGA_LITE_SCHEMA } from '../../viz/chartOptions.js';

export interface FacetedRow {
  panel: string;
  series: string;
  x: number;
  y: number;
  lo: number;
  hi: number;
}

export interface FacetedCurvesOptions {
  rows: FacetedRow[];
  title: string;
  /** Lines under the title. */
  subtitle?: string[];
  xTitle: string;
  yTitle: string;
  seriesTitle: string;
  /** Panel width / height in pixels (default 230 x 170). */
  width?: number;
  height?: number;
}

const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);

export function facetedCurves(options: FacetedCurvesOptions): TopLevelSpec {
  const curves = options.rows.map((r) => ({ panel: r.panel, series: r.series, x: r.x, y: finiteOrNull(r.y), lo: finiteOrNull(r.lo), hi: finiteOrNull(r.hi) }));
  const panels = [...new Set(curves.map((r) => r.panel))];
  const series = [...new Set(curves.map((r) => r.series))];
  const x = { field: 'x', type: 'quantitative', title: options.xTitle };
  const color = { field: 'series', type: 'nominal', sort: series, title: options.seriesTitle };
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: options.subtitle ? { text: options.title, subtitle: options.subtitle } : options.title,
    datasets: { curves },
    data: { name: 'curves' },
    facet: { field: 'panel', type: 'nominal', sort: panels, title: null },
    // up to three panels in a row, four as 2 x 2: the chart stays under ~900 px wide (a notebook cell, a page)
    columns: panels.length <= 3 ? panels.length : 2,
    spec: {
      width: options.width ?? 230,
      height: options.height ?? 170,
      layer: [
        { mark: { type: 'errorband', opacity: 0.2 }, encoding: { x, y: { field: 'lo', type: 'quantitative', title: options.yTitle }, y2: { field: 'hi' }, color } },
        { mark: { type: 'line', point: true }, encoding: { x, y: { field: 'y', type: 'quantitative', title: options.yTitle }, color } },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  } as unknown as TopLevelSpec;
}
