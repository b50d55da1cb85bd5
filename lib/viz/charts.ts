/**
 * The chart builders: each takes plain data plus options and returns a self-contained Vega-Lite spec (every table
 * inline under `datasets`). One file per chart; this module gathers them.
 *
 * Plain data accepted (see data.ts): matrices as number[][] / {shape, data} / arquero tables (host data: for a
 * tensor x pass `await x.array()`); rows as arrays of objects or arquero tables. Shared options (chartOptions.ts):
 * title, subtitle, width, height, xTitle, yTitle, colors. Unknown options, wrong shapes and non-finite values where
 * none is allowed throw errors naming the option, the value and what was expected.
 */
export { scatterOverDensity, type ScatterOverDensityOptions } from './scatterOverDensity.js';
export { marginalHistograms, type MarginalHistogramsOptions, type MarginalPdf } from './marginalHistograms.js';
export { traces, type TracesOptions } from './traces.js';
export { sweepCurves, type SweepCurvesOptions, type SweepRow } from './sweepCurves.js';
export { heatmap, type HeatmapOptions, type HeatmapRow } from './heatmap.js';
export { modeWeightBars, type ModeWeightBarsOptions, type MethodWeights } from './modeWeightBars.js';
export type { DensityGrid, LogDensityFn } from './densityGrid.js';
export type { ChartOptions } from './chartOptions.js';
export type { MatrixInput, RowsInput, ShapedData, TableLike } from './data.js';
