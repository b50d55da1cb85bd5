/**
 * Observable Plot in Node: Plot builds DOM nodes, so it needs a `document`; linkedom provides one.
 *
 *   const chart = plot({ marks: [Plot.dot(rows, { x: 'x', y: 'y' })] });   // Plot.plot with a linkedom document
 *   await show(chart);                                                      // in a notebook
 *   plotToSvg(chart)                                                        // standalone SVG text (bare <svg> only)
 *
 * A plot without title / subtitle / caption / legend is a bare `<svg>`; with them Plot wraps it in a `<figure>`
 * (HTML), which `show` displays as HTML and `plotToSvg` refuses (an SVG file cannot hold a figure).
 */
import * as Plot from '@observablehq/plot';
import { parseHTML } from 'linkedom';
import { fail } from './checks.js';

/** What `plot` returns: the root element Plot built (an `<svg>` or a `<figure>`), in a linkedom document. */
export interface PlotChart {
  readonly tagName: string;
  readonly outerHTML: string;
}

/** A fresh linkedom document to pass as Plot's `document` option. */
export function plotDocument(): NonNullable<Plot.PlotOptions['document']> {
  // linkedom's typings differ between its ESM and CJS entry points (tsc here vs tslab's TypeScript): read it untyped.
  const window = parseHTML('<!doctype html><html><head></head><body></body></html>') as unknown as { document: unknown };
  return window.document as NonNullable<Plot.PlotOptions['document']>;
}

/** `Plot.plot(options)` rendered in a linkedom document (any `document` option given is replaced). */
export function plot(options: Plot.PlotOptions): PlotChart {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) fail('plot', 'options', options, 'Observable Plot options ({ marks: [...] , ... })');
  return Plot.plot({ ...options, document: plotDocument() }) as unknown as PlotChart;
}

/** True for what `plot` (or Plot.plot with a DOM document) returns. */
export function isPlotChart(value: unknown): value is PlotChart {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as PlotChart).outerHTML === 'string' &&
    typeof (value as PlotChart).tagName === 'string' &&
    ['svg', 'figure'].includes((value as PlotChart).tagName.toLowerCase())
  );
}

/** The markup of a Plot chart; a bare `<svg>` gets the xmlns attribute that standalone SVG needs. */
export function plotMarkup(chart: PlotChart): { mime: 'image/svg+xml' | 'text/html'; text: string } {
  if (!isPlotChart(chart)) fail('plotMarkup', 'chart', chart, 'a chart returned by plot()');
  const html = chart.outerHTML;
  if (chart.tagName.toLowerCase() !== 'svg') return { mime: 'text/html', text: html };
  const text = /^<svg[^>]*\sxmlns=/.test(html) ? html : html.replace(/^<svg/, '<svg xmlns="http://www.w3.org/2000/svg"');
  return { mime: 'image/svg+xml', text };
}

/** Standalone SVG text of a bare-`<svg>` Plot chart (a `<figure>` chart, with a title or legend, is an error). */
export function plotToSvg(chart: PlotChart): string {
  const { mime, text } = plotMarkup(chart);
  if (mime !== 'image/svg+xml') {
    fail('plotToSvg', 'chart', `<${chart.tagName.toLowerCase()}>`, 'a bare <svg> chart (no title, subtitle, caption or legend: those make Plot return an HTML <figure>)');
  }
  return text;
}
