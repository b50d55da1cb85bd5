/**
 * Boundary checks for the chart builders and figure writers (DESIGN.md section 3): a bad option throws an
 * error that names the function, the option, the value found and what was expected, e.g.
 * `heatmap: option "rows" has entry [3].value = "x", expected a finite number, NaN or null (missing)`.
 * (The same message format as lib/metrics/checks.ts, without its tfjs dependency: viz loads no tensors.)
 */

/** A short printable form of any option value, for error messages. */
export function show(value: unknown): string {
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return `a function${value.name ? ` ${value.name}` : ''}`;
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of length ${(value as unknown as ArrayLike<number>).length}`;
  if (Array.isArray(value) && value.length > 16) return `an array of length ${value.length}`;
  if (typeof value === 'object' && Array.isArray((value as { shape?: unknown }).shape)) {
    const what = typeof (value as { data?: unknown }).data === 'function' ? 'a tensor' : 'an object';
    return `${what} of shape [${(value as { shape: unknown[] }).shape.join(', ')}]`;
  }
  try {
    let s = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
    if (s === undefined) return String(value);
    s = s.replace(/"(-?Infinity|NaN)"/g, '$1');
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return String(value);
  }
}

/** Throw `fn: option "option" = value, expected ...`. */
export function fail(fn: string, option: string, value: unknown, expected: string): never {
  throw new Error(`${fn}: option "${option}" = ${show(value)}, expected ${expected}`);
}

/** Throw `fn: option "option" has entry [where] = value, expected ...`. */
export function failEntry(fn: string, option: string, where: string, value: unknown, expected: string): never {
  throw new Error(`${fn}: option "${option}" has entry ${where} = ${show(value)}, expected ${expected}`);
}

/**
 * An options object; unknown keys are rejected so that typos (`colour`, `widht`) do not pass silently.
 * `required` lists the keys that must be present (not undefined).
 */
export function checkOptions<T extends object>(
  fn: string,
  options: unknown,
  known: readonly string[],
  required: readonly string[] = [],
): T {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    fail(fn, 'options', options, 'an options object');
  }
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) {
      fail(fn, name, (options as Record<string, unknown>)[name], `no such option; known options: ${known.join(', ')}`);
    }
  }
  for (const name of required) {
    if ((options as Record<string, unknown>)[name] === undefined) {
      fail(fn, name, undefined, 'a value (this option is required)');
    }
  }
  return options as T;
}

/** An integer >= `min` (default 1). */
export function checkInteger(fn: string, option: string, value: unknown, min = 1): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) fail(fn, option, value, `an integer >= ${min}`);
  return value;
}

/** A finite number > 0. */
export function checkPositive(fn: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) fail(fn, option, value, 'a finite number > 0');
  return value;
}

/** A finite number. */
export function checkFinite(fn: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(fn, option, value, 'a finite number');
  return value;
}

/** A number in [lo, hi]. */
export function checkInRange(fn: string, option: string, value: unknown, lo: number, hi: number): number {
  if (typeof value !== 'number' || !(value >= lo && value <= hi)) fail(fn, option, value, `a number in [${lo}, ${hi}]`);
  return value;
}

/** A boolean. */
export function checkBoolean(fn: string, option: string, value: unknown): boolean {
  if (typeof value !== 'boolean') fail(fn, option, value, 'true or false');
  return value;
}

/** A string (non-empty unless `allowEmpty`). */
export function checkString(fn: string, option: string, value: unknown, allowEmpty = false): string {
  if (typeof value !== 'string' || (!allowEmpty && value.length === 0)) fail(fn, option, value, allowEmpty ? 'a string' : 'a non-empty string');
  return value;
}

/** One of the listed strings. */
export function checkChoice<T extends string>(fn: string, option: string, value: unknown, choices: readonly T[]): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    fail(fn, option, value, `one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`);
  }
  return value as T;
}

/** An interval [lo, hi] of finite numbers with lo < hi. */
export function checkInterval(fn: string, option: string, value: unknown): [number, number] {
  if (
    !Array.isArray(value) ||
    value.length !== 2 ||
    typeof value[0] !== 'number' ||
    typeof value[1] !== 'number' ||
    !Number.isFinite(value[0]) ||
    !Number.isFinite(value[1]) ||
    !(value[0] < value[1])
  ) {
    fail(fn, option, value, 'an interval [lo, hi] of finite numbers with lo < hi');
  }
  return [value[0], value[1]];
}

/** A list of strings (CSS colours, names) with at least `min` entries. */
export function checkStringList(fn: string, option: string, value: unknown, min = 1): string[] {
  if (!Array.isArray(value) || value.length < min || value.some((v) => typeof v !== 'string' || v.length === 0)) {
    fail(fn, option, value, `an array of at least ${min} non-empty string${min === 1 ? '' : 's'}`);
  }
  return value as string[];
}
