import { eventLoopCheckpoint, yieldToEventLoop } from './event-loop';

function busyFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('eventLoopCheckpoint', () => {
  it('lets waiting callbacks run once a loop has held the thread for a slice, not before', async () => {
    const checkpoint = eventLoopCheckpoint(20);
    let ran = 0;
    setImmediate(() => ran++);
    // under a slice: no yield, the callback still waits
    busyFor(1);
    await checkpoint();
    expect(ran).toBe(0);
    busyFor(25);
    await checkpoint();
    expect(ran).toBe(1);
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
