/**
 * `npm run bench -- --figures <paper>`: run `sampling-lab figures <paper> --quick` in its own process
 * (bench/isolate.ts, its progress lines passed through to stderr) and print its wall time and peak RSS as one JSON
 * line. It runs in a scratch working directory (with links to the repository's node_modules and data), so the
 * figures it writes there leave the committed figures/<paper>/ alone; the directory is removed afterwards.
 */
import os from 'node:os';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, runIsolated } from './isolate.js';
import { round } from './timing.js';

export async function figuresPeakRss(paper: string, log: (line: string) => void): Promise<boolean> {
  const loadBefore = os.loadavg()[0];
  const cwd = mkdtempSync(join(os.tmpdir(), 'sampling-lab-figures-'));
  for (const dir of ['node_modules', 'data']) symlinkSync(join(REPO_ROOT, dir), join(cwd, dir));
  let run;
  try {
    run = await runIsolated(join(REPO_ROOT, 'lib', 'cli.ts'), ['figures', paper, '--quick'], { echo: true, cwd });
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
  log(
    JSON.stringify({
      figures: paper,
      config: 'quick',
      seconds: round(run.seconds, 1),
      peakRssMb: run.peakRssMb,
      exitCode: run.exitCode,
      loadavg: [round(loadBefore, 2), round(os.loadavg()[0], 2)],
    }),
  );
  return run.exitCode === 0;
}
