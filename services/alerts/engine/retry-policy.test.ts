import { judgeAttempt, retryDelay, SVIX_RETRY_SCHEDULE_MS } from './retry-policy';
import type { AttemptOutcome } from '../webhook-sender';

const answer = (status: number, extra: Partial<AttemptOutcome> = {}): AttemptOutcome => ({ status, latencyMs: 5, retryAfterMs: undefined, responseExcerpt: '', error: undefined, timedOut: false, ...extra });

describe('what an answer means', () => {
  it.each([
    [200, 'delivered'],
    [204, 'delivered'],
    [301, 'retry'],
    [400, 'retry'],
    [500, 'retry'],
    [410, 'gone'],
  ])('HTTP %i: %s', (status, kind) => expect(judgeAttempt(answer(status)).kind).toBe(kind));

  it('429, 502 and 504 throttle; 500 and 503 do not', () => {
    for (const s of [429, 502, 504]) expect(judgeAttempt(answer(s))).toMatchObject({ kind: 'retry', throttled: true });
    for (const s of [500, 503]) expect(judgeAttempt(answer(s))).toMatchObject({ kind: 'retry', throttled: false });
  });

  it('says why a timeout or a refused connection failed', () => {
    expect(judgeAttempt(answer(0, { timedOut: true, error: 'no answer within 15000 ms' }))).toMatchObject({ reason: 'timed out: no answer within 15000 ms' });
    expect(judgeAttempt(answer(0, { error: 'connect ECONNREFUSED' }))).toMatchObject({ reason: 'no answer: connect ECONNREFUSED' });
  });
});

describe('the retry schedule', () => {
  const middle = (): number => 0.5;

  it('is immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, then nothing', () => {
    const delays = Array.from({ length: SVIX_RETRY_SCHEDULE_MS.length + 1 }, (_, i) => retryDelay(SVIX_RETRY_SCHEDULE_MS, i + 1, undefined, middle));
    expect(delays).toEqual([0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000, undefined]);
  });

  it('jitters by at most 20 % either way', () => {
    expect(retryDelay(SVIX_RETRY_SCHEDULE_MS, 3, undefined, () => 0)).toBe(240_000);
    expect(retryDelay(SVIX_RETRY_SCHEDULE_MS, 3, undefined, () => 1)).toBe(360_000);
  });

  it('waits at least what Retry-After asks, within the longest scheduled wait', () => {
    expect(retryDelay(SVIX_RETRY_SCHEDULE_MS, 2, 120_000, middle)).toBe(120_000);
    expect(retryDelay(SVIX_RETRY_SCHEDULE_MS, 3, 1_000, middle)).toBe(300_000);
    expect(retryDelay(SVIX_RETRY_SCHEDULE_MS, 2, 7 * 86_400_000, middle)).toBe(36_000_000);
  });
});

describe('an operator\'s retry schedule', () => {
  it('has as many attempts as it has waits, each jittered', () => {
    const schedule = [0, 1_000, 2_000];
    expect([1, 2, 3, 4].map((n) => retryDelay(schedule, n, undefined, () => 0.5))).toEqual([0, 1_000, 2_000, undefined]);
    expect(retryDelay(schedule, 3, undefined, () => 0)).toBe(1_600);
  });
});
