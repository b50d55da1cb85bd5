/**
 * scripts/notebook.mjs (`npm run notebook`): the classic Jupyter Notebook starts on 127.0.0.1 with notebooks/ as its
 * root, announces its URL with its token (whatever the token), offers the project's TypeScript kernel and starts it;
 * a SIGTERM to its process group stops Jupyter, which shuts the kernel down first (no orphaned kernel).
 *
 * The tests wait on events (a log line, the kernel's state through the REST API, the processes' exits), never on a
 * fixed sleep; each test's timeout only guards against a hang.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PYTHON, ROOT, assertKernelReady, missingPython, run } from './jupyter.js';
import { waitForOutput } from '../helpers/child-output.js';

const skip = missingPython(['notebook', 'jupyter_client']);
/**
 * Python: connect to a kernel by its connection file, ask kernel_info, print the reply's content (zmq queues the
 * request until the kernel's socket is up; no heartbeat: wait_for_ready needs one already beating).
 */
const KERNEL_INFO = [
  'import json, sys',
  'from jupyter_client import BlockingKernelClient',
  'c = BlockingKernelClient(connection_file=sys.argv[1])',
  'c.load_connection_file()',
  'c.start_channels(hb=False)',
  'c.kernel_info()',
  'print(json.dumps(c.get_shell_msg(timeout=240)["content"]))',
  'c.stop_channels()',
].join('\n');
const ANNOUNCED = /sampling-lab notebooks \(TypeScript kernel "tslab"\): (http:\/\/127\.0\.0\.1:\d+\/\S*)/;

interface Server {
  child: ChildProcess;
  url: URL;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  log: () => string;
}

/** Starts `npm run notebook` (node scripts/notebook.mjs) in its own process group; resolves once it announces its URL. */
async function startServer(extraArgs: string[]): Promise<Server> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, [join(ROOT, 'scripts', 'notebook.mjs'), '--port', String(port), ...extraArgs], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // a process group of its own, as a terminal gives it
  });
  let log = '';
  child.stdout!.on('data', (d) => (log += String(d)));
  child.stderr!.on('data', (d) => (log += String(d)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  try {
    const url = await waitForOutput(child, 'the announced URL', (output) => ANNOUNCED.exec(output)?.[1]);
    return { child, url: new URL(url), exited, log: () => log };
  } catch (err) {
    process.kill(-child.pid!, 'SIGKILL');
    throw err;
  }
}

/** Resolves once the server's log matches `pattern` (now, or when the line arrives). */
async function logged(server: Server, pattern: RegExp): Promise<void> {
  if (pattern.test(server.log())) return;
  // server.log's listeners were attached first, so it already holds each chunk this one sees.
  await waitForOutput(server.child, `a log line matching ${pattern}`, () => (pattern.test(server.log()) ? true : undefined));
}

/** SIGTERM to the server's process group (what a terminal's hang-up or `kill -TERM -<pgid>` does); its exit. */
async function stopGroup(server: Server) {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return server.exited;
  process.kill(-server.child.pid!, 'SIGTERM');
  return server.exited;
}

function api(server: Server, token: string | null) {
  return async (path: string, init?: RequestInit) => {
    const res = await fetch(`${server.url.origin}${path}`, { ...init, headers: token == null ? {} : { Authorization: `token ${token}` } });
    assert.ok(res.ok, `${path}: HTTP ${res.status}`);
    return res.json() as Promise<Record<string, unknown>>;
  };
}

/** The pids of the processes whose command line names `needle` (the kernel: its connection file kernel-<id>.json). */
function pidsWith(needle: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle);
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test(
  'npm run notebook: serves notebooks/ on 127.0.0.1 with the tslab kernel; SIGTERM to its group shuts the kernel down',
  { skip, timeout: 300_000 },
  async () => {
    assertKernelReady();
    // A token that is not hex, and that Jupyter's log masks: the announcement must still carry it.
    const token = `lab-${Math.random().toString(36).slice(2)}_X`;
    const server = await startServer([`--NotebookApp.token=${token}`]);
    let kernelPids: number[] = [];
    try {
      assert.equal(server.url.searchParams.get('token'), token, `announced ${server.url}`);
      const get = api(server, token);
      assert.match(server.log(), new RegExp(`Serving notebooks from local directory: ${join(ROOT, 'notebooks').replace(/[/.]/g, '\\$&')}`));

      const specs = (await get('/api/kernelspecs')).kernelspecs as Record<string, { spec: { argv: string[]; language: string } }>;
      assert.equal(specs.tslab?.spec.argv[0], join(ROOT, 'node_modules', '.bin', 'tslab'));
      assert.equal(specs.tslab.spec.language, 'typescript');

      // Starting a kernel through the REST API (executing code needs a websocket client: the runner tests do that).
      const kernel = await get('/api/kernels', { method: 'POST', body: JSON.stringify({ name: 'tslab' }) });
      assert.equal(kernel.name, 'tslab');
      await logged(server, new RegExp(`Kernel started: ${String(kernel.id)}, name: tslab`)); // the log trails the reply
      kernelPids = pidsWith(`kernel-${String(kernel.id)}.json`);
      assert.ok(kernelPids.length >= 1, `a process runs the kernel ${String(kernel.id)}`);
      // Ready = it answers a kernel_info request on its shell channel (jupyter_client; the 240 s is a hang guard).
      const connectionFile = join(ROOT, '.jupyter', 'runtime', `kernel-${String(kernel.id)}.json`);
      const ready = await run(PYTHON, ['-c', KERNEL_INFO, connectionFile], { timeoutMs: 300_000 });
      assert.equal(ready.code, 0, `the kernel answers kernel_info:\n${ready.stdout}\n${ready.stderr}`);
      assert.match(ready.stdout, /"implementation": "tslab"/);
      assert.doesNotMatch(server.log(), /KernelRestarter|died|Traceback/, server.log());
      const running = (await get('/api/kernels')) as unknown as { id: string }[];
      assert.ok(running.some((k) => k.id === kernel.id), 'the kernel is listed as running');
      assert.ok(kernelPids.every(alive), 'the kernel process still runs');

      const { code } = await stopGroup(server);
      assert.equal(code, 0, `notebook.mjs exits 0 after SIGTERM:\n${server.log()}`);
      assert.match(server.log(), /received signal 15, stopping/);
      assert.equal(server.log().match(/received signal 15/g)?.length, 1, 'Jupyter gets one SIGTERM, not one per process');
      assert.match(server.log(), /Shutting down 1 kernel/);
      assert.doesNotMatch(server.log(), /KernelRestarter|died|Traceback/, server.log());
      // Jupyter waits for its kernels to end before it exits, so they are gone by now.
      assert.deepEqual(kernelPids.filter(alive), [], `no orphaned kernel process:\n${server.log()}`);
      assert.deepEqual(pidsWith(`kernel-${String(kernel.id)}.json`), []);
    } finally {
      await stopGroup(server);
      for (const pid of kernelPids.filter(alive)) process.kill(pid, 'SIGKILL'); // an orphan of a failed run
    }
  },
);

test('npm run notebook: announces the URL with the generated token, and without one when the token is empty', { skip, timeout: 300_000 }, async () => {
  const generated = await startServer([]);
  try {
    const token = generated.url.searchParams.get('token');
    assert.match(token ?? '', /^[0-9a-f]{32,}$/, `announced ${generated.url}`);
    assert.ok(Array.isArray(await api(generated, token)('/api/kernels')));
  } finally {
    assert.equal((await stopGroup(generated)).code, 0);
  }
  const open = await startServer(['--NotebookApp.token=']);
  try {
    assert.equal(open.url.search, '', `announced ${open.url}`);
    assert.ok(Array.isArray(await api(open, null)('/api/kernels')));
  } finally {
    assert.equal((await stopGroup(open)).code, 0);
  }
});
