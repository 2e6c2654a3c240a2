import { readFileSync } from 'node:fs';
import { reniceThisThread } from './thread-priority';

/** The calling thread's nice value: field 19 of /proc/thread-self/stat, counted after the command in parentheses. */
function threadNice(): number {
  const stat = readFileSync('/proc/thread-self/stat', 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

describe('reniceThisThread', () => {
  (process.platform === 'linux' ? it : it.skip)('sets the calling thread\'s nice value (a higher one needs no privilege)', () => {
    const before = threadNice();
    const wanted = Math.min(19, before + 1);
    expect([reniceThisThread(wanted), threadNice()]).toEqual([{ applied: true }, wanted]);
  });

  it('answers why not instead of throwing when the value is refused', () => {
    const refused = reniceThisThread(99);
    expect(refused.applied).toBe(false);
  });
});
