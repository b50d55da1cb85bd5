/**
 * Save and load model weights as a tf.io weight manifest (DESIGN.md section 2): a directory with
 *   model.json    { format: "sampling-lab-weights", formatVersion: 1, name, metadata,
 *                   weightsManifest: [{ paths: ["weights.bin"], weights: [{ name, shape, dtype }, ...] }] }
 *   weights.bin   the raw little-endian values, concatenated in manifest order (`tf.io.encodeWeights`)
 * `metadata` is any JSON the caller adds (a flow's config, a training step, a key). Values are stored exactly,
 * so a save / load round trip reproduces a model's outputs bit for bit.
 *
 * Entry names are the variables' *stable names*: the tfjs name with a leading unique scope `<prefix>#<n>/` removed
 * (lib/models/mlp.ts and realnvp.ts name their variables `realnvp#3/block0/coupling1/scale/dense0/weight`, stored
 * as `block0/coupling1/scale/dense0/weight`), so a file written by one model instance restores into another of
 * the same architecture. Variables named otherwise (tfjs' automatic numeric names) need explicit `names`.
 *
 * This is the only module of lib/models that touches the file system (Node only).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { key } from '../core/random.js';
import { checkOptions, invalidOption, showValue } from '../core/validate.js';
import { realNvp, realNvpConfig, type RealNvp, type RealNvpOptions } from './realnvp.js';

export const WEIGHTS_FORMAT = 'sampling-lab-weights';
export const WEIGHTS_FORMAT_VERSION = 1;
const MODEL_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.bin';
const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

export type WeightsMetadata = Record<string, unknown>;

export interface SaveWeightsOptions {
  /** A name for the weight set (stored in model.json). Default "model". */
  name?: string;
  /** Any JSON-serialisable data stored with the weights. Default {}. */
  metadata?: WeightsMetadata;
  /** Entry names, one per variable; default: the variables' stable names (see {@link stableWeightName}). */
  names?: readonly string[];
}

export interface RestoreWeightsOptions {
  /** Entry names to match, one per variable; default: the variables' stable names. */
  names?: readonly string[];
}

export interface LoadedWeights {
  name: string;
  metadata: WeightsMetadata;
  /** Entry names in file order. */
  names: string[];
  /** The stored values by entry name (new tensors, owned by the caller). */
  tensors: Record<string, tf.Tensor>;
}

/** The name a variable is stored under: its tfjs name without a leading unique scope `<prefix>#<n>/`. */
export function stableWeightName(variable: tf.Variable): string {
  return variable.name.replace(/^[^/#]*#\d+\//, '');
}

function checkDir(fn: string, dir: unknown): string {
  if (typeof dir !== 'string' || dir.length === 0) invalidOption(fn, 'dir', dir, 'a directory path (a non-empty string)');
  return dir;
}

/** The entry names for `variables` (given, or their stable names), checked to be unique non-empty strings. */
function entryNames(fn: string, variables: readonly tf.Variable[], names: unknown): string[] {
  let out: string[];
  if (names === undefined) out = variables.map(stableWeightName);
  else {
    if (!Array.isArray(names) || names.length !== variables.length) {
      invalidOption(fn, 'names', names, `an array of ${variables.length} names (one per variable)`);
    }
    out = names as string[];
  }
  const seen = new Set<string>();
  out.forEach((n, i) => {
    if (typeof n !== 'string' || n.length === 0) invalidOption(fn, `names[${i}]`, n, 'a non-empty string');
    if (seen.has(n)) {
      invalidOption(fn, 'names', n, 'unique entry names (this one occurs twice; pass explicit `names` to tell the variables apart)');
    }
    seen.add(n);
  });
  return out;
}

function checkVariables(fn: string, variables: unknown): tf.Variable[] {
  if (!Array.isArray(variables) || variables.length === 0) {
    invalidOption(fn, 'variables', variables, 'a non-empty array of tf.Variable');
  }
  variables.forEach((v, i) => {
    if (!(v instanceof tf.Variable)) invalidOption(fn, `variables[${i}]`, v, 'a tf.Variable');
    if (v.isDisposed) invalidOption(fn, `variables[${i}]`, v.name, 'a live tf.Variable (this one is disposed)');
  });
  return variables as tf.Variable[];
}

/**
 * Write `variables` and `metadata` to `dir` (created if needed) as model.json + weights.bin. Returns the paths
 * written and the entry names.
 */
export async function saveWeights(
  variables: readonly tf.Variable[],
  dir: string,
  options: SaveWeightsOptions = {},
): Promise<{ modelPath: string; weightsPath: string; names: string[] }> {
  const fn = 'saveWeights';
  const vars = checkVariables(fn, variables);
  checkDir(fn, dir);
  const opts = checkOptions<SaveWeightsOptions>(fn, options, ['name', 'metadata', 'names']);
  const name = opts.name ?? 'model';
  if (typeof name !== 'string' || name.length === 0) invalidOption(fn, 'name', name, 'a non-empty string');
  const metadata = opts.metadata ?? {};
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
    invalidOption(fn, 'metadata', metadata, 'a plain object of JSON-serialisable data');
  }
  const names = entryNames(fn, vars, opts.names);
  vars.forEach((v, i) => {
    if (!(v.dtype in DTYPE_BYTES)) invalidOption(fn, `variables[${i}]`, v.name, `dtype float32, int32 or bool (got ${v.dtype})`);
  });
  let metadataJson: unknown;
  try {
    metadataJson = JSON.parse(JSON.stringify(metadata));
  } catch (err) {
    invalidOption(fn, 'metadata', metadata, `JSON-serialisable data (${(err as Error).message})`);
  }

  const { data, specs } = await tf.io.encodeWeights(vars.map((v, i) => ({ name: names[i], tensor: v })));
  const model = {
    format: WEIGHTS_FORMAT,
    formatVersion: WEIGHTS_FORMAT_VERSION,
    name,
    metadata: metadataJson,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: specs }],
  };
  await mkdir(dir, { recursive: true });
  const weightsPath = join(dir, WEIGHTS_FILE);
  const modelPath = join(dir, MODEL_FILE);
  await writeFile(weightsPath, new Uint8Array(data));
  await writeFile(modelPath, `${JSON.stringify(model, null, 1)}\n`);
  return { modelPath, weightsPath, names };
}

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool';
}

/** Parse and check model.json; throws errors that name the file and what is wrong. */
function parseModelJson(fn: string, path: string, text: string): { name: string; metadata: WeightsMetadata; paths: string[]; specs: ManifestEntry[] } {
  const bad = (what: string): never => {
    throw new Error(`${fn}: ${path} is not a sampling-lab weight file: ${what}`);
  };
  let model: Record<string, unknown>;
  try {
    model = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    return bad(`invalid JSON (${(err as Error).message})`);
  }
  if (model === null || typeof model !== 'object' || Array.isArray(model)) return bad('expected a JSON object');
  if (model.format !== WEIGHTS_FORMAT) return bad(`"format" = ${showValue(model.format)}, expected "${WEIGHTS_FORMAT}"`);
  if (model.formatVersion !== WEIGHTS_FORMAT_VERSION) {
    return bad(`"formatVersion" = ${showValue(model.formatVersion)}, expected ${WEIGHTS_FORMAT_VERSION}`);
  }
  const metadata = model.metadata ?? {};
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) return bad('"metadata" must be an object');
  const manifest = model.weightsManifest;
  if (!Array.isArray(manifest) || manifest.length === 0) return bad('"weightsManifest" must be a non-empty array');
  const paths: string[] = [];
  const specs: ManifestEntry[] = [];
  for (const group of manifest as Record<string, unknown>[]) {
    if (group === null || typeof group !== 'object' || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      return bad('each "weightsManifest" group needs "paths" and "weights" arrays');
    }
    for (const p of group.paths) {
      if (typeof p !== 'string' || p.length === 0 || p.includes('..') || p.startsWith('/')) {
        return bad(`weight path ${showValue(p)} must be a file name inside the directory`);
      }
      paths.push(p);
    }
    for (const w of group.weights as Record<string, unknown>[]) {
      const ok =
        w !== null &&
        typeof w === 'object' &&
        typeof w.name === 'string' &&
        Array.isArray(w.shape) &&
        w.shape.every((s) => Number.isSafeInteger(s) && (s as number) >= 0) &&
        typeof w.dtype === 'string' &&
        w.dtype in DTYPE_BYTES &&
        w.quantization === undefined;
      if (!ok) return bad(`manifest entry ${showValue(w)} needs a name, a shape of non-negative integers and dtype float32, int32 or bool`);
      specs.push({ name: w.name as string, shape: w.shape as number[], dtype: w.dtype as ManifestEntry['dtype'] });
    }
  }
  const name = typeof model.name === 'string' ? model.name : 'model';
  return { name, metadata: metadata as WeightsMetadata, paths, specs };
}

/** Read a weight directory written by {@link saveWeights}: the tensors by entry name, and the metadata. */
export async function loadWeights(dir: string): Promise<LoadedWeights> {
  const fn = 'loadWeights';
  checkDir(fn, dir);
  const modelPath = join(dir, MODEL_FILE);
  let text: string;
  try {
    text = await readFile(modelPath, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`${fn}: cannot read ${modelPath} (${code ?? (err as Error).message}); expected a directory written by saveWeights`);
  }
  const { name, metadata, paths, specs } = parseModelJson(fn, modelPath, text);

  const chunks: Buffer[] = [];
  for (const p of paths) {
    try {
      chunks.push(await readFile(join(dir, p)));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new Error(`${fn}: cannot read weight file ${join(dir, p)} listed in ${modelPath} (${code ?? (err as Error).message})`);
    }
  }
  const bytes = Buffer.concat(chunks);
  const expected = specs.reduce((sum, s) => sum + s.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[s.dtype], 0);
  if (bytes.byteLength !== expected) {
    throw new Error(
      `${fn}: ${paths.map((p) => join(dir, p)).join(', ')} holds ${bytes.byteLength} bytes, but the manifest in ${modelPath} ` +
        `expects ${expected} (the files are truncated or do not belong together)`,
    );
  }
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.name)) throw new Error(`${fn}: ${modelPath} lists the entry ${showValue(s.name)} twice`);
    seen.add(s.name);
  }
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const tensors = tf.io.decodeWeights(buffer, specs);
  return { name, metadata, names: specs.map((s) => s.name), tensors };
}

/** Check names, shapes and dtypes of `loaded` against `variables`, then assign; disposes `loaded.tensors`. */
function assignLoaded(fn: string, vars: tf.Variable[], names: string[], loaded: LoadedWeights, dir: string): void {
  try {
    const missing = names.filter((n) => !(n in loaded.tensors));
    const extra = loaded.names.filter((n) => !names.includes(n));
    if (missing.length > 0 || extra.length > 0) {
      const list = (xs: string[]) => (xs.length > 4 ? `${xs.slice(0, 4).join(', ')}, ... (${xs.length} in all)` : xs.join(', '));
      throw new Error(
        `${fn}: the weights in ${dir} do not match the ${vars.length} variables given` +
          (missing.length > 0 ? `; missing from the file: ${list(missing)}` : '') +
          (extra.length > 0 ? `; in the file but not among the variables: ${list(extra)}` : ''),
      );
    }
    vars.forEach((v, i) => {
      const t = loaded.tensors[names[i]];
      if (!tf.util.arraysEqual(t.shape, v.shape) || t.dtype !== v.dtype) {
        throw new Error(
          `${fn}: entry ${showValue(names[i])} in ${dir} has shape [${t.shape.join(', ')}] (${t.dtype}), ` +
            `expected [${v.shape.join(', ')}] (${v.dtype}) as the variable ${showValue(v.name)}`,
        );
      }
    });
    vars.forEach((v, i) => v.assign(loaded.tensors[names[i]]));
  } finally {
    tf.dispose(Object.values(loaded.tensors));
  }
}

/**
 * Load `dir` into `variables` (matched by entry name, see {@link stableWeightName}). Every name and shape is
 * checked before anything is assigned, so a mismatch leaves the variables unchanged. Returns the file's name and
 * metadata.
 */
export async function restoreWeights(
  variables: readonly tf.Variable[],
  dir: string,
  options: RestoreWeightsOptions = {},
): Promise<{ name: string; metadata: WeightsMetadata }> {
  const fn = 'restoreWeights';
  const vars = checkVariables(fn, variables);
  checkDir(fn, dir);
  const opts = checkOptions<RestoreWeightsOptions>(fn, options, ['names']);
  const names = entryNames(fn, vars, opts.names);
  const loaded = await loadWeights(dir);
  assignLoaded(fn, vars, names, loaded, dir);
  return { name: loaded.name, metadata: loaded.metadata };
}

/** Save a RealNVP: its variables plus `metadata.flow = { kind: 'realnvp', config }` for {@link flowFromWeights}. */
export async function saveFlow(
  flow: RealNvp,
  dir: string,
  options: { metadata?: WeightsMetadata } = {},
): Promise<{ modelPath: string; weightsPath: string; names: string[] }> {
  const fn = 'saveFlow';
  if (flow == null || typeof flow !== 'object' || flow.kind !== 'realnvp' || flow.config == null) {
    invalidOption(fn, 'flow', flow, 'a RealNVP created by realNvp() (with kind "realnvp" and a config)');
  }
  const opts = checkOptions<{ metadata?: WeightsMetadata }>(fn, options, ['metadata']);
  const metadata = { ...(opts.metadata ?? {}), flow: { kind: flow.kind, config: { ...flow.config } } };
  return saveWeights(flow.variables, dir, { name: 'realnvp', metadata });
}

/**
 * Re-create the RealNVP saved in `dir` by {@link saveFlow} (or by saveWeights with `metadata.flow`): its
 * architecture from the stored config, its values from the stored weights (no key involved).
 */
export async function flowFromWeights(dir: string): Promise<RealNvp> {
  const fn = 'flowFromWeights';
  checkDir(fn, dir);
  const loaded = await loadWeights(dir);
  let flow: RealNvp;
  try {
    const stored = loaded.metadata.flow as { kind?: unknown; config?: unknown } | undefined;
    if (stored == null || typeof stored !== 'object' || stored.kind !== 'realnvp' || stored.config == null) {
      throw new Error(
        `${fn}: ${join(dir, MODEL_FILE)} has no RealNVP description: "metadata.flow" = ${showValue(stored)}, ` +
          'expected { kind: "realnvp", config } as written by saveFlow',
      );
    }
    const config = realNvpConfig(stored.config as RealNvpOptions, `${fn} (stored config)`);
    // The initial values are overwritten: any key gives the same flow.
    flow = realNvp(key(0), config);
  } catch (err) {
    tf.dispose(Object.values(loaded.tensors));
    throw err;
  }
  try {
    assignLoaded(fn, flow.variables, flow.variables.map(stableWeightName), loaded, dir);
  } catch (err) {
    flow.dispose();
    throw err;
  }
  return flow;
}
