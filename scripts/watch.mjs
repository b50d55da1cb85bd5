#!/usr/bin/env node
// `npm run watch -- <paper>`: re-run a paper's quick figures (`sampling-lab figures <paper> --quick`) each time a
// file under lib/ changes, with nodemon. `npm run watch -- all` watches every paper.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const paper = process.argv[2];
if (!paper || paper.startsWith('-')) {
  console.error('usage: npm run watch -- <paper|all>   (papers: npm run sampling-lab -- --help)');
  process.exit(2);
}
const require = createRequire(import.meta.url);
const nodemon = require.resolve('nodemon/bin/nodemon.js');
const args = [nodemon, '--watch', 'lib', '--ext', 'ts,json,csv', '--signal', 'SIGINT', '--exec', `tsx lib/cli.ts figures ${paper} --quick`];
const child = spawn(process.execPath, args, { stdio: 'inherit' });
child.on('exit', (code) => process.exit(code ?? 0));
