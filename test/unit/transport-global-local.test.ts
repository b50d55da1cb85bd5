/**
 * Global-local kernels (lib/samplers/transport/globalLocal.ts): FlEx2MCMC (i-SIR + MALA or HMC), adaptive MCMC
 * (IMH + local) and the flowMC schedule (local block, then IMH block), as `Kernel`s:
 * flat tensor count over 100 cycles, determinism, runChain drives them, the combined info (global and local
 * acceptance, i-SIR ESS), recorded sub-steps, no proposal-density cache carried past local moves, the exact flow
 * accepted every time, and errors at the boundary.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { advance } from '../../lib/core/memory.js';
import { foldIn, key } from '../../lib/core/random.js';
import { hmc } from '../../lib/samplers/mcmc/hmc.js';
import { imh } from '../../lib/samplers/mcmc/imh.js';
import { mala } from '../../lib/samplers/mcmc/mala.js';
import { rwmh } from '../../lib/samplers/mcmc/rwmh.js';
import type { ChainState, Kernel, StepInfo } from '../../lib/samplers/mcmc/kernel.js';
import { runChain } from '../../lib/samplers/runChain.js';
import { flowProposal, type FlowProposal } from '../../lib/samplers/transport/flowProposals.js';
import { adaptiveMcmc, flex2mcmc, flowMcSchedule, globalLocal } from '../../lib/samplers/transport/globalLocal.js';
import { gaussianFlow } from '../../lib/samplers/transport/imperfectFlows.js';
import { gaussian, type GaussianTarget } from '../../lib/targets/gaussian.js';
import { useBackend } from '../helpers/backends.js';

before(() => useBackend('wasm'));

const MEAN = [1, -2, 0.5];
const COV = [
  [2.0, 0.6, 0.2],
  [0.6, 1.0, -0.3],
  [0.2, -0.3, 0.5],
];

let target: GaussianTarget;
let proposal: FlowProposal;
before(() => {
  target = gaussian(MEAN, COV);
  proposal = flowProposal(gaussianFlow(MEAN, COV, { scale: 1.3, shift: 0.2 }));
});
after(() => {
  target.dispose();
  proposal.dispose();
});

interface Case {
  name: string;
  make: () => Kernel<ChainState, any>;
  params: object;
  /** Global steps per cycle, local steps per cycle, whether the global kernel reports an ESS. */
  numGlobal: number;
  numLocal: number;
  ess: boolean;
}

const CASES: Case[] = [
  {
    name: 'flex2mcmc (i-SIR + MALA)',
    make: () => flex2mcmc(target, proposal, { numLocalSteps: 3 }),
    params: { global: { numParticles: 8 }, local: { stepSize: 0.2 } },
    numGlobal: 1,
    numLocal: 3,
    ess: true,
  },
  {
    name: 'flex2mcmc (i-SIR + HMC)',
    make: () => flex2mcmc(target, proposal, { numLocalSteps: 2, local: hmc(target) }),
    params: { global: { numParticles: 4 }, local: { stepSize: 0.2, numIntegrationSteps: 3 } },
    numGlobal: 1,
    numLocal: 2,
    ess: true,
  },
  {
    name: 'adaptiveMcmc (IMH + RWMH)',
    make: () => adaptiveMcmc(target, proposal, { numLocalSteps: 2, local: rwmh(target) }),
    params: { global: {}, local: { stepSize: 0.5 } },
    numGlobal: 1,
    numLocal: 2,
    ess: false,
  },
  {
    name: 'flowMcSchedule (MALA block, then IMH block)',
    make: () => flowMcSchedule(target, proposal, { numLocalSteps: 4, numGlobalSteps: 2 }),
    params: { global: {}, local: { stepSize: 0.2 } },
    numGlobal: 2,
    numLocal: 4,
    ess: false,
  },
];

for (const c of CASES) {
  test(`${c.name}: flat tensor count over 100 cycles, determinism, combined info`, async () => {
    const kernel = c.make();
    const x0 = target.sample(key(1), 32);
    const run = async (seed: number) => {
      let state = await kernel.init(x0);
      const counts: number[] = [];
      let info: StepInfo | undefined;
      for (let i = 0; i < 100; i++) {
        info && tf.dispose(info);
        state = advance(state, (s) => {
          const out = kernel.step(foldIn(key(seed), i), s, c.params);
          info = Object.fromEntries(Object.entries(out.info).map(([k, v]) => [k, tf.keep(v)])) as StepInfo;
          return out.state;
        });
        if (i >= 1) counts.push(tf.memory().numTensors);
      }
      return { state, counts, info: info as StepInfo };
    };
    const a = await run(2);
    assert.equal(Math.min(...a.counts), Math.max(...a.counts), 'numTensors must not move');
    const fresh = await kernel.init(x0);
    assert.deepEqual(Object.keys(a.state).sort(), Object.keys(fresh).sort(), 'the state keeps the local kernel fields');
    tf.dispose(fresh);
    assert.ok(!('logProposalDensity' in a.state), 'no proposal-density cache is carried past the cycle');
    const b = await run(2);
    const other = await run(3);
    assert.deepEqual(a.state.position.dataSync(), b.state.position.dataSync());
    assert.notDeepEqual(a.state.position.dataSync(), other.state.position.dataSync());
    const expected = ['acceptanceRate', 'isAccepted', 'isInvalid', 'globalAcceptanceRate', 'globalIsAccepted', 'localAcceptanceRate', 'localIsAccepted'];
    if (c.ess) expected.push('globalEss');
    assert.deepEqual(Object.keys(a.info).sort(), expected.sort());
    const infoFields = a.info as unknown as Record<string, tf.Tensor>;
    const read = (f: string) => Array.from(infoFields[f].dataSync());
    for (const f of expected) assert.equal(infoFields[f].shape[0], 32, f);
    // acceptanceRate is the mean over the cycle's sub-steps of the sub-kernels' rates.
    const g = read('globalAcceptanceRate');
    const l = read('localAcceptanceRate');
    read('acceptanceRate').forEach((v, i) => {
      const mixed = (c.numGlobal * g[i] + c.numLocal * l[i]) / (c.numGlobal + c.numLocal);
      assert.ok(Math.abs(v - mixed) < 1e-5, `chain ${i}: ${v} vs ${mixed}`);
    });
    for (const f of expected.filter((f) => f !== 'globalEss')) read(f).forEach((v) => assert.ok(v >= 0 && v <= 1, `${f} = ${v}`));
    if (c.ess) read('globalEss').forEach((v) => assert.ok(v >= 1 && v <= 8, `ESS ${v}`));
    tf.dispose([a.state, b.state, other.state, a.info, b.info, other.info, x0]);
  });
}

test('runChain drives a global-local kernel; recordSubsteps keeps every sub-step', async () => {
  const kernel = flex2mcmc(target, proposal, { numLocalSteps: 3, recordSubsteps: true });
  const x0 = target.sample(key(4), 8);
  const result = await runChain(key(5), kernel, x0, {
    numSteps: 6,
    params: { global: { numParticles: 4 }, local: { stepSize: 0.2 } },
    transform: (s) => s.substeps as tf.Tensor3D,
  });
  assert.deepEqual(result.samples.shape, [6, 8, 4, 3]);
  // The last recorded sub-step of the last cycle is the state's position.
  const data = result.samples.data;
  const position = result.state.position.dataSync();
  for (let c = 0; c < 8; c++) {
    for (let j = 0; j < 3; j++) assert.equal(data[((5 * 8 + c) * 4 + 3) * 3 + j], position[c * 3 + j]);
  }
  tf.dispose([result.state, x0]);
});

test('exact flow: the IMH global step of adaptiveMcmc accepts every proposal', async () => {
  const exact = flowProposal(gaussianFlow(MEAN, COV));
  const kernel = adaptiveMcmc(target, exact, { numLocalSteps: 2 });
  const x0 = target.sample(key(6), 128);
  const state = await kernel.init(x0);
  const out = kernel.step(key(7), state, { global: {}, local: { stepSize: 0.3 } });
  assert.ok(Math.min(...out.info.globalAcceptanceRate.dataSync()) > 1 - 1e-3);
  tf.dispose([x0, state, out]);
  exact.dispose();
});

test('bad options and inputs throw errors naming the option, the value and what was expected', async () => {
  const other = gaussian([0, 0, 0], 1);
  assert.throws(() => flex2mcmc(target, proposal, { numLocalSteps: -1 }), /flex2mcmc: option "numLocalSteps" = -1, expected an integer >= 0/);
  assert.throws(() => flex2mcmc(target, proposal, { numLocalStep: 1 } as never), /flex2mcmc: option "numLocalStep" = 1, expected no such option/);
  assert.throws(() => flowMcSchedule(target, proposal, { numLocalSteps: 2, numGlobalSteps: 0 }), /flowMcSchedule: option "numGlobalSteps" = 0, expected an integer >= 1/);
  assert.throws(() => adaptiveMcmc(target, {} as never, { numLocalSteps: 2 }), /imh: option "proposal"/);
  assert.throws(() => adaptiveMcmc(target, proposal, { numLocalSteps: 2, local: mala(other) }), /globalLocal: option "local.target" = "gaussian-3d", expected the same Target object as the global kernel's/);
  assert.throws(
    () => globalLocal({ global: imh(target, proposal), local: mala(target), numLocalSteps: 1, order: 'sideways' as never }),
    /globalLocal: option "order" = "sideways", expected one of "globalFirst", "localFirst"/,
  );
  assert.throws(() => globalLocal({ global: null as never, local: mala(target), numLocalSteps: 1 }), /globalLocal: option "global" = null, expected a Kernel/);
  const withImhLocal = globalLocal({ global: imh(target, proposal), local: imh(target, proposal), numLocalSteps: 1 });
  const x0 = target.sample(key(8), 4);
  const before = tf.memory().numTensors;
  await assert.rejects(() => withImhLocal.init(x0), /globalLocal: option "local" = "imh", expected a local kernel whose state holds only position, logDensity and grad \(found logProposalDensity\)/);
  assert.equal(tf.memory().numTensors, before, 'a failed init leaks nothing');
  const kernel = flex2mcmc(target, proposal, { numLocalSteps: 1 });
  const state = await kernel.init(x0);
  assert.throws(() => kernel.step(key(1), state, { numParticles: 4 } as never), /flex2mcmc.step: option "params" = an object with keys \[numParticles\], expected an object \{ global: <global kernel params>, local: <local kernel params> \}/);
  assert.throws(() => kernel.step(key(1), state, { global: { numParticles: 1 }, local: { stepSize: 0.1 } }), /isir.step: option "numParticles" = 1, expected an integer >= 2/);
  assert.throws(() => kernel.step(key(1), state, { global: { numParticles: 4 }, local: { stepSize: NaN } }), /mala.step: option "stepSize" = NaN, expected a finite number > 0/);
  tf.dispose([x0, state]);
  other.dispose();
});
