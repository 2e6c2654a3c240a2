import type { Alert } from '../../../schemas/generated/events';
import { parseSubscriptionRequest } from '../subscription';
import { createDeliveryQueue } from './delivery-queue';
import { createNotifier, type Notifier, type NotifierState } from './notifier';

/*
 * A restart restores the notifier from its exported state (the runtime's state store): the
 * messages after the restart must be those of a run that never stopped, with the same ids.
 */
const lookup = { store: () => ({ region: 'north', time_zone: 'Europe/Berlin' }), category: () => 'dairy' };
const T0 = Date.parse('2026-12-05T10:00:00Z');
const MIN = 60_000;

function fresh(): Notifier {
  const { settings } = parseSubscriptionRequest({ url: 'https://example.com/h', event_types: ['stockout_risk', 'out_of_stock'], repeat_interval_ms: 3_600_000 });
  return createNotifier({ id: 'sub_r', settings, silences: [] }, lookup);
}

const base: Alert = { alert_id: '', state: 'RAISED', occurred_at: T0, store_id: 'S001', sku: 'MILK-1', terminal_id: null, alert_type: 'STOCKOUT_RISK', severity: 'WARNING', score: 0.8, reason: 'low', processor: 'stock', measures: {}, acted_by: null, snoozed_until: null };
const events: [number, Alert][] = [
  [T0, { ...base, alert_id: 'r1' }],
  [T0 + 10_000, { ...base, alert_id: 'r2', sku: 'MILK-2' }],
  [T0 + 2 * MIN, { ...base, alert_id: 'o1', alert_type: 'OUT_OF_STOCK', severity: 'CRITICAL', sku: 'MILK-3', store_id: 'S002' }],
  [T0 + 3 * MIN, { ...base, alert_id: 'r3', sku: 'MILK-3', store_id: 'S002' }],
  [T0 + 7 * MIN, { ...base, alert_id: 'r1', severity: 'CRITICAL' }],
  [T0 + 20 * MIN, { ...base, alert_id: 'r2', sku: 'MILK-2', state: 'RESOLVED' }],
  [T0 + 40 * MIN, { ...base, alert_id: 'o1', alert_type: 'OUT_OF_STOCK', severity: 'CRITICAL', sku: 'MILK-3', store_id: 'S002', state: 'RESOLVED' }],
  [T0 + 50 * MIN, { ...base, alert_id: 'r4', sku: 'MILK-4', store_id: 'S003' }],
];

/** Drives from `from` (exclusive of earlier events) to `until`, settling every message as delivered. */
function drive(n: Notifier, from: number, until: number): string[] {
  const sent: string[] = [];
  const queue = events.filter(([at]) => at >= from);
  let now = from;
  for (;;) {
    while (queue.length > 0 && queue[0]![0] <= now) n.offer(queue.shift()![1], now);
    for (const m of n.due(now)) {
      sent.push(`${(now - T0) / 1000}s ${m.messageId} ${m.content.type} ${m.content.alerts.map((a) => a.event_type + ':' + a.alert_id).join(',')}`);
      n.settled(m.messageId, true, now);
    }
    const next = Math.min(queue[0]?.[0] ?? Infinity, n.nextWakeAt() ?? Infinity, until + 1);
    if (next > until) return sent;
    now = Math.max(next, now + 1);
  }
}

describe('notifier state across a restart', () => {
  it.each([30_000, 5 * MIN, 21 * MIN, 45 * MIN])('gives the same messages when restored at %i ms', (cut) => {
    const whole = drive(fresh(), T0, T0 + 3 * 3_600_000);
    const before = fresh();
    const first = drive(before, T0, T0 + cut - 1);
    const state = JSON.parse(JSON.stringify(before.exportState())) as NotifierState;
    const after = fresh();
    after.importState(state);
    const second = drive(after, T0 + cut, T0 + 3 * 3_600_000);
    expect([...first, ...second]).toEqual(whole);
    expect(whole.length).toBeGreaterThan(4);
  });

  it('keeps a message in flight across the restart: its resolved follows the restored outcome', () => {
    const { settings } = parseSubscriptionRequest({ url: 'https://example.com/h', event_types: ['stockout_risk'], group_wait_ms: 0 });
    const n = createNotifier({ id: 'sub_f', settings, silences: [] }, lookup);
    n.offer({ ...base, alert_id: 'f1' }, T0);
    const [firing] = n.due(T0);
    n.offer({ ...base, alert_id: 'f1', state: 'RESOLVED' }, T0 + 1_000);
    const queue = createDeliveryQueue({ concurrency: 1, random: () => 0.5 });
    queue.enqueue({ messageId: firing!.messageId, subscriptionId: 'sub_f', body: '{}', oldestAlertAt: T0 }, T0);
    const attempt = queue.takeDue(T0);

    const restoredNotifier = createNotifier({ id: 'sub_f', settings, silences: [] }, lookup);
    restoredNotifier.importState(JSON.parse(JSON.stringify(n.exportState())) as NotifierState);
    const restoredQueue = createDeliveryQueue({ concurrency: 1, random: () => 0.5 });
    restoredQueue.importState(JSON.parse(JSON.stringify(queue.exportState(attempt))) as ReturnType<typeof queue.exportState>);
    // The attempt that was in flight is tried again, as attempt 1, under the same id.
    expect(restoredQueue.takeDue(T0 + 5_000).map((a) => [a.message.messageId, a.attempt])).toEqual([[firing!.messageId, 1]]);
    expect(restoredNotifier.due(T0 + 5_000)).toEqual([]);
    restoredNotifier.settled(firing!.messageId, true, T0 + 6_000);
    // The group was sent at T0, so its next message goes a group_interval (5 min) later.
    expect(restoredNotifier.nextWakeAt()).toBe(T0 + 5 * MIN);
    expect(restoredNotifier.due(T0 + 5 * MIN).map((m) => m.content.type)).toEqual(['stockout_risk.resolved']);
  });
});
