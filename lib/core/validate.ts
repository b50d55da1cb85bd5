/**
 * Option checks shared by every layer (DESIGN.md section 3): a bad option throws an error that names the
 * function, the option, the value found and what was expected, e.g.
 * `mmdSquared: option "bandwidth" = -1, expected a finite number > 0 or "median"`.
 *
 * The value is printed by a formatter: `showValue` (compact, JSON-like; the default), `describeValue` (prose:
 * "a float32 tensor of shape [5]", used by the MCMC kernels), `showJson` (plain JSON) or `verbatim` (a value
 * already described in words by the caller).
 */
import * as tf from '@tensorflow/tfjs';
import { readValues } from './readback.js';

// ---------------------------------------------------------------------------------------------------------------
// Printing values

/** How an option's value is printed in an error message. */
export type ValueFormat = (value: unknown) => string;

/** A short printable form of any option value: numbers and JSON, tensors as `Tensor(dtype, [shape])`. */
export function showValue(value: unknown): string {
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (value instanceof tf.Tensor) return `Tensor(${value.dtype}, [${value.shape.join(', ')}])`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of length ${(value as unknown as ArrayLike<number>).length}`;
  if (Array.isArray(value) && value.length > 16) return `an array of length ${value.length}`;
  try {
    let s = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
    if (s === undefined) return String(value);
    s = s.replace(/"(-?Infinity|NaN)"/g, '$1'); // print non-finite numbers bare
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return String(value);
  }
}

/** A prose rendering: tensors by dtype and shape, arrays as `[a, b, ...]` (first 8 entries), objects by String. */
export function describeValue(value: unknown): string {
  if (value instanceof tf.Tensor) return `a ${value.dtype} tensor of shape [${value.shape.join(', ')}]`;
  if (ArrayBuffer.isView(value) && 'length' in value) return `a ${value.constructor.name} of length ${value.length}`;
  if (Array.isArray(value)) return `[${value.slice(0, 8).map(String).join(', ')}${value.length > 8 ? ', ...' : ''}]`;
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

/** Plain JSON (functions as "a function", numbers as written). */
export function showJson(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'number') return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** For a value the caller has already described in words (`"[] (empty)"`, `"an array with NaN at index 1"`). */
export const verbatim: ValueFormat = (value) => String(value);

/** Throw `fn: option "option" = value, expected ...`. */
export function invalidOption(
  fn: string,
  option: string,
  value: unknown,
  expected: string,
  format: ValueFormat = showValue,
): never {
  throw new Error(`${fn}: option "${option}" = ${format(value)}, expected ${expected}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Numbers

/** An integer >= `min` (default 1): dimensions, counts. */
export function checkInteger(fn: string, option: string, value: unknown, min = 1): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    invalidOption(fn, option, value, `an integer >= ${min}`);
  }
  return value;
}

/** The sample count n of `sample(key, n)`: an integer >= 0. */
export function checkSampleCount(fn: string, n: unknown): number {
  return checkInteger(fn, 'n', n, 0);
}

/** A finite number, optionally > 0 or >= 0. */
export function checkNumber(
  fn: string,
  option: string,
  value: unknown,
  range: 'any' | 'positive' | 'nonNegative' = 'any',
): number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (range === 'any' || (range === 'positive' ? value > 0 : value >= 0));
  if (!ok) {
    const what = range === 'any' ? 'a finite number' : range === 'positive' ? 'a finite number > 0' : 'a finite number >= 0';
    invalidOption(fn, option, value, what);
  }
  return value as number;
}

/** An interval as written in messages: `[0, 1]`, `(0, 1)`, `[0, 1)`, `(0, 1]`. */
export type Interval = `${'[' | '('}${number}, ${number}${']' | ')'}`;

/** A number in `interval` (NaN never is): `expected a number in [0, 1)`. */
export function checkInterval(fn: string, option: string, value: unknown, interval: Interval): number {
  const [low, high] = interval.slice(1, -1).split(', ').map(Number);
  const aboveLow = (v: number) => (interval.startsWith('[') ? v >= low : v > low);
  const belowHigh = (v: number) => (interval.endsWith(']') ? v <= high : v < high);
  if (typeof value !== 'number' || !(aboveLow(value) && belowHigh(value))) {
    invalidOption(fn, option, value, `a number in ${interval}`);
  }
  return value;
}

/** An array of finite numbers (of a given length when `length` is set; positive entries when `positive`). */
export function checkNumberArray(
  fn: string,
  option: string,
  value: unknown,
  options: { length?: number; positive?: boolean; minLength?: number } = {},
): number[] {
  const { length, positive = false, minLength = 1 } = options;
  const lengthText = length !== undefined ? `of length ${length}` : `of length >= ${minLength}`;
  const what = `an array ${lengthText} of finite numbers${positive ? ' > 0' : ''}`;
  if (!Array.isArray(value) && !(value instanceof Float64Array) && !(value instanceof Float32Array)) {
    invalidOption(fn, option, value, what);
  }
  const arr = value as ArrayLike<unknown>;
  if (length !== undefined ? arr.length !== length : arr.length < minLength) invalidOption(fn, option, value, what);
  const out: number[] = [];
  for (let i = 0; i < arr.length; i++) {
    const v = arr[i];
    if (typeof v !== 'number' || !Number.isFinite(v) || (positive && !(v > 0))) {
      invalidOption(fn, `${option}[${i}]`, v, `a finite number${positive ? ' > 0' : ''} (in ${what})`);
    }
    out.push(v);
  }
  return out;
}

/** Options of `readVector` / `readVectorAsync`: the least length (default 1) and whether -Infinity is allowed (default false). */
export interface VectorOptions {
  minLength?: number;
  allowNegativeInfinity?: boolean;
}

/**
 * A 1-D array of finite numbers (a number[] or a typed array), copied to float64. `allowNegativeInfinity` admits
 * -Infinity (a log-weight of a zero weight). Host data only: a tensor is refused (read it with `readVectorAsync`,
 * or pass `await x.data()`).
 */
export function readVector(fn: string, option: string, value: unknown, options: VectorOptions = {}): Float64Array {
  if (!isVectorArray(value)) {
    const tensorHint = value instanceof tf.Tensor ? ' (for a tensor x, pass await x.data())' : '';
    invalidOption(fn, option, value, `an array of numbers${tensorHint}`);
  }
  return checkedVector(fn, option, value, value, options);
}

/** `readVector` that also takes a rank-1 tensor [n], read back once, asynchronously. */
export async function readVectorAsync(fn: string, option: string, value: unknown, options: VectorOptions = {}): Promise<Float64Array> {
  if (value instanceof tf.Tensor && value.rank === 1) return checkedVector(fn, option, value, await readValues(value), options);
  if (!isVectorArray(value)) invalidOption(fn, option, value, 'a rank-1 tensor [n] or an array of numbers');
  return checkedVector(fn, option, value, value, options);
}

function isVectorArray(value: unknown): value is ArrayLike<unknown> {
  return Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView));
}

/** The length and entry checks of `readVector` on the values `source` of `value`. */
function checkedVector(fn: string, option: string, value: unknown, source: ArrayLike<unknown>, options: VectorOptions): Float64Array {
  const { minLength = 1, allowNegativeInfinity = false } = options;
  if (source.length < minLength) {
    invalidOption(fn, option, value, `at least ${minLength} entr${minLength === 1 ? 'y' : 'ies'} (got ${source.length})`);
  }
  const out = new Float64Array(source.length);
  for (let i = 0; i < source.length; i++) {
    const v = source[i];
    const ok = typeof v === 'number' && (Number.isFinite(v) || (allowNegativeInfinity && v === -Infinity));
    if (!ok) {
      throw new Error(
        `${fn}: option "${option}" has entry [${i}] = ${showValue(v)}, expected ${allowNegativeInfinity ? 'finite numbers or -Infinity' : 'finite numbers'}`,
      );
    }
    out[i] = v as number;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Other option kinds

/** A boolean. */
export function checkBoolean(fn: string, option: string, value: unknown): boolean {
  if (typeof value !== 'boolean') invalidOption(fn, option, value, 'true or false');
  return value;
}

/** One of the listed strings. */
export function checkChoice<T extends string>(fn: string, option: string, value: unknown, choices: readonly T[]): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    invalidOption(fn, option, value, `one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`);
  }
  return value as T;
}

/** An options object (or undefined, read as `{}`); unknown keys are rejected so that typos do not pass silently. */
export function checkOptions<T extends object>(fn: string, options: unknown, known: readonly string[]): Partial<T> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    invalidOption(fn, 'options', options, 'an options object');
  }
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) {
      invalidOption(fn, name, (options as Record<string, unknown>)[name], `no such option; known options: ${known.join(', ')}`);
    }
  }
  return options as Partial<T>;
}
