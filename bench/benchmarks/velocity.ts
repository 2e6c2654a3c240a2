/**
 * velocity: records/s through decode, 1-minute windowing and the ClickHouse sink (embedded
 * chDB unless CLICKHOUSE_URL is set), beside the raw consume rate of the same kafkajs client on
 * the same topic in the same run (the limit: a consumer that does no work). Then the latency
 * from an event's occurred_at to its window row being visible in ClickHouse, with sales
 * produced live at 10k events/s.
 * The rate is bound by whichever is slower, the event loop or the ClickHouse write in flight
 * (chDB works on its own threads), so the run also reports CPU per event: the event loop's
 * busy time (main_us_per_event) and every thread's (cpu_us_per_event, chDB included), beside
 * the raw consumer's CPU per event.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { migrate } from '../../clickhouse/migrate';
import { createClickHouse } from '../../lib/clients/clickhouse';
import { createKafka, createProducer } from '../../lib/clients/kafka';
import { createSchemaRegistry } from '../../lib/clients/registry';
import { EventCodec } from '../../lib/events/codec';
import { createMetrics } from '../../lib/metrics';
import { loadCatalog } from '../../schemas/catalog';
import { velocityProcessor } from '../../streams/velocity/velocity';
import { startProcessor } from '../../streams/runtime/runner';
import { benchSale, publishBenchSales, rawConsumeRate, type Benchmark } from '../harness';

type Sample = { metricName?: string; labels: Record<string, string | number>; value: number };
const samples = async (m: { get(): Promise<{ values: unknown[] }> }): Promise<Sample[]> => (await m.get()).values as Sample[];

const SALES = 600_000;
const LIVE_RATE = 10_000; // events/s for the latency phase
const LIVE_SECONDS = 20;

/** p-th percentile from a prom-client histogram, interpolating inside the bucket. */
function histogramPercentile(buckets: { le: number; count: number }[], p: number): number {
  const total = buckets[buckets.length - 1]?.count ?? 0;
  const target = (p / 100) * total;
  let previousLe = 0;
  let previousCount = 0;
  for (const b of buckets) {
    if (b.count >= target) {
      const within = b.count - previousCount;
      const fraction = within > 0 ? (target - previousCount) / within : 1;
      return Number.isFinite(b.le) ? previousLe + fraction * (b.le - previousLe) : previousLe;
    }
    previousLe = b.le;
    previousCount = b.count;
  }
  return previousLe;
}

export const velocityBench: Benchmark = {
  name: 'velocity',
  description: `${SALES} sales through decode + windows + ClickHouse sink vs a raw kafkajs consumer; then p99 event-to-visible at ${LIVE_RATE}/s`,
  async run({ config, logger }) {
    const kafka = createKafka(config.kafka, logger, 'bench');
    const topic = await publishBenchSales(kafka, config, 'bench.velocity', SALES);
    const admin = kafka.admin();
    await admin.connect();
    const codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, loadCatalog());
    const producer = createProducer(kafka);
    await producer.connect();

    // Baseline: the same client and topic, consuming without work.
    const rawCpu0 = process.cpuUsage();
    const rawEventsPerS = await rawConsumeRate(kafka, topic, SALES);
    const rawCpu = process.cpuUsage(rawCpu0);

    // The pipeline, into a fresh database.
    const database = `bench_velocity_${Date.now()}`;
    const clickhouse = createClickHouse(config.clickhouse.mode === 'embedded' ? { ...config.clickhouse, dataDir: mkdtempSync(join(tmpdir(), 'bench-chdb-')) } : config.clickhouse);
    await clickhouse.command({ query: `CREATE DATABASE ${database}` });
    await migrate(clickhouse, database);
    const metrics = createMetrics('bench', { collectDefaults: false });
    const runnerOptions = { ...config.streams, database, deadLetterTopic: config.streams.deadLetterTopic };
    const definition = velocityProcessor({ maxOutOfOrderMs: 5_000, allowedLatenessMs: 60_000, salesTopic: topic });
    let firstRecordAt = 0;
    const eventsIn = metrics.counter('events_in_total', 'records read by a processor', ['processor', 'topic']);
    const processor = await startProcessor(definition, { kafka, codec, clickhouse, logger, metrics }, { ...runnerOptions, groupId: `${topic}.pipeline` });
    const readSoFar = async (): Promise<number> => (await eventsIn.get()).values.reduce((s, v) => s + v.value, 0);
    while ((await readSoFar()) === 0) await sleep(5);
    firstRecordAt = performance.now();
    const loop0 = performance.eventLoopUtilization();
    const cpu0 = process.cpuUsage();
    while ((await readSoFar()) < SALES) await sleep(20);
    await processor.flush(); // the last rows durable in ClickHouse
    const pipelineSeconds = (performance.now() - firstRecordAt) / 1000;
    const loopBusyMs = performance.eventLoopUtilization(loop0).active;
    const cpu = process.cpuUsage(cpu0);
    const sinkSeconds = (await samples(metrics.registry.getSingleMetric('shelfstream_sink_batch_latency_seconds')!)).filter((v) => v.metricName?.endsWith('_sum')).reduce((s, v) => s + v.value, 0);
    const sinkRows = (await samples(metrics.registry.getSingleMetric('shelfstream_sink_batch_rows')!)).filter((v) => v.metricName?.endsWith('_sum') || v.metricName?.endsWith('_count')).map((v) => `${v.metricName}=${v.value}`);
    logger.warn({ pipelineSeconds, sinkSeconds, sinkRows }, 'pipeline phase');
    const eventsPerS = SALES / pipelineSeconds;

    // Sanity: the sink holds what was produced.
    const [units] = await (await clickhouse.query({ query: `SELECT sum(units) AS u FROM ${database}.sales_velocity_1m FINAL`, format: 'JSONEachRow' })).json<{ u: string }>();
    let expectedUnits = 0;
    for (let i = 0; i < SALES; i++) expectedUnits += 1 + (i % 3) + 1;
    if (Number(units?.u) !== expectedUnits) throw new Error(`sink holds ${units?.u} units, produced ${expectedUnits}`);
    await processor.stop();

    // Latency: live sales at LIVE_RATE/s with occurred_at = now, through a fresh processor.
    const liveTopic = `${topic}.live`;
    await admin.createTopics({ topics: [{ topic: liveTopic, numPartitions: config.topics.partitions, replicationFactor: 1 }], waitForLeaders: true });
    const liveMetrics = createMetrics('bench-live', { collectDefaults: false });
    const live = await startProcessor(velocityProcessor({ maxOutOfOrderMs: 5_000, allowedLatenessMs: 60_000, salesTopic: liveTopic }), { kafka, codec, clickhouse, logger, metrics: liveMetrics }, { ...runnerOptions, groupId: `${liveTopic}.pipeline` });
    const tickMs = 50;
    const perTick = (LIVE_RATE * tickMs) / 1000;
    const liveStart = performance.now();
    let sent = 0;
    while (performance.now() - liveStart < LIVE_SECONDS * 1000) {
      const now = Date.now();
      const messages = Array.from({ length: perTick }, (_, k) => {
        const sale = benchSale(sent + k, now);
        return { key: sale.store_id, value: codec.encode('pos.sales', sale) };
      });
      sent += perTick;
      await producer.send({ topic: liveTopic, acks: -1, messages });
      const behind = liveStart + (sent / LIVE_RATE) * 1000 - performance.now();
      if (behind > 0) await sleep(behind);
    }
    const achievedRate = sent / ((performance.now() - liveStart) / 1000);
    await sleep(config.streams.flushIntervalMs * 3);
    await live.stop();
    const histogram = (await samples(liveMetrics.registry.getSingleMetric('shelfstream_event_to_visible_seconds')!))
      .filter((v) => v.metricName === 'shelfstream_event_to_visible_seconds_bucket')
      .map((v) => ({ le: v.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(v.labels.le), count: v.value }));

    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic, liveTopic] }).catch(() => undefined);
    await admin.disconnect();
    await clickhouse.command({ query: `DROP DATABASE ${database}` });
    await clickhouse.close();
    return {
      events: SALES,
      events_per_s: Math.round(eventsPerS),
      raw_events_per_s: Math.round(rawEventsPerS),
      ratio: eventsPerS / rawEventsPerS,
      main_us_per_event: Number(((loopBusyMs * 1000) / SALES).toFixed(2)),
      cpu_us_per_event: Number(((cpu.user + cpu.system) / SALES).toFixed(2)),
      raw_cpu_us_per_event: Number(((rawCpu.user + rawCpu.system) / SALES).toFixed(2)),
      live_events_per_s: Math.round(achievedRate),
      p50_visible_ms: Math.round(histogramPercentile(histogram, 50) * 1000),
      p99_visible_ms: Math.round(histogramPercentile(histogram, 99) * 1000),
    };
  },
};
