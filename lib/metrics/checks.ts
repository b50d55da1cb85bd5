/**
 * Boundary checks shared by the metrics (DESIGN.md section 3): every bad option throws an error that names
 * the function, the option, the value found and what was expected, e.g.
 * `mmdSquared: option "bandwidth" = -1, expected a finite number > 0 or "median"`.
 */
import * as tf from '@tensorflow/tfjs';

/** A short printable form of any option value, for error messages. */
export function show(value: unknown): string {
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (value instanceof tf.Tensor) return `Tensor(${value.dtype}, [${value.shape.join(', ')}])`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of length ${(value as unknown as ArrayLike<number>).length}`;
  if (Array.isArray(value) && value.length > 16) return `an array of length ${value.length}`;
  try {
    let s = JSON.stringify(value, (_k, v: unknown) =>
      typeof v === 'number' && !Number.isFinite(v) ? String(v) : v,
    );
    if (s === undefined) return String(value);
    s = s.replace(/"(-?Infinity|NaN)"/g, '$1'); // print non-finite numbers bare
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return String(value);
  }
}

/** Throw `fn: option "option" = value, expected ...`. */
export function fail(fn: string, option: string, value: unknown, expected: string): never {
  throw new Error(`${fn}: option "${option}" = ${show(value)}, expected ${expected}`);
}

/** An integer >= `min` (default 1). */
export function checkInteger(fn: string, option: string, value: unknown, min = 1): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    fail(fn, option, value, `an integer >= ${min}`);
  }
  return value;
}

/** A finite number > 0. */
export function checkPositive(fn: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    fail(fn, option, value, 'a finite number > 0');
  }
  return value;
}

/** A boolean. */
export function checkBoolean(fn: string, option: string, value: unknown): boolean {
  if (typeof value !== 'boolean') fail(fn, option, value, 'true or false');
  return value;
}

/** One of the listed strings. */
export function checkChoice<T extends string>(fn: string, option: string, value: unknown, choices: readonly T[]): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    fail(fn, option, value, `one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`);
  }
  return value as T;
}

/** An options object (or undefined, read as `{}`); unknown keys are rejected so that typos do not pass silently. */
export function checkOptions<T extends object>(fn: string, options: unknown, known: readonly string[]): Partial<T> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    fail(fn, 'options', options, 'an options object');
  }
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) {
      fail(fn, name, (options as Record<string, unknown>)[name], `no such option; known options: ${known.join(', ')}`);
    }
  }
  return options as Partial<T>;
}

/**
 * A 1-D array of finite numbers (a number[], a typed array or a rank-1 tensor), copied to float64.
 * `allowNegativeInfinity` admits -Infinity (a log-weight of a zero weight).
 */
export function readVector(
  fn: string,
  option: string,
  value: unknown,
  options: { minLength?: number; allowNegativeInfinity?: boolean } = {},
): Float64Array {
  const { minLength = 1, allowNegativeInfinity = false } = options;
  let source: ArrayLike<unknown>;
  if (value instanceof tf.Tensor) {
    if (value.rank !== 1) fail(fn, option, value, 'a rank-1 tensor [n] or an array of numbers');
    source = value.dataSync();
  } else if (Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView))) {
    source = value as ArrayLike<unknown>;
  } else {
    fail(fn, option, value, 'a rank-1 tensor [n] or an array of numbers');
  }
  if (source.length < minLength) {
    fail(fn, option, value, `at least ${minLength} entr${minLength === 1 ? 'y' : 'ies'} (got ${source.length})`);
  }
  const out = new Float64Array(source.length);
  for (let i = 0; i < source.length; i++) {
    const v = source[i];
    const ok = typeof v === 'number' && (Number.isFinite(v) || (allowNegativeInfinity && v === -Infinity));
    if (!ok) {
      throw new Error(
        `${fn}: option "${option}" has entry [${i}] = ${show(v)}, expected ${allowNegativeInfinity ? 'finite numbers or -Infinity' : 'finite numbers'}`,
      );
    }
    out[i] = v as number;
  }
  return out;
}
