/**
 * Text widths for Vega's layout in Node, from the advance widths of the DejaVu fonts that the PNGs are drawn with.
 * Without a canvas, Vega estimates a string's width as 0.8 em per character, about 1.4 times DejaVu Sans' real
 * average (0.55 to 0.6 em): a long subtitle then widens the whole SVG (f1-1 had 40 % empty space on the right)
 * and legend labels are cut at half their limit ("learned q_t (DSM e…"). `useFontTextWidths(vega)` replaces Vega's
 * estimate with the sum of the glyphs' advance widths (no kerning), the hook Vega offers for this
 * (`textMetrics.width`, as vl-convert uses it).
 *
 * The advance widths are read from the TrueType file (tables head, hhea, hmtx and a format-4 cmap) by the few lines
 * below: no kept dependency reads fonts (node-canvas, which Vega would use, needs Cairo; resvg-js measures only ink
 * bounding boxes, at 14 ms a string). When no DejaVu file is found, Vega's estimate stays.
 */
import { readFileSync } from 'node:fs';
import { findDejaVuFonts } from './fonts.js';

/** Advance width in em of each character a font maps (code points of the Basic Multilingual Plane). */
export interface FontWidths {
  advance: Map<number, number>;
  /** Width of a character the font lacks (the advance of '0'). */
  fallback: number;
}

/** The advance widths of a TrueType font file, in em. */
export function readFontWidths(path: string): FontWidths {
  const bytes = readFileSync(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tables = new Map<string, number>();
  const numTables = view.getUint16(4);
  for (let i = 0; i < numTables; i++) {
    const record = 12 + 16 * i;
    tables.set(bytes.toString('latin1', record, record + 4), view.getUint32(record + 8));
  }
  const table = (tag: string) => {
    const at = tables.get(tag);
    if (at === undefined) throw new Error(`readFontWidths: ${path} has no "${tag}" table, expected a TrueType font`);
    return at;
  };
  const unitsPerEm = view.getUint16(table('head') + 18);
  const numberOfHMetrics = view.getUint16(table('hhea') + 34);
  const hmtx = table('hmtx');
  const glyphAdvance = (glyph: number) => view.getUint16(hmtx + 4 * Math.min(glyph, numberOfHMetrics - 1)) / unitsPerEm;

  // The Unicode BMP subtable (platform 3 encoding 1, or platform 0) in format 4: segments of code points.
  const cmap = table('cmap');
  let sub = -1;
  for (let i = 0; i < view.getUint16(cmap + 2); i++) {
    const platform = view.getUint16(cmap + 4 + 8 * i);
    const encoding = view.getUint16(cmap + 6 + 8 * i);
    const at = cmap + view.getUint32(cmap + 8 + 8 * i);
    if ((platform === 3 && encoding === 1) || platform === 0) {
      if (view.getUint16(at) === 4) sub = at;
      if (platform === 3) break;
    }
  }
  if (sub < 0) throw new Error(`readFontWidths: ${path} has no format-4 Unicode cmap`);
  const segCount = view.getUint16(sub + 6) / 2;
  const ends = sub + 14;
  const starts = ends + 2 * segCount + 2;
  const deltas = starts + 2 * segCount;
  const rangeOffsets = deltas + 2 * segCount;
  const advance = new Map<number, number>();
  for (let s = 0; s < segCount; s++) {
    const start = view.getUint16(starts + 2 * s);
    const end = view.getUint16(ends + 2 * s);
    const delta = view.getUint16(deltas + 2 * s);
    const rangeOffset = view.getUint16(rangeOffsets + 2 * s);
    for (let c = start; c <= end && c !== 0xffff; c++) {
      let glyph: number;
      if (rangeOffset === 0) glyph = (c + delta) & 0xffff;
      else {
        glyph = view.getUint16(rangeOffsets + 2 * s + rangeOffset + 2 * (c - start));
        if (glyph !== 0) glyph = (glyph + delta) & 0xffff;
      }
      if (glyph !== 0) advance.set(c, glyphAdvance(glyph));
    }
  }
  return { advance, fallback: advance.get(0x30) ?? 0.6 };
}

/** Width in pixels of `text` set in `font` at `fontSize` px. */
export function textWidth(font: FontWidths, text: string, fontSize: number): number {
  let em = 0;
  for (const ch of text) em += font.advance.get(ch.codePointAt(0)!) ?? font.fallback;
  return em * fontSize;
}

interface TextItem {
  fontSize?: number;
  fontWeight?: string | number;
  limit?: number;
}

interface VegaTextMetrics {
  width: (item: TextItem, text: unknown) => number;
}

let installed: { regular: FontWidths; bold: FontWidths } | null | undefined;

function dejaVuWidths(): { regular: FontWidths; bold: FontWidths } | null {
  if (installed === undefined) {
    const files = findDejaVuFonts();
    const regular = files.find((f) => f.endsWith('/DejaVuSans.ttf'));
    const bold = files.find((f) => f.endsWith('/DejaVuSans-Bold.ttf'));
    installed = regular ? { regular: readFontWidths(regular), bold: readFontWidths(bold ?? regular) } : null;
  }
  return installed;
}

/** Width in pixels of `text` in DejaVu Sans at `fontSize` px, or Vega's estimate (0.8 em a character) without DejaVu. */
export function textWidthEstimate(text: string, fontSize: number, bold = false): number {
  const fonts = dejaVuWidths();
  if (!fonts) return 0.8 * [...text].length * fontSize;
  return textWidth(bold ? fonts.bold : fonts.regular, text, fontSize);
}

/**
 * Make `vega` measure text with the DejaVu advance widths (once per process; no-op without DejaVu). A width over
 * the item's `limit` is reported as the limit: Vega truncates such a text to fit it, through this same function.
 */
export function useFontTextWidths(vega: object): void {
  if (!dejaVuWidths()) return;
  (vega as { textMetrics: VegaTextMetrics }).textMetrics.width = (item, text) => {
    const size = item.fontSize != null ? +item.fontSize || 0 : 11;
    const weight = item.fontWeight;
    const isBold = weight === 'bold' || weight === 'bolder' || Number(weight) >= 600;
    const width = textWidthEstimate(text == null ? '' : String(text).trim(), size, isBold);
    const limit = Number(item.limit);
    return limit > 0 ? Math.min(width, limit) : width;
  };
}
