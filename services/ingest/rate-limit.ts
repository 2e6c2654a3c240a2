/**
 * Per-key rate limiting in events, not requests: a terminal that sends one request of 1,000
 * events costs as much as one that sends 1,000 requests of one. A token bucket per API key
 * refills at `ratePerS` tokens (events) per second up to `burstS` seconds' worth, so a
 * terminal that was offline can flush its backlog at twice its sustained rate for a moment.
 * Pure apart from the injected clock, so the arithmetic is unit-tested without waiting.
 */

export type Clock = () => number; // milliseconds, monotonic enough for rate arithmetic

export interface RateLimitOptions {
  /** Sustained events per second per key (config.ingest.rateLimitEventsPerS). */
  readonly ratePerS: number;
  /** Seconds of sustained rate a full bucket holds. */
  readonly burstS: number;
  readonly clock?: Clock;
  /** Buckets idle this long are full again and dropped, so memory follows active keys. */
  readonly idleEvictMs?: number;
}

export type TakeResult =
  | { readonly ok: true; readonly remaining: number }
  /** `retryAfterMs`: when enough tokens will have refilled for this request. */
  | { readonly ok: false; readonly retryAfterMs: number; readonly capacity: number; readonly exceedsCapacity: boolean };

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export interface RateLimiter {
  /** Takes `events` tokens from `key`'s bucket, all or none. */
  take(key: string, events: number): TakeResult;
  readonly capacity: number;
}

export function createRateLimiter(options: RateLimitOptions): RateLimiter {
  const clock = options.clock ?? performance.now.bind(performance);
  const rate = options.ratePerS / 1000; // tokens per millisecond
  const capacity = Math.max(1, Math.floor(options.ratePerS * options.burstS));
  const idleEvictMs = options.idleEvictMs ?? 60_000; // one minute
  const buckets = new Map<string, Bucket>();
  let lastSweep = clock();

  const sweep = (now: number): void => {
    // A bucket idle for longer than it takes to refill is indistinguishable from a new one.
    if (now - lastSweep < idleEvictMs) return;
    lastSweep = now;
    for (const [key, b] of buckets) if (now - b.updatedMs > idleEvictMs && b.tokens + (now - b.updatedMs) * rate >= capacity) buckets.delete(key);
  };

  return {
    capacity,
    take(key, events) {
      const now = clock();
      sweep(now);
      let bucket = buckets.get(key);
      if (!bucket) {
        bucket = { tokens: capacity, updatedMs: now };
        buckets.set(key, bucket);
      } else {
        bucket.tokens = Math.min(capacity, bucket.tokens + Math.max(0, now - bucket.updatedMs) * rate);
        bucket.updatedMs = now;
      }
      if (events > capacity) {
        // Can never pass: waiting does not help, the request must be split.
        return { ok: false, retryAfterMs: Number.POSITIVE_INFINITY, capacity, exceedsCapacity: true };
      }
      if (bucket.tokens >= events) {
        bucket.tokens -= events;
        return { ok: true, remaining: Math.floor(bucket.tokens) };
      }
      return { ok: false, retryAfterMs: Math.ceil((events - bucket.tokens) / rate), capacity, exceedsCapacity: false };
    },
  };
}
