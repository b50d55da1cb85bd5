/**
 * No synchronous read-back in lib/ (issue 10): webgpu in Node has none (`dataSync` needs an OffscreenCanvas), and
 * on a GPU a synchronous read stalls the pipeline. lib/core/readback.ts is the one place allowed to read
 * synchronously, and only on host backends (`readIfOnHost`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../helpers/backends.js';
import { readAll, readFloat64, readIfOnHost, readScalar, readValues } from '../../lib/core/readback.js';

const SYNC_READ = /\.(dataSync|arraySync|bufferSync)\s*\(|readSync\s*\(/;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

test('no synchronous read-back in lib/ outside lib/core/readback.ts', () => {
  const offenders: string[] = [];
  for (const file of sources('lib')) {
    if (file === join('lib', 'core', 'readback.ts')) continue;
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (SYNC_READ.test(line)) offenders.push(`${file}:${i + 1}: ${line.trim()}`);
      });
  }
  assert.deepEqual(offenders, [], `synchronous reads (use lib/core/readback.ts):\n${offenders.join('\n')}`);
});

test('the scanner sees a synchronous read (it can fail)', () => {
  assert.ok(SYNC_READ.test('const v = x.dataSync();'));
  assert.ok(SYNC_READ.test('return t.arraySync() as number[][];'));
  assert.ok(!SYNC_READ.test('const v = await x.data();'));
});

test('readback helpers return the values, in one round trip for several tensors', async () => {
  await useBackend('wasm');
  const a = tf.tensor1d([1.5, -2, Infinity]);
  const b = tf.tensor2d([[1, 2], [3, 4]]);
  const s = tf.scalar(7);
  try {
    assert.deepEqual(Array.from(await readValues(a)), [1.5, -2, Infinity]);
    const [va, vb] = await readAll([a, b]);
    assert.deepEqual([Array.from(va), Array.from(vb)], [[1.5, -2, Infinity], [1, 2, 3, 4]]);
    const f64 = await readFloat64(a);
    assert.ok(f64 instanceof Float64Array);
    assert.equal(await readScalar(s), 7);
    assert.deepEqual(Array.from(readIfOnHost(b) ?? []), [1, 2, 3, 4], 'wasm is a host backend: the values');
  } finally {
    tf.dispose([a, b, s]);
  }
});
