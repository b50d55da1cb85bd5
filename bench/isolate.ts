/**
 * Run a TypeScript entry point in its own Node process (through tsx) and report its peak resident set size, so that
 * each workload, paper cell or `figures` run is measured alone: `process.resourceUsage().maxRSS` is a high-water
 * mark of the whole process, so in-process numbers would carry the previous workloads' peaks. The child's JSON
 * lines (stdout lines that parse as a JSON object) are returned; its other stdout lines go to this process's stderr
 * with `echo` (progress), else are dropped; its stderr passes through.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = join(here, '..');

export interface IsolatedRun {
  /** Parsed JSON lines of the child's stdout, in order. */
  lines: Record<string, unknown>[];
  /** Peak RSS of the child in MiB (null if it died before its exit handler ran, e.g. killed). */
  peakRssMb: number | null;
  exitCode: number | null;
  seconds: number;
}

/** A stdout line as a JSON object, or null (a progress line that happens to start with "{"). */
function parseJsonLine(line: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(line);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Run `node --import tsx --import bench/peakRssAtExit.mjs <script> ...args` from the repository root (or `cwd`).
 * `echo` prints each non-JSON stdout line (progress) to stderr as it comes.
 */
export function runIsolated(
  script: string,
  args: readonly string[],
  options: { echo?: boolean; env?: NodeJS.ProcessEnv; cwd?: string; pin?: number } = {},
): Promise<IsolatedRun> {
  const dir = mkdtempSync(join(tmpdir(), 'sampling-lab-rss-'));
  const rssFile = join(dir, 'rss.json');
  const began = performance.now();
  // tsx by its resolved URL, so that a child may run in another working directory
  const tsx = import.meta.resolve('tsx');
  const preload = pathToFileURL(join(here, 'peakRssAtExit.mjs')).href;
  const nodeArgs = ['--import', tsx, '--import', preload, script, ...args];
  // --pin: the child on one CPU (taskset), as the peer is, so both sides of a ratio run on the same core
  const [command, commandArgs] = options.pin == null
    ? [process.execPath, nodeArgs]
    : ['taskset', ['-c', String(options.pin), process.execPath, ...nodeArgs]];
  const child = spawn(command, commandArgs, {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ...options.env, SAMPLING_LAB_PEAK_RSS_FILE: rssFile },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Record<string, unknown>[] = [];
  let pending = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    pending += chunk;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      const row = line.startsWith('{') ? parseJsonLine(line) : null;
      if (row) lines.push(row);
      else if (options.echo && line.trim()) process.stderr.write(`${line}\n`);
    }
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      let peakRssMb: number | null = null;
      try {
        peakRssMb = (JSON.parse(readFileSync(rssFile, 'utf8')) as { peakRssMb: number }).peakRssMb;
      } catch {
        // no file: the child was killed before its exit handler ran
      }
      rmSync(dir, { recursive: true, force: true });
      resolve({ lines, peakRssMb, exitCode: code, seconds: (performance.now() - began) / 1000 });
    });
  });
}
