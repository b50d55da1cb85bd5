/**
 * Options shared by every chart builder, and the top-level wrapper that turns a builder's layers into a
 * self-contained Vega-Lite spec: every table the chart draws is inline, under the spec's `datasets`
 * (`{ datasets: { points: [...], density: [...] }, layer: [{ data: { name: 'points' }, ... }] }`), so the spec
 * needs no file or URL and `saveFigure` can write each table as a CSV.
 */
import type { TopLevelSpec } from 'vega-lite';
import { checkOptions, checkPositive, checkString, checkStringList, fail } from './checks.js';

export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Options every builder accepts. */
export interface ChartOptions {
  /** Chart title (default: none). */
  title?: string;
  /** Line under the title. Notes the builder adds (thinning, dropped non-finite points) are appended to it. */
  subtitle?: string;
  /** Width of the plotting area in pixels (default depends on the chart; per panel for faceted charts). */
  width?: number;
  /** Height of the plotting area in pixels. */
  height?: number;
  /** Axis titles (defaults depend on the chart). */
  xTitle?: string;
  yTitle?: string;
  /** CSS colours for the series / sets, in order (default: Vega's tableau10). */
  colors?: string[];
}

export const CHART_OPTION_NAMES = ['title', 'subtitle', 'width', 'height', 'xTitle', 'yTitle', 'colors'] as const;

export interface ResolvedChartOptions {
  title?: string;
  subtitle?: string;
  width: number;
  height: number;
  xTitle: string;
  yTitle: string;
  colors?: string[];
}

/**
 * Check the options object of builder `fn` (known = the shared names plus `extra`; `required` must be present)
 * and resolve the shared ones against the builder's defaults.
 */
export function readChartOptions<T extends ChartOptions>(
  fn: string,
  options: unknown,
  extra: readonly string[],
  required: readonly string[],
  defaults: { width: number; height: number; xTitle: string; yTitle: string },
): { options: T; chart: ResolvedChartOptions } {
  const o = checkOptions<T>(fn, options, [...required, ...extra, ...CHART_OPTION_NAMES], required);
  const chart: ResolvedChartOptions = {
    width: o.width === undefined ? defaults.width : checkPositive(fn, 'width', o.width),
    height: o.height === undefined ? defaults.height : checkPositive(fn, 'height', o.height),
    xTitle: o.xTitle === undefined ? defaults.xTitle : checkString(fn, 'xTitle', o.xTitle, true),
    yTitle: o.yTitle === undefined ? defaults.yTitle : checkString(fn, 'yTitle', o.yTitle, true),
  };
  if (o.title !== undefined) chart.title = checkString(fn, 'title', o.title, true);
  if (o.subtitle !== undefined) chart.subtitle = checkString(fn, 'subtitle', o.subtitle, true);
  if (o.colors !== undefined) chart.colors = checkStringList(fn, 'colors', o.colors);
  return { options: o, chart };
}

/** A colour scale for `domain` from the user's colours (too few colours is an error), or Vega's default. */
export function categoricalScale(fn: string, domain: string[], colors?: string[]): Record<string, unknown> {
  if (!colors) return { domain };
  if (colors.length < domain.length) {
    fail(fn, 'colors', colors, `at least ${domain.length} colours, one per series (${domain.map((d) => JSON.stringify(d)).join(', ')})`);
  }
  return { domain, range: colors.slice(0, domain.length) };
}

/**
 * Wrap a builder's view (layer / facet / encoding ...) into a top-level spec with inline `datasets`, the title
 * (user subtitle plus the builder's notes) and `usermeta.samplingLab = { chart, notes }`.
 */
export function topLevelSpec(
  chartName: string,
  chart: ResolvedChartOptions,
  datasets: Record<string, object[]>,
  view: Record<string, unknown>,
  notes: string[] = [],
): TopLevelSpec {
  const subtitle = [chart.subtitle, ...notes].filter((s): s is string => s !== undefined && s.length > 0);
  const spec: Record<string, unknown> = { $schema: VEGA_LITE_SCHEMA };
  if (chart.title !== undefined || subtitle.length > 0) {
    spec.title = subtitle.length > 0 ? { text: chart.title ?? '', subtitle } : { text: chart.title };
  }
  spec.datasets = datasets;
  Object.assign(spec, view);
  spec.usermeta = { samplingLab: { chart: chartName, notes } };
  return spec as unknown as TopLevelSpec;
}
