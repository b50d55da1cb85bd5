/**
 * Shared fixtures of the viz tests: seeded data, counting the marks Vega drew in an SVG, and a small PNG decoder
 * (resvg writes 8-bit RGBA, non-interlaced) to look at the pixels.
 */
import assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';
import { DOMParser } from 'linkedom';
import { renderSvg } from '../../lib/viz/render.js';

/** A seeded standard-normal generator (Park-Miller + Box-Muller): test data only. */
export function normals(seed: number): () => number {
  let s = seed;
  const u = () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** n rows of d independent N(mean_j, 1) draws. */
export function gaussianRows(seed: number, n: number, mean: number[]): number[][] {
  const z = normals(seed);
  return Array.from({ length: n }, () => mean.map((m) => m + z()));
}

/** Render a spec and assert that Vega-Lite and Vega raised no warning. */
export async function renderClean(spec: object): Promise<string> {
  const { svg, warnings } = await renderSvg(spec as never);
  assert.deepEqual(warnings, [], 'the spec compiles and renders without warnings');
  return svg;
}

/**
 * Items drawn by data marks of one Vega mark type ('symbol' for points, 'rect' for rects and bars, 'rule', 'line',
 * 'area', 'text'): the children of every `<g class="mark-<type> role-mark ...">` group. Axes, legends and titles
 * are other roles and are not counted. A line or area is one item per series.
 */
export function markItems(svg: string, type: string, group?: string): number {
  return markElements(svg, type, group).length;
}

/** The elements counted by markItems; `group` keeps only mark groups with that class (e.g. 'layer_1_marks'). */
export function markElements(svg: string, type: string, group?: string): { getAttribute(name: string): string | null }[] {
  const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
  const out: { getAttribute(name: string): string | null }[] = [];
  for (const g of doc.querySelectorAll('g')) {
    const cls = (g.getAttribute('class') ?? '').split(/\s+/);
    if (cls.includes(`mark-${type}`) && cls.includes('role-mark') && (group === undefined || cls.includes(group))) out.push(...g.children);
  }
  return out;
}

/** The `d` attributes of the paths drawn by data marks of one type (one per line / area series). */
export function markPaths(svg: string, type: string): string[] {
  const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
  const out: string[] = [];
  for (const g of doc.querySelectorAll('g')) {
    const cls = (g.getAttribute('class') ?? '').split(/\s+/);
    if (cls.includes(`mark-${type}`) && cls.includes('role-mark')) {
      for (const p of g.children) if (p.getAttribute('d')) out.push(p.getAttribute('d')!);
    }
  }
  return out;
}

/** The texts Vega wrote (axis labels, titles, legend labels, text marks). */
export function svgTexts(svg: string): string[] {
  const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
  return [...doc.querySelectorAll('text')].map((t) => t.textContent ?? '');
}

export interface DecodedPng {
  width: number;
  height: number;
  /** RGBA, row-major. */
  rgba: Uint8Array;
}

/** Decode an 8-bit RGBA (colour type 6) or RGB (type 2) non-interlaced PNG. Throws on anything else or bad CRC-free structure. */
export function decodePng(bytes: Uint8Array): DecodedPng {
  const buf = Buffer.from(bytes);
  assert.deepEqual([...buf.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  let pos = 8;
  let width = 0;
  let height = 0;
  let colorType = 0;
  const idat: Buffer[] = [];
  let sawEnd = false;
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const body = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      assert.equal(body[8], 8, 'bit depth 8');
      colorType = body[9];
      assert.ok(colorType === 6 || colorType === 2, `colour type ${colorType}`);
      assert.equal(body[12], 0, 'not interlaced');
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') sawEnd = true;
    pos += 12 + len;
  }
  assert.ok(sawEnd, 'PNG has an IEND chunk');
  const channels = colorType === 6 ? 4 : 3;
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  assert.equal(raw.length, height * (stride + 1), 'decompressed size matches the header');
  const out = new Uint8Array(width * height * 4);
  const prev = new Uint8Array(stride);
  const cur = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? cur[i - channels] : 0;
      const b = prev[i];
      const c = i >= channels ? prev[i - channels] : 0;
      let pred = 0;
      if (filter === 1) pred = a;
      else if (filter === 2) pred = b;
      else if (filter === 3) pred = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else assert.equal(filter, 0, `PNG filter type ${filter}`);
      cur[i] = (line[i] + pred) & 0xff;
    }
    for (let x = 0; x < width; x++) {
      for (let k = 0; k < 4; k++) out[(y * width + x) * 4 + k] = k < channels ? cur[x * channels + k] : 255;
    }
    prev.set(cur);
  }
  return { width, height, rgba: out };
}

/** Number of pixels in a rectangle that differ from the background colour (default white). */
export function inkPixels(png: DecodedPng, box = { x: 0, y: 0, width: png.width, height: png.height }, background = [255, 255, 255]): number {
  let n = 0;
  for (let y = box.y; y < box.y + box.height; y++) {
    for (let x = box.x; x < box.x + box.width; x++) {
      const i = (y * png.width + x) * 4;
      if (Math.abs(png.rgba[i] - background[0]) + Math.abs(png.rgba[i + 1] - background[1]) + Math.abs(png.rgba[i + 2] - background[2]) > 30) n++;
    }
  }
  return n;
}

/** Minimal RFC 4180 CSV reader (quoted fields, doubled quotes, '\n' line ends) for round-trip checks. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (ch === '"') quoted = false;
      else field += ch;
      i++;
      continue;
    }
    if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
    i++;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
