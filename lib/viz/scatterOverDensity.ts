/**
 * 2-D samples drawn over a density: a heat map and/or contour lines of the (log-)density underneath, the
 * sampler's points on top, optionally a second point set (exact samples of the target, another sampler).
 *
 *   scatterOverDensity({ samples: x, density: await logDensityOnGrid(target, gridAxis(-4, 4, 60)), reference: exact })
 *
 * Datasets in the spec (and CSVs written by saveFigure): `points` {x, y, set}; `density` {x, y, x0, x1, y0, y1,
 * logDensity, density} (one row per grid cell; `density` = density / its maximum on the grid, `logDensity`
 * null where the density is 0); `contours` {level, x, y, x2, y2} (one row per segment; `level` is a fraction
 * of the maximum density).
 *
 * Non-finite sample rows (a diverged chain) are dropped by default and counted in the subtitle;
 * `nonFinite: 'error'` throws instead. Large sets are thinned evenly to `maxPoints` (noted in the subtitle).
 */
import type { TopLevelSpec } from 'vega-lite';
import { checkChoice, checkInRange, checkInteger, checkInterval, checkOptions, checkPositive, checkString, fail, failEntry } from './checks.js';
import { categoricalScale, readChartOptions, topLevelSpec, type ChartOptions } from './chartOptions.js';
import { contourSegments } from './contours.js';
import { cellEdges, evaluateDensity, readDensityGrid, type DensityGrid, type EvaluatedGrid, type LogDensityFn } from './densityGrid.js';
import { columnExtent, padExtent, readMatrix, thinIndices, type Matrix, type MatrixInput } from './data.js';

export interface ScatterOverDensityOptions extends ChartOptions {
  /** The sampler's points, [n, 2]. */
  samples: MatrixInput;
  /** A second point set [m, 2], e.g. exact samples of the target, drawn under `samples` in another colour. */
  reference?: MatrixInput;
  /** The density underneath: a grid, or `(x, y) => logDensity` evaluated on a `gridSize` x `gridSize` grid. */
  density?: DensityGrid | LogDensityFn;
  /** How the density is drawn (default 'heatmap'). */
  densityLayer?: 'heatmap' | 'contours' | 'both';
  /** Grid points per axis for a density function (default 40; the SVG grows with its square). */
  gridSize?: number;
  /** Contour levels as fractions of the maximum density on the grid, each in (0, 1) (default [0.05, 0.2, 0.4, 0.6, 0.8]). */
  contourLevels?: number[];
  /** Plotted ranges (default: the density grid's extent, else the points' extent padded by 5 %). */
  domain?: { x?: [number, number]; y?: [number, number] };
  /** Legend names of the two sets (default 'samples', 'reference'). */
  samplesLabel?: string;
  referenceLabel?: string;
  /** At most this many points per set are drawn, thinned evenly (default 5000). */
  maxPoints?: number;
  /** Point area in square pixels (default 10) and opacity (default 0.6). */
  pointSize?: number;
  opacity?: number;
  /** Non-finite sample rows: 'drop' (default; counted in the subtitle) or 'error'. */
  nonFinite?: 'drop' | 'error';
  /** Vega colour scheme of the heat map (default: white to dark grey); colour of the contour lines (default '#444'). */
  densityScheme?: string;
  contourColor?: string;
}

const FN = 'scatterOverDensity';
const EXTRA = [
  'reference', 'density', 'densityLayer', 'gridSize', 'contourLevels', 'domain', 'samplesLabel', 'referenceLabel',
  'maxPoints', 'pointSize', 'opacity', 'nonFinite', 'densityScheme', 'contourColor',
] as const;

interface PointSet {
  label: string;
  option: string;
  matrix: Matrix;
}

export function scatterOverDensity(options: ScatterOverDensityOptions): TopLevelSpec {
  const { options: o, chart } = readChartOptions<ScatterOverDensityOptions>(FN, options, EXTRA, ['samples'], {
    width: 360,
    height: 320,
    xTitle: 'x₁',
    yTitle: 'x₂',
  });
  const densityLayer = o.densityLayer === undefined ? 'heatmap' : checkChoice(FN, 'densityLayer', o.densityLayer, ['heatmap', 'contours', 'both'] as const);
  const gridSize = o.gridSize === undefined ? 40 : checkInteger(FN, 'gridSize', o.gridSize, 2);
  const maxPoints = o.maxPoints === undefined ? 5000 : checkInteger(FN, 'maxPoints', o.maxPoints, 1);
  const pointSize = o.pointSize === undefined ? 10 : checkPositive(FN, 'pointSize', o.pointSize);
  const opacity = o.opacity === undefined ? 0.6 : checkInRange(FN, 'opacity', o.opacity, 0, 1);
  const nonFinite = o.nonFinite === undefined ? 'drop' : checkChoice(FN, 'nonFinite', o.nonFinite, ['drop', 'error'] as const);
  const samplesLabel = o.samplesLabel === undefined ? 'samples' : checkString(FN, 'samplesLabel', o.samplesLabel);
  const referenceLabel = o.referenceLabel === undefined ? 'reference' : checkString(FN, 'referenceLabel', o.referenceLabel);
  if (o.reference !== undefined && samplesLabel === referenceLabel) {
    fail(FN, 'referenceLabel', referenceLabel, `a label different from samplesLabel (${JSON.stringify(samplesLabel)})`);
  }
  const densityScheme = o.densityScheme === undefined ? undefined : checkString(FN, 'densityScheme', o.densityScheme);
  const contourColor = o.contourColor === undefined ? '#444' : checkString(FN, 'contourColor', o.contourColor);
  const contourLevels = o.contourLevels === undefined ? [0.05, 0.2, 0.4, 0.6, 0.8] : readLevels(o.contourLevels);
  if (o.contourLevels !== undefined && densityLayer === 'heatmap') {
    fail(FN, 'contourLevels', o.contourLevels, 'no contour levels unless densityLayer is "contours" or "both"');
  }
  let domainOption: { x?: [number, number]; y?: [number, number] } = {};
  if (o.domain !== undefined) {
    domainOption = checkOptions(FN, o.domain, ['x', 'y']);
    if (domainOption.x !== undefined) domainOption.x = checkInterval(FN, 'domain.x', domainOption.x);
    if (domainOption.y !== undefined) domainOption.y = checkInterval(FN, 'domain.y', domainOption.y);
  }

  const sets: PointSet[] = [];
  if (o.reference !== undefined) sets.push({ label: referenceLabel, option: 'reference', matrix: readMatrix(FN, 'reference', o.reference, { cols: 2 }) });
  sets.push({ label: samplesLabel, option: 'samples', matrix: readMatrix(FN, 'samples', o.samples, { cols: 2 }) });

  const notes: string[] = [];
  const points: { x: number; y: number; set: string }[] = [];
  for (const { label, option, matrix } of sets) {
    const finite: number[] = [];
    for (let i = 0; i < matrix.rows; i++) {
      const x = matrix.data[2 * i];
      const y = matrix.data[2 * i + 1];
      if (Number.isFinite(x) && Number.isFinite(y)) finite.push(i);
      else if (nonFinite === 'error') failEntry(FN, option, `[${i}]`, [x, y], 'finite coordinates (or nonFinite: "drop")');
    }
    if (finite.length === 0) {
      throw new Error(`${FN}: option "${option}" has no row with finite coordinates (all ${matrix.rows} contain NaN or Infinity), expected at least one`);
    }
    if (finite.length < matrix.rows) notes.push(`${label}: ${matrix.rows - finite.length} of ${matrix.rows} points non-finite, not shown`);
    const keep = thinIndices(finite.length, maxPoints);
    if (keep.length < finite.length) notes.push(`${label}: ${keep.length} of ${finite.length} points shown (evenly thinned)`);
    for (const k of keep) {
      const i = finite[k];
      points.push({ x: matrix.data[2 * i], y: matrix.data[2 * i + 1], set: label });
    }
  }

  // The density grid, and the plotted domain.
  let grid: EvaluatedGrid | undefined;
  const pointExtent = (j: number) => padExtent(columnExtent(sets.map((s) => s.matrix), j)!, 0.05);
  let xDomain: [number, number];
  let yDomain: [number, number];
  if (o.density !== undefined && typeof o.density !== 'function') {
    if (o.density === null || typeof o.density !== 'object') fail(FN, 'density', o.density, 'a density grid {x, y, logDensity | density} or a function (x, y) => logDensity');
    grid = readDensityGrid(FN, 'density', o.density);
    const ex = cellEdges(grid.xs);
    const ey = cellEdges(grid.ys);
    xDomain = domainOption.x ?? [ex[0], ex[ex.length - 1]];
    yDomain = domainOption.y ?? [ey[0], ey[ey.length - 1]];
  } else {
    xDomain = domainOption.x ?? pointExtent(0);
    yDomain = domainOption.y ?? pointExtent(1);
    if (typeof o.density === 'function') grid = evaluateDensity(FN, 'density', o.density, xDomain, yDomain, gridSize);
  }

  const datasets: Record<string, object[]> = {};
  const layers: Record<string, unknown>[] = [];
  const axis = (field: string, domain: [number, number], title: string) => ({
    field,
    type: 'quantitative',
    scale: { domain, nice: false, zero: false },
    title,
  });
  if (grid) {
    const { xs, ys, logDensity } = grid;
    let max = -Infinity;
    for (const v of logDensity) if (v > max) max = v;
    if (max === -Infinity) fail(FN, 'density', o.density, 'a density that is positive somewhere on the grid (it is 0 everywhere)');
    const relative = logDensity.map((v) => Math.exp(v - max));
    if (densityLayer !== 'contours') {
      const ex = cellEdges(xs);
      const ey = cellEdges(ys);
      const densityScale = { domain: [0, 1], ...(densityScheme ? { scheme: densityScheme } : { range: ['#ffffff', '#404040'] }) };
      const cells: object[] = [];
      for (let j = 0; j < ys.length; j++) {
        for (let i = 0; i < xs.length; i++) {
          const k = j * xs.length + i;
          cells.push({
            x: xs[i], y: ys[j], x0: ex[i], x1: ex[i + 1], y0: ey[j], y1: ey[j + 1],
            logDensity: logDensity[k] === -Infinity ? null : logDensity[k], density: relative[k],
          });
        }
      }
      datasets.density = cells;
      layers.push({
        data: { name: 'density' },
        // The same value under another name, so the stroke gets its own (legend-less) scale.
        transform: [{ calculate: 'datum.density', as: 'strokeDensity' }],
        // A hairline stroke in the fill colour hides the anti-aliasing seams between neighbouring cells.
        mark: { type: 'rect', strokeWidth: 0.5, clip: true, aria: false },
        encoding: {
          x: axis('x0', xDomain, chart.xTitle),
          x2: { field: 'x1' },
          y: axis('y0', yDomain, chart.yTitle),
          y2: { field: 'y1' },
          fill: { field: 'density', type: 'quantitative', scale: densityScale, legend: { title: 'density / max' } },
          stroke: { field: 'strokeDensity', type: 'quantitative', scale: densityScale, legend: null },
        },
      });
    }
    if (densityLayer !== 'heatmap') {
      datasets.contours = contourSegments(xs, ys, relative, contourLevels);
      layers.push({
        data: { name: 'contours' },
        mark: { type: 'rule', color: contourColor, strokeWidth: 1, clip: true, aria: false },
        encoding: {
          x: axis('x', xDomain, chart.xTitle),
          y: axis('y', yDomain, chart.yTitle),
          x2: { field: 'x2' },
          y2: { field: 'y2' },
        },
      });
    }
  }
  datasets.points = points;
  const labels = sets.map((s) => s.label);
  layers.push({
    data: { name: 'points' },
    mark: { type: 'point', filled: true, size: pointSize, opacity, clip: true, aria: false },
    encoding: {
      x: axis('x', xDomain, chart.xTitle),
      y: axis('y', yDomain, chart.yTitle),
      color: { field: 'set', type: 'nominal', scale: categoricalScale(FN, labels, chart.colors), legend: labels.length > 1 ? { title: null } : null },
    },
  });
  return topLevelSpec(FN, chart, datasets, { width: chart.width, height: chart.height, layer: layers }, notes);
}

function readLevels(value: unknown): number[] {
  if (!Array.isArray(value) || value.length === 0) fail(FN, 'contourLevels', value, 'a non-empty array of numbers in (0, 1)');
  value.forEach((v, i) => {
    if (typeof v !== 'number' || !(v > 0 && v < 1)) failEntry(FN, 'contourLevels', `[${i}]`, v, 'a number in (0, 1) (a fraction of the maximum density)');
  });
  return value as number[];
}
