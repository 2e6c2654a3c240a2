import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withLock } from './lock';

describe('launcher lock', () => {
  it('runs holders one after the other', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'lock-')), 'run', 'launcher.lock');
    const order: string[] = [];
    const hold = (name: string) =>
      withLock(path, 5_000, async () => {
        order.push(`${name} in`);
        await new Promise((r) => setTimeout(r, 50));
        order.push(`${name} out`);
      });
    await Promise.all([hold('a'), hold('b')]);
    expect(order).toEqual(['a in', 'a out', 'b in', 'b out']);
  });

  it('takes over a lock whose owner died', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'lock-')), 'launcher.lock');
    writeFileSync(path, '999999999'); // no such process
    await expect(withLock(path, 1_000, async () => 'ran')).resolves.toBe('ran');
  });

  it('names the live owner when it cannot get the lock in time', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'lock-')), 'launcher.lock');
    writeFileSync(path, String(process.pid)); // held by a live process (this one)
    await expect(withLock(path, 300, async () => 'ran')).rejects.toThrow(`another shelfstream up/down (pid ${process.pid})`);
  });
});
