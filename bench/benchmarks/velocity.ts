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
 * The latency phase runs twice: with the producer in this process (p50/p99_visible_ms, the
 * figure reported before), and in a child process (p50/p99_visible_child_ms): 10k Avro encodes
 * and kafkajs produces a second, and their garbage, shared the processor's event loop and heap,
 * so the first figure measures the bench's producer too. The child run also reports where the
 * oldest event of each flush spent its time (flush_stage_seconds p99: in transit to the fetch,
 * buffered until a flush was due, waiting for the previous flush's write, writing).
 */
import { fork } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { migrate } from '../../clickhouse/migrate';
import { createClickHouse } from '../../lib/clients/clickhouse';
import { createKafka, createProducer, type IdempotentProducer } from '../../lib/clients/kafka';
import { createSchemaRegistry } from '../../lib/clients/registry';
import { EventCodec } from '../../lib/events/codec';
import { createMetrics } from '../../lib/metrics';
import { loadCatalog } from '../../schemas/catalog';
import { velocityProcessor } from '../../streams/velocity/velocity';
import { startProcessor, type RunnerDeps, type RunnerOptions } from '../../streams/runtime/runner';
import { FLUSH_STAGES } from '../../streams/runtime/durable-write';
import { publishBenchSales, rawConsumeRate, type Benchmark } from '../harness';
import { produceLiveSales } from '../live-sales-producer';
import type { Kafka } from 'kafkajs';

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

type Buckets = { le: number; count: number }[];

async function histogramBuckets(metrics: ReturnType<typeof createMetrics>, name: string, labels: Record<string, string> = {}): Promise<Buckets> {
  return (await samples(metrics.registry.getSingleMetric(name)!))
    .filter((v) => v.metricName === `${name}_bucket` && Object.entries(labels).every(([k, x]) => v.labels[k] === x))
    .map((v) => ({ le: v.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(v.labels.le), count: v.value }));
}

interface LiveRun {
  readonly rate: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** p99 of each flush stage (ms), by stage. */
  readonly stagesP99Ms: Record<string, number>;
}

/**
 * Sales at LIVE_RATE/s with occurred_at = now through a fresh velocity processor on a fresh
 * topic, produced here or by a child process; the processor's own event-to-visible histogram.
 */
async function liveRun(
  kafka: Kafka,
  deps: Omit<RunnerDeps, 'metrics' | 'kafka'>,
  options: RunnerOptions,
  partitions: number,
  topic: string,
  producer: { readonly inProcess: IdempotentProducer } | { readonly childOf: string },
): Promise<LiveRun> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
    const metrics = createMetrics(`bench-live-${topic}`, { collectDefaults: false });
    const live = await startProcessor(velocityProcessor({ maxOutOfOrderMs: 5_000, allowedLatenessMs: 60_000, salesTopic: topic }), { ...deps, kafka, metrics }, { ...options, groupId: `${topic}.pipeline` });
    let rate: number;
    if ('inProcess' in producer) {
      rate = await produceLiveSales(producer.inProcess, deps.codec, topic, LIVE_RATE, LIVE_SECONDS);
    } else {
      const child = fork(producer.childOf, [topic, String(LIVE_RATE), String(LIVE_SECONDS)], { env: process.env, stdio: 'inherit' });
      rate = await new Promise<number>((resolve, reject) => {
        child.once('message', (m: { rate: number }) => resolve(m.rate));
        child.once('exit', (code) => reject(new Error(`the live producer exited (${code}) before answering`)));
      });
    }
    await sleep(options.flushIntervalMs * 3);
    await live.stop();
    const visible = await histogramBuckets(metrics, 'shelfstream_event_to_visible_seconds');
    const stagesP99Ms: Record<string, number> = {};
    for (const stage of FLUSH_STAGES) stagesP99Ms[stage] = Math.round(histogramPercentile(await histogramBuckets(metrics, 'shelfstream_flush_stage_seconds', { stage }), 99) * 1000);
    return { rate, p50Ms: Math.round(histogramPercentile(visible, 50) * 1000), p99Ms: Math.round(histogramPercentile(visible, 99) * 1000), stagesP99Ms };
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
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

    // Latency: live sales at LIVE_RATE/s with occurred_at = now, through a fresh processor,
    // produced in this process (the figure reported before), then by a child process.
    const liveDeps = { codec, clickhouse, logger };
    const inProcess = await liveRun(kafka, liveDeps, runnerOptions, config.topics.partitions, `${topic}.live`, { inProcess: producer });
    const child = await liveRun(kafka, liveDeps, runnerOptions, config.topics.partitions, `${topic}.live-child`, { childOf: join(__dirname, '..', 'live-sales-producer.js') });

    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
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
      live_events_per_s: Math.round(inProcess.rate),
      p50_visible_ms: inProcess.p50Ms,
      p99_visible_ms: inProcess.p99Ms,
      live_child_events_per_s: Math.round(child.rate),
      p50_visible_child_ms: child.p50Ms,
      p99_visible_child_ms: child.p99Ms,
      ...Object.fromEntries(FLUSH_STAGES.map((stage) => [`p99_${stage}_child_ms`, child.stagesP99Ms[stage]!])),
    };
  },
};
