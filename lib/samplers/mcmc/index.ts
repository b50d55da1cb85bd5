/** MCMC kernels (BlackJAX-style, batched over chains) and their adaptation utilities. */
export type { ChainState, Kernel, StepInfo, StepSize } from './kernel.js';
export { acceptanceProbability, metropolisAccept } from './metropolis.js';
export { rwmh, type RwmhParams, type RwmhState } from './rwmh.js';
export { mala, type MalaParams, type MalaState } from './mala.js';
export { langevinProposal, langevinLogProposalDensity, malaLogAcceptance, malaStep, ulaStep, unadjustedLangevin, type UnadjustedLangevinOptions } from './langevin.js';
export {
  hmc,
  kineticEnergy,
  velocityVerlet,
  type HmcParams,
  type HmcState,
  type InverseMassMatrix,
  type PhasePoint,
} from './hmc.js';
export { imh, type ImhParams, type ImhState, type IndependentProposal } from './imh.js';
export { isir, type IsirParams, type IsirState } from './isir.js';
export {
  adaptSharedStepSize,
  adaptStepSizePerChain,
  adaptStepSizePerChainLog,
  adaptStepSizeBetweenLevels,
  type StepSizeAdaptation,
  dualAveraging,
  FLOW_MCMC_RULE,
  LRDS_RULE,
  SLIPS_RULE,
  type DualAveragingOptions,
  type DualAveragingState,
  type MultiplicativeRule,
} from './stepSizeAdaptation.js';
export {
  massMatrixAdaptation,
  type Draws,
  type RegularisationOptions,
  type WelfordState,
} from './massMatrixAdaptation.js';
