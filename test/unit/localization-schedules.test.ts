/**
 * Stochastic-localization schedules (lib/diffusion/localizationSchedules.ts) against the closed forms of the
 * reference `alphas.py` written out independently here (powers, not logs), central finite differences for α̇ and
 * d log α / dt, g⁻¹ round trips, and the SNR-adapted grid (spec section 1.3).
 *
 * Tolerances: closed forms agree to 1e-12 relative (float64, different but exact formulas); the round trips to
 * 1e-12 relative in t (bisection runs to adjacent floats); central differences with step δ = 1e-5 min(t, tGen − t) have a
 * truncation error O(δ² α'''/α̇) ≈ 1e-10 relative and a rounding error ≈ 1e-16 / 1e-5 = 1e-11, so 1e-7 relative is
 * a wide, safe bound that still catches any wrong factor.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bisectIncreasing,
  classicSchedule,
  geometricSchedule,
  localizationSchedule,
  logLinearSchedule,
  logTangentSchedule,
  snrTimeGrid,
  type LocalizationSchedule,
} from '../../lib/diffusion/localizationSchedules.js';

interface Case {
  schedule: LocalizationSchedule;
  /** g(t) in the reference's power form. */
  g: (t: number) => number;
  /** α̇(t) in closed form, differentiated by hand from the power form of α. */
  alphaDot: (t: number) => number;
  /** Times inside (0, tGen) to check at. */
  times: number[];
}

const finiteTimes = (T: number) => [1e-4, 0.01, 0.1, 0.35, 0.5, 0.8, 0.99, 0.9999].map((x) => x * T);
const infiniteTimes = [1e-4, 0.01, 0.3, 1, 7.5, 150];

function geometricCase(T: number, a: number, b: number): Case {
  return {
    schedule: geometricSchedule({ T, a, b }),
    g: (t) => Math.pow(t / T, a / 2) * Math.pow(1 - t / T, -b / 2),
    // α = T^{-a/2} t^{(a+1)/2} (1 − t/T)^{−b/2}
    alphaDot: (t) =>
      Math.pow(T, -a / 2) *
      (((a + 1) / 2) * Math.pow(t, (a - 1) / 2) * Math.pow(1 - t / T, -b / 2) +
        Math.pow(t, (a + 1) / 2) * (b / (2 * T)) * Math.pow(1 - t / T, -b / 2 - 1)),
    times: finiteTimes(T),
  };
}

function logTangentCase(T: number, a: number): Case {
  const c = Math.PI / (2 * T);
  return {
    schedule: logTangentSchedule({ T, a }),
    g: (t) => Math.pow(Math.tan(c * t), a / 2),
    // α = √t tan(ct)^{a/2}: α̇ = tan^{a/2} / (2√t) + √t (a/2) tan^{a/2 − 1} c / cos²
    alphaDot: (t) =>
      Math.pow(Math.tan(c * t), a / 2) / (2 * Math.sqrt(t)) +
      Math.sqrt(t) * (a / 2) * Math.pow(Math.tan(c * t), a / 2 - 1) * (c / Math.cos(c * t) ** 2),
    times: finiteTimes(T),
  };
}

const cases: Case[] = [
  { schedule: classicSchedule(), g: (t) => Math.sqrt(t), alphaDot: () => 1, times: infiniteTimes },
  { schedule: logLinearSchedule(1), g: (t) => Math.sqrt(t), alphaDot: () => 1, times: infiniteTimes },
  {
    schedule: logLinearSchedule(2.5),
    g: (t) => Math.pow(t, 1.25),
    alphaDot: (t) => 1.75 * Math.pow(t, 0.75),
    times: infiniteTimes,
  },
  geometricCase(1, 1, 1),
  geometricCase(1, 2, 1),
  geometricCase(1, 1, 0.5),
  geometricCase(2.5, 1.5, 2),
  geometricCase(3, 2, 2),
  logTangentCase(1, 1),
  logTangentCase(4, 2),
];

function close(actual: number, expected: number, rel: number, what: string): void {
  const scale = Math.max(Math.abs(expected), 1e-300);
  assert.ok(Math.abs(actual - expected) <= rel * scale, `${what}: ${actual} vs ${expected} (relative error ${Math.abs(actual - expected) / scale})`);
}

for (const c of cases) {
  const s = c.schedule;
  test(`${s.name}: g, α = √t g and log g² match the closed forms`, () => {
    assert.equal(s.tGen, s.params.T ?? Infinity);
    for (const t of c.times) {
      close(s.g(t), c.g(t), 1e-12, `g(${t})`);
      close(s.alpha(t), Math.sqrt(t) * c.g(t), 1e-12, `alpha(${t})`);
      close(s.logSnr(t), 2 * Math.log(c.g(t)), 1e-12 * Math.max(1, 1 / Math.abs(2 * Math.log(c.g(t)))), `logSnr(${t})`);
    }
    assert.equal(s.g(0), 0);
    assert.equal(s.alpha(0), 0);
    assert.equal(s.logSnr(0), -Infinity);
  });

  test(`${s.name}: g⁻¹(g(t)) = t and g(g⁻¹(u)) = u`, () => {
    for (const t of c.times) close(s.gInverse(s.g(t)), t, 1e-12, `gInverse(g(${t}))`);
    // The other way round, t = g⁻¹(u) is exact up to its float64 rounding (a few ulps), which moves log g² by
    // |dη/dt| · 4 ulp(t), dη/dt = 2 (d log α/dt − 1/(2t)): large near a finite T, where 1 − t/T is tiny.
    const etaTolerance = (t: number) => 4 * 2.3e-16 * t * Math.abs(2 * (s.logAlphaDot(t) - 1 / (2 * t))) + 1e-12;
    for (const eta of [-20, -3, 0, 2.5, 10, 15]) {
      const t = s.logSnrInverse(eta);
      assert.ok(Math.abs(s.logSnr(t) - eta) <= etaTolerance(t) * Math.max(1, Math.abs(eta)), `logSnr(logSnrInverse(${eta})) = ${s.logSnr(t)}`);
      const u = Math.exp(eta / 2);
      close(s.g(s.gInverse(u)), u, etaTolerance(t), `g(gInverse(${u}))`);
    }
    assert.equal(s.gInverse(0), 0);
    assert.equal(s.gInverse(Infinity), s.tGen);
    assert.equal(s.logSnrInverse(-Infinity), 0);
  });

  test(`${s.name}: α̇ and d log α / dt match the closed forms and central differences`, () => {
    for (const t of c.times) {
      const delta = 1e-5 * Math.min(t, s.tGen - t); // stays clear of both ends
      close(s.alphaDot(t), c.alphaDot(t), 1e-12, `alphaDot(${t}) closed form`);
      const fd = (s.alpha(t + delta) - s.alpha(t - delta)) / (2 * delta);
      close(s.alphaDot(t), fd, 1e-7, `alphaDot(${t}) vs central difference`);
      close(s.logAlphaDot(t), c.alphaDot(t) / (Math.sqrt(t) * c.g(t)), 1e-12, `logAlphaDot(${t}) = α̇/α`);
      const fdLog = (Math.log(s.alpha(t + delta)) - Math.log(s.alpha(t - delta))) / (2 * delta);
      close(s.logAlphaDot(t), fdLog, 1e-7, `logAlphaDot(${t}) vs central difference of log α`);
    }
  });
}

test('geometric (a ≠ b) bisection inverse agrees with the closed form when a = b, and is monotone', () => {
  const s = geometricSchedule({ T: 2, a: 1.5, b: 1.5 });
  for (const eta of [-30, -5, -0.3, 0, 1, 7, 30]) {
    close(bisectIncreasing(s.logSnr, eta, 0, 2), s.logSnrInverse(eta), 1e-13, `bisection vs closed form at eta = ${eta}`);
  }
  const unequal = geometricSchedule({ a: 2, b: 1 });
  let previous = 0;
  for (let eta = -40; eta <= 30; eta += 0.5) {
    const t = unequal.logSnrInverse(eta);
    assert.ok(t > previous && t < 1, `logSnrInverse(${eta}) = ${t} is not increasing in (0, 1)`);
    previous = t;
  }
});

test('geometric (1, 1) has log g² = logit(t/T) (spec section 1.2)', () => {
  const s = geometricSchedule();
  for (const t of [0.01, 0.35, 0.5, 0.99338]) close(s.logSnr(t), Math.log(t / (1 - t)), 1e-12, `logSnr(${t})`);
});

test('localizationSchedule builds the schedules from plain data', () => {
  assert.equal(localizationSchedule({ kind: 'classic' }).name, classicSchedule().name);
  assert.equal(localizationSchedule({ kind: 'geometric', a: 2, b: 1 }).name, 'geometric(T=1,a=2,b=1)');
  assert.equal(localizationSchedule({ kind: 'log-linear', a: 3 }).params.a, 3);
  assert.equal(localizationSchedule({ kind: 'log-tangent', T: 2 }).tGen, 2);
  assert.throws(() => localizationSchedule({ kind: 'cosine' } as never), /localizationSchedule: option "kind" = "cosine", expected one of/);
});

test('snrTimeGrid is strictly increasing, uniform in log g², and ends at ε and T − ε_end', () => {
  const grids: [LocalizationSchedule, { epsilon: number; epsilonEnd?: number; numSteps: number; horizon?: number }][] = [
    [geometricSchedule(), { epsilon: 0.35, epsilonEnd: 6.62e-3, numSteps: 64 }],
    [geometricSchedule({ a: 2, b: 1 }), { epsilon: 0.3, epsilonEnd: 6.58e-3, numSteps: 129 }],
    [classicSchedule(), { epsilon: 0.1, numSteps: 100, horizon: 150 }],
    [logLinearSchedule(2), { epsilon: 1e-3, epsilonEnd: 1, numSteps: 33, horizon: 10 }],
    [logTangentSchedule({ T: 2, a: 2 }), { epsilon: 0.05, epsilonEnd: 1e-3, numSteps: 50 }],
  ];
  for (const [s, options] of grids) {
    const grid = snrTimeGrid(s, options);
    const K = options.numSteps;
    assert.equal(grid.length, K);
    assert.equal(grid[0], options.epsilon);
    assert.equal(grid[K - 1], (options.horizon ?? s.tGen) - (options.epsilonEnd ?? 0));
    const eta0 = s.logSnr(grid[0]);
    const step = (s.logSnr(grid[K - 1]) - eta0) / (K - 1);
    for (let k = 1; k < K; k++) {
      assert.ok(grid[k] > grid[k - 1], `${s.name}: grid not increasing at k = ${k}`);
      close(s.logSnr(grid[k]) - s.logSnr(grid[k - 1]), step, 1e-8, `${s.name}: log-SNR increment at k = ${k}`);
    }
  }
  // Spec section 1.3 example: geometric (1, 1), ε = 0.35, ε_end = 6.62e-3: log-SNR from −0.62 to +5.0.
  const example = snrTimeGrid(geometricSchedule(), { epsilon: 0.35, epsilonEnd: 6.62e-3, numSteps: 8 });
  close(geometricSchedule().logSnr(example[0]), -0.619, 1e-3, 'log-SNR at ε');
  close(geometricSchedule().logSnr(example[7]), 5.01, 1e-3, 'log-SNR at T − ε_end');
});

test('bad schedule parameters, times and grid options give clear errors', () => {
  assert.throws(() => logLinearSchedule(0.5), /logLinearSchedule: option "a" = 0.5, expected a finite number >= 1/);
  assert.throws(() => geometricSchedule({ a: 0.9 }), /geometricSchedule: option "a" = 0.9, expected a finite number >= 1/);
  assert.throws(() => geometricSchedule({ b: 0 }), /geometricSchedule: option "b" = 0, expected a finite number > 0/);
  assert.throws(() => geometricSchedule({ T: -1 }), /geometricSchedule: option "T" = -1, expected a finite number > 0/);
  assert.throws(() => logTangentSchedule({ T: NaN }), /logTangentSchedule: option "T" = NaN, expected a finite number > 0/);
  const s = geometricSchedule();
  assert.throws(() => s.g(1), /geometric\(T=1,a=1,b=1\)\.g: option "t" = 1, expected a time in \[0, 1\)/);
  assert.throws(() => s.alpha(-0.1), /alpha: option "t" = -0.1, expected a time in \[0, 1\)/);
  assert.throws(() => s.alphaDot(0), /alphaDot: option "t" = 0, expected a time in \(0, 1\)/);
  assert.throws(() => classicSchedule().logAlphaDot(NaN), /classic\.logAlphaDot: option "t" = NaN, expected a time in \(0, Infinity\)/);
  assert.throws(() => s.gInverse(-1), /gInverse: option "u" = -1, expected a number >= 0/);
  assert.throws(() => s.logSnrInverse(NaN), /logSnrInverse: option "eta" = NaN/);

  const grid = (schedule: LocalizationSchedule, options: object) => () => snrTimeGrid(schedule, options as never);
  assert.throws(grid(s, { epsilon: 0, epsilonEnd: 0.01, numSteps: 8 }), /snrTimeGrid: option "epsilon" = 0, expected a start time in \(0, 0.99\)/);
  assert.throws(grid(s, { epsilon: 0.995, epsilonEnd: 0.01, numSteps: 8 }), /snrTimeGrid: option "epsilon" = 0.995, expected a start time in \(0, 0.99\)/);
  assert.throws(grid(s, { epsilon: -0.1, epsilonEnd: 0.01, numSteps: 8 }), /option "epsilon" = -0.1/);
  assert.throws(grid(s, { epsilon: 0.1, epsilonEnd: 0.01, numSteps: 1 }), /snrTimeGrid: option "numSteps" = 1, expected an integer >= 2/);
  assert.throws(grid(s, { epsilon: 0.1, epsilonEnd: 0.01, numSteps: 2.5 }), /option "numSteps" = 2.5, expected an integer >= 2/);
  assert.throws(grid(s, { epsilon: 0.1, numSteps: 8 }), /snrTimeGrid: option "epsilonEnd" = 0, expected a number in \(0, 1\) \(g\(T\) is infinite/);
  assert.throws(grid(s, { epsilon: 0.1, epsilonEnd: 1, numSteps: 8 }), /option "epsilonEnd" = 1, expected a number in \[0, 1\)/);
  assert.throws(grid(s, { epsilon: 0.1, epsilonEnd: 0.01, numSteps: 8, horizon: 2 }), /option "horizon" = 2, expected a number in \(0, 1\]/);
  assert.throws(grid(classicSchedule(), { epsilon: 0.1, numSteps: 8 }), /snrTimeGrid: option "horizon" = undefined, expected a finite horizon T > 0 for the infinite-time schedule classic/);
  assert.throws(grid(classicSchedule(), { epsilon: 200, numSteps: 8, horizon: 150 }), /option "epsilon" = 200, expected a start time in \(0, 150\)/);
  assert.throws(() => snrTimeGrid({} as never, { epsilon: 0.1, numSteps: 8 }), /snrTimeGrid: option "schedule" = \{\}, expected a LocalizationSchedule/);
});
