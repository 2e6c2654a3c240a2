import { createEndpointHealth, ENDPOINT_DEFAULTS } from './endpoint-health';

const policy = { ...ENDPOINT_DEFAULTS, concurrency: 2 };

describe('per-endpoint concurrency and circuit breaker', () => {
  it('lets at most `concurrency` requests run at once', () => {
    const e = createEndpointHealth(policy, 0);
    expect([e.tryAcquire(0), e.tryAcquire(0), e.tryAcquire(0)]).toEqual([true, true, false]);
    e.release('success', 1);
    expect(e.tryAcquire(1)).toBe(true);
  });

  it('opens after 5 failures in a row, probes once after 30 s, closes on a successful probe', () => {
    const e = createEndpointHealth(policy, 0);
    for (let i = 0; i < 5; i++) {
      expect(e.tryAcquire(i)).toBe(true);
      e.release('failure', i);
    }
    expect(e.state(10)).toBe('open');
    expect(e.tryAcquire(10)).toBe(false);
    expect(e.state(4 + 30_000)).toBe('half-open');
    expect([e.tryAcquire(4 + 30_000), e.tryAcquire(4 + 30_000)]).toEqual([true, false]);
    e.release('success', 4 + 30_001);
    expect(e.state(4 + 30_002)).toBe('closed');
  });

  it('doubles the open time after a failed probe, up to 10 min', () => {
    const e = createEndpointHealth(policy, 0);
    for (let i = 0; i < 5; i++) {
      e.tryAcquire(0);
      e.release('failure', 0);
    }
    let now = 30_000;
    const waits: number[] = [];
    for (let round = 0; round < 7; round++) {
      expect(e.tryAcquire(now)).toBe(true);
      e.release('failure', now);
      waits.push(e.blockedUntil - now);
      now = e.blockedUntil;
    }
    expect(waits).toEqual([60_000, 120_000, 240_000, 480_000, 600_000, 600_000, 600_000]);
  });

  it('pauses a throttling endpoint until Retry-After without opening the circuit', () => {
    const e = createEndpointHealth(policy, 0);
    e.tryAcquire(0);
    e.release('throttled', 0, 20_000);
    expect([e.state(19_999), e.tryAcquire(19_999)]).toEqual(['throttled', false]);
    expect(e.state(20_000)).toBe('closed');
  });

  it('disables on 410 and after 5 days without a success', () => {
    const gone = createEndpointHealth(policy, 0);
    gone.tryAcquire(0);
    gone.release('gone', 0);
    expect([gone.state(1), gone.disabledReason]).toEqual(['disabled', 'the endpoint answered 410 Gone']);
    const failing = createEndpointHealth(policy, 0);
    failing.tryAcquire(0);
    failing.release('failure', 5 * 86_400_000);
    expect(failing.disabledReason).toBe('no successful delivery for 5 days');
  });
});
