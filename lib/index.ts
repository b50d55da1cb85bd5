/**
 * The flat public namespace of sampling-lab (Node). `import { key, targets, mala, smc, ... } from 'sampling-lab'`
 * or, inside this repository, from './lib/index.js'. Browser pages import the individual modules instead
 * (lib/core/backend.ts and the checkpoint I/O of runChain need Node).
 */
// core
export * from './core/backend.js';
export * from './core/random.js';
export * from './core/ops.js';
export * from './core/linalg.js';
export * from './core/memory.js';
export * from './core/special.js';
export * from './core/logspace.js';
export { enableNativeMatMul, disableNativeMatMul, nativeMatMulStatus } from './core/nativeMatMul.js';
// targets
export * from './targets/target.js';
export * from './targets/registry.js';
export * from './targets/gaussian.js';
export * from './targets/mixture.js';
export * from './targets/noisedMixture.js';
export * from './targets/twoModes.js';
export * from './targets/gaussians2d.js';
export * from './targets/rings.js';
export * from './targets/funnel.js';
export * from './targets/banana.js';
export * from './targets/phiFour.js';
export * from './targets/logisticRegression.js';
export * from './targets/logDensityGrid.js';
// samplers
export * from './samplers/mcmc/index.js';
export * from './samplers/smc/index.js';
export * from './samplers/runChain.js';
export * from './samplers/transport/index.js';
export * from './samplers/diffusion/slips.js';
export * from './samplers/diffusion/rdmc.js';
export * from './samplers/diffusion/equalBudget.js';
export * from './samplers/diffusion/amc.js';
export * from './samplers/diffusion/observationPosterior.js';
export { samplers, type SamplerName, type SamplerOptionsByName } from './samplers/samplerRegistry.js';
export * from './samplers/particleSampler.js';
export { countingTarget } from './samplers/countingTarget.js';
// diffusion
export * from './diffusion/localizationSchedules.js';
export * from './diffusion/schedule.js';
export * from './diffusion/vpSchedule.js';
export * from './diffusion/veSchedule.js';
export * from './diffusion/scheduleConfig.js';
export * from './diffusion/diffusionModel.js';
export * from './diffusion/forwardNoising.js';
export * from './diffusion/timeEmbedding.js';
export * from './diffusion/scoreModels.js';
export * from './diffusion/dsm.js';
export * from './diffusion/probabilityFlow.js';
// models
export * from './models/flow.js';
export * from './models/mlp.js';
export * from './models/realnvp.js';
export * from './models/weights.js';
export * from './models/flowTarget.js';
// trainers
export * from './trainers/adam.js';
export * from './trainers/fit.js';
export * from './trainers/flowLosses.js';
// metrics
export * from './metrics/mmd.js';
export * from './metrics/slicedWasserstein.js';
export * from './metrics/energyDistance.js';
export * from './metrics/modeWeights.js';
export * from './metrics/mcmcDiagnostics.js';
export * from './metrics/autocorrelation.js';
export { normalizedWeights, importanceEss, logZEstimate, logZError, type LogZEstimate } from './metrics/importanceSampling.js';
export * from './metrics/ks.js';
export * from './metrics/marginalKs.js';
export * from './metrics/wasserstein2d.js';
export * from './metrics/phiFourLogRatio.js';
// viz
export * from './viz/index.js';
