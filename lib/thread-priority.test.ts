import { readFileSync } from 'node:fs';
import { hasSysNiceCapability, makeThisThreadRealtime, reniceThisThread } from './thread-priority';

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

describe('makeThisThreadRealtime', () => {
  // The privileged path (the thread's policy read back from the kernel) and the refusal for want of
  // CAP_SYS_NICE are in tests/integration/read-api-thread-scheduling.test.ts, on the worker thread.
  it('answers why not instead of throwing when the priority is refused, and leaves the thread as it was', () => {
    const refused = makeThisThreadRealtime(100); // above SCHED_RR's 99: chrt refuses it for anyone
    expect(refused.applied).toBe(false);
    if (process.platform === 'linux') expect(readFileSync('/proc/thread-self/sched', 'utf8')).toMatch(/^policy\s*:\s*0$/m);
  });
});

describe('hasSysNiceCapability', () => {
  // CapEff lines as the kernel writes them: root in a container (every capability but a few) and
  // an unprivileged process (none); bit 23 is CAP_SYS_NICE.
  it('reads bit 23 of the effective set', () => {
    expect(hasSysNiceCapability('Name:\tnode\nCapInh:\t0000000000000000\nCapEff:\t000001fffeffffff\nCapBnd:\t000001ffffffffff\n')).toBe(true);
    expect(hasSysNiceCapability('CapEff:\t0000000000000000\n')).toBe(false);
    expect(hasSysNiceCapability('CapEff:\t0000000000800000\n')).toBe(true);
    expect(hasSysNiceCapability('CapEff:\t00000000ff7fffff\n')).toBe(false);
  });

  it('is false without a status to read (not Linux)', () => {
    expect(hasSysNiceCapability('')).toBe(false);
  });
});
