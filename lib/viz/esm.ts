/**
 * Loading vega and vega-lite. Both are ESM packages whose module graph contains a top-level await
 * (vega-canvas tries `await import('canvas')`), so they cannot be `require`d (ERR_REQUIRE_ASYNC_MODULE). That
 * matters in the tslab kernel, which compiles cells and the lib files they import to CommonJS: there a static
 * `import * as vega from 'vega'` becomes `require('vega')` and fails, and TypeScript rewrites `import('vega')` to
 * `require` as well. A real dynamic import works when it is created with `new Function` inside a module (not in a
 * cell), so every file of lib/viz loads vega through these two functions, which work in tsx, tsc-built ESM and tslab.
 */
import type * as VegaModule from 'vega';
import type * as VegaLiteModule from 'vega-lite';

const importESM = new Function('specifier', 'return import(specifier)') as <T>(specifier: string) => Promise<T>;

let vegaPromise: Promise<typeof VegaModule> | undefined;
let vegaLitePromise: Promise<typeof VegaLiteModule> | undefined;

/** The `vega` module (loaded once). */
export function loadVega(): Promise<typeof VegaModule> {
  vegaPromise ??= importESM<typeof VegaModule>('vega');
  return vegaPromise;
}

/** The `vega-lite` module (loaded once). */
export function loadVegaLite(): Promise<typeof VegaLiteModule> {
  vegaLitePromise ??= importESM<typeof VegaLiteModule>('vega-lite');
  return vegaLitePromise;
}
