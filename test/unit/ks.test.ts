/**
 * KS tests (lib/metrics/ks.ts) and the special functions they rest on (lib/core/special.ts).
 * Reference values: mpmath at 100 digits (erf, erfc, log Phi, quantiles, log-gamma) and scipy 1.17
 * (kstest / ks_2samp statistics, scipy.special.kolmogorov).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ksOneSample, ksTwoSample, kolmogorovSurvival } from '../../lib/metrics/ks.js';
import { erf, erfc, normalCdf, normalLogCdf, normalQuantile, logGamma } from '../../lib/core/special.js';
import { key, split, normalArray, uniformArray } from '../../lib/core/random.js';

function close(actual: number, expected: number, rel: number, what: string, abs = 0): void {
  const err = Math.abs(actual - expected);
  assert.ok(
    err <= rel * Math.abs(expected) + abs,
    `${what}: got ${actual}, expected ${expected} (error ${err.toExponential(2)})`,
  );
}

describe('special functions', () => {
  test('erf against mpmath', () => {
    const ref: [number, number][] = [
      [-3, -0.9999779095030014], [-1, -0.8427007929497149], [-0.3, -0.3286267594591274],
      [1e-10, 1.1283791670955126e-10], [0.1, 0.1124629160182849], [0.5, 0.5204998778130465],
      [0.8, 0.7421009647076605], [0.9, 0.7969082124228322], [1, 0.8427007929497149],
      [1.2, 0.9103139782296353], [1.5, 0.9661051464753108], [2, 0.9953222650189527],
      [2.5, 0.999593047982555], [3, 0.9999779095030014], [4, 0.9999999845827421],
      [5, 0.9999999999984626], [6, 1],
    ];
    for (const [x, e] of ref) close(erf(x), e, 1e-14, `erf(${x})`);
    assert.equal(erf(0), 0);
    assert.equal(erf(Infinity), 1);
    assert.equal(erf(-Infinity), -1);
    assert.ok(Number.isNaN(erf(NaN)));
  });

  test('erfc against mpmath, relative accuracy in the far tail', () => {
    const ref: [number, number][] = [
      [-2, 1.9953222650189528], [-0.5, 1.5204998778130465], [0.2, 0.7772974107895215],
      [0.5, 0.4795001221869535], [0.84375, 0.23277433876765838], [1, 0.15729920705028513],
      [1.3, 0.06599205505934755], [2, 0.004677734981047266], [2.857, 5.3358260086846374e-5],
      [3, 2.209049699858544e-5], [5, 1.537459794428035e-12], [10, 2.088487583762545e-45],
      [20, 5.395865611607901e-176],
    ];
    for (const [x, e] of ref) close(erfc(x), e, 1e-13, `erfc(${x})`);
    assert.equal(erfc(40), 0);
    assert.equal(erfc(-40), 2);
    // erf + erfc = 1 on a grid
    for (let x = -4; x <= 4; x += 0.37) close(erf(x) + erfc(x), 1, 1e-15, `erf + erfc at ${x}`);
  });

  test('normalCdf and normalLogCdf (stable in both tails)', () => {
    close(normalCdf(0), 0.5, 1e-16, 'Phi(0)');
    close(normalCdf(1.959963984540054), 0.975, 1e-14, 'Phi(1.96)');
    close(normalCdf(-10), Math.exp(-53.23128515051247), 1e-12, 'Phi(-10)');
    const ref: [number, number][] = [
      [-200, -20006.21728089819], [-40, -804.6084420137538], [-38, -726.5572160188201],
      [-30, -454.3212439563432], [-20, -203.91715537109727], [-10, -53.23128515051247],
      [-5, -15.064998393988725], [-3, -6.607726221510349], [-1.5, -2.7059444008238898],
      [-1, -1.8410216450092636], [0, -0.6931471805599453], [1, -0.17275377902344988],
      [3, -0.0013508099647481938], [8, -6.220960574271786e-16], [12, -1.776482112077679e-33],
    ];
    for (const [x, e] of ref) close(normalLogCdf(x), e, 1e-13, `log Phi(${x})`);
    // continuity across the branch points (x = -1.25 sqrt 2, and 28 sqrt 2 inside logErfc)
    for (const b of [-1.25 * Math.SQRT2, -28 * Math.SQRT2, 0]) {
      close(normalLogCdf(b - 1e-9), normalLogCdf(b + 1e-9), 1e-8, `log Phi continuous at ${b}`);
    }
  });

  test('normalQuantile: known values and round trips', () => {
    const ref: [number, number][] = [
      [1e-300, -37.0470962993612], [1e-100, -21.273453560965326], [1e-20, -9.262340089798407],
      [1e-10, -6.361340902404057], [1e-5, -4.264890793922825], [0.001, -3.0902323061678136],
      [0.02, -2.053748910631823], [0.02425, -1.972961051311885], [0.1, -1.2815515655446004],
      [0.3, -0.5244005127080408], [0.7, 0.5244005127080407], [0.975, 1.9599639845400538],
      [0.999, 3.090232306167813],
    ];
    for (const [p, e] of ref) close(normalQuantile(p), e, 1e-13, `quantile(${p})`);
    assert.equal(normalQuantile(0.5), 0);
    assert.equal(normalQuantile(0), -Infinity);
    assert.equal(normalQuantile(1), Infinity);
    assert.ok(Number.isNaN(normalQuantile(1.5)));
    assert.ok(Number.isNaN(normalQuantile(-0.1)));
    for (let x = -8; x <= 8; x += 0.25) {
      // above 0, Phi(x) is stored with absolute error up to 1.1e-16, i.e. x with error 1.1e-16 / phi(x)
      const slack = x > 0 ? (2.3e-16 * Math.sqrt(2 * Math.PI)) / Math.exp(-0.5 * x * x) : 0;
      close(normalQuantile(normalCdf(x)), x, 1e-12, `quantile(Phi(${x}))`, 1e-14 + slack);
    }
    for (const p of [1e-15, 1e-7, 0.01, 0.2, 0.45, 0.55, 0.9, 0.99]) {
      close(normalCdf(normalQuantile(p)), p, 1e-13, `Phi(quantile(${p}))`);
    }
  });

  test('logGamma against mpmath and the recurrence', () => {
    const ref: [number, number][] = [
      [1e-8, 18.42068073818021], [0.1, 2.252712651734206], [0.5, 0.5723649429247001],
      [1.5, -0.12078223763524522], [2.5, 0.2846828704729192], [3.7, 1.428072326665388],
      [10, 12.801827480081469], [100, 359.1342053695754], [1e5, 1051287.7089736569],
      [-0.5, 1.2655121234846454], [-2.5, -0.056243716497674054], [-7.3, -7.779101629826852],
    ];
    for (const [x, e] of ref) close(logGamma(x), e, 1e-13, `logGamma(${x})`);
    close(logGamma(1), 0, 0, 'logGamma(1)', 1e-14);
    close(logGamma(2), 0, 0, 'logGamma(2)', 1e-14);
    assert.equal(logGamma(0), Infinity);
    assert.equal(logGamma(-3), Infinity);
    for (const x of [0.3, 1.7, 4.2, 17.5, 60.1]) close(logGamma(x + 1) - logGamma(x), Math.log(x), 1e-12, `recurrence at ${x}`, 1e-14);
  });
});

describe('Kolmogorov distribution', () => {
  test('survival function against scipy.special.kolmogorov', () => {
    const ref: [number, number][] = [
      [0.3, 0.9999906941986655], [0.5, 0.9639452436648751], [0.8, 0.5441424115741981],
      [1.0, 0.26999967167735456], [1.18, 0.1234538094297657], [1.2, 0.11224966667072497],
      [1.3581, 0.0499996304316674], [1.6276, 0.010001537333060776], [2.0, 0.0006709252557796953],
      [3.0, 3.045995948942526e-8],
    ];
    for (const [l, e] of ref) close(kolmogorovSurvival(l), e, 1e-12, `Q(${l})`);
    assert.equal(kolmogorovSurvival(0), 1);
    assert.equal(kolmogorovSurvival(-1), 1);
    // both series agree across the switch at 1.18
    close(kolmogorovSurvival(1.18 - 1e-12), kolmogorovSurvival(1.18 + 1e-12), 1e-10, 'continuity at 1.18');
  });
});

describe('ksOneSample', () => {
  // p-value reference: scipy.special.kolmogorov((sqrt(n) + 0.12 + 0.11 / sqrt(n)) * D), D from scipy.stats.kstest
  test('statistic matches scipy.stats.kstest on tiny samples', () => {
    const u = ksOneSample([0.7, 0.1, 0.4], (x) => Math.min(1, Math.max(0, x)));
    close(u.statistic, 0.30000000000000004, 1e-15, 'D uniform');
    close(u.pValue, 0.8959447276588299, 1e-12, 'p uniform');
    const z = ksOneSample([-1.2, 0.3, 0.35, 2.0, -0.1, 0.9], normalCdf);
    close(z.statistic, 0.2935054960563044, 1e-14, 'D normal');
    close(z.pValue, 0.5980702669997275, 1e-12, 'p normal');
    const xs = Array.from({ length: 200 }, (_, i) => ((i + 1) / 201) ** 1.3);
    const w = ksOneSample(Float64Array.from(xs), (x) => x);
    close(w.statistic, 0.09834468514698269, 1e-13, 'D n=200');
    close(w.pValue, 0.03893911830662002, 1e-11, 'p n=200');
  });

  test('accepts the right distribution and rejects a wrong one', () => {
    const k = key(1);
    const x = normalArray(k, 2000);
    assert.ok(ksOneSample(x, normalCdf).pValue > 1e-3, 'N(0,1) draws against Phi');
    // shifted by 0.25 sd: D ~ 0.1, lambda ~ 4.4
    const shifted = ksOneSample(x, (t) => normalCdf(t - 0.25));
    assert.ok(shifted.pValue < 1e-6, `shifted normal must be rejected (p = ${shifted.pValue})`);
    const u = ksOneSample(uniformArray(k, 2000), (t) => Math.min(1, Math.max(0, t)));
    assert.ok(u.pValue > 1e-3);
    // uniform draws are not normal
    assert.ok(ksOneSample(uniformArray(k, 2000), normalCdf).pValue < 1e-12);
  });

  test('bad inputs throw clear errors', () => {
    assert.throws(() => ksOneSample([], normalCdf), /ksOneSample: option "samples" = \[\] \(empty\), expected at least one sample/);
    assert.throws(() => ksOneSample([1, NaN], normalCdf), /option "samples" = an array with NaN at index 1, expected finite numbers/);
    assert.throws(() => ksOneSample([1, 2], (x) => x), /option "cdf" = a function returning 2 at x = 2, expected values in \[0, 1\]/);
    assert.throws(() => ksOneSample(null as unknown as number[], normalCdf), /option "samples" = null/);
  });
});

describe('ksTwoSample', () => {
  test('statistic matches scipy.stats.ks_2samp, ties included', () => {
    const t = ksTwoSample([1, 2, 2, 3], [2, 2, 4]);
    close(t.statistic, 1 / 3, 1e-15, 'D with ties');
    close(t.pValue, 0.9610338462893631, 1e-12, 'p with ties');
    const s = ksTwoSample([0.5, 1.5, 2.5, 3.5, 4.5], [2.1, 3.3, 5.0, 6.2, 7.7, 8.0]);
    close(s.statistic, 2 / 3, 1e-15, 'D');
    close(s.pValue, 0.09925778048530916, 1e-12, 'p');
    // identical samples: D = 0, p = 1
    assert.deepEqual(ksTwoSample([3, 1, 2], [2, 3, 1]), { statistic: 0, pValue: 1 });
  });

  test('same distribution accepted, different rejected', () => {
    const [k1, k2] = split(key(2));
    const a = normalArray(k1, 3000);
    const b = normalArray(k2, 2000);
    assert.ok(ksTwoSample(a, b).pValue > 1e-3);
    const c = b.map((x) => 1.3 * x); // wider
    assert.ok(ksTwoSample(a, c).pValue < 1e-4, `scaled sample must be rejected (p = ${ksTwoSample(a, c).pValue})`);
  });

  test('bad inputs throw clear errors', () => {
    assert.throws(() => ksTwoSample([1], []), /ksTwoSample: option "b" = \[\] \(empty\)/);
    assert.throws(() => ksTwoSample([Infinity], [1]), /ksTwoSample: option "a" = an array with Infinity at index 0/);
  });
});
