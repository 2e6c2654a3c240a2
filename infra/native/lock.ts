/**
 * One `up` or `down` at a time per data folder. Two launchers racing on the same folder (a
 * test run and a benchmark, say) would both find a service stopped, both start it, and one
 * would be left running without a pid file. The lock is a file holding the owner's pid; a lock
 * whose owner died is taken over.
 */
import { mkdirSync, openSync, closeSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ShelfStreamError } from '../../lib/errors';
import { isAlive } from './supervisor';

export async function withLock<T>(path: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let owner = Number.NaN;
      try {
        owner = Number(readFileSync(path, 'utf8'));
      } catch {
        continue; // released between our open and read
      }
      if (!Number.isInteger(owner) || !isAlive(owner)) {
        rmSync(path, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new ShelfStreamError('SERVICE_START_FAILED', `another shelfstream up/down (pid ${owner}) holds ${path}; wait for it or stop it`, {
          context: { lock: path, owner },
        });
      }
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}
