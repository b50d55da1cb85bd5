/**
 * Inline display in the tslab notebook kernel:
 *
 *   await show(scatterOverDensity({ samples }));   // Vega-Lite spec
 *   await show(plot({ marks: [...] }));            // Observable Plot chart (see plot.ts)
 *   await show(table);                              // arquero table
 *   await show(toPng(svg));                         // PNG bytes
 *
 * A Vega-Lite spec goes out as ONE display_data with several representations, and each front end picks the
 * richest it can render: `application/vnd.vegalite.v5+json` (interactive in JupyterLab and VS Code),
 * `image/svg+xml` rendered here in Node (classic notebook, nbconvert with a raw-SVG template, GitHub),
 * `text/plain`, and with `{ html: true }` a self-contained vega-embed `text/html` (interactive in the classic
 * notebook and in nbconvert HTML exports, which ignore the Vega-Lite mime type; about 830 kB the first time).
 * Use `await`: tslab does not wait for a promise left as the last expression of a cell, and a display sent after
 * the cell finished is lost.
 *
 * Outside a kernel (tsx, the CLI, tests) `show` checks its argument and renders nothing, so library code and the
 * CLI can call it freely.
 */
import { createRequire } from 'node:module';
import type { TopLevelSpec } from 'vega-lite';
import { checkBoolean, checkInteger, checkOptions, show as showValue } from './checks.js';
import { isTableLike } from './data.js';
import { withFigureDefaults } from './figureDefaults.js';
import { isPlotChart, plotMarkup } from './plot.js';
import { renderSvg } from './render.js';
import { vegaEmbedHtml } from './vegaEmbedHtml.js';

export const VEGA_LITE_MIME = 'application/vnd.vegalite.v5+json';

type DisplayWriter = (message: { data: Record<string, unknown>; metadata: Record<string, unknown>; transient: Record<string, unknown> }, update: boolean) => void;

/**
 * tslab's writer for the current cell's display_data messages, or undefined outside a kernel. tslab keeps it in
 * `tslab/dist/jupyter.js` (`lastWriteDisplayData`, set when a cell starts); we look the module up in Node's module
 * cache rather than requiring it, so that nothing of tslab (and its zeromq addon) is loaded outside a kernel.
 */
function kernelWriter(): DisplayWriter | undefined {
  const cache = createRequire(`${process.cwd()}/noop.js`).cache;
  for (const [file, mod] of Object.entries(cache)) {
    if (/[\\/]tslab[\\/]dist[\\/]jupyter\.js$/.test(file)) {
      const writer = (mod?.exports as { lastWriteDisplayData?: unknown } | undefined)?.lastWriteDisplayData;
      if (typeof writer === 'function') return writer as DisplayWriter;
    }
  }
  return undefined;
}

/** True inside a running tslab kernel cell. */
export function inKernel(): boolean {
  return kernelWriter() !== undefined;
}

/** Send one display_data with several mime types (inside a kernel; a no-op outside). */
export function displayBundle(data: Record<string, unknown>, metadata: Record<string, unknown> = {}): boolean {
  const writer = kernelWriter();
  if (!writer) return false;
  writer({ data, metadata, transient: {} }, false);
  return true;
}

const VEGA_LITE_VIEW_KEYS = ['mark', 'layer', 'facet', 'concat', 'hconcat', 'vconcat', 'repeat'];

/**
 * A Vega-Lite spec: a plain object (JSON-like, not a class instance such as an arquero table) whose `$schema` names
 * vega-lite, or, without `$schema`, that has its own mark / layer / facet / concat / repeat key.
 */
export function isVegaLiteSpec(value: unknown): value is TopLevelSpec {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const schema = (value as { $schema?: unknown }).$schema;
  if (typeof schema === 'string') return schema.includes('vega-lite');
  return VEGA_LITE_VIEW_KEYS.some((k) => Object.hasOwn(value, k));
}

function isPng(value: unknown): value is Uint8Array {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  return value instanceof Uint8Array && value.length > 8 && sig.every((b, i) => value[i] === b);
}

export interface ShowOptions {
  /** Vega-Lite: include the SVG rendered in Node (default true). */
  svg?: boolean;
  /** Vega-Lite: include a self-contained vega-embed text/html (default false). */
  html?: boolean;
  /** arquero tables: rows shown (default 20). */
  limit?: number;
}

/** A short text form of a spec, for `text/plain`. */
function specLabel(spec: object): string {
  const chart = (spec as { usermeta?: { samplingLab?: { chart?: string } } }).usermeta?.samplingLab?.chart;
  const title = (spec as { title?: string | { text?: string } }).title;
  const text = typeof title === 'string' ? title : title?.text;
  return `<Vega-Lite chart${chart ? `: ${chart}` : ''}${text ? ` "${text}"` : ''}>`;
}

/**
 * Display a Vega-Lite spec, an Observable Plot chart, an arquero table or PNG bytes in the notebook. Resolves (to
 * nothing: tslab prints whatever the last expression of a cell evaluates to, and a spec dump under its chart is
 * noise) once the display is sent. Outside a kernel it only checks its argument. Anything else is an error, inside
 * and outside a kernel, so that misuse shows up in tests and CLI runs too.
 */
export async function show(value: unknown, options: ShowOptions = {}): Promise<void> {
  const o = checkOptions<ShowOptions>('show', options, ['svg', 'html', 'limit']);
  const withSvg = o.svg === undefined ? true : checkBoolean('show', 'svg', o.svg);
  const withHtml = o.html === undefined ? false : checkBoolean('show', 'html', o.html);
  const limit = o.limit === undefined ? 20 : checkInteger('show', 'limit', o.limit, 1);
  const kind = isVegaLiteSpec(value) ? 'vega-lite' : isPlotChart(value) ? 'plot' : isTableLike(value) && typeof (value as { toHTML?: unknown }).toHTML === 'function' ? 'table' : isPng(value) ? 'png' : undefined;
  if (!kind) {
    throw new Error(`show: option "value" = ${showValue(value)}, expected a Vega-Lite spec, an Observable Plot chart (from plot()), an arquero table or PNG bytes`);
  }
  if (!inKernel()) return;
  if (kind === 'vega-lite') {
    // the shared look (fonts, wrapped subtitle) of saved figures, so that a chart fits the output cell as it fits the page
    const spec = withFigureDefaults(value as unknown as TopLevelSpec);
    const data: Record<string, unknown> = { [VEGA_LITE_MIME]: JSON.parse(JSON.stringify(spec)), 'text/plain': specLabel(spec) };
    if (withSvg) {
      const { svg, warnings } = await renderSvg(spec);
      for (const w of warnings) console.warn(`show: ${w}`);
      data['image/svg+xml'] = svg;
    }
    if (withHtml) data['text/html'] = vegaEmbedHtml(spec);
    displayBundle(data);
  } else if (kind === 'plot') {
    const { mime, text } = plotMarkup(value as never);
    displayBundle({ [mime]: text, 'text/plain': '<Observable Plot chart>' });
  } else if (kind === 'table') {
    const table = value as unknown as { toHTML(o: object): string; numRows(): number; columnNames(): string[] };
    displayBundle({ 'text/html': table.toHTML({ limit }), 'text/plain': `<table: ${table.numRows()} rows x ${table.columnNames().length} columns>` });
  } else {
    displayBundle({ 'image/png': Buffer.from(value as unknown as Uint8Array).toString('base64'), 'text/plain': '<PNG image>' });
  }
}
