export { essFromLogWeights, logSumExp64, normaliseLogWeights, weightsFromLogWeights } from '../../core/logspace.js';
export * from './weights.js';
export * from './resampling.js';
export * from './tempering.js';
export * from './smc.js';
export * from './ais.js';
