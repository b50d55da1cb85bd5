/**
 * Figure helpers of the SLIPS experiments: the summary over seeds behind every curve, and `concatPanels`, which
 * puts several single-panel charts of lib/viz (sweepCurves, scatterOverDensity) side by side in one self-contained
 * Vega-Lite spec. Each panel's tables move to the top-level `datasets` under the panel's name (tables with the
 * same rows are stored once), so `saveFigure` writes one CSV per panel table.
 */
import type { TopLevelSpec } from 'vega-lite';
import { VEGA_LITE_SCHEMA } from '../../viz/chartOptions.js';

export interface SeedSummary {
  mean: number | null;
  /** Min and max over the seeds (the band of the curves). */
  min: number | null;
  max: number | null;
  /** Sample standard deviation over the seeds (null with one seed). */
  sd: number | null;
  /** Seeds with a finite value. */
  count: number;
}

/** Mean, min, max and sd of the finite values (all null when there is none). */
export function summariseValues(values: readonly number[]): SeedSummary {
  const finite = values.filter(Number.isFinite);
  const n = finite.length;
  if (n === 0) return { mean: null, min: null, max: null, sd: null, count: 0 };
  const mean = finite.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(finite.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : null;
  return { mean, min: Math.min(...finite), max: Math.max(...finite), sd, count: n };
}

/**
 * Group `rows` by the `by` columns and summarise each `values` column over the group (typically the seeds):
 * one output row per group with `<value>Mean`, `<value>Min`, `<value>Max`, `<value>Sd`, plus `seeds`.
 */
export function summariseOverSeeds<R extends object>(rows: readonly R[], by: readonly (keyof R & string)[], values: readonly (keyof R & string)[]): Record<string, unknown>[] {
  const groups = new Map<string, R[]>();
  for (const r of rows) {
    const id = JSON.stringify(by.map((k) => r[k]));
    if (!groups.has(id)) groups.set(id, []);
    groups.get(id)!.push(r);
  }
  return [...groups.values()].map((group) => {
    const out: Record<string, unknown> = {};
    for (const k of by) out[k] = group[0][k];
    out.seeds = group.length;
    for (const v of values) {
      const s = summariseValues(group.map((r) => Number(r[v])));
      out[`${v}Mean`] = s.mean;
      out[`${v}Min`] = s.min;
      out[`${v}Max`] = s.max;
      out[`${v}Sd`] = s.sd;
    }
    return out;
  });
}

/**
 * A copy of a chart whose x axis shows exactly `values` (ticks) on the domain [min, max] of the values, keeping the
 * axis type (e.g. log): the default log axis of a short range is padded out to whole decades. Every value is labelled.
 */
export function withXTicks(spec: TopLevelSpec, values: readonly number[]): TopLevelSpec {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
      if (k === 'encoding' && v !== null && typeof v === 'object' && 'x' in v) {
        const x = (v as { x: Record<string, unknown> }).x;
        const scale = { ...((x.scale as object | undefined) ?? {}), domain: [lo, hi], nice: false };
        // every given tick keeps its label: no overlap removal, and the last label centred on its tick (flush, it
        // was pushed into its neighbour and dropped: S2 lost its last tick)
        const axis = { ...((x.axis as object | undefined) ?? {}), values: [...values], labelOverlap: false, labelFlush: false };
        out[k] = { ...(walk(v) as object), x: { ...x, scale, axis } };
      } else {
        out[k] = walk(v);
      }
    }
    return out;
  };
  return walk(spec) as TopLevelSpec;
}

export interface Panel {
  /** File-name-safe name of the panel (its tables become `<name>` or `<name>_<table>`). */
  name: string;
  spec: TopLevelSpec;
}

export interface ConcatOptions {
  title: string;
  subtitle?: string[];
  /** Panels per row (default: all in one row). */
  columns?: number;
  /** Give each panel its own colour scale and legend (default false: one shared legend, same series colours). */
  independentColors?: boolean;
}

/** A deep copy of a view with every `data: { name }` renamed through `rename`. */
function renameData(node: unknown, rename: Map<string, string>): unknown {
  if (Array.isArray(node)) return node.map((v) => renameData(v, rename));
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
    if (k === 'data' && v !== null && typeof v === 'object' && typeof (v as { name?: unknown }).name === 'string') {
      const name = (v as { name: string }).name;
      out[k] = { ...(v as object), name: rename.get(name) ?? name };
    } else {
      out[k] = renameData(v, rename);
    }
  }
  return out;
}

/** The panels side by side (`concat`, `columns` per row); axes are per panel. */
export function concatPanels(panels: readonly Panel[], options: ConcatOptions): TopLevelSpec {
  const seen = new Set<string>();
  const parts = panels.map(({ name, spec }) => {
    if (!/^[A-Za-z0-9_]+$/.test(name) || seen.has(name)) {
      throw new Error(`concatPanels: panel name ${JSON.stringify(name)} must be unique and made of letters, digits and _`);
    }
    seen.add(name);
    const { $schema: _schema, datasets: own, usermeta: _meta, ...view } = spec as unknown as Record<string, unknown>;
    const tables = Object.entries((own ?? {}) as Record<string, object[]>).map(([table, rows]) => ({ table, rows, content: JSON.stringify(rows) }));
    return { name, view, tables };
  });
  // A table with the same rows in several panels (e.g. the density under every scatter) is stored once, under its
  // own name; the others under the panel's name.
  const users = new Map<string, number>();
  for (const p of parts) for (const t of p.tables) users.set(t.content, (users.get(t.content) ?? 0) + 1);
  const datasets: Record<string, object[]> = {};
  const views = parts.map(({ name, view, tables }) => {
    const rename = new Map<string, string>();
    for (const { table, rows, content } of tables) {
      const renamed = users.get(content)! > 1 ? `shared_${table}` : tables.length === 1 ? name : `${name}_${table}`;
      if (renamed in datasets && JSON.stringify(datasets[renamed]) !== content) {
        throw new Error(`concatPanels: two different shared tables named ${JSON.stringify(table)}`);
      }
      datasets[renamed] = rows;
      rename.set(table, renamed);
    }
    return renameData(view, rename);
  });
  const spec: Record<string, unknown> = {
    $schema: VEGA_LITE_SCHEMA,
    title: { text: options.title, subtitle: options.subtitle ?? [] },
    datasets,
    concat: views,
    columns: options.columns ?? panels.length,
    spacing: 24,
  };
  if (options.independentColors) spec.resolve = { scale: { color: 'independent' }, legend: { color: 'independent' } };
  return spec as unknown as TopLevelSpec;
}
