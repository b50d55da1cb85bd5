/**
 * The one error every long loop throws when its AbortSignal fires: `AbortError` (name 'AbortError', as the DOM's
 * own, so `err.name === 'AbortError'` and `err instanceof AbortError` both work). Loops that have a partial result
 * to hand back (runChain, fit) throw a subclass carrying it.
 */
export class AbortError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AbortError';
  }
}

/** Throw `AbortError("<where>: aborted<detail>")` when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, where: string, detail = ''): void {
  if (signal?.aborted) throw new AbortError(`${where}: aborted${detail}`);
}
