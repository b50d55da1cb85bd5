/**
 * The papers whose figures `sampling-lab figures <paper>` regenerates. Each paper module in this folder
 * adds an entry: its id, title, a one-line description of each configuration, and a run function that
 * writes `figures/<id>/`.
 */
import { nfmcmcPaper } from './nfmcmc.js';
import { slipsPaper } from './slips.js';
import { amcbgPaper } from './amcbg.js';

export type ConfigName = 'quick' | 'full';

export interface FigureRunOptions {
  config: ConfigName;
  outDir: string;
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
}

export interface PaperEntry {
  id: string;
  title: string;
  configs: Record<ConfigName, string>;
  run: (options: FigureRunOptions) => Promise<void>;
}

export const PAPERS: PaperEntry[] = [nfmcmcPaper, slipsPaper, amcbgPaper];
