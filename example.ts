import { initBackend, key, targets, gaussian, smc, mala, modeWeights } from './lib/index.js';

await initBackend();
const target = targets.get('two-modes', { dim: 8, separation: 8 }); // weights 2/3 and 1/3, exact log Z = 0
const reference = gaussian(new Array(8).fill(0), 9); // N(0, 9 I): exact sampler and log Z
const run = await smc(key(0), { reference, target, kernel: (t) => mala(t), params: { stepSize: 0.1 },
  numParticles: 2048, adaptStepSize: { targetAcceptance: 0.574 } });
const weights = modeWeights(await target.modes!.assign(run.particles), 2, Array.from(run.logWeights, Math.exp));
console.log(`log Z ${run.logZ.toFixed(3)} (exact ${target.logZ}), ${run.levels.length} levels`);
console.log(`mode weights ${weights.map((w) => w.toFixed(3))} (exact ${target.modes!.weights.map((w) => w.toFixed(3))})`);
