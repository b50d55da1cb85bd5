/**
 * What every paper module shares, behind one helper: `definePaper({ id, title, configs, configFor, check,
 * experiments, figures, runInfo })` turns a paper's particulars into
 *
 * - `resolveConfig(config)`: the configuration for a name ('quick', 'full') or a hand-made object, checked;
 * - `runExperiments(config, { key?, onProgress?, signal? })`: every figure's experiment from the root key
 *   (default key(config.seed)), timed, with progress and abort (./progress.ts);
 * - `writeFigures(results, outDir)`: the figures (SVG, PNG, Vega-Lite spec and CSV through saveFigure), the tables
 *   as CSV, `run-info.json` (paper, configuration, backend, the paper's extra fields) and `timings.json` (the
 *   run's seconds, and the timing columns of the tables, ./timingColumns.ts, per table and row) into outDir. Every
 *   file but timings.json is the same from run to run (scripts/check-figures.mjs checks it in CI), and timings.json
 *   is not committed (.gitignore), so regenerating the figures on a clean checkout leaves `git status` clean;
 * - the registry entry (`id`, `title`, `configs`, `run`) that `sampling-lab figures <paper>` calls.
 *
 * This module imports no paper, so the paper modules and ./registry.ts (which lists them) form no circle.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type * as aq from 'arquero';
import { key as makeKey, type Key } from '../core/random.js';
import { toCsv } from '../viz/csv.js';
import { saveFigure } from '../viz/saveFigure.js';
import { throwIfAborted, type ExperimentOptions } from './progress.js';
import { splitTimingColumns, type TableTimings } from './timingColumns.js';


/** The file of a figures folder that holds the run's timings (not committed: .gitignore). */
export const TIMINGS_FILE = 'timings.json';
/** The configurations every paper offers: `figures <paper> --quick` (CPU, minutes) or `--full` (the paper's scale). */
export type ConfigName = 'quick' | 'full';

export interface FigureRunOptions {
  config: ConfigName;
  outDir: string;
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
}

/** A paper as the command line sees it: `sampling-lab figures <id> [--quick|--full]` calls `run`. */
export interface PaperEntry {
  id: string;
  title: string;
  /** A one-line description of each configuration (printed by `--help` and before a run). */
  configs: Record<ConfigName, string>;
  /** Run the experiments of the named configuration and write the figures into `outDir`. */
  run: (options: FigureRunOptions) => Promise<void>;
}

/** What every paper's results hold besides its experiments' own: the configuration and the total time. */
export interface PaperResults<Config> {
  config: Config;
  /** Seconds spent in `runExperiments` (all experiments). */
  seconds: number;
}

export interface RunPaperOptions extends ExperimentOptions {
  /** Root key (default key(config.seed)). */
  key?: Key;
}

/** The figure and table writers `figures` gets, bound to the output folder; each records the paths it writes. */
export interface FigureOutput {
  /** `<name>.svg`, `<name>.png`, `<name>.vl.json` and the CSV of each of the spec's tables (saveFigure). */
  figure(name: string, spec: Parameters<typeof saveFigure>[0]): Promise<void>;
  /** `<name>.csv`: an arquero table or an array of row objects (timing columns go to timings.json instead). */
  table(name: string, rows: aq.ColumnTable | readonly unknown[]): void;
}

/** The fields particular to a paper: its timings (timings.json, after `total`) and extra fields (run-info.json). */
export interface PaperRunInfo {
  seconds: Record<string, number>;
  [field: string]: unknown;
}

export interface PaperDefinition<Config extends { seed: number }, Results extends PaperResults<Config>> {
  id: string;
  title: string;
  configs: Record<ConfigName, string>;
  /** A fresh copy of the named configuration (an unknown name throws, naming the known ones). */
  configFor: (name: string) => Config;
  /** Check a configuration field by field (errors name the field, the value and what was expected); returns it. */
  check: (config: Config) => Config;
  /** Run every figure's experiment from `root` (derive each one's key with foldIn). */
  experiments: (config: Config, root: Key, options: ExperimentOptions) => Promise<Omit<Results, keyof PaperResults<Config>>>;
  /** Write the figures and tables through `out`, in the order they should be listed. */
  figures: (results: Results, out: FigureOutput) => Promise<void>;
  /** The paper's own fields: `{ seconds: { S1: ..., ... } }` for timings.json, `...extra` for run-info.json. */
  runInfo: (results: Results) => PaperRunInfo;
}

export interface Paper<Config, Results> extends PaperEntry {
  /** The configuration object for a name or a hand-made object (checked). */
  resolveConfig: (config: Config | string) => Config;
  /** Run every figure's experiment. */
  runExperiments: (config: Config | string, options?: RunPaperOptions) => Promise<Results>;
  /**
   * Write every figure, the tables behind them as CSV and `run-info.json` (configuration, backend, timings) into
   * `outDir`. Returns the paths.
   */
  writeFigures: (results: Results, outDir: string) => Promise<string[]>;
}

export function definePaper<Config extends { seed: number }, Results extends PaperResults<Config>>(
  definition: PaperDefinition<Config, Results>,
): Paper<Config, Results> {
  const { id, title, configs } = definition;

  const resolveConfig = (config: Config | string): Config =>
    definition.check(typeof config === 'string' ? definition.configFor(config) : config);

  const runExperiments = async (config: Config | string, options: RunPaperOptions = {}): Promise<Results> => {
    const resolved = resolveConfig(config);
    const root = options.key ?? makeKey(resolved.seed);
    throwIfAborted(options.signal, id);
    const began = performance.now();
    const parts = await definition.experiments(resolved, root, options);
    return { config: resolved, ...parts, seconds: (performance.now() - began) / 1000 } as Results;
  };

  const writeFigures = async (results: Results, outDir: string): Promise<string[]> => {
    mkdirSync(outDir, { recursive: true });
    const written: string[] = [];
    const tableSeconds: Record<string, TableTimings> = {};
    const out: FigureOutput = {
      async figure(name, spec) {
        const saved = await saveFigure(spec, join(outDir, name));
        written.push(saved.svg, saved.png, saved.vl, ...saved.csv);
      },
      table(name, rows) {
        const path = join(outDir, `${name}.csv`);
        const split = splitTimingColumns(Array.isArray(rows) ? rows : (rows as aq.ColumnTable).objects());
        writeFileSync(path, toCsv(split.rows));
        if (split.timings) tableSeconds[name] = split.timings;
        written.push(path);
      },
    };
    await definition.figures(results, out);
    const { seconds, ...extra } = definition.runInfo(results);
    const info = { paper: title, config: results.config, backend: tf.getBackend(), ...extra };
    const timings = {
      config: (results.config as { name?: unknown }).name,
      seconds: { total: results.seconds, ...seconds },
      // per table (`<name>.csv`), per timing column: one value per CSV row
      ...(Object.keys(tableSeconds).length > 0 ? { tableSeconds } : {}),
    };
    for (const [file, content] of [['run-info.json', info], [TIMINGS_FILE, timings]] as const) {
      const path = join(outDir, file);
      writeFileSync(path, JSON.stringify(content, null, 1) + '\n');
      written.push(path);
    }
    return written;
  };

  const run = async (options: FigureRunOptions): Promise<void> => {
    const results = await runExperiments(options.config, { onProgress: options.onProgress, signal: options.signal });
    const written = await writeFigures(results, options.outDir);
    options.onProgress?.(`wrote ${written.length} files to ${options.outDir} (experiments ${results.seconds.toFixed(0)} s)`);
  };

  return { id, title, configs, run, resolveConfig, runExperiments, writeFigures };
}
