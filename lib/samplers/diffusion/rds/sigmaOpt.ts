/**
 * The baselines' reference scale from the same prior information as LRDS (spec slips-lrds-amcbg.md section 2.3,
 * "Baseline tuning"; the reference's sample_two_modes_competing.py):
 *   sigma_opt^2 = (|mean(data)|^2 + tr diag Var(data)) / d,
 * the per-coordinate second moment of the local-MCMC data. DDS (VP) gets sigma = sigma_opt; PIS (pinned BM, T = 5)
 * gets sigma_opt / sqrt(T), so that its default reference N(0, T sigma^2 I) has the same variance sigma_opt^2.
 * Float64 on the host (one read of the data).
 */
import * as tf from '@tensorflow/tfjs';
import { readValues } from '../../../core/readback.js';
import { invalidOption } from '../../../core/validate.js';
import type { NoisingSde } from './noisingSde.js';

export interface SigmaOpt {
  /** sqrt of the per-coordinate second moment. */
  sigma: number;
  /** The data mean per coordinate. */
  mean: Float64Array;
  /** The data variance per coordinate (divisor N - 1, torch's default). */
  variance: Float64Array;
}

/** sigma_opt of the data [N, d] (see the file header). */
export async function sigmaOpt(data: tf.Tensor2D): Promise<SigmaOpt> {
  const fn = 'sigmaOpt';
  if (!(data instanceof tf.Tensor) || data.rank !== 2 || data.shape[0] < 2) {
    invalidOption(fn, 'data', data, 'a tensor [N, d] of local-MCMC samples with N >= 2');
  }
  const [n, d] = data.shape;
  const x = await readValues(data);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j];
  mean.forEach((v, j) => (mean[j] = v / n));
  const variance = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) variance[j] += (x[i * d + j] - mean[j]) ** 2;
  variance.forEach((v, j) => (variance[j] = v / (n - 1)));
  let second = 0;
  for (let j = 0; j < d; j++) second += mean[j] ** 2 + variance[j];
  if (!Number.isFinite(second)) invalidOption(fn, 'data', 'non-finite values', 'finite samples');
  return { sigma: Math.sqrt(second / d), mean, variance };
}

/** The scale option of the baseline's noising SDE for sigma_opt: sigma_opt for VP (DDS), sigma_opt / sqrt(T) for PBM (PIS). */
export function baselineScale(kind: NoisingSde['kind'], sigma: number, horizon: number): number {
  return kind === 'vp' ? sigma : sigma / Math.sqrt(horizon);
}
