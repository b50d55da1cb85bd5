/**
 * The PyTorch peer (bench/torch_peer.py, one thread unless asked) run as a child process; its workload definitions are the
 * reference and stay as they are. `runPeer` returns its rows by workload, or the reason it could not run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export interface PeerRow {
  workload: string;
  impl: string;
  ms: number;
}

export function runPeer(python: string, quick: boolean, log?: (line: string) => void, threads = 1, pin?: number): Map<string, PeerRow> | string {
  if (!existsSync(python)) return `${python} not found`;
  const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return `torch is not importable by ${python} (Debian: apt-get install python3-torch)`;
  const n = String(threads);
  const args = [join(here, 'torch_peer.py'), '--threads', n, ...(quick ? ['--quick'] : [])];
  const env = { ...process.env, OMP_NUM_THREADS: n, OPENBLAS_NUM_THREADS: n };
  const res = pin == null
    ? spawnSync(python, args, { encoding: 'utf8', env })
    : spawnSync('taskset', ['-c', String(pin), python, ...args], { encoding: 'utf8', env });
  if (res.status !== 0) return `torch_peer.py failed: ${res.stderr.slice(-500)}`;
  const rows = new Map<string, PeerRow>();
  for (const line of res.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    log?.(line);
    const row = JSON.parse(line) as PeerRow;
    rows.set(row.workload, row);
  }
  return rows;
}
