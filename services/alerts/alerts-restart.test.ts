/**
 * The alerts task on the runtime's real core (test driver), restarted after a crash with a
 * failed first attempt in its restored queue: once its retry is due, the wall-clock timer alone
 * (no new alert on the partition) must send it again, under the same webhook-id. The receiver is
 * a real HTTP server on loopback that fails each message's first request, as the flaky receiver
 * of the SIGKILL test does; what it received is the expected value, not the task's own log.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Alert } from '../../schemas/generated/events';
import type { GlobalTable } from '../../streams/runtime/global-table';
import { TestDriver } from '../../streams/runtime/test-driver';
import pino from 'pino';
import { alertsProcessor, DELIVERY_STORE } from './alerts-processor';
import type { DeliveryState } from './delivery-core';
import { guardedLookup } from './destination-guard';
import { createSecretBox } from './secret-box';
import type { SubscriptionRecord } from './subscription';
import { parseSubscriptionRequest } from './subscription';
import { createSubscriptionRecord } from './subscription-records';
import { createWebhookSender } from './webhook-sender';

const TOPIC = 'alerts-restart-test';

/** Answers 500 to the first request of each webhook-id, 200 afterwards; keeps every webhook-id received in order. */
async function flakyReceiver(): Promise<{ url: string; received: string[]; close(): Promise<void> }> {
  const received: string[] = [];
  const server: Server = createServer((req, res) => {
    const id = String(req.headers['webhook-id']);
    req.resume();
    req.on('end', () => {
      const first = !received.includes(id);
      received.push(id);
      res.statusCode = first ? 500 : 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The subscriptions as a global table already read to its end (what the service's reader gives a task). */
function subscriptionsOf(records: readonly SubscriptionRecord[]): GlobalTable<SubscriptionRecord> {
  const values = new Map(records.map((r) => [r.subscription_id, r]));
  return { ready: Promise.resolve(), get: (id) => values.get(id), entries: () => values.entries(), listen: () => () => undefined, catchUp: async () => undefined, stop: async () => undefined };
}

function outOfStock(sku: string, at: number): Alert {
  return {
    alert_id: `stock:OUT_OF_STOCK:S001:${sku}:test`,
    state: 'RAISED',
    occurred_at: at,
    store_id: 'S001',
    sku,
    terminal_id: null,
    alert_type: 'OUT_OF_STOCK',
    severity: 'CRITICAL',
    score: 1,
    reason: 'on_hand reached 0',
    processor: 'stock',
    measures: { on_hand: 0 },
    acted_by: null,
    snoozed_until: null,
  };
}

/** Polls `check` with the driver's wall clock standing still (no retry becomes due meanwhile), up to a real-time deadline. */
async function until(what: string, check: () => boolean, step: () => Promise<void>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await step();
    if (check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('alerts task restarted with a failed first attempt in its queue', () => {
  const box = createSecretBox(randomBytes(32));
  let receiver: Awaited<ReturnType<typeof flakyReceiver>>;
  const sender = createWebhookSender({ lookup: guardedLookup({ allowedHosts: ['127.0.0.1'] }), maxSocketsPerHost: 4, userAgent: 'alerts-restart-test' });

  beforeEach(async () => {
    receiver = await flakyReceiver();
  });
  afterEach(async () => {
    await receiver.close();
  });
  afterAll(() => sender.close());

  it('retries it on the wall-clock timer once due, with no new alert on the partition', async () => {
    const { url, settings } = parseSubscriptionRequest({ url: receiver.url, event_types: ['out_of_stock'], group_by: [], group_wait_ms: 0, group_interval_ms: 1_000, rate_cap_per_minute: 100_000 });
    const start = Date.parse('2026-12-06T08:00:00Z');
    const subscription = createSubscriptionRecord({ subscriptionId: 'sub_flaky', url, settings }, { box, policy: { allowedHosts: ['127.0.0.1'] }, now: start }).record;
    const definition = alertsProcessor({
      alertsTopic: TOPIC,
      subscriptions: subscriptionsOf([subscription]),
      box,
      sender,
      timeoutMs: 2_000,
      concurrency: 4,
      partitions: 1,
      // Second attempt 1 s after the first (jitter +-20 %), the rest far away.
      retryScheduleMs: [0, 1_000, 3_600_000],
      circuitOpenMs: 1_000,
      logger: pino({ level: 'silent' }),
      // The task's clock is the driver's: retries fall due only when the test moves it.
      clock: () => driver.nowMs,
    });
    const driver = new TestDriver(definition, { startMs: start, partitions: 1, flushIntervalMs: 200, query: async () => [] });

    await driver.pipe(TOPIC, 0, { key: 'S001', value: outOfStock('SKU-1', start) });
    // The record's flush: the notifier's message is queued and its first attempt sent (500).
    await driver.flush();
    const saved = (): DeliveryState | undefined => {
      const snapshots = driver.state.snapshots.filter((s) => s.owner === 'alerts' && s.partition === 0);
      let state: DeliveryState | undefined;
      for (const s of snapshots) for (const c of s.stores) if (c.store === DELIVERY_STORE) for (const [, value] of c.changes) state = value === null ? undefined : (JSON.parse(value) as DeliveryState); // snapshots hold JSON text
      return state;
    };
    await until('the failed first attempt in a saved snapshot', () => saved()?.queue[0]?.attempts === 1 && saved()?.queue[0]?.lastError !== undefined, () => driver.flush());
    const webhookId = saved()!.queue[0]!.messageId;
    expect(receiver.received).toEqual([webhookId]);

    driver.crash();
    await driver.restart();
    // Past the retry's due time (1 s +-20 %); no record arrives on the partition.
    await driver.advanceWallClock(1_500);
    await until('the retry of the restored message', () => receiver.received.length >= 2, () => driver.advanceWallClock(100));
    expect(receiver.received).toEqual([webhookId, webhookId]);
  });
});
