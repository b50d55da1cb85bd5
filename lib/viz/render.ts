/**
 * Static rendering in Node, no browser: Vega-Lite spec -> (vega-lite compile) -> Vega spec -> (vega View,
 * headless) -> SVG string -> (resvg) -> PNG bytes.
 *
 *   const svg = await toSvg(spec);              // compile/runtime warnings go to console.warn
 *   const { svg, warnings } = await renderSvg(spec);   // ... or are returned
 *   const png = toPng(svg, { scale: 2 });       // Uint8Array, white background, DejaVu fonts
 */
import { Resvg } from '@resvg/resvg-js';
import type { TopLevelSpec } from 'vega-lite';
import { checkOptions, checkPositive, checkString, checkStringList, fail } from './checks.js';
import { loadVega, loadVegaLite } from './esm.js';
import { defaultFontSetup } from './fonts.js';
import { uniqueSvgIds } from './svgIds.js';
import { useFontTextWidths } from './textWidth.js';

export interface RenderedSvg {
  svg: string;
  /** Warnings from the Vega-Lite compiler and the Vega runtime (empty for a clean spec). */
  warnings: string[];
}

interface CollectingLogger {
  level(): number;
  level(n: number): CollectingLogger;
  error(...args: unknown[]): CollectingLogger;
  warn(...args: unknown[]): CollectingLogger;
  info(...args: unknown[]): CollectingLogger;
  debug(...args: unknown[]): CollectingLogger;
}

function collectingLogger(errors: string[], warnings: string[]): CollectingLogger {
  let level = 2;
  const text = (args: unknown[]) => args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ');
  const logger: CollectingLogger = {
    level: ((n?: number) => {
      if (n === undefined) return level;
      level = n;
      return logger;
    }) as CollectingLogger['level'],
    error: (...args) => (errors.push(text(args)), logger),
    warn: (...args) => (warnings.push(text(args)), logger),
    info: () => logger,
    debug: () => logger,
  };
  return logger;
}

function checkSpec(fn: string, spec: unknown): void {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) fail(fn, 'spec', spec, 'a Vega-Lite spec object');
}

/**
 * Compile a Vega-Lite spec to a Vega spec; throws on compile errors, returns the warnings. The spec is compiled
 * from a JSON copy: Vega's dataflow writes into the data objects it is given (tuple ids, `calculate` fields), and
 * the caller's spec must stay as it was (its tables are written to CSV); NaN becomes null, as in a saved spec.
 */
export async function compileSpec(spec: TopLevelSpec): Promise<{ vega: object; warnings: string[] }> {
  checkSpec('compileSpec', spec);
  const vl = await loadVegaLite();
  const errors: string[] = [];
  const warnings: string[] = [];
  let compiled: { spec: object };
  try {
    compiled = vl.compile(JSON.parse(JSON.stringify(spec)) as TopLevelSpec, { logger: collectingLogger(errors, warnings) as never });
  } catch (e) {
    throw new Error(`compileSpec: Vega-Lite could not compile the spec: ${(e as Error).message}`);
  }
  if (errors.length) throw new Error(`compileSpec: Vega-Lite reported errors: ${errors.join('; ')}`);
  return { vega: compiled.spec, warnings };
}

/**
 * Render a Vega-Lite spec to an SVG string, returning compiler and runtime warnings alongside. Element ids
 * (gradients, clip paths) carry a prefix derived from the SVG, so that charts inlined in one page do not clash.
 */
export async function renderSvg(spec: TopLevelSpec): Promise<RenderedSvg> {
  const { vega: vgSpec, warnings } = await compileSpec(spec);
  const vega = await loadVega();
  useFontTextWidths(vega);
  const errors: string[] = [];
  const view = new vega.View(vega.parse(vgSpec as never), {
    renderer: 'none',
    logger: collectingLogger(errors, warnings) as never,
    logLevel: vega.Warn,
  });
  try {
    const svg = uniqueSvgIds(await view.toSVG());
    if (errors.length) throw new Error(`renderSvg: Vega reported errors: ${errors.join('; ')}`);
    return { svg, warnings };
  } finally {
    view.finalize();
  }
}

/**
 * Render a Vega-Lite spec to an SVG string. Warnings are printed with console.warn, or, with
 * `{ strict: true }`, thrown as an error.
 */
export async function toSvg(spec: TopLevelSpec, options: { strict?: boolean } = {}): Promise<string> {
  const o = checkOptions<{ strict?: boolean }>('toSvg', options, ['strict']);
  const { svg, warnings } = await renderSvg(spec);
  if (warnings.length && o.strict) throw new Error(`toSvg: the spec rendered with warnings: ${warnings.join('; ')}`);
  for (const w of warnings) console.warn(`toSvg: ${w}`);
  return svg;
}

export interface PngOptions {
  /** Pixels per SVG unit (default 2: a 400 px wide chart gives an 800 px wide PNG). */
  scale?: number;
  /** CSS background colour (default 'white'; 'transparent' keeps the alpha where the SVG paints nothing: Vega's SVGs paint their own config background, white unless the spec sets `background`). */
  background?: string;
  /** Font files to use instead of the DejaVu fonts found on the system (see fonts.ts). */
  fontFiles?: string[];
  /** Font family that replaces the generic families ('sans-serif', ...) when `fontFiles` is given. */
  fontFamily?: string;
}

/** Rasterise an SVG string to PNG bytes with resvg. */
export function toPng(svg: string, options: PngOptions = {}): Uint8Array {
  const o = checkOptions<PngOptions>('toPng', options, ['scale', 'background', 'fontFiles', 'fontFamily']);
  if (typeof svg !== 'string' || !/<svg[\s>]/.test(svg)) fail('toPng', 'svg', svg, 'an SVG document string (from toSvg)');
  const scale = o.scale === undefined ? 2 : checkPositive('toPng', 'scale', o.scale);
  const background = o.background === undefined ? 'white' : checkString('toPng', 'background', o.background);
  let font: object;
  if (o.fontFiles !== undefined) {
    const family = o.fontFamily === undefined ? undefined : checkString('toPng', 'fontFamily', o.fontFamily);
    font = {
      loadSystemFonts: false,
      fontFiles: checkStringList('toPng', 'fontFiles', o.fontFiles),
      ...(family ? { defaultFontFamily: family, sansSerifFamily: family, serifFamily: family, monospaceFamily: family } : {}),
    };
  } else {
    if (o.fontFamily !== undefined) fail('toPng', 'fontFamily', o.fontFamily, 'no fontFamily without fontFiles');
    font = defaultFontSetup();
  }
  const resvg = new Resvg(svg, {
    font,
    fitTo: { mode: 'zoom', value: scale },
    ...(background === 'transparent' ? {} : { background }),
  });
  return resvg.render().asPng();
}
