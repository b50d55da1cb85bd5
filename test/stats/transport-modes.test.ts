/**
 * Mode weights on a two-mode mixture with unequal weights, 0.25 N(mu_0, 0.25 I) + 0.75 N(mu_1, 0.25 I), in 1-d
 * (mu = -2.5, 2.5) and 2-d (mu = (-2.5, -1), (2.5, 1)): the modes are about 10 standard deviations apart, so a local
 * sampler cannot cross. C independent chains all start in the LIGHT mode 0. The proposal / flow is the moment-matched
 * Gaussian of the mixture with its covariance inflated by 1.3 (an imperfect flow that covers both modes).
 *
 * - MALA alone (as many gradient steps as the global-local runs) leaves every chain in mode 0: the fraction found
 *   there is about 1, far from 0.25 (the failure the global step fixes);
 * - FlEx2MCMC, adaptive MCMC and the flowMC schedule end with the chains spread over the modes as pi: the fraction of
 *   chains in mode k is Binomial(C, w_k) / C at stationarity, so |fraction - w_k| < 4.5 sqrt(w_k (1 - w_k) / C);
 * - neural IS estimates w_0 within 4.5 of its delta-method standard errors (8 checks in all at z = 4.5: 5.4e-5);
 * - NeuTra-MALA with the same (affine) flow stays in mode 0: the pulled-back target is still bimodal
 *   (spec section 1.4: neutra samplers do not mix between modes).
 * Exact mode weights are the target's (`modes.weights`: closed form for two equal covariances).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { advance } from '../../lib/core/memory.js';
import { foldIn, key, normal } from '../../lib/core/random.js';
import { flowDistribution } from '../../lib/models/flowTarget.js';
import { mala } from '../../lib/samplers/mcmc/mala.js';
import type { ChainState, Kernel } from '../../lib/samplers/mcmc/kernel.js';
import { flowProposal } from '../../lib/samplers/transport/flowProposals.js';
import { adaptiveMcmc, flex2mcmc, flowMcSchedule } from '../../lib/samplers/transport/globalLocal.js';
import { gaussianFlow, type AnalyticFlow } from '../../lib/samplers/transport/imperfectFlows.js';
import { neuralImportanceSampling } from '../../lib/samplers/transport/neuralImportanceSampling.js';
import { neutra } from '../../lib/samplers/transport/neutra.js';
import { gaussianMixture, type GaussianMixtureTarget } from '../../lib/targets/mixture.js';
import { useBackend } from '../helpers/backends.js';
import { checkFrequencies } from '../helpers/stats.js';

before(() => useBackend('wasm'));

const Z = 4.5;
const CHAINS = 600;
const CYCLES = 100;
const LOCAL_STEPS = 3;
const STEP_SIZE = 0.05;
const WEIGHTS = [0.25, 0.75];
const VARIANCE = 0.25;

interface Setting {
  target: GaussianMixtureTarget;
  flow: AnalyticFlow;
}

/** The mixture's mean and covariance, the covariance inflated by `inflation`. */
function momentMatchedFlow(means: number[][], inflation: number): AnalyticFlow {
  const d = means[0].length;
  const mean = Array.from({ length: d }, (_, j) => WEIGHTS.reduce((s, w, k) => s + w * means[k][j], 0));
  const cov = Array.from({ length: d }, (_, i) =>
    Array.from({ length: d }, (_, j) =>
      inflation * ((i === j ? VARIANCE : 0) + WEIGHTS.reduce((s, w, k) => s + w * (means[k][i] - mean[i]) * (means[k][j] - mean[j]), 0)),
    ),
  );
  return gaussianFlow(mean, cov);
}

const MEANS: Record<string, number[][]> = {
  '1-d': [[-2.5], [2.5]],
  '2-d': [[-2.5, -1], [2.5, 1]],
};

let settings: Record<string, Setting>;
before(() => {
  settings = {};
  for (const [name, means] of Object.entries(MEANS)) {
    settings[name] = {
      target: gaussianMixture({ weights: WEIGHTS, means, covariances: [VARIANCE, VARIANCE] }),
      flow: momentMatchedFlow(means, 1.3),
    };
  }
});
after(() => Object.values(settings).forEach((s) => (s.target.dispose?.(), s.flow.dispose())));

/** All chains in the light mode 0: mu_0 + 0.5 xi. */
function startInModeZero(means: number[][], seed: number): tf.Tensor2D {
  return tf.tidy(() => tf.add(tf.mul(normal(key(seed), [CHAINS, means[0].length]), 0.5), tf.tensor1d(means[0]))) as tf.Tensor2D;
}

/** Run `steps` steps and return the mode labels of the final (data-space) positions and the mean global acceptance. */
async function finalModes(
  target: GaussianMixtureTarget,
  kernel: Kernel<ChainState, any>,
  params: object,
  steps: number,
  start: tf.Tensor2D,
  seed: number,
  positionOf: (s: ChainState) => tf.Tensor2D = (s) => s.position,
): Promise<{ labels: Int32Array; globalAcceptance: number }> {
  let state = await kernel.init(start);
  let acceptance = 0;
  for (let i = 0; i < steps; i++) {
    let rate: tf.Tensor | null = null;
    state = advance(state, (s) => {
      const out = kernel.step(foldIn(key(seed), i), s, params);
      const global = (out.info as { globalAcceptanceRate?: tf.Tensor1D }).globalAcceptanceRate;
      if (global) rate = tf.keep(tf.mean(global));
      return out.state;
    });
    if (rate) {
      acceptance += (rate as tf.Tensor).dataSync()[0] / steps;
      (rate as tf.Tensor).dispose();
    }
  }
  const labels = await target.modes.assign(positionOf(state));
  tf.dispose(state);
  return { labels, globalAcceptance: acceptance };
}

function fractionInModeZero(labels: Int32Array): number {
  return labels.reduce((s, l) => s + (l === 0 ? 1 : 0), 0) / labels.length;
}

for (const [dimName, means] of Object.entries(MEANS)) {
  describe(`${dimName} mixture`, () => {
    test('local-only MALA stays in its starting mode', async () => {
      const { target } = settings[dimName];
      const start = startInModeZero(means, 1);
      const { labels } = await finalModes(target, mala(target), { stepSize: STEP_SIZE }, CYCLES * (1 + LOCAL_STEPS), start, 2);
      const f = fractionInModeZero(labels);
      const se = Math.sqrt((WEIGHTS[0] * WEIGHTS[1]) / CHAINS);
      console.log(`# MALA only (${dimName}): fraction in mode 0 = ${f.toFixed(3)} (exact ${target.modes.weights[0].toFixed(3)}, binomial SE ${se.toFixed(3)})`);
      assert.ok(f > 0.99, `MALA should not cross between modes here (fraction in mode 0: ${f})`);
      start.dispose();
    });

    const globalLocalCases: { name: string; make: (s: Setting) => Kernel<ChainState, any>; params: object }[] = [
      {
        name: `FlEx2MCMC (i-SIR N = 8 + ${LOCAL_STEPS} MALA)`,
        make: (s) => flex2mcmc(s.target, flowProposal(s.flow), { numLocalSteps: LOCAL_STEPS }),
        params: { global: { numParticles: 8 }, local: { stepSize: STEP_SIZE } },
      },
      {
        name: `adaptive MCMC (IMH + ${LOCAL_STEPS} MALA)`,
        make: (s) => adaptiveMcmc(s.target, flowProposal(s.flow), { numLocalSteps: LOCAL_STEPS }),
        params: { global: {}, local: { stepSize: STEP_SIZE } },
      },
      {
        name: `flowMC schedule (${LOCAL_STEPS} MALA, then 1 IMH)`,
        make: (s) => flowMcSchedule(s.target, flowProposal(s.flow), { numLocalSteps: LOCAL_STEPS, numGlobalSteps: 1 }),
        params: { global: {}, local: { stepSize: STEP_SIZE } },
      },
    ];
    for (const [c, gl] of globalLocalCases.entries()) {
      test(`${gl.name} recovers the mode weights within binomial SE`, async () => {
        const s = settings[dimName];
        const start = startInModeZero(means, 10 + c);
        const { labels, globalAcceptance } = await finalModes(s.target, gl.make(s), gl.params, CYCLES, start, 20 + c);
        console.log(
          `# ${gl.name} (${dimName}): fraction in mode 0 = ${fractionInModeZero(labels).toFixed(3)} ` +
            `(exact ${s.target.modes.weights[0].toFixed(3)}), global acceptance ${globalAcceptance.toFixed(3)}`,
        );
        checkFrequencies(labels, s.target.modes.weights, `${gl.name} (${dimName})`, Z);
        start.dispose();
      });
    }

    test('neural IS estimates the weight of mode 0 within its standard error', async () => {
      const s = settings[dimName];
      const result = await neuralImportanceSampling(key(30), s.target, flowDistribution(s.flow), { numSamples: 8000, numResampled: 0 });
      const labels = await s.target.modes.assign(result.particles);
      const est = await result.expectation(() => tf.tensor1d(Array.from(labels, (l) => (l === 0 ? 1 : 0))));
      const w0 = s.target.modes.weights[0];
      console.log(`# neural IS (${dimName}): w0 = ${est.value[0].toFixed(4)} +- ${est.standardError[0].toFixed(4)} (exact ${w0.toFixed(4)}), ESS ${result.ess.toFixed(0)}`);
      assert.ok(Math.abs(est.value[0] - w0) < Z * est.standardError[0], `w0 ${est.value[0]} vs ${w0}`);
      result.dispose();
    });

    test('NeuTra-MALA with the same affine flow stays in its starting mode (the pulled-back target is bimodal)', async () => {
      const s = settings[dimName];
      const kernel = neutra((l) => mala(l), s.flow, s.target);
      const start = startInModeZero(means, 40);
      // The latent scale is about 1 / 2.5 of the data scale along the mode axis: a proportionally smaller step.
      const { labels } = await finalModes(s.target, kernel, { stepSize: STEP_SIZE / 4 }, CYCLES * (1 + LOCAL_STEPS), start, 41, (st) => (st as { dataPosition?: tf.Tensor2D }).dataPosition as tf.Tensor2D);
      const f = fractionInModeZero(labels);
      console.log(`# NeuTra-MALA (${dimName}): fraction in mode 0 = ${f.toFixed(3)}`);
      assert.ok(f > 0.99, `NeuTra-MALA should not cross between modes here (fraction in mode 0: ${f})`);
      start.dispose();
    });
  });
}
