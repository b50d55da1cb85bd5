/**
 * The papers whose figures `sampling-lab figures <paper>` regenerates. Each paper module in this folder defines
 * its entry with definePaper (./definePaper.ts: id, title, a one-line description of each configuration, and a run
 * function that writes `figures/<id>/`); this list is the only place that imports them all.
 */
import type { PaperEntry } from './definePaper.js';
import { nfmcmcPaper } from './nfmcmc.js';
import { slipsPaper } from './slips.js';
import { amcbgPaper } from './amcbg.js';
import { lrdsPaper } from './lrds.js';

export type { ConfigName, FigureRunOptions, PaperEntry } from './definePaper.js';

export const PAPERS: PaperEntry[] = [nfmcmcPaper, slipsPaper, amcbgPaper, lrdsPaper];
