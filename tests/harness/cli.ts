/**
 * Runs the compiled `shelfstream` CLI as a child process, as an operator would: end-to-end
 * tests kill it with SIGKILL, restart it, and read what it left in Kafka and ClickHouse.
 * A child still running when the test file ends is killed by the registered cleanup.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { REPO_ROOT } from '../../lib/paths';
import { registerCleanup } from './fixtures';

/** Of a long stderr, the tail is printed when the child fails: the error is at the end. */
const STDERR_TAIL_CHARS = 6_000;

export interface CliOptions {
  readonly env: NodeJS.ProcessEnv;
  /** Called with every whole stderr line (the CLI logs JSON lines there), e.g. to count events. */
  readonly onStderrLine?: (line: string) => void;
}

export interface CliRun {
  readonly child: ChildProcess;
  /** The exit code, or null after a signal; a non-zero code also prints the stderr tail. */
  readonly exited: Promise<number | null>;
  /** What the child wrote on stdout so far. */
  stdout(): string;
}

export function startCli(args: readonly string[], options: CliOptions): CliRun {
  const child = spawn(process.execPath, ['bin/shelfstream.js', ...args], { cwd: REPO_ROOT, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  registerCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => {
    const text = d.toString();
    stderr = (stderr + text).slice(-STDERR_TAIL_CHARS);
    if (!options.onStderrLine) return;
    // A line can be split across chunks: only whole lines are handed on.
    const lines = (partial + text).split('\n');
    partial = lines.pop()!;
    for (const line of lines) options.onStderrLine(line);
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      if (code !== 0 && code !== null) process.stderr.write(`shelfstream ${args.slice(0, 3).join(' ')} exited with ${code}:\n${stderr}\n`);
      resolve(code);
    }),
  );
  return { child, exited, stdout: () => stdout };
}

/** Runs the CLI to its end and returns its stdout; a non-zero exit is an error. */
export async function runCli(args: readonly string[], options: CliOptions): Promise<string> {
  const run = startCli(args, options);
  const code = await run.exited;
  if (code !== 0) throw new Error(`shelfstream ${args.join(' ')} exited with ${String(code)}`);
  return run.stdout();
}
