/**
 * Paper cells: one representative run of each paper's experiment at its quick size (issue 14 item 3), timed as a
 * whole (the sampler, its read-backs and the JS around them) by `npm run bench -- --cells`:
 *
 *   s1_slips_d{8,16,32}_eps{0.15,0.25}  one SLIPS run of figure S1 (two modes in dimension d, the quick S1 settings
 *                                       of lib/experiments/slips/config.ts: N = 512, K = 64, M = 16 MALA x 2 chains,
 *                                       a 400-step first call, geometric (1, 1), start time eps), via `runSlips`;
 *   a1_amc_d8_k4_sep6_secondOrder       one annealed-MC run of figure A1 (the perfect diffusion model of the
 *                                       4-mode benchmark mixture in d = 8, separation 6, the second-order kernel,
 *                                       the quick A1 sampler settings of lib/experiments/amcbg/config.ts);
 *   f11_isir_gaussian_d16_t0.4          one i-SIR (flow-MCMC) run of figure F1.1 (the rotated Gaussian in d = 16,
 *                                       the analytic flow of quality t = 0.4, the quick F1.1 budget of
 *                                       lib/experiments/nfmcmc/config.ts: 16 chains, 100 warm-up + 200 steps, N = 32).
 *
 * Each cell reports its cost as a `SamplerCost` (lib/samplers/particleSampler.ts): the sampler's own `cost` where it
 * returns one (SLIPS through `runSlips`, amc), else a counting wrapper around the target (lib/samplers/countingTarget).
 * Every repetition runs the same key, so the work (and the cost) is the same each time.
 */
import * as tf from '@tensorflow/tfjs';
import { foldIn, key, normal, type Key } from '../lib/core/random.js';
import { perfectModel } from '../lib/diffusion/forwardNoising.js';
import { vpSchedule } from '../lib/diffusion/vpSchedule.js';
import { amcbgConfig } from '../lib/experiments/amcbg/config.js';
import { benchmarkMixture } from '../lib/experiments/amcbg/targets.js';
import { nfmcmcConfig } from '../lib/experiments/nfmcmc/config.js';
import { settingsAt } from '../lib/experiments/nfmcmc/flowQuality.js';
import { runSampler } from '../lib/experiments/nfmcmc/samplers.js';
import { rotatedGaussian, rotatedGaussianFlow } from '../lib/experiments/nfmcmc/targets.js';
import { slipsExperimentConfig } from '../lib/experiments/slips/config.js';
import { twoModesProblem } from '../lib/experiments/slips/dimensionSweep.js';
import { runSlips } from '../lib/experiments/slips/methods.js';
import { amc } from '../lib/samplers/diffusion/amc.js';
import { countingTarget } from '../lib/samplers/countingTarget.js';
import { zeroCost, type SamplerCost } from '../lib/samplers/particleSampler.js';
import type { SlipsDiagnostics } from '../lib/samplers/diffusion/slips.js';

/** What one run of a cell reports besides its time. */
export interface CellRunReport {
  cost: SamplerCost;
  /** Outer steps of the run (SLIPS: denoiser calls; amc: levels; MCMC: warm-up + recorded steps). */
  outerSteps: number;
  /** Sampler-specific counts worth printing (SLIPS: MALA steps). */
  extra?: Record<string, number>;
}

/** A cell, set up once (targets, flows, models), then run `reps` times. */
export interface CellInstance {
  run: () => Promise<CellRunReport>;
  dispose: () => void;
}

export interface CellDefinition {
  name: string;
  /** The paper id (as `figures <paper>`) and its figure. */
  paper: string;
  figure: string;
  setup: () => CellInstance;
}

/** The root key of every cell (each cell folds in its own index). */
const ROOT: Key = key(14);

function slipsCell(index: number, dim: number, epsilon: number): CellDefinition {
  return {
    name: `s1_slips_d${dim}_eps${epsilon}`,
    paper: 'slips',
    figure: 'S1',
    setup: () => {
      const s1 = slipsExperimentConfig('quick').dimensionSweep;
      const problem = twoModesProblem(dim);
      return {
        run: async () => {
          const run = await runSlips(foldIn(ROOT, index), problem, s1.slips, s1.schedule, { epsilon });
          await run.particles.data();
          run.particles.dispose();
          const d = run.details.diagnostics as SlipsDiagnostics;
          return { cost: run.cost, outerSteps: d.numDenoiserCalls, extra: { totalMcmcSteps: d.totalMcmcSteps } };
        },
        dispose: () => problem.target.dispose(),
      };
    },
  };
}

function amcCell(index: number): CellDefinition {
  const dim = 8;
  const numModes = 4;
  const separation = 6;
  return {
    name: `a1_amc_d${dim}_k${numModes}_sep${separation}_secondOrder`,
    paper: 'amcbg',
    figure: 'A1',
    setup: () => {
      const sampler = amcbgConfig('quick').perfect.sampler;
      const target = benchmarkMixture({ dim, numModes, separation });
      const model = perfectModel(target, vpSchedule());
      return {
        run: async () => {
          const r = await amc(foldIn(ROOT, index), {
            model,
            target,
            kernel: 'secondOrder',
            numParticles: sampler.numParticles,
            numLevels: sampler.numLevels,
            resampleThreshold: sampler.resampleThreshold,
            reference: 'prior',
          });
          await r.particles.data();
          r.particles.dispose();
          return { cost: r.cost, outerSteps: r.levels.length };
        },
        dispose: () => {
          model.dispose();
          target.dispose();
        },
      };
    },
  };
}

function isirCell(index: number): CellDefinition {
  const dim = 16;
  const quality = 0.4;
  return {
    name: `f11_isir_gaussian_d${dim}_t${quality}`,
    paper: 'nfmcmc',
    figure: 'F1.1',
    setup: () => {
      const grid = nfmcmcConfig('quick').heatmaps.gaussian;
      const di = grid.dims.indexOf(dim);
      if (di < 0) throw new Error(`bench cell: d = ${dim} is not in the quick F1.1 dims ${grid.dims.join(', ')}`);
      const settings = settingsAt(grid, di);
      const target = rotatedGaussian(dim);
      const flow = rotatedGaussianFlow(dim, quality);
      const latent = normal(foldIn(ROOT, 1000 + index), [settings.numChains, dim]) as tf.Tensor2D;
      const start = tf.tidy(() => flow.forward(latent).value);
      latent.dispose();
      return {
        run: async () => {
          const cost = zeroCost();
          await runSampler('i-SIR', foldIn(ROOT, index), { target: countingTarget(target, cost), flow }, start, settings);
          return { cost, outerSteps: settings.numWarmup + settings.numSteps };
        },
        dispose: () => {
          start.dispose();
          flow.dispose();
          target.dispose?.();
        },
      };
    },
  };
}

/** Every cell, in the order `--cells` runs them. */
export const CELLS: CellDefinition[] = [
  slipsCell(0, 8, 0.15),
  slipsCell(1, 8, 0.25),
  slipsCell(2, 16, 0.15),
  slipsCell(3, 16, 0.25),
  slipsCell(4, 32, 0.15),
  slipsCell(5, 32, 0.25),
  amcCell(6),
  isirCell(7),
];

export const CELL_NAMES = CELLS.map((c) => c.name);

export function cellNamed(name: string): CellDefinition {
  const cell = CELLS.find((c) => c.name === name);
  if (!cell) throw new Error(`bench: cell "${name}" is unknown, expected one of ${CELL_NAMES.join(', ')}`);
  return cell;
}
