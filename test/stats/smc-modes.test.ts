/**
 * SMC on the SLIPS two-modes target in d = 8 (spec section 1.6: weights 2/3 and 1/3, means −(2/3)·1 and +(4/3)·1,
 * covariance 0.05 I; the modes are 25 within-mode standard deviations apart, so no MCMC kernel crosses between
 * them: the weights come from the importance weights and resampling alone), from the SLIPS reference
 * π₀ = N(0, (R² + τ²) I), R = (4/3)√d, τ² = 0.05 (spec section 1.7).
 *
 * Checked: the weighted mode-1 mass, and the weighted mean and covariance of the particles against the exact
 * mixture's, through projections on three orthonormal directions: u = 1/√d (the mode axis: mean, and variance
 * 0.05 + w₁w₂·4d), and two contrasts g, h orthogonal to u and to each other (means 0, within-mode variances 0.05,
 * covariances 0): 8 statistics in all.
 *
 * Tolerance from the run-to-run spread, no allowance: R = 16 independent runs of N = 512 particles; for each
 * statistic |mean over runs − exact| < z · sd / √R with z = 5.5. The runs are independent, so this SE covers what a
 * binomial SE at the final ESS leaves out (over-dispersion through resampling, finite mixing within a level). The
 * estimates are self-normalised, biased by O(1/N): at N = 512 that is a fraction of the SE (sd/√R ~ 1/(4√N)).
 * False alarms: t with 15 degrees of freedom puts 6.1e-5 beyond 5.5, so 8 checks: 4.9e-4.
 * Degenerate weights inflate the run-to-run sd, and with it the SE above, so the sd of ŵ₁ must also stay below
 * MAX_OVERDISPERSION = 5 binomial sds sqrt(w₁(1 − w₁)/N) (0.104). Measured: 2.6 binomial sds (resampling genealogy);
 * an estimated sd (R = 16) exceeds 5/2.6 times its true value with probability P(χ²₁₅/15 > 3.7) ≈ 1e-6. With
 * wrong weights the sd was 0.32 to 0.42.
 * Power: log-weights not reset after resampling, and an increment β_k ℓ instead of (β_k − β_{k−1}) ℓ, both fail
 * (checked by hand).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { foldIn, key } from '../../lib/core/random.js';
import { mala } from '../../lib/samplers/mcmc/mala.js';
import { gaussian, type GaussianTarget } from '../../lib/targets/gaussian.js';
import { twoModesSlips } from '../../lib/targets/twoModes.js';
import type { GaussianMixtureTarget } from '../../lib/targets/mixture.js';
import { smc } from '../../lib/samplers/smc/smc.js';
import { useBackend } from '../helpers/backends.js';
import { meanAndSd, meanAndSe, mixtureProjectedMoments, weightedProjectedMoments } from '../helpers/stats.js';

const DIM = 8;
const RUNS = 16;
const N = 512;
const Z = 5.5;
const MAX_OVERDISPERSION = 5;
let target: GaussianMixtureTarget;
let reference: GaussianTarget;

before(async () => {
  await useBackend('wasm');
  target = twoModesSlips(DIM);
  const R = (4 / 3) * Math.sqrt(DIM);
  reference = gaussian(new Array<number>(DIM).fill(0), R * R + 0.05);
});
after(() => {
  target.dispose();
  reference.dispose();
});

const unit = (v: number[]) => v.map((x) => x / Math.hypot(...v));
const U = unit(new Array<number>(DIM).fill(1));
const G = unit([1, -1, 2, -2, 0.5, -0.5, 3, -3]);
const H = unit([1, 1, -1, -1, 1, 1, -1, -1]);
/** [name, first direction, second direction, 'mean' of the first or 'cov' of the pair]. */
const STATISTICS: [string, number[], number[], 'mean' | 'cov'][] = [
  ['mean along u', U, U, 'mean'],
  ['mean along g', G, G, 'mean'],
  ['variance along u', U, U, 'cov'],
  ['variance along g', G, G, 'cov'],
  ['variance along h', H, H, 'cov'],
  ['covariance u, g', U, G, 'cov'],
  ['covariance g, h', G, H, 'cov'],
];

test('SMC recovers the mode weights, mean and covariance of the two-modes target in d = 8 (16 runs)', async () => {
  const values: number[][] = Array.from({ length: STATISTICS.length + 1 }, () => []);
  let minAcceptance = 1;
  let maxAcceptance = 0;
  for (let r = 0; r < RUNS; r++) {
    const result = await smc(foldIn(key(2024), r), {
      reference,
      target,
      kernel: (t) => mala(t),
      params: { stepSize: 1 },
      numParticles: N,
      numMcmcSteps: 10,
      schedule: 'adaptive',
      essFraction: 0.9,
      resampleThreshold: 1,
      adaptStepSize: { targetAcceptance: 0.574 },
    });
    const modes = await target.modes.assign(result.particles);
    const rows = result.particles.arraySync();
    result.particles.dispose();
    const weights = Float64Array.from(result.logWeights, Math.exp);
    values[0].push(weights.reduce((s, w, i) => s + (modes[i] === 0 ? w : 0), 0));
    STATISTICS.forEach(([, g, h, kind], s) => {
      const m = weightedProjectedMoments(rows, weights, g, h);
      values[s + 1].push(kind === 'mean' ? m.meanG : m.covGH);
    });
    const acceptance = result.levels.at(-1)!.acceptanceRate;
    minAcceptance = Math.min(minAcceptance, acceptance);
    maxAcceptance = Math.max(maxAcceptance, acceptance);
  }
  const exact = [
    target.modes.weights[0],
    ...STATISTICS.map(([, g, h, kind]) => {
      const m = mixtureProjectedMoments(target, g, h);
      return kind === 'mean' ? m.meanG : m.covGH;
    }),
  ];
  const names = ['mode-1 weight', ...STATISTICS.map(([name]) => name)];
  const lines = names.map((name, s) => {
    const [mean, se] = meanAndSe(values[s]);
    const ok = Math.abs(mean - exact[s]) < Z * se;
    return { ok, line: `${name}: ${mean.toFixed(4)} vs exact ${exact[s].toFixed(4)} +- ${(Z * se).toFixed(4)}` };
  });
  console.log(`# ${lines.map((l) => l.line).join('\n# ')}`);
  assert.deepEqual(lines.filter((l) => !l.ok).map((l) => l.line), []);
  const w = exact[0];
  const maxSd = MAX_OVERDISPERSION * Math.sqrt((w * (1 - w)) / N);
  const { sd } = meanAndSd(values[0]);
  assert.ok(sd < maxSd, `sd of the mode-1 weight over runs ${sd} above ${maxSd} (${MAX_OVERDISPERSION} binomial sds): degenerate weights`);
  // The kernel mixed within the modes at the last level (MALA adapted towards 0.574).
  assert.ok(minAcceptance > 0.3 && maxAcceptance < 0.9, `final MALA acceptance ${minAcceptance}..${maxAcceptance}`);
});
