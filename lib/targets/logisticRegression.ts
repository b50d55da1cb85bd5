/**
 * Bayesian logistic regression posteriors on real data sets (SLIPS section 1.6, LRDS section 2.7 appendix,
 * flow_mcmc's horseshoe-like regression: slips-lrds spec sections 1.6, 1.8, 2.7; nfmcmc spec section 1.6).
 *
 * Model: p(y = 1 | x, w, b) = sigmoid(x . w + b), over the TRAINING split; logDensity(theta) = sum_i log p(y_i | x_i)
 * + log prior(theta), written with logSigmoid (stable for any logit): y log s(eta) + (1 - y) log s(-eta) =
 * y eta + logSigmoid(-eta). Unlike the papers' code, the probabilities are not clipped (SLIPS clips to
 * [1e-8, 1 - 1e-8], flow_mcmc to [1e-6, 1 - 1e-6]); clipping only changes points predicted wrong with odds > 1e8.
 *
 * Parameter layout (intercept LAST, as SLIPS's `params[..., :-1], params[..., -1]`):
 * - Gaussian prior: theta = (w_1..w_P, b), dim = P + 1; w_j ~ N(0, weightScale^2), b ~ N(interceptMean,
 *   interceptScale^2). SLIPS: 1, 0, 2.5. LRDS appendix: ionosphere 5.25, 4.25, 0.25; sonar 4.5, -2.5, 0.5.
 * - Horseshoe-like prior (flow_mcmc, from TESS): theta = (beta (P + 1), lambda (P + 1), tau), dim = 2P + 3;
 *   coefficients (w, b) = e^tau beta ⊙ e^lambda; beta_j ~ N(0, 1); e^lambda_j, e^tau ~ Gamma(shape, rate)
 *   (0.5, 0.5), written on the log scale with the Jacobian: log p(u) = shape log rate - logGamma(shape)
 *   + shape u - rate e^u.
 *
 * Features. Columns that are constant over the training split are dropped (ionosphere's second attribute is 0
 * everywhere: SLIPS drops it too, 34 -> 33 features). Then 'standardize' (default: mean 0, sd 1 over the training
 * split, population sd), 'raw' (SLIPS's pickles hold raw UCI values) or 'minmax' ([-1, 1], flow_mcmc; it scaled
 * over the whole data set, here over the training split).
 *
 * Split. Deterministic from the seed: a uniform draw per row (`uniformArray(key(seed), m)`), the rows with the
 * ceil(split * m) smallest draws are the test set (sklearn's count: 351 -> 280 / 71 and 208 -> 166 / 42 at 0.2,
 * SLIPS's sizes; its actual rows come from pickles we do not have). Not stratified.
 *
 * Test metrics (float64, on the JS side, from posterior samples theta_s, s = 1..S):
 * - `testLogPredictive`: mean over test points j of log (1/S) sum_s p(y_j | x_j, theta_s) (log-mean-exp over
 *   samples): the log posterior predictive density per test point.
 * - `testMeanLogDensity`: SLIPS's `mean_pred_log_prob` (benchmark_utils.compute_metrics): the mean over samples
 *   of [sum_j log p(y_j | x_j, theta_s) + log prior(theta_s)], i.e. the model's log-density on the TEST split
 *   averaged over samples (not a predictive).
 */
import * as tf from '@tensorflow/tfjs';
import * as aq from 'arquero';
import { logSumExp64 } from '../core/logspace.js';
import { exp, logSigmoid, matMul, sigmoid } from '../core/ops.js';
import { key as keyFromSeed, uniformArray, type Key } from '../core/random.js';
import { logGamma } from '../core/special.js';
import { checkNumber, invalidOption, verbatim } from '../core/validate.js';
import { checkPositions, type Target } from './target.js';

export type BuiltinDataset = 'ionosphere' | 'sonar' | 'german-credit';
export const BUILTIN_DATASETS: readonly BuiltinDataset[] = ['ionosphere', 'sonar', 'german-credit'];

/** What option "dataset" accepts, as error messages say it. */
const DATASET_EXPECTED = `one of ${BUILTIN_DATASETS.map((d) => `'${d}'`).join(', ')} or { X, y }`;

export type LogisticPrior =
  | { kind: 'gaussian'; weightScale?: number; interceptMean?: number; interceptScale?: number }
  | { kind: 'horseshoe'; shape?: number; rate?: number };

export interface LogisticRegressionOptions {
  /** A shipped data set (data/*.csv, checksum-verified) or a design matrix X [m, P] with labels y in {0, 1}. */
  dataset: BuiltinDataset | { X: number[][]; y: number[]; name?: string };
  /** A prior, or the name of one of `logisticPriors`. Default `logisticPriors.slips`. */
  prior?: LogisticPrior | LogisticPriorName;
  /** Feature scaling, default 'standardize' (see the header comment). */
  features?: 'standardize' | 'raw' | 'minmax';
  /** Fraction of rows held out as the test split, in [0, 1). Default 0.2. */
  split?: number;
  /** Seed (or key) of the split. Default 0. */
  seed?: number | Key;
  /** Folder of the shipped CSVs and CHECKSUMS.sha256. Default: the repository's data/. */
  dataDir?: string;
}

/** The priors of the papers (see the header comment). */
export const logisticPriors = {
  slips: { kind: 'gaussian', weightScale: 1, interceptMean: 0, interceptScale: 2.5 },
  lrdsIonosphere: { kind: 'gaussian', weightScale: 5.25, interceptMean: 4.25, interceptScale: 0.25 },
  lrdsSonar: { kind: 'gaussian', weightScale: 4.5, interceptMean: -2.5, interceptScale: 0.5 },
  flowMcmcHorseshoe: { kind: 'horseshoe', shape: 0.5, rate: 0.5 },
} as const satisfies Record<string, LogisticPrior>;
export type LogisticPriorName = keyof typeof logisticPriors;

/**
 * Paper configurations. SLIPS: raw features, 80 / 20 split (its split rows are not reproducible). LRDS: the
 * appendix priors; its feature scaling is not in the spec, raw is assumed like SLIPS [recon]. flow_mcmc: German
 * credit, min-max features, 75 / 25 split; it used the 24-column `german.data-numeric` encoding, whereas
 * data/german-credit.csv one-hot encodes the 20 original attributes (48 features), so results are not comparable
 * number for number.
 */
export const logisticRegressionPresets = {
  slipsIonosphere: { dataset: 'ionosphere', prior: logisticPriors.slips, features: 'raw', split: 0.2 },
  slipsSonar: { dataset: 'sonar', prior: logisticPriors.slips, features: 'raw', split: 0.2 },
  lrdsIonosphere: { dataset: 'ionosphere', prior: logisticPriors.lrdsIonosphere, features: 'raw', split: 0.2 },
  lrdsSonar: { dataset: 'sonar', prior: logisticPriors.lrdsSonar, features: 'raw', split: 0.2 },
  flowMcmcGermanCredit: { dataset: 'german-credit', prior: logisticPriors.flowMcmcHorseshoe, features: 'minmax', split: 0.25 },
} as const satisfies Record<string, LogisticRegressionOptions>;

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * Node's fs, path, crypto and url, looked up when a shipped data set is loaded (not imported at the top), so that
 * this module also loads in a browser, where `{ X, y }` data sets work.
 */
function node(where: string) {
  const get = globalThis.process?.getBuiltinModule;
  if (typeof get !== 'function') {
    throw new Error(`${where}: the shipped data sets are read from disk and need Node.js >= 20.16; in a browser pass dataset: { X, y }`);
  }
  return {
    fs: get('node:fs') as typeof import('node:fs'),
    path: get('node:path') as typeof import('node:path'),
    crypto: get('node:crypto') as typeof import('node:crypto'),
    url: get('node:url') as typeof import('node:url'),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Data

export interface LabelledData {
  /** Rows of features. */
  X: number[][];
  /** Labels in {0, 1}. */
  y: number[];
  featureNames: string[];
}


/**
 * Throw unless `path` has the SHA-256 recorded for its file name in `checksumFile` (the `sha256sum` format
 * written by scripts/build-data.sh).
 */
export function verifyChecksum(path: string, checksumFile: string): void {
  const { fs, path: paths, crypto } = node('verifyChecksum');
  const name = paths.basename(path);
  if (!fs.existsSync(checksumFile)) {
    throw new Error(`verifyChecksum: checksum file ${checksumFile} does not exist, expected the one scripts/build-data.sh writes`);
  }
  const expected = fs.readFileSync(checksumFile, 'utf8')
    .split('\n')
    .map((line) => /^([0-9a-f]{64})\s+\*?(.+)$/.exec(line.trim()))
    .find((match) => match && match[2] === name)?.[1];
  if (!expected) throw new Error(`verifyChecksum: ${checksumFile} has no entry for "${name}", expected one line "<sha256>  ${name}"`);
  const actual = crypto.createHash('sha256').update(fs.readFileSync(path)).digest('hex');
  if (actual !== expected) {
    throw new Error(
      `verifyChecksum: ${path} has SHA-256 ${actual}, expected ${expected} (from ${checksumFile}); ` +
        'the file was modified: restore it or rebuild it with scripts/build-data.sh',
    );
  }
}

/**
 * Read a labelled CSV with arquero: numeric feature columns and a label column `y` in {0, 1} (any position).
 * Throws on a missing `y`, a non-numeric entry or a label outside {0, 1}, naming the column and row.
 */
export function parseLabelledCsv(text: string, source = 'CSV input'): LabelledData {
  const table = aq.fromCSV(text, { autoType: false });
  const names = table.columnNames();
  if (!names.includes('y')) {
    throw new Error(`parseLabelledCsv: ${source} has columns ${JSON.stringify(names.slice(0, 8))}..., expected a label column "y"`);
  }
  const featureNames = names.filter((name) => name !== 'y');
  const m = table.numRows();
  const columns = featureNames.map((name) =>
    Array.from(table.array(name) as ArrayLike<unknown>, (raw, i) => {
      const value = Number(raw);
      if (raw === '' || raw == null || !Number.isFinite(value)) {
        throw new Error(`parseLabelledCsv: ${source} column "${name}" row ${i + 1} = ${JSON.stringify(raw)}, expected a finite number`);
      }
      return value;
    }),
  );
  const y = Array.from(table.array('y') as ArrayLike<unknown>, (raw, i) => {
    if (raw !== '0' && raw !== '1') {
      throw new Error(`parseLabelledCsv: ${source} column "y" row ${i + 1} = ${JSON.stringify(raw)}, expected 0 or 1`);
    }
    return Number(raw);
  });
  const X = Array.from({ length: m }, (_, i) => columns.map((column) => column[i]));
  return { X, y, featureNames };
}

/** Load a shipped data set from `dataDir` (default data/), verifying its checksum first. */
export function loadDataset(name: BuiltinDataset, options: { dataDir?: string } = {}): LabelledData {
  if (!BUILTIN_DATASETS.includes(name)) {
    invalidOption('loadDataset', 'dataset', name, DATASET_EXPECTED);
  }
  const { fs, path: paths, url } = node('loadDataset');
  const dataDir = options.dataDir ?? url.fileURLToPath(new URL('../../data/', import.meta.url));
  const path = paths.join(dataDir, `${name}.csv`);
  if (!fs.existsSync(path)) throw new Error(`loadDataset: ${path} does not exist; rebuild data/ with scripts/build-data.sh`);
  verifyChecksum(path, paths.join(dataDir, 'CHECKSUMS.sha256'));
  return parseLabelledCsv(fs.readFileSync(path, 'utf8'), path);
}

function checkCustomData(where: string, data: unknown): LabelledData {
  const { X, y } = data as { X: unknown; y: unknown };
  if (!Array.isArray(X) || X.length < 2 || !X.every((row) => Array.isArray(row))) {
    const shown = Array.isArray(X) ? `an array of length ${X.length}` : X;
    invalidOption(where, 'dataset.X', shown, 'an array of at least 2 rows (number[][])', verbatim);
  }
  const p = (X[0] as unknown[]).length;
  if (p < 1) throw new Error(`${where}: option "dataset.X" has rows of length 0, expected at least one feature`);
  X.forEach((row: unknown[], i) => {
    if (row.length !== p) throw new Error(`${where}: option "dataset.X" row ${i} has length ${row.length}, expected ${p} (the length of row 0)`);
    row.forEach((v, j) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new Error(`${where}: option "dataset.X" entry [${i}][${j}] = ${String(v)}, expected a finite number`);
      }
    });
  });
  if (!Array.isArray(y) || y.length !== X.length) {
    throw new Error(`${where}: option "dataset.y" has length ${Array.isArray(y) ? y.length : String(y)}, expected ${X.length} (one label per row of X)`);
  }
  y.forEach((v, i) => {
    if (v !== 0 && v !== 1) throw new Error(`${where}: option "dataset.y" entry [${i}] = ${String(v)}, expected 0 or 1`);
  });
  return { X: X as number[][], y: y as number[], featureNames: Array.from({ length: p }, (_, j) => `x${j + 1}`) };
}

// ---------------------------------------------------------------------------------------------------------------
// The target

export interface SplitData {
  /** Scaled features [rows][P] of the kept columns, without the intercept column. */
  X: number[][];
  y: number[];
  /** Row indices into the data set. */
  rows: number[];
}

export interface LogisticRegressionTarget extends Target {
  /** Number of features P after dropping constant columns (dim = P + 1 or 2P + 3). */
  numFeatures: number;
  featureNames: string[];
  /** Features dropped because they are constant over the training split. */
  droppedFeatures: string[];
  /** The scaling applied to each kept feature: x' = (x - shift) / scale. */
  scaling: { shift: number[]; scale: number[] };
  prior: Required<Extract<LogisticPrior, { kind: 'gaussian' }>> | Required<Extract<LogisticPrior, { kind: 'horseshoe' }>>;
  train: SplitData;
  test: SplitData;
  /** The regression coefficients (w_1..w_P, b) of each parameter vector (float64). */
  coefficients(theta: ArrayLike<number>): Float64Array;
  /** Mean over test points of the log posterior predictive (log-mean-exp over samples), float64; async (reads a tensor once). */
  testLogPredictive(samples: tf.Tensor2D | number[][]): Promise<number>;
  /** SLIPS's metric: mean over samples of the test-split log-likelihood plus log prior, float64; async. */
  testMeanLogDensity(samples: tf.Tensor2D | number[][]): Promise<number>;
  /** Free the design-matrix tensors the target holds. */
  dispose(): void;
}

function resolvePrior(where: string, prior: LogisticPrior | LogisticPriorName | undefined): LogisticRegressionTarget['prior'] {
  if (typeof prior === 'string' && !Object.hasOwn(logisticPriors, prior)) {
    invalidOption(where, 'prior', prior, `one of ${Object.keys(logisticPriors).map((k) => `'${k}'`).join(', ')} or a prior object`);
  }
  const p: LogisticPrior = typeof prior === 'string' ? logisticPriors[prior] : (prior ?? logisticPriors.slips);
  const positive = (name: string, v: unknown) => checkNumber(where, `prior.${name}`, v, 'positive');
  if (p && p.kind === 'gaussian') {
    const { weightScale = 1, interceptMean = 0, interceptScale = 2.5 } = p;
    positive('weightScale', weightScale);
    positive('interceptScale', interceptScale);
    checkNumber(where, 'prior.interceptMean', interceptMean);
    return { kind: 'gaussian', weightScale, interceptMean, interceptScale };
  }
  if (p && p.kind === 'horseshoe') {
    const { shape = 0.5, rate = 0.5 } = p;
    positive('shape', shape);
    positive('rate', rate);
    return { kind: 'horseshoe', shape, rate };
  }
  return invalidOption(where, 'prior', prior, `{ kind: 'gaussian', ... } or { kind: 'horseshoe', ... }`);
}

async function readSamples(where: string, samples: tf.Tensor2D | number[][], dim: number): Promise<number[][]> {
  if (samples instanceof tf.Tensor) {
    checkPositions(where, samples, dim, 'samples');
    return samples.array();
  }
  if (!Array.isArray(samples) || samples.length === 0 || samples.some((row) => !Array.isArray(row) || row.length !== dim)) {
    throw new Error(`${where}: option "samples" is not a non-empty number[][] with rows of length ${dim}, expected [S, ${dim}]`);
  }
  return samples;
}

/** log sigmoid(t) in float64, stable. */
function logSigmoid64(t: number): number {
  return t >= 0 ? -Math.log1p(Math.exp(-t)) : t - Math.log1p(Math.exp(t));
}

export function logisticRegression(options: LogisticRegressionOptions): LogisticRegressionTarget {
  const where = 'logisticRegression';
  if (!options || typeof options !== 'object') {
    throw new Error(`${where}: options = ${String(options)}, expected { dataset, prior?, features?, split?, seed? }`);
  }
  const { dataset, features = 'standardize', split = 0.2, seed = 0, dataDir } = options;
  const prior = resolvePrior(where, options.prior);
  if (features !== 'standardize' && features !== 'raw' && features !== 'minmax') {
    invalidOption(where, 'features', features, `'standardize', 'raw' or 'minmax'`);
  }
  if (typeof split !== 'number' || !(split >= 0 && split < 1)) {
    invalidOption(where, 'split', split, 'a test fraction in [0, 1)');
  }
  let splitKey: Key;
  if (typeof seed === 'number') {
    if (!Number.isSafeInteger(seed)) invalidOption(where, 'seed', seed, 'a safe integer or a Key');
    splitKey = keyFromSeed(seed);
  } else {
    splitKey = seed;
  }

  let data: LabelledData;
  let datasetName: string;
  if (typeof dataset === 'string') {
    if (!BUILTIN_DATASETS.includes(dataset)) {
      invalidOption(where, 'dataset', dataset, DATASET_EXPECTED);
    }
    data = loadDataset(dataset, { dataDir });
    datasetName = dataset;
  } else if (dataset && typeof dataset === 'object') {
    data = checkCustomData(where, dataset);
    datasetName = dataset.name ?? 'custom';
  } else {
    invalidOption(where, 'dataset', dataset, DATASET_EXPECTED);
  }

  // --- split (see the header comment)
  const m = data.X.length;
  const numTest = Math.ceil(split * m);
  if (m - numTest < 2) {
    throw new Error(`${where}: option "split" = ${split} leaves ${m - numTest} training rows of ${m}, expected at least 2`);
  }
  const draws = uniformArray(splitKey, m);
  const order = Array.from({ length: m }, (_, i) => i).sort((i, j) => draws[i] - draws[j] || i - j);
  const testRows = order.slice(0, numTest).sort((i, j) => i - j);
  const trainRows = order.slice(numTest).sort((i, j) => i - j);

  // --- features: drop constant training columns, then scale with training statistics
  const p0 = data.featureNames.length;
  const kept: number[] = [];
  const dropped: string[] = [];
  const shift: number[] = [];
  const scale: number[] = [];
  for (let j = 0; j < p0; j++) {
    let lo = Infinity;
    let hi = -Infinity;
    let mean = 0;
    for (const i of trainRows) {
      const v = data.X[i][j];
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
      mean += v / trainRows.length;
    }
    if (!(hi > lo)) {
      dropped.push(data.featureNames[j]);
      continue;
    }
    kept.push(j);
    if (features === 'standardize') {
      let variance = 0;
      for (const i of trainRows) variance += (data.X[i][j] - mean) ** 2 / trainRows.length;
      shift.push(mean);
      scale.push(Math.sqrt(variance));
    } else if (features === 'minmax') {
      // x' = 2 (x - lo) / (hi - lo) - 1 = (x - (lo + hi) / 2) / ((hi - lo) / 2)
      shift.push((lo + hi) / 2);
      scale.push((hi - lo) / 2);
    } else {
      shift.push(0);
      scale.push(1);
    }
  }
  const P = kept.length;
  const scaledRows = (rows: number[]): SplitData => ({
    X: rows.map((i) => kept.map((j, k) => (data.X[i][j] - shift[k]) / scale[k])),
    y: rows.map((i) => data.y[i]),
    rows,
  });
  const train = scaledRows(trainRows);
  const test = scaledRows(testRows);

  // --- parameter layout
  const D = P + 1; // coefficients (w, b)
  const dim = prior.kind === 'gaussian' ? D : 2 * D + 1;

  // --- constant tensors (kept alive across tidy scopes; freed by dispose())
  const mTrain = train.y.length;
  const designT = new Float32Array(D * mTrain); // [D, m]: features then a row of ones
  const design = new Float32Array(mTrain * D); // [m, D]
  const labelSums = new Float32Array(D); // X_aug^T y
  for (let i = 0; i < mTrain; i++) {
    for (let k = 0; k <= P; k++) {
      const v = k < P ? train.X[i][k] : 1;
      designT[k * mTrain + i] = v;
      design[i * D + k] = v;
      labelSums[k] += v * train.y[i];
    }
  }
  const constants = tf.tidy(() => {
    const priorMean = new Float32Array(D);
    const priorScale = new Float32Array(D);
    if (prior.kind === 'gaussian') {
      priorScale.fill(prior.weightScale);
      priorMean[P] = prior.interceptMean;
      priorScale[P] = prior.interceptScale;
    }
    return {
      designT: tf.tensor2d(designT, [D, mTrain]),
      design: tf.tensor2d(design, [mTrain, D]),
      labels: tf.tensor2d(Float32Array.from(train.y), [1, mTrain]),
      labelSums: tf.tensor2d(labelSums, [D, 1]),
      priorMean: tf.tensor1d(priorMean),
      priorScale: tf.tensor1d(priorScale),
    };
  });
  Object.values(constants).forEach((t) => tf.keep(t));

  // Gaussian prior normaliser: -(D / 2) log 2 pi - sum log scale
  const gaussianLogNormalizer =
    prior.kind === 'gaussian' ? -0.5 * D * LOG_2PI - P * Math.log(prior.weightScale) - Math.log(prior.interceptScale) : 0;
  // log-Gamma-on-the-log-scale normaliser: shape log rate - logGamma(shape)
  const gammaLogNormalizer = prior.kind === 'horseshoe' ? prior.shape * Math.log(prior.rate) - logGamma(prior.shape) : 0;

  /** sum_i [y_i eta_i + logSigmoid(-eta_i)] for coefficients c [n, D]. */
  const logLikelihood = (c: tf.Tensor2D): tf.Tensor1D =>
    tf.tidy(() => {
      const eta = matMul(c, constants.designT);
      const linear = matMul(c, constants.labelSums).reshape([-1]);
      return tf.add(linear, tf.sum(logSigmoid(tf.neg(eta)), 1)) as tf.Tensor1D;
    });

  /** d loglik / d c = (y - sigmoid(eta)) X_aug, [n, D]. */
  const logLikelihoodGrad = (c: tf.Tensor2D): tf.Tensor2D =>
    tf.tidy(() => matMul(tf.sub(constants.labels, sigmoid(matMul(c, constants.designT))), constants.design) as tf.Tensor2D);

  const horseshoeParts = (theta: tf.Tensor2D) => {
    const beta = tf.slice(theta, [0, 0], [-1, D]) as tf.Tensor2D;
    const lambda = tf.slice(theta, [0, D], [-1, D]) as tf.Tensor2D;
    const tau = tf.slice(theta, [0, 2 * D], [-1, 1]) as tf.Tensor2D;
    const expLambda = exp(lambda) as tf.Tensor2D;
    const expTau = exp(tau) as tf.Tensor2D;
    const coefficients = tf.mul(tf.mul(beta, expLambda), expTau) as tf.Tensor2D;
    return { beta, lambda, tau, expLambda, expTau, coefficients };
  };

  const logDensityOf = (theta: tf.Tensor2D): tf.Tensor1D =>
    tf.tidy(() => {
      if (prior.kind === 'gaussian') {
        const z = tf.div(tf.sub(theta, constants.priorMean), constants.priorScale);
        const logPrior = tf.sub(gaussianLogNormalizer, tf.mul(0.5, tf.sum(tf.square(z), 1)));
        return tf.add(logLikelihood(theta), logPrior) as tf.Tensor1D;
      }
      const { beta, lambda, tau, expLambda, expTau, coefficients } = horseshoeParts(theta);
      const { shape, rate } = prior;
      const logPriorBeta = tf.sub(-0.5 * D * LOG_2PI, tf.mul(0.5, tf.sum(tf.square(beta), 1)));
      const logGammaTerms = (u: tf.Tensor2D, expU: tf.Tensor2D) =>
        tf.sum(tf.sub(tf.mul(shape, u), tf.mul(rate, expU)), 1);
      const logPriorScales = tf.add(logGammaTerms(lambda, expLambda), logGammaTerms(tau, expTau));
      const logPrior = tf.add(tf.add(logPriorBeta, logPriorScales), (D + 1) * gammaLogNormalizer);
      return tf.add(logLikelihood(coefficients), logPrior) as tf.Tensor1D;
    });

  const gradOf = (theta: tf.Tensor2D): tf.Tensor2D =>
    tf.tidy(() => {
      if (prior.kind === 'gaussian') {
        const priorGrad = tf.neg(tf.div(tf.sub(theta, constants.priorMean), tf.square(constants.priorScale)));
        return tf.add(logLikelihoodGrad(theta), priorGrad) as tf.Tensor2D;
      }
      // chain rule through c = e^tau beta ⊙ e^lambda: dc/dbeta = e^tau e^lambda, dc/dlambda = c, dc/dtau = c
      const { beta, expLambda, expTau, coefficients } = horseshoeParts(theta);
      const { shape, rate } = prior;
      const g = logLikelihoodGrad(coefficients);
      const gc = tf.mul(g, coefficients);
      const gBeta = tf.sub(tf.mul(g, tf.mul(expLambda, expTau)), beta);
      const gLambda = tf.add(gc, tf.sub(shape, tf.mul(rate, expLambda)));
      const gTau = tf.add(tf.sum(gc, 1, true), tf.sub(shape, tf.mul(rate, expTau)));
      return tf.concat([gBeta, gLambda, gTau], 1) as tf.Tensor2D;
    });

  // --- float64 pieces for the test metrics
  const coefficients64 = (theta: ArrayLike<number>): Float64Array => {
    if (prior.kind === 'gaussian') return Float64Array.from(theta);
    const c = new Float64Array(D);
    const expTau = Math.exp(theta[2 * D]);
    for (let k = 0; k < D; k++) c[k] = expTau * theta[k] * Math.exp(theta[D + k]);
    return c;
  };
  const logPrior64 = (theta: ArrayLike<number>): number => {
    let sum = 0;
    if (prior.kind === 'gaussian') {
      for (let k = 0; k < D; k++) {
        const mean = k < P ? 0 : prior.interceptMean;
        const sd = k < P ? prior.weightScale : prior.interceptScale;
        sum -= 0.5 * ((theta[k] - mean) / sd) ** 2;
      }
      return sum + gaussianLogNormalizer;
    }
    for (let k = 0; k < D; k++) sum -= 0.5 * theta[k] ** 2 + 0.5 * LOG_2PI;
    for (let k = D; k <= 2 * D; k++) sum += prior.shape * theta[k] - prior.rate * Math.exp(theta[k]) + gammaLogNormalizer;
    return sum;
  };
  /** log p(y_j | x_j, c) for every test point, float64. */
  const testLogLikelihoods = (c: Float64Array): Float64Array =>
    Float64Array.from(test.X, (x, j) => {
      let eta = c[P];
      for (let k = 0; k < P; k++) eta += x[k] * c[k];
      return test.y[j] === 1 ? logSigmoid64(eta) : logSigmoid64(-eta);
    });
  const requireTest = (fn: string) => {
    if (test.y.length === 0) throw new Error(`logisticRegression.${fn}: the target was built with split = 0, expected a test split (split > 0)`);
  };

  const check = (x: tf.Tensor2D, fn: string) => checkPositions(`logisticRegression.${fn}`, x, dim, 'x');
  const priorLabel = prior.kind === 'gaussian'
    ? `gaussian(${prior.weightScale}, ${prior.interceptMean}, ${prior.interceptScale})`
    : `horseshoe(${prior.shape}, ${prior.rate})`;

  return {
    name: `logisticRegression(${datasetName}, ${priorLabel}, ${features})`,
    dim,
    numFeatures: P,
    featureNames: kept.map((j) => data.featureNames[j]),
    droppedFeatures: dropped,
    scaling: { shift, scale },
    prior,
    train,
    test,
    logDensity(x) {
      check(x, 'logDensity');
      return logDensityOf(x);
    },
    gradLogDensity(x) {
      check(x, 'gradLogDensity');
      return gradOf(x);
    },
    logDensityAndGrad(x) {
      check(x, 'logDensityAndGrad');
      return { logDensity: logDensityOf(x), grad: gradOf(x) };
    },
    coefficients(theta) {
      if (theta.length !== dim) throw new Error(`logisticRegression.coefficients: option "theta" has length ${theta.length}, expected ${dim}`);
      return coefficients64(theta);
    },
    async testLogPredictive(samples) {
      requireTest('testLogPredictive');
      const thetas = await readSamples('logisticRegression.testLogPredictive', samples, dim);
      const S = thetas.length;
      const perSample = thetas.map((theta) => testLogLikelihoods(coefficients64(theta)));
      let total = 0;
      for (let j = 0; j < test.y.length; j++) {
        const column = Float64Array.from(perSample, (logLik) => logLik[j]);
        total += logSumExp64(column) - Math.log(S); // log-mean-exp over samples
      }
      return total / test.y.length;
    },
    async testMeanLogDensity(samples) {
      requireTest('testMeanLogDensity');
      const thetas = await readSamples('logisticRegression.testMeanLogDensity', samples, dim);
      let total = 0;
      for (const theta of thetas) {
        const logLik = testLogLikelihoods(coefficients64(theta)).reduce((a, b) => a + b, 0);
        total += logLik + logPrior64(theta);
      }
      return total / thetas.length;
    },
    dispose() {
      Object.values(constants).forEach((t) => t.dispose());
    },
  };
}
