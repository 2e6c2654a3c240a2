/**
 * The delivery core against real receivers and a real ClickHouse delivery log, before the
 * streaming runtime drives it: alerts go to four subscriptions whose endpoints are the Python
 * reference receiver (standardwebhooks verifies every signature) answering 200, failing half its
 * requests with 500, answering 410, and answering too late. Expected values come from what the
 * receivers recorded, not from the code under test.
 */
import { randomBytes } from 'node:crypto';
import type { Alert } from '../../schemas/generated/events';
import { migrate } from '../../clickhouse/migrate';
import { createKafka } from '../../lib/clients/kafka';
import { listDeliveries, replayMessages } from '../../services/alerts/delivery-history';
import type { SubscriptionRecord } from '../../services/alerts/subscription';
import { createSubscriptionStore } from '../../services/alerts/subscription-store';
import { createMetrics } from '../../lib/metrics';
import { createDeliveryCore } from '../../services/alerts/delivery-core';
import { createDeliveryLog } from '../../services/alerts/delivery-log';
import { createDeliveryMetrics } from '../../services/alerts/delivery-metrics';
import { guardedLookup } from '../../services/alerts/destination-guard';
import { createSecretBox } from '../../services/alerts/secret-box';
import { parseSubscriptionRequest } from '../../services/alerts/subscription';
import { createSubscriptionRecord } from '../../services/alerts/subscription-records';
import { createWebhookSender } from '../../services/alerts/webhook-sender';
import { createTestTopic, registerCleanup, testAdmin, testClickHouse, testConfig, testLogger, waitFor } from '../harness/fixtures';
import { startReferenceReceiver, type ReferenceReceiver } from '../harness/webhook-receiver';

const policy = { allowedHosts: ['127.0.0.1'] };
const box = createSecretBox(randomBytes(32));

function alert(i: number): Alert {
  return {
    alert_id: `stock:OUT_OF_STOCK:S00${i % 3}:SKU-${i}:0:${i}`,
    state: 'RAISED',
    occurred_at: Date.now(),
    store_id: `S00${i % 3}`,
    sku: `SKU-${i}`,
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

describe('alert delivery to real receivers, logged in ClickHouse', () => {
  it('delivers, retries, dead-letters a 410 and logs every attempt', async () => {
    const config = testConfig();
    const { client, database } = await testClickHouse(config);
    await migrate(client, database);
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    const receivers: Record<'ok' | 'flaky' | 'gone' | 'slow', ReferenceReceiver> = {
      ok: await startReferenceReceiver({ secrets: [secret] }),
      flaky: await startReferenceReceiver({ secrets: [secret], statuses: [500, 200] }),
      gone: await startReferenceReceiver({ secrets: [secret], statuses: [410] }),
      slow: await startReferenceReceiver({ secrets: [secret], delayMs: 2_500 }),
    };
    const sender = createWebhookSender({ lookup: guardedLookup(policy), maxSocketsPerHost: 4, userAgent: 'shelfstream-test' });
    registerCleanup(async () => sender.close());
    const disabled: string[] = [];
    const log = createDeliveryLog(client, database);
    const core = createDeliveryCore({
      box,
      sender,
      log,
      metrics: createDeliveryMetrics(createMetrics('alerts-test', { collectDefaults: false })),
      logger: testLogger(),
      lookup: { store: () => ({ region: 'north', time_zone: 'Europe/Berlin' }), category: () => 'dairy' },
      clock: Date.now,
      random: () => 0.5,
      concurrency: 4,
      timeoutMs: 1_000,
      onEndpointDisabled: (id) => disabled.push(id),
    });
    const { settings } = parseSubscriptionRequest({ url: 'https://x.invalid/', event_types: ['out_of_stock'], group_by: [], group_wait_ms: 0 });
    const ids: Record<string, string> = {};
    const records: SubscriptionRecord[] = [];
    for (const [name, receiver] of Object.entries(receivers)) {
      const id = `sub_${name}_${randomBytes(3).toString('hex')}`;
      ids[name] = id;
      const { record } = createSubscriptionRecord({ subscriptionId: id, url: receiver.url, settings, secret }, { box, policy, now: Date.now() });
      records.push(record);
      core.apply(id, record);
    }
    const okRecord = records[0]!;

    const alerts = Array.from({ length: 6 }, (_, i) => alert(i));
    for (const a of alerts) core.offer(a);
    core.tick();

    // ok: every alert once; flaky: every alert, its first tries failing, retried 5 s later.
    await waitFor(
      async () => {
        core.tick();
        const [ok, flaky] = [await receivers.ok.received(), await receivers.flaky.received()];
        return ok.length >= 6 && flaky.filter((r) => r.status === 200).length >= 6;
      },
      { timeoutMs: 40_000, intervalMs: 200, what: 'every alert at the ok and flaky receivers' },
    );
    await core.idle();
    await log.flush();

    const ok = await receivers.ok.received();
    const flaky = await receivers.flaky.received();
    for (const r of [...ok, ...flaky]) expect(r.verified).toEqual([true]);
    const alertIdsOf = (rs: { body: string }[]) => rs.map((r) => (JSON.parse(r.body) as { data: { alerts: { alert_id: string }[] } }).data.alerts[0]!.alert_id).sort();
    expect(alertIdsOf(ok)).toEqual(alerts.map((a) => a.alert_id).sort());
    expect(alertIdsOf(flaky.filter((r) => r.status === 200))).toEqual(alerts.map((a) => a.alert_id).sort());
    // One webhook-id per message across its retries, and always the same body under it.
    const bodies = new Map<string, Set<string>>();
    for (const r of flaky) bodies.set(r.webhook_id, (bodies.get(r.webhook_id) ?? new Set()).add(r.body));
    expect(bodies.size).toBe(6);
    for (const set of bodies.values()) expect(set.size).toBe(1);

    // gone: the attempts already in flight (up to the concurrency of 4) get 410, the endpoint is
    // disabled and what still waited is dead-lettered without a try.
    const goneRequests = (await receivers.gone.received()).length;
    expect(goneRequests).toBeGreaterThanOrEqual(1);
    expect(goneRequests).toBeLessThanOrEqual(4);
    expect(disabled).toEqual([ids.gone]);
    // slow: its attempts timed out and wait for their 5-minute retry: not lost.
    expect(core.pending).toBeGreaterThan(0);

    const rows = (await (
      await client.query({ query: `SELECT subscription_id, attempt, outcome, status_code, error, dead_letter_reason, endpoint FROM ${database}.bi_alert_deliveries ORDER BY attempted_at`, format: 'JSONEachRow' })
    ).json()) as { subscription_id: string; attempt: number; outcome: string; status_code: number; error: string; dead_letter_reason: string; endpoint: string }[];
    const bySub = (name: string) => rows.filter((r) => r.subscription_id === ids[name]);
    expect(bySub('ok').map((r) => [r.outcome, r.status_code])).toEqual(Array(6).fill(['delivered', 200]));
    expect(bySub('flaky').length).toBe(flaky.length);
    expect(bySub('flaky').filter((r) => r.outcome === 'retry').every((r) => r.status_code === 500 && r.error === 'HTTP 500')).toBe(true);
    expect(bySub('gone').map((r) => [r.attempt, r.outcome, r.dead_letter_reason]).sort()).toEqual(
      [...Array(6 - goneRequests).fill([0, 'dead_letter', 'endpoint disabled: the endpoint answered 410 Gone']), ...Array(goneRequests).fill([1, 'dead_letter', 'the endpoint answered 410 Gone'])].sort(),
    );
    expect(bySub('slow').length).toBeGreaterThan(0);
    expect(bySub('slow').every((r) => r.outcome === 'retry' && r.status_code === 0 && r.error.startsWith('timed out'))).toBe(true);
    for (const r of rows) expect(r.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\*\*\*$/);

    // Replay: a logged message sent again byte for byte under its webhook-id, logged as attempt 2.
    // A stand-in of the subscriptions topic: what a test subscribes must not reach `make demo`.
    const topic = await createTestTopic(await testAdmin(config), { prefix: 'alert-subscriptions', partitions: 3, compacted: true });
    const store = createSubscriptionStore(createKafka(config.kafka, testLogger(), 'alerts-replay-test'), topic);
    registerCleanup(() => store.close());
    await store.put(okRecord);
    registerCleanup(() => store.remove(okRecord.subscription_id));
    const original = ok[0]!;
    const answers = await replayMessages({ client, database, store, box, sender, log, timeoutMs: 5_000, clock: Date.now }, { messageId: original.webhook_id });
    expect(answers).toEqual([{ message_id: original.webhook_id, status: 200, outcome: 'delivered' }]);
    const again = (await receivers.ok.received()).at(-1)!;
    expect([again.webhook_id, again.body, again.verified]).toEqual([original.webhook_id, original.body, [true]]);
    const history = await listDeliveries(client, database, { messageId: original.webhook_id, limit: 10 });
    expect(history.map((h) => [h.attempt, h.outcome, h.status_code])).toEqual([
      [2, 'delivered', 200],
      [1, 'delivered', 200],
    ]);
  });
});
