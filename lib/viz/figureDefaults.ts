/**
 * The look every saved or shown chart shares, applied by `saveFigure` and `show` (so the written `.vl.json` is the
 * spec as drawn): readable fonts (legend and tick labels 11 px, titles 12 px; Vega's defaults are 8 to 10 px),
 * room between neighbouring tick labels, legend swatches at full opacity (a band layer's pale swatch otherwise
 * stands for a line), and subtitle lines wrapped at SUBTITLE_WIDTH pixels, so that a long note does not widen the
 * canvas beyond the chart. A spec's own `config` wins over these defaults.
 */
import type { TopLevelSpec } from 'vega-lite';
import { textWidthEstimate } from './textWidth.js';

/** Width in pixels at which subtitle lines wrap. */
export const SUBTITLE_WIDTH = 620;
const SUBTITLE_FONT_SIZE = 12;

export const FIGURE_CONFIG = {
  title: { fontSize: 15, subtitleFontSize: SUBTITLE_FONT_SIZE, subtitlePadding: 4 },
  axis: { labelFontSize: 11, titleFontSize: 12, labelSeparation: 4 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 320, symbolOpacity: 1 },
} as const;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `over` laid over `under`, objects merged key by key. */
function merge(under: Json, over: Json): Json {
  const out: Json = { ...under };
  for (const [k, v] of Object.entries(over)) out[k] = isObject(v) && isObject(out[k]) ? merge(out[k] as Json, v) : v;
  return out;
}

/** `line` broken at spaces into lines no wider than `width` pixels (a word wider than that stays whole). */
export function wrapLine(line: string, width: number, fontSize: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of line.split(' ')) {
    const candidate = current ? `${current} ${word}` : word;
    if (current && textWidthEstimate(candidate, fontSize) > width) {
      lines.push(current);
      current = word;
    } else current = candidate;
  }
  lines.push(current);
  return lines;
}

/** The spec with the shared config under its own and its subtitle wrapped (a new object; `spec` is not changed). */
export function withFigureDefaults(spec: TopLevelSpec): TopLevelSpec {
  const s = spec as unknown as Json;
  const out: Json = { ...s, config: merge(FIGURE_CONFIG as unknown as Json, isObject(s.config) ? s.config : {}) };
  if (isObject(s.title) && s.title.subtitle !== undefined) {
    const lines = ([] as unknown[]).concat(s.title.subtitle).map(String);
    out.title = { ...s.title, subtitle: lines.flatMap((l) => wrapLine(l, SUBTITLE_WIDTH, SUBTITLE_FONT_SIZE)) };
  }
  return out as unknown as TopLevelSpec;
}
