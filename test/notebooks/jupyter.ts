/**
 * Shared by the notebook tests: where things are, whether Debian's Jupyter is installed (the tests skip with this
 * reason when it is not; CI installs it), and a promise-based child-process runner.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Debian's Python with Jupyter (SAMPLING_LAB_JUPYTER_PYTHON overrides it, as in scripts/setup-kernel.mjs). */
export const PYTHON = process.env.SAMPLING_LAB_JUPYTER_PYTHON || '/usr/bin/python3';
export const FIXTURES = join(ROOT, 'test', 'fixtures', 'notebooks');
export const RUNNER = join(ROOT, 'tools', 'run_notebooks.py');
export const JUPYTER_DATA_DIR = join(ROOT, '.jupyter', 'share', 'jupyter');
export const KERNEL_SPEC = join(JUPYTER_DATA_DIR, 'kernels', 'tslab', 'kernel.json');
export const APT_HINT =
  'apt-get install jupyter-notebook jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel python3-jupyter-kernel-test';

/** A skip reason when /usr/bin/python3 lacks the given modules (Debian's Jupyter), else false. */
export function missingPython(modules: string[] = ['nbclient', 'nbconvert', 'jupyter_client']): string | false {
  const r = spawnSync(PYTHON, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8' });
  if (r.error == null && r.status === 0) return false;
  return `Debian's Jupyter is not installed (${PYTHON} cannot import ${modules.join(', ')}): ${APT_HINT}`;
}

/** A skip reason when Chromium is missing, else false. */
export function missingChromium(path = '/usr/bin/chromium'): string | false {
  return existsSync(path) ? false : `${path} is missing: apt-get install chromium`;
}

/**
 * Checks what the tests need beyond Jupyter itself, and throws (the tests then FAIL, they do not skip) when the
 * project's setup is incomplete: that is a bug of the install, not a missing optional tool.
 */
export function assertKernelReady(): void {
  const patch = spawnSync(process.execPath, [join(ROOT, 'scripts', 'patch-tslab.cjs'), '--check'], { encoding: 'utf8' });
  if (patch.status !== 0) throw new Error(`tslab is not patched: ${patch.stderr.trim()}`);
  if (!existsSync(KERNEL_SPEC)) {
    throw new Error(`${KERNEL_SPEC} is missing: the tslab kernel is not registered (node scripts/setup-kernel.mjs --strict)`);
  }
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Run a command to completion (asynchronously, so several can run at once). */
export function run(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  const t0 = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`${cmd} ${args.join(' ')} still running after ${options.timeoutMs} ms\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 180_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

/** tools/run_notebooks.py with the given arguments. */
export function runNotebooks(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<RunResult> {
  return run(PYTHON, [RUNNER, ...args], { env });
}
