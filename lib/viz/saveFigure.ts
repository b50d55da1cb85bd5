/**
 * Write a figure and the data behind it:
 *
 *   await saveFigure(spec, 'figures/slips/fig2-mixture')
 *     -> figures/slips/fig2-mixture.svg        (vega View.toSVG)
 *        figures/slips/fig2-mixture.png        (resvg, 2x, white background)
 *        figures/slips/fig2-mixture.vl.json    (the Vega-Lite spec, data inline: re-render or edit it anywhere)
 *        figures/slips/fig2-mixture.csv        (the spec's one table), or, when the spec has several tables,
 *        figures/slips/fig2-mixture-<table>.csv  one per table, e.g. -points.csv, -density.csv, -contours.csv
 *
 * The spec is drawn and written with the shared look of ./figureDefaults.ts. Tables are found by `specTables` (the spec's `datasets`, then inline `data.values`). The path is relative to the
 * working directory (or absolute) and has no extension; missing folders are created. Compiler and runtime
 * warnings are printed, or thrown with `strict: true` (before anything is written).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { checkBoolean, checkOptions, fail } from './checks.js';
import { toCsv } from './csv.js';
import { withFigureDefaults } from './figureDefaults.js';
import { renderSvg, toPng, type PngOptions } from './render.js';
import { specTables } from './specData.js';

export interface SaveFigureOptions {
  /** Options of the PNG (scale, background, fonts). */
  png?: PngOptions;
  /** Throw on Vega-Lite / Vega warnings instead of printing them (default false). */
  strict?: boolean;
}

export interface SavedFigure {
  svg: string;
  png: string;
  vl: string;
  /** One path per table of the spec (none if the spec has no inline data). */
  csv: string[];
}

const FN = 'saveFigure';

/** A file-name-safe form of a table name. */
function fileSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]+/g, '_');
}

export async function saveFigure(chart: TopLevelSpec, path: string, options: SaveFigureOptions = {}): Promise<SavedFigure> {
  const o = checkOptions<SaveFigureOptions>(FN, options, ['png', 'strict']);
  if (chart === null || typeof chart !== 'object' || Array.isArray(chart)) fail(FN, 'spec', chart, 'a Vega-Lite spec object');
  if (typeof path !== 'string' || path.length === 0 || path.endsWith('/')) fail(FN, 'path', path, "a file path without extension, like 'figures/<paper>/<name>'");
  if (/\.(svg|png|csv|json)$/i.test(path)) fail(FN, 'path', path, 'a path without extension (.svg, .png, .vl.json and .csv are added)');
  const strict = o.strict === undefined ? false : checkBoolean(FN, 'strict', o.strict);
  const spec = withFigureDefaults(chart);

  const { svg, warnings } = await renderSvg(spec);
  if (warnings.length && strict) throw new Error(`${FN}: ${path}: the spec rendered with warnings: ${warnings.join('; ')}`);
  for (const w of warnings) console.warn(`${FN}: ${path}: ${w}`);
  const png = toPng(svg, o.png ?? {});

  mkdirSync(dirname(resolve(path)), { recursive: true });
  const out: SavedFigure = { svg: `${path}.svg`, png: `${path}.png`, vl: `${path}.vl.json`, csv: [] };
  writeFileSync(out.svg, svg);
  writeFileSync(out.png, png);
  writeFileSync(out.vl, JSON.stringify(spec, null, 1) + '\n');
  const tables = specTables(spec);
  for (const table of tables) {
    const file = tables.length === 1 ? `${path}.csv` : `${path}-${fileSafe(table.name)}.csv`;
    writeFileSync(file, toCsv(table.values));
    out.csv.push(file);
  }
  return out;
}
