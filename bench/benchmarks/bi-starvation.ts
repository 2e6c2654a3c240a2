/**
 * bi-starvation: does a BI load through the SQL executor stall the stream processors that
 * share the embedded engine? The velocity processor's rate (decode, windows, ClickHouse sink)
 * over the same sales is measured alone, then while 8 BI clients each run one dashboard-like
 * query every 2 s through the executor (a region-scoped BI user: the filters, the readonly
 * lock and the per-query connection all paid), then alone again; the ratio is the loaded rate
 * over the mean of the two unloaded ones, so a machine that slows down during the run does
 * not pass for starvation or hide it. The dashboards read a synthesised fact table (2 M sale
 * lines, 50 stores) and the processor's own output.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { migrate } from '../../clickhouse/migrate';
import { createClickHouse } from '../../lib/clients/clickhouse';
import { createKafka } from '../../lib/clients/kafka';
import { createSchemaRegistry } from '../../lib/clients/registry';
import { EventCodec } from '../../lib/events/codec';
import { createMetrics } from '../../lib/metrics';
import { hasSysNiceCapability } from '../../lib/thread-priority';
import { loadCatalog } from '../../schemas/catalog';
import { ensureAdminToken } from '../../services/sql/authenticator';
import { EMPTY_USERS, withUser, writeBiUsers } from '../../services/sql/bi-users';
import type { SqlRequest } from '../../services/sql/contract';
import { createSqlExecutor } from '../../services/sql/executor';
import { hashPassword } from '../../services/sql/passwords';
import { startProcessor } from '../../streams/runtime/runner';
import { velocityProcessor } from '../../streams/velocity/velocity';
import { percentile, publishBenchSales, type Benchmark } from '../harness';

const SALES = 600_000;
const BI_CLIENTS = 8;
const BI_INTERVAL_MS = 2_000;
const FACT_LINES = 2_000_000;

const dashboards = (db: string): string[] => [
  `SELECT d.region, toDate(f.occurred_at) AS day, sum(f.net_amount) AS revenue FROM ${db}.fact_sale_lines f JOIN ${db}.dim_store d USING store_id GROUP BY d.region, day ORDER BY day, d.region`,
  `SELECT sku, sum(quantity) AS units FROM ${db}.fact_sale_lines WHERE store_id = 'S003' GROUP BY sku ORDER BY units DESC LIMIT 20`,
  `SELECT store_id, sku, sum(units) AS units FROM ${db}.sales_velocity_1m GROUP BY store_id, sku ORDER BY units DESC LIMIT 50`,
  `SELECT toStartOfHour(occurred_at) AS hour, count() AS lines, sum(net_amount) AS revenue FROM ${db}.fact_sale_lines WHERE occurred_at >= now() - INTERVAL 7 DAY GROUP BY hour ORDER BY hour`,
];

export const biStarvationBench: Benchmark = {
  name: 'bi-starvation',
  description: `velocity over ${SALES} sales alone, with ${BI_CLIENTS} BI clients (one dashboard query each every ${BI_INTERVAL_MS / 1000} s through the SQL executor), then alone again`,
  async run({ config, logger }) {
    const kafka = createKafka(config.kafka, logger, 'bench');
    const topic = await publishBenchSales(kafka, config, 'bench.bi-starvation', SALES);
    const admin = kafka.admin();
    await admin.connect();
    const codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, loadCatalog());

    const work = mkdtempSync(join(tmpdir(), 'bench-bi-'));
    const dataDir = join(work, 'chdb');
    const clickhouseConfig = config.clickhouse.mode === 'embedded' ? { ...config.clickhouse, dataDir } : config.clickhouse;
    if (clickhouseConfig.mode !== 'embedded') throw new Error('bi-starvation measures the embedded engine: unset CLICKHOUSE_URL');
    const clickhouse = createClickHouse(clickhouseConfig);
    const database = `bench_bi_${Date.now()}`;
    await clickhouse.command({ query: `CREATE DATABASE ${database}` });
    await migrate(clickhouse, database);
    await clickhouse.command({
      query: `INSERT INTO ${database}.dim_store (store_id, name, region, time_zone, currency, updated_at)
              SELECT concat('S', leftPad(toString(number), 3, '0')), concat('Store ', toString(number)), ['north', 'south', 'east', 'west', 'central'][number % 5 + 1], 'Europe/Paris', 'EUR', now64(3) FROM numbers(50)`,
    });
    await clickhouse.command({
      query: `INSERT INTO ${database}.fact_sale_lines (event_id, line_number, occurred_at, store_id, terminal_id, transaction_id, cashier_id, payment_method, currency, sku, quantity, unit_price, discount, net_amount, source_offset)
              SELECT generateUUIDv4(), 1, now64(3) - toIntervalSecond(number % (90 * 86400)), concat('S', leftPad(toString(number % 50), 3, '0')), 'T1', toString(number), 'C1', 'CARD', 'EUR',
                     concat('SKU-', toString(number % 2000)), 1 + number % 3, 250, 0, (1 + number % 3) * 250, number
              FROM numbers(${FACT_LINES})`,
    });

    const usersFile = join(work, 'bi-users.json');
    const now = new Date().toISOString();
    writeBiUsers(usersFile, withUser(EMPTY_USERS, { name: 'analyst', password: await hashPassword('bench-password'), regions: ['north', 'south'], stores: [], limits: {}, createdAt: now, passwordChangedAt: now }));
    const adminTokenFile = join(work, 'admin-token');
    ensureAdminToken(adminTokenFile);
    const executor = createSqlExecutor({ config: { ...config.sqlExecutor, usersFile, adminTokenFile }, dataDir, database, logger });

    const runnerOptions = { ...config.streams, database, deadLetterTopic: config.streams.deadLetterTopic };
    /** The processor's rate over every sale of the topic, with a consumer group of its own. */
    const velocityRate = async (phase: string): Promise<number> => {
      const metrics = createMetrics(`bench-${phase}`, { collectDefaults: false });
      const eventsIn = metrics.counter('events_in_total', 'records read by a processor', ['processor', 'topic']);
      const processor = await startProcessor(velocityProcessor({ maxOutOfOrderMs: 5_000, allowedLatenessMs: 60_000, salesTopic: topic }), { kafka, codec, clickhouse, logger, metrics }, {
        ...runnerOptions,
        groupId: `${topic}.${phase}`,
      });
      const readSoFar = async (): Promise<number> => (await eventsIn.get()).values.reduce((s, v) => s + v.value, 0);
      while ((await readSoFar()) === 0) await sleep(5);
      const first = performance.now();
      while ((await readSoFar()) < SALES) await sleep(20);
      await processor.flush();
      const seconds = (performance.now() - first) / 1000;
      await processor.stop();
      return SALES / seconds;
    };

    const aloneBefore = await velocityRate('alone-1');

    let loaded = true;
    const latencies: number[] = [];
    let errors = 0;
    const request = (query: string, i: number): SqlRequest => ({
      credentials: { user: 'analyst', password: 'bench-password' },
      query,
      defaultFormat: 'JSONEachRow',
      database: undefined,
      settings: {},
      queryParams: {},
      sessionId: undefined,
      sessionTimeoutS: undefined,
      queryId: `bench-${i}`,
      readOnlyMethod: false,
    });
    const queries = dashboards(database);
    const clients = Array.from({ length: BI_CLIENTS }, async (_, client) => {
      await sleep((client * BI_INTERVAL_MS) / BI_CLIENTS); // staggered, as dashboards open at different moments
      let n = 0;
      while (loaded) {
        const due = performance.now() + BI_INTERVAL_MS;
        const t0 = performance.now();
        try {
          await executor.execute(request(queries[(client + n) % queries.length]!, n));
          latencies.push(performance.now() - t0);
        } catch (error) {
          errors++;
          logger.warn({ err: error }, 'BI query failed');
        }
        n++;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
      }
    });
    await sleep(BI_INTERVAL_MS); // every client has started before the measured phase
    const withBi = await velocityRate('with-bi');
    loaded = false;
    await Promise.all(clients);

    const aloneAfter = await velocityRate('alone-2');

    await executor.close();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    await clickhouse.command({ query: `DROP DATABASE ${database}` });
    await clickhouse.close();
    rmSync(work, { recursive: true, force: true });
    const alone = (aloneBefore + aloneAfter) / 2;
    return {
      events: SALES,
      alone_events_per_s: Math.round(alone),
      alone_before_events_per_s: Math.round(aloneBefore),
      alone_after_events_per_s: Math.round(aloneAfter),
      with_bi_events_per_s: Math.round(withBi),
      processor_rate_ratio: withBi / alone,
      bi_queries: latencies.length,
      bi_errors: errors,
      bi_p50_ms: Math.round(percentile(latencies, 50)),
      bi_p95_ms: Math.round(percentile(latencies, 95)),
      pool_size: config.sqlExecutor.poolSize,
      max_threads: config.sqlExecutor.maxThreads,
      endpoint_thread_nice_applied: hasSysNiceCapability() ? config.sqlExecutor.endpointThreadNice : 0, // SQL_ENDPOINT_THREAD_NICE as the engine applies it
      endpoint_priority_share: config.sqlExecutor.endpointPriorityShare, // its budget; 0: never raised
    };
  },
};
