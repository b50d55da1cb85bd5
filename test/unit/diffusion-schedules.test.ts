/**
 * lib/diffusion/{schedule,vpSchedule,veSchedule,scheduleConfig}.ts: closed forms (written out here independently),
 * the SDE coefficients against central finite differences of the closed forms (f = d log a / dt,
 * g^2 = d s^2 / dt - 2 f s^2), the log-SNR inverse (closed form and bisection) round trips, time grids uniform in
 * t and in log-SNR, the forward transition against the marginals, configs, bad inputs.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { timeAtLogSnrByBisection, timeGrid, type NoiseSchedule } from '../../lib/diffusion/schedule.js';
import { scheduleFromConfig } from '../../lib/diffusion/scheduleConfig.js';
import { vpSchedule } from '../../lib/diffusion/vpSchedule.js';
import { veSchedule } from '../../lib/diffusion/veSchedule.js';

const TIMES = [0.0007, 0.013, 0.1, 0.37, 0.5, 0.81, 1];

/** |a - b| <= tol * max(1, |b|). */
function close(a: number, b: number, tol: number, what: string): void {
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b} (tol ${tol})`);
}

/** Central differences of the closed forms: f = d log a / dt and g^2 = d s^2 / dt - 2 f s^2. */
function checkCoefficients(schedule: NoiseSchedule, name: string): void {
  const h = 1e-6 * schedule.horizon;
  for (const u of TIMES.filter((t) => t > 0.001 && t < 1)) {
    const t = u * schedule.horizon;
    const dLogA = (Math.log(schedule.signalScale(t + h)) - Math.log(schedule.signalScale(t - h))) / (2 * h);
    const dS2 = (schedule.noiseScale(t + h) ** 2 - schedule.noiseScale(t - h) ** 2) / (2 * h);
    close(schedule.drift(t), dLogA, 1e-6, `${name} drift(${t})`);
    const g2 = dS2 - 2 * schedule.drift(t) * schedule.noiseScale(t) ** 2;
    close(schedule.diffusionSquared(t), g2, 1e-6, `${name} g^2(${t})`);
  }
}

/** transition(from, to) composes the marginals: a(to) = scale a(from), s(to)^2 = scale^2 s(from)^2 + std^2. */
function checkTransitions(schedule: NoiseSchedule, name: string): void {
  const T = schedule.horizon;
  for (const [u, v] of [[0, 0.3], [0.1, 0.1000001], [0.2, 0.9], [0.5, 1]]) {
    const { scale, std } = schedule.transition(u * T, v * T);
    close(scale * schedule.signalScale(u * T), schedule.signalScale(v * T), 1e-13, `${name} transition scale`);
    close(scale ** 2 * schedule.noiseScale(u * T) ** 2 + std ** 2, schedule.noiseScale(v * T) ** 2, 1e-12, `${name} transition variance`);
  }
  // a tiny step: std^2 is s(to)^2 - scale^2 s(from)^2 to full relative precision (no cancellation), ~ g^2 dt
  const t = 0.4 * T;
  const dt = 1e-9 * T;
  const { std } = schedule.transition(t, t + dt);
  close(std ** 2 / dt, schedule.diffusionSquared(t), 1e-6, `${name} small-step transition variance / dt`);
}

function checkInverse(schedule: NoiseSchedule, name: string): void {
  const T = schedule.horizon;
  for (const u of TIMES) {
    const t = u * T;
    const lambda = schedule.logSnr(t);
    close(schedule.timeAtLogSnr(lambda), t, 1e-10, `${name} timeAtLogSnr(logSnr(${t}))`);
    close(timeAtLogSnrByBisection(schedule, lambda), t, 1e-12, `${name} bisection at ${t}`);
  }
  // strictly decreasing
  for (let i = 1; i < TIMES.length; i++) assert.ok(schedule.logSnr(TIMES[i] * T) < schedule.logSnr(TIMES[i - 1] * T));
}

function checkGrids(schedule: NoiseSchedule, name: string): void {
  const T = schedule.horizon;
  const uniform = timeGrid(schedule, 8);
  assert.equal(uniform.length, 9);
  uniform.forEach((t, k) => close(t, (k * T) / 8, 1e-15, `${name} uniform grid[${k}]`));
  const tStart = 0.002 * T;
  const tEnd = 0.95 * T;
  const grid = timeGrid(schedule, 10, { spacing: 'logSnr', tStart, tEnd });
  assert.equal(grid[0], tStart);
  assert.equal(grid[10], tEnd);
  const steps = Array.from({ length: 10 }, (_, k) => schedule.logSnr(grid[k + 1]) - schedule.logSnr(grid[k]));
  const expected = (schedule.logSnr(tEnd) - schedule.logSnr(tStart)) / 10;
  steps.forEach((s, k) => close(s, expected, 1e-9, `${name} log-SNR step ${k}`));
  const defaultStart = timeGrid(schedule, 4, { spacing: 'logSnr' });
  assert.equal(defaultStart[0], 1e-4 * T);
  assert.equal(defaultStart[4], T);
}

describe('vpSchedule', () => {
  const cases = [
    { name: 'default (0.1, 20, T = 1, scale 1)', options: {}, betaMin: 0.1, betaMax: 20, T: 1, scale: 1 },
    { name: 'LRDS vp_10 with T = 2, scale 1.5', options: { betaMax: 10, horizon: 2, scale: 1.5 }, betaMin: 0.1, betaMax: 10, T: 2, scale: 1.5 },
    { name: 'constant beta', options: { betaMin: 3, betaMax: 3 }, betaMin: 3, betaMax: 3, T: 1, scale: 1 },
  ];
  for (const c of cases) {
    test(`closed forms: ${c.name}`, () => {
      const s = vpSchedule(c.options);
      assert.equal(s.kind, 'vp');
      assert.equal(s.horizon, c.T);
      assert.equal(s.priorStd, c.scale);
      for (const u of TIMES) {
        const t = u * c.T;
        const A = c.betaMin * t + ((c.betaMax - c.betaMin) * t * t) / (2 * c.T);
        close(s.integratedBeta(t), A, 1e-14, 'A(t)');
        close(s.beta(t), c.betaMin + ((c.betaMax - c.betaMin) * t) / c.T, 1e-14, 'beta(t)');
        close(s.alphaBar(t), Math.exp(-A), 1e-14, 'alphaBar');
        close(s.signalScale(t), Math.exp(-A / 2), 1e-14, 'a(t)');
        // relative precision of s(t) even at small t (the float64 naive 1 - exp(-A) would lose digits there)
        const s2 = c.scale ** 2 * -Math.expm1(-A);
        assert.ok(Math.abs(s.noiseScale(t) ** 2 - s2) <= 1e-14 * s2, `s(t)^2 at ${t}`);
        close(s.logSnr(t), Math.log(Math.exp(-A) / s2), 1e-9, 'log-SNR');
        close(s.drift(t), -0.5 * s.beta(t), 1e-15, 'f = -beta/2');
        close(s.diffusionSquared(t), c.scale ** 2 * s.beta(t), 1e-15, 'g^2 = scale^2 beta');
      }
      assert.equal(s.logSnr(0), Infinity);
      assert.equal(s.noiseScale(0), 0);
      assert.equal(s.signalScale(0), 1);
      assert.equal(s.timeAtLogSnr(Infinity), 0);
      assert.deepEqual(scheduleFromConfig(s.config).config, s.config);
      assert.deepEqual(JSON.parse(JSON.stringify(s.config)), { kind: 'vp', betaMin: c.betaMin, betaMax: c.betaMax, horizon: c.T, scale: c.scale });
    });
    test(`coefficients by finite differences, log-SNR inverse, grids, transitions: ${c.name}`, () => {
      const s = vpSchedule(c.options);
      checkCoefficients(s, `vp ${c.name}`);
      checkInverse(s, `vp ${c.name}`);
      checkGrids(s, `vp ${c.name}`);
      checkTransitions(s, `vp ${c.name}`);
    });
  }

  test('bad inputs name the option, the value and what was expected', () => {
    assert.throws(() => vpSchedule({ betaMin: -1 }), /vpSchedule: option "betaMin" = -1, expected a finite number >= 0/);
    assert.throws(() => vpSchedule({ betaMax: 0 }), /vpSchedule: option "betaMax" = 0, expected a finite number > 0/);
    assert.throws(() => vpSchedule({ betaMin: 5, betaMax: 1 }), /option "betaMax" = 1, expected a number >= betaMin = 5/);
    assert.throws(() => vpSchedule({ horizon: NaN }), /option "horizon" = NaN/);
    assert.throws(() => vpSchedule({ scale: 0 }), /option "scale" = 0/);
    assert.throws(() => vpSchedule({ betamax: 3 } as never), /option "betamax" = 3, expected no such option/);
    const s = vpSchedule();
    assert.throws(() => s.signalScale(1.5), /vpSchedule.signalScale: option "t" = 1.5, expected a time in \[0, 1\]/);
    assert.throws(() => s.noiseScale(-0.1), /option "t" = -0.1/);
    assert.throws(() => s.logSnr(NaN), /option "t" = NaN/);
    assert.throws(() => s.timeAtLogSnr(s.logSnr(1) - 1), /vpSchedule.timeAtLogSnr: option "logSnr" = .*expected a log-SNR in/);
    assert.throws(() => s.transition(0.5, 0.2), /vpSchedule.transition: option "to" = 0.2, expected a time >= from = 0.5/);
  });
});

describe('veSchedule', () => {
  const cases = [
    { name: 'default (0.01, 50, T = 1)', options: {}, min: 0.01, max: 50, T: 1 },
    { name: '(0.1, 20, T = 3)', options: { sigmaMin: 0.1, sigmaMax: 20, horizon: 3 }, min: 0.1, max: 20, T: 3 },
  ];
  for (const c of cases) {
    test(`closed forms, coefficients, inverse, grids, transitions: ${c.name}`, () => {
      const s = veSchedule(c.options);
      assert.equal(s.kind, 've');
      assert.equal(s.priorStd, c.max);
      for (const u of TIMES) {
        const t = u * c.T;
        const sigma = c.min * (c.max / c.min) ** (t / c.T);
        close(s.sigma(t), sigma, 1e-13, 'sigma(t)');
        close(s.noiseScale(t), sigma, 1e-13, 's(t)');
        assert.equal(s.signalScale(t), 1);
        close(s.logSnr(t), -2 * Math.log(sigma), 1e-13, 'log-SNR');
        assert.equal(s.drift(t), 0);
        close(s.diffusionSquared(t), (2 * sigma * sigma * Math.log(c.max / c.min)) / c.T, 1e-13, 'g^2');
      }
      close(s.noiseScale(0), c.min, 1e-15, 's(0)');
      close(s.noiseScale(c.T), c.max, 1e-13, 's(T)');
      checkCoefficients(s, `ve ${c.name}`);
      checkInverse(s, `ve ${c.name}`);
      checkGrids(s, `ve ${c.name}`);
      checkTransitions(s, `ve ${c.name}`);
      // log-SNR is linear in t, so both grids coincide
      const a = timeGrid(s, 6, { spacing: 'logSnr', tStart: 0, tEnd: c.T });
      const b = timeGrid(s, 6, { tStart: 0, tEnd: c.T });
      a.forEach((t, k) => close(t, b[k], 1e-12, `grid ${k}`));
      assert.deepEqual(scheduleFromConfig(s.config).config, s.config);
    });
  }

  test('bad inputs', () => {
    assert.throws(() => veSchedule({ sigmaMin: 0 }), /veSchedule: option "sigmaMin" = 0, expected a finite number > 0/);
    assert.throws(() => veSchedule({ sigmaMin: 2, sigmaMax: 1 }), /option "sigmaMax" = 1, expected a number > sigmaMin = 2/);
    const s = veSchedule();
    assert.throws(() => s.sigma(2), /veSchedule.sigma: option "t" = 2, expected a time in \[0, 1\]/);
    assert.throws(() => s.timeAtLogSnr(100), /veSchedule.timeAtLogSnr: option "logSnr" = 100, expected a log-SNR in/);
  });
});

describe('timeGrid, bisection and configs', () => {
  test('bad inputs', () => {
    const s = vpSchedule();
    assert.throws(() => timeGrid(s, 0), /timeGrid: option "numSteps" = 0, expected an integer >= 1/);
    assert.throws(() => timeGrid(s, 4, { spacing: 'cosine' as never }), /option "spacing" = "cosine", expected one of "uniform", "logSnr"/);
    assert.throws(() => timeGrid(s, 4, { tStart: 0.5, tEnd: 0.5 }), /option "tEnd" = 0.5, expected a time > tStart = 0.5/);
    assert.throws(() => timeGrid(s, 4, { spacing: 'logSnr', tStart: 0 }), /option "tStart" = 0, expected a time with a finite log-SNR/);
    assert.throws(() => timeGrid(s, 4, { tEnd: 2 }), /option "tEnd" = 2, expected a time in \[0, 1\]/);
    assert.throws(() => timeGrid({} as never, 4), /timeGrid: option "schedule" = \{\}, expected a noise schedule/);
    assert.throws(() => timeAtLogSnrByBisection(s, 1e3, { low: 0.1 }), /option "target" = 1000, expected a log-SNR in/);
    assert.throws(() => timeAtLogSnrByBisection(s, 0, { iterations: 0 }), /option "iterations" = 0/);
    assert.throws(() => scheduleFromConfig({ kind: 'cosine' } as never), /scheduleFromConfig: option "config.kind" = "cosine", expected one of "vp", "ve"/);
    assert.throws(() => scheduleFromConfig({ kind: 'vp', betaMax: -1 } as never), /vpSchedule: option "betaMax" = -1/);
  });
});
