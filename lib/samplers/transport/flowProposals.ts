/**
 * A flow as the proposal lambda = T # rho of the independent-proposal kernels (imh, isir; nfmcmc spec section 1.3
 * "IMH", "i-SIR": "Adaptive IMH / i-SIR") and of neural importance sampling.
 *
 * The kernels need log lambda at the points they just drew. For a flow, `logDensity(x)` costs an inverse pass, but
 * the forward pass that drew x = T(z) already gives log lambda(x) = log rho(z) - logDet_T(z) (`sampleWithLogDensity`
 * of lib/models/flowTarget.ts). `flowProposal` remembers the log-densities of its latest draw: when a kernel asks
 * for the log-density of exactly the tensor `sample` returned (imh and isir do), the remembered values are returned
 * and no inverse pass runs; any other tensor (e.g. the current state after local moves) goes through the inverse.
 * Kernel states keep caching log lambda(position) as imh does (`logProposalDensity`).
 */
import * as tf from '@tensorflow/tfjs';
import type { Key } from '../../core/random.js';
import { invalidOption } from '../../core/validate.js';
import type { Flow } from '../../models/flow.js';
import { flowDistribution, type FlowBase } from '../../models/flowTarget.js';
import { checkPositions, type Target } from '../../targets/target.js';
import { imh, type ImhParams, type ImhState, type IndependentProposal } from '../mcmc/imh.js';
import { isir, type IsirInfo, type IsirParams, type IsirState } from '../mcmc/isir.js';
import type { Kernel, MetropolisInfo } from '../mcmc/kernel.js';

/** An independent proposal that may also draw with its log-density in one pass (a FlowDistribution does). */
export interface ProposalWithLogDensity extends IndependentProposal {
  sampleWithLogDensity?(key: Key, n: number): { x: tf.Tensor2D; logDensity: tf.Tensor1D };
  /** log of the normaliser of exp(logDensity) (0 or absent: normalised). */
  logZ?: number;
}

/** A flow, or a proposal distribution (FlowDistribution, Gaussian, ...). */
export type ProposalSource = Flow | ProposalWithLogDensity;

/** A proposal built by `flowProposal`: remembers its latest draw's log-densities (at most one tensor held). */
export interface FlowProposal extends ProposalWithLogDensity {
  /** Free the remembered log-densities (the proposal stays usable). */
  dispose(): void;
}

function isFlow(source: unknown): source is Flow {
  const f = source as Flow;
  return typeof f.forward === 'function' && typeof f.inverse === 'function';
}

/**
 * Draw n points and their log-densities: through `sampleWithLogDensity` when the proposal has it (one forward pass
 * for a flow), otherwise `sample` then `logDensity`. Checks the shapes (a wrong proposal fails with a clear error).
 */
export function drawWithLogDensity(
  where: string,
  proposal: ProposalWithLogDensity,
  key: Key,
  n: number,
  dim: number,
): { x: tf.Tensor2D; logDensity: tf.Tensor1D } {
  return tf.tidy(() => {
    const out =
      typeof proposal.sampleWithLogDensity === 'function'
        ? proposal.sampleWithLogDensity(key, n)
        : (() => {
            const x = proposal.sample(key, n);
            checkPositions(where, x, dim, 'proposal.sample(key, n)');
            return { x, logDensity: proposal.logDensity(x) };
          })();
    checkPositions(where, out.x, dim, 'proposal draws');
    if (out.x.shape[0] !== n) invalidOption(where, 'proposal draws', `${out.x.shape[0]} rows`, `${n} rows`);
    if (!(out.logDensity instanceof tf.Tensor) || out.logDensity.rank !== 1 || out.logDensity.shape[0] !== n) {
      invalidOption(where, 'proposal log-densities', out.logDensity, `a tensor of shape [${n}]`);
    }
    return out;
  });
}

/**
 * An IMH / i-SIR / IS proposal from a flow (pushed through `flowDistribution(flow, base)`, base N(0, I) by default)
 * or from a distribution with `sampleWithLogDensity`; see the file header.
 */
export function flowProposal(source: ProposalSource, base?: FlowBase): FlowProposal {
  const where = 'flowProposal';
  if (source == null || typeof source !== 'object') {
    invalidOption(where, 'source', source, 'a Flow or a proposal { sample, logDensity, sampleWithLogDensity? }');
  }
  const distribution: ProposalWithLogDensity = isFlow(source) ? flowDistribution(source, base) : source;
  if (typeof distribution.sample !== 'function' || typeof distribution.logDensity !== 'function') {
    invalidOption(where, 'source', source, 'a Flow or a proposal { sample, logDensity, sampleWithLogDensity? }');
  }
  let latest: { x: tf.Tensor2D; logDensity: tf.Tensor1D } | null = null;
  const forget = () => {
    // Inside a kernel's tidy the remembered tensor is freed with the step; outside, it is freed here.
    if (latest && !latest.logDensity.isDisposed) latest.logDensity.dispose();
    latest = null;
  };
  const withDensity = distribution.sampleWithLogDensity;
  const proposal: FlowProposal = {
    logZ: distribution.logZ,
    sample(key: Key, n: number): tf.Tensor2D {
      if (typeof withDensity !== 'function') return distribution.sample(key, n);
      forget();
      latest = withDensity.call(distribution, key, n);
      return latest.x;
    },
    logDensity(x: tf.Tensor2D): tf.Tensor1D {
      if (latest && x === latest.x && !latest.logDensity.isDisposed) return tf.clone(latest.logDensity);
      return distribution.logDensity(x);
    },
    dispose: forget,
  };
  if (typeof withDensity === 'function') {
    proposal.sampleWithLogDensity = (key: Key, n: number) => withDensity.call(distribution, key, n);
  }
  return proposal;
}

/** IMH with a flow proposal ("Adaptive IMH" of the spec): `imh(target, flowProposal(source, base))`. */
export function flowImh(target: Target, source: ProposalSource, base?: FlowBase): Kernel<ImhState, ImhParams, MetropolisInfo> {
  return imh(target, flowProposal(source, base));
}

/** i-SIR with a flow proposal ("Adaptive i-SIR" of the spec): `isir(target, flowProposal(source, base))`. */
export function flowIsir(target: Target, source: ProposalSource, base?: FlowBase): Kernel<IsirState, IsirParams, IsirInfo> {
  return isir(target, flowProposal(source, base));
}
