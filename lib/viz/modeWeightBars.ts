/**
 * Estimated mode weights against the true ones: grouped bars (one group per mode, one bar per method) with the
 * true weight of each mode drawn as a black tick across its group.
 *
 *   modeWeightBars({ estimated: modeWeights(assign, k), truth: target.modes.weights })
 *   modeWeightBars({ estimated: { MALA: wMala, SMC: wSmc }, truth })
 *   modeWeightBars({ estimated: [{ method: 'MALA', weights: wMala }, ...], truth })
 *
 * Weights must be finite and >= 0; they need not sum to 1 (a sampler may have forgotten mass).
 * Datasets in the spec: `estimated` {mode, method, weight}, `truth` {mode, weight}.
 */
import type { TopLevelSpec } from 'vega-lite';
import { checkString, fail, failEntry } from './checks.js';
import { categoricalScale, readChartOptions, topLevelSpec, type ChartOptions } from './chartOptions.js';

export interface MethodWeights {
  method: string;
  weights: ArrayLike<number>;
}

export interface ModeWeightBarsOptions extends ChartOptions {
  /** One method's weights, a record method -> weights, or a list of { method, weights }. */
  estimated: ArrayLike<number> | Record<string, ArrayLike<number>> | readonly MethodWeights[];
  /** The true weights, one per mode. */
  truth: ArrayLike<number>;
  /** Mode names (default 1, 2, ...). */
  modeNames?: string[];
  /** Name of the method when `estimated` is a single array (default 'estimate'). */
  method?: string;
  /** Legend name of the truth ticks (default 'truth'). */
  truthLabel?: string;
}

const FN = 'modeWeightBars';
const EXTRA = ['modeNames', 'method', 'truthLabel'] as const;

function readWeights(option: string, value: unknown, k?: number): Float64Array {
  if (!(Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView)))) fail(FN, option, value, 'an array of weights');
  const a = value as ArrayLike<unknown>;
  if (a.length === 0) fail(FN, option, value, 'at least one weight (got an empty array)');
  if (k !== undefined && a.length !== k) fail(FN, option, value, `${k} weights, one per mode of "truth", got ${a.length}`);
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) failEntry(FN, option, `[${i}]`, v, 'a finite weight >= 0');
    out[i] = v;
  }
  return out;
}

export function modeWeightBars(options: ModeWeightBarsOptions): TopLevelSpec {
  // Default width: enough for the bars of every mode (set below, once modes and methods are known).
  const { options: o, chart } = readChartOptions<ModeWeightBarsOptions>(FN, options, EXTRA, ['estimated', 'truth'], {
    width: 1,
    height: 220,
    xTitle: 'mode',
    yTitle: 'weight',
  });
  const truth = readWeights('truth', o.truth);
  const k = truth.length;
  const truthLabel = o.truthLabel === undefined ? 'truth' : checkString(FN, 'truthLabel', o.truthLabel);
  let modes: string[];
  if (o.modeNames === undefined) modes = Array.from({ length: k }, (_, i) => String(i + 1));
  else {
    if (!Array.isArray(o.modeNames) || o.modeNames.length !== k) fail(FN, 'modeNames', o.modeNames, `${k} names, one per mode of "truth"`);
    o.modeNames.forEach((n, i) => checkString(FN, `modeNames[${i}]`, n));
    if (new Set(o.modeNames).size !== k) fail(FN, 'modeNames', o.modeNames, 'distinct names');
    modes = o.modeNames;
  }

  const methods: { method: string; weights: Float64Array }[] = [];
  const e = o.estimated as unknown;
  if (Array.isArray(e) && e.length > 0 && e[0] !== null && typeof e[0] === 'object' && !ArrayBuffer.isView(e[0])) {
    e.forEach((m: unknown, i) => {
      const r = m as Partial<MethodWeights>;
      if (r === null || typeof r !== 'object' || typeof r.method !== 'string' || r.method.length === 0) {
        failEntry(FN, 'estimated', `[${i}]`, m, '{ method: a non-empty name, weights: number[] }');
      }
      methods.push({ method: r.method, weights: readWeights(`estimated[${i}].weights`, r.weights, k) });
    });
  } else if (Array.isArray(e) || ArrayBuffer.isView(e)) {
    const method = o.method === undefined ? 'estimate' : checkString(FN, 'method', o.method);
    methods.push({ method, weights: readWeights('estimated', e, k) });
  } else if (e !== null && typeof e === 'object') {
    const entries = Object.entries(e as Record<string, unknown>);
    if (entries.length === 0) fail(FN, 'estimated', e, 'at least one method');
    for (const [method, w] of entries) methods.push({ method, weights: readWeights(`estimated.${method}`, w, k) });
  } else {
    fail(FN, 'estimated', e, 'an array of weights, a record method -> weights, or a list of { method, weights }');
  }
  if (o.method !== undefined && methods.length > 1) fail(FN, 'method', o.method, 'no method name when "estimated" names its methods');
  const names = methods.map((m) => m.method);
  if (new Set(names).size !== names.length) fail(FN, 'estimated', names, 'distinct method names');
  if (names.includes(truthLabel)) fail(FN, 'truthLabel', truthLabel, `a label different from every method name (${names.join(', ')})`);

  const estimated = modes.flatMap((mode, i) => methods.map((m) => ({ mode, method: m.method, weight: m.weights[i] })));
  const truthRows = modes.map((mode, i) => ({ mode, weight: truth[i] }));
  const colorDomain = [...names, truthLabel];
  const colors = chart.colors ? [...categoricalScale(FN, names, chart.colors).range as string[], 'black'] : undefined;
  const color = {
    type: 'nominal',
    scale: colors ? { domain: colorDomain, range: colors } : { domain: colorDomain, range: [...tableau10(names.length), 'black'] },
    legend: { title: null },
  };
  const x = { field: 'mode', type: 'nominal', sort: modes, title: chart.xTitle, axis: { labelAngle: 0 } };
  const y = { field: 'weight', type: 'quantitative', title: chart.yTitle };
  return topLevelSpec(FN, chart, { estimated, truth: truthRows }, {
    width: o.width === undefined ? Math.max(160, modes.length * Math.max(40, 16 * (methods.length + 1))) : chart.width,
    height: chart.height,
    layer: [
      {
        data: { name: 'estimated' },
        mark: { type: 'bar' },
        encoding: { x, xOffset: { field: 'method', type: 'nominal', sort: names }, y, color: { ...color, field: 'method' } },
      },
      {
        data: { name: 'truth' },
        mark: { type: 'tick', thickness: 2.5, bandSize: 1 },
        encoding: { x, y, color: { ...color, datum: truthLabel } },
      },
    ],
  });
}

/** Vega's default categorical palette (tableau10), cycled. */
function tableau10(n: number): string[] {
  const t = ['#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b', '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac'];
  return Array.from({ length: n }, (_, i) => t[i % t.length]);
}
