/**
 * Exact and entropic W2 between point sets (lib/metrics/wasserstein2d.ts) against known answers:
 * the assignment solver against brute force over all permutations; identical sets -> 0; a translated set -> |shift|;
 * a 3-point case by hand; the 1-D case against the sorted-matching formula (`wasserstein1dSquaredSorted`);
 * Sinkhorn inside its proven bracket [W2^2, W2^2 + eps min(H(a), H(b))], widened by the marginal error times max C
 * (the plan is a coupling only up to that error).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { key, normalArray, uniformArray } from '../../lib/core/random.js';
import { wasserstein1dSquaredSorted } from '../../lib/metrics/slicedWasserstein.js';
import { optimalAssignment, wasserstein2Exact, wasserstein2Sinkhorn } from '../../lib/metrics/wasserstein2d.js';
import { gaussianRows } from './metrics-fixtures.js';

function permutations(n: number): number[][] {
  if (n === 1) return [[0]];
  return permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));
}

test('optimalAssignment: the minimum over all permutations (brute force, random 6 x 6 and 7 x 7 costs)', () => {
  for (const [seed, n] of [[1, 6], [2, 6], [3, 7], [4, 7]]) {
    const cost = uniformArray(key(seed), n * n).map((u) => Math.floor(u * 100) / 7); // ties are likely
    let best = Infinity;
    for (const p of permutations(n)) best = Math.min(best, p.reduce((s, j, i) => s + cost[i * n + j], 0));
    const { assignment, totalCost } = optimalAssignment(cost, n);
    assert.ok(Math.abs(totalCost - best) < 1e-9, `seed ${seed}: ${totalCost} vs brute force ${best}`);
    assert.deepEqual([...assignment].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i), 'a permutation');
  }
});

test('exact W2: identical sets 0, a translated set |shift|, symmetric, and a hand-checked 3-point case', async () => {
  const x = gaussianRows(key(5), 150, [1, -2], [1, 0.4]);
  assert.equal(await wasserstein2Exact(x, x), 0);
  const shift = [0.7, -1.9];
  const y = x.map(([a, b]) => [a + shift[0], b + shift[1]]);
  // W2^2(mu, mu + s) = |s|^2 for any mu (the cross term vanishes for the identity coupling, which is optimal).
  assert.ok(Math.abs(await wasserstein2Exact(x, y) - Math.hypot(...shift)) < 1e-9);
  const z = gaussianRows(key(6), 150, [0, 0], [2, 0.5]);
  assert.ok(Math.abs(await wasserstein2Exact(x, z) - await wasserstein2Exact(z, x)) < 1e-12);
  // {(0,0), (1,0), (0,1)} -> {(1,1), (2,0), (-1,0)}: the six matchings cost (squared distances summed)
  //   id: 2+1+2 = 5 ... the best is (0,0)->(-1,0) 1, (1,0)->(2,0) 1, (0,1)->(1,1) 1: total 3, W2 = sqrt(3/3) = 1.
  assert.ok(Math.abs(await wasserstein2Exact([[0, 0], [1, 0], [0, 1]], [[1, 1], [2, 0], [-1, 0]]) - 1) < 1e-12);
});

test('exact W2 in 1-D equals the sorted matching', async () => {
  const a = Array.from(normalArray(key(7), 300));
  const b = Array.from(normalArray(key(8), 300), (v) => 0.5 + 2 * v ** 3);
  const sorted = (v: number[]) => Float64Array.from(v).sort();
  const expected = Math.sqrt(wasserstein1dSquaredSorted(sorted(a), sorted(b)));
  assert.ok(Math.abs(await wasserstein2Exact(a, b) - expected) < 1e-9 * expected, `${await wasserstein2Exact(a, b)} vs ${expected}`);
});

/** The bracket W2^2 <= <P, C> <= W2^2 + bound, loosened by the marginal error times the largest cost. */
function assertBracket(what: string, result: Awaited<ReturnType<typeof wasserstein2Sinkhorn>>, exactSquared: number, maxCost: number): void {
  const slack = result.marginalError * maxCost + 1e-9;
  assert.ok(result.transportCost >= exactSquared - slack, `${what}: ${result.transportCost} below W2^2 = ${exactSquared}`);
  assert.ok(
    result.transportCost <= exactSquared + result.entropicBiasBound + slack,
    `${what}: ${result.transportCost} above W2^2 + bound = ${exactSquared} + ${result.entropicBiasBound}`,
  );
}

test('Sinkhorn: inside [W2^2, W2^2 + eps log n] against the exact solver (2-D), and converging as eps shrinks', async () => {
  const x = gaussianRows(key(9), 80, [0, 0], [1, 1]);
  const y = gaussianRows(key(10), 80, [1, -0.5], [0.5, 1.5]);
  const exact = (await wasserstein2Exact(x, y)) ** 2;
  let maxCost = 0;
  for (const p of x) for (const q of y) maxCost = Math.max(maxCost, (p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2);
  let previousGap = Infinity;
  for (const epsilon of [0.5, 0.05, 0.005]) {
    const result = await wasserstein2Sinkhorn(x, y, { epsilon, maxIterations: 500 });
    assert.ok(result.marginalError < 1e-2, `eps ${epsilon}: marginal error ${result.marginalError}`);
    assert.ok(Math.abs(result.entropicBiasBound - epsilon * Math.log(80)) < 1e-12);
    assertBracket(`eps ${epsilon}`, result, exact, maxCost);
    const gap = result.transportCost - exact;
    assert.ok(gap < previousGap, `the gap shrinks with eps: ${gap} after ${previousGap}`);
    previousGap = gap;
  }
  // Default eps = 1e-3 x mean squared distance.
  const byDefault = await wasserstein2Sinkhorn(x, y, { maxIterations: 500 });
  assertBracket('default eps', byDefault, exact, maxCost);
  assert.ok(Math.abs(byDefault.distance - Math.sqrt(exact)) < 0.01 * Math.sqrt(exact), `${byDefault.distance} vs ${Math.sqrt(exact)}`);
});

test('Sinkhorn with unequal sizes and weights: the 1-D exact value, a set against itself repeated, weights = repetition', async () => {
  const a = Array.from(normalArray(key(11), 60));
  const b = Array.from(normalArray(key(12), 90), (v) => 1 + 0.5 * v);
  const sorted = (v: number[]) => Float64Array.from(v).sort();
  const exact = wasserstein1dSquaredSorted(sorted(a), sorted(b)); // exact for unequal sizes (quantile functions)
  let maxCost = 0;
  for (const p of a) for (const q of b) maxCost = Math.max(maxCost, (p - q) ** 2);
  const result = await wasserstein2Sinkhorn(a, b, { epsilon: 1e-3 });
  assertBracket('1-D 60 vs 90', result, exact, maxCost);
  // x against x repeated twice: W2 = 0, so the cost is at most the bound.
  const x = gaussianRows(key(13), 40, [0, 3], [1, 1]);
  const twice = await wasserstein2Sinkhorn(x, [...x, ...x], { epsilon: 1e-3 });
  assert.ok(twice.transportCost <= twice.entropicBiasBound + 1e-6, `${twice.transportCost} vs bound ${twice.entropicBiasBound}`);
  // Weights 2 on the first 20 points equal repeating them.
  const y = gaussianRows(key(14), 30, [1, 2], [0.5, 0.5]);
  const weights = x.map((_, i) => (i < 20 ? 2 : 1));
  const weighted = await wasserstein2Sinkhorn(x, y, { epsilon: 0.01, xWeights: weights });
  const repeated = await wasserstein2Sinkhorn([...x, ...x.slice(0, 20)], y, { epsilon: 0.01 });
  assert.ok(Math.abs(weighted.transportCost - repeated.transportCost) < 1e-6 * repeated.transportCost, `${weighted.transportCost} vs ${repeated.transportCost}`);
  // Identical single points: 0 exactly.
  assert.equal((await wasserstein2Sinkhorn([[1, 1]], [[1, 1]])).distance, 0);
});

test('bad input: errors name the option, the value and what was expected', async () => {
  const x = [[0, 0], [1, 1]];
  await assert.rejects(() => wasserstein2Exact(x, [[0, 0]]), /wasserstein2Exact: option "y" = 1 points, expected as many points as x \(2\); use wasserstein2Sinkhorn/);
  await assert.rejects(() => wasserstein2Exact(x, [[0, 0, 0], [1, 1, 1]]), /option "y" has d = 3 coordinates but "x" has d = 2/);
  await assert.rejects(() => wasserstein2Exact([[0, NaN], [1, 1]], x), /wasserstein2Exact: option "x" has a non-finite entry NaN at row 0, column 1/);
  await assert.rejects(() => wasserstein2Sinkhorn(x, x, { epsilon: 0 }), /wasserstein2Sinkhorn: option "epsilon" = 0, expected a finite number > 0/);
  await assert.rejects(() => wasserstein2Sinkhorn(x, [[2, 2]], { xWeights: [1, -1] }), /option "xWeights" has entry \[1\] = -1, expected weights >= 0/);
  await assert.rejects(() => wasserstein2Sinkhorn(x, [[2, 2]], { yWeights: [1, 2] }), /option "yWeights" = an array of length 2, expected one weight per point \(1\)/);
  await assert.rejects(() => wasserstein2Sinkhorn(x, [[2, 2]], { xWeights: [0, 0] }), /option "xWeights" = weights summing to 0, expected weights with a positive sum/);
  await assert.rejects(() => wasserstein2Sinkhorn(x, x, { eps: 1 } as object), /option "eps" = 1, expected no such option/);
  await assert.rejects(() => wasserstein2Sinkhorn(x, x, { maxIterations: 0 }), /option "maxIterations" = 0, expected an integer >= 1/);
  assert.throws(() => optimalAssignment([1, 2, 3], 2), /optimalAssignment: option "cost" = an array of length 3, expected n \* n = 4 entries/);
  assert.throws(() => optimalAssignment([1, 2, Infinity, 0], 2), /option "cost" has entry \[2\] = Infinity, expected finite costs/);
});
