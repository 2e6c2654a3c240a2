/**
 * Starts, finds and stops the native service processes. Each service runs detached in its own
 * process group (so stopping it also stops anything it forked), logs to a file, and is
 * remembered by a pid file that also records a marker from its command line: a pid file left
 * behind by a crash is never trusted unless the live process with that pid really is ours.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ProcessSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd: string;
  /** A string that appears in the process's command line and nowhere else (a data path, a
   *  -D property), used to recognise the process after a restart of the launcher. */
  readonly marker: string;
}

interface PidFile {
  readonly pid: number;
  readonly marker: string;
  readonly startedAt: string;
  readonly command: string;
}

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface RunningProcess {
  readonly pid: number;
  readonly startedAt: string;
}

/** A process this supervisor spawned, as seen from the spawning process. */
export interface StartedProcess extends RunningProcess {
  /** Byte offset in the (appended) log file where this run's output begins. */
  readonly logOffset: number;
  /**
   * How the process ended, once this process has handled its exit, waiting up to `waitMs` for
   * that: /proc can show the process gone before the event loop has run its 'exit' event.
   * Undefined if it did not end in that time (or ended unwatched).
   */
  exit(waitMs: number): Promise<ExitStatus | undefined>;
}

/** How long after its start a recorded process may still show the launcher's command line (ms). */
const EXEC_GRACE_MS = 10_000;

export class Supervisor {
  constructor(private readonly runDir: string) {}

  logFile(name: string): string {
    return join(this.runDir, 'logs', `${name}.log`);
  }

  private pidPath(name: string): string {
    return join(this.runDir, 'pids', `${name}.json`);
  }

  /** The live process recorded for `name`, or undefined (clearing a stale pid file). */
  find(name: string): RunningProcess | undefined {
    const path = this.pidPath(name);
    if (!existsSync(path)) return undefined;
    let record: PidFile;
    try {
      record = JSON.parse(readFileSync(path, 'utf8')) as PidFile;
    } catch {
      rmSync(path, { force: true });
      return undefined;
    }
    const commandLine = commandLineOf(record.pid);
    // Right after spawn the child is still the forked launcher, not yet the service's program
    // (exec comes later): its command line lacks the marker. Read as "exited", that made `up`
    // start the service a second time and lose track of the first (CI: an orphan MinIO held its
    // port, and the fault tier's start found it in use). A pid reused by another program within
    // seconds of the record is not a real case; after that, a foreign command line is.
    const justStarted = Date.now() - Date.parse(record.startedAt) < EXEC_GRACE_MS;
    if (!isAlive(record.pid) || (commandLine !== undefined && !commandLine.includes(record.marker) && !justStarted)) {
      rmSync(path, { force: true });
      return undefined;
    }
    return { pid: record.pid, startedAt: record.startedAt };
  }

  /**
   * The last `maxLines` lines the service logged from `offset` on (this run's output: the log
   * file is appended to across runs), for error messages.
   */
  logSince(name: string, offset: number, maxLines = 20): string {
    let fd: number;
    try {
      fd = openSync(this.logFile(name), 'r');
    } catch {
      return '';
    }
    try {
      const size = fstatSync(fd).size;
      const from = Math.max(offset, size - 16_384); // the tail is what explains an exit
      const buffer = Buffer.alloc(Math.max(0, size - from));
      readSync(fd, buffer, 0, buffer.length, from);
      return buffer.toString('utf8').trimEnd().split('\n').slice(-maxLines).join('\n');
    } finally {
      closeSync(fd);
    }
  }

  start(spec: ProcessSpec, extraEnv: NodeJS.ProcessEnv): StartedProcess {
    mkdirSync(join(this.runDir, 'logs'), { recursive: true });
    mkdirSync(join(this.runDir, 'pids'), { recursive: true });
    const log = openSync(this.logFile(spec.name), 'a');
    const logOffset = fstatSync(log).size;
    try {
      const child = spawn(spec.command, [...spec.args], {
        cwd: spec.cwd,
        env: { ...extraEnv, ...spec.env },
        detached: true, // own process group: survives the CLI, and `down` can signal the group
        stdio: ['ignore', log, log],
      });
      if (child.pid === undefined) throw new Error(`could not spawn ${spec.command}`);
      // Kept while this process lives, so a start that fails can say how the service ended;
      // unref() still lets the CLI exit while the service runs on.
      const exited = new Promise<ExitStatus>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      child.unref();
      const record: PidFile = {
        pid: child.pid,
        marker: spec.marker,
        startedAt: new Date().toISOString(),
        command: [spec.command, ...spec.args].join(' '),
      };
      writeFileSync(this.pidPath(spec.name), JSON.stringify(record, null, 2));
      const exit = (waitMs: number): Promise<ExitStatus | undefined> =>
        // An unref'd timer: waiting for a status must not keep the CLI alive.
        Promise.race([exited, sleep(waitMs, undefined, { ref: false })]);
      return { pid: record.pid, startedAt: record.startedAt, logOffset, exit };
    } finally {
      closeSync(log);
    }
  }

  /** SIGTERM to the process group, then SIGKILL after `graceMs`. Resolves once it is gone. */
  async stop(name: string, graceMs: number): Promise<'stopped' | 'killed' | 'not-running'> {
    const running = this.find(name);
    if (!running) return 'not-running';
    signalGroup(running.pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
      if (!isAlive(running.pid)) break;
      await sleep(100);
    }
    let outcome: 'stopped' | 'killed' = 'stopped';
    if (isAlive(running.pid)) {
      signalGroup(running.pid, 'SIGKILL');
      outcome = 'killed';
      for (let i = 0; i < 50 && isAlive(running.pid); i++) await sleep(100);
    }
    rmSync(this.pidPath(name), { force: true });
    return outcome;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie (exited, not yet reaped) still answers kill(0); it is not running.
  const stat = readProc(pid, 'stat');
  return stat === undefined || !/^\d+ \(.*\) Z/.test(stat);
}

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

/** The process's command line; undefined on systems without /proc (the check is skipped). */
function commandLineOf(pid: number): string | undefined {
  return readProc(pid, 'cmdline')?.replace(/\0/g, ' ');
}

/** Resident memory of a process and its children, in MiB (Linux only; undefined elsewhere). */
export function residentMemoryMb(pid: number): number | undefined {
  const status = readProc(pid, 'status');
  if (status === undefined) return undefined;
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Math.round(Number(m[1]) / 1024) : undefined;
}
