/**
 * The README's first example is the file example.ts in the repository root; README.md shows it verbatim between
 * <!-- example:start --> and <!-- example:end -->. Shared by test/unit/readme-example.test.ts (wasm) and
 * test/webgpu/readme-example.test.ts, which run that file with tsx.
 */
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

export const EXAMPLE_FILE = 'example.ts';

/** The example's code: the file example.ts. */
export function exampleCode(): string {
  return readFileSync(EXAMPLE_FILE, 'utf8');
}

/** The code block README.md shows as its first example. */
export function readmeExampleBlock(): string {
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
 * Run example.ts with tsx from the repository root (so its `./lib/index.js` import resolves), with extra env.
 * `edit` runs a changed copy instead, written next to it (the webgpu suite runs fewer particles).
 */
export function runReadmeExample(
  env: Record<string, string | undefined> = {},
  timeoutMs = 120_000,
  edit?: (code: string) => string,
): ExampleRun {
  const file = edit ? `example-edited-${process.pid}-${Date.now()}.ts` : EXAMPLE_FILE;
  if (edit) writeFileSync(file, edit(exampleCode()));
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
    if (edit) rmSync(file, { force: true });
  }
}
