/**
 * The anomaly processor end to end, through real Kafka and ClickHouse: a month of the POS
 * simulator (with injected, labelled anomalies) is produced to uniquely named stand-in topics,
 * and `shelfstream stream anomaly` runs as a child process reading them.
 *
 *   1. A clean run: the simulator's labels of the scored week arrive as alerts (scored with the
 *      same matching rules as simulators/quality/anomaly-detection.ts), and every alert is the same in the
 *      `alerts` table, the `anomalies` table and on the alerts topic.
 *   2. A run killed with SIGKILL at random points a few times, then run to the end, into a
 *      second database under a second consumer group: it ends with exactly the clean run's
 *      alerts (same ids, states, times and figures). Alert ids derive from input offsets, so a
 *      replayed record that raised an alert before must raise nothing new.
 *
 * The processor runs on stand-in topics in an embedded ClickHouse folder of its own
 * (processorRun in tests/harness/processor-run.ts), the two runs in two databases.
 */
import type { AnomalyLabel } from '../../simulators/pos/anomalies';
import { parseDay } from '../../lib/domain/calendar';
import type { StockoutRow } from '../../simulators/pos/ground-truth';
import { Rng } from '../../simulators/pos/random';
import { PosSimulator } from '../../simulators/pos/simulator';
import { createKafka } from '../../lib/clients/kafka';
import type { Alert } from '../../schemas/generated/events';
import { ANOMALY_INPUTS } from '../../streams/anomaly/anomaly';
import { score } from '../../simulators/quality/anomaly-detection';
import { ALERTS_TOPIC } from '../../streams/runtime/alerts';
import { registerCleanup, testLogger, uniqueName, waitFor } from '../harness/fixtures';
import { STORES_TOPIC } from '../../streams/shared/master-data';
import { processorRun } from '../harness/processor-run';

const SEED = 7;
const STORES = 4;
const SKUS = 100;
const WARMUP_DAYS = 21;
const SCORED_DAYS = 14;
const TAIL_DAYS = 1;
const PARTITIONS = 2;
/** The fault tier (`make test-faults`, SHELFSTREAM_KILL_TESTS=1) kills ten times; `make test` three. */
const KILLS = process.env.SHELFSTREAM_KILL_TESTS === '1' ? 10 : 3;
const DAY_MS = 86_400_000;

interface AlertRow {
  alert_id: string;
  state: string;
  alert_type: string;
  store_id: string;
  sku: string | null;
  terminal_id: string | null;
  at: number;
  score: number;
}

describe('anomaly processor through Kafka and ClickHouse', () => {
  it('turns labelled anomalies into alerts, the same in both tables and on the topic, and the same after kills and restarts', async () => {
    const sim = new PosSimulator({ seed: SEED, stores: STORES, skus: SKUS, window: { kind: 'days', startDay: parseDay('2026-02-02'), days: WARMUP_DAYS + SCORED_DAYS + TAIL_DAYS }, anomalyRate: 3, heartbeats: false });
    const events = new Map<string, { store_id: string }[]>(ANOMALY_INPUTS.map((t) => [t, []]));
    const labels: AnomalyLabel[] = [];
    const stockouts: StockoutRow[] = [];
    while (!sim.done) {
      const batch = sim.nextHour();
      for (const t of ANOMALY_INPUTS) events.get(t)!.push(...batch.events[t]);
      labels.push(...batch.truth.anomalies);
      stockouts.push(...batch.truth.stockouts);
    }
    const last = sim.finish();
    labels.push(...last.anomalies);
    stockouts.push(...last.stockouts);
    const scoredFrom = sim.start + WARMUP_DAYS * DAY_MS;
    const scoredTo = scoredFrom + SCORED_DAYS * DAY_MS;

    // The stores' time zones where the processor reads them: md.stores (a stand-in), published before the events as ingest has it.
    const run = await processorRun({ processor: 'anomaly', topics: [...ANOMALY_INPUTS, STORES_TOPIC, ALERTS_TOPIC], partitions: PARTITIONS, databases: 2, env: { STREAM_FLUSH_INTERVAL_MS: '200' } });
    const [cleanDb, crashDb] = run.databases as [string, string];
    await run.publish(STORES_TOPIC, sim.masterData()['md.stores']);
    const topics = Object.fromEntries(ANOMALY_INPUTS.map((t) => [t, run.topics[t]!]));
    const alertsTopic = run.topics[ALERTS_TOPIC]!;
    const groups = [run.group, run.newGroup('anomaly-crash')];
    for (const t of ANOMALY_INPUTS) await run.publish(t, events.get(t)!);
    const runProcessor = (database: string, group: string, stopWhenIdle: boolean) => run.start({ database, group, ...(stopWhenIdle ? { stopWhenIdleMs: 3_000 } : {}) });

    const ours = (alertId: string): boolean => Object.values(topics).some((t) => alertId.includes(`:${t}/`));
    const readAlerts = (database: string): Promise<{ alerts: AlertRow[]; anomalies: { alert_id: string; state: string }[] }> =>
      run.withClickHouse(async (client) => {
        const alerts = await (
          await client.query({
            query: `SELECT alert_id, state, alert_type, store_id, sku, terminal_id, toUnixTimestamp64Milli(occurred_at) AS at, score FROM ${database}.alerts FINAL ORDER BY alert_id, state`,
            format: 'JSONEachRow',
          })
        ).json<AlertRow>();
        const anomalies = await (await client.query({ query: `SELECT alert_id, argMax(state, version) AS state FROM ${database}.anomalies GROUP BY alert_id ORDER BY alert_id`, format: 'JSONEachRow' })).json<{ alert_id: string; state: string }>();
        return { alerts: alerts.map((a) => ({ ...a, at: Number(a.at), score: Number(a.score) })), anomalies };
      });

    expect(await runProcessor(cleanDb, groups[0]!, true).exited).toBe(0);
    const clean = await readAlerts(cleanDb);
    expect(clean.alerts.every((a) => ours(a.alert_id))).toBe(true);
    const asAlerts = clean.alerts.map((a) => ({ alert_id: a.alert_id, state: a.state, occurred_at: a.at, store_id: a.store_id, sku: a.sku, terminal_id: a.terminal_id, alert_type: a.alert_type }) as unknown as Alert);
    const report = score(asAlerts, labels, stockouts, scoredFrom, scoredTo, sim.end);
    process.stdout.write(`${Object.entries(report.byType).map(([t, f]) => `${t}: labels=${f.labels} found=${f.found} alerts=${f.alerts} tp=${f.truePositives}`).join('\n')}\n`);
    // Labelled anomalies of every kind arrive as alerts. The issue's targets are asserted by the
    // unit scorer on more labels (streams/anomaly/quality.test.ts); these floors, on the ~30
    // labels of four stores over two weeks, catch alerts lost or invented on the way through
    // Kafka, the runtime and ClickHouse. Measured: recall 0.86, precision 0.87, as for the same
    // events fed to one AnomalyTask in memory (before the runtime aligned inputs by event time,
    // the interleaving of fetches cost this path 0.79 / 0.76).
    const all = Object.values(report.byType);
    for (const f of all) {
      expect(f.labels).toBeGreaterThan(0);
      expect(f.found).toBeGreaterThan(0);
    }
    const sum = (k: 'labels' | 'found' | 'alerts' | 'truePositives'): number => all.reduce((n, f) => n + f[k], 0);
    expect(sum('found') / sum('labels')).toBeGreaterThanOrEqual(0.8);
    expect(sum('truePositives') / sum('alerts')).toBeGreaterThanOrEqual(0.8);
    // The anomalies table holds every alert, in its latest state.
    const latest = new Map<string, string>();
    for (const a of clean.alerts) if (a.state === 'RESOLVED' || !latest.has(a.alert_id)) latest.set(a.alert_id, a.state);
    expect(new Map(clean.anomalies.map((r) => [r.alert_id, r.state]))).toEqual(latest);
    // The alerts topic carries the same alerts (at least once: deduplicated on id and state).
    const published = new Set<string>();
    const consumer = createKafka(run.config.kafka, testLogger(), 'test').consumer({ groupId: uniqueName('test.anomaly-read') });
    await consumer.connect();
    registerCleanup(() => consumer.disconnect());
    await consumer.subscribe({ topic: alertsTopic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const alert = (await run.codec.decode(message.value!)).value as Alert;
        if (ours(alert.alert_id)) published.add(`${alert.alert_id}|${alert.state}`);
      },
    });
    const inTable = new Set(clean.alerts.map((a) => `${a.alert_id}|${a.state}`));
    await waitFor(() => published.size >= inTable.size, { what: `${inTable.size} alerts on ${alertsTopic} (standing in for ${ALERTS_TOPIC})`, timeoutMs: 30_000 });
    await consumer.stop();
    expect(published).toEqual(inTable);

    // 2. Killed at random points, restarted, then run to the end.
    const random = new Rng(Date.now() % 1_000_000);
    let kills = 0;
    while (kills < KILLS) {
      const { child, exited } = runProcessor(crashDb, groups[1]!, false);
      // Random points: start-up, group join, restoring state, processing, a flush or a commit.
      await new Promise((resolve) => setTimeout(resolve, 1_500 + Math.floor(random.next() * 4_000)));
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        kills++;
      }
      await exited;
    }
    expect(await runProcessor(crashDb, groups[1]!, true).exited).toBe(0);
    const crashed = await readAlerts(crashDb);
    expect(crashed.alerts).toEqual(clean.alerts);
    expect(crashed.anomalies).toEqual(clean.anomalies);
  });
});
