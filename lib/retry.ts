/**
 * The one retry policy. It retries only errors that say a retry can help (`canRetry`), with
 * capped exponential backoff and full jitter, so many processes retrying one outage do not
 * hammer a recovering service in lock-step.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryOptions {
  /** Attempts after the first one; Infinity retries until `signal` aborts. */
  readonly retries: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly factor?: number;
  readonly signal?: AbortSignal;
  /** Called before each wait, e.g. to log once per retry where the error is handled. */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

export const DEFAULT_RETRY: RetryOptions = {
  retries: 5,
  initialDelayMs: 200, // first wait 0-200 ms
  maxDelayMs: 10_000, // never wait more than 10 s between attempts
  factor: 2,
};

export function canRetry(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { canRetry?: unknown }).canRetry === true;
}

export function backoffDelay(attempt: number, options: RetryOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.initialDelayMs * (options.factor ?? 2) ** (attempt - 1));
  return Math.round(random() * ceiling);
}

export async function withRetry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions = DEFAULT_RETRY): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (!canRetry(error) || attempt > options.retries || options.signal?.aborted) throw error;
      const delay = backoffDelay(attempt, options);
      options.onRetry?.(error, attempt, delay);
      await sleep(delay, undefined, options.signal ? { signal: options.signal } : undefined);
    }
  }
}
