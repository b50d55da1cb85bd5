/**
 * Vega names the gradients and clip paths of an SVG with a per-process counter (`gradient_0`, `clip3`), and a
 * browser running vega-embed counts from 0 too. Several SVGs inlined in one HTML page (a notebook, its HTML
 * export) then share ids, and `url(#gradient_0)` in one chart picks the gradient of another (a legend painted
 * in the wrong colours). We rename every id of an SVG with a hash of its content: unique across different charts,
 * and the same for the same chart, so figure files do not change from run to run.
 */

/** 32-bit FNV-1a hash of a string, as 8 hex digits. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Rename the ids of the SVG to `v<hash>-<name><k>` (k = order of first appearance, `name` = the id without its
 * counter digits), with their `url(#x)` and `href="#x"` references. The hash is taken after numbering the ids in
 * order, so the same chart gives the same SVG whatever Vega's counters were.
 */
export function uniqueSvgIds(svg: string): string {
  const ids = [...new Set([...svg.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]))];
  if (ids.length === 0) return svg;
  const pattern = new RegExp(`(\\sid="|url\\(#|href="#)(${ids.map(escape).join('|')})(?=[")])`, 'g');
  const local = new Map(ids.map((id, k) => [id, `${id.replace(/\d+$/, '')}${k}`]));
  const numbered = svg.replace(pattern, (_m, lead: string, id: string) => `${lead}${local.get(id)}`);
  const prefix = `v${fnv1a(numbered)}-`;
  return svg.replace(pattern, (_m, lead: string, id: string) => `${lead}${prefix}${local.get(id)}`);
}
