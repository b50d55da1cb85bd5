/**
 * Helpers shared by the long-running async loops (the run driver `runChain`, SMC, the trainers' `fit`): yielding
 * to the event loop between chunks, and a one-line terminal progress bar written to stderr.
 */

/** Let timers, I/O and abort events run (between chunks, SMC levels, training steps). */
export function yieldToEventLoop(): Promise<void> {
  return typeof setImmediate === 'function'
    ? new Promise((resolve) => setImmediate(resolve))
    : new Promise((resolve) => setTimeout(resolve, 0));
}

/** `mm:ss`, or `h:mm:ss` past an hour; `--:--` for an unknown (non-finite) duration. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '--:--';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (x: number) => String(x).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

/**
 * One line: `[#####-----]  50% 500/1000  123.4 it/s  ETA 00:04` followed by `  <suffix>` when a suffix is
 * given (the loop's own figures: `acc 0.570`, `loss 1.234  lr 1.0e-3`). No newline.
 */
export function formatProgressLine(step: number, numSteps: number, stepsPerSecond: number, suffix = '', width = 30): string {
  const fraction = numSteps > 0 ? step / numSteps : 1;
  const filled = Math.round(fraction * width);
  const eta = stepsPerSecond > 0 ? ((numSteps - step) / stepsPerSecond) * 1000 : Infinity;
  const line =
    `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}% ` +
    `${step}/${numSteps}  ${stepsPerSecond.toFixed(1)} it/s  ETA ${formatDuration(eta)}`;
  return suffix ? `${line}  ${suffix}` : line;
}

/** Write to stderr where there is one (Node); a no-op elsewhere (browsers). */
export function writeStderr(text: string): void {
  const stderr = (globalThis as { process?: { stderr?: { write(s: string): unknown } } }).process?.stderr;
  stderr?.write(text);
}
