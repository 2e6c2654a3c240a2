/**
 * Renicing one thread of the process, not all of it: on Linux setpriority(2) takes a thread id
 * (TID) where it takes a process id, and /proc/thread-self names the calling thread's. Used by the
 * read API's worker thread (READ_API_THREAD_NICE), which should go ahead of the processors' thread
 * for the little CPU a cached answer takes.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { describeError } from './errors';

/** Sets the calling thread's nice value; answers why not when it cannot (no /proc, no CAP_SYS_NICE). */
export function reniceThisThread(nice: number): { readonly applied: true } | { readonly applied: false; readonly reason: string } {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return { applied: false, reason: 'no thread id in /proc/thread-self' };
    setPriority(tid, nice);
    return { applied: true };
  } catch (error) {
    return { applied: false, reason: describeError(error) };
  }
}
