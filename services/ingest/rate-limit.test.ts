import { createRateLimiter } from './rate-limit';

function limiter(ratePerS: number, burstS = 2) {
  let now = 1_000_000;
  const l = createRateLimiter({ ratePerS, burstS, clock: () => now });
  return { l, advance: (ms: number) => void (now += ms) };
}

describe('token bucket per API key, counted in events', () => {
  it('lets a full burst through at once, then refuses', () => {
    // 100 events/s with a 2 s burst: 200 events at once.
    const { l } = limiter(100);
    expect(l.capacity).toBe(200);
    expect(l.take('k', 150)).toEqual({ ok: true, remaining: 50 });
    expect(l.take('k', 50)).toEqual({ ok: true, remaining: 0 });
    expect(l.take('k', 1)).toMatchObject({ ok: false, exceedsCapacity: false });
  });

  it('refills at the sustained rate and says how long until a request fits', () => {
    const { l, advance } = limiter(100);
    l.take('k', 200);
    // 30 events need 30 tokens = 300 ms at 100 events/s.
    expect(l.take('k', 30)).toEqual({ ok: false, retryAfterMs: 300, capacity: 200, exceedsCapacity: false });
    advance(299);
    expect(l.take('k', 30).ok).toBe(false);
    advance(1);
    expect(l.take('k', 30)).toEqual({ ok: true, remaining: 0 });
  });

  it('holds the sustained rate over a long run', () => {
    const { l, advance } = limiter(1_000);
    let accepted = 0;
    // Ask for 50 events every 10 ms (5,000 events/s) for 10 s: 2,000 burst + 10 s x 1,000/s.
    for (let t = 0; t < 10_000; t += 10) {
      const r = l.take('k', 50);
      if (r.ok) accepted += 50;
      advance(10);
    }
    expect(accepted).toBeGreaterThanOrEqual(11_900);
    expect(accepted).toBeLessThanOrEqual(12_050);
  });

  it('never fills beyond the burst however long a key was idle', () => {
    const { l, advance } = limiter(10);
    advance(3_600_000);
    expect(l.take('k', 20).ok).toBe(true);
    expect(l.take('k', 1).ok).toBe(false);
  });

  it('keeps keys apart', () => {
    const { l } = limiter(10);
    expect(l.take('a', 20).ok).toBe(true);
    expect(l.take('a', 1).ok).toBe(false);
    expect(l.take('b', 20).ok).toBe(true);
  });

  it('takes all of a request or nothing', () => {
    const { l } = limiter(10);
    l.take('k', 15);
    expect(l.take('k', 6).ok).toBe(false);
    expect(l.take('k', 5)).toEqual({ ok: true, remaining: 0 });
  });

  it('says when a request can never fit, so the client splits it instead of waiting', () => {
    const { l } = limiter(10);
    expect(l.take('k', 21)).toEqual({ ok: false, retryAfterMs: Number.POSITIVE_INFINITY, capacity: 20, exceedsCapacity: true });
    // The refused request took nothing.
    expect(l.take('k', 20).ok).toBe(true);
  });

  it('forgets idle keys, which then start with a full bucket', () => {
    let now = 0;
    const l = createRateLimiter({ ratePerS: 10, burstS: 2, clock: () => now, idleEvictMs: 1_000 });
    l.take('k', 20);
    now += 5_000;
    l.take('other', 1); // triggers the sweep
    expect(l.take('k', 20).ok).toBe(true);
  });
});
