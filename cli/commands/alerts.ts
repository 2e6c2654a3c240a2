/**
 * `shelfstream alerts subscribe|list|show|pause|resume|delete|rotate-secret|silence|test|deliveries|replay`: alert
 * subscriptions, kept in the compacted topic shelfstream.alert-subscriptions, the same
 * operations as the subscriptions HTTP API (services/alerts/api.ts). Listings never show a
 * secret or a full URL; a signing secret is printed once, when made.
 */
import type { Command } from 'commander';
import { createClickHouse } from '../../lib/clients/clickhouse';
import { createKafka } from '../../lib/clients/kafka';
import { createDeliveryLog } from '../../services/alerts/delivery-log';
import { listDeliveries, replayMessages } from '../../services/alerts/delivery-history';
import { guardedLookup } from '../../services/alerts/destination-guard';
import { createSecretBox } from '../../services/alerts/secret-box';
import { loadSecretKey } from '../../services/alerts/secret-key';
import { createSubscriptionAdmin, type SubscriptionAdmin } from '../../services/alerts/subscription-admin';
import { createSubscriptionStore } from '../../services/alerts/subscription-store';
import { createWebhookSender } from '../../services/alerts/webhook-sender';
import type { CliContext } from '../context';
import { alertsServeCommand } from './alerts-serve';
import type { RunCommand } from './ingest';

interface SubscribeFlags {
  url: string;
  events: string;
  stores?: string;
  regions?: string;
  skus?: string;
  categories?: string;
  minSeverity?: string;
  minRisk?: string;
  groupBy?: string;
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
  format?: string;
  digestAt?: string;
  quietHours?: string;
  rateCap?: string;
  description?: string;
}

const list = (value: string | undefined): string[] | undefined => (value === undefined ? undefined : value.split(',').map((v) => v.trim()).filter((v) => v.length > 0));
const seconds = (value: string | undefined): number | undefined => (value === undefined ? undefined : Math.round(Number(value) * 1000));

/** The flags as the API's JSON request, so both are validated by the same code. */
export function subscribeRequestFromFlags(f: SubscribeFlags): Record<string, unknown> {
  const request: Record<string, unknown> = { url: f.url, event_types: list(f.events) ?? [] };
  const filters = Object.fromEntries(
    Object.entries({ stores: list(f.stores), regions: list(f.regions), skus: list(f.skus), categories: list(f.categories), min_severity: f.minSeverity, min_risk: f.minRisk === undefined ? undefined : Number(f.minRisk) }).filter(([, v]) => v !== undefined),
  );
  if (Object.keys(filters).length > 0) request.filters = filters;
  if (f.groupBy !== undefined) request.group_by = f.groupBy === 'none' ? [] : list(f.groupBy);
  for (const [key, value] of [
    ['group_wait_ms', seconds(f.groupWait)],
    ['group_interval_ms', seconds(f.groupInterval)],
    ['repeat_interval_ms', seconds(f.repeatInterval)],
    ['rate_cap_per_minute', f.rateCap === undefined ? undefined : Number(f.rateCap)],
  ] as const) {
    if (value !== undefined) request[key] = value;
  }
  if (f.format !== undefined) request.format = f.format;
  if (f.description !== undefined) request.description = f.description;
  if (f.digestAt !== undefined) request.digest = { local_time: f.digestAt };
  if (f.quietHours !== undefined) {
    const [start, end] = f.quietHours.split('-');
    request.quiet_hours = { start, end };
  }
  return request;
}

async function withAdmin<T>(ctx: CliContext, action: (admin: SubscriptionAdmin) => Promise<T>): Promise<T> {
  const { config, logger } = ctx;
  const { key, created } = loadSecretKey(config.alerts);
  if (created) logger.warn({ file: config.alerts.secretKeyFile }, 'made a new alerts secret key: every instance of a cluster must share it (ALERTS_SECRET_KEY)');
  const policy = { allowedHosts: config.alerts.allowedHosts };
  const store = createSubscriptionStore(createKafka(config.kafka, logger, 'alerts-admin'), config.alerts.subscriptionsTopic);
  const sender = createWebhookSender({ lookup: guardedLookup(policy), maxSocketsPerHost: 1, userAgent: 'ShelfStream-Alerts' });
  try {
    return await action(createSubscriptionAdmin({ store, box: createSecretBox(key), policy, sender, deliveryTimeoutMs: config.alerts.deliveryTimeoutMs, clock: Date.now }));
  } finally {
    sender.close();
    await store.close();
  }
}

function printJson(ctx: CliContext, value: unknown): void {
  ctx.print(JSON.stringify(value, null, 2));
}

function timeOption(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw new Error(`${flag} must be a time such as 2026-12-05T08:00:00Z`);
  return at;
}

async function deliveriesCommand(ctx: CliContext, o: { subscription?: string; message?: string; from?: string; to?: string; limit?: string }): Promise<void> {
  const client = createClickHouse(ctx.config.clickhouse);
  try {
    const from = timeOption(o.from, '--from');
    const to = timeOption(o.to, '--to');
    const rows = await listDeliveries(client, ctx.config.clickhouse.database, {
      limit: o.limit ? Number(o.limit) : 50,
      ...(o.subscription ? { subscriptionId: o.subscription } : {}),
      ...(o.message ? { messageId: o.message } : {}),
      ...(from !== undefined ? { from } : {}),
      ...(to !== undefined ? { to } : {}),
    });
    printJson(ctx, rows);
  } finally {
    await client.close();
  }
}

async function replayCommand(ctx: CliContext, messageId: string | undefined, o: { from?: string; to?: string; subscription?: string }): Promise<boolean> {
  const client = createClickHouse(ctx.config.clickhouse);
  try {
    const from = timeOption(o.from, '--from');
    const to = timeOption(o.to, '--to');
    const { key } = loadSecretKey(ctx.config.alerts);
    const policy = { allowedHosts: ctx.config.alerts.allowedHosts };
    const store = createSubscriptionStore(createKafka(ctx.config.kafka, ctx.logger, 'alerts-replay'), ctx.config.alerts.subscriptionsTopic);
    const sender = createWebhookSender({ lookup: guardedLookup(policy), maxSocketsPerHost: 1, userAgent: 'ShelfStream-Alerts' });
    try {
      const answers = await replayMessages(
        { client, database: ctx.config.clickhouse.database, store, box: createSecretBox(key), sender, log: createDeliveryLog(client, ctx.config.clickhouse.database), timeoutMs: ctx.config.alerts.deliveryTimeoutMs, clock: Date.now },
        { ...(messageId ? { messageId } : {}), ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}), ...(o.subscription ? { subscriptionId: o.subscription } : {}) },
      );
      printJson(ctx, answers);
      return answers.every((a) => a.outcome === 'delivered');
    } finally {
      sender.close();
      await store.close();
    }
  } finally {
    await client.close();
  }
}

export function registerAlertsCommands(program: Command, run: RunCommand): void {
  const alerts = program.command('alerts').description('alert subscriptions: signed webhooks to subscribers (standard, Slack or Teams format)');
  alerts
    .command('serve')
    .description('deliver alerts: consume shelfstream.alerts as the group shelfstream.alerts, send signed webhooks, until SIGTERM; the subscriptions API too when ALERTS_API_TOKEN is set')
    .option('--topic <map...>', 'read a stand-in topic instead: shelfstream.alerts=my.alerts shelfstream.alert-subscriptions=my.subscriptions')
    .option('--group <id>', 'consumer group (default shelfstream.alerts)')
    .action((options: { topic?: string[]; group?: string }) => run('alerts', (ctx) => alertsServeCommand(ctx, options))());
  alerts
    .command('subscribe')
    .description('add a subscription and print its signing secret (once)')
    .requiredOption('--url <url>', 'https URL of the receiver (http only for ALERTS_ALLOWED_HOSTS)')
    .requiredOption('--events <types>', 'comma-separated: stockout_risk, out_of_stock, anomaly, a kind, or <kind>.raised|updated|resolved')
    .option('--stores <ids>', 'only these stores')
    .option('--regions <names>', 'only stores of these regions')
    .option('--skus <skus>', 'only these products')
    .option('--categories <names>', 'only products of these categories')
    .option('--min-severity <level>', 'info, warning or critical')
    .option('--min-risk <p>', 'stock-out risk: the lowest probability (0-1) worth a message')
    .option('--group-by <fields>', 'store_id, then any of region, sku, category, kind (comma-separated: a group is one store\'s alerts), or none; default store_id')
    .option('--group-wait <s>', 'seconds a new group waits for more alerts (default 30)')
    .option('--group-interval <s>', 'seconds between two messages of a group (default 300)')
    .option('--repeat-interval <s>', 'seconds before a still-firing group is sent again (default 14400)')
    .option('--format <format>', 'standard, slack or teams')
    .option('--digest-at <HH:MM>', 'instead of alerts one by one, one message per store at this store-local time')
    .option('--quiet-hours <HH:MM-HH:MM>', 'store-local hours with no message (held until they end)')
    .option('--rate-cap <n>', 'messages a minute to this endpoint before the rest is rolled into one summary (default 60)')
    .option('--description <text>', 'what it is for')
    .action(async (flags: SubscribeFlags) =>
      run('alerts', async (ctx) => {
        const { subscription, secret } = await withAdmin(ctx, (admin) => admin.subscribe(subscribeRequestFromFlags(flags)));
        printJson(ctx, subscription);
        ctx.print(`signing secret (shown once): ${secret}`);
      })(),
    );
  alerts
    .command('list')
    .description('list subscriptions (URLs redacted)')
    .action(async () => run('alerts', async (ctx) => printJson(ctx, await withAdmin(ctx, (admin) => admin.list())))());
  alerts
    .command('show')
    .argument('<id>', 'subscription id')
    .description('show one subscription (URL redacted)')
    .action(async (id: string) => run('alerts', async (ctx) => printJson(ctx, await withAdmin(ctx, (admin) => admin.show(id))))());
  alerts
    .command('pause')
    .argument('<id>', 'subscription id')
    .option('--reason <text>', 'why (shown in listings)')
    .description('stop sending; alerts meanwhile are not queued')
    .action(async (id: string, o: { reason?: string }) => run('alerts', async (ctx) => printJson(ctx, await withAdmin(ctx, (admin) => admin.pause(id, o.reason ?? ''))))());
  alerts
    .command('resume')
    .argument('<id>', 'subscription id')
    .description('send again (also re-enables an endpoint disabled after a 410 or days of failures)')
    .action(async (id: string) => run('alerts', async (ctx) => printJson(ctx, await withAdmin(ctx, (admin) => admin.resume(id))))());
  alerts
    .command('delete')
    .argument('<id>', 'subscription id')
    .description('delete a subscription')
    .action(async (id: string) =>
      run('alerts', async (ctx) => {
        await withAdmin(ctx, (admin) => admin.remove(id));
        ctx.print(`deleted ${id}`);
      })(),
    );
  alerts
    .command('rotate-secret')
    .argument('<id>', 'subscription id')
    .option('--grace <s>', 'seconds the old secret keeps signing beside the new one (default 86400)')
    .description('make a new signing secret and print it once; both sign during the grace period')
    .action(async (id: string, o: { grace?: string }) =>
      run('alerts', async (ctx) => {
        const { subscription, secret } = await withAdmin(ctx, (admin) => admin.rotateSecret(id, seconds(o.grace)));
        printJson(ctx, subscription);
        ctx.print(`new signing secret (shown once): ${secret}`);
      })(),
    );
  alerts
    .command('deliveries')
    .description('the delivery log: messages and attempts, newest first (endpoints redacted)')
    .option('--subscription <id>', 'one subscription')
    .option('--message <webhook-id>', 'one message')
    .option('--from <time>', 'attempts from this time (ISO 8601)')
    .option('--to <time>', 'attempts before this time')
    .option('--limit <n>', 'rows (default 50)')
    .action(async (o: { subscription?: string; message?: string; from?: string; to?: string; limit?: string }) => run('alerts', (ctx) => deliveriesCommand(ctx, o))());
  alerts
    .command('replay')
    .argument('[message]', 'webhook-id of a logged message')
    .option('--from <time>', 'replay the messages made from this time (ISO 8601)')
    .option('--to <time>', 'and before this time')
    .option('--subscription <id>', 'only this subscription')
    .description('send logged messages again, byte for byte under their own webhook-id, one attempt each')
    .action(async (message: string | undefined, o: { from?: string; to?: string; subscription?: string }) => run('alerts', (ctx) => replayCommand(ctx, message, o))());
  alerts
    .command('silence')
    .argument('<id>', 'subscription id')
    .option('--store <store_id>', 'mute this store')
    .option('--sku <sku>', 'mute this product')
    .option('--kind <kind>', 'mute this alert kind (e.g. stockout_risk)')
    .requiredOption('--for <s>', 'seconds the silence lasts')
    .option('--comment <text>', 'why')
    .description('mute a store, sku or kind for a period; what is still open when it ends is sent then')
    .action(async (id: string, o: { store?: string; sku?: string; kind?: string; for: string; comment?: string }) =>
      run('alerts', async (ctx) => {
        const request = { for_ms: Number(o.for) * 1000, ...(o.store ? { store_id: o.store } : {}), ...(o.sku ? { sku: o.sku } : {}), ...(o.kind ? { kind: o.kind } : {}), ...(o.comment ? { comment: o.comment } : {}) };
        printJson(ctx, await withAdmin(ctx, (admin) => admin.silence(id, request)));
      })(),
    );
  alerts
    .command('test')
    .argument('<id>', 'subscription id')
    .description('send one signed webhook.test message now and show the answer')
    .action(async (id: string) =>
      run('alerts', async (ctx) => {
        const outcome = await withAdmin(ctx, (admin) => admin.test(id));
        printJson(ctx, outcome);
        return outcome.status >= 200 && outcome.status < 300;
      })(),
    );
}
