/**
 * Per-endpoint protection, for the endpoint's sake and for every other subscriber's: at most
 * `concurrency` requests in flight, and a circuit breaker. After `failureThreshold` failures in a
 * row the circuit opens: nothing is sent for `openMs` (doubling on each reopening, up to
 * `maxOpenMs`), then one probe goes (half-open); its success closes the circuit. A throttling
 * answer (429/502/504) pauses the endpoint until its Retry-After without counting as a failure
 * of the receiver. An endpoint with no success for `disableAfterMs` (5 days, as Svix) is
 * disabled; a 410 disables it at once.
 */
export interface EndpointPolicy {
  readonly concurrency: number;
  readonly failureThreshold: number;
  readonly openMs: number;
  readonly maxOpenMs: number;
  readonly disableAfterMs: number;
}

export const ENDPOINT_DEFAULTS: Omit<EndpointPolicy, 'concurrency'> = {
  failureThreshold: 5,
  openMs: 30_000, // 30 s before the first probe
  maxOpenMs: 600_000, // 10 min at most between probes
  disableAfterMs: 432_000_000, // 5 days of nothing but failures
};

/** An operator's open time (ALERTS_CIRCUIT_OPEN_MS), and its longest doubling: 20 times it, as 30 s gives 10 min. */
export function circuitTimes(openMs: number): Pick<EndpointPolicy, 'openMs' | 'maxOpenMs'> {
  return { openMs, maxOpenMs: openMs * 20 };
}

export type EndpointState = 'closed' | 'open' | 'half-open' | 'throttled' | 'disabled';

export interface EndpointHealth {
  state(now: number): EndpointState;
  /** Whether one more request may start now; if so, it is counted in flight. */
  tryAcquire(now: number): boolean;
  release(result: 'success' | 'failure' | 'throttled' | 'gone', now: number, retryAfterMs?: number): void;
  readonly inFlight: number;
  readonly disabledReason: string | undefined;
  /** When the endpoint may take a request again (open or throttled), for the scheduler. */
  readonly blockedUntil: number;
}

export function createEndpointHealth(policy: EndpointPolicy, createdAt: number): EndpointHealth {
  let inFlight = 0;
  let consecutiveFailures = 0;
  let openUntil = 0;
  let openMs = policy.openMs;
  let probing = false;
  let throttledUntil = 0;
  let lastSuccessOrStart = createdAt;
  let disabledReason: string | undefined;

  function state(now: number): EndpointState {
    if (disabledReason !== undefined) return 'disabled';
    if (consecutiveFailures >= policy.failureThreshold) return now < openUntil ? 'open' : 'half-open';
    if (now < throttledUntil) return 'throttled';
    return 'closed';
  }

  return {
    state,
    get inFlight() {
      return inFlight;
    },
    get disabledReason() {
      return disabledReason;
    },
    get blockedUntil() {
      return Math.max(openUntil, throttledUntil);
    },
    tryAcquire(now) {
      const s = state(now);
      if (s === 'disabled' || s === 'open' || s === 'throttled') return false;
      if (s === 'half-open') {
        if (probing || inFlight > 0) return false;
        probing = true;
      } else if (inFlight >= policy.concurrency) {
        return false;
      }
      inFlight += 1;
      return true;
    },
    release(result, now, retryAfterMs) {
      inFlight = Math.max(0, inFlight - 1);
      const wasProbe = probing;
      probing = false;
      switch (result) {
        case 'success':
          consecutiveFailures = 0;
          openMs = policy.openMs;
          lastSuccessOrStart = now;
          return;
        case 'gone':
          disabledReason = 'the endpoint answered 410 Gone';
          return;
        case 'throttled':
          throttledUntil = Math.max(throttledUntil, now + (retryAfterMs ?? policy.openMs));
          return;
        case 'failure':
          consecutiveFailures += 1;
          if (consecutiveFailures >= policy.failureThreshold) {
            if (wasProbe) openMs = Math.min(openMs * 2, policy.maxOpenMs);
            openUntil = now + openMs;
          }
          if (now - lastSuccessOrStart >= policy.disableAfterMs) disabledReason = `no successful delivery for ${Math.round((now - lastSuccessOrStart) / 86_400_000)} days`;
          return;
      }
    },
  };
}
