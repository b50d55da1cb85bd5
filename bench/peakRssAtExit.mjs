// Preload (`node --import ./bench/peakRssAtExit.mjs script`): when the process exits, write its peak resident set
// size, `process.resourceUsage().maxRSS` (KiB on Linux), as JSON to the file SAMPLING_LAB_PEAK_RSS_FILE names.
// bench/isolate.ts runs each workload, paper cell and `figures` run in its own process with it.
import { writeFileSync } from 'node:fs';

const file = process.env.SAMPLING_LAB_PEAK_RSS_FILE;
if (file) {
  process.on('exit', (code) => {
    writeFileSync(file, JSON.stringify({ peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024), exitCode: code }));
  });
}
