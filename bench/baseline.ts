/**
 * The regression check's arithmetic (pure; bench/check.ts runs the bench and reads / writes bench/baseline.json).
 *
 * Noise: the run-to-run spread of the peer itself, s = sample standard deviation of ln(peer ms) over repeated
 * runs of bench/torch_peer.py on this machine (`--noise N`). The peer is the fixed reference (same code every
 * time), so its spread is the machine's timing noise for that workload.
 *
 * A ratio r = ours / peer is the quotient of two such measurements; taking our side to be as noisy as the peer's
 * (same machine, same workload), sd(ln r) = sqrt(2) s. A check compares a fresh ratio with the baseline's, each of
 * them noisy: sd(ln r_now - ln r_base) = 2 s. The check fails when
 *
 *     ln(r_now / r_base) > k * 2 s,   k = 3,
 *
 * one-sided (only a worsening fails). k = 3: under normal noise a false alarm in 0.13 % of checks per workload
 * (0.7 % over five); timing noise on a shared machine has heavier tails than that, which is why not k = 2. An
 * improvement never fails; re-record the baseline to keep it.
 */

/** The check's multiplier of the noise (see the file comment). */
export const NOISE_MULTIPLIER = 3;

/** The fewest peer runs a noise estimate may come from (a standard deviation from 2 values is a coin toss). */
export const MIN_NOISE_RUNS = 3;

/** Sample standard deviation of ln(ms) over repeated runs: the relative run-to-run noise. */
export function logNoise(ms: readonly number[]): number {
  if (ms.length < MIN_NOISE_RUNS) {
    throw new Error(`logNoise: ${ms.length} run(s), expected at least ${MIN_NOISE_RUNS} repeated runs of the peer`);
  }
  if (ms.some((x) => !(x > 0) || !Number.isFinite(x))) throw new Error(`logNoise: times must be finite and > 0, got ${ms.join(', ')}`);
  const logs = ms.map(Math.log);
  const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
  return Math.sqrt(logs.reduce((a, l) => a + (l - mean) ** 2, 0) / (logs.length - 1));
}

/** The largest allowed ln(r_now / r_base) for a peer log-noise s (see the file comment). */
export function logTolerance(sdLogPeer: number, k = NOISE_MULTIPLIER): number {
  return k * 2 * sdLogPeer;
}

export interface BaselineWorkload {
  ratio: number;
  ours_ms: number;
  peer_ms: number;
  peakRssMb?: number;
  /** s: sd of ln(peer ms) over `noiseRuns` peer runs. */
  peerLogNoise: number;
  noiseRuns: number;
}

export interface Baseline {
  recorded: string;
  /** Machine and load at recording time (1-minute load average before and after). */
  machine: Record<string, unknown>;
  quick: boolean;
  k: number;
  note: string;
  workloads: Record<string, BaselineWorkload>;
}

export interface Verdict {
  workload: string;
  baselineRatio: number;
  ratio: number;
  /** ln(ratio / baselineRatio): > 0 is a worsening. */
  logChange: number;
  tolerance: number;
  /** The noise it was judged with, and where it came from. */
  peerLogNoise: number;
  status: 'ok' | 'worse' | 'missing';
}

/**
 * Compare fresh ratios with the baseline. `noise` overrides the baseline's per-workload noise (a fresh `--noise`
 * measurement). Workloads of the baseline that the fresh run lacks are 'missing'; extra fresh ones are ignored.
 */
export function compareWithBaseline(
  baseline: Baseline,
  ratios: Readonly<Record<string, number>>,
  noise: Readonly<Record<string, number>> = {},
  k = baseline.k ?? NOISE_MULTIPLIER,
): Verdict[] {
  return Object.entries(baseline.workloads).map(([workload, b]) => {
    const s = noise[workload] ?? b.peerLogNoise;
    const tolerance = logTolerance(s, k);
    const ratio = ratios[workload];
    if (ratio === undefined || !(ratio > 0)) {
      return { workload, baselineRatio: b.ratio, ratio: NaN, logChange: NaN, tolerance, peerLogNoise: s, status: 'missing' };
    }
    const logChange = Math.log(ratio / b.ratio);
    return { workload, baselineRatio: b.ratio, ratio, logChange, tolerance, peerLogNoise: s, status: logChange > tolerance ? 'worse' : 'ok' };
  });
}
