/**
 * sampling-lab/viz: Vega-Lite chart builders, static rendering (SVG, PNG), figure files, and inline display in
 * the tslab notebook kernel. Depends on lib/core and npm packages only.
 */
export * from './charts.js';
export { compileSpec, renderSvg, toSvg, toPng, type PngOptions, type RenderedSvg } from './render.js';
export { saveFigure, type SaveFigureOptions, type SavedFigure } from './saveFigure.js';
export { show, inKernel, displayBundle, isVegaLiteSpec, VEGA_LITE_MIME, type ShowOptions } from './display.js';
export { plot, plotDocument, plotToSvg, isPlotChart, type PlotChart } from './plot.js';
export { vegaEmbedHtml, type VegaEmbedHtmlOptions } from './vegaEmbedHtml.js';
export { specTables, type SpecTable } from './specData.js';
export { toCsv } from './csv.js';
export { contourSegments, type ContourSegment } from './contours.js';
export { densityHistogram, type DensityHistogram } from './histogram.js';
export { loadVega, loadVegaLite } from './esm.js';
export { VEGA_LITE_SCHEMA } from './chartOptions.js';
