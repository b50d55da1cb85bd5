/**
 * Rows of records to CSV (RFC 4180): a header of the union of the keys (in order of first appearance), one line
 * per row, '\n' line ends. Numbers are written in JavaScript's shortest round-trip form (`String(x)`), so
 * `Number(cell) === x` exactly; NaN / Infinity / -Infinity are written as those words (Number() reads them back).
 * null / undefined are empty fields; an empty string is `""`. Strings are quoted when they contain a comma, a quote,
 * a line break or leading / trailing spaces. Other values (objects) are written as JSON.
 */

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  const s = typeof value === 'string' ? value : value instanceof Date ? value.toISOString() : JSON.stringify(value);
  const needsQuotes = s === '' || /[",\r\n]/.test(s) || s !== s.trim();
  return needsQuotes ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The CSV text of `rows` (objects; arrays of primitives become a single column named "data", as in Vega-Lite). */
export function toCsv(rows: readonly unknown[]): string {
  const records = rows.map((r) => (r !== null && typeof r === 'object' && !Array.isArray(r) ? (r as Record<string, unknown>) : { data: r }));
  const columns: string[] = [];
  const known = new Set<string>();
  for (const r of records) {
    for (const k of Object.keys(r)) {
      if (!known.has(k)) {
        known.add(k);
        columns.push(k);
      }
    }
  }
  const lines = [columns.map((c) => cell(c)).join(',')];
  for (const r of records) lines.push(columns.map((c) => cell(r[c])).join(','));
  return lines.join('\n') + '\n';
}
