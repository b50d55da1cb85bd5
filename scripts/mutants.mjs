#!/usr/bin/env node
// `npm run test:mutants`: the mutation check (a tool for people, not a CI gate). Each mutant of
// test/mutants/catalog.json (one exact replacement in one core line) is applied in a scratch copy of the project
// (/tmp/sampling-lab-mutants/<id>: the tracked tree, with node_modules and build/ linked), then the test files that
// should kill it run there one by one, cheapest first, until one fails. A mutant whose tests all pass SURVIVES: a
// test is missing, or the mutant is equivalent (explain it in test/README.md, 'Mutation check').
//
//   npm run test:mutants                              every mutant, sequentially
//   npm run test:mutants -- --only smc-dbeta,ais-increment
//   npm run test:mutants -- --list                    the catalog, checked, without running anything
//   npm run test:mutants -- --baseline                the catalog's test files on the unmutated copy (they must pass)
//   npm run test:mutants -- --timeout 600             seconds per test file (default 300, about 10x the slowest file unmutated; a timeout counts as killed)
//   npm run test:mutants -- --keep                    keep the scratch copies (and their logs)
//   npm run test:mutants -- --every-test              run all of a mutant's test files, not only up to the first
//                                                     that fails: which tests (unit, statistical) see each mutant
//   npm run test:mutants -- --head                    mutate the last commit (git archive HEAD), not the working
//                                                     tree (when others edit the tree meanwhile)
//
// Exit status: 0 whatever survives (read the table); 2 when the catalog is malformed: a `find` that does not occur
// exactly once in its file, a test substring that names no test file, a missing field. So the catalog cannot rot
// silently when the code it mutates changes.
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SCRATCH = join(process.env.TMPDIR || '/tmp', 'sampling-lab-mutants');
// The tree the mutants are made from: the working tree, or (--head) the last commit, exported once.
let SOURCE = ROOT;
// Not copied: linked (node_modules, build) or not needed by tests (git data, scratch space, generated figures).
const LINKED = ['node_modules', 'build'];
const SKIPPED = new Set(['.git', 'scratch', 'tmp', ...LINKED]);
const FIELDS = ['id', 'file', 'find', 'replace', 'tests', 'description'];

function usage(message) {
  console.error(`mutants: ${message}\nusage: node scripts/mutants.mjs [--list] [--baseline] [--only id,id...] [--timeout seconds] [--keep] [--head] [--every-test]`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { list: false, baseline: false, keep: false, head: false, everyTest: false, only: null, timeoutS: 300 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--list') opts.list = true;
    else if (a === '--baseline') opts.baseline = true;
    else if (a === '--keep') opts.keep = true;
    else if (a === '--head') opts.head = true;
    else if (a === '--every-test') opts.everyTest = true;
    else if (a === '--only') opts.only = (argv[++i] ?? usage('--only needs a comma-separated list of mutant ids')).split(',').filter(Boolean);
    else if (a === '--timeout') {
      const value = Number(argv[++i]);
      if (!(Number.isFinite(value) && value > 0)) usage(`--timeout: got ${argv[i]}, expected a positive number of seconds`);
      opts.timeoutS = value;
    } else usage(`unknown option ${a}`);
  }
  return opts;
}

function testFiles(dir = join(SOURCE, 'test')) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return testFiles(path);
    return path.endsWith('.test.ts') ? [relative(SOURCE, path)] : [];
  });
}

function occurrences(text, needle) {
  let count = 0;
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) count++;
  return count;
}

/** The catalog's mutants, or exit 2 with every problem found. */
function loadCatalog() {
  const catalog = join(SOURCE, 'test', 'mutants', 'catalog.json');
  const { mutants } = JSON.parse(readFileSync(catalog, 'utf8'));
  const problems = [];
  const ids = new Set();
  const allTests = testFiles();
  if (!Array.isArray(mutants)) problems.push('the catalog has no "mutants" array');
  for (const [index, m] of (mutants ?? []).entries()) {
    const name = `mutant ${index} (${m?.id ?? 'no id'})`;
    const missing = FIELDS.filter((f) => m?.[f] === undefined);
    if (missing.length > 0) {
      problems.push(`${name}: missing ${missing.join(', ')}`);
      continue;
    }
    if (ids.has(m.id)) problems.push(`${name}: duplicate id`);
    ids.add(m.id);
    if (m.find === m.replace) problems.push(`${name}: replace equals find (no mutation)`);
    const path = join(SOURCE, m.file);
    if (!existsSync(path)) problems.push(`${name}: file ${m.file} does not exist`);
    else {
      const count = occurrences(readFileSync(path, 'utf8'), m.find);
      if (count !== 1) problems.push(`${name}: find string occurs ${count} times in ${m.file}, expected exactly once: ${JSON.stringify(m.find)}`);
    }
    if (!Array.isArray(m.tests) || m.tests.length === 0) problems.push(`${name}: tests must be a non-empty array of path substrings`);
    else {
      for (const t of m.tests) {
        const matched = allTests.filter((f) => f.includes(t));
        if (matched.length === 0) problems.push(`${name}: test substring ${JSON.stringify(t)} names no test file`);
        if (matched.some((f) => f.startsWith('test/webgpu/'))) problems.push(`${name}: test substring ${JSON.stringify(t)} names a webgpu file (too slow here)`);
      }
    }
  }
  if (problems.length > 0) {
    console.error(`mutants: the catalog ${relative(SOURCE, catalog)} is malformed:\n  ${problems.join('\n  ')}`);
    process.exit(2);
  }
  return mutants;
}

/** A scratch copy of the project at `dir`, with `mutant` applied (none for the baseline). */
function scratchCopy(dir, mutant) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(SOURCE)) {
    if (SKIPPED.has(name)) continue;
    cpSync(join(SOURCE, name), join(dir, name), { recursive: true, filter: (src) => !src.includes(`${join(SOURCE, 'figures')}/`) });
  }
  for (const name of LINKED) if (existsSync(join(ROOT, name))) symlinkSync(join(ROOT, name), join(dir, name));
  if (mutant) {
    const path = join(dir, mutant.file);
    writeFileSync(path, readFileSync(path, 'utf8').replace(mutant.find, () => mutant.replace));
  }
}

/** Runs one test substring in `dir`; resolves to { status: 'pass' | 'fail' | 'timeout', seconds }. */
function runTests(dir, substring, timeoutS, log) {
  return new Promise((done) => {
    const started = Date.now();
    const child = spawn(process.execPath, [join(dir, 'scripts', 'run-tests.mjs'), substring], {
      cwd: dir,
      env: { ...process.env, SAMPLING_LAB_WEBGPU: 'skip' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so a timeout stops the test runner and its children
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, timeoutS * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      writeFileSync(log, `${output}\n# exit ${code}${timedOut ? ' (timed out)' : ''}\n`, { flag: 'a' });
      const seconds = (Date.now() - started) / 1000;
      done({ status: timedOut ? 'timeout' : code === 0 ? 'pass' : 'fail', seconds, failures: failedTests(output) });
    });
  });
}

/** Names of the failing tests in node:test's output (for the table). */
function failedTests(output) {
  return [...output.matchAll(/^\s*not ok \d+ - (.+)$/gm)].map((m) => m[1].trim()).filter((name) => !name.endsWith('.test.ts'));
}

async function runMutant(mutant, opts) {
  const dir = join(SCRATCH, mutant.id);
  scratchCopy(dir, mutant);
  const log = join(SCRATCH, `${mutant.id}.log`);
  writeFileSync(log, `# ${mutant.id}: ${mutant.description}\n`);
  let seconds = 0;
  const killers = [];
  for (const t of mutant.tests) {
    const r = await runTests(dir, t, opts.timeoutS, log);
    seconds += r.seconds;
    if (r.status !== 'pass') {
      killers.push(r.status === 'timeout' ? `${t} (timed out)` : `${t}${r.failures.length ? `: ${r.failures[0]}` : ''}`);
      if (!opts.everyTest) break;
    } else if (opts.everyTest) killers.push(`(${t} passes)`);
  }
  if (!opts.keep) rmSync(dir, { recursive: true, force: true });
  const killed = killers.some((k) => !k.startsWith('('));
  return { id: mutant.id, killed, by: killers.join(opts.everyTest ? '\n' + ' '.repeat(52) : '; '), seconds };
}

async function baseline(mutants, opts) {
  const dir = join(SCRATCH, 'baseline');
  scratchCopy(dir, null);
  const log = join(SCRATCH, 'baseline.log');
  writeFileSync(log, '# baseline: the unmutated project\n');
  const substrings = [...new Set(mutants.flatMap((m) => m.tests))];
  let failed = 0;
  for (const t of substrings) {
    const r = await runTests(dir, t, opts.timeoutS, log);
    if (r.status !== 'pass') failed++;
    console.log(`${r.status === 'pass' ? 'pass' : r.status.toUpperCase()}  ${r.seconds.toFixed(0).padStart(5)} s  ${t}${r.failures.length ? `: ${r.failures.join('; ')}` : ''}`);
  }
  if (!opts.keep) rmSync(dir, { recursive: true, force: true });
  console.log(`\nbaseline: ${substrings.length - failed} of ${substrings.length} test files pass unmutated (log: ${log})`);
}

/** The last commit's files in SCRATCH/head (git archive: tracked files only, as committed). */
function exportHead() {
  const dir = join(SCRATCH, 'head');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('sh', ['-c', `git -C "${ROOT}" archive HEAD | tar -x -C "${dir}"`], { encoding: 'utf8' });
  if (r.status !== 0) usage(`--head: git archive HEAD failed: ${r.stderr}`);
  const commit = spawnSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
  console.log(`mutating commit ${commit} (exported to ${dir})`);
  return dir;
}

const opts = parseArgs(process.argv.slice(2));
if (opts.head) {
  mkdirSync(SCRATCH, { recursive: true });
  SOURCE = exportHead();
}
let mutants = loadCatalog();
if (opts.only) {
  const unknown = opts.only.filter((id) => !mutants.some((m) => m.id === id));
  if (unknown.length > 0) usage(`--only: unknown mutant id(s) ${unknown.join(', ')}; see --list`);
  mutants = mutants.filter((m) => opts.only.includes(m.id));
}
if (opts.list) {
  for (const m of mutants) console.log(`${m.id.padEnd(32)} ${m.file}\n${''.padEnd(32)} ${m.description}\n${''.padEnd(32)} tests: ${m.tests.join(', ')}`);
  console.log(`\n${mutants.length} mutants; every find string occurs exactly once.`);
  process.exit(0);
}
mkdirSync(SCRATCH, { recursive: true });
if (opts.baseline) {
  await baseline(mutants, opts);
  process.exit(0);
}

const started = Date.now();
const results = [];
for (const [i, m] of mutants.entries()) {
  process.stdout.write(`[${i + 1}/${mutants.length}] ${m.id} ... `);
  const r = await runMutant(m, opts);
  results.push(r);
  console.log(`${r.killed ? 'killed' : 'SURVIVED'} (${r.seconds.toFixed(0)} s)${r.by ? `: ${r.by}` : ''}`);
}
const killed = results.filter((r) => r.killed).length;
console.log('\nmutant                            result     time   killed by');
for (const r of results) console.log(`${r.id.padEnd(33)} ${(r.killed ? 'killed' : 'SURVIVED').padEnd(9)} ${`${r.seconds.toFixed(0)} s`.padStart(6)}   ${r.by}`);
const survivors = results.filter((r) => !r.killed).map((r) => r.id);
console.log(
  `\nkill rate: ${killed}/${results.length} (${((100 * killed) / Math.max(1, results.length)).toFixed(0)}%) in ` +
    `${((Date.now() - started) / 60000).toFixed(1)} min; logs in ${SCRATCH}/<id>.log`,
);
if (survivors.length > 0) console.log(`survivors: ${survivors.join(', ')} (each needs a test, or an explanation as an equivalent mutant)`);
