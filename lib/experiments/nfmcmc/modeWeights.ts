/**
 * Figure F1.2, mode-weight recovery on the 4-mode mixture (spec papers/nfmcmc-nfebm-multimodal-eval.md sections 1.8
 * E3 and 1.10): a RealNVP trained by forward KL (deliberately imperfect: in the quick configuration, until its
 * held-out KL has left the near-identity plateau, ./training.ts), then every sampler family with B
 * chains, a quarter of them started in each mode. Each chain's draws are assigned to the nearest mean (the
 * mixture's `modes.assign`: equal weights and covariances make the Bayes rule the nearest mean), giving a 4-bin
 * histogram that is SORTED (flow_mcmc `compute_histogram`): a chain that visits the modes in the right proportions
 * reads (1/4, 1/4, 1/4, 1/4), a chain stuck in its starting mode (0, 0, 0, 1). IS is one pseudo-chain of resampled
 * draws. The flow's own mode weights (how much of T # rho falls in each mode) are reported as its quality.
 */
import * as tf from '@tensorflow/tfjs';
import * as aq from 'arquero';
import type { TopLevelSpec } from 'vega-lite';
import { foldIn, normal, split, type Key } from '../../core/random.js';
import { modeWeights } from '../../metrics/modeWeights.js';
import { flowDistribution } from '../../models/flowTarget.js';
import type { GaussianMixtureTarget } from '../../targets/mixture.js';
import type { ModeWeightConfig } from './config.js';
import { sortedModeHistograms, type SortedHistogramRow } from './figures.js';
import { throwIfAborted, type ExperimentOptions } from '../progress.js';
import { drawsTensor, runSampler, SAMPLERS, type Draws, type SamplerName, type SamplerSettings } from './samplers.js';
import { fourModeBase, fourModeMixture } from './targets.js';
import { trainFlow } from './training.js';

const NUM_MODES = 4;

export interface ModeWeightsResult {
  /** Long format: one row per (dim, seed, sampler, chain, rank) with the sorted fraction. */
  histograms: aq.ColumnTable;
  /** One row per (dim, sampler): the mean sorted histogram, the share of chains that saw all 4 modes, ... */
  summary: aq.ColumnTable;
  /** One row per dim: the flow's training and quality (held-out forward KL, its own mode weights, IS effective sample size). */
  flows: aq.ColumnTable;
  spec: TopLevelSpec;
  seconds: number;
}

/** B initial points: chain c starts at an exact draw of mode c mod 4 (a quarter of the chains per mode). */
function startInEachMode(key: Key, target: GaussianMixtureTarget, numChains: number): tf.Tensor2D {
  const means = target.components.means;
  const rows = Array.from({ length: numChains }, (_, c) => means[c % NUM_MODES]);
  return tf.tidy(() => tf.add(tf.tensor2d(rows), normal(key, [numChains, target.dim])) as tf.Tensor2D);
}

/** The sorted mode histogram of every chain of `draws` (ascending fractions, length 4 each). */
async function sortedHistogramsPerChain(target: GaussianMixtureTarget, draws: Draws): Promise<number[][]> {
  const { x, numNonFinite } = drawsTensor(draws);
  try {
    if (numNonFinite > 0) throw new Error(`F1.2: ${numNonFinite} non-finite draws on ${target.name}; the histograms would be wrong`);
    const modes = await target.modes.assign(x); // step-major, as the draws
    const { numChains, numDraws } = draws;
    return Array.from({ length: numChains }, (_, c) => {
      const own = Int32Array.from({ length: numDraws }, (_, t) => modes[t * numChains + c]);
      return modeWeights(own, NUM_MODES).sort((a, b) => a - b);
    });
  } finally {
    x.dispose();
  }
}

/** Run F1.2 (see the file header). */
export async function runModeWeights(config: ModeWeightConfig, key: Key, options: ExperimentOptions = {}): Promise<ModeWeightsResult> {
  const { onProgress, signal } = options;
  const began = performance.now();
  const rows: SortedHistogramRow[] = [];
  const flows: Record<string, unknown>[] = [];
  const trainedSteps: number[] = [];
  const heldOutKls: string[] = [];

  for (const [di, dim] of config.dims.entries()) {
    throwIfAborted(signal, 'nfmcmc');
    const target = fourModeMixture(dim);
    const base = fourModeBase(dim);
    const [kFlow, kFlowCheck, kRuns] = split(foldIn(key, di), 3);
    const label = `F1.2 d=${dim}`;
    const trained = await trainFlow(kFlow, target, config.flows[di], base, label, options);
    if (trained.heldOut) {
      const { atStart, atEnd, leftPlateau } = trained.heldOut;
      const verdict = leftPlateau === undefined ? '' : leftPlateau ? ', left the plateau' : ', still on the plateau at the cap';
      onProgress?.(`${label}: held-out forward KL ${atStart.kl.toFixed(3)} at step 0 -> ${atEnd.kl.toFixed(3)} ± ${atEnd.standardError.toFixed(3)} after ${trained.steps} steps${verdict}`);
    }
    trainedSteps.push(trained.steps);
    if (trained.heldOut) heldOutKls.push(`${trained.heldOut.atStart.kl.toFixed(2)} -> ${trained.heldOut.atEnd.kl.toFixed(2)}`);
    const settings: SamplerSettings = {
      numChains: config.numChains,
      numSteps: config.numSteps[di],
      numWarmup: config.numWarmup,
      isirParticles: config.isirParticles[di],
      flex2Particles: config.flex2Particles[di],
      flex2LocalSteps: config.flex2LocalSteps,
      isSamples: config.isSamples[di],
      initialStepSize: config.initialStepSize,
    };
    try {
      // The flow's own mode weights: a perfect flow puts 1/4 in each mode.
      const flowSamples = flowDistribution(trained.flow, base).sample(kFlowCheck, 4096);
      const flowWeights = modeWeights(await target.modes.assign(flowSamples), NUM_MODES);
      flowSamples.dispose();
      const isEss: number[] = [];
      for (let seed = 0; seed < config.seeds; seed++) {
        const [kStart, kSamplers] = split(foldIn(kRuns, seed), 2);
        const start = startInEachMode(kStart, target, config.numChains);
        const parts: string[] = [];
        try {
          for (const [si, sampler] of SAMPLERS.entries()) {
            throwIfAborted(signal, 'nfmcmc');
            const run = await runSampler(sampler, foldIn(kSamplers, si), { target, flow: trained.flow, base }, start, settings, { signal });
            if (sampler === 'IS') isEss.push(run.acceptanceRate);
            const histograms = await sortedHistogramsPerChain(target, run.draws);
            histograms.forEach((h, chain) =>
              h.forEach((fraction, r) => rows.push({ dim, sampler, seed, chain, rank: r + 1, fraction })),
            );
            const largest = histograms.reduce((s, h) => s + h[NUM_MODES - 1], 0) / histograms.length;
            parts.push(`${sampler} ${largest.toFixed(2)}`);
          }
        } finally {
          start.dispose();
        }
        onProgress?.(`${label} seed ${seed + 1}/${config.seeds}: mean largest sorted bin (0.25 = balanced, 1 = stuck) ${parts.join(' | ')}`);
      }
      const losses = trained.losses;
      const held = trained.heldOut;
      flows.push({
        dim,
        trainingSteps: trained.steps,
        maxTrainingSteps: config.flows[di].steps,
        ...(held
          ? {
              heldOutKlAtStart: held.atStart.kl,
              heldOutKl: held.atEnd.kl,
              heldOutKlStandardError: held.atEnd.standardError,
              ...(held.leftPlateau !== undefined ? { leftPlateau: held.leftPlateau } : {}),
            }
          : {}),
        firstLoss: losses[0],
        finalLoss: losses[losses.length - 1],
        trainingSeconds: trained.seconds,
        flowModeWeights: flowWeights.map((w) => w.toFixed(3)).join(' '),
        flowSmallestModeWeight: Math.min(...flowWeights),
        isEssFraction: isEss.reduce((a, b) => a + b, 0) / Math.max(1, isEss.length),
      });
    } finally {
      trained.flow.dispose();
      target.dispose();
      base.dispose();
    }
  }

  const histograms = aq.from(rows);
  const summary = summariseModeHistograms(histograms);
  const spec = sortedModeHistograms({
    rows,
    samplers: SAMPLERS,
    dims: config.dims,
    numModes: NUM_MODES,
    title: 'Per-chain mode histograms, sorted (4-mode mixture; balanced = 1/4 each, red line)',
    subtitle: [
      `RealNVP trained ${trainedSteps.join('/')} steps by forward KL (deliberately imperfect` +
        (heldOutKls.length === config.dims.length ? `; held-out KL from step 0 to the end: ${heldOutKls.join(', ')}` : '') +
        `); ${config.numChains} chains (a quarter per mode) x ${config.numSteps.join('/')} steps after ${config.numWarmup} warm-up`,
      `modes sorted from the least (1) to the most (4) visited; bars: mean over chains and ${config.seeds} seeds; dots: single chains (IS: one resampled set per seed)`,
    ],
  });
  return { histograms, summary, flows: aq.from(flows), spec, seconds: (performance.now() - began) / 1000 };
}

/** Per (dim, sampler): mean of the largest and smallest sorted bins, share of chains that visited every mode, mean TV to uniform. */
export function summariseModeHistograms(histograms: aq.ColumnTable): aq.ColumnTable {
  const rows = histograms.objects() as unknown as SortedHistogramRow[];
  const chains = new Map<string, { dim: number; sampler: string; fractions: number[] }>();
  for (const r of rows) {
    const id = JSON.stringify([r.dim, r.sampler, r.seed, r.chain]);
    const entry = chains.get(id) ?? { dim: r.dim, sampler: r.sampler, fractions: [] };
    entry.fractions.push(r.fraction);
    chains.set(id, entry);
  }
  const groups = new Map<string, { dim: number; sampler: string; largest: number[]; smallest: number[]; all: number[]; tv: number[] }>();
  for (const { dim, sampler, fractions } of chains.values()) {
    const id = JSON.stringify([dim, sampler]);
    const g = groups.get(id) ?? { dim, sampler, largest: [], smallest: [], all: [], tv: [] };
    g.largest.push(Math.max(...fractions));
    g.smallest.push(Math.min(...fractions));
    g.all.push(Math.min(...fractions) > 0 ? 1 : 0);
    // total variation to the uniform histogram, (1/2) sum_k |h_k - 1/K|
    g.tv.push(0.5 * fractions.reduce((s, h) => s + Math.abs(h - 1 / fractions.length), 0));
    groups.set(id, g);
  }
  const average = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  return aq.from(
    [...groups.values()].map((g) => ({
      dim: g.dim,
      sampler: g.sampler,
      chains: g.largest.length,
      meanLargest: average(g.largest),
      meanSmallest: average(g.smallest),
      shareAllModes: average(g.all),
      meanTvToUniform: average(g.tv),
    })),
  );
}
