/**
 * Waiting on what a child process prints, instead of on the wall clock: a test that polls with a deadline fails
 * when the machine is loaded, one that waits for the child's own line does not (the test's timeout only guards
 * against a hang).
 */
import type { ChildProcess } from 'node:child_process';

/**
 * Resolves with `found(output)` as soon as it is defined, `output` being everything the child has written to stdout
 * and stderr so far (the child needs stdio 'pipe'); rejects, with that output, if the child exits first.
 * `what` names the awaited event in that error.
 */
export function waitForOutput<T>(child: ChildProcess, what: string, found: (output: string) => T | undefined): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let output = '';
    const stop = () => {
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('close', onExit);
    };
    const onData = (chunk: Buffer | string) => {
      output += String(chunk);
      const value = found(output);
      if (value !== undefined) {
        stop();
        resolve(value);
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      stop();
      reject(new Error(`waiting for ${what}: the child exited (code ${code}, signal ${signal}) first; its output:\n${output}`));
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('close', onExit); // after its output is all read, unlike 'exit'
    if (child.exitCode !== null || child.signalCode !== null) onExit(child.exitCode, child.signalCode);
  });
}

/** The largest `step N` the output reports, if it exceeds `after` (the children of the checkpoint-kill tests). */
export function stepPast(after: number): (output: string) => number | undefined {
  return (output) => {
    const last = Math.max(0, ...[...output.matchAll(/step (\d+)/g)].map((m) => Number(m[1])));
    return last > after ? last : undefined;
  };
}
