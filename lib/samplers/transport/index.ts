/** Transport samplers (nfmcmc spec section 1.3): flow proposals, neural IS, global-local kernels, NeuTra, transport ESS. */
export { affineFlow, funnelFlow, gaussianFlow, linearInterpolationFlow, type AnalyticFlow } from './imperfectFlows.js';
export { drawWithLogDensity, flowImh, flowIsir, flowProposal, type FlowProposal, type ProposalWithLogDensity } from './flowProposals.js';
export { neuralImportanceSampling, type NeuralIsOptions, type NeuralIsResult } from './neuralImportanceSampling.js';
export {
  adaptiveMcmc,
  flex2mcmc,
  flowMcSchedule,
  globalLocal,
  type GlobalLocalOptions,
  type GlobalLocalParams,
  type GlobalLocalState,
} from './globalLocal.js';
export { neutra, neutraTarget, type NeutraKernel, type NeutraOptions, type NeutraState, type NeutraTarget } from './neutra.js';
export { ellipticalSlice, type EllipticalSliceParams, type EllipticalSliceState } from './ellipticalSlice.js';
