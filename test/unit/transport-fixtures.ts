/**
 * Targets, imperfect analytic flows and sampler cases shared by the transport statistical tests: every transport
 * sampler built on a target and a deliberately imperfect flow, so that a test can check it still targets pi.
 */
import * as tf from '@tensorflow/tfjs';
import type { Flow } from '../../lib/models/flow.js';
import { standardNormalBase } from '../../lib/models/flowTarget.js';
import { hmc } from '../../lib/samplers/mcmc/hmc.js';
import type { ChainState, Kernel } from '../../lib/samplers/mcmc/kernel.js';
import { mala } from '../../lib/samplers/mcmc/mala.js';
import { ellipticalSlice } from '../../lib/samplers/transport/ellipticalSlice.js';
import { flowImh, flowIsir, flowProposal } from '../../lib/samplers/transport/flowProposals.js';
import { adaptiveMcmc, flex2mcmc, flowMcSchedule } from '../../lib/samplers/transport/globalLocal.js';
import { neutra } from '../../lib/samplers/transport/neutra.js';
import type { Target } from '../../lib/targets/target.js';

/** N(MEAN, COV): non-zero mean, unequal variances, correlations of both signs. */
export const MEAN = [1, -2, 0.5];
export const COV = [
  [2.0, 0.6, 0.2],
  [0.6, 1.0, -0.3],
  [0.2, -0.3, 0.5],
];

export interface TransportCase {
  name: string;
  /** The kernel for a target and a flow (the flow is the proposal, or the NeuTra map). */
  make: (target: Target, flow: Flow) => Kernel<ChainState, any>;
  /** Params for a target of this "step scale" (the local step sizes are multiplied by it). */
  params: (scale: number) => object;
  /** Data-space positions of a state (NeuTra kernels report T z). */
  position: (state: ChainState) => tf.Tensor2D;
}

const position = (s: ChainState) => s.position;
const dataPosition = (s: ChainState) => (s as { dataPosition?: tf.Tensor2D }).dataPosition as tf.Tensor2D;

/** Every transport MCMC sampler, with the paper's small-scale settings (spec section 1.10) scaled down. */
export const TRANSPORT_CASES: TransportCase[] = [
  { name: 'flow IMH', make: (t, f) => flowImh(t, f), params: () => ({}), position },
  { name: 'flow i-SIR (N = 8)', make: (t, f) => flowIsir(t, f), params: () => ({ numParticles: 8 }), position },
  {
    name: 'FlEx2MCMC (i-SIR N = 8 + 2 MALA)',
    make: (t, f) => flex2mcmc(t, flowProposal(f), { numLocalSteps: 2 }),
    params: (h) => ({ global: { numParticles: 8 }, local: { stepSize: 0.2 * h } }),
    position,
  },
  {
    name: 'adaptive MCMC (IMH + 2 MALA)',
    make: (t, f) => adaptiveMcmc(t, flowProposal(f), { numLocalSteps: 2 }),
    params: (h) => ({ global: {}, local: { stepSize: 0.2 * h } }),
    position,
  },
  {
    name: 'flowMC schedule (2 HMC, then 2 IMH)',
    make: (t, f) => flowMcSchedule(t, flowProposal(f), { numLocalSteps: 2, numGlobalSteps: 2, local: hmc(t) }),
    params: (h) => ({ global: {}, local: { stepSize: 0.2 * h, numIntegrationSteps: 3 } }),
    position,
  },
  { name: 'NeuTra-MALA', make: (t, f) => neutra((l) => mala(l), f, t), params: (h) => ({ stepSize: 0.3 * h }), position: dataPosition },
  {
    name: 'NeuTra-HMC',
    make: (t, f) => neutra((l) => hmc(l), f, t),
    params: (h) => ({ stepSize: 0.3 * h, numIntegrationSteps: 4, jitter: 0.2 }),
    position: dataPosition,
  },
  { name: 'transport ESS', make: (t, f) => neutra((l) => ellipticalSlice(l), f, t), params: () => ({}), position: dataPosition },
  {
    // i-SIR with the base N(0, I) as proposal in latent space, plus latent MALA (spec section 1.3, "NeuTra Ex2MCMC").
    name: 'NeuTra-Ex2MCMC (latent i-SIR N = 8 + 2 latent MALA)',
    make: (t, f) => neutra((l) => flex2mcmc(l, standardNormalBase(l.dim), { numLocalSteps: 2 }), f, t),
    params: (h) => ({ global: { numParticles: 8 }, local: { stepSize: 0.3 * h } }),
    position: dataPosition,
  },
];
