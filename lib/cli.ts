/**
 * sampling-lab command line:
 *   sampling-lab backend                          which backend is in use, and why each other was skipped
 *   sampling-lab figures <paper|all> [--quick|--full]   (figures --help: the papers and the options)
 *   sampling-lab bench [--quick] [--vs-torch] [--only a,b]
 */
import { join } from 'node:path';
import { initBackend, formatBackendReport } from './core/backend.js';
import { PAPERS, type ConfigName } from './experiments/registry.js';
import { lastRunSeconds, paperEta } from './experiments/progress.js';

/** The papers `figures` knows, with what their quick and full configs run. */
function papersList(): string {
  return PAPERS.length
    ? PAPERS.map((p) => `  ${p.id.padEnd(12)} ${p.title}\n      quick: ${p.configs.quick}\n      full:  ${p.configs.full}`).join('\n')
    : '  (none yet: `figures all` prints the backend report and runs the quick benchmark)';
}

function usage(): string {
  const papers = papersList();
  return `usage: sampling-lab <command>

commands:
  backend                              print the backend in use and why each other one was skipped
  figures <paper|all> [--quick|--full] regenerate a paper's figures into figures/<paper>/ (default --quick)
  bench [--quick] [--vs-torch] [--only a,b]
                                       time the standard workloads; --vs-torch runs the PyTorch peer after

environment:
  SAMPLING_LAB_BACKEND=tensorflow|webgpu|wasm|cpu   force a backend (fails clearly if it cannot start)

papers:
${papers}`;
}

const HELP_FLAGS = ['--help', '-h'];

function figuresUsage(): string {
  return `usage: sampling-lab figures <paper|all> [--quick|--full]

Regenerates a paper's figures (SVG, PNG, the CSV behind each chart, run-info.json; timings in timings.json)
into figures/<paper>/.
  --quick   small configs: minutes per paper on 2 CPU cores (the default)
  --full    the paper's settings (each paper's full config, below)
  --help    this text
Each progress line starts with the paper's elapsed time and, when figures/<paper>/timings.json holds a run of
the same config on this machine, an ETA from that run.

papers:
${papersList()}`;
}

async function figures(args: string[]): Promise<void> {
  if (args.some((a) => HELP_FLAGS.includes(a))) {
    console.log(figuresUsage());
    return;
  }
  const target = args.find((a) => !a.startsWith('-'));
  const flags = args.filter((a) => a.startsWith('-'));
  const bad = flags.filter((f) => f !== '--quick' && f !== '--full');
  if (bad.length) throw new Error(`figures: unknown option "${bad[0]}", expected --quick, --full or --help`);
  if (flags.includes('--quick') && flags.includes('--full')) throw new Error('figures: give --quick or --full, not both');
  const config: ConfigName = flags.includes('--full') ? 'full' : 'quick';
  if (!target) throw new Error(`figures: missing <paper>, expected "all" or one of: ${PAPERS.map((p) => p.id).join(', ') || '(none yet)'}`);
  const chosen = target === 'all' ? PAPERS : PAPERS.filter((p) => p.id === target);
  if (chosen.length === 0 && target !== 'all') {
    throw new Error(`figures: paper "${target}" is unknown, expected "all" or one of: ${PAPERS.map((p) => p.id).join(', ') || '(none yet)'}`);
  }
  const report = await initBackend();
  console.log(formatBackendReport(report));
  if (chosen.length === 0) {
    console.log('\nno paper modules yet: running the quick benchmark instead');
    const { runBench, parseBenchArgs } = await import('../bench/run.js');
    await runBench(parseBenchArgs(['--quick']));
    return;
  }
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  for (const paper of chosen) {
    const t0 = performance.now();
    const outDir = join('figures', paper.id);
    const expected = lastRunSeconds(outDir, config);
    const last = expected === undefined ? '' : ` (last ${config} run: ${expected.toFixed(0)} s)`;
    console.log(`\n== ${paper.id} (${config}): ${paper.configs[config]}${last}`);
    await paper.run({
      config,
      outDir,
      onProgress: (m) => console.log(`  ${paperEta((performance.now() - t0) / 1000, expected)} ${m}`),
      signal: controller.signal,
    });
    console.log(`== ${paper.id} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
}

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'backend':
      // verbose: also what Dawn and its drivers printed while webgpu was tried (kept off every other command)
      console.log(formatBackendReport(await initBackend(), { verbose: true }));
      return;
    case 'figures':
      return figures(rest);
    case 'bench': {
      const { runBench, parseBenchArgs } = await import('../bench/run.js');
      await runBench(parseBenchArgs(rest));
      return;
    }
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      console.log(usage());
      return;
    default:
      throw new Error(`unknown command "${command}", expected backend, figures, bench or --help\n\n${usage()}`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`sampling-lab: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
