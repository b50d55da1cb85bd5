/**
 * The public namespace of sampling-lab (Node): `import { key, targets, mala, runChain, smc, ... } from 'sampling-lab'`,
 * or, inside this repository, from './lib/index.js'. It holds the names a researcher calls: kernels and samplers,
 * targets, metrics, models and trainers, diffusion schedules and models, charts, random keys, backend setup,
 * read-back helpers, and the types of the contract (Target, Kernel, ParticleRun, RunControl, SamplerCost, ...).
 * Option checkers and other internals stay in their modules (import them by path where a test needs one).
 * Browser pages import the individual modules instead (lib/core/backend.ts and runChain's checkpoint files need Node).
 */

// ---------------------------------------------------------------------------------------------------------------
// core: backend, random keys, fused ops, float64 linear algebra, read-backs, loop memory, cancellation

export {
  initBackend,
  backendReport,
  formatBackendReport,
  BACKENDS,
  type BackendName,
  type BackendReport,
  type AdapterInfo,
} from './core/backend.js';
export { enableNativeMatMul, disableNativeMatMul, nativeMatMulStatus } from './core/nativeMatMul.js';
export { key, split, foldIn, normal, uniform, categorical, bernoulli, normalArray, uniformArray, type Key } from './core/random.js';
export { sigmoid, tanh, exp, softplus, logSigmoid, silu, relu, matMul, dense, stopGradient, logSumExp, logSoftmax, sumSquares, select, finiteOr } from './core/ops.js';
export {
  matrix,
  identity,
  matmul,
  transpose,
  cholesky,
  solveTriangular,
  choleskySolve,
  logDetFromCholesky,
  logDet,
  inverseSpd,
  gaussianLogDensity,
  GaussianFactor,
  type Matrix,
  type CholeskyOptions,
  type SolveTriangularOptions,
} from './core/linalg.js';
export { erf, erfc, normalCdf, normalLogCdf, normalQuantile, logGamma } from './core/special.js';
export { logSumExp64, normaliseLogWeights, weightsFromLogWeights, essFromLogWeights, summariseLogWeights } from './core/logspace.js';
export { readValues, readAll, readFloat64, readScalar, type HostValues } from './core/readback.js';
export { advance, iterate, countNewTensors } from './core/memory.js';
export { AbortError } from './core/abort.js';

// ---------------------------------------------------------------------------------------------------------------
// targets: the registry, each family's constructor, ground truth

export { logDensityAndGrad, logDensityOf, TargetError, type Target, type Modes } from './targets/target.js';
export { targets } from './targets/registry.js';
export { gaussian, type CovarianceSpec, type GaussianTarget, type GaussianOptions } from './targets/gaussian.js';
export {
  gaussianMixture,
  type ModeAssignment,
  type GaussianMixtureOptions,
  type MixtureComponents,
  type GaussianMixtureTarget,
} from './targets/mixture.js';
export { noisedMixture, vpMarginal, veMarginal, type DiagPlusLowRank, type NoisedMixtureTarget } from './targets/noisedMixture.js';
export {
  twoModes,
  twoModesSlips,
  twoModesLrds,
  bracketTwoModes,
  type TwoModesOptions,
  type TwoModesSlipsOptions,
  type TwoModesConditioning,
} from './targets/twoModes.js';
export { eightGaussians, manyModes, type EightGaussiansOptions, type ManyModesOptions } from './targets/gaussians2d.js';
export { rings, ringsSlips, ringsLrds, type RingAssignment, type RingsOptions, type RingsTarget } from './targets/rings.js';
export { funnel, funnelPresets, type FunnelOptions, type FunnelTarget } from './targets/funnel.js';
export { banana, bananaPresets, type BananaOptions, type BananaTarget } from './targets/banana.js';
export {
  phiFour,
  phiFourEnergy,
  phiFourLaplace,
  phiFourPresets,
  PHI_FOUR_SLIPS_REFERENCE,
  type PhiFourOptions,
  type PhiFourMinimum,
  type PhiFourLaplace,
  type PhiFourTarget,
} from './targets/phiFour.js';
export {
  logisticRegression,
  loadDataset,
  logisticPriors,
  logisticRegressionPresets,
  BUILTIN_DATASETS,
  type BuiltinDataset,
  type LogisticPrior,
  type LogisticPriorName,
  type LogisticRegressionOptions,
  type LabelledData,
  type SplitData,
  type LogisticRegressionTarget,
} from './targets/logisticRegression.js';
export { gridAxis, logDensityOnGrid, type GridSliceOptions, type LogDensityGrid } from './targets/logDensityGrid.js';

// ---------------------------------------------------------------------------------------------------------------
// samplers: MCMC kernels and the run driver, SMC and AIS, transport and diffusion samplers, the registry

export * from './samplers/mcmc/index.js';
export {
  runChain,
  resumeChain,
  RunAbortedError,
  type ParamsSchedule,
  type ProgressReport,
  type RunChainOptions,
  type RunChainResult,
  type RunInfos,
  type CheckpointOptions,
  type Trace,
} from './samplers/runChain.js';
export { afterWarmup, thinTrace, flattenDraws, chainsOf, type TraceDims } from './core/trace.js';
export { smc, type SmcOptions, type SmcResult, type LevelDiagnostics } from './samplers/smc/smc.js';
export { ais, AIS_ESS_FRACTION, type AisOptions } from './samplers/smc/ais.js';
export { resample, multinomialResample, systematicResample, stratifiedResample, RESAMPLING_SCHEMES, type ResamplingScheme } from './samplers/smc/resampling.js';
export { temperedTarget, logDensityRatio, linearSchedule, powerSchedule, nextTemperature, type NextTemperatureOptions } from './samplers/smc/tempering.js';
export { conditionalEss, type Weights } from './samplers/smc/weights.js';
export * from './samplers/transport/index.js';
export {
  slips,
  slipsSigma,
  createMcmcDenoiser,
  localizationPosterior,
  type McmcDenoiserOptions,
  type McmcDenoiserCall,
  type McmcDenoiser,
  type Denoiser,
  type SlipsProgress,
  type SlipsOptions,
  type SlipsDiagnostics,
  type SlipsResult,
} from './samplers/diffusion/slips.js';
export {
  rdmc,
  rdmcBudget,
  rdmcScoreEstimator,
  type ScoreFunction,
  type RdmcScoreMethod,
  type RdmcEstimatorOptions,
  type RdmcOptions,
  type RdmcProgress,
  type RdmcBudget,
  type RdmcResult,
  type RdmcScoreEstimate,
  type RdmcScoreEstimator,
} from './samplers/diffusion/rdmc.js';
export {
  geometricPathBudget,
  smcAtBudget,
  aisAtBudget,
  type BudgetConvention,
  type GeometricPathBudget,
  type GeometricPathBudgetOptions,
  type GeometricPathRunOptions,
  type GeometricPathRunResult,
} from './samplers/diffusion/equalBudget.js';
export { amc, type AmcReference, type AmcOptions, type AmcLevelDiagnostics, type AmcResult } from './samplers/diffusion/amc.js';
export { AMC_KERNELS, type AmcKernelKind } from './samplers/diffusion/amcKernels.js';
export {
  observationPosterior,
  tweedieScore,
  posteriorMeanEstimator,
  type PosteriorMeanOptions,
  type PosteriorMeanEstimate,
  type PosteriorMeanEstimator,
} from './samplers/diffusion/observationPosterior.js';
export { samplers, type SamplerName, type SamplerOptionsByName } from './samplers/samplerRegistry.js';
export {
  replicaExchange,
  type ReplicaExchangeOptions,
  type ReplicaExchangeProgress,
  type ReplicaExchangeResult,
} from './samplers/replicaExchange/replicaExchange.js';
export { neighbourSwap, swapPairs, type NeighbourSwap } from './samplers/replicaExchange/neighbourSwap.js';
export { temperedRowsTarget, pathParts, blendParts, logRatioOf, type PathParts } from './samplers/replicaExchange/temperedRows.js';
export {
  costPerParticle,
  type RunControl,
  type SamplerProgress,
  type SamplerCost,
  type ParticleRun,
  type ParticleSampler,
} from './samplers/particleSampler.js';
export { countingTarget } from './samplers/countingTarget.js';

// ---------------------------------------------------------------------------------------------------------------
// diffusion: noise and localization schedules, diffusion models, denoising score matching, probability flow

export {
  classicSchedule,
  logLinearSchedule,
  geometricSchedule,
  logTangentSchedule,
  localizationSchedule,
  snrTimeGrid,
  type LocalizationScheduleKind,
  type LocalizationSchedule,
  type LocalizationScheduleSpec,
  type GeometricScheduleOptions,
  type LogTangentScheduleOptions,
  type SnrTimeGridOptions,
} from './diffusion/localizationSchedules.js';
export {
  timeAtLogSnrByBisection,
  timeGrid,
  type ScheduleConfig,
  type NoiseSchedule,
  type BisectionOptions,
  type GridSpacing,
  type TimeGridOptions,
} from './diffusion/schedule.js';
export { vpSchedule, type VpScheduleOptions, type VpSchedule } from './diffusion/vpSchedule.js';
export { veSchedule, type VeScheduleOptions, type VeSchedule } from './diffusion/veSchedule.js';
export { scheduleFromConfig } from './diffusion/scheduleConfig.js';
export type { DiffusionModel } from './diffusion/diffusionModel.js';
export {
  forwardNoise,
  forwardTransition,
  perfectModel,
  type PerfectModelOptions,
  type PerfectDiffusionModel,
} from './diffusion/forwardNoising.js';
export {
  fourierTimeEmbedding,
  type FourierEmbeddingOptions,
  type FourierEmbeddingConfig,
  type FourierTimeEmbedding,
} from './diffusion/timeEmbedding.js';
export {
  scoreNetwork,
  energyNetwork,
  saveDiffusionNetwork,
  diffusionNetworkFromWeights,
  type DiffusionNetworkKind,
  type TimeInput,
  type Baseline,
  type DiffusionNetworkOptions,
  type DiffusionNetworkConfig,
  type LearnedDiffusionModel,
  type EnergyDiffusionModel,
} from './diffusion/scoreModels.js';
export { dsmLoss, dsmLossValue, type DsmData, type DsmTimeOptions, type DsmOptions } from './diffusion/dsm.js';
export {
  probabilityFlowVelocity,
  exactDivergence,
  rademacherProbes,
  hutchinsonDivergence,
  integrateProbabilityFlow,
  probabilityFlowLogDensity,
  type FlowMethod,
  type DivergenceMethod,
  type ProbabilityFlowOptions,
  type FlowLogDensityOptions,
  type FlowLogDensityResult,
} from './diffusion/probabilityFlow.js';

// ---------------------------------------------------------------------------------------------------------------
// models: flows, MLPs, weights on disk, Gaussian-mixture fit (EM)

export type { Flow, FlowOutput } from './models/flow.js';
export { mlp, MLP_ACTIVATIONS, type Activation, type MlpOptions, type Mlp } from './models/mlp.js';
export { realNvp, REALNVP_MASK_TYPES, type RealNvpMaskType, type RealNvpConfig, type RealNvpOptions, type RealNvp } from './models/realnvp.js';
export {
  saveWeights,
  loadWeights,
  restoreWeights,
  saveFlow,
  flowFromWeights,
  WEIGHTS_FORMAT,
  WEIGHTS_FORMAT_VERSION,
  type WeightsMetadata,
  type SaveWeightsOptions,
  type RestoreWeightsOptions,
  type LoadedWeights,
} from './models/weights.js';
export { standardNormalBase, flowDistribution, type FlowBase, type FlowDistribution } from './models/flowTarget.js';
export {
  fitGaussianMixture,
  type MixtureCovarianceType,
  type GaussianMixtureFitOptions,
  type GaussianMixtureFitProgress,
  type GaussianMixtureFit,
  type RegCovarFailure,
} from './models/gaussianMixtureFit.js';

// ---------------------------------------------------------------------------------------------------------------
// trainers: Adam, the fit loop, the flow losses

export { adam, Adam, type AdamOptions, type AdamState } from './trainers/adam.js';
export {
  fit,
  resumeFit,
  FitAbortedError,
  NonFiniteLossError,
  type LossFunction,
  type StepSchedule,
  type FitProgress,
  type FitCheckpointOptions,
  type FitOptions,
  type ResumeFitOptions,
  type FitResult,
} from './trainers/fit.js';
export {
  forwardKl,
  forwardKlFromTarget,
  backwardKl,
  convexKl,
  scaleRegulariser,
  SCALE_REGULARISER_COEFFICIENT,
  CONVEX_KL_ALPHA,
  type FlowLossOptions,
  type ConvexKlOptions,
  type FlowWithScaleWeights,
} from './trainers/flowLosses.js';

// ---------------------------------------------------------------------------------------------------------------
// metrics

export { mmd, mmdSquared, medianHeuristicBandwidth, type MmdOptions } from './metrics/mmd.js';
export { slicedWasserstein, slicedWassersteinGaussianApprox, type SlicedWassersteinOptions } from './metrics/slicedWasserstein.js';
export { energyDistance, type EnergyDistanceOptions } from './metrics/energyDistance.js';
export { modeWeights, modeWeightError, forgottenModes, modeEntropy, type ModeWeightError } from './metrics/modeWeights.js';
export { effectiveSampleSize, splitRHat, type ChainTrace, type TraceInput, type DiagnosticOptions } from './metrics/mcmcDiagnostics.js';
export { rankNormalizedRHat, bulkEss, tailEss } from './metrics/rankDiagnostics.js';
export { autocorrelation, autocovariance } from './metrics/autocorrelation.js';
export { normalizedWeights, importanceEss, logZEstimate, logZError, type LogZEstimate } from './metrics/importanceSampling.js';
export { ksOneSample, ksTwoSample, kolmogorovSurvival, type KsResult } from './metrics/ks.js';
export { marginalKs, maxMarginalKs, slicedKs, type SlicedKsOptions } from './metrics/marginalKs.js';
export { wasserstein2Exact, wasserstein2Sinkhorn, optimalAssignment, type SinkhornOptions, type SinkhornResult } from './metrics/wasserstein2d.js';
export { phiFourLogModeRatio, phiFourLogRatioError, type PhiFourModes, type PhiFourLogRatioOptions } from './metrics/phiFourLogRatio.js';

// ---------------------------------------------------------------------------------------------------------------
// charts: Vega-Lite builders (lib/viz/charts.ts), inline display, export to SVG, PNG and CSV

export * from './viz/charts.js';
export { show, type ShowOptions } from './viz/display.js';
export { saveFigure, type SaveFigureOptions, type SavedFigure } from './viz/saveFigure.js';
export { toSvg, toPng, type PngOptions } from './viz/render.js';
export { plot, plotToSvg, type PlotChart } from './viz/plot.js';
export { vegaEmbedHtml, type VegaEmbedHtmlOptions } from './viz/vegaEmbedHtml.js';

// ---------------------------------------------------------------------------------------------------------------
// RDS: the reference-diffusion sampler framework (LRDS, PIS, DDS; spec slips-lrds-amcbg.md section 2.2)

export { vpSde, pinnedBrownianSde, type NoisingSde, type StepCoefficients, type VpSdeOptions, type PinnedBrownianSdeOptions } from './samplers/diffusion/rds/noisingSde.js';
export { mixtureReference, defaultReference, energyReference, noisedMarginal, type RdsReference } from './samplers/diffusion/rds/referenceMarginal.js';
export { rdsTimeGrid, type RdsTimeGridOptions } from './samplers/diffusion/rds/rdsTimeGrid.js';
export { generativeSteps, eulerMaruyamaStep, type RdsScheme, type GenerativeStep } from './samplers/diffusion/rds/generativeSteps.js';
export { simulateRds, forwardRnd, type RdsControl, type SimulateRdsOptions, type ForwardRndOptions, type RdsTrajectories } from './samplers/diffusion/rds/controlledSde.js';
export { mixtureOptimalControl } from './samplers/diffusion/rds/optimalControl.js';
export { klLoss, logVarianceLoss, DEFAULT_MAX_RND, type RdsLossOptions } from './samplers/diffusion/rds/rdsLosses.js';
export { evaluateRnd, evaluateForwardRnd, type RdsEvaluation, type RdsForwardEvaluation } from './samplers/diffusion/rds/rdsEvaluation.js';
export { rds, type RdsOptions, type RdsDetails } from './samplers/diffusion/rds/rds.js';
// the LRDS pipeline pieces (spec 2.3): local MCMC around the modes, sigma_opt, training the control
export { localMcmc, type LocalMcmcOptions, type LocalMcmcResult } from './samplers/diffusion/rds/localMcmc.js';
export { sigmaOpt, baselineScale, type SigmaOpt } from './samplers/diffusion/rds/sigmaOpt.js';
export { trainRdsControl, rdsTrainingLoss, RDS_LOSSES, type TrainRdsOptions, type RdsLossSettings, type RdsLossName } from './trainers/rdsTraining.js';

// ---------------------------------------------------------------------------------------------------------------
// LRDS targets: the checkerboard and the rotated two-modes (spec slips-lrds-amcbg.md section 2.7)

export { checkerboard, CHECKERBOARD_CORNERS, type CheckerboardOptions, type CheckerboardTarget } from './targets/checkerboard.js';
export { twoModesFull, type TwoModesFullOptions } from './targets/twoModes.js';
export { qrOrthogonal } from './core/linalg.js';

// LRDS control networks (spec slips-lrds-amcbg.md section 2.4)
export { fourierMlp, timeNet, OUTPUT_INIT_GAIN, type FourierMlp, type FourierMlpOptions, type TimeNet, type TimeNetOptions } from './models/fourierMlp.js';
export { scoreControl, SCORE_CONTROL_CLIP, type ScoreControl, type ScoreControlOptions } from './models/scoreControl.js';
export { gelu } from './models/gelu.js';
