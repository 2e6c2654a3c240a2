import { eventLoopCheckpoint, yieldToEventLoop } from './event-loop';

describe('eventLoopCheckpoint', () => {
  it('lets waiting callbacks run once a loop has held the thread for a slice, not before', async () => {
    // A clock of our own: on a loaded machine the real one can jump a slice between two lines.
    let now = 1_000;
    const checkpoint = eventLoopCheckpoint(20, () => now);
    let ran = 0;
    setImmediate(() => ran++);
    // under a slice: no yield, the callback still waits
    now += 19;
    expect(checkpoint()).toBeUndefined();
    await Promise.resolve();
    expect(ran).toBe(0);
    now += 1;
    await checkpoint();
    expect(ran).toBe(1);
    // The slice counts again from the yield.
    now += 19;
    expect(checkpoint()).toBeUndefined();
  });

  it('is a macrotask: I/O callbacks queued before it run, unlike after an awaited promise', async () => {
    let ran = false;
    setImmediate(() => {
      ran = true;
    });
    await Promise.resolve();
    expect(ran).toBe(false);
    await yieldToEventLoop();
    expect(ran).toBe(true);
  });
});
