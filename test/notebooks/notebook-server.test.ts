/**
 * scripts/notebook.mjs (`npm run notebook`): the classic Jupyter Notebook starts on 127.0.0.1 with notebooks/ as its
 * root, prints its URL, offers the project's TypeScript kernel, and starts it (and it keeps running).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, assertKernelReady, missingPython } from './jupyter.js';

const skip = missingPython(['notebook', 'jupyter_client']);

test('npm run notebook: serves notebooks/ on 127.0.0.1 with the tslab kernel', { skip, timeout: 120_000 }, async () => {
  assertKernelReady();
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, [join(ROOT, 'scripts', 'notebook.mjs'), '--port', String(port)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL within 60 s:\n${log}`)), 60_000);
      const onData = (chunk: Buffer) => {
        log += chunk.toString();
        const m = /sampling-lab notebooks \(TypeScript kernel "tslab"\): (http:\/\/127\.0\.0\.1:\d+\/\S*\?token=[0-9a-f]+)/.exec(log);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('exit', (code) => reject(new Error(`notebook.mjs exited with ${code}:\n${log}`)));
    });
    const { origin, searchParams } = new URL(url);
    const token = searchParams.get('token')!;
    const api = async (path: string, init?: RequestInit) => {
      const res = await fetch(`${origin}${path}`, { ...init, headers: { Authorization: `token ${token}` } });
      assert.ok(res.ok, `${path}: HTTP ${res.status}`);
      return res.json() as Promise<Record<string, unknown>>;
    };
    assert.match(log, new RegExp(`Serving notebooks from local directory: ${join(ROOT, 'notebooks').replace(/[/.]/g, '\\$&')}`));

    const specs = (await api('/api/kernelspecs')).kernelspecs as Record<string, { spec: { argv: string[]; language: string } }>;
    assert.equal(specs.tslab?.spec.argv[0], join(ROOT, 'node_modules', '.bin', 'tslab'));
    assert.equal(specs.tslab.spec.language, 'typescript');

    // Starting a kernel through the REST API (executing code needs a websocket client: the runner tests do that).
    const kernel = await api('/api/kernels', { method: 'POST', body: JSON.stringify({ name: 'tslab' }) });
    assert.equal(kernel.name, 'tslab');
    await new Promise((r) => setTimeout(r, 3000));
    assert.match(log, new RegExp(`Kernel started: ${String(kernel.id)}, name: tslab`));
    assert.doesNotMatch(log, /KernelRestarter|died|Traceback/, log);
    const running = (await api('/api/kernels')) as unknown as { id: string }[];
    assert.ok(running.some((k) => k.id === kernel.id), 'the kernel is still running');
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
});
