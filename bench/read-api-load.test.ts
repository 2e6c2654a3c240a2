import { serverAppMs, splitTail } from './read-api-load';

describe('serverAppMs', () => {
  it('reads the app duration of a Server-Timing header', () => {
    expect(serverAppMs('app;dur=0.42')).toBe(0.42);
    expect(serverAppMs('db;dur=3, app;dur=12.5')).toBe(12.5);
    expect(serverAppMs(undefined)).toBe(0);
  });
});

describe('splitTail', () => {
  it('averages the slowest 1% into late, server and transit (hand-computed)', () => {
    // 200 requests: 198 fast, 2 slow (the top 1%): 40 ms (10 late, 1 server) and 60 ms (20 late, 3 server).
    const fast = Array.from({ length: 198 }, () => ({ lateMs: 0, appMs: 0.1, latencyMs: 2 }));
    const split = splitTail([...fast, { lateMs: 10, appMs: 1, latencyMs: 40 }, { lateMs: 20, appMs: 3, latencyMs: 60 }]);
    expect(split).toEqual({ tail_requests: 2, tail_latency_ms: 50, tail_late_ms: 15, tail_app_ms: 2, tail_transit_ms: 33 });
  });
});
