/**
 * Run a block of tests once per backend: `onBackends(['cpu', 'wasm'], (name) => { test(...) })`.
 * Each block switches the tfjs backend in a `before` hook, so the tests inside use that backend.
 */
import { describe, before } from 'node:test';
import { initBackend, type BackendName } from '../../lib/core/backend.js';

export const TEST_BACKENDS: BackendName[] = ['cpu', 'wasm'];

export function onBackends(names: BackendName[], body: (name: BackendName) => void): void {
  for (const name of names) {
    describe(`backend ${name}`, () => {
      before(async () => {
        await initBackend({ force: name });
      });
      body(name);
    });
  }
}

/**
 * Use one backend for a whole file (the default test backend is wasm, the one users get here).
 * `SAMPLING_LAB_TEST_BACKEND=webgpu` runs such files on another backend instead, e.g. the papers' end-to-end tests
 * on SwiftShader: `SAMPLING_LAB_TEST_BACKEND=webgpu npm run test:only -- experiments-`.
 */
export async function useBackend(name: BackendName = 'wasm'): Promise<void> {
  await initBackend({ force: process.env.SAMPLING_LAB_TEST_BACKEND || name });
}
