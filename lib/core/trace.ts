/**
 * The one trace format (DESIGN.md section 3): what `runChain` returns as `samples`, and what the MCMC diagnostics
 * (`effectiveSampleSize`, `splitRHat`, `rankNormalizedRHat`, `bulkEss`, `tailEss`) and the sample metrics (`mmd`,
 * `maxMarginalKs`, ...) accept as they are. As ArviZ's posterior group and BlackJAX's stacked states, draws first:
 *
 *   `{ shape: [numDraws, numChains, dim], data }`, row-major: `data[(t * numChains + c) * dim + j]` is draw t of
 *   chain c, coordinate j.
 *
 * With a `transform` the shape is `[numDraws, ...shape of transform(state)]` (`[numDraws, numChains]` for one
 * scalar per chain). A trace is plain data, no methods, so it survives JSON, `structuredClone` and `postMessage`;
 * the usual cuts are the functions below (they return new traces and never modify their input):
 *
 *   afterWarmup(trace, numWarmup)   drop the first draws;
 *   thinTrace(trace, every)         keep every `every`-th draw (as runChain's `thin`: the last of each block);
 *   flattenDraws(trace)             `[numDraws * numChains, dim]`, chains pooled (the viz helpers' `{shape, data}`);
 *   chainsOf(trace, j)              coordinate j as one Float64Array per chain (for `traces` plots).
 */
import { invalidOption, showValue } from './validate.js';

/** Draws first, row-major: shape `[numDraws, numChains, dim]` for positions (see the file comment). */
export interface Trace<A extends Float32Array | Float64Array = Float32Array> {
  shape: number[];
  data: A;
}

/** The sizes of a position trace: rank 3 `[numDraws, numChains, dim]`, or rank 2 `[numDraws, numChains]` (dim 1). */
export interface TraceDims {
  numDraws: number;
  numChains: number;
  dim: number;
}

const EXPECTED = 'a trace { shape: [numDraws, numChains, dim] or [numDraws, numChains], data } (e.g. runChain(...).samples)';

/** True for `{ shape: number[], data: Float32Array | Float64Array }` (a tensor, whose `data` is a method, is not). */
export function isTrace(value: unknown): value is Trace<Float32Array | Float64Array> {
  if (value == null || typeof value !== 'object') return false;
  const { shape, data } = value as { shape?: unknown; data?: unknown };
  return Array.isArray(shape) && (data instanceof Float32Array || data instanceof Float64Array);
}

/** Check a position trace (rank 2 or 3, data length = product of the shape) and return its sizes. */
export function traceDims(fn: string, trace: unknown, option = 'trace'): TraceDims {
  if (!isTrace(trace)) invalidOption(fn, option, trace, EXPECTED);
  const { shape, data } = trace;
  if ((shape.length !== 2 && shape.length !== 3) || !shape.every((s) => Number.isSafeInteger(s) && s >= 0)) {
    invalidOption(fn, `${option}.shape`, shape, `[numDraws, numChains, dim] or [numDraws, numChains] (non-negative integers)`);
  }
  const [numDraws, numChains, dim = 1] = shape;
  if (data.length !== numDraws * numChains * dim) {
    invalidOption(fn, `${option}.data`, data, `${numDraws * numChains * dim} values for shape [${shape.join(', ')}]`);
  }
  return { numDraws, numChains, dim };
}

/** Check a trace of any rank >= 1 and return the number of values per draw. */
function drawSize(fn: string, trace: unknown): number {
  if (!isTrace(trace)) invalidOption(fn, 'trace', trace, 'a trace { shape: [numDraws, ...], data } (e.g. runChain(...).samples)');
  const { shape, data } = trace;
  if (shape.length < 1 || !shape.every((s) => Number.isSafeInteger(s) && s >= 0)) {
    invalidOption(fn, 'trace.shape', shape, '[numDraws, ...] (non-negative integers)');
  }
  const size = shape.slice(1).reduce((a, b) => a * b, 1);
  if (data.length !== shape[0] * size) invalidOption(fn, 'trace.data', data, `${shape[0] * size} values for shape [${shape.join(', ')}]`);
  return size;
}

/** The draws after the first `numWarmup` (a copy; numWarmup may equal numDraws, leaving an empty trace). */
export function afterWarmup<A extends Float32Array | Float64Array>(trace: Trace<A>, numWarmup: number): Trace<A> {
  const fn = 'afterWarmup';
  const size = drawSize(fn, trace);
  const numDraws = trace.shape[0];
  if (!Number.isSafeInteger(numWarmup) || numWarmup < 0 || numWarmup > numDraws) {
    invalidOption(fn, 'numWarmup', numWarmup, `an integer in [0, ${numDraws}] (the trace has ${numDraws} draws)`);
  }
  return { shape: [numDraws - numWarmup, ...trace.shape.slice(1)], data: trace.data.slice(numWarmup * size) as A };
}

/**
 * Every `every`-th draw: draws every - 1, 2 every - 1, ... (the last of each block of `every`, as runChain's
 * `thin`, so thinning a trace by k gives the trace of the same run with `thin: k`).
 */
export function thinTrace<A extends Float32Array | Float64Array>(trace: Trace<A>, every: number): Trace<A> {
  const fn = 'thinTrace';
  const size = drawSize(fn, trace);
  if (!Number.isSafeInteger(every) || every < 1) invalidOption(fn, 'every', every, 'an integer >= 1');
  const kept = Math.floor(trace.shape[0] / every);
  const data = new (trace.data.constructor as new (n: number) => A)(kept * size);
  for (let k = 0; k < kept; k++) {
    const from = ((k + 1) * every - 1) * size;
    data.set(trace.data.subarray(from, from + size), k * size);
  }
  return { shape: [kept, ...trace.shape.slice(1)], data };
}

/**
 * All draws of all chains as one sample matrix `[numDraws * numChains, dim]` (row t * numChains + c is draw t of
 * chain c): the `{ shape, data }` that the viz helpers and the metrics read. Shares `data` (no copy).
 */
export function flattenDraws<A extends Float32Array | Float64Array>(trace: Trace<A>): Trace<A> {
  const { numDraws, numChains, dim } = traceDims('flattenDraws', trace);
  return { shape: [numDraws * numChains, dim], data: trace.data };
}

/** Coordinate `j` of every chain (or of the chains listed in `chains`), one Float64Array of numDraws values each. */
export function chainsOf(trace: Trace<Float32Array | Float64Array>, j = 0, chains?: readonly number[]): Float64Array[] {
  const fn = 'chainsOf';
  const { numDraws, numChains, dim } = traceDims(fn, trace);
  if (!Number.isSafeInteger(j) || j < 0 || j >= dim) invalidOption(fn, 'j', j, `a coordinate index in [0, ${dim - 1}]`);
  const which = chains ?? Array.from({ length: numChains }, (_, c) => c);
  for (const c of which) {
    if (!Number.isSafeInteger(c) || c < 0 || c >= numChains) {
      invalidOption(fn, 'chains', chains, `chain indices in [0, ${numChains - 1}] (found ${showValue(c)})`);
    }
  }
  return which.map((c) => Float64Array.from({ length: numDraws }, (_, t) => trace.data[(t * numChains + c) * dim + j]));
}
