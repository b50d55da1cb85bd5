/**
 * lib/core/tfjsCopies.ts: two copies of @tensorflow/tfjs-core in one process make initBackend fail with what to do
 * (scripts/pack-test.mjs shows it on a real linked install); one copy passes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '@tensorflow/tfjs';
import { checkOneTfjsCore, loadedTfjsCoreCopies } from '../../lib/core/tfjsCopies.js';

const copy = (root: string) => `${root}/node_modules/@tensorflow/tfjs-core/dist/tf-core.node.js`;

test('loadedTfjsCoreCopies counts package folders of tfjs-core entries, once each', () => {
  const files = [copy('/a'), copy('/a'), copy('/b/node_modules/x'), '/a/node_modules/@tensorflow/tfjs-core/dist/ops/add.js', '/a/other.js'];
  assert.deepEqual(loadedTfjsCoreCopies(files), ['/a/node_modules/@tensorflow/tfjs-core', '/b/node_modules/x/node_modules/@tensorflow/tfjs-core']);
});

test('this process has loaded exactly one copy, and checkOneTfjsCore passes', () => {
  assert.equal(loadedTfjsCoreCopies().length, 1, loadedTfjsCoreCopies().join(', '));
  checkOneTfjsCore();
});

test('two copies: a clear error naming both folders and the fix; SAMPLING_LAB_ALLOW_TFJS_COPIES=1 makes it a warning', (t) => {
  const copies = loadedTfjsCoreCopies([copy('/user'), copy('/lib')]);
  assert.throws(() => checkOneTfjsCore(copies), (err: Error) => {
    assert.match(err.message, /two copies of @tensorflow\/tfjs-core/);
    assert.match(err.message, /\/user\/node_modules\/@tensorflow\/tfjs-core, \/lib\/node_modules\/@tensorflow\/tfjs-core/);
    assert.match(err.message, /npm pack/);
    return true;
  });
  const warn = t.mock.method(console, 'warn', () => {});
  process.env.SAMPLING_LAB_ALLOW_TFJS_COPIES = '1';
  try {
    checkOneTfjsCore(copies);
  } finally {
    delete process.env.SAMPLING_LAB_ALLOW_TFJS_COPIES;
  }
  assert.equal(warn.mock.callCount(), 1);
  assert.match(String(warn.mock.calls[0].arguments[0]), /warning: two copies/);
});
