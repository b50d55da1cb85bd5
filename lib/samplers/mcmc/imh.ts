/**
 * Independent Metropolis-Hastings (nfmcmc spec section 1.3 "IMH"): propose x' ~ lambda independently of the
 * current state and accept with probability min(1, w(x') / w(x)), w = pi / lambda, i.e.
 *   log alpha = [log pi(x') - log lambda(x')] - [log pi(x) - log lambda(x)].
 * The proposal lambda is any object with `sample(key, n) -> [n, d]` and `logDensity(x) -> [n]` (a flow, a
 * Gaussian fit, ...). The state caches log lambda(x) so each step evaluates pi and lambda once, at the proposals.
 * A state from another kernel (no cached `logProposalDensity`, e.g. after local MALA moves in a global-local
 * sampler) is accepted: the cache is recomputed (spec section 1.9, pitfall 5).
 */
import * as tf from '@tensorflow/tfjs';
import { split, type Key } from '../../core/random.js';
import { checkPositions, checkTarget, logDensityOf, type Target } from '../../targets/target.js';
import { stateFields, type ChainState, type Kernel, type MetropolisInfo } from './kernel.js';
import { checkInitialState, checkParams, checkState, initialPosition, invalid, metropolisAccept } from './metropolis.js';

/** An independent proposal lambda: exact draws and a normalised (or consistently unnormalised) log-density. */
export interface IndependentProposal {
  /** n draws, [n, d]; the same key gives the same draws. */
  sample(key: Key, n: number): tf.Tensor2D;
  /** log lambda(x), x [n, d] -> [n]. */
  logDensity(x: tf.Tensor2D): tf.Tensor1D;
}

export type ImhState = ChainState & {
  /** log lambda(position), [n]. */
  logProposalDensity: tf.Tensor1D;
};

/** IMH takes no parameters (the proposal is fixed when the kernel is built). */
export type ImhParams = Record<string, never>;

export function checkProposal(where: string, proposal: unknown): IndependentProposal {
  const p = proposal as IndependentProposal | null;
  if (p == null || typeof p !== 'object' || typeof p.sample !== 'function' || typeof p.logDensity !== 'function') {
    invalid(where, 'proposal', proposal, 'an object { sample(key, n) -> [n, d], logDensity(x) -> [n] }');
  }
  return p;
}

/** Draw `count` proposals and check their shape (a wrong proposal fails here with a clear message). */
export function drawProposals(where: string, proposal: IndependentProposal, key: Key, count: number, dim: number): tf.Tensor2D {
  const draws = proposal.sample(key, count);
  checkPositions(where, draws, dim, 'proposal.sample(key, n)');
  if (draws.shape[0] !== count) {
    invalid(where, 'proposal.sample(key, n)', draws, `a tensor with n = ${count} rows`);
  }
  return draws;
}

/** The initial state of an independent-proposal kernel (IMH, i-SIR): position, log pi and the cached log lambda. */
export async function initialProposalState(
  where: string,
  target: Target,
  proposal: IndependentProposal,
  position: unknown,
): Promise<ImhState> {
  const x = await initialPosition(where, target, position);
  const densities = tf.tidy(() => ({ logDensity: logDensityOf(target, x), logProposalDensity: proposal.logDensity(x) }));
  return checkInitialState(where, { position: x, ...densities });
}

/** The cached log lambda of a state, or its recomputation when the state comes from another kernel. */
export function withProposalDensity(state: ChainState, proposal: IndependentProposal): ImhState {
  const cached = stateFields(state).logProposalDensity;
  if (cached instanceof tf.Tensor && !cached.isDisposed) return state as ImhState;
  return { ...state, logProposalDensity: proposal.logDensity(state.position) } as ImhState;
}

/** The IMH kernel for `target` with proposal `proposal`; `info` also holds `logAcceptance` [n]. */
export function imh(target: Target, proposal: IndependentProposal): Kernel<ImhState, ImhParams, MetropolisInfo> {
  const name = 'imh';
  checkTarget(name, target);
  checkProposal(name, proposal);
  return {
    name,
    target,
    init(position: tf.Tensor2D): Promise<ImhState> {
      return initialProposalState(`${name}.init`, target, proposal, position);
    },
    step(key: Key, state: ImhState, params?: ImhParams): { state: ImhState; info: MetropolisInfo } {
      const where = `${name}.step`;
      const n = checkState(where, target, state);
      if (params != null) checkParams(where, params, []);
      return tf.tidy(() => {
        const [kProposal, kAccept] = split(key, 2);
        const current = withProposalDensity(state, proposal);
        const proposed = drawProposals(where, proposal, kProposal, n, target.dim);
        const logDensity = logDensityOf(target, proposed);
        const logProposalDensity = proposal.logDensity(proposed);
        const logAcceptance = tf.sub(
          tf.sub(logDensity, logProposalDensity),
          tf.sub(current.logDensity, current.logProposalDensity),
        ) as tf.Tensor1D;
        return metropolisAccept(kAccept, logAcceptance, { position: proposed, logDensity, logProposalDensity }, current);
      });
    },
  };
}
