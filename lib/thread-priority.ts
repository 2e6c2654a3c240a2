/**
 * Raising one thread of the process, not all of it: on Linux setpriority(2) and
 * sched_setscheduler(2) take a thread id (TID) where they take a process id, and /proc/thread-self
 * names the calling thread's. Used by the read API's worker thread (READ_API_THREAD_NICE,
 * READ_API_THREAD_RT_PRIORITY), which should go ahead of the processors' threads for the little
 * CPU a cached answer takes, and by the bench's read API load generator.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { describeError } from './errors';

export type PriorityOutcome = { readonly applied: true } | { readonly applied: false; readonly reason: string };

/** The calling thread's id (TID), or undefined where /proc/thread-self is missing (not Linux). */
export function thisThreadId(): number | undefined {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

/** CAP_SYS_NICE's bit in the capability sets (linux/capability.h). */
const CAP_SYS_NICE = 23n;

/**
 * Whether this process holds CAP_SYS_NICE in its effective set (root, or the capability granted
 * to the service), read from /proc/self/status `CapEff`. A nice value below 0 needs it, and
 * ClickHouse applies `os_thread_priority` only with it (positive values included): without it
 * the setting is silently ignored, so the settings that use it are read with this first.
 * False where /proc is missing (not Linux).
 */
export function hasSysNiceCapability(status = readProcStatus()): boolean {
  const hex = /^CapEff:\s*([0-9a-f]+)\s*$/im.exec(status ?? '')?.[1];
  return hex !== undefined && ((BigInt(`0x${hex}`) >> CAP_SYS_NICE) & 1n) === 1n;
}

function readProcStatus(): string | undefined {
  try {
    return readFileSync('/proc/self/status', 'utf8');
  } catch {
    return undefined;
  }
}

/** Sets the calling thread's nice value; answers why not when it cannot (no /proc, no CAP_SYS_NICE). */
export function reniceThisThread(nice: number): PriorityOutcome {
  const tid = thisThreadId();
  if (tid === undefined) return { applied: false, reason: 'no thread id in /proc/thread-self' };
  try {
    setPriority(tid, nice);
    return { applied: true };
  } catch (error) {
    return { applied: false, reason: describeError(error) };
  }
}

/**
 * Puts the calling thread under real-time round-robin scheduling (SCHED_RR) at `priority` (1-99),
 * with SCHED_RESET_ON_FORK, so a thread or process it starts afterwards (libuv's pool, a child)
 * begins under the ordinary scheduler instead of inheriting the real-time class.
 *
 * Why real time and not nice: with sched_autogroup_enabled=1 (the default of desktop and many
 * server kernels) the fair scheduler first shares the cores between sessions' autogroups, and nice
 * only ranks threads inside one autogroup, so a thread at nice -10 still waits behind another
 * session's busy threads. A runnable real-time thread goes ahead of every fair-class thread,
 * whatever its group. Round robin rather than FIFO: two threads at the same priority (the bench's
 * load generator beside the API) take turns instead of one keeping the core until it blocks.
 *
 * Why it cannot take the machine: the kernel bounds real-time threads to sched_rt_runtime_us per
 * sched_rt_period_us (950 ms of each second by default) on each core, and from Linux 6.12 a
 * deadline server reserves time for fair-class threads as well; one thread can only ever hold one
 * core. The read API's thread took 68-88 ms of CPU per second at 200 requests/s on the web bench
 * (7-9% of a core; 0.07 ms of each request in its handler, the rest HTTP and GC).
 *
 * Node has no binding for sched_setscheduler(2), so this runs util-linux's `chrt` on the thread's
 * id (once, at start: it blocks the calling thread for the few milliseconds the command takes).
 * Answers why not when refused: no CAP_SYS_NICE (and RLIMIT_RTPRIO 0), no `chrt`, not Linux.
 */
export function makeThisThreadRealtime(priority: number): PriorityOutcome {
  const tid = thisThreadId();
  if (tid === undefined) return { applied: false, reason: 'no thread id in /proc/thread-self' };
  try {
    execFileSync('chrt', ['--rr', '--reset-on-fork', '--pid', String(priority), String(tid)], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5_000 });
    return { applied: true };
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return { applied: false, reason: stderr || describeError(error) };
  }
}
