/**
 * The aMC-BG benchmark mixtures (spec slips-lrds-amcbg.md 3.4 "Targets" [recon]): K isotropic unit-variance
 * components in R^d with unequal weights,
 *   K = 2: weights (2/3, 1/3), means -/+ (r/2) 1/sqrt(d) (lib/targets/twoModes.ts; r = distance between the means);
 *   K > 2: geometric weights w_j ∝ 3^{-j/(K-1)} (largest / smallest = 3, as LRDS ManyModes), means on a regular
 *          K-gon in the first two coordinates with neighbouring means r apart (circumradius r / (2 sin(pi/K))).
 * Modes are assigned by the largest component log-likelihood (LRDS's rule).
 */
import { checkInteger, checkNumber, invalidOption } from '../../core/validate.js';
import { gaussianMixture, type GaussianMixtureTarget } from '../../targets/mixture.js';
import { twoModes } from '../../targets/twoModes.js';

export interface BenchmarkMixtureOptions {
  dim: number;
  numModes: number;
  /** Distance between neighbouring means (the within-mode std is 1). */
  separation: number;
}

export function benchmarkMixture(options: BenchmarkMixtureOptions): GaussianMixtureTarget {
  const fn = 'benchmarkMixture';
  const dim = checkInteger(fn, 'dim', options?.dim, 1);
  const numModes = checkInteger(fn, 'numModes', options.numModes, 2);
  const separation = checkNumber(fn, 'separation', options.separation, 'positive');
  if (numModes === 2) return twoModes({ dim, separation });
  if (dim < 2) invalidOption(fn, 'dim', dim, `an integer >= 2 for numModes = ${numModes} (a polygon in the first two coordinates)`);
  const radius = separation / (2 * Math.sin(Math.PI / numModes));
  const means = Array.from({ length: numModes }, (_, j) => {
    const m = new Array<number>(dim).fill(0);
    m[0] = radius * Math.cos((2 * Math.PI * j) / numModes);
    m[1] = radius * Math.sin((2 * Math.PI * j) / numModes);
    return m;
  });
  const weights = Array.from({ length: numModes }, (_, j) => Math.pow(3, -j / (numModes - 1)));
  return gaussianMixture({
    weights,
    means,
    covariances: new Array(numModes).fill(1),
    assignBy: 'likelihood',
    name: `polygon-${numModes}-modes-${dim}d-sep${separation}`,
  });
}
