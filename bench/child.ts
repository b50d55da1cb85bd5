/**
 * The child process of bench/run.ts (through bench/isolate.ts): runs ONE workload or ONE paper cell, so that its
 * peak RSS is its own, and prints the backend line then its JSON row.
 *
 *   node --import tsx bench/child.ts workload <name> [--quick] [--backend <name>]
 *   node --import tsx bench/child.ts cell <name> --reps <n> --warmup <n>
 *   node --import tsx bench/child.ts profile <cell>
 */
import { BACKENDS, type BackendName } from '../lib/core/backend.js';
import { checkInteger } from '../lib/core/validate.js';
import { timeCell } from './cellBench.js';
import { profileCell } from './profileCell.js';
import { runWorkloads, startBackend } from './workloadBench.js';
import { WORKLOADS, type WorkloadName } from './workloads.js';

const log = (line: string) => console.log(line);

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(argv: string[]): Promise<void> {
  const [kind, name, ...rest] = argv;
  if (kind === 'workload') {
    if (!(WORKLOADS as string[]).includes(name)) throw new Error(`bench child: workload "${name}", expected one of ${WORKLOADS.join(', ')}`);
    const backend = flag(rest, '--backend');
    if (backend !== undefined && !(BACKENDS as readonly string[]).includes(backend)) {
      throw new Error(`bench child: option "--backend" = "${backend}", expected one of ${BACKENDS.join(', ')}`);
    }
    await runWorkloads([name as WorkloadName], { quick: rest.includes('--quick'), backend: backend as BackendName | undefined, log });
    return;
  }
  if (kind === 'cell' || kind === 'profile') {
    const { header } = await startBackend();
    log(JSON.stringify(header));
    if (kind === 'profile') return profileCell(name, log);
    const reps = checkInteger('bench --cells', '--reps', Number(flag(rest, '--reps')), 1);
    const warmup = checkInteger('bench --cells', '--warmup', Number(flag(rest, '--warmup')), 0);
    log(JSON.stringify(await timeCell(name, { reps, warmup })));
    return;
  }
  throw new Error(`bench child: "${kind}", expected workload, cell or profile`);
}

await main(process.argv.slice(2));
