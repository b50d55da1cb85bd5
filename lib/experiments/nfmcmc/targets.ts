/**
 * The NF-MCMC paper's targets and analytic flows, with the exact parameters of the reference code (spec
 * papers/nfmcmc-nfebm-multimodal-eval.md section 1.6), built from the library's targets:
 *
 * - E1 "three flows" Gaussian: pi = N(0, R Lambda R^T), Lambda = diag(logspace(-1, 1, d)) (variances 0.1 ... 10), R the
 *   rotation by pi/4 of the plane of coordinates 0 and d - 1; imperfect flows x = L_t z (`linearInterpolationFlow`,
 *   t = 1/2 exact, t = 0 the too-narrow chol(0.1 I), t = 1 the too-wide chol(10 I)).
 * - E2 funnel: x_0 ~ N(0, 3) (3 is a variance), x_i | x_0 ~ N(0, e^{x_0}); imperfect flows `funnelFlow` with beta
 *   (beta = 1 exact, the conditional scale off by beta^{-1/2}).
 * - E3 4-mode mixture in d dimensions: weights 1/4, covariance I, means with coordinates +-c, c = 0.5910 sqrt(2 log d):
 *   mu_0 = (-c [first d/2], +c), mu_1 = (+c, ..., +c), mu_2 = -mu_1, mu_3 = (+c [first d/2], -c); flow base and
 *   proposal N(0, (1 + c^2) I) (the mixture's mean and per-coordinate variance).
 * - E9 2-D mixture: means (+-1.5, +-1.5), covariance 0.25 I, equal weights; flow base N(0, I).
 */
import { checkInteger, checkNumber } from '../../core/validate.js';
import { funnel, funnelPresets, type FunnelTarget } from '../../targets/funnel.js';
import { gaussian, type GaussianTarget } from '../../targets/gaussian.js';
import { gaussianMixture, type GaussianMixtureTarget } from '../../targets/mixture.js';
import { funnelFlow, linearInterpolationFlow, type AnalyticFlow } from '../../samplers/transport/imperfectFlows.js';

/** The E1 covariance R diag(logspace(-1, 1, d)) R^T as nested rows (d >= 2). */
export function rotatedGaussianCovariance(dim: number): number[][] {
  const d = checkInteger('rotatedGaussianCovariance', 'dim', dim, 2);
  const lambda = Array.from({ length: d }, (_, i) => 10 ** (-1 + (2 * i) / (d - 1)));
  const cov = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? lambda[i] : 0)));
  // R = I except the 2 x 2 block [[cos, -sin], [sin, cos]] on coordinates (0, d - 1), angle pi/4:
  // (R Lambda R^T) on that block = [[c^2 a + s^2 b, cs (a - b)], [cs (a - b), s^2 a + c^2 b]], a = lambda_0, b = lambda_{d-1}.
  const c = Math.cos(Math.PI / 4);
  const s = Math.sin(Math.PI / 4);
  const a = lambda[0];
  const b = lambda[d - 1];
  cov[0][0] = c * c * a + s * s * b;
  cov[d - 1][d - 1] = s * s * a + c * c * b;
  cov[0][d - 1] = c * s * (a - b);
  cov[d - 1][0] = c * s * (a - b);
  return cov;
}

/** The E1 target N(0, R Lambda R^T). */
export function rotatedGaussian(dim: number): GaussianTarget {
  const cov = rotatedGaussianCovariance(dim);
  return gaussian(new Array<number>(dim).fill(0), cov, { name: `rotated-gaussian-${dim}d` });
}

/** The E1 flow of quality t (t = 1/2 exact). */
export function rotatedGaussianFlow(dim: number, t: number): AnalyticFlow {
  return linearInterpolationFlow(rotatedGaussianCovariance(dim), t);
}

/** The E2 funnel (flow_mcmc's a = 3 as a variance, b = 1). */
export function paperFunnel(dim: number): FunnelTarget {
  return funnel(funnelPresets.flowMcmc(checkInteger('paperFunnel', 'dim', dim, 2)));
}

/** The E2 flow of quality beta (beta = 1 exact). */
export function paperFunnelFlow(dim: number, beta: number): AnalyticFlow {
  return funnelFlow({ dim, scale: Math.sqrt(3), beta });
}

/** c = 0.5910 sqrt(2 log d), the coordinate offset of the E3 means (d >= 2). */
export function fourModeOffset(dim: number): number {
  const d = checkInteger('fourModeOffset', 'dim', dim, 2);
  return 0.591 * Math.sqrt(2 * Math.log(d));
}

/** The E3 4-mode mixture in d >= 2 dimensions (d even, as the reference's half split). */
export function fourModeMixture(dim: number): GaussianMixtureTarget {
  const fn = 'fourModeMixture';
  const d = checkInteger(fn, 'dim', dim, 2);
  if (d % 2 !== 0) throw new Error(`${fn}: option "dim" = ${d}, expected an even integer >= 2 (the means split the coordinates in halves)`);
  const c = fourModeOffset(d);
  const half = (first: number, second: number) => Array.from({ length: d }, (_, i) => (i < d / 2 ? first : second));
  return gaussianMixture({
    weights: [0.25, 0.25, 0.25, 0.25],
    means: [half(-c, c), half(c, c), half(-c, -c), half(c, -c)],
    covariances: [1, 1, 1, 1],
    name: `four-modes-${d}d`,
  });
}

/** The E3 flow base N(0, (1 + c^2) I): the mixture's mean and per-coordinate variance. */
export function fourModeBase(dim: number): GaussianTarget {
  const c = fourModeOffset(dim);
  return gaussian(new Array<number>(dim).fill(0), 1 + c * c, { name: `four-modes-base-${dim}d` });
}

/** The E9 2-D mixture: means (+-a, +-a), covariance `variance` I, equal weights. */
export function squareMixture2d(offset = 1.5, variance = 0.25): GaussianMixtureTarget {
  const a = checkNumber('squareMixture2d', 'offset', offset, 'positive');
  const v = checkNumber('squareMixture2d', 'variance', variance, 'positive');
  return gaussianMixture({
    weights: [0.25, 0.25, 0.25, 0.25],
    means: [[-a, -a], [a, -a], [-a, a], [a, a]],
    covariances: [v, v, v, v],
    name: 'square-mixture-2d',
  });
}
