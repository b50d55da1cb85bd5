#!/usr/bin/env node
// CI's figure check: regenerate one paper's quick figures in place and fail if any file of figures/<paper>/ differs
// from the committed one, or a file appears. The figures are deterministic: same seeds, same code, same bytes (SVG
// from Vega, PNG from resvg with the DejaVu fonts, CSV, Vega-Lite JSON and run-info.json); the run's timings go to
// timings.json, which git ignores.
//
//   node scripts/check-figures.mjs            amcbg (the cheapest paper: about 3 minutes on 2 cores)
//   node scripts/check-figures.mjs slips      another paper
//
// It refuses to run when figures/<paper>/ has uncommitted changes (it would overwrite them); a clean tree stays
// clean.
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PAPERS = ['amcbg', 'nfmcmc', 'slips'];
const paper = process.argv[2] ?? 'amcbg';
if (!PAPERS.includes(paper)) die(`unknown paper "${paper}", expected one of ${PAPERS.join(', ')}`);
const dir = `figures/${paper}`;

function die(message) {
  console.error(`check-figures: ${message}`);
  process.exit(1);
}

function git(...args) {
  const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) die(`git ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** `git status --porcelain` lines of dir (timings.json is ignored). */
const changes = () => git('status', '--porcelain', '--untracked-files=all', '--', dir).split('\n').filter((l) => l);

const before = changes();
if (before.length) die(`${dir} has uncommitted changes; commit them first:\n${before.join('\n')}`);

const began = Date.now();
const run = spawnSync(process.execPath, ['--import', 'tsx', 'lib/cli.ts', 'figures', paper, '--quick'], { cwd: ROOT, stdio: 'inherit' });
if (run.status !== 0) die(`figures ${paper} --quick failed (exit ${run.status ?? run.signal})`);
const seconds = ((Date.now() - began) / 1000).toFixed(0);

const after = changes();
if (after.length) {
  console.error(`check-figures: ${dir} regenerated (${seconds} s) differs from the committed files:\n${after.join('\n')}`);
  console.error(git('diff', '--stat', '--', dir));
  console.error('A change that moves the figures must commit them (npm run figures -- ' + paper + ' --quick); one that should not has made them depend on something other than the code and the seeds.');
  process.exit(1);
}
console.log(`check-figures: ${dir} regenerated in ${seconds} s, byte for byte the committed files`);
