/**
 * The k-th smallest of a multiset too large to hold in memory but cheap to regenerate: the values are
 * streamed several times (each pass calls `stream`, which hands over the values chunk by chunk), and each
 * pass narrows a value interval that contains the answer.
 *
 *   pass 1: count, min, max and a pseudo-random subsample of at most `maxBuffer` values (chosen by a hash of
 *           the value's position in the stream; if everything fits, the answer is read off directly);
 *   pass 2: a bracket [lo, hi] around rank k read off the subsample (its rank +- 6 binomial standard
 *           deviations, Floyd & Rivest 1975); the values inside are collected and counted, those below counted.
 *           If rank k falls inside (the usual case), the answer is read off the sorted bracket;
 *   otherwise (or if the bracket overflows `maxBuffer`): 4096-bin histograms over the interval known to hold
 *           the answer, keeping the bin that holds rank k, until the interval fits `maxBuffer`; then collect.
 *
 * Exact: the result is always one of the streamed values, the subsample only guides where to look. The usual
 * cost is two passes (the median heuristic of 2 x 4096 points: 33.5M distances, 2 passes with maxBuffer 2^21).
 * Memory: O(maxBuffer).
 */
import { invalidOption } from '../core/validate.js';

/**
 * Hands over every value of the multiset, in chunks, to `visit`, and settles when done (a stream of device blocks
 * reads them asynchronously). Must produce the same multiset each call.
 */
export type ValueStream = (visit: (values: ArrayLike<number>) => void) => void | Promise<void>;

const HISTOGRAM_BINS = 4096;
const MAX_PASSES = 64;
/** Half-width of the pass-2 bracket, in binomial standard deviations of the subsample rank. */
const BRACKET_SDS = 6;

/** A 32-bit integer hash (the murmur3 finaliser): well-mixed bits for subsampling by value number. */
function mixBits(g: number): number {
  let h = g >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A value interval [lo, hi] (inclusive) holding `inside` values, the answer being the `rank`-th of them. */
interface Interval {
  lo: number;
  hi: number;
  inside: number;
  rank: number;
}

/**
 * The `k`-th smallest value (0-based: k = 0 is the minimum) of the streamed multiset.
 * `maxBuffer` bounds how many values are ever held at once (default 2^21).
 */
export async function kthSmallestStreamed(stream: ValueStream, k: number, maxBuffer = 2 ** 21): Promise<number> {
  const fn = 'kthSmallestStreamed';
  if (!Number.isSafeInteger(k) || k < 0) invalidOption(fn, 'k', k, 'an integer >= 0');
  if (!Number.isSafeInteger(maxBuffer) || maxBuffer < 2) invalidOption(fn, 'maxBuffer', maxBuffer, 'an integer >= 2');

  // Pass 1: count, range, and a pseudo-random subsample: value number g is kept while hash(g) is divisible by
  // `stride`, and `stride` doubles whenever the buffer fills (the kept set shrinks to a nested subset). A hash
  // rather than every s-th value: streams come in blocks, and a regular stride would sample a few columns only.
  let lo = Infinity;
  let hi = -Infinity;
  let count = 0;
  let stride = 1;
  let sample = new Float64Array(maxBuffer);
  const sampleHash = new Uint32Array(maxBuffer);
  let sampled = 0;
  await stream((values) => {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (Number.isNaN(v)) throw new Error(`${fn}: the stream produced NaN; expected comparable numbers`);
      if (v < lo) lo = v;
      if (v > hi) hi = v;
      const h = mixBits((count + i) % 4294967296);
      if (h % stride !== 0) continue;
      while (sampled === maxBuffer) {
        stride *= 2;
        let kept = 0;
        for (let j = 0; j < sampled; j++) {
          if (sampleHash[j] % stride === 0) {
            sample[kept] = sample[j];
            sampleHash[kept++] = sampleHash[j];
          }
        }
        sampled = kept;
      }
      if (h % stride !== 0) continue;
      sample[sampled] = v;
      sampleHash[sampled++] = h;
    }
    count += values.length;
  });
  if (k >= count) invalidOption(fn, 'k', k, `an integer < the number of streamed values (${count})`);
  sample = sample.subarray(0, sampled).sort();
  if (stride === 1) return sample[k];

  let interval = await bracketPass(stream, sample, k, count, lo, hi, maxBuffer);
  if (typeof interval === 'number') return interval;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    if (interval.lo === interval.hi) return interval.lo;
    if (interval.inside <= maxBuffer) return collectPass(stream, interval);
    interval = await histogramPass(stream, interval);
  }
  throw new Error(`${fn}: no convergence after ${MAX_PASSES} passes (the stream is not reproducible?)`);
}

/** Pass 2: the answer if it lies in the subsample's bracket, else the interval that holds it. */
async function bracketPass(
  stream: ValueStream,
  sortedSample: Float64Array,
  k: number,
  count: number,
  min: number,
  max: number,
  maxBuffer: number,
): Promise<number | Interval> {
  const s = sortedSample.length;
  const p = k / count;
  const halfWidth = BRACKET_SDS * Math.sqrt(s * p * (1 - p)) + 2;
  const lo = sortedSample[Math.max(0, Math.floor(p * s - halfWidth))];
  const hi = sortedSample[Math.min(s - 1, Math.ceil(p * s + halfWidth))];
  let below = 0;
  let inside = 0;
  let maxBelow = -Infinity;
  let minAbove = Infinity;
  let kept: Float64Array | null = new Float64Array(maxBuffer);
  await stream((values) => {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v < lo) {
        below++;
        if (v > maxBelow) maxBelow = v;
      } else if (v > hi) {
        if (v < minAbove) minAbove = v;
      } else {
        if (kept !== null) {
          if (inside < maxBuffer) kept[inside] = v;
          else kept = null;
        }
        inside++;
      }
    }
  });
  if (k < below) return { lo: min, hi: maxBelow, inside: below, rank: k };
  if (k >= below + inside) return { lo: minAbove, hi: max, inside: count - below - inside, rank: k - below - inside };
  if (kept === null) return { lo, hi, inside, rank: k - below };
  return kept.subarray(0, inside).sort()[k - below];
}

/** Collect the values inside the interval (at most maxBuffer of them) and read off the answer. */
async function collectPass(stream: ValueStream, { lo, hi, inside, rank }: Interval): Promise<number> {
  const kept = new Float64Array(inside);
  let m = 0;
  await stream((values) => {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v >= lo && v <= hi && m < inside) kept[m++] = v;
    }
  });
  if (m !== inside) throw new Error('kthSmallestStreamed: the stream changed between passes; it must be reproducible');
  return kept.sort()[rank];
}

/** Histogram the interval into 4096 bins and keep the bin holding the answer (bounded by its own min and max). */
async function histogramPass(stream: ValueStream, { lo, hi, rank }: Interval): Promise<Interval> {
  const counts = new Float64Array(HISTOGRAM_BINS);
  const binMin = new Float64Array(HISTOGRAM_BINS).fill(Infinity);
  const binMax = new Float64Array(HISTOGRAM_BINS).fill(-Infinity);
  const scale = HISTOGRAM_BINS / (hi - lo);
  await stream((values) => {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v < lo || v > hi) continue;
      // Monotone in v, so each bin holds a contiguous run of the sorted values.
      const b = Math.min(HISTOGRAM_BINS - 1, Math.floor((v - lo) * scale));
      counts[b]++;
      if (v < binMin[b]) binMin[b] = v;
      if (v > binMax[b]) binMax[b] = v;
    }
  });
  let below = 0;
  let b = 0;
  while (b < HISTOGRAM_BINS && below + counts[b] <= rank) below += counts[b++];
  if (b === HISTOGRAM_BINS) throw new Error('kthSmallestStreamed: the stream changed between passes; it must be reproducible');
  return { lo: binMin[b], hi: binMax[b], inside: counts[b], rank: rank - below };
}
