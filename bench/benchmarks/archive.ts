/**
 * archive: records/s through decode, Parquet encoding (parquet-wasm, ZSTD) and the upload to
 * MinIO, committed, beside the raw consume rate of the same kafkajs client on the same topic in
 * the same run. Then the replay rate: the archived range read back and re-published byte for
 * byte to a fresh topic. Also reported: CPU µs per event of the whole process (all threads) and
 * the consuming thread's busy µs per event (main_us_per_event)
 * during the archive and during the raw read, and the machine's load per core, since the
 * machine is shared and the rates move with it.
 */
import { cpus, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKafka, createProducer } from '../../lib/clients/kafka';
import { createSchemaRegistry } from '../../lib/clients/registry';
import { EventCodec } from '../../lib/events/codec';
import { createMetrics } from '../../lib/metrics';
import { createClickHouse } from '../../lib/clients/clickhouse';
import { loadCatalog } from '../../schemas/catalog';
import { buildArchiveProcessor, openArchiveStore } from '../../streams/archive';
import { topicPrefix } from '../../streams/archive/layout';
import { DEFAULT_PARQUET_WORKERS } from '../../streams/archive/parquet-pool';
import { publishReplay, readArchive } from '../../streams/archive/replay';
import { startProcessor } from '../../streams/runtime/runner';
import { benchSale, profilePhase, rawConsumeRate, type Benchmark } from '../harness';

const SALES = 300_000;
const START = Date.UTC(2026, 10, 1, 8);
const SPAN_MS = 4 * 3_600_000;
/**
 * Rows per roll. With the default (500k rows or 64 MiB or 60 s) no roll of this 300k-record run
 * closes before the end, so every file would be encoded after the last record is read: the
 * start-up burst, not the steady state. In a stream, rolls close while the next ones fill, and
 * their files are encoded meanwhile; 10k rows per roll (5 rolls per partition here) makes this
 * run behave so. Smaller files cost a few bytes per event, which compaction wins back.
 */
const ROLL_ROWS = Number(process.env['BENCH_ARCHIVE_ROLL_ROWS'] ?? 10_000);
/** Parquet writer threads; the archiver's default is one per core beside the consuming thread. */
const WORKERS = Number(process.env['BENCH_ARCHIVE_WORKERS'] ?? DEFAULT_PARQUET_WORKERS);

export const archiveBench: Benchmark = {
  name: 'archive',
  description: `${SALES} sales archived as Parquet in MinIO (decode + encode + upload + commit) vs a raw kafkajs consumer; then the replay rate`,
  async run({ config, logger }) {
    const kafka = createKafka(config.kafka, logger, 'bench');
    const admin = kafka.admin();
    await admin.connect();
    const topic = `bench.archive.${Date.now()}`;
    await admin.createTopics({ topics: [{ topic, numPartitions: config.topics.partitions, replicationFactor: 1 }], waitForLeaders: true });
    const catalog = loadCatalog();
    const codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, catalog);
    const producer = createProducer(kafka);
    await producer.connect();
    for (let i = 0; i < SALES; i += 10_000) {
      const messages = [];
      for (let j = i; j < Math.min(SALES, i + 10_000); j++) {
        const sale = benchSale(j, START + Math.floor((j / SALES) * SPAN_MS));
        messages.push({ key: sale.store_id, value: codec.encode('pos.sales', sale) });
      }
      await producer.send({ topic, acks: -1, messages });
    }

    // Baseline: the same client and topic, consuming without work. CPU is the whole process's
    // (every thread, the Parquet workers included), per event.
    const rawCpu0 = process.cpuUsage();
    const rawEventsPerS = await rawConsumeRate(kafka, topic, SALES);
    const rawCpu = process.cpuUsage(rawCpu0);

    // The archiver, through the streaming runtime, until every record is uploaded and committed.
    const store = await openArchiveStore(config);
    const metrics = createMetrics('bench', { collectDefaults: false });
    const eventsIn = metrics.counter('events_in_total', 'records read by a processor', ['processor', 'topic']);
    const clickhouse = createClickHouse(config.clickhouse); // unused by the archive; the runtime takes one
    const definition = buildArchiveProcessor({ ...config, archive: { ...config.archive, maxRollRows: ROLL_ROWS } }, catalog, store, { 'pos.sales': topic }, WORKERS);
    const stopProfile = await profilePhase('archive');
    const cpu0 = process.cpuUsage();
    // The consuming thread's busy time apart from every thread's: the Parquet workers and GC run beside it.
    const loop0 = performance.eventLoopUtilization();
    const archiver = await startProcessor(definition, { kafka, codec, clickhouse, logger, metrics }, { ...config.streams, database: config.clickhouse.database, groupId: `${topic}.archive` });
    const readSoFar = async (): Promise<number> => (await eventsIn.get()).values.reduce((s, v) => s + v.value, 0);
    while ((await readSoFar()) === 0) await sleep(5);
    const t0 = performance.now();
    // From the first record on: the consumer's start (connect, group join) is no archive work.
    const phaseCpu0 = process.cpuUsage();
    while ((await readSoFar()) < SALES) await sleep(20);
    const readSeconds = (performance.now() - t0) / 1000;
    // stop() closes the open rolls, uploads them and commits, then leaves the group; leaving
    // waits out the consumer's fetch long-poll (up to 5 s), which is no archive work: the clock
    // stops when the group's committed offsets cover every record.
    const stopping = archiver.stop();
    const committed = async (): Promise<number> => (await admin.fetchOffsets({ groupId: `${topic}.archive`, topics: [topic] }))[0]!.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    while ((await committed()) < SALES) await sleep(10);
    const archiveSeconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const phaseCpu = process.cpuUsage(phaseCpu0);
    const loopBusyMs = performance.eventLoopUtilization(loop0).active;
    await stopProfile();
    await stopping;
    logger.warn({ readSeconds, finalUploadSeconds: archiveSeconds - readSeconds, stopSeconds: (performance.now() - t0) / 1000 - archiveSeconds }, 'archive phases');
    const objects = (await store.list(topicPrefix(topic))).filter((o) => o.name.endsWith('.parquet'));
    const bytes = objects.reduce((n, o) => n + o.size, 0);

    // Replay: read the archive back and re-publish to a fresh topic.
    const replayTopic = `${topic}.replay`;
    await admin.createTopics({ topics: [{ topic: replayTopic, numPartitions: config.topics.partitions, replicationFactor: 1 }], waitForLeaders: true });
    const replay = await publishReplay(producer, readArchive(store, { topics: [topic], from: START, to: START + SPAN_MS }), { targets: { [topic]: replayTopic } });
    if (replay.records !== SALES) throw new Error(`replay published ${replay.records} records, archived ${SALES}`);

    await producer.disconnect();
    await store.remove(objects.map((o) => o.name));
    await store.remove((await store.list(topicPrefix(topic))).map((o) => o.name));
    await admin.deleteTopics({ topics: [topic, replayTopic] });
    await admin.disconnect();
    await clickhouse.close();
    const eventsPerS = SALES / archiveSeconds;
    return {
      events: SALES,
      events_per_s: Math.round(eventsPerS),
      raw_events_per_s: Math.round(rawEventsPerS),
      ratio: Number((eventsPerS / rawEventsPerS).toFixed(3)),
      objects: objects.length,
      parquet_bytes_per_event: Number((bytes / SALES).toFixed(1)),
      replay_events_per_s: Math.round(replay.records / replay.seconds),
      cpu_us_per_event: Number(((cpu.user + cpu.system) / SALES).toFixed(2)),
      phase_cpu_us_per_event: Number(((phaseCpu.user + phaseCpu.system) / SALES).toFixed(2)),
      main_us_per_event: Number(((loopBusyMs * 1000) / SALES).toFixed(2)),
      raw_cpu_us_per_event: Number(((rawCpu.user + rawCpu.system) / SALES).toFixed(2)),
      roll_rows: ROLL_ROWS,
      parquet_workers: WORKERS,
      // Other work on this shared machine: runnable tasks over the last minute, per core.
      load_per_core: Number((loadavg()[0]! / cpus().length).toFixed(2)),
    };
  },
};
