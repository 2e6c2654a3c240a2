import type { AttemptOutcome } from '../webhook-sender';
import { createDeliveryQueue, type Completion } from './delivery-queue';

const answer = (status: number, extra: Partial<AttemptOutcome> = {}): AttemptOutcome => ({ status, latencyMs: 3, retryAfterMs: undefined, responseExcerpt: '', error: undefined, timedOut: false, ...extra });
const T0 = Date.parse('2026-12-05T10:00:00Z');
const msg = (id: string, sub = 'sub_a') => ({ messageId: id, subscriptionId: sub, body: '{}', oldestAlertAt: T0 });

/** Runs the queue on a fake clock against an endpoint that answers `respond(attempt number)`. */
function run(queue: ReturnType<typeof createDeliveryQueue>, respond: (messageId: string, attempt: number) => AttemptOutcome, until: number): { at: number; c: Completion }[] {
  const log: { at: number; c: Completion }[] = [];
  let now = T0;
  for (let guard = 0; guard < 10_000; guard++) {
    for (const attempt of queue.takeDue(now)) for (const c of queue.complete(attempt, respond(attempt.message.messageId, attempt.attempt), now)) log.push({ at: now, c });
    const next = queue.nextWakeAt(now);
    if (next === undefined || next > until) return log;
    now = Math.max(next, now + 1);
  }
  throw new Error('no end');
}

describe('the delivery queue', () => {
  it('retries a failing message on the schedule and dead-letters it after the 8th attempt', () => {
    const q = createDeliveryQueue({ concurrency: 4, random: () => 0.5 });
    q.enqueue(msg('m1'), T0);
    const log = run(q, () => answer(500), T0 + 3 * 86_400_000);
    expect(log.map((x) => [(x.at - T0) / 1000, x.c.result])).toEqual([
      [0, 'retry'],
      [5, 'retry'],
      [305, 'retry'],
      [2105, 'retry'],
      [9305, 'retry'],
      [27305, 'retry'],
      [63305, 'retry'],
      [99305, 'dead-letter'],
    ]);
    expect(log.at(-1)!.c).toMatchObject({ reason: 'attempts exhausted (8); last: HTTP 500' });
  });

  it('waits at least Retry-After after a throttle', () => {
    const q = createDeliveryQueue({ concurrency: 1, random: () => 0.5 });
    q.enqueue(msg('m1'), T0);
    const log = run(q, (_, n) => (n === 1 ? answer(429, { retryAfterMs: 60_000 }) : answer(200)), T0 + 3_600_000);
    expect(log.map((x) => [(x.at - T0) / 1000, x.c.result])).toEqual([
      [0, 'retry'],
      [60, 'delivered'],
    ]);
  });

  it('dead-letters the message answered 410 and everything else waiting for that endpoint, not others', () => {
    const q = createDeliveryQueue({ concurrency: 1, random: () => 0.5 });
    q.enqueue(msg('m1'), T0);
    q.enqueue(msg('m2'), T0);
    q.enqueue(msg('m3', 'sub_b'), T0);
    const log = run(q, (id) => (id === 'm3' ? answer(204) : answer(410)), T0 + 60_000);
    expect(log.map((x) => [x.c.message.messageId, x.c.result, 'reason' in x.c ? x.c.reason : ''])).toEqual([
      ['m1', 'dead-letter', 'the endpoint answered 410 Gone'],
      ['m2', 'dead-letter', 'endpoint disabled: the endpoint answered 410 Gone'],
      ['m3', 'delivered', ''],
    ]);
    expect(q.endpointState('sub_a', T0)).toBe('disabled');
  });

  it('dead-letters a message made after the 410, and sends again once the subscription is dropped and resumed', () => {
    const q = createDeliveryQueue({ concurrency: 1, random: () => 0.5 });
    q.enqueue(msg('m1'), T0);
    run(q, () => answer(410), T0 + 1_000);
    q.enqueue(msg('m2'), T0 + 2_000);
    expect(q.takeDue(T0 + 2_000)).toEqual([]);
    expect(q.drainDisabled(T0 + 2_000).map((c) => [c.message.messageId, c.result, 'reason' in c ? c.reason : ''])).toEqual([['m2', 'dead-letter', 'endpoint disabled: the endpoint answered 410 Gone']]);
    // The disabled record arrives, an operator resumes the subscription: its endpoint starts closed.
    expect(q.drop('sub_a', 'subscription disabled: the endpoint answered 410 Gone')).toEqual([]);
    q.enqueue(msg('m3'), T0 + 3_000);
    expect(q.endpointState('sub_a', T0 + 3_000)).toBe('closed');
    expect(q.takeDue(T0 + 3_000).map((a) => a.message.messageId)).toEqual(['m3']);
  });

  it('keeps at most `concurrency` attempts in flight per endpoint', () => {
    const q = createDeliveryQueue({ concurrency: 2, random: () => 0.5 });
    for (let i = 0; i < 5; i++) q.enqueue(msg(`m${i}`), T0);
    q.enqueue(msg('other', 'sub_b'), T0);
    expect(q.takeDue(T0).map((a) => a.message.messageId)).toEqual(['m0', 'm1', 'other']);
  });

  it('holds messages while the circuit is open without spending their attempts', () => {
    const q = createDeliveryQueue({ concurrency: 1, random: () => 0.5 });
    for (let i = 0; i < 6; i++) q.enqueue(msg(`m${i}`), T0);
    // Five failures in a row open the circuit; m5 waits for the probe with its attempts intact.
    const log = run(q, (id, n) => (n >= 2 || id === 'm5' ? answer(200) : answer(503)), T0 + 3_600_000);
    expect(log.filter((x) => x.c.message.messageId === 'm5').map((x) => [x.c.result, x.c.attempt])).toEqual([['delivered', 1]]);
    expect(q.size).toBe(0);
  });

  it('takes a message id once', () => {
    const q = createDeliveryQueue({ concurrency: 1, random: () => 0.5 });
    expect([q.enqueue(msg('m1'), T0), q.enqueue(msg('m1'), T0)]).toEqual([true, false]);
  });
});
