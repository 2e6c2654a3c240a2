/**
 * What an attempt's outcome means and when to try again, after Standard Webhooks and Svix:
 * 2xx delivered; 410 Gone disables the endpoint (the message is dead-lettered with that reason);
 * 429, 502 and 504 throttle (the endpoint is paused, honouring Retry-After); anything else,
 * redirects included (a webhook is not followed across a redirect), a timeout or no answer,
 * is retried on a schedule, by default Svix's: immediately, then 5 s, 5 min, 30 min, 2 h, 5 h,
 * 10 h, 10 h, each with +-20 % jitter so that endpoints recovering together are not hit together.
 * After the last attempt the message is dead-lettered ("attempts exhausted"). The schedule is the
 * operator's (ALERTS_RETRY_SCHEDULE_MS): a demo, or a test that must see retries end, shortens it.
 */
import type { AttemptOutcome } from '../webhook-sender';

/** Svix's schedule, the default of ALERTS_RETRY_SCHEDULE_MS. */
export const SVIX_RETRY_SCHEDULE_MS: readonly number[] = [
  0, // first attempt: immediately
  5_000, // 5 s
  300_000, // 5 min
  1_800_000, // 30 min
  7_200_000, // 2 h
  18_000_000, // 5 h
  36_000_000, // 10 h
  36_000_000, // 10 h
] as const;
export const JITTER_RATIO = 0.2;
/** The longest Retry-After honoured: a receiver asking for more gets the schedule's longest wait. */
export const MAX_RETRY_AFTER_MS = 36_000_000;

export type Verdict =
  | { readonly kind: 'delivered' }
  | { readonly kind: 'gone'; readonly reason: string }
  | { readonly kind: 'retry'; readonly throttled: boolean; readonly reason: string };

export function judgeAttempt(outcome: AttemptOutcome): Verdict {
  const { status } = outcome;
  if (status >= 200 && status < 300) return { kind: 'delivered' };
  if (status === 410) return { kind: 'gone', reason: 'the endpoint answered 410 Gone' };
  if (status === 429 || status === 502 || status === 504) return { kind: 'retry', throttled: true, reason: `throttled: HTTP ${status}` };
  if (status === 0) return { kind: 'retry', throttled: false, reason: outcome.timedOut ? `timed out: ${outcome.error ?? ''}` : `no answer: ${outcome.error ?? 'connection failed'}` };
  if (status >= 300 && status < 400) return { kind: 'retry', throttled: false, reason: `HTTP ${status}: redirects are not followed` };
  return { kind: 'retry', throttled: false, reason: `HTTP ${status}` };
}

/**
 * Milliseconds to wait before attempt number `nextAttempt` (1-based; attempt 1 is the first),
 * or undefined when the schedule is exhausted. Retry-After, when given, is a floor.
 */
export function retryDelay(schedule: readonly number[], nextAttempt: number, retryAfterMs: number | undefined, random: () => number): number | undefined {
  const base = schedule[nextAttempt - 1];
  if (base === undefined) return undefined;
  const jittered = Math.round(base * (1 - JITTER_RATIO + 2 * JITTER_RATIO * random()));
  return retryAfterMs === undefined ? jittered : Math.max(jittered, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS));
}
