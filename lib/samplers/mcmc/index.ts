/** MCMC kernels (BlackJAX-style, batched over chains) and their adaptation utilities. */
export type { ChainState, Kernel, StepInfo, StepSize } from './kernel.ts';
export { acceptanceProbability, metropolisAccept } from './metropolis.ts';
export { rwmh, type RwmhParams, type RwmhState } from './rwmh.ts';
export { mala, type MalaParams, type MalaState } from './mala.ts';
export {
  hmc,
  kineticEnergy,
  velocityVerlet,
  type HmcParams,
  type HmcState,
  type InverseMassMatrix,
  type PhasePoint,
} from './hmc.ts';
export { imh, type ImhParams, type ImhState, type IndependentProposal } from './imh.ts';
export { isir, type IsirParams, type IsirState } from './isir.ts';
export {
  adaptSharedStepSize,
  adaptStepSizePerChain,
  adaptStepSizePerChainLog,
  dualAveraging,
  FLOW_MCMC_RULE,
  LRDS_RULE,
  SLIPS_RULE,
  type DualAveragingOptions,
  type DualAveragingState,
  type MultiplicativeRule,
} from './stepSizeAdaptation.ts';
export {
  massMatrixAdaptation,
  type Draws,
  type RegularisationOptions,
  type WelfordState,
} from './massMatrixAdaptation.ts';
