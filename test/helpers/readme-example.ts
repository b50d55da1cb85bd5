/**
 * The README's first example (the block between <!-- example:start --> and <!-- example:end -->), written next to
 * the README and run with tsx: shared by test/unit/readme-example.test.ts (wasm) and test/webgpu/readme-example.test.ts.
 */
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

/** The example's code, from README.md. */
export function readmeExample(): string {
  const readme = readFileSync('README.md', 'utf8');
  const block = /<!-- example:start -->\s*```ts\n([\s\S]*?)```\s*<!-- example:end -->/.exec(readme);
  if (block == null) throw new Error('README.md has no example block (<!-- example:start --> ```ts ... ``` <!-- example:end -->)');
  return block[1];
}

export interface ExampleRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** The log Z and mode weights it printed (NaN where missing). */
  logZ: number;
  weights: number[];
  exactWeights: number[];
  ms: number;
}

/**
 * Run the example as a file in the repository root (so its `./lib/index.js` import resolves), with extra env;
 * `edit` may change the code first (the webgpu suite runs fewer particles).
 */
export function runReadmeExample(
  env: Record<string, string | undefined> = {},
  timeoutMs = 120_000,
  edit: (code: string) => string = (code) => code,
): ExampleRun {
  const file = `readme-example-${process.pid}-${Date.now()}.ts`;
  writeFileSync(file, edit(readmeExample()));
  const t0 = performance.now();
  try {
    const run = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, ...env } });
    const logZ = Number(/log Z (-?[\d.]+)/.exec(run.stdout)?.[1]);
    const w = /mode weights ([\d.]+),([\d.]+) \(exact ([\d.]+),([\d.]+)\)/.exec(run.stdout);
    return {
      status: run.status,
      stdout: run.stdout,
      stderr: run.stderr,
      logZ,
      weights: w ? [Number(w[1]), Number(w[2])] : [NaN, NaN],
      exactWeights: w ? [Number(w[3]), Number(w[4])] : [NaN, NaN],
      ms: performance.now() - t0,
    };
  } finally {
    rmSync(file, { force: true });
  }
}
