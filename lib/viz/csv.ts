/**
 * Rows of records to CSV with arquero's `toCSV` (RFC 4180 quoting: a field with a comma, a quote or a line break is
 * quoted; '\n' line ends). The header is the union of the keys (in order of first appearance), not only the first
 * row's. Numbers are written as `String(x)`, JavaScript's shortest round-trip form, so `Number(cell) === x`
 * exactly; NaN / Infinity / -Infinity are written as those words (Number() reads them back). null, undefined and
 * the empty string are empty fields. Objects and arrays are written as JSON (arquero alone would write
 * "[object Object]", and an array as its items joined by commas). Dates are written as arquero writes them (UTC).
 */
import * as aq from 'arquero';

const asJson = (value: unknown) => (value !== null && typeof value === 'object' && !(value instanceof Date) ? JSON.stringify(value) : value);

/** The CSV text of `rows` (objects; arrays of primitives become a single column named "data", as in Vega-Lite). */
export function toCsv(rows: readonly unknown[]): string {
  const records = rows.map((r) => (r !== null && typeof r === 'object' && !Array.isArray(r) ? (r as Record<string, unknown>) : { data: r }));
  const columns = [...new Set(records.flatMap((r) => Object.keys(r)))];
  const format = Object.fromEntries(columns.map((c) => [c, asJson]));
  return aq.from(records, columns).toCSV({ format });
}
