/**
 * MCMC convergence diagnostics over several chains, per coordinate, in float64: split-chain effective sample
 * size and split R-hat, as in Stan's `posterior` package (`ess_mean`, `rhat_basic`; Gelman et al. 2013, BDA3
 * section 11.4-11.5; Vehtari et al. 2021) WITHOUT rank normalisation (so: ESS of the mean, not bulk-ESS on
 * ranks; the classic split R-hat, not the rank-normalised folded one).
 *
 * Split chains: each chain of N draws becomes two chains of floor(N/2) draws (for odd N the middle draw is
 * dropped), which makes both diagnostics sensitive to within-chain trends. Option `split: false` skips this
 * (then R-hat is Pyro's `gelman_rubin`, which flow_mcmc reports; Pyro's ESS truncates the autocorrelation sum
 * slightly differently from Stan's and is not reproduced here).
 *
 * ESS (Geyer 1992 initial monotone sequence, as posterior's `.ess`): with per-chain biased autocovariances
 * gamma_{c,t} (FFT, `autocorrelation.ts`), W = mean_c gamma_{c,0} L / (L - 1), var+ = W (L - 1) / L + var(chain
 * means), rho_t = 1 - (W - mean_c gamma_{c,t}) / var+; sum pairs rho_{2k} + rho_{2k+1} while positive, make the
 * pair sums monotone non-increasing, tau = -1 + 2 sum_{t < T} rho_t + rho_T, tau >= 1 / log10(M L), ESS = M L / tau
 * (M split chains of L draws). Cost: O(M L log L) per coordinate.
 *
 * R-hat: B / L = var(split-chain means), W = mean within-chain variance (both ddof 1),
 * R-hat = sqrt(((L - 1) / L W + B / L) / W). A constant coordinate gives R-hat 1 and ESS M L.
 *
 * Input layout (`TraceInput`), draws first as collected from a run (each step gives positions [numChains, d]):
 *   - the trace of `runChain` (lib/core/trace.ts): `{ shape: [numDraws, numChains, dim] or [numDraws,
 *     numChains], data }` (Float32Array or Float64Array), e.g. `splitRHat(afterWarmup(run.samples, numWarmup))`;
 *   - `ChainTrace { values, numDraws, numChains, dim }`: values[(t * numChains + c) * dim + j] is draw t of
 *     chain c, coordinate j (a Float64Array);
 *   - a tensor [numDraws, numChains, dim] or [numDraws, numChains] (one coordinate), read back once, asynchronously
 *     (hence both diagnostics are async);
 *   - nested arrays [numDraws][numChains][dim], or [numDraws][numChains] (one coordinate).
 */
import * as tf from '@tensorflow/tfjs';
import { readFloat64 } from '../core/readback.js';
import { checkBoolean, checkOptions, invalidOption, showValue } from '../core/validate.js';
import { isTrace, traceDims, type Trace } from '../core/trace.js';
import { autocovarianceOf } from './autocorrelation.js';

export interface ChainTrace {
  /** values[(t * numChains + c) * dim + j]: draw t of chain c, coordinate j. */
  values: Float64Array;
  numDraws: number;
  numChains: number;
  dim: number;
}

export type TraceInput = Trace<Float32Array | Float64Array> | ChainTrace | tf.Tensor | number[][] | number[][][];

const EXPECTED_TRACE =
  'a trace: runChain\'s {shape: [numDraws, numChains, dim], data}, a ChainTrace {values, numDraws, numChains, dim}, a tensor [numDraws, numChains, dim] or ' +
  '[numDraws, numChains], or nested arrays [numDraws][numChains][dim] or [numDraws][numChains]';

function isChainTrace(v: unknown): v is ChainTrace {
  return v != null && typeof v === 'object' && 'values' in v && 'numDraws' in v;
}

/** Read and check a trace (shape, finiteness, at least `minDraws` draws per chain); a tensor is read once, asynchronously. */
export async function readTrace(fn: string, input: unknown, minDraws: number): Promise<ChainTrace> {
  let trace: ChainTrace;
  if (isChainTrace(input)) {
    const { values, numDraws, numChains, dim } = input;
    for (const [name, v] of [['numDraws', numDraws], ['numChains', numChains], ['dim', dim]] as const) {
      if (!Number.isSafeInteger(v) || v < 1) invalidOption(fn, `trace.${name}`, v, 'an integer >= 1');
    }
    if (!(values instanceof Float64Array) || values.length !== numDraws * numChains * dim) {
      invalidOption(fn, 'trace.values', values, `a Float64Array of numDraws * numChains * dim = ${numDraws * numChains * dim} values`);
    }
    trace = { values, numDraws, numChains, dim };
  } else if (isTrace(input)) {
    trace = { values: Float64Array.from(input.data), ...traceDims(fn, input) };
  } else if (input instanceof tf.Tensor) {
    if (input.rank !== 2 && input.rank !== 3) invalidOption(fn, 'trace', input, EXPECTED_TRACE);
    const [numDraws, numChains, dim = 1] = input.shape;
    trace = { values: await readFloat64(input), numDraws, numChains, dim };
  } else if (Array.isArray(input) && input.length > 0 && Array.isArray(input[0])) {
    const numDraws = input.length;
    const numChains = input[0].length;
    const first = input[0][0];
    const dim = Array.isArray(first) ? first.length : 1;
    const nested = Array.isArray(first);
    const values = new Float64Array(numDraws * numChains * dim);
    for (let t = 0; t < numDraws; t++) {
      const draw = input[t];
      if (!Array.isArray(draw) || draw.length !== numChains) {
        invalidOption(fn, 'trace', input, `${EXPECTED_TRACE}; draw ${t} is ${showValue(draw)} but draw 0 has ${numChains} chains`);
      }
      for (let c = 0; c < numChains; c++) {
        const cell = draw[c] as unknown;
        if (nested) {
          if (!Array.isArray(cell) || cell.length !== dim) {
            invalidOption(fn, 'trace', input, `${EXPECTED_TRACE}; entry [${t}][${c}] is ${showValue(cell)}, expected ${dim} numbers`);
          }
          for (let j = 0; j < dim; j++) values[(t * numChains + c) * dim + j] = cell[j] as number;
        } else {
          if (typeof cell !== 'number') invalidOption(fn, 'trace', input, `${EXPECTED_TRACE}; entry [${t}][${c}] is ${showValue(cell)}`);
          values[t * numChains + c] = cell;
        }
      }
    }
    trace = { values, numDraws, numChains, dim };
  } else {
    invalidOption(fn, 'trace', input, EXPECTED_TRACE);
  }
  if (trace.numChains < 1 || trace.dim < 1) invalidOption(fn, 'trace', input, `${EXPECTED_TRACE} with at least one chain and one coordinate`);
  if (trace.numDraws < minDraws) {
    invalidOption(fn, 'trace', input, `at least ${minDraws} draws per chain (got numDraws = ${trace.numDraws})`);
  }
  const { values, numChains, dim } = trace;
  for (let k = 0; k < values.length; k++) {
    if (!Number.isFinite(values[k])) {
      const j = k % dim;
      const c = Math.floor(k / dim) % numChains;
      const t = Math.floor(k / (dim * numChains));
      throw new Error(`${fn}: option "trace" has a non-finite value ${values[k]} at draw ${t}, chain ${c}, coordinate ${j}; expected finite draws`);
    }
  }
  return trace;
}

/** Coordinate j as numChains chains of numDraws draws each (`split` false). */
function wholeChains(trace: ChainTrace, j: number): Float64Array[] {
  const { values, numDraws, numChains, dim } = trace;
  return Array.from({ length: numChains }, (_, c) =>
    Float64Array.from({ length: numDraws }, (_, t) => values[(t * numChains + c) * dim + j]),
  );
}

/** Coordinate j as 2 * numChains split chains of floor(numDraws / 2) draws each. */
export function splitChains(trace: ChainTrace, j: number): Float64Array[] {
  const { values, numDraws, numChains, dim } = trace;
  const half = Math.floor(numDraws / 2);
  const secondStart = numDraws - half; // skips the middle draw when numDraws is odd
  const chains: Float64Array[] = [];
  for (let c = 0; c < numChains; c++) {
    const first = new Float64Array(half);
    const second = new Float64Array(half);
    for (let t = 0; t < half; t++) {
      first[t] = values[(t * numChains + c) * dim + j];
      second[t] = values[((secondStart + t) * numChains + c) * dim + j];
    }
    chains.push(first, second);
  }
  return chains;
}

function mean(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s / x.length;
}

/** Sample variance with ddof 1. */
function variance(x: ArrayLike<number>): number {
  const m = mean(x);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] - m) ** 2;
  return s / (x.length - 1);
}

function isConstant(chains: Float64Array[]): boolean {
  const v = chains[0][0];
  return chains.every((c) => c.every((x) => x === v));
}

/** ESS of one coordinate from its (split) chains (Geyer's initial monotone sequence; see the file comment). */
export function essOfChains(chains: Float64Array[]): number {
  const numChains = chains.length;
  const length = chains[0].length;
  const total = numChains * length;
  if (isConstant(chains)) return total;
  const acov = chains.map((c) => autocovarianceOf(c));
  const meanAcov = (t: number) => {
    let s = 0;
    for (const a of acov) s += a[t];
    return s / numChains;
  };
  const meanVar = (meanAcov(0) * length) / (length - 1);
  let varPlus = (meanVar * (length - 1)) / length;
  if (numChains > 1) varPlus += variance(chains.map(mean));
  const rho = new Float64Array(length);
  // Geyer's initial positive sequence: pairs rho_{2k} + rho_{2k+1} while their sum stays positive.
  let t = 0;
  let rhoEven = 1;
  rho[0] = rhoEven;
  let rhoOdd = 1 - (meanVar - meanAcov(1)) / varPlus;
  rho[1] = rhoOdd;
  while (t < length - 5 && rhoEven + rhoOdd > 0) {
    t += 2;
    rhoEven = 1 - (meanVar - meanAcov(t)) / varPlus;
    rhoOdd = 1 - (meanVar - meanAcov(t + 1)) / varPlus;
    if (rhoEven + rhoOdd >= 0) {
      rho[t] = rhoEven;
      rho[t + 1] = rhoOdd;
    }
  }
  const maxT = t;
  if (rhoEven > 0) rho[maxT] = rhoEven; // improved estimate (reduces variance in the antithetic case)
  // Geyer's initial monotone sequence: pair sums non-increasing.
  t = 0;
  while (t <= maxT - 4) {
    t += 2;
    if (rho[t] + rho[t + 1] > rho[t - 2] + rho[t - 1]) {
      rho[t] = (rho[t - 2] + rho[t - 1]) / 2;
      rho[t + 1] = rho[t];
    }
  }
  let tau = -1 + rho[maxT];
  for (let s = 0; s < maxT; s++) tau += 2 * rho[s];
  tau = Math.max(tau, 1 / Math.log10(total)); // caps ESS at M L log10(M L) for antithetic chains
  return total / tau;
}

/** R-hat of one coordinate from its (split) chains (see the file comment). */
export function rHatOfChains(chains: Float64Array[]): number {
  if (isConstant(chains)) return 1;
  const length = chains[0].length;
  const between = chains.length > 1 ? length * variance(chains.map(mean)) : 0; // one whole chain: no B
  const within = mean(chains.map(variance));
  return Math.sqrt((between / within + length - 1) / length);
}

export interface DiagnosticOptions {
  /**
   * Split each chain in two halves first (default true, as Stan / ArviZ / posterior). false gives the classic
   * non-split versions; `splitRHat(trace, { split: false })` is Pyro's `gelman_rubin` (used by flow_mcmc).
   */
  split?: boolean;
}

/** Check the trace and options; apply `statistic` to each coordinate's (split) chains. */
async function perCoordinate(
  fn: string,
  traceInput: TraceInput,
  options: DiagnosticOptions,
  minChainLength: number,
  statistic: (chains: Float64Array[]) => number,
): Promise<Float64Array> {
  const opts = checkOptions<DiagnosticOptions>(fn, options, ['split']);
  const split = checkBoolean(fn, 'split', opts.split ?? true);
  const trace = await readTrace(fn, traceInput, split ? 2 * minChainLength : minChainLength);
  return Float64Array.from({ length: trace.dim }, (_, j) => statistic(split ? splitChains(trace, j) : wholeChains(trace, j)));
}

/**
 * Effective sample size of each coordinate's mean, pooled over chains (Geyer's initial monotone sequence, no
 * rank normalisation). Needs chains of >= 3 draws after splitting (numDraws >= 6 by default).
 */
export async function effectiveSampleSize(trace: TraceInput, options: DiagnosticOptions = {}): Promise<Float64Array> {
  return perCoordinate('effectiveSampleSize', trace, options, 3, essOfChains);
}

/**
 * R-hat of each coordinate (Gelman et al. 2013; Vehtari et al. 2021 without rank normalisation), split by
 * default. Needs chains of >= 2 draws after splitting (numDraws >= 4 by default). Infinity when every chain is
 * constant but they differ.
 */
export async function splitRHat(trace: TraceInput, options: DiagnosticOptions = {}): Promise<Float64Array> {
  return perCoordinate('splitRHat', trace, options, 2, rHatOfChains);
}
