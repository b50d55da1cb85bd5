/**
 * Annealed importance sampling (Neal 2001) = SMC without resampling (SLIPS spec section 4.4): every particle
 * carries its full AIS log-weight log w_i = Σ_k (β_k − β_{k−1}) ℓ_k(x_i), and
 * log Ẑ = logsumexp(log w) − log N (+ the reference's log normaliser).
 */
import { logSumExp64 } from '../../core/logspace.js';
import type { Key } from '../../core/random.js';
import { invalidOption } from '../../core/validate.js';
import type { ChainState } from '../mcmc/kernel.js';
import { runSmc, type SmcOptions, type SmcResult } from './smc.js';

export type AisOptions<S extends ChainState, P extends object> = Omit<SmcOptions<S, P>, 'resampleThreshold' | 'resampling'>;

/** AIS along the geometric path from `reference` to `target`; options as for `smc`, without resampling. */
export async function ais<S extends ChainState, P extends object>(key: Key, options: AisOptions<S, P>): Promise<SmcResult<P>> {
  if (options != null && typeof options === 'object' && ('resampleThreshold' in options || 'resampling' in options)) {
    const name = 'resampleThreshold' in options ? 'resampleThreshold' : 'resampling';
    invalidOption('ais', name, (options as Record<string, unknown>)[name], 'no resampling option (AIS never resamples; use smc)');
  }
  const result = await runSmc('ais', key, { ...options, resampleThreshold: 0 });
  const logW = result.unnormalisedLogWeights;
  return { ...result, logZ: options.reference.logZ! + logSumExp64(logW) - Math.log(logW.length) };
}
