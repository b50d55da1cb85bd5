/**
 * Figure F1.3, the 2-D latent / data illustration (spec papers/nfmcmc-nfebm-multimodal-eval.md sections 1.8 E9 and
 * 1.10): a RealNVP fitted to a 2-D mixture of 4 Gaussians, then chains of NeuTra-MALA and of i-SIR all started in
 * the mode at (-1.5, -1.5). The figure shows the contours of pi, of the flow's T # rho and of the pulled-back target
 * pi_T(z) = pi(T z) |det J_T(z)| on the latent space, with the trajectories.
 *
 * The paper's point (section 1.4): a flow with a bounded Lipschitz constant cannot map one Gaussian onto separated
 * modes exactly, so pi_T stays multimodal, and a local sampler on it (NeuTra-MALA) stays in its basin; i-SIR draws
 * global proposals from T # rho and jumps between modes. The numbers behind that: the modes each chain visits,
 * the share of draws outside the starting mode, and the log-density barrier between neighbouring modes along straight
 * segments, in data space (between the means mu_a, mu_b, under pi) and in latent space (between T^-1(mu_a) and
 * T^-1(mu_b), under pi_T): a barrier that stays high in latent space is what keeps a local latent sampler in its mode.
 */
import * as tf from '@tensorflow/tfjs';
import * as aq from 'arquero';
import type { TopLevelSpec } from 'vega-lite';
import { normal, split, type Key } from '../../core/random.js';
import { flowDistribution } from '../../models/flowTarget.js';
import { neutraTarget } from '../../samplers/transport/neutra.js';
import type { IllustrationConfig } from './config.js';
import { gridAxis, logDensityOnGrid } from '../../targets/logDensityGrid.js';
import { readFloat64, readValues } from '../../core/readback.js';
import { latentDataIllustration, type IllustrationPanel, type PanelPath } from './figures.js';
import { throwIfAborted, type ExperimentOptions } from '../progress.js';
import { runSampler, type SamplerName, type SamplerSettings } from './samplers.js';
import { squareMixture2d } from './targets.js';
import { trainFlow } from './training.js';

/** The plotted box of the reference (2d_mog.py): [-3.375, 3.375]^2 in data and latent space. */
export const ILLUSTRATION_BOX = 3.375;
const ILLUSTRATED: SamplerName[] = ['i-SIR', 'NeuTra-MALA'];
const START_MODE = 0; // the component with mean (-1.5, -1.5)

export interface IllustrationResult {
  /** One row per (sampler, chain, step) with data (x1, x2) and latent (z1, z2) positions and the mode. */
  trajectories: aq.ColumnTable;
  /** One row per sampler: modes visited per chain, share of draws outside the start mode, acceptance. */
  summary: aq.ColumnTable;
  /** Per pair of neighbouring modes: the log-density barrier in data space (pi) and in latent space (pi_T). */
  barriers: aq.ColumnTable;
  spec: TopLevelSpec;
  seconds: number;
}

/** Pairs of neighbouring modes of the square mixture (means 0: (-a,-a), 1: (a,-a), 2: (-a,a), 3: (a,a)). */
const NEIGHBOURS: [number, number][] = [
  [0, 1],
  [0, 2],
  [1, 3],
  [2, 3],
];
const SEGMENT_POINTS = 101;

/**
 * The log-density barrier along the straight segment from a to b: min(log p(a), log p(b)) - min over the segment of
 * log p (0 when the density does not dip between the two points). In nats; exp(-barrier) is the density ratio.
 */
export async function segmentBarrier(
  logDensity: (x: tf.Tensor2D) => tf.Tensor1D,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
): Promise<number> {
  const dim = a.length;
  const points = new Float32Array(SEGMENT_POINTS * dim);
  for (let i = 0; i < SEGMENT_POINTS; i++) {
    const s = i / (SEGMENT_POINTS - 1);
    for (let j = 0; j < dim; j++) points[i * dim + j] = (1 - s) * a[j] + s * b[j];
  }
  const values = tf.tidy(() => logDensity(tf.tensor2d(points, [SEGMENT_POINTS, dim])));
  const v = await readFloat64(values);
  values.dispose();
  let lowest = Infinity;
  for (const x of v) lowest = Math.min(lowest, x);
  return Math.min(v[0], v[SEGMENT_POINTS - 1]) - lowest;
}

/** Run F1.3 (see the file header). */
export async function runIllustration(config: IllustrationConfig, key: Key, options: ExperimentOptions = {}): Promise<IllustrationResult> {
  const { onProgress, signal } = options;
  const began = performance.now();
  const target = squareMixture2d();
  const [kFlow, kStart, kRuns] = split(key, 3);
  const trained = await trainFlow(kFlow, target, config.flow, undefined, 'F1.3 2-D mixture', options);
  const { flow } = trained;
  try {
    const n = config.numChains;
    const mean = target.components.means[START_MODE];
    const std = Math.sqrt(target.components.covariances[START_MODE].data[0]);
    const start = tf.tidy(() => tf.add(tf.tensor1d(mean), normal(kStart, [n, 2], 0, std)) as tf.Tensor2D);
    const startData = Float32Array.from(await readValues(start));
    const settings: SamplerSettings = {
      numChains: n,
      numSteps: config.numSteps,
      numWarmup: config.numWarmup,
      isirParticles: config.isirParticles,
      flex2Particles: config.isirParticles,
      flex2LocalSteps: 0,
      isSamples: n * config.numSteps,
      initialStepSize: config.initialStepSize,
    };
    const rows: Record<string, unknown>[] = [];
    const summary: Record<string, unknown>[] = [];
    const paths: Record<SamplerName, { data: PanelPath[]; latent: PanelPath[] }> = {} as never;
    const runKeys = split(kRuns, ILLUSTRATED.length);
    try {
      for (const [si, sampler] of ILLUSTRATED.entries()) {
        throwIfAborted(signal, 'nfmcmc');
        const run = await runSampler(sampler, runKeys[si], { target, flow }, start, settings, { signal, restartAfterWarmup: true });
        const T = run.draws.numDraws + 1;
        // chain-major positions with the start first: [n, T, 2]
        const data = new Float32Array(n * T * 2);
        for (let c = 0; c < n; c++) {
          data.set(startData.subarray(2 * c, 2 * c + 2), c * T * 2);
          for (let t = 1; t < T; t++) data.set(run.draws.data.subarray(((t - 1) * n + c) * 2, ((t - 1) * n + c) * 2 + 2), (c * T + t) * 2);
        }
        const x = tf.tensor2d(data, [n * T, 2]);
        const latentTensor = tf.tidy(() => flow.inverse(x).value);
        let modes: Int32Array;
        let latent: Float32Array | Int32Array | Uint8Array;
        try {
          [latent, modes] = await Promise.all([readValues(latentTensor), target.modes.assign(x)]);
        } finally {
          tf.dispose([x, latentTensor]);
        }
        paths[sampler] = { data: [], latent: [] };
        let visitedTotal = 0;
        let outside = 0;
        for (let c = 0; c < n; c++) {
          const visited = new Set<number>();
          for (let t = 0; t < T; t++) {
            const i = c * T + t;
            visited.add(modes[i]);
            if (t > 0 && modes[i] !== START_MODE) outside += 1;
            rows.push({ sampler, chain: c, step: t, x1: data[2 * i], x2: data[2 * i + 1], z1: latent[2 * i], z2: latent[2 * i + 1], mode: modes[i] });
          }
          visitedTotal += visited.size;
          if (c < config.chainsShown) {
            paths[sampler].data.push({ sampler, chain: c, points: data.subarray(c * T * 2, (c + 1) * T * 2) });
            paths[sampler].latent.push({ sampler, chain: c, points: latent.subarray(c * T * 2, (c + 1) * T * 2) });
          }
        }
        summary.push({
          sampler,
          chains: n,
          steps: config.numSteps,
          meanModesVisited: visitedTotal / n,
          shareOutsideStartMode: outside / (n * config.numSteps),
          acceptanceRate: run.acceptanceRate,
          stepSize: run.stepSize,
        });
        onProgress?.(`F1.3 ${sampler}: ${(visitedTotal / n).toFixed(2)} modes visited per chain, ${((100 * outside) / (n * config.numSteps)).toFixed(0)} % of draws outside the start mode`);
      }
    } finally {
      start.dispose();
    }

    const q = flowDistribution(flow);
    const pulledBack = neutraTarget(flow, target);
    const axis = gridAxis(-ILLUSTRATION_BOX, ILLUSTRATION_BOX, config.gridSize);
    const grids = {
      target: await logDensityOnGrid((x) => target.logDensity(x), axis),
      flow: await logDensityOnGrid((x) => q.logDensity(x), axis),
      latent: await logDensityOnGrid((z) => pulledBack.logDensity(z), axis),
    };
    const means = target.components.means;
    const latentMeansTensor = tf.tidy(() => flow.inverse(tf.tensor2d(means)).value);
    const latentMeans = (await latentMeansTensor.array()) as number[][];
    latentMeansTensor.dispose();
    const barriers = [];
    for (const [a, b] of NEIGHBOURS) {
      barriers.push({
        modes: `${a}-${b}`,
        dataBarrier: await segmentBarrier((x) => target.logDensity(x), means[a], means[b]),
        latentBarrier: await segmentBarrier((z) => pulledBack.logDensity(z), latentMeans[a], latentMeans[b]),
      });
    }
    const panels: IllustrationPanel[] = [
      { name: 'π with i-SIR', space: 'data', grid: grids.target, paths: paths['i-SIR'].data },
      { name: 'π with NeuTra-MALA', space: 'data', grid: grids.target, paths: paths['NeuTra-MALA'].data },
      { name: 'flow T#ρ', space: 'data', grid: grids.flow, paths: [] },
      { name: 'pulled-back π_T (latent)', space: 'latent', grid: grids.latent, paths: paths['NeuTra-MALA'].latent },
    ];
    const spec = latentDataIllustration({
      panels,
      samplers: ILLUSTRATED,
      title: 'Data and latent space: NeuTra-MALA against i-SIR, all chains started in the mode at (-1.5, -1.5)',
      subtitle: [
        `RealNVP K=${config.flow.numBlocks}, H=${config.flow.hiddenDim}, ${config.flow.steps} forward-KL steps; ` +
          `${config.chainsShown} of ${config.numChains} chains x ${config.numSteps} steps shown; i-SIR N=${config.isirParticles}`,
      ],
    });
    return {
      trajectories: aq.from(rows),
      summary: aq.from(summary),
      barriers: aq.from(barriers),
      spec,
      seconds: (performance.now() - began) / 1000,
    };
  } finally {
    flow.dispose();
    target.dispose();
  }
}
