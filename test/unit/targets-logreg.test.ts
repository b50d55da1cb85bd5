/**
 * lib/targets/logisticRegression.ts and the data pipeline behind it (data/*.csv, data/CHECKSUMS.sha256,
 * scripts/arff-to-csv.ts, scripts/rda-to-csv.ts): the shipped CSVs have the UCI shapes and class counts and
 * match their checksums; a tampered file is refused; the ARFF and R-data readers parse small hand-written inputs;
 * the split is deterministic and has SLIPS's sizes; features are standardised over the training split; the
 * log posterior equals an independent float64 reference (plain-JS CSV parsing, own scaling) for both priors; the
 * analytic gradients equal autodiff, and second-order autodiff matches differences of the gradient; the test
 * metrics equal their float64 definitions; memory is flat and bad inputs give clear errors.
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { key, normalArray } from '../../lib/core/random.js';
import { logGamma } from '../../lib/core/special.js';
import {
  loadDataset,
  logisticPriors,
  logisticRegression,
  logisticRegressionPresets,
  parseLabelledCsv,
  verifyChecksum,
  type LogisticRegressionTarget,
} from '../../lib/targets/logisticRegression.js';
import { logDensityAndGrad } from '../../lib/targets/target.js';
import { parseArff, toLabelledTable } from '../../scripts/arff-to-csv.js';
import { dataFrameColumns, readRData } from '../../scripts/rda-to-csv.js';
import { useBackend } from '../helpers/backends.js';

const DATA = fileURLToPath(new URL('../../data/', import.meta.url));
const LOG_2PI = Math.log(2 * Math.PI);
const logSig = (t: number) => (t >= 0 ? -Math.log1p(Math.exp(-t)) : t - Math.log1p(Math.exp(t)));

/** Plain-JS CSV read (no quotes in these files' numeric rows): header, numeric rows, y last. */
function naiveCsv(name: string) {
  const [header, ...lines] = readFileSync(join(DATA, `${name}.csv`), 'utf8').trim().split('\n');
  const rows = lines.map((l) => l.split(',').map(Number));
  return { names: header.split(','), X: rows.map((r) => r.slice(0, -1)), y: rows.map((r) => r[r.length - 1]) };
}

/** Independent float64 log posterior: scaling recomputed from the raw CSV and the training rows. */
function referenceLogPosterior(target: LogisticRegressionTarget, name: string, theta: number[]): number {
  const raw = naiveCsv(name);
  const keptIdx = target.featureNames.map((f) => raw.names.indexOf(f));
  const rows = target.train.rows;
  const stats = keptIdx.map((j) => {
    const v = rows.map((i) => raw.X[i][j]);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
    return { mean, sd };
  });
  const P = keptIdx.length;
  const prior = target.prior;
  let coef: number[];
  let logPrior = 0;
  if (prior.kind === 'gaussian') {
    coef = theta;
    for (let k = 0; k <= P; k++) {
      const m = k < P ? 0 : prior.interceptMean;
      const s = k < P ? prior.weightScale : prior.interceptScale;
      logPrior += -0.5 * ((theta[k] - m) / s) ** 2 - Math.log(s) - 0.5 * LOG_2PI;
    }
  } else {
    const D = P + 1;
    coef = Array.from({ length: D }, (_, k) => Math.exp(theta[2 * D]) * theta[k] * Math.exp(theta[D + k]));
    const { shape, rate } = prior;
    const logGammaOnLog = (u: number) => shape * Math.log(rate) - logGamma(shape) + shape * u - rate * Math.exp(u);
    for (let k = 0; k < D; k++) logPrior += -0.5 * theta[k] ** 2 - 0.5 * LOG_2PI + logGammaOnLog(theta[D + k]);
    logPrior += logGammaOnLog(theta[2 * D]);
  }
  let logLik = 0;
  for (const i of rows) {
    let eta = coef[P];
    keptIdx.forEach((j, k) => (eta += ((raw.X[i][j] - stats[k].mean) / stats[k].sd) * coef[k]));
    logLik += raw.y[i] === 1 ? logSig(eta) : logSig(-eta);
  }
  return logLik + logPrior;
}

function thetas(seed: number, n: number, dim: number, scale: number): number[][] {
  const z = normalArray(key(seed), n * dim);
  return Array.from({ length: n }, (_, i) => Array.from({ length: dim }, (_, j) => scale * z[i * dim + j]));
}

describe('logistic regression data', () => {
  test('shipped CSVs: UCI shapes and class counts; german credit encodes 20 raw attributes (7 numeric, 13 one-hot)', () => {
    const expected = {
      ionosphere: { rows: 351, features: 34, positives: 225 }, // 225 good radar returns, 126 bad
      sonar: { rows: 208, features: 60, positives: 111 }, // 111 mines, 97 rocks
      'german-credit': { rows: 1000, features: 48, positives: 700 }, // 700 good credit risks, 300 bad
    } as const;
    for (const [name, want] of Object.entries(expected)) {
      const data = loadDataset(name as keyof typeof expected);
      assert.equal(data.X.length, want.rows, `${name} rows`);
      assert.ok(data.X.every((r) => r.length === want.features), `${name} features`);
      assert.equal(data.y.reduce((a, b) => a + b, 0), want.positives, `${name} positives`);
    }
    const german = loadDataset('german-credit');
    const attributes = new Set(german.featureNames.map((f) => f.split('=')[0]));
    assert.equal(attributes.size, 20);
    assert.equal(german.featureNames.filter((f) => !f.includes('=')).length, 7);
    // treatment coding: each row has at most one indicator per attribute (none for the reference level)
    for (const attribute of attributes) {
      const columns = german.featureNames.flatMap((f, j) => (f.startsWith(`${attribute}=`) ? [j] : []));
      assert.ok(german.X.every((r) => columns.reduce((s, j) => s + r[j], 0) <= 1), attribute);
    }
    // ionosphere's second attribute is 0 in every row (the one SLIPS drops)
    assert.ok(loadDataset('ionosphere').X.every((r) => r[1] === 0));
  });

  test('checksums: data/CHECKSUMS.sha256 matches the files; a modified copy is refused with a clear error', () => {
    const sums = readFileSync(join(DATA, 'CHECKSUMS.sha256'), 'utf8').trim().split('\n');
    assert.equal(sums.length, 3);
    for (const line of sums) {
      const [hash, file] = line.split(/\s+/);
      assert.equal(createHash('sha256').update(readFileSync(join(DATA, file))).digest('hex'), hash, file);
      verifyChecksum(join(DATA, file), join(DATA, 'CHECKSUMS.sha256'));
    }
    const dir = mkdtempSync(join(tmpdir(), 'logreg-'));
    try {
      copyFileSync(join(DATA, 'CHECKSUMS.sha256'), join(dir, 'CHECKSUMS.sha256'));
      const text = readFileSync(join(DATA, 'sonar.csv'), 'utf8');
      writeFileSync(join(dir, 'sonar.csv'), text.replace('0.02,', '0.03,'));
      assert.throws(() => loadDataset('sonar', { dataDir: dir }), /verifyChecksum: .*sonar.csv has SHA-256 [0-9a-f]{64}, expected d74c8dcb/);
      assert.throws(() => logisticRegression({ dataset: 'sonar', dataDir: dir }), /was modified: restore it or rebuild it with scripts\/build-data.sh/);
      assert.throws(() => loadDataset('ionosphere', { dataDir: dir }), /ionosphere.csv does not exist/);
      writeFileSync(join(dir, 'CHECKSUMS.sha256'), '');
      assert.throws(() => verifyChecksum(join(dir, 'sonar.csv'), join(dir, 'CHECKSUMS.sha256')), /has no entry for "sonar.csv"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('parseLabelledCsv reads y anywhere and rejects a missing y, a non-number and a label outside {0, 1}', () => {
    const data = parseLabelledCsv('a,y,b\n1,0,2.5\n-3,1,4\n');
    assert.deepEqual(data, { X: [[1, 2.5], [-3, 4]], y: [0, 1], featureNames: ['a', 'b'] });
    assert.throws(() => parseLabelledCsv('a,b\n1,2\n'), /expected a label column "y"/);
    assert.throws(() => parseLabelledCsv('a,y\nfoo,1\n'), /column "a" row 1 = "foo", expected a finite number/);
    assert.throws(() => parseLabelledCsv('a,y\n1,2\n'), /column "y" row 1 = "2", expected 0 or 1/);
  });

  test('parseArff + toLabelledTable: quoted levels, treatment coding without absent levels, label last', () => {
    const arff = [
      '% comment',
      '@relation toy',
      "@attribute colour { red, 'light blue', green, unused}",
      '@attribute size numeric',
      '@attribute class { yes, no}',
      '@data',
      "red,1.5,yes",
      "'light blue',-2,no",
      "green,0.25,yes",
    ].join('\n');
    const data = parseArff(arff);
    assert.equal(data.relation, 'toy');
    assert.deepEqual(data.attributes[0], { name: 'colour', type: 'nominal', levels: ['red', 'light blue', 'green', 'unused'] });
    assert.deepEqual(data.table.array('colour'), ['red', 'light blue', 'green']);
    const table = toLabelledTable(data, 'class', 'yes', { oneHot: true });
    assert.deepEqual(table.columnNames(), ['colour=light blue', 'colour=green', 'size', 'y']);
    assert.deepEqual(table.objects(), [
      { 'colour=light blue': 0, 'colour=green': 0, size: 1.5, y: 1 },
      { 'colour=light blue': 1, 'colour=green': 0, size: -2, y: 0 },
      { 'colour=light blue': 0, 'colour=green': 1, size: 0.25, y: 1 },
    ]);
    assert.throws(() => toLabelledTable(data, 'class', 'yes'), /attribute "colour" is nominal, expected numeric attributes only/);
    assert.throws(() => toLabelledTable(data, 'label', 'yes'), /option "label" = "label", expected one of/);
    assert.throws(() => parseArff(arff.replace('green,0.25', 'purple,0.25')), /attribute "colour" has value "purple", expected one of/);
    assert.throws(() => parseArff(arff.replace('-2,no', '?,no')), /attribute "size" has a missing value/);
    assert.throws(() => parseArff('@relation x\n@attribute a numeric\n'), /has no @data section/);
  });

  test('readRData: a hand-serialised data.frame (XDR, version 2) with a double and a factor column', () => {
    const bytes: number[] = [...Buffer.from('RDX2\nX\n')];
    const int = (v: number) => bytes.push((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
    const dbl = (v: number) => {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(v);
      bytes.push(...b);
    };
    const chars = (s: string) => {
      int(0x40009); // CHARSXP (UTF-8 flag)
      int(s.length);
      bytes.push(...Buffer.from(s));
    };
    const symbol = (s: string) => {
      int(1);
      chars(s);
    };
    const strings = (values: string[]) => {
      int(16);
      int(values.length);
      values.forEach(chars);
    };
    int(2); int(0x40000); int(0x20300); // version 2, writer and reader R versions
    int(0x402); symbol('df'); // top pairlist node, tag "df"
    int(0x313); int(2); // VECSXP (object, attributes), 2 columns
    int(14); int(3); dbl(0.5); dbl(-1.25); dbl(3); // double column
    int(0x30d); int(3); int(2); int(1); int(2); // factor codes
    int(0x402); symbol('levels'); strings(['M', 'R']);
    int(0x402); symbol('class'); strings(['factor']);
    int(254);
    int(0x402); symbol('names'); strings(['V1', 'Class']);
    int(0x402); symbol('class'); strings(['data.frame']);
    int(254);
    int(254); // end of the top pairlist
    const objects = readRData(Uint8Array.from(bytes));
    assert.deepEqual(Object.keys(objects), ['df']);
    assert.deepEqual(dataFrameColumns(objects.df), { V1: [0.5, -1.25, 3], Class: ['R', 'M', 'R'] });
    assert.throws(() => readRData(Uint8Array.from(Buffer.from('hello world'))), /starts with "hello", expected "RDX2\\n" or "RDX3\\n"/);
  });
});

describe('logisticRegression target', () => {
  before(() => useBackend('wasm'));

  test('SLIPS configurations: dims 34 / 61 (ionosphere drops its constant column), train/test 280/71 and 166/42', () => {
    const iono = logisticRegression(logisticRegressionPresets.slipsIonosphere);
    assert.equal(iono.dim, 34);
    assert.deepEqual(iono.droppedFeatures, ['a02']);
    assert.deepEqual([iono.train.y.length, iono.test.y.length], [280, 71]);
    const sonar = logisticRegression(logisticRegressionPresets.slipsSonar);
    assert.equal(sonar.dim, 61);
    assert.deepEqual([sonar.train.y.length, sonar.test.y.length], [166, 42]);
    // raw features are kept as they are
    assert.deepEqual(sonar.train.X[0], naiveCsv('sonar').X[sonar.train.rows[0]]);
    const german = logisticRegression(logisticRegressionPresets.flowMcmcGermanCredit);
    assert.equal(german.dim, 2 * 49 + 1);
    assert.deepEqual([german.train.y.length, german.test.y.length], [750, 250]);
    for (const t of [iono, sonar, german]) t.dispose();
  });

  test('split: deterministic from the seed, disjoint, covers every row; standardisation uses training statistics', () => {
    const a = logisticRegression({ dataset: 'sonar', seed: 11 });
    const b = logisticRegression({ dataset: 'sonar', seed: 11 });
    const c = logisticRegression({ dataset: 'sonar', seed: [1, 2] });
    assert.deepEqual(a.test.rows, b.test.rows);
    assert.notDeepEqual(a.test.rows, c.test.rows);
    const all = [...a.train.rows, ...a.test.rows].sort((p, q) => p - q);
    assert.deepEqual(all, Array.from({ length: 208 }, (_, i) => i));
    for (let k = 0; k < a.numFeatures; k++) {
      const col = a.train.X.map((r) => r[k]);
      const mean = col.reduce((p, q) => p + q, 0) / col.length;
      const sd = Math.sqrt(col.reduce((p, q) => p + (q - mean) ** 2, 0) / col.length);
      assert.ok(Math.abs(mean) < 1e-12 && Math.abs(sd - 1) < 1e-12, `feature ${k}: mean ${mean}, sd ${sd}`);
    }
    // test rows use the training shift and scale
    const raw = naiveCsv('sonar');
    const i = a.test.rows[0];
    assert.ok(Math.abs(a.test.X[0][5] - (raw.X[i][5] - a.scaling.shift[5]) / a.scaling.scale[5]) < 1e-15);
    // minmax maps the training range onto [-1, 1]
    const mm = logisticRegression({ dataset: 'sonar', features: 'minmax' });
    const col = mm.train.X.map((r) => r[3]);
    assert.deepEqual([Math.min(...col), Math.max(...col)].map((v) => Math.round(v * 1e12) / 1e12), [-1, 1]);
    for (const t of [a, b, c, mm]) t.dispose();
  });

  test('logDensity equals the independent float64 log posterior (Gaussian and horseshoe priors)', () => {
    const cases = [
      { name: 'ionosphere', prior: logisticPriors.slips, scale: 0.3 },
      { name: 'sonar', prior: logisticPriors.lrdsSonar, scale: 0.2 },
      { name: 'german-credit', prior: logisticPriors.flowMcmcHorseshoe, scale: 0.5 },
    ] as const;
    for (const { name, prior, scale } of cases) {
      const target = logisticRegression({ dataset: name, prior, seed: 3 });
      const th = thetas(7, 4, target.dim, scale);
      const got = target.logDensity(tf.tensor2d(th)).arraySync();
      th.forEach((theta, i) => {
        const want = referenceLogPosterior(target, name, theta);
        // float32 matmul and sums over a few hundred terms: relative 1e-5
        assert.ok(Math.abs(got[i] - want) < 1e-5 * (10 + Math.abs(want)), `${name} row ${i}: ${got[i]} vs ${want}`);
      });
      target.dispose();
    }
  });

  test('gradient: analytic = autodiff; second order (autodiff twice) = differences of the gradient', () => {
    for (const prior of [logisticPriors.lrdsIonosphere, logisticPriors.flowMcmcHorseshoe]) {
      const target = logisticRegression({ dataset: 'ionosphere', prior });
      const th = thetas(9, 6, target.dim, 0.2);
      const x = tf.tensor2d(th);
      const analytic = target.gradLogDensity!(x).arraySync();
      const auto = tf.grad((xi: tf.Tensor) => tf.sum(target.logDensity(xi as tf.Tensor2D)))(x).arraySync() as number[][];
      const scale = Math.max(...analytic.flat().map(Math.abs));
      analytic.forEach((row, i) =>
        row.forEach((g, j) => assert.ok(Math.abs(g - auto[i][j]) < 1e-4 * (1 + scale), `[${i}][${j}] ${g} vs ${auto[i][j]}`)),
      );
      const both = logDensityAndGrad(target, x);
      assert.deepEqual(both.grad.arraySync(), analytic);
      const v = thetas(10, 1, target.dim, 1)[0];
      const dir = tf.tensor2d(th.map(() => v));
      const gradOf = (xi: tf.Tensor) => tf.grad((y: tf.Tensor) => tf.sum(target.logDensity(y as tf.Tensor2D)))(xi);
      const hvp = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(gradOf(xi), dir)))(x).arraySync() as number[][];
      const eps = 1e-2;
      const plus = target.gradLogDensity!(tf.add(x, tf.mul(eps, dir)) as tf.Tensor2D).arraySync();
      const minus = target.gradLogDensity!(tf.sub(x, tf.mul(eps, dir)) as tf.Tensor2D).arraySync();
      const hScale = Math.max(...hvp.flat().map(Math.abs));
      hvp.forEach((row, i) =>
        row.forEach((h, j) => {
          const fd = (plus[i][j] - minus[i][j]) / (2 * eps);
          assert.ok(Math.abs(h - fd) < 2e-2 * (1 + hScale), `${prior.kind} HVP [${i}][${j}] ${h} vs ${fd}`);
        }),
      );
      tf.dispose([x, dir, both.logDensity, both.grad]);
      target.dispose();
    }
  });

  test('test metrics: log-mean-exp predictive and SLIPS mean test log-density equal their float64 definitions', async () => {
    const target = logisticRegression({ dataset: 'ionosphere', seed: 5 });
    const samples = thetas(12, 5, target.dim, 0.3);
    const perSample = samples.map((theta) =>
      target.test.X.map((x, j) => {
        const eta = x.reduce((s, xk, k) => s + xk * theta[k], theta[target.numFeatures]);
        return target.test.y[j] === 1 ? logSig(eta) : logSig(-eta);
      }),
    );
    const nTest = target.test.y.length;
    let predictive = 0;
    for (let j = 0; j < nTest; j++) {
      predictive += Math.log(perSample.reduce((s, ls) => s + Math.exp(ls[j]), 0) / samples.length) / nTest;
    }
    const got = await target.testLogPredictive(samples);
    assert.ok(Math.abs(got - predictive) < 1e-10, `${got} vs ${predictive}`);
    // a tensor holds float32 copies of the samples: same value up to that rounding
    const samplesTensor = tf.tensor2d(samples);
    assert.ok(Math.abs(await target.testLogPredictive(samplesTensor) - got) < 1e-6);
    samplesTensor.dispose();
    // Jensen: log-mean-exp >= mean of logs
    const meanLog = perSample.flat().reduce((s, v) => s + v, 0) / (samples.length * nTest);
    assert.ok(got > meanLog);
    // SLIPS metric: mean over samples of test log-likelihood + log prior (N(0, 1) weights, N(0, 2.5^2) intercept)
    const slips = samples.reduce((s, theta, i) => {
      const logLik = perSample[i].reduce((p, q) => p + q, 0);
      const logPrior = theta.reduce(
        (p, t, k) => p - 0.5 * LOG_2PI - (k < target.numFeatures ? 0.5 * t * t : Math.log(2.5) + (0.5 * t * t) / 6.25),
        0,
      );
      return s + (logLik + logPrior) / samples.length;
    }, 0);
    assert.ok(Math.abs(await target.testMeanLogDensity(samples) - slips) < 1e-9);
    target.dispose();
  });

  test('custom { X, y } data; coefficients() maps horseshoe parameters; tensor count flat; dispose frees the constants', () => {
    const z = normalArray(key(13), 60);
    const X = Array.from({ length: 30 }, (_, i) => [z[2 * i], 3 + 2 * z[2 * i + 1]]);
    const y = X.map((r) => (r[0] - 0.5 * r[1] > -1.5 ? 1 : 0));
    const before0 = tf.memory().numTensors;
    const target = logisticRegression({ dataset: { X, y, name: 'toy' }, prior: 'flowMcmcHorseshoe', split: 0.2 });
    assert.equal(target.dim, 7);
    assert.match(target.name, /toy/);
    const c = target.coefficients([1, 2, 3, 0, Math.log(2), 0, Math.log(0.5)]);
    assert.deepEqual(Array.from(c), [0.5, 2, 1.5]);
    const x = tf.tensor2d(thetas(14, 4, 7, 0.5));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) {
      const { logDensity, grad } = target.logDensityAndGrad!(x);
      tf.dispose([logDensity, grad, target.logDensity(x), target.gradLogDensity!(x)]);
    }
    assert.equal(tf.memory().numTensors, before);
    x.dispose();
    target.dispose();
    assert.equal(tf.memory().numTensors, before0);
  });

  test('bad inputs name the option, the value and what was expected', async () => {
    assert.throws(() => logisticRegression({ dataset: 'iris' as 'sonar' }), /logisticRegression: option "dataset" = "iris", expected one of 'ionosphere', 'sonar', 'german-credit' or \{ X, y \}/);
    assert.throws(() => loadDataset('iris' as 'sonar'), /loadDataset: option "dataset" = "iris"/);
    assert.throws(() => logisticRegression({ dataset: { X: [[1, 2], [3]], y: [0, 1] } }), /option "dataset.X" row 1 has length 1, expected 2/);
    assert.throws(() => logisticRegression({ dataset: { X: [[1], [NaN]], y: [0, 1] } }), /option "dataset.X" entry \[1\]\[0\] = NaN, expected a finite number/);
    assert.throws(() => logisticRegression({ dataset: { X: [[1], [2]], y: [0] } }), /option "dataset.y" has length 1, expected 2/);
    assert.throws(() => logisticRegression({ dataset: { X: [[1], [2]], y: [0, 2] } }), /option "dataset.y" entry \[1\] = 2, expected 0 or 1/);
    assert.throws(() => logisticRegression({ dataset: { X: [[1]], y: [0] } }), /option "dataset.X" = an array of length 1, expected an array of at least 2 rows/);
    assert.throws(() => logisticRegression({ dataset: 'sonar', split: 1 }), /option "split" = 1, expected a test fraction in \[0, 1\)/);
    assert.throws(() => logisticRegression({ dataset: 'sonar', seed: 0.5 }), /option "seed" = 0.5, expected a safe integer or a Key/);
    assert.throws(() => logisticRegression({ dataset: 'sonar', features: 'zscore' as 'raw' }), /option "features" = "zscore", expected 'standardize', 'raw' or 'minmax'/);
    assert.throws(() => logisticRegression({ dataset: 'sonar', prior: { kind: 'gaussian', weightScale: 0 } }), /option "prior.weightScale" = 0, expected a finite number > 0/);
    assert.throws(() => logisticRegression({ dataset: 'sonar', prior: { kind: 'laplace' } as never }), /option "prior" = \{"kind":"laplace"\}, expected/);
    assert.throws(() => logisticRegression({ dataset: 'sonar', prior: 'flat' as 'slips' }), /option "prior" = "flat", expected one of 'slips', 'lrdsIonosphere'/);
    const target = logisticRegression({ dataset: 'sonar' });
    assert.throws(() => target.logDensity(tf.zeros([2, 60]) as tf.Tensor2D), /logisticRegression.logDensity: option "x" has shape \[2, 60\], expected \[n, 61\]/);
    await assert.rejects(() => target.testLogPredictive([[1, 2]]), /option "samples" is not a non-empty number\[\]\[\] with rows of length 61/);
    await assert.rejects(() => target.testLogPredictive(tf.zeros([3, 5]) as tf.Tensor2D), /option "samples" has shape \[3, 5\], expected \[n, 61\]/);
    assert.throws(() => target.coefficients([1]), /option "theta" has length 1, expected 61/);
    target.dispose();
    const noTest = logisticRegression({ dataset: 'sonar', split: 0 });
    await assert.rejects(() => noTest.testMeanLogDensity([new Array(61).fill(0)]), /built with split = 0, expected a test split/);
    noTest.dispose();
  });
});
