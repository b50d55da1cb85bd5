/**
 * MCMC trace plots: one line per chain of a scalar (a coordinate, the log-density, a step size) against the step.
 *
 *   traces({ trace: xs, label: 'x₁' })            // xs: [steps, chains] (number[][] rows = steps, {shape,data}; tensor: await x.array())
 *   traces({ chains: [chainA, chainB], label })    // or one array per chain (lengths may differ)
 *
 * Dataset in the spec (one CSV): `traces` {step, chain, value}. Non-finite values are kept as `value: null` and
 * break the line there (a diverged chain shows as a line that stops). Long runs are thinned evenly to
 * `maxSteps` points per chain, and only the first `maxChains` chains are drawn; both are noted in the subtitle.
 */
import type { TopLevelSpec } from 'vega-lite';
import { checkFinite, checkInteger, checkPositive, checkString, fail, failEntry } from './checks.js';
import { categoricalScale, readChartOptions, topLevelSpec, type ChartOptions } from './chartOptions.js';
import { readMatrix, thinIndices, type MatrixInput } from './data.js';

export interface TracesOptions extends ChartOptions {
  /** The trace as a matrix [steps, chains] (row = step). Give this or `chains`. */
  trace?: MatrixInput;
  /** The trace as one array per chain. Give this or `trace`. */
  chains?: readonly ArrayLike<number>[];
  /** What is traced: the y-axis title (default 'value'; `yTitle` overrides it). */
  label?: string;
  /** Chain names for the legend (default '0', '1', ...). */
  chainNames?: string[];
  /** At most this many chains are drawn (default 10). */
  maxChains?: number;
  /** At most this many points per chain, thinned evenly (default 2000). */
  maxSteps?: number;
  /** Step number of the first row (default 0) and steps between rows (default 1, e.g. the thinning of the run). */
  stepStart?: number;
  stepEvery?: number;
  /** Line width in pixels (default 1) and opacity (default 0.8). */
  strokeWidth?: number;
  opacity?: number;
}

const FN = 'traces';
const EXTRA = ['trace', 'chains', 'label', 'chainNames', 'maxChains', 'maxSteps', 'stepStart', 'stepEvery', 'strokeWidth', 'opacity'] as const;

export function traces(options: TracesOptions): TopLevelSpec {
  const { options: o, chart } = readChartOptions<TracesOptions>(FN, options, EXTRA, [], { width: 480, height: 200, xTitle: 'step', yTitle: 'value' });
  const label = o.label === undefined ? 'value' : checkString(FN, 'label', o.label);
  if (o.yTitle === undefined) chart.yTitle = label;
  const maxChains = o.maxChains === undefined ? 10 : checkInteger(FN, 'maxChains', o.maxChains, 1);
  const maxSteps = o.maxSteps === undefined ? 2000 : checkInteger(FN, 'maxSteps', o.maxSteps, 2);
  const stepStart = o.stepStart === undefined ? 0 : checkFinite(FN, 'stepStart', o.stepStart);
  const stepEvery = o.stepEvery === undefined ? 1 : checkPositive(FN, 'stepEvery', o.stepEvery);
  const strokeWidth = o.strokeWidth === undefined ? 1 : checkPositive(FN, 'strokeWidth', o.strokeWidth);
  const opacity = o.opacity === undefined ? 0.8 : checkPositive(FN, 'opacity', o.opacity);
  if (opacity > 1) fail(FN, 'opacity', opacity, 'a number in (0, 1]');

  // One Float64Array per chain.
  let perChain: Float64Array[];
  if ((o.trace === undefined) === (o.chains === undefined)) {
    fail(FN, o.trace === undefined ? 'trace' : 'chains', o.trace ?? o.chains, 'exactly one of "trace" ([steps, chains] matrix) or "chains" (one array per chain)');
  }
  if (o.trace !== undefined) {
    const m = readMatrix(FN, 'trace', o.trace, { minRows: 1 });
    perChain = Array.from({ length: m.cols }, (_, c) => Float64Array.from({ length: m.rows }, (_, s) => m.data[s * m.cols + c]));
  } else {
    const chains = o.chains as unknown;
    if (!Array.isArray(chains) || chains.length === 0) fail(FN, 'chains', chains, 'a non-empty array of per-chain arrays of numbers');
    perChain = chains.map((c: unknown, i) => {
      if (!(Array.isArray(c) || ArrayBuffer.isView(c)) || (c as ArrayLike<number>).length === 0) {
        failEntry(FN, 'chains', `[${i}]`, c, 'a non-empty array of numbers (one chain)');
      }
      const a = new Float64Array((c as ArrayLike<unknown>).length);
      for (let s = 0; s < a.length; s++) {
        const v = (c as ArrayLike<unknown>)[s];
        if (typeof v !== 'number') failEntry(FN, 'chains', `[${i}][${s}]`, v, 'a number');
        a[s] = v;
      }
      return a;
    });
  }
  const numChains = perChain.length;
  let names: string[];
  if (o.chainNames === undefined) names = perChain.map((_, c) => String(c));
  else {
    if (!Array.isArray(o.chainNames) || o.chainNames.length !== numChains) fail(FN, 'chainNames', o.chainNames, `${numChains} names, one per chain`);
    o.chainNames.forEach((n, i) => checkString(FN, `chainNames[${i}]`, n));
    if (new Set(o.chainNames).size !== numChains) fail(FN, 'chainNames', o.chainNames, 'distinct names');
    names = o.chainNames;
  }

  const notes: string[] = [];
  const shown = Math.min(numChains, maxChains);
  if (shown < numChains) notes.push(`${shown} of ${numChains} chains shown`);
  const rows: { step: number; chain: string; value: number | null }[] = [];
  let thinned = false;
  let nonFinite = 0;
  for (let c = 0; c < shown; c++) {
    const values = perChain[c];
    const keep = thinIndices(values.length, maxSteps);
    if (keep.length < values.length) thinned = true;
    for (const s of keep) {
      const v = values[s];
      if (!Number.isFinite(v)) nonFinite++;
      rows.push({ step: stepStart + s * stepEvery, chain: names[c], value: Number.isFinite(v) ? v : null });
    }
  }
  if (thinned) notes.push(`at most ${maxSteps} points per chain shown (evenly thinned)`);
  if (nonFinite > 0) notes.push(`${nonFinite} non-finite values (gaps)`);

  const domain = names.slice(0, shown);
  return topLevelSpec(
    FN,
    chart,
    { traces: rows },
    {
      width: chart.width,
      height: chart.height,
      data: { name: 'traces' },
      mark: { type: 'line', strokeWidth, opacity, aria: false },
      encoding: {
        x: { field: 'step', type: 'quantitative', title: chart.xTitle, scale: { zero: false, nice: false } },
        y: { field: 'value', type: 'quantitative', title: chart.yTitle, scale: { zero: false } },
        color: { field: 'chain', type: 'nominal', scale: categoricalScale(FN, domain, chart.colors), legend: shown > 1 ? { title: 'chain' } : null },
      },
    },
    notes,
  );
}
