/**
 * Checkpoint files shared by the run driver (`runChain`) and the trainers (`fit`): one JSON document per run,
 * tensors and typed arrays stored as base64 of their little-endian bytes (so that values come back bit for bit),
 * written atomically (temporary file, then rename) so that a kill during the write leaves the previous
 * checkpoint intact. Node only (the fs modules are imported lazily, so browser bundles that never checkpoint
 * do not need them).
 */
import * as tf from '@tensorflow/tfjs';
import { showValue } from './validate.js';

/** A tensor in a checkpoint: dtype, shape and base64 bytes (float32 / int32; bool as uint8). */
export interface EncodedTensor {
  dtype: 'float32' | 'int32' | 'bool';
  shape: number[];
  data: string;
}

export function bytesToBase64(view: ArrayBufferView): string {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString('base64');
}

/** Decoded bytes in a fresh (aligned) ArrayBuffer. */
export function base64ToBytes(text: string): ArrayBuffer {
  const buf = Buffer.from(text, 'base64');
  const out = new Uint8Array(buf.length);
  out.set(buf);
  return out.buffer;
}

export const decodeFloat32 = (text: string): Float32Array => new Float32Array(base64ToBytes(text));
export const decodeFloat64 = (text: string): Float64Array => new Float64Array(base64ToBytes(text));

/** Read a tensor back (once) and encode it; `what` names it in the error for an unsupported dtype. */
export async function encodeTensor(value: tf.Tensor, what: string): Promise<EncodedTensor> {
  const dtype = value.dtype;
  if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool') {
    throw new Error(`${what} has dtype ${dtype}, expected float32, int32 or bool`);
  }
  const data = await value.data();
  return { dtype, shape: value.shape.slice(), data: bytesToBase64(data as ArrayBufferView) };
}

/** The encoded values as a typed array of the encoded dtype. */
export function decodeTensorValues(encoded: EncodedTensor): Float32Array | Int32Array | Uint8Array {
  const bytes = base64ToBytes(encoded.data);
  return encoded.dtype === 'float32' ? new Float32Array(bytes) : encoded.dtype === 'int32' ? new Int32Array(bytes) : new Uint8Array(bytes);
}

/** A new tensor holding the encoded values (the caller owns it). */
export function decodeTensor(encoded: EncodedTensor): tf.Tensor {
  return tf.tensor(decodeTensorValues(encoded), encoded.shape, encoded.dtype);
}

/**
 * Write `document` as JSON to `path` atomically (its folder is created if needed). `where` prefixes the error
 * thrown when the document cannot be serialised.
 */
export async function writeJsonAtomic(where: string, path: string, document: unknown): Promise<void> {
  const { writeFile, rename, mkdir } = await import('node:fs/promises');
  const { dirname } = await import('node:path');
  let json: string;
  try {
    json = JSON.stringify(document);
  } catch (err) {
    throw new Error(`${where}: the checkpoint is not JSON-serialisable (${(err as Error).message})`);
  }
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, json);
  await rename(tmp, path);
}

/**
 * Read a checkpoint written by `writer` and check its `format` and `version` fields; every failure names the
 * option "path", the path and what was expected.
 */
export async function readJsonCheckpoint<T extends { format: string; version: number }>(
  where: string,
  path: string,
  format: T['format'],
  version: T['version'],
  writer: string,
): Promise<T> {
  const { readFile } = await import('node:fs/promises');
  const expected = `a checkpoint file written by ${writer}`;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`${where}: option "path" = ${JSON.stringify(path)} could not be read (${(err as Error).message}), expected ${expected}`);
  }
  let file: T;
  try {
    file = JSON.parse(text) as T;
  } catch {
    throw new Error(`${where}: option "path" = ${JSON.stringify(path)} is not JSON, expected ${expected}`);
  }
  if (file?.format !== format || file.version !== version) {
    throw new Error(
      `${where}: option "path" = ${JSON.stringify(path)} has format ${showValue(file?.format)} version ${showValue(file?.version)}, ` +
        `expected ${JSON.stringify(format)} version ${version}`,
    );
  }
  return file;
}
