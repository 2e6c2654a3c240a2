/**
 * A store manager acknowledges and snoozes an alert from the web app, over HTTP as the page does
 * it (session cookie, CSRF header, same origin): the action goes to the alerts topic (read back
 * with a Kafka consumer), the alerts service reads it and writes the history (alert_actions), and
 * the store-manager page shows it. A scoped user cannot act on another store's alert; a resolved
 * alert, a bad snooze, a missing CSRF token are refused with what is wrong.
 *
 * The alerts acted on are rows the test writes into `alerts` (as the stock processor would); who
 * acted and the snooze's length are the test's own inputs, so the expected events are known
 * without the code under test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { migrate } from '../../clickhouse/migrate';
import { createKafka } from '../../lib/clients/kafka';
import { createSchemaRegistry } from '../../lib/clients/registry';
import { EventCodec } from '../../lib/events/codec';
import { createMetrics } from '../../lib/metrics';
import { loadCatalog } from '../../schemas/catalog';
import type { Alert } from '../../schemas/generated/events';
import { startAlertsService } from '../../services/alerts/service';
import { SUBSCRIPTIONS_TOPIC } from '../../services/alerts/subscription-store';
import { openAlertsPublisher } from '../../services/forecast/drift-alerts';
import { ensureAdminToken } from '../../services/sql/authenticator';
import { EMPTY_USERS, withUser, writeBiUsers } from '../../services/sql/bi-users';
import { createSqlExecutor } from '../../services/sql/executor';
import { hashPassword } from '../../services/sql/passwords';
import { executorReader, startWebService, type WebService } from '../../services/web';
import { ALERTS_TOPIC } from '../../streams/runtime/alerts';
import { createStandInCatalogue, createTestTopic, registerCleanup, testAdmin, testClickHouse, testConfig, testLogger, uniqueName, waitFor } from '../harness/fixtures';

const CHAIN = { user: 'chain_ops', password: 'chain-secret-2' };
const MANAGER = { user: 'manager_s001', password: 'store-secret-2' };
const MINUTE = 60_000;

describe('acknowledge and snooze an alert from the web app', () => {
  let client: ClickHouseClient;
  let database: string;
  let web: WebService;
  const published: Alert[] = [];
  const runId = randomBytes(3).toString('hex');
  const ids = { open: `stock:OUT_OF_STOCK:S001:MILK-1:${runId}`, otherStore: `stock:OUT_OF_STOCK:S002:MILK-1:${runId}`, resolved: `stock:STOCKOUT_RISK:S001:BREAD-2:${runId}` };

  beforeAll(async () => {
    const secretKey = randomBytes(32).toString('base64');
    const base = testConfig({ ALERTS_SECRET_KEY: secretKey });
    const logger = testLogger();
    ({ client, database } = await testClickHouse(base));
    const config = { ...base, clickhouse: { ...base.clickhouse, database } };
    await migrate(client, database);
    const at = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
    const row = (alert_id: string, state: string, store_id: string, sku: string, alert_type: string, occurred: number) => ({
      alert_id, state, occurred_at: at(occurred), store_id, sku, terminal_id: null, alert_type, severity: 'CRITICAL', score: 1, reason: 'on_hand reached 0', processor: 'stock', measures: { on_hand: 0 }, version: 1,
    }); // prettier-ignore
    const t0 = Date.now() - 30 * MINUTE;
    await client.insert({
      table: `${database}.alerts`,
      format: 'JSONEachRow',
      values: [
        row(ids.open, 'RAISED', 'S001', 'MILK-1', 'OUT_OF_STOCK', t0),
        row(ids.otherStore, 'RAISED', 'S002', 'MILK-1', 'OUT_OF_STOCK', t0),
        row(ids.resolved, 'RAISED', 'S001', 'BREAD-2', 'STOCKOUT_RISK', t0),
        row(ids.resolved, 'RESOLVED', 'S001', 'BREAD-2', 'STOCKOUT_RISK', t0 + 10 * MINUTE),
      ],
    });

    // Stand-in topics (the alerts topic among them), and the alerts service reading it.
    const admin = await testAdmin(config);
    const { prefix, catalog } = await createStandInCatalogue(admin, config);
    const alertsTopic = `${prefix}${ALERTS_TOPIC}`;
    const subscriptionsTopic = await createTestTopic(admin, { compacted: true, prefix: 'web-actions-subscriptions' });
    const kafka = createKafka(config.kafka, logger, 'test');
    const codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, [...loadCatalog(), ...catalog]);
    const group = uniqueName('web-actions-alerts');
    const service = await startAlertsService({ config, logger, kafka, codec, clickhouse: client, metrics: createMetrics('web-actions-test', { collectDefaults: false }), topics: { [ALERTS_TOPIC]: alertsTopic, [SUBSCRIPTIONS_TOPIC]: subscriptionsTopic }, groupId: group });
    registerCleanup(() => admin.deleteGroups([group]).catch(() => undefined));
    registerCleanup(() => service.stop());

    // What reaches the topic, read back by a consumer of its own.
    const readerGroup = uniqueName('web-actions-reader');
    const consumer = kafka.consumer({ groupId: readerGroup });
    await consumer.connect();
    await consumer.subscribe({ topic: alertsTopic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void published.push((await codec.decode<Alert>(message.value)).value) });
    registerCleanup(() => admin.deleteGroups([readerGroup]).catch(() => undefined));
    registerCleanup(() => consumer.disconnect());

    // The web app as `run all` starts it: read as the signed-in BI user, actions to the alerts topic.
    const folder = mkdtempSync(join(tmpdir(), 'web-actions-test-'));
    registerCleanup(async () => rmSync(folder, { recursive: true, force: true }));
    const now = new Date().toISOString();
    const user = async (name: string, password: string, stores: string[]) => ({ name, password: await hashPassword(password), regions: [], stores, limits: {}, createdAt: now, passwordChangedAt: now });
    const usersFile = join(folder, 'bi-users.json');
    const adminTokenFile = join(folder, 'admin-token');
    ensureAdminToken(adminTokenFile);
    writeBiUsers(usersFile, withUser(withUser(EMPTY_USERS, await user(CHAIN.user, CHAIN.password, [])), await user(MANAGER.user, MANAGER.password, ['S001'])));
    const executor = createSqlExecutor({ config: { ...config.sqlExecutor, usersFile, adminTokenFile }, dataDir: config.clickhouse.mode === 'embedded' ? config.clickhouse.dataDir : '', database, logger });
    registerCleanup(() => executor.close());
    const publisher = await openAlertsPublisher(config, alertsTopic);
    registerCleanup(() => publisher.close());
    web = await startWebService({
      config: { web: { host: '127.0.0.1', port: 0, liveIntervalMs: 500, sessionTtlS: 3_600, cacheTtlMs: 10_000 }, clickhouseModel: { reportingCurrency: 'EUR' } },
      logger,
      reader: executorReader(executor, database),
      alertActions: { publish: (alert) => publisher.publishAlerts([alert]) },
    });
    registerCleanup(() => web.close());
  }, 180_000);

  /** Signs in as the page does; the session cookie and CSRF token of the user. */
  async function signIn(who: { user: string; password: string }): Promise<{ cookie: string; csrf: string }> {
    const response = await fetch(`${web.url}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: web.url }, body: JSON.stringify(who) });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { csrf_token: string };
    return { cookie: response.headers.get('set-cookie')!.split(';')[0]!, csrf: body.csrf_token };
  }

  async function act(session: { cookie: string; csrf: string | undefined }, alertId: string, action: string, body: unknown = {}): Promise<{ status: number; body: Record<string, unknown> }> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json', Origin: web.url, Cookie: session.cookie };
    if (session.csrf !== undefined) headers['X-CSRF-Token'] = session.csrf;
    const response = await fetch(`${web.url}/api/alerts/${encodeURIComponent(alertId)}/${action}`, { method: 'POST', headers, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('publishes who acknowledged and snoozed which alert, refuses what it must, and the history and the page show it', async () => {
    const manager = await signIn(MANAGER);
    const chain = await signIn(CHAIN);

    // Refusals: no CSRF token; another store's alert for a scoped user (the same answer as no alert); a resolved alert; a bad snooze.
    expect(await act({ ...manager, csrf: undefined }, ids.open, 'acknowledge')).toMatchObject({ status: 403, body: { error: 'csrf' } });
    expect(await act(manager, ids.otherStore, 'acknowledge')).toMatchObject({ status: 404, body: { error: 'unknown_alert' } });
    expect(await act(manager, ids.resolved, 'acknowledge')).toMatchObject({ status: 409, body: { error: 'alert_resolved' } });
    expect(await act(manager, ids.open, 'snooze', { minutes: 2 })).toMatchObject({ status: 400, body: { error: 'invalid_snooze', parameter: 'minutes' } });
    expect(await act(manager, ids.open, 'resolve')).toMatchObject({ status: 404, body: { error: 'unknown_action' } });

    const before = Date.now();
    const acknowledged = await act(manager, ids.open, 'acknowledge');
    const snoozed = await act(manager, ids.open, 'snooze', { minutes: 90 });
    const byChain = await act(chain, ids.otherStore, 'acknowledge');
    const after = Date.now();
    expect([acknowledged.status, snoozed.status, byChain.status]).toEqual([202, 202, 202]);

    // On the topic: exactly the three actions, in order, with who, when and the snooze's end (90 min after it was asked).
    await waitFor(() => published.length >= 3, { what: 'the three actions on the alerts topic', timeoutMs: 30_000, intervalMs: 200 });
    expect(published.map((a) => [a.alert_id, a.state, a.acted_by, a.store_id, a.processor])).toEqual([
      [ids.open, 'ACKNOWLEDGED', MANAGER.user, 'S001', 'web'],
      [ids.open, 'SNOOZED', MANAGER.user, 'S001', 'web'],
      [ids.otherStore, 'ACKNOWLEDGED', CHAIN.user, 'S002', 'web'],
    ]);
    for (const a of published) expect(a.occurred_at >= before && a.occurred_at <= after).toBe(true);
    expect(published[1]!.snoozed_until! - published[1]!.occurred_at).toBe(90 * MINUTE);
    expect([published[0]!.snoozed_until, published[2]!.snoozed_until]).toEqual([null, null]);

    // In the history: the alerts service wrote each action as it read it.
    const history = async () =>
      (await client.query({ query: `SELECT alert_id, action, acted_by, toUnixTimestamp64Milli(acted_at) AS acted_at, toUnixTimestamp64Milli(snoozed_until) AS snoozed_until FROM ${database}.bi_alert_actions ORDER BY acted_at, action`, format: 'JSONEachRow' })).json<{ alert_id: string; action: string; acted_by: string; acted_at: string; snoozed_until: string | null }>();
    await waitFor(async () => (await history()).length >= 3, { what: 'the three actions in alert_actions', timeoutMs: 60_000, intervalMs: 500 });
    expect((await history()).map((r) => [r.alert_id, r.action, r.acted_by, Number(r.acted_at), r.snoozed_until === null ? null : Number(r.snoozed_until)])).toEqual(
      published.map((a) => [a.alert_id, a.state, a.acted_by, a.occurred_at, a.snoozed_until]),
    );

    // On the store manager's page: the open alert with its latest action; another store's is not there.
    const page = await fetch(`${web.url}/api/dashboards/store-manager?store=S001`, { headers: { Cookie: manager.cookie } });
    const data = (await page.json()) as { panels: { id: string; columns: string[]; rows: unknown[][]; error?: string }[] };
    const open = data.panels.find((p) => p.id === 'open_alerts')!;
    const column = (name: string) => open.columns.indexOf(name);
    expect({ error: open.error, rows: open.rows.map((r) => [r[column('alert_id')], r[column('last_action')], r[column('acted_by')]]) }).toEqual({ error: undefined, rows: [[ids.open, 'SNOOZED', MANAGER.user]] });
  }, 120_000);
});
