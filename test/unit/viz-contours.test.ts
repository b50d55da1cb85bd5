import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contourSegments } from '../../lib/viz/contours.js';

const grid = (lo: number, hi: number, n: number) => Float64Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
function sample(xs: Float64Array, ys: Float64Array, f: (x: number, y: number) => number): Float64Array {
  const out = new Float64Array(xs.length * ys.length);
  ys.forEach((y, j) => xs.forEach((x, i) => (out[j * xs.length + i] = f(x, y))));
  return out;
}

test('a linear function: the level set x + 0.5 y = c is recovered exactly, one segment per crossed cell', () => {
  const xs = grid(-1, 1, 9);
  const ys = grid(-1, 1, 5);
  const segs = contourSegments(xs, ys, sample(xs, ys, (x, y) => x + 0.5 * y), [0.1]);
  assert.ok(segs.length >= ys.length - 1);
  for (const s of segs) {
    assert.ok(Math.abs(s.x + 0.5 * s.y - 0.1) < 1e-12, `(${s.x}, ${s.y}) on the line`);
    assert.ok(Math.abs(s.x2 + 0.5 * s.y2 - 0.1) < 1e-12, `(${s.x2}, ${s.y2}) on the line`);
  }
  // The pieces join into one polyline from the bottom edge to the top edge: total length = line length in the box.
  const length = segs.reduce((a, s) => a + Math.hypot(s.x2 - s.x, s.y2 - s.y), 0);
  assert.ok(Math.abs(length - Math.hypot(1, 2)) < 1e-12, `length ${length}`);
});

test('a circle: endpoints lie on the circle to O(h^2), the curve is closed and its length is 2 pi r', () => {
  const xs = grid(-2, 2, 81);
  const ys = grid(-2, 2, 81);
  const r = 1.31; // off the lattice: a level through a grid point gives extra (overlapping) pieces at that point
  const segs = contourSegments(xs, ys, sample(xs, ys, (x, y) => Math.exp(-0.5 * (x * x + y * y))), [Math.exp(-0.5 * r * r)]);
  const h = xs[1] - xs[0];
  for (const s of segs) {
    for (const [x, y] of [[s.x, s.y], [s.x2, s.y2]]) assert.ok(Math.abs(Math.hypot(x, y) - r) < h * h, `radius ${Math.hypot(x, y)}`);
  }
  const length = segs.reduce((a, s) => a + Math.hypot(s.x2 - s.x, s.y2 - s.y), 0);
  assert.ok(Math.abs(length - 2 * Math.PI * r) < 0.01, `length ${length} vs ${2 * Math.PI * r}`);
  // Closed: every endpoint is shared by exactly two segments.
  const key = (x: number, y: number) => `${x.toFixed(9)},${y.toFixed(9)}`;
  const degree = new Map<string, number>();
  for (const s of segs) for (const k of [key(s.x, s.y), key(s.x2, s.y2)]) degree.set(k, (degree.get(k) ?? 0) + 1);
  assert.ok([...degree.values()].every((d) => d === 2));
});

test('saddle cells: two segments joining the four edge crossings, each on two adjacent edges; no level crossing, no segment', () => {
  // f = x * y on [-1, 1]^2 with one cell: corners (-1,-1)=1, (1,-1)=-1, (1,1)=1, (-1,1)=-1. d3-contour resolves a
  // saddle one fixed way (the two corners at or above the level are cut off separately), whatever the centre value.
  const xs = Float64Array.from([-1, 1]);
  const ys = Float64Array.from([-1, 1]);
  const values = Float64Array.from([1, -1, -1, 1]);
  for (const level of [0.5, -0.5]) {
    const segs = contourSegments(xs, ys, values, [level]);
    assert.equal(segs.length, 2);
    // linear interpolation along each edge: the crossing is at (level - v0) / (v1 - v0) of the way from v0 to v1
    const t = (1 - level) / 2; // from a corner of value 1 towards one of value -1
    const crossings = [[-1 + 2 * t, -1], [1, 1 - 2 * t], [1 - 2 * t, 1], [-1, -1 + 2 * t]].map(([x, y]) => `${x},${y}`).sort();
    const ends = segs.flatMap((s) => [`${s.x},${s.y}`, `${s.x2},${s.y2}`]).sort();
    assert.deepEqual(ends, crossings);
    for (const s of segs) {
      // adjacent edges: one end on a vertical edge (|x| = 1), the other on a horizontal one (|y| = 1); each segment
      // cuts off a corner of value 1 (the high corners are (-1,-1) and (1,1), on the diagonal x = y)
      assert.ok((Math.abs(s.x) === 1) !== (Math.abs(s.x2) === 1), JSON.stringify(s));
      const corner = Math.abs(s.x) === 1 ? [s.x, s.y2] : [s.x2, s.y];
      assert.equal(corner[0], corner[1], `cuts off the high corner: ${JSON.stringify(s)}`);
    }
  }
  assert.deepEqual(contourSegments(xs, ys, values, [2]), []);
  assert.deepEqual(contourSegments(xs, ys, values, [-2]), []);
});
