/**
 * The tables inside a Vega-Lite spec: every entry of its top-level `datasets`, then every inline `data.values`
 * array found anywhere in the spec (layers, facets, concatenations), named by `data.name` or, when unnamed,
 * `data1`, `data2`, ... in the order found. Data loaded from a URL, generators and inline strings (`values` given
 * as CSV / JSON text) are not tables of the spec and are skipped.
 */

export interface SpecTable {
  name: string;
  values: readonly unknown[];
}

export function specTables(spec: object): SpecTable[] {
  const out: SpecTable[] = [];
  const seen = new Set<unknown>();
  const used = new Set<string>();
  const add = (name: string, values: readonly unknown[]) => {
    if (seen.has(values)) return;
    seen.add(values);
    let unique = name;
    for (let k = 2; used.has(unique); k++) unique = `${name}${k}`;
    used.add(unique);
    out.push({ name: unique, values });
  };
  const datasets = (spec as { datasets?: Record<string, unknown> }).datasets;
  if (datasets && typeof datasets === 'object') {
    for (const [name, values] of Object.entries(datasets)) if (Array.isArray(values)) add(name, values);
  }
  let unnamed = 0;
  const walk = (node: unknown, isRoot: boolean) => {
    if (Array.isArray(node)) {
      for (const child of node) walk(child, false);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    for (const [key, child] of Object.entries(node)) {
      if (isRoot && key === 'datasets') continue;
      if (key === 'data' && child !== null && typeof child === 'object' && Array.isArray((child as { values?: unknown }).values)) {
        const { name, values } = child as { name?: unknown; values: unknown[] };
        add(typeof name === 'string' && name ? name : `data${++unnamed}`, values);
        continue;
      }
      walk(child, false);
    }
  };
  walk(spec, true);
  return out;
}
