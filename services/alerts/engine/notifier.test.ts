import type { Alert } from '../../../schemas/generated/events';
import { parseSubscriptionRequest, type SubscriptionRequest } from '../subscription';
import { createNotifier, createRateBudget, type MasterDataLookup, type Notifier, type OutgoingMessage } from './notifier';

/** Master data of the tests: two Berlin stores in region north, one New York store in west. */
const lookup: MasterDataLookup = {
  store: (id) => ({ S001: { region: 'north', time_zone: 'Europe/Berlin' }, S002: { region: 'north', time_zone: 'Europe/Berlin' }, S003: { region: 'west', time_zone: 'America/New_York' } })[id],
  category: (sku) => (sku.startsWith('MILK') ? 'dairy' : 'snacks'),
};

const T0 = Date.parse('2026-12-05T10:00:00Z'); // 11:00 in Berlin
const SEC = 1_000;
const MIN = 60_000;
const HOUR = 3_600_000;

let seq = 0;
function alert(o: Partial<Alert> = {}): Alert {
  seq += 1;
  return {
    alert_id: `a${seq}`,
    state: 'RAISED',
    occurred_at: T0,
    store_id: 'S001',
    sku: 'MILK-1',
    terminal_id: null,
    alert_type: 'STOCKOUT_RISK',
    severity: 'WARNING',
    score: 0.8,
    reason: 'low',
    processor: 'stock',
    measures: {},
    acted_by: null,
    snoozed_until: null,
    ...o,
  };
}
const resolve = (a: Alert, at: number): Alert => ({ ...a, state: 'RESOLVED', occurred_at: at });

function notifier(request: Partial<SubscriptionRequest> = {}, silences: Parameters<typeof createNotifier>[0]['silences'] = []): Notifier {
  const { settings } = parseSubscriptionRequest({ url: 'https://example.com/h', event_types: ['stockout_risk', 'out_of_stock', 'anomaly'], ...request });
  return createNotifier({ id: 'sub_t', settings, silences }, lookup);
}

/**
 * A fake clock driving the notifier as the runtime will: alerts offered at their times, `due`
 * called at every wake-up, each message settled right away (delivered unless `fail` says no).
 */
function drive(n: Notifier, events: [number, Alert][], until: number, fail: (m: OutgoingMessage) => boolean = () => false): { at: number; message: OutgoingMessage }[] {
  const sent: { at: number; message: OutgoingMessage }[] = [];
  const queue = [...events].sort((a, b) => a[0] - b[0]);
  let now = queue[0]?.[0] ?? T0;
  for (let guard = 0; guard < 100_000; guard++) {
    while (queue.length > 0 && queue[0]![0] <= now) n.offer(queue.shift()![1], now);
    for (const message of n.due(now)) {
      sent.push({ at: now, message });
      n.settled(message.messageId, !fail(message), now);
    }
    const next = Math.min(queue[0]?.[0] ?? Infinity, n.nextWakeAt() ?? Infinity);
    if (next > until) return sent;
    now = Math.max(next, now + 1);
  }
  throw new Error('the notifier never settled');
}

const types = (sent: { message: OutgoingMessage }[]): string[] => sent.map((x) => x.message.content.type);
const ids = (m: OutgoingMessage): string[] => m.content.alerts.map((a) => `${a.alert_id}:${a.event_type}`);

describe('grouping (group_wait, group_interval, repeat_interval)', () => {
  it('waits group_wait after a group first changes, then sends its alerts together', () => {
    const [a, b] = [alert(), alert({ sku: 'CHIPS-1', occurred_at: T0 + 10 * SEC })];
    const sent = drive(notifier(), [[T0, a], [T0 + 10 * SEC, b]], T0 + 10 * MIN);
    expect(sent.map((x) => [x.at - T0, x.message.content.type, ids(x.message)])).toEqual([[30 * SEC, 'alerts.group', [`${a.alert_id}:stockout_risk.raised`, `${b.alert_id}:stockout_risk.raised`]]]);
    expect(sent[0]!.message.content.groupLabels).toEqual({ store_id: 'S001' });
  });

  it('sends later changes of the group at group_interval, not before', () => {
    const [a, b] = [alert(), alert({ occurred_at: T0 + 40 * SEC })];
    const sent = drive(notifier(), [[T0, a], [T0 + 40 * SEC, b]], T0 + 20 * MIN);
    expect(sent.map((x) => (x.at - T0) / SEC)).toEqual([30, 330]);
  });

  it('keeps groups of different stores apart', () => {
    const sent = drive(notifier(), [[T0, alert()], [T0, alert({ store_id: 'S002' })]], T0 + MIN);
    expect(sent.map((x) => x.message.content.groupKey).sort()).toEqual(['store_id=S001', 'store_id=S002']);
  });

  it('keeps stores apart in a group by kind from a record written before store_id was required', () => {
    const { settings } = parseSubscriptionRequest({ url: 'https://example.com/h', event_types: ['stockout_risk'] });
    const n = createNotifier({ id: 'sub_old', settings: { ...settings, group_by: ['kind'] }, silences: [] }, lookup);
    const sent = drive(n, [[T0, alert()], [T0, alert({ store_id: 'S002' })], [T0, alert({ sku: 'CHIPS-1' })]], T0 + MIN);
    expect(sent.map((x) => [x.message.content.groupKey, x.message.content.alerts.length]).sort()).toEqual([
      ['store_id=S001,kind=stockout_risk', 2],
      ['store_id=S002,kind=stockout_risk', 1],
    ]);
  });

  it('sends a still-firing group again after repeat_interval (4 h), and not before', () => {
    const sent = drive(notifier(), [[T0, alert()]], T0 + 9 * HOUR);
    expect(sent.map((x) => (x.at - T0) / SEC)).toEqual([30, 30 + 4 * 3600, 30 + 8 * 3600]);
  });

  it('sends each alert in a message of its own when ungrouped, as soon as group_wait 0 allows', () => {
    const sent = drive(notifier({ group_by: [], group_wait_ms: 0 }), [[T0, alert()], [T0, alert({ sku: 'CHIPS-2' })]], T0 + MIN);
    expect(sent.map((x) => [x.at - T0, x.message.content.type, x.message.content.groupKey])).toEqual([
      [0, 'stockout_risk.raised', null],
      [0, 'stockout_risk.raised', null],
    ]);
  });
});

describe('one notification per situation, an update on a higher severity', () => {
  it('ignores the same alert raised again (at-least-once upstream) and a lower severity', () => {
    const a = alert();
    const sent = drive(notifier(), [[T0, a], [T0 + MIN, a], [T0 + 2 * MIN, { ...a, severity: 'INFO' }]], T0 + HOUR);
    expect(types(sent)).toEqual(['stockout_risk.raised']);
  });

  it('sends an update when the same situation rises to a higher severity', () => {
    const a = alert();
    const sent = drive(notifier(), [[T0, a], [T0 + MIN, { ...a, severity: 'CRITICAL', score: 0.97 }]], T0 + HOUR);
    expect(types(sent)).toEqual(['stockout_risk.raised', 'stockout_risk.updated']);
    expect(sent[1]!.message.content.alerts[0]).toMatchObject({ severity: 'critical', raised_at: new Date(T0).toISOString() });
  });

  it('folds a rise that comes before the first message into that message', () => {
    const a = alert();
    const sent = drive(notifier(), [[T0, a], [T0 + 5 * SEC, { ...a, severity: 'CRITICAL' }]], T0 + HOUR);
    expect(sent.map((x) => [x.message.content.type, x.message.content.alerts[0]!.severity])).toEqual([['stockout_risk.raised', 'critical']]);
  });
});

describe('a resolved for every delivered firing, none for an undelivered one', () => {
  it('sends the resolved of a delivered firing', () => {
    const a = alert();
    const sent = drive(notifier(), [[T0, a], [T0 + HOUR, resolve(a, T0 + HOUR)]], T0 + 2 * HOUR);
    expect(types(sent)).toEqual(['stockout_risk.raised', 'stockout_risk.resolved']);
    expect(sent[1]!.message.content.alerts[0]).toMatchObject({ status: 'resolved', resolved_at: new Date(T0 + HOUR).toISOString() });
  });

  it('sends nothing for a situation over before its group was sent', () => {
    const a = alert();
    expect(drive(notifier(), [[T0, a], [T0 + 10 * SEC, resolve(a, T0 + 10 * SEC)]], T0 + HOUR)).toEqual([]);
  });

  it('sends no resolved for a firing that was dead-lettered', () => {
    const a = alert();
    const sent = drive(notifier(), [[T0, a], [T0 + HOUR, resolve(a, T0 + HOUR)]], T0 + 2 * HOUR, (m) => m.content.type === 'stockout_risk.raised');
    expect(types(sent)).toEqual(['stockout_risk.raised']);
  });

  it('holds a resolved that comes while its firing is being delivered until the outcome', () => {
    const n = notifier({ group_wait_ms: 0 });
    const a = alert();
    n.offer(a, T0);
    const [firing] = n.due(T0);
    n.offer(resolve(a, T0 + SEC), T0 + SEC);
    expect(n.due(T0 + 10 * MIN)).toEqual([]);
    n.settled(firing!.messageId, true, T0 + 2 * SEC);
    expect(n.due(T0 + 10 * MIN).map((m) => m.content.type)).toEqual(['stockout_risk.resolved']);

    const b = alert();
    n.offer(b, T0 + HOUR);
    const [second] = n.due(T0 + HOUR + 6 * MIN);
    n.offer(resolve(b, T0 + HOUR + 7 * MIN), T0 + HOUR + 7 * MIN);
    n.settled(second!.messageId, false, T0 + HOUR + 8 * MIN);
    expect(n.due(T0 + 3 * HOUR)).toEqual([]);
  });

  it('still owes the resolved when a delivered firing rises and then ends before the update went', () => {
    const a = alert();
    const sent = drive(notifier(), [[T0, a], [T0 + MIN, { ...a, severity: 'CRITICAL' }], [T0 + 2 * MIN, resolve(a, T0 + 2 * MIN)]], T0 + HOUR);
    expect(types(sent)).toEqual(['stockout_risk.raised', 'stockout_risk.resolved']);
  });

  it('sends no resolved to a subscription that asked for raised only', () => {
    const a = alert();
    const sent = drive(notifier({ event_types: ['stockout_risk.raised'] }), [[T0, a], [T0 + HOUR, resolve(a, T0 + HOUR)]], T0 + 2 * HOUR);
    expect(types(sent)).toEqual(['stockout_risk.raised']);
  });
});

describe('inhibition and silences', () => {
  it('lets an out-of-stock silence the waiting risk of the same store x sku, not of another sku', () => {
    const risk = alert({ sku: 'MILK-1' });
    const other = alert({ sku: 'MILK-2' });
    const out = alert({ alert_type: 'OUT_OF_STOCK', severity: 'CRITICAL', score: 1, sku: 'MILK-1', occurred_at: T0 + 5 * SEC });
    const sent = drive(notifier(), [[T0, risk], [T0, other], [T0 + 5 * SEC, out]], T0 + MIN);
    expect(ids(sent[0]!.message).sort()).toEqual([`${other.alert_id}:stockout_risk.raised`, `${out.alert_id}:out_of_stock.raised`].sort());
  });

  it('holds a risk raised during an out-of-stock and announces it if still open when the out-of-stock ends', () => {
    const out = alert({ alert_type: 'OUT_OF_STOCK', severity: 'CRITICAL' });
    const risk = alert({ occurred_at: T0 + MIN });
    const sent = drive(notifier(), [[T0, out], [T0 + MIN, risk], [T0 + HOUR, resolve(out, T0 + HOUR)]], T0 + 2 * HOUR);
    expect(sent.map((x) => ids(x.message))).toEqual([[`${out.alert_id}:out_of_stock.raised`], expect.arrayContaining([`${out.alert_id}:out_of_stock.resolved`, `${risk.alert_id}:stockout_risk.raised`])]);
  });

  it('sends no resolved for a risk that was inhibited all along', () => {
    const out = alert({ alert_type: 'OUT_OF_STOCK', severity: 'CRITICAL' });
    const risk = alert();
    const sent = drive(notifier(), [[T0, out], [T0 + MIN, risk], [T0 + 2 * MIN, resolve(risk, T0 + 2 * MIN)]], T0 + HOUR);
    expect(sent.flatMap((x) => ids(x.message))).toEqual([`${out.alert_id}:out_of_stock.raised`]);
  });

  it('mutes a silenced store until the silence ends, then announces what is still open', () => {
    const silence = { silence_id: 'sil_1', store_id: 'S001', sku: null, kind: null, starts_at: T0 - HOUR, ends_at: T0 + HOUR, comment: 'refit' };
    const muted = alert();
    const other = alert({ store_id: 'S002' });
    const sent = drive(notifier({}, [silence]), [[T0, muted], [T0, other]], T0 + 2 * HOUR);
    expect(sent.map((x) => [(x.at - T0) / SEC, x.message.content.groupKey])).toEqual([
      [30, 'store_id=S002'],
      [3600 + 30, 'store_id=S001'],
    ]);
  });
});

describe('quiet hours, rate cap and digests', () => {
  it('sends nothing in store-local quiet hours and sends what is due when they end', () => {
    const at = Date.parse('2026-12-05T22:00:00Z'); // 23:00 in Berlin
    const sent = drive(notifier({ quiet_hours: { start: '22:00', end: '06:00' } }), [[at, alert({ occurred_at: at })]], at + 8 * HOUR);
    expect(sent.map((x) => new Date(x.at).toISOString())).toEqual(['2026-12-06T05:00:00.000Z']);
  });

  it('rolls messages past the per-minute cap into one summary at the end of the minute', () => {
    const start = Date.parse('2026-12-05T10:00:00Z');
    const alerts = Array.from({ length: 10 }, (_, i) => alert({ sku: `CHIPS-${i}` }));
    const sent = drive(notifier({ group_by: [], group_wait_ms: 0, rate_cap_per_minute: 3 }), alerts.map((a) => [start, a] as [number, Alert]), start + 5 * MIN);
    expect(sent.map((x) => [(x.at - start) / SEC, x.message.content.type, x.message.content.alerts.length])).toEqual([
      [0, 'stockout_risk.raised', 1],
      [0, 'stockout_risk.raised', 1],
      [0, 'stockout_risk.raised', 1],
      [60, 'alerts.summary', 7],
    ]);
    expect(sent[3]!.message.content.summary).toMatchObject({ suppressed_messages: 7, by_kind: { stockout_risk: 7 } });
  });

  it('counts the cap across the tasks of a process: two notifiers of one subscription share one budget', () => {
    const start = Date.parse('2026-12-05T10:00:00Z');
    const budget = createRateBudget();
    const { settings } = parseSubscriptionRequest({ url: 'https://example.com/h', event_types: ['stockout_risk'], group_by: [], group_wait_ms: 0, rate_cap_per_minute: 3 });
    // Two partitions' tasks: stores S001 and S002 land on different partitions.
    const tasks = [createNotifier({ id: 'sub_t', settings, silences: [] }, lookup, { rateBudget: budget }), createNotifier({ id: 'sub_t', settings, silences: [] }, lookup, { rateBudget: budget })];
    const sent = tasks.map((n, i) => drive(n, Array.from({ length: 4 }, (_, k) => [start, alert({ store_id: `S00${i + 1}`, sku: `CHIPS-${k}` })] as [number, Alert]), start + 5 * MIN));
    // By hand: 3 messages in the minute for the endpoint (the first task's), the rest summarised per task at its end.
    expect(sent.map((list) => list.map((x) => [(x.at - start) / SEC, x.message.content.type, x.message.content.alerts.length]))).toEqual([
      [
        [0, 'stockout_risk.raised', 1],
        [0, 'stockout_risk.raised', 1],
        [0, 'stockout_risk.raised', 1],
        [60, 'alerts.summary', 1],
      ],
      [[60, 'alerts.summary', 4]],
    ]);
  });

  it('splits the cap across the instances of a group by the share of partitions each owns', () => {
    const windowStart = Date.parse('2026-12-05T10:00:00Z');
    // 12 partitions: one instance owns 8, the other 4, a third joins and they own 4 each.
    const spend = (share: number): number => {
      const budget = createRateBudget(() => share);
      let sent = 0;
      while (budget.take('sub_t', windowStart, 10) && sent < 100) sent++;
      return sent;
    };
    // By hand: floor(10 x 8/12) = 6 and floor(10 x 4/12) = 3: 9 <= 10; three of 4/12: 3 + 3 + 3.
    expect([spend(8 / 12), spend(4 / 12)]).toEqual([6, 3]);
    expect([spend(4 / 12), spend(4 / 12), spend(4 / 12)]).toEqual([3, 3, 3]);
    expect(spend(1)).toBe(10);
    // A share too small for a whole message still sends one a minute (a cap below the instances' number).
    expect(spend(1 / 12)).toBe(1);
  });

  it('takes a new share at once (a rebalance mid-minute)', () => {
    const windowStart = Date.parse('2026-12-05T10:00:00Z');
    let share = 1 / 2;
    const budget = createRateBudget(() => share);
    const taken = Array.from({ length: 6 }, () => budget.take('sub_t', windowStart, 6));
    share = 1;
    taken.push(...Array.from({ length: 4 }, () => budget.take('sub_t', windowStart, 6)));
    expect(taken).toEqual([true, true, true, false, false, false, true, true, true, false]);
  });

  it('sends a digest per store at its local time listing what is open, and no message per alert', () => {
    const early = Date.parse('2026-12-05T04:00:00Z'); // 05:00 in Berlin, 23:00 in New York
    const [a, b, c] = [alert({ occurred_at: early }), alert({ sku: 'MILK-9', occurred_at: early }), alert({ store_id: 'S003', occurred_at: early })];
    const sent = drive(notifier({ digest: { local_time: '07:00' } }), [[early, a], [early, b], [early, c], [early + HOUR, resolve(b, early + HOUR)]], early + 6 * HOUR);
    expect(sent.map((x) => [new Date(x.at).toISOString(), x.message.content.type, x.message.content.digest?.store_id, x.message.content.alerts.map((y) => y.alert_id)])).toEqual([
      ['2026-12-05T06:00:00.000Z', 'alerts.digest', 'S001', [a.alert_id]],
    ]);
    const later = drive(notifier({ digest: { local_time: '07:00' } }), [[early, c]], early + 12 * HOUR);
    expect(later.map((x) => [new Date(x.at).toISOString(), x.message.content.digest])).toEqual([['2026-12-05T12:00:00.000Z', { store_id: 'S003', local_date: '2026-12-05', local_time: '07:00', time_zone: 'America/New_York' }]]);
  });
});

describe('filters', () => {
  it.each([
    [{ stores: ['S002'] }, ['S002']],
    [{ regions: ['west'] }, ['S003']],
    [{ categories: ['snacks'] }, ['S001:CHIPS-1']],
    [{ min_severity: 'critical' as const }, ['S002']],
    [{ min_risk: 0.9 }, ['S002']],
  ])('%j lets through only the matching alerts', (filters, expected) => {
    const events: [number, Alert][] = [
      [T0, alert({ store_id: 'S001', sku: 'MILK-1', score: 0.5 })],
      [T0, alert({ store_id: 'S001', sku: 'CHIPS-1', score: 0.5 })],
      [T0, alert({ store_id: 'S002', sku: 'MILK-1', severity: 'CRITICAL', score: 0.95 })],
      [T0, alert({ store_id: 'S003', sku: 'MILK-1', score: 0.5 })],
    ];
    const sent = drive(notifier({ filters: filters as never }), events, T0 + MIN);
    const seen = sent.flatMap((x) => x.message.content.alerts.map((a) => (expected[0]!.includes(':') ? `${a.store_id}:${a.sku}` : a.store_id)));
    expect([...new Set(seen)]).toEqual(expected);
  });

  it('passes an alert that concerns no single store on its kind alone', () => {
    const drift = alert({ store_id: '', sku: null, alert_type: 'DEMAND_DROP', processor: 'forecast' });
    const sent = drive(notifier({ event_types: ['demand_drop'], filters: { stores: ['S001'] } as never }), [[T0, drift]], T0 + MIN);
    expect(types(sent)).toEqual(['demand_drop.raised']);
  });
});

describe('a storm', () => {
  it('brings 10,000 alerts for one store within a minute to a grouped subscription in 21 messages', () => {
    // Hand count: one alert every 6 ms from 0 to 59,994 ms. group_wait 30 s gathers those at
    // 0..30,000 ms (5,001 alerts), sent at 30 s in 11 messages of at most 500; group_interval
    // 5 min gathers the other 4,999, sent at 5 min 30 s in 10 more. 21 messages, under the cap
    // of 60 a minute, and no repeat within the hour (repeat_interval 4 h).
    const events = Array.from({ length: 10_000 }, (_, i) => [T0 + i * 6, alert({ sku: `SKU-${i}`, occurred_at: T0 + i * 6 })] as [number, Alert]);
    const sent = drive(notifier(), events, T0 + HOUR);
    expect(sent.map((x) => (x.at - T0) / SEC).filter((t, i, all) => all.indexOf(t) === i)).toEqual([30, 330]);
    expect(sent).toHaveLength(21);
    expect(sent.filter((x) => x.at === T0 + 30 * SEC).reduce((n, x) => n + x.message.content.alerts.length, 0)).toBe(5_001);
    expect(new Set(sent.flatMap((x) => x.message.content.alerts.map((a) => a.alert_id))).size).toBe(10_000);
  });
});

describe('message ids', () => {
  it('are the same for the same content and differ for different content', () => {
    const [x, y] = [notifier({ group_wait_ms: 0 }), notifier({ group_wait_ms: 0 })];
    const a = alert();
    x.offer(a, T0);
    y.offer(a, T0);
    const [mx, my] = [x.due(T0)[0]!, y.due(T0)[0]!];
    expect(mx.messageId).toBe(my.messageId);
    y.offer(alert(), T0 + HOUR);
    expect(y.due(T0 + HOUR)[0]!.messageId).not.toBe(mx.messageId);
  });
});

describe("a store manager's acknowledgement and snooze (the web app's buttons)", () => {
  const acknowledge = (a: Alert, at: number): Alert => ({ ...a, state: 'ACKNOWLEDGED', occurred_at: at, processor: 'web', acted_by: 'manager_s001' });
  const snooze = (a: Alert, at: number, until: number): Alert => ({ ...a, state: 'SNOOZED', occurred_at: at, processor: 'web', acted_by: 'manager_s001', snoozed_until: until });
  const timesOf = (sent: { at: number; message: OutgoingMessage }[]): [number, string][] => sent.map((x) => [(x.at - T0) / SEC, x.message.content.alerts.map((i) => i.status).join(',')]);

  it('an acknowledged alert is not repeated, and still gets its resolved', () => {
    const a = alert();
    // Without the acknowledgement: 30 s, then repeats at 4 h and 8 h (the grouping test above).
    const sent = drive(notifier(), [[T0, a], [T0 + HOUR, acknowledge(a, T0 + HOUR)], [T0 + 9 * HOUR, resolve(a, T0 + 9 * HOUR)]], T0 + 10 * HOUR);
    expect(timesOf(sent)).toEqual([
      [30, 'firing'],
      [9 * 3600, 'resolved'],
    ]);
  });

  it('an acknowledgement of one alert leaves the repeats of the others in its group', () => {
    const [a, b] = [alert(), alert({ sku: 'CHIPS-1' })];
    const sent = drive(notifier(), [[T0, a], [T0, b], [T0 + HOUR, acknowledge(a, T0 + HOUR)]], T0 + 5 * HOUR);
    expect(sent.map((x) => [(x.at - T0) / SEC, ids(x.message)])).toEqual([
      [30, [`${a.alert_id}:stockout_risk.raised`, `${b.alert_id}:stockout_risk.raised`]],
      [30 + 4 * 3600, [`${b.alert_id}:stockout_risk.raised`]],
    ]);
  });

  it('a snoozed alert is silent until the snooze ends, then told again while it is open', () => {
    const a = alert();
    // Snoozed at 1 h until 6 h: no repeat at 4 h; the reminder at 6 h (+ group_interval's wait: the group last sent at 30 s), repeats 4 h after.
    const sent = drive(notifier(), [[T0, a], [T0 + HOUR, snooze(a, T0 + HOUR, T0 + 6 * HOUR)]], T0 + 11 * HOUR);
    expect(timesOf(sent)).toEqual([
      [30, 'firing'],
      [6 * 3600, 'firing'],
      [10 * 3600, 'firing'],
    ]);
  });

  it('a snoozed alert that resolves during the snooze gets its resolved and no reminder', () => {
    const a = alert();
    const sent = drive(notifier(), [[T0, a], [T0 + HOUR, snooze(a, T0 + HOUR, T0 + 6 * HOUR)], [T0 + 2 * HOUR, resolve(a, T0 + 2 * HOUR)]], T0 + 12 * HOUR);
    expect(timesOf(sent)).toEqual([
      [30, 'firing'],
      [2 * 3600, 'resolved'],
    ]);
  });

  it('a firing snoozed before it was sent waits for the end of the snooze; resolved before, it is never told', () => {
    const [a, b] = [alert(), alert({ store_id: 'S002' })];
    const sent = drive(
      notifier(),
      [
        [T0, a],
        [T0, b],
        [T0 + 10 * SEC, snooze(a, T0 + 10 * SEC, T0 + HOUR)],
        [T0 + 10 * SEC, snooze(b, T0 + 10 * SEC, T0 + HOUR)],
        [T0 + 20 * MIN, resolve(b, T0 + 20 * MIN)],
      ],
      T0 + 2 * HOUR,
    );
    expect(sent.map((x) => [(x.at - T0) / SEC, ids(x.message)])).toEqual([[3600 + 30, [`${a.alert_id}:stockout_risk.raised`]]]);
  });

  it('an acknowledgement during a snooze cancels the reminder; a snooze after an acknowledgement asks for one', () => {
    const [a, b] = [alert(), alert({ store_id: 'S002' })];
    const sent = drive(
      notifier(),
      [
        [T0, a],
        [T0, b],
        [T0 + HOUR, snooze(a, T0 + HOUR, T0 + 2 * HOUR)],
        [T0 + 90 * MIN, acknowledge(a, T0 + 90 * MIN)],
        [T0 + HOUR, acknowledge(b, T0 + HOUR)],
        [T0 + 90 * MIN, snooze(b, T0 + 90 * MIN, T0 + 2 * HOUR)],
      ],
      T0 + 7 * HOUR,
    );
    expect(sent.map((x) => [(x.at - T0) / SEC, x.message.content.groupKey])).toEqual([
      [30, 'store_id=S001'],
      [30, 'store_id=S002'],
      [2 * 3600, 'store_id=S002'],
      [6 * 3600, 'store_id=S002'],
    ]);
  });

  it('ignores an acknowledgement of an alert it does not follow, and keeps both across a restart', () => {
    const a = alert();
    const other = alert({ store_id: 'S003' });
    const n = notifier({ filters: { stores: ['S001'] } });
    drive(n, [[T0, a], [T0, acknowledge(other, T0)], [T0 + MIN, snooze(a, T0 + MIN, T0 + 5 * HOUR)]], T0 + 2 * MIN);
    const restored = notifier({ filters: { stores: ['S001'] } });
    restored.importState(JSON.parse(JSON.stringify(n.exportState())) as ReturnType<Notifier['exportState']>);
    expect(restored.stats().situations).toBe(1);
    // No repeat at 4 h (snoozed); the reminder when the snooze ends.
    const sent = drive(restored, [[T0 + 2 * MIN, alert({ store_id: 'S003' })]], T0 + 6 * HOUR);
    expect(timesOf(sent)).toEqual([[5 * 3600, 'firing']]);
  });
});
