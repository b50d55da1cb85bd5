/**
 * Global-local samplers (nfmcmc spec section 1.3 "Global-local samplers"; Samsonov et al. 2022 "Local-global MCMC
 * kernels"; Gabrie, Rotskoff & Vanden-Eijnden 2022 PNAS; the flowMC schedule of Wong, Gabrie & Foreman-Mackey 2023):
 * one step of the kernel is one CYCLE of blocks of steps of two kernels built on the same target,
 *   global-first:  numGlobalSteps global steps, then numLocalSteps local steps   (FlEx2MCMC, adaptive MCMC);
 *   local-first:   numLocalSteps local steps, then numGlobalSteps global steps    (the flowMC schedule),
 * a composition of pi-invariant kernels, hence pi-invariant. The reference records every sub-step as a sample
 * (a chain of n_steps holds about n_steps / (1 + n_local) global moves); here a step is a whole cycle, and
 * `recordSubsteps: true` adds the positions after every sub-step to the state (`substeps` [n, K, d]) for a
 * `transform` that wants them.
 *
 * Caches between kernels (spec section 1.9, pitfall 5): the global kernels (imh, isir) cache log lambda(x) in their
 * states; a cache is never carried past a local move (imh / isir recompute it from the position). A local kernel
 * with a gradient in its state gets the gradient at the position the global block left (one evaluation per cycle).
 *
 * The state is the local kernel's state ({ position, logDensity } or { position, logDensity, grad }). Params are
 * `{ global: <the global kernel's params>, local: <the local kernel's params> }`. Info: per chain, means over the
 * cycle's global and local steps of their `acceptanceRate` / `isAccepted` (and of the global `ess` when the global
 * kernel reports one, e.g. i-SIR); `acceptanceRate` is the mean over all sub-steps and `isAccepted` is 1 where the
 * chain moved during the cycle (some sub-step accepted).
 */
import * as tf from '@tensorflow/tfjs';
import { split, type Key } from '../../core/random.js';
import { checkBoolean, checkChoice, checkInteger, checkOptions, invalidOption, verbatim } from '../../core/validate.js';
import { logDensityAndGrad, type Target } from '../../targets/target.js';
import { imh, type ImhParams, type IndependentProposal } from '../mcmc/imh.js';
import { isir, type IsirParams } from '../mcmc/isir.js';
import { stateFields, type ChainState, type Kernel, type StepInfo } from '../mcmc/kernel.js';
import { mala, type MalaParams } from '../mcmc/mala.js';
import { checkParams, checkState, invalid } from '../mcmc/metropolis.js';

export type BlockOrder = 'globalFirst' | 'localFirst';

export interface GlobalLocalOptions<GP, LP> {
  global: Kernel<ChainState, GP>;
  local: Kernel<ChainState, LP>;
  /** Local steps per cycle (an integer >= 0). */
  numLocalSteps: number;
  /** Global steps per cycle (an integer >= 1; default 1). */
  numGlobalSteps?: number;
  /** Default 'globalFirst'. */
  order?: BlockOrder;
  /** Keep the position after every sub-step in `state.substeps` [n, numGlobalSteps + numLocalSteps, d] (default false). */
  recordSubsteps?: boolean;
  /** Default `<global>+<local>`. */
  name?: string;
}

export interface GlobalLocalParams<GP, LP> {
  global: GP;
  local: LP;
}

/** The local kernel's state (position, logDensity, and grad when it has one), with `substeps` when recorded. */
export type GlobalLocalState = ChainState & {
  grad?: tf.Tensor2D;
  /** The position after every sub-step of the cycle, [n, numGlobalSteps + numLocalSteps, d]. */
  substeps?: tf.Tensor3D;
};

/**
 * The info of a cycle (see the file header): means over the cycle's global / local steps, per chain, [n];
 * `isInvalid` is 1 where some sub-step rejected an invalid proposal.
 */
export type GlobalLocalInfo = StepInfo & {
  globalAcceptanceRate: tf.Tensor1D;
  globalIsAccepted: tf.Tensor1D;
  localAcceptanceRate?: tf.Tensor1D;
  localIsAccepted?: tf.Tensor1D;
  /** The global kernel's importance ESS, when it reports one (i-SIR). */
  globalEss?: tf.Tensor1D;
};

/** State fields the cycle knows how to rebuild at a new position for the local kernel. */
const REBUILDABLE = new Set(['position', 'logDensity', 'grad', 'substeps']);

function checkKernel(where: string, option: string, kernel: unknown, target?: Target): Kernel<ChainState, unknown> {
  const k = kernel as Kernel | null;
  if (k == null || typeof k !== 'object' || typeof k.init !== 'function' || typeof k.step !== 'function' || k.target == null) {
    invalidOption(where, option, kernel, 'a Kernel { name, target, init(position), step(key, state, params) }');
  }
  if (target && k.target !== target) {
    invalidOption(where, `${option}.target`, k.target.name, `the same Target object as the global kernel's (${target.name})`);
  }
  return k as Kernel<ChainState, unknown>;
}

/** The generic global-local kernel (see the file header). */
export function globalLocal<GP, LP>(options: GlobalLocalOptions<GP, LP>): Kernel<GlobalLocalState, GlobalLocalParams<GP, LP>, GlobalLocalInfo> {
  const where = 'globalLocal';
  const opts = checkOptions<GlobalLocalOptions<GP, LP>>(where, options, [
    'global',
    'local',
    'numLocalSteps',
    'numGlobalSteps',
    'order',
    'recordSubsteps',
    'name',
  ]);
  const globalKernel = checkKernel(where, 'global', opts.global);
  const target = globalKernel.target;
  const localKernel = checkKernel(where, 'local', opts.local, target);
  const numLocal = checkInteger(where, 'numLocalSteps', opts.numLocalSteps, 0);
  const numGlobal = checkInteger(where, 'numGlobalSteps', opts.numGlobalSteps ?? 1, 1);
  const order = checkChoice<BlockOrder>(where, 'order', opts.order ?? 'globalFirst', ['globalFirst', 'localFirst']);
  const recordSubsteps = checkBoolean(where, 'recordSubsteps', opts.recordSubsteps ?? false);
  const name = opts.name ?? `${globalKernel.name}+${localKernel.name}`;
  const numSubsteps = numGlobal + numLocal;
  const blocks: ('global' | 'local')[] =
    order === 'globalFirst'
      ? [...new Array<'global'>(numGlobal).fill('global'), ...new Array<'local'>(numLocal).fill('local')]
      : [...new Array<'local'>(numLocal).fill('local'), ...new Array<'global'>(numGlobal).fill('global')];

  /** The local kernel's fields at `position` (after global moves): the gradient is the only one recomputed. */
  const localFields = (fields: string[], position: tf.Tensor2D, logDensity: tf.Tensor1D): GlobalLocalState => {
    const state: GlobalLocalState = { position, logDensity };
    if (fields.includes('grad')) {
      const fresh = logDensityAndGrad(target, position);
      state.grad = fresh.grad;
    }
    return state;
  };

  return {
    name,
    target,
    async init(position: tf.Tensor2D): Promise<GlobalLocalState> {
      const state = await localKernel.init(position);
      const unknown = Object.keys(state).filter((f) => !REBUILDABLE.has(f));
      if (unknown.length > 0) {
        tf.dispose(Object.values(state));
        invalidOption(
          where,
          'local',
          localKernel.name,
          `a local kernel whose state holds only position, logDensity and grad (found ${unknown.join(', ')})`,
        );
      }
      if (!recordSubsteps) return state;
      const substeps = tf.tidy(() => tf.tile(tf.expandDims(state.position, 1), [1, numSubsteps, 1]) as tf.Tensor3D);
      return { ...state, substeps };
    },
    step(key: Key, state: GlobalLocalState, params: GlobalLocalParams<GP, LP>): { state: GlobalLocalState; info: GlobalLocalInfo } {
      const stepWhere = `${name}.step`;
      const n = checkState(stepWhere, target, state);
      if (params != null && typeof params === 'object' && (!('global' in params) || !('local' in params))) {
        const found = `an object with keys [${Object.keys(params).join(', ')}]`;
        invalidOption(stepWhere, 'params', found, 'an object { global: <global kernel params>, local: <local kernel params> }', verbatim);
      }
      const p = checkParams(stepWhere, params, ['global', 'local']);
      const fields = Object.keys(state).filter((f) => f !== 'substeps');
      const unknown = fields.filter((f) => !REBUILDABLE.has(f));
      if (unknown.length > 0) invalid(stepWhere, 'state', unknown.join(', '), 'a state with only position, logDensity, grad (and substeps)');
      const keys = split(key, numSubsteps);
      return tf.tidy(() => {
        // `current` holds the fields valid for the kernel that ran last.
        let current: GlobalLocalState = Object.fromEntries(fields.map((f) => [f, stateFields(state)[f]])) as GlobalLocalState;
        let lastBlock: 'global' | 'local' = 'local';
        const sums = {
          global: { acceptanceRate: tf.zeros([n]), isAccepted: tf.zeros([n]), ess: null as tf.Tensor | null },
          local: { acceptanceRate: tf.zeros([n]), isAccepted: tf.zeros([n]) },
        };
        let moved = tf.zeros([n]);
        let invalidSomewhere = tf.zeros([n]);
        const positions: tf.Tensor2D[] = [];
        blocks.forEach((block, i) => {
          let info: StepInfo;
          if (block === 'global') {
            // Only position and log-density go in: imh / isir recompute their proposal-density cache after local moves.
            const input: ChainState =
              lastBlock === 'global' ? current : { position: current.position, logDensity: current.logDensity };
            ({ state: current, info } = globalKernel.step(keys[i], input, p.global as GP));
            sums.global.acceptanceRate = tf.add(sums.global.acceptanceRate, info.acceptanceRate);
            sums.global.isAccepted = tf.add(sums.global.isAccepted, info.isAccepted);
            const ess = (info as StepInfo & { ess?: tf.Tensor1D }).ess;
            if (ess instanceof tf.Tensor) sums.global.ess = sums.global.ess ? tf.add(sums.global.ess, ess) : ess;
          } else {
            const input = lastBlock === 'local' ? current : localFields(fields, current.position, current.logDensity);
            ({ state: current, info } = localKernel.step(keys[i], input, p.local as LP));
            sums.local.acceptanceRate = tf.add(sums.local.acceptanceRate, info.acceptanceRate);
            sums.local.isAccepted = tf.add(sums.local.isAccepted, info.isAccepted);
          }
          moved = tf.maximum(moved, info.isAccepted);
          invalidSomewhere = tf.maximum(invalidSomewhere, info.isInvalid);
          lastBlock = block;
          if (recordSubsteps) positions.push(current.position);
        });
        const next: GlobalLocalState =
          lastBlock === 'local' ? current : localFields(fields, current.position, current.logDensity);
        if (recordSubsteps) next.substeps = tf.stack(positions, 1) as tf.Tensor3D;
        const info: GlobalLocalInfo = {
          acceptanceRate: tf.div(tf.add(sums.global.acceptanceRate, sums.local.acceptanceRate), numSubsteps) as tf.Tensor1D,
          isAccepted: moved as tf.Tensor1D,
          isInvalid: invalidSomewhere as tf.Tensor1D,
          globalAcceptanceRate: tf.div(sums.global.acceptanceRate, numGlobal) as tf.Tensor1D,
          globalIsAccepted: tf.div(sums.global.isAccepted, numGlobal) as tf.Tensor1D,
        };
        if (numLocal > 0) {
          info.localAcceptanceRate = tf.div(sums.local.acceptanceRate, numLocal) as tf.Tensor1D;
          info.localIsAccepted = tf.div(sums.local.isAccepted, numLocal) as tf.Tensor1D;
        }
        if (sums.global.ess) info.globalEss = tf.div(sums.global.ess, numGlobal) as tf.Tensor1D;
        return { state: next, info };
      });
    },
  };
}

export interface Flex2McmcOptions<LP> {
  /** Local steps after each i-SIR step (an integer >= 0). */
  numLocalSteps: number;
  /** The local kernel, built on the same target (default: `mala(target)`; e.g. `hmc(target)`). */
  local?: Kernel<ChainState, LP>;
  recordSubsteps?: boolean;
}

/**
 * FlEx2MCMC / Ex2MCMC (Samsonov et al. 2022; spec section 1.3): one i-SIR step with `params.global.numParticles`
 * candidates drawn from `proposal` (a flow: see flowProposal), then `numLocalSteps` local steps (MALA by default).
 */
export function flex2mcmc<LP = MalaParams>(
  target: Target,
  proposal: IndependentProposal,
  options: Flex2McmcOptions<LP>,
): Kernel<GlobalLocalState, GlobalLocalParams<IsirParams, LP>, GlobalLocalInfo> {
  const where = 'flex2mcmc';
  const opts = checkOptions<Flex2McmcOptions<LP>>(where, options, ['numLocalSteps', 'local', 'recordSubsteps']);
  return globalLocal<IsirParams, LP>({
    global: isir(target, proposal) as unknown as Kernel<ChainState, IsirParams>,
    local: opts.local ?? (mala(target) as unknown as Kernel<ChainState, LP>),
    numLocalSteps: checkInteger(where, 'numLocalSteps', opts.numLocalSteps, 0),
    recordSubsteps: opts.recordSubsteps,
    name: 'flex2mcmc',
  });
}

/**
 * Adaptive MCMC of Gabrie, Rotskoff & Vanden-Eijnden (2022) without the training (spec section 1.3
 * "AdaptiveMCMC"): one IMH step with `proposal`, then `numLocalSteps` local steps (MALA by default).
 */
export function adaptiveMcmc<LP = MalaParams>(
  target: Target,
  proposal: IndependentProposal,
  options: Flex2McmcOptions<LP>,
): Kernel<GlobalLocalState, GlobalLocalParams<ImhParams, LP>, GlobalLocalInfo> {
  const where = 'adaptiveMcmc';
  const opts = checkOptions<Flex2McmcOptions<LP>>(where, options, ['numLocalSteps', 'local', 'recordSubsteps']);
  return globalLocal<ImhParams, LP>({
    global: imh(target, proposal) as unknown as Kernel<ChainState, ImhParams>,
    local: opts.local ?? (mala(target) as unknown as Kernel<ChainState, LP>),
    numLocalSteps: checkInteger(where, 'numLocalSteps', opts.numLocalSteps, 0),
    recordSubsteps: opts.recordSubsteps,
    name: 'adaptiveMcmc',
  });
}

export interface FlowMcScheduleOptions<LP> extends Flex2McmcOptions<LP> {
  /** Global IMH steps per cycle (an integer >= 1). */
  numGlobalSteps: number;
}

/**
 * The flowMC schedule (Wong, Gabrie & Foreman-Mackey 2023; used by flowMC-EBM, spec section 2): a block of
 * `numLocalSteps` local steps, then a block of `numGlobalSteps` IMH steps with `proposal`.
 */
export function flowMcSchedule<LP = MalaParams>(
  target: Target,
  proposal: IndependentProposal,
  options: FlowMcScheduleOptions<LP>,
): Kernel<GlobalLocalState, GlobalLocalParams<ImhParams, LP>, GlobalLocalInfo> {
  const where = 'flowMcSchedule';
  const opts = checkOptions<FlowMcScheduleOptions<LP>>(where, options, ['numLocalSteps', 'numGlobalSteps', 'local', 'recordSubsteps']);
  return globalLocal<ImhParams, LP>({
    global: imh(target, proposal) as unknown as Kernel<ChainState, ImhParams>,
    local: opts.local ?? (mala(target) as unknown as Kernel<ChainState, LP>),
    numLocalSteps: checkInteger(where, 'numLocalSteps', opts.numLocalSteps, 0),
    numGlobalSteps: checkInteger(where, 'numGlobalSteps', opts.numGlobalSteps, 1),
    order: 'localFirst',
    recordSubsteps: opts.recordSubsteps,
    name: 'flowMcSchedule',
  });
}
