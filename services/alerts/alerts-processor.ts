/**
 * The alert delivery service as a processor of the streaming runtime: consumes
 * shelfstream.alerts as the consumer group `shelfstream.alerts` (one task per partition, so it
 * scales out like the processors, partitions by store), reads the subscriptions as a global
 * table (every partition of shelfstream.alert-subscriptions, kept current, shared by the tasks
 * of this process), and writes the delivery log (migration 0012) as rows of the runtime. A store
 * manager's acknowledgement or snooze (the web app publishes it on the alerts topic) changes
 * what the notifiers repeat, and is written to `alert_actions` (migration 0033): the alerts'
 * history in ClickHouse is written by their processors, the people's actions by this reader.
 *
 * Per task: one delivery core (notifier per subscription, delivery queue, endpoint health). Its
 * state lives in the runtime state store `delivery`, saved with every flush.
 *
 * The commit rule, and why "durably queued", not "delivered": a message can wait hours for a
 * retry (the Svix schedule goes to 10 h) and an endpoint can stay open-circuited; awaiting the
 * delivery before the commit (out.deliver) would hold the partition's commits, and every store's
 * alerts behind it, that long. So an offset is committed once the effect of the records before
 * it is in the state snapshot (notifier: situations and groups; queue: each message with its
 * body and webhook-id, attempts in flight counted as waiting), which the runtime saves after the
 * rows and before the commit. Attempts run in the background on the runtime's wall-clock timer
 * and when an attempt completes; a crash sends again what the last snapshot held as waiting,
 * under the same webhook-id with the same body (at least once; receivers deduplicate on the id).
 * Records the restored snapshot already covers (`stores.applied`) are not offered again.
 *
 * Clocks: group waits, retries, quiet hours and digests are wall-clock (see delivery-core.ts):
 * the demo at 600x sends a group of 30 real seconds (5 simulated hours of alerts) as one
 * message, and a retry 5 min later in real time (50 simulated hours later).
 */
import type { Alert } from '../../schemas/generated/events';
import type { Logger } from '../../lib/logger';
import { ALERTS_TOPIC } from '../../streams/runtime/alerts';
import type { GlobalTable } from '../../streams/runtime/global-table';
import type { InputRecord, PartitionTask, ProcessorDefinition, RowSink, TaskDeps } from '../../streams/runtime/processor';
import { createDeliveryCore, type DeliveryState } from './delivery-core';
import { deliveryInsertRow, messageInsertRow, type AlertDeliveryRow, type AlertMessageRow, type DeliveryLog } from './delivery-log';
import { createDeliveryMetrics } from './delivery-metrics';
import { createRateBudget, type MasterDataLookup, type StoreFacts } from './engine/notifier';
import type { SecretBox } from './secret-box';
import type { SubscriptionRecord } from './subscription';
import type { WebhookSender } from './webhook-sender';

export const DELIVERY_STORE = 'delivery';
const STATE_KEY = 'state';
/** How often the task looks for due work between flushes (ms); the runtime checks at half its flush interval. */
const WAKE_INTERVAL_MS = 100;

export interface AlertsProcessorOptions {
  /** The alerts topic read (a stand-in in tests). */
  readonly alertsTopic?: string;
  readonly subscriptions: GlobalTable<SubscriptionRecord>;
  readonly box: SecretBox;
  readonly sender: WebhookSender;
  readonly timeoutMs: number;
  readonly concurrency: number;
  /** Partitions of the alerts topic: what share of them this process owns splits the rate cap. */
  readonly partitions: number;
  /** Wait before each attempt (ms), ALERTS_RETRY_SCHEDULE_MS. */
  readonly retryScheduleMs: readonly number[];
  /** How long an endpoint's circuit stays open before its first probe (ms), ALERTS_CIRCUIT_OPEN_MS. */
  readonly circuitOpenMs: number;
  readonly logger: Logger;
  /** Wall-clock time (ms) of waits and retries: Date.now; the runtime's test driver hands its own. */
  readonly clock?: () => number;
  /** Writes a subscription back as disabled (410, or failing for days). */
  readonly onEndpointDisabled?: (subscriptionId: string, reason: string) => void;
}

/** The delivery log as rows of the runtime's next flush. */
function bufferedLog(): DeliveryLog & { drainInto(out: RowSink): void } {
  let messages: AlertMessageRow[] = [];
  let attempts: AlertDeliveryRow[] = [];
  return {
    addMessage: (row) => void messages.push(row),
    addAttempt: (row) => void attempts.push(row),
    flush: async () => undefined,
    get buffered() {
      return messages.length + attempts.length;
    },
    drainInto(out) {
      for (const row of messages) out.emit('alert_messages', messageInsertRow(row));
      for (const row of attempts) out.emit('alert_deliveries', deliveryInsertRow(row));
      messages = [];
      attempts = [];
    },
  };
}

const ALERT_ACTIONS_TABLE = 'alert_actions';

const clickHouseTime = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

/** A person's acknowledgement or snooze as a row of alert_actions. */
export function alertActionRow(alert: Alert): Record<string, unknown> {
  return {
    alert_id: alert.alert_id,
    action: alert.state,
    acted_at: clickHouseTime(alert.occurred_at),
    acted_by: alert.acted_by ?? '',
    snoozed_until: alert.snoozed_until === null ? null : clickHouseTime(alert.snoozed_until),
    store_id: alert.store_id,
    sku: alert.sku,
    alert_type: alert.alert_type,
  };
}

/** Stores and products as the notifier needs them (region and time zone, category), read once per task. */
async function loadMasterData(deps: TaskDeps): Promise<MasterDataLookup> {
  const stores = new Map<string, StoreFacts>();
  const categories = new Map<string, string>();
  const db = deps.database;
  for (const r of await deps.query<{ store_id: string; region: string; time_zone: string }>(`SELECT store_id, any(region) AS region, any(time_zone) AS time_zone FROM ${db}.dim_store GROUP BY store_id`)) {
    stores.set(r.store_id, { region: r.region === '' ? null : r.region, time_zone: r.time_zone || 'UTC' });
  }
  for (const r of await deps.query<{ sku: string; category: string }>(`SELECT sku, any(category) AS category FROM ${db}.dim_product GROUP BY sku`)) categories.set(r.sku, r.category);
  return { store: (id) => stores.get(id), category: (sku) => categories.get(sku) ?? null };
}

export function alertsProcessor(options: AlertsProcessorOptions): ProcessorDefinition {
  const alertsTopic = options.alertsTopic ?? ALERTS_TOPIC;
  let metrics: ReturnType<typeof createDeliveryMetrics> | undefined;
  // One minute's count per subscription for every task of this process: the rate cap is the
  // endpoint's, not a partition's; of it, this process spends the share of partitions it owns,
  // so the instances of the group together keep to the cap (engine/notifier.ts, createRateBudget).
  const owned = new Set<number>();
  const rateBudget = createRateBudget(() => (options.partitions > 0 ? owned.size / options.partitions : 1));
  return {
    name: 'alerts',
    inputs: [alertsTopic],
    contracts: { [alertsTopic]: ALERTS_TOPIC },
    tables: ['alert_messages', 'alert_deliveries', ALERT_ACTIONS_TABLE],
    async createTask(init, deps): Promise<PartitionTask> {
      metrics ??= createDeliveryMetrics(deps.metrics);
      const store = await deps.stores.open<DeliveryState>(DELIVERY_STORE);
      owned.add(init.partition);
      const log = bufferedLog();
      const core = createDeliveryCore({
        box: options.box,
        sender: options.sender,
        log,
        metrics,
        logger: deps.logger.child({ partition: init.partition }),
        lookup: await loadMasterData(deps),
        clock: options.clock ?? Date.now,
        random: Math.random,
        concurrency: options.concurrency,
        retryScheduleMs: options.retryScheduleMs,
        circuitOpenMs: options.circuitOpenMs,
        timeoutMs: options.timeoutMs,
        rateBudget,
        ...(options.onEndpointDisabled ? { onEndpointDisabled: options.onEndpointDisabled } : {}),
      });
      const restored = store.get(STATE_KEY);
      if (restored) core.importState(restored);
      // Tasks are created on assignment, before the first records: an alert offered before the
      // subscriptions are read would match nobody and be lost.
      await options.subscriptions.ready;
      for (const [id, record] of options.subscriptions.entries()) core.apply(id, record);
      const unlisten = options.subscriptions.listen((id, record) => core.apply(id, record));
      /** Starts what is due; hands the delivery log and the state to the next flush. */
      const wake = (out: RowSink): void => {
        core.tick();
        if (log.buffered === 0) return;
        log.drainInto(out);
        store.put(STATE_KEY, core.exportState());
      };
      // The timer's output makes a flush even when no alert arrives: attempts and retries are logged.
      deps.timers.schedule('wall-clock', WAKE_INTERVAL_MS, (_dueMs, out) => wake(out));
      return {
        process(record: InputRecord, out: RowSink) {
          if (deps.stores.applied(record)) return;
          const alert = record.value as Alert;
          // Written again when a restart reads the record again: the row's key replaces it.
          if (alert.state === 'ACKNOWLEDGED' || alert.state === 'SNOOZED') out.emit(ALERT_ACTIONS_TABLE, alertActionRow(alert));
          core.offer(alert);
        },
        punctuate(out) {
          wake(out);
          core.observe();
          store.put(STATE_KEY, core.exportState());
        },
        earliestNeededOffset: () => undefined,
        checkpoint: () => '',
        // A graceful stop: no attempt starts after the last flush; what waits is in the snapshot.
        drain: () => core.halt(),
        release() {
          owned.delete(init.partition);
          core.halt();
          unlisten();
        },
      };
    },
  };
}
