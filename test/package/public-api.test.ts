/**
 * The curated public namespace (lib/index.ts, the package's `import ... from 'sampling-lab'`): the names a
 * researcher calls are there, with the right kind, and the internals (option checkers, loop plumbing, low-level
 * helpers of one sampler) are not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as api from '../../lib/index.js';

const names = new Set(Object.keys(api));

/** What a researcher calls, by area (runtime values; the contract's types are checked by the typecheck below). */
const PUBLIC_OBJECTS = ['samplers', 'targets', 'dualAveraging', 'massMatrixAdaptation', 'AMC_KERNELS', 'RESAMPLING_SCHEMES'];
const PUBLIC_FUNCTIONS = [
  // backend, keys, read-backs
  'initBackend', 'formatBackendReport', 'key', 'split', 'foldIn', 'normal', 'uniform', 'readValues', 'readScalar', 'readFloat64',
  // kernels, adaptation, run driver
  'rwmh', 'mala', 'hmc', 'imh', 'isir', 'adaptSharedStepSize', 'runChain', 'resumeChain',
  // particle samplers and their registry
  'smc', 'ais', 'amc', 'slips', 'rdmc', 'neuralImportanceSampling', 'resample',
  // targets
  'gaussian', 'gaussianMixture', 'twoModes', 'funnel', 'banana', 'phiFour', 'logisticRegression', 'rings', 'eightGaussians', 'logDensityAndGrad', 'logDensityOnGrid',
  // models and training
  'realNvp', 'mlp', 'saveFlow', 'flowFromWeights', 'adam', 'fit', 'forwardKl', 'backwardKl',
  // diffusion
  'vpSchedule', 'veSchedule', 'scoreNetwork', 'energyNetwork', 'dsmLoss', 'perfectModel', 'probabilityFlowLogDensity',
  // metrics
  'mmd', 'slicedWasserstein', 'energyDistance', 'modeWeights', 'modeWeightError', 'effectiveSampleSize', 'splitRHat', 'importanceEss', 'logZEstimate', 'ksTwoSample', 'slicedKs',
  // charts
  'scatterOverDensity', 'marginalHistograms', 'traces', 'sweepCurves', 'heatmap', 'modeWeightBars', 'show', 'saveFigure', 'toSvg', 'toPng',
];

test('the names a researcher calls are exported, as functions (and the registries and rules as objects)', () => {
  const missing = [...PUBLIC_FUNCTIONS, ...PUBLIC_OBJECTS].filter((n) => !names.has(n));
  assert.deepEqual(missing, [], 'missing from lib/index.ts');
  for (const n of PUBLIC_FUNCTIONS) assert.equal(typeof (api as Record<string, unknown>)[n], 'function', n);
  for (const n of PUBLIC_OBJECTS) assert.equal(typeof (api as Record<string, unknown>)[n], 'object', n);
});

test('the registries and the one AbortError are exported', () => {
  assert.equal(typeof api.samplers.get, 'function');
  assert.equal(typeof api.targets.get, 'function');
  assert.ok(api.RunAbortedError.prototype instanceof api.AbortError);
  assert.ok(api.FitAbortedError.prototype instanceof api.AbortError);
});

test('no option checker or internal helper is exported', () => {
  const checkers = [...names].filter((n) => /^(check|verify|parse|validate|assert)[A-Z]/.test(n));
  assert.deepEqual(checkers, [], 'option checkers stay in their modules');
  const internals = ['threefry2x32', 'runSmc', 'gatherRows', 'offspringCounts', 'tensorsIn', 'disposeReplaced', 'yieldToEventLoop', 'formatProgressBar',
    'setTransposePolicy', 'uniqueScope', 'stableWeightName', 'lowEssWarnings', 'zeroCost', 'readTrace', 'loadVega', 'displayBundle', 'probeWebgpuAdapter'];
  assert.deepEqual(internals.filter((n) => names.has(n)), []);
});

// Types of the contract: this block only has to typecheck (`tsc -p .`); it fails the build if a type is dropped.
type Contract = [api.Target, api.Kernel<api.ChainState, object>, api.ParticleRun, api.RunControl, api.SamplerCost, api.Key, api.Flow, api.DiffusionModel, api.RunChainOptions<api.ChainState, object>, api.BackendReport];
test('the contract types are exported (typechecked)', () => {
  const typed: Contract | undefined = undefined;
  assert.equal(typed, undefined);
});
