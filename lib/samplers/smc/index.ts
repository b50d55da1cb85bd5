export * from './weights.ts';
export * from './resampling.ts';
export * from './tempering.ts';
export * from './smc.ts';
export * from './ais.ts';
