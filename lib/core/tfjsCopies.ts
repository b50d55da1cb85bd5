/**
 * One copy of TensorFlow.js per process. Two copies of @tensorflow/tfjs-core (the user's `import * as tf` resolving
 * to one folder, the library's to another: `npm install ../sampling-lab` links the folder, which keeps its own
 * node_modules) share tfjs' global engine, so tensors pass from one to the other, but every kernel is registered
 * twice (hundreds of "The kernel ... is already registered" lines), and two different versions disagree on ops and
 * gradients without a word. `initBackend` calls `checkOneTfjsCore` and fails with what to do instead.
 *
 * tfjs-core's Node entry (dist/tf-core.node.js) is CommonJS, also when imported from ESM, so every loaded copy is
 * in Node's module cache: that is where they are counted. A bundled (ESM-only) copy is not seen.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

const CORE_ENTRY = /[\\/]@tensorflow[\\/]tfjs-core[\\/]dist[\\/]tf-core\.node\.js$/;

/** The package folders of the @tensorflow/tfjs-core copies loaded in this process. */
export function loadedTfjsCoreCopies(cachedModules: readonly string[] = Object.keys(createRequire(import.meta.url).cache)): string[] {
  return [...new Set(cachedModules.filter((file) => CORE_ENTRY.test(file)).map((file) => dirname(dirname(file))))];
}

/** Throws when more than one copy of @tensorflow/tfjs-core is loaded (SAMPLING_LAB_ALLOW_TFJS_COPIES=1: a warning). */
export function checkOneTfjsCore(copies: readonly string[] = loadedTfjsCoreCopies()): void {
  if (copies.length <= 1) return;
  const message =
    `two copies of @tensorflow/tfjs-core are loaded (${copies.join(', ')}): your code and sampling-lab must share one ` +
    'TensorFlow.js. Install sampling-lab from its tarball (`npm pack` in the sampling-lab folder, then ' +
    '`npm install <tarball>`; tfjs is a peer dependency, so npm installs one copy at your project\'s top level), ' +
    'or run `npm dedupe`. SAMPLING_LAB_ALLOW_TFJS_COPIES=1 turns this error into a warning.';
  if (process.env.SAMPLING_LAB_ALLOW_TFJS_COPIES === '1') console.warn(`sampling-lab: warning: ${message}`);
  else throw new Error(`sampling-lab: ${message}`);
}
