/**
 * Targets by name: `targets.get('two-modes', { dim: 32, separation: 3 })`. Each entry documents its options;
 * `targets.names()` lists them. Unknown names and unknown options fail with an error that lists what exists.
 */
import type { Target } from './target.js';
import { gaussian } from './gaussian.js';
import { gaussianMixture, type GaussianMixtureOptions } from './mixture.js';
import { twoModes, twoModesSlips, twoModesLrds, twoModesFull, bracketTwoModes, type TwoModesConditioning } from './twoModes.js';
import { checkerboard } from './checkerboard.js';
import type { Key } from '../core/random.js';
import { eightGaussians, manyModes } from './gaussians2d.js';
import { rings, ringsSlips, ringsLrds, type RingsOptions } from './rings.js';
import { funnel } from './funnel.js';
import { banana } from './banana.js';
import { phiFour } from './phiFour.js';
import { logisticRegression, type LogisticRegressionOptions } from './logisticRegression.js';

type Options = Record<string, unknown>;

interface Entry {
  description: string;
  options: string[];
  make: (o: Options) => Target;
}

const num = (o: Options, name: string): number => o[name] as number;

const ENTRIES: Record<string, Entry> = {
  gaussian: {
    description: 'Gaussian with full covariance',
    options: ['mean', 'covariance'],
    make: (o) => gaussian(o.mean as number[], o.covariance as number[][]),
  },
  mixture: {
    description: 'Gaussian mixture with any weights, means and covariances',
    options: ['weights', 'means', 'covariances', 'assignBy', 'name'],
    make: (o) => gaussianMixture(o as unknown as GaussianMixtureOptions),
  },
  'two-modes': {
    description: 'two isotropic modes, weights 2/3 and 1/3, separation in within-mode stds (multimodal evaluation, aMC)',
    options: ['dim', 'separation', 'weights', 'std'],
    make: (o) => twoModes({ dim: num(o, 'dim'), separation: num(o, 'separation'), weights: o.weights as number[] | undefined, std: o.std as number | undefined }),
  },
  'two-modes-slips': {
    description: 'SLIPS two modes: weights 2/3, 1/3, covariance 0.05 I',
    options: ['dim', 'a', 'centered'],
    make: (o) => twoModesSlips(num(o, 'dim'), { a: o.a as number | undefined, centered: o.centered as boolean | undefined }),
  },
  'two-modes-lrds': {
    description: 'LRDS two modes at -/+ a 1 with optional ill-conditioning',
    options: ['dim', 'conditioning', 'a'],
    make: (o) => twoModesLrds(num(o, 'dim'), (o.conditioning as TwoModesConditioning | undefined) ?? 'none', { a: o.a as number | undefined }),
  },
  'two-modes-full': {
    description: 'LRDS two modes at -/+ a 1 with a shared rotated ill-conditioned covariance (eigenvectors from a key)',
    options: ['dim', 'conditioning', 'a', 'key', 'randFactor'],
    make: (o) =>
      twoModesFull(num(o, 'dim'), (o.conditioning as 'medium' | 'hard' | undefined) ?? 'medium', {
        a: o.a as number | undefined,
        key: o.key as Key | undefined,
        randFactor: o.randFactor as number | undefined,
      }),
  },
  'bracket-two-modes': {
    description: 'LRDS bracket two modes (multimodal evaluation)',
    options: ['dim', 'a'],
    make: (o) => bracketTwoModes(num(o, 'dim'), o.a as number | undefined),
  },
  'eight-gaussians': {
    description: '8 Gaussians on a circle (2-D)',
    options: ['radius', 'variance'],
    make: (o) => eightGaussians(o as { radius?: number; variance?: number }),
  },
  'many-modes': {
    description: 'many isotropic modes with unequal weights',
    options: ['numModes', 'dim', 'factor', 'variance', 'key'],
    make: (o) => manyModes(num(o, 'numModes'), num(o, 'dim'), o as Options),
  },
  rings: {
    description: 'concentric rings (2-D) with any radii, std and weights',
    options: ['radii', 'std', 'weights', 'assignBy', 'name'],
    make: (o) => rings(o as unknown as RingsOptions),
  },
  'rings-slips': { description: 'SLIPS rings: 4 rings, std 0.15', options: [], make: () => ringsSlips() },
  'rings-lrds': {
    description: 'LRDS rings: radii 1, 3, 5, std 0.1',
    options: ['equilibrated'],
    make: (o) => ringsLrds(o as { equilibrated?: boolean }),
  },
  checkerboard: {
    description: 'LRDS checkerboard: 8 uniform 2x2 squares, masses 3, 1, 3, 1, ... /16 (2-D, no gradient: use rwmh)',
    options: ['unequilibrated'],
    make: (o) => checkerboard(o as { unequilibrated?: boolean }),
  },
  funnel: { description: "Neal's funnel", options: ['dim', 'scale'], make: (o) => funnel(o) },
  banana: {
    description: 'banana (twisted Gaussian)',
    options: ['dim', 'curvature', 'scale', 'twistedPairs'],
    make: (o) => banana(o),
  },
  'phi-four': { description: 'phi-four lattice field', options: ['dim', 'a', 'b', 'beta', 'modeStatistic'], make: (o) => phiFour(o) },
  'logistic-regression': {
    description: 'Bayesian logistic regression (ionosphere, sonar, german-credit or your data)',
    options: ['dataset', 'prior', 'features', 'split', 'seed', 'dataDir'],
    make: (o) => logisticRegression(o as unknown as LogisticRegressionOptions),
  },
};

/** Names of the registered targets. */
function names(): string[] {
  return Object.keys(ENTRIES);
}

/** A one-line description and the accepted options of each target. */
function describe(): { name: string; description: string; options: string[] }[] {
  return names().map((name) => ({ name, description: ENTRIES[name].description, options: ENTRIES[name].options }));
}

/** Build a target by name. */
function get(name: string, options: Options = {}): Target {
  const entry = Object.prototype.hasOwnProperty.call(ENTRIES, name) ? ENTRIES[name] : undefined;
  if (entry == null) {
    throw new Error(`targets.get: target "${String(name)}" is unknown, expected one of: ${names().join(', ')}`);
  }
  if (options == null || typeof options !== 'object') {
    throw new Error(`targets.get('${name}'): options = ${String(options)}, expected an object`);
  }
  const unknown = Object.keys(options).filter((k) => !entry.options.includes(k));
  if (unknown.length > 0) {
    throw new Error(
      `targets.get('${name}'): option "${unknown[0]}" is unknown, expected ${entry.options.length ? entry.options.join(', ') : 'no options'}`,
    );
  }
  return entry.make(options);
}

export const targets = { get, names, describe };
