/**
 * The Kafka broker stopped for 60 s while everything that writes to it or reads from it runs:
 * the POS simulator (real time), HTTP ingest with terminals that retry every 503 with the same
 * request (same event_ids) after its Retry-After, and every processor (warehouse, velocity,
 * anomaly, stock, archive) in one `shelfstream stream` process.
 *
 * The broker is this file's own (the native launcher, free ports, a /tmp folder): the harness's
 * broker is shared and is never stopped. The registry and MinIO are the harness's.
 *
 * What must hold:
 * - ingest answers 503 with Retry-After while the broker is gone, and acknowledges (202) only
 *   what Kafka holds: every acknowledged event_id is in the warehouse's facts afterwards;
 * - the processors pause and resume: the process never exits, and the dead letters are those a
 *   run without the outage gives;
 * - every table equals a second, clean run fed the same events on fresh topics (each event_id
 *   once, in the same per-partition order), into a fresh database: each event counted once.
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import { migrate } from '../../../clickhouse/migrate';
import { createClickHouse, type ClickHouseClient } from '../../../lib/clients/clickhouse';
import { createKafka, createProducer } from '../../../lib/clients/kafka';
import { createObjectStore } from '../../../lib/clients/objectstore';
import { createSchemaRegistry } from '../../../lib/clients/registry';
import { loadConfig, type Config } from '../../../lib/config';
import { EventCodec } from '../../../lib/events/codec';
import { loadCatalog } from '../../../schemas/catalog';
import { createTopicsWithLeaders, planTopic } from '../../../services/bootstrap/topics';
import { startIngestService } from '../../../services/ingest';
import { createApiKey } from '../../../services/ingest/api-keys';
import { exampleEvent } from '../../../services/ingest/examples';
import { floorHour } from '../../../simulators/pos/run';
import { PosSimulator } from '../../../simulators/pos/simulator';
import { buildProcessor, type ProcessorName } from '../../../streams/processors';
import { runCli, startCli, type CliRun } from '../../harness/cli';
import { describeFault } from '../../harness/fault-tier';
import { registerCleanup, testLogger, uniqueName, waitFor } from '../../harness/fixtures';
import { freePort, startOwnBroker, type OwnService } from '../../harness/own-services';

const OUTAGE_MS = 60_000;
const STORES = 4;
const SKUS = 40;
const EVENTS_PER_REQUEST = 10;
/** Wall-clock pause between a terminal's requests: pacing, not synchronisation. */
const TERMINAL_PACE_MS = 250;
const TABLE_PROCESSORS: readonly ProcessorName[] = ['warehouse', 'velocity', 'anomaly', 'stock'];
const ALL_PROCESSORS: readonly ProcessorName[] = [...TABLE_PROCESSORS, 'archive'];
/** Columns that say when or from which offset a row was written, not what it holds. */
const BOOKKEEPING_COLUMNS = new Set(['source_offset', 'version', 'written_at', 'saved_at']);
const ALERTS_TOPIC = 'shelfstream.alerts';

interface TerminalStats {
  acknowledged: Set<string>;
  /** 202 answers, with the wall-clock time they arrived. */
  acceptedAt: number[];
  /** 503 answers: their time and Retry-After seconds. */
  refusals: { at: number; retryAfterS: number; events: number; waitedMs: number }[];
  /** Connection errors (the ingest server itself never goes away here). */
  networkErrors: number;
  unexpected: string[];
}

/**
 * A store terminal that sends sales in batches and retries a refused batch, unchanged (same
 * event_ids), after the Retry-After it was told; it sends its next batch only once the current
 * one was acknowledged.
 */
async function runTerminal(url: string, key: string, store: { store_id: string; currency: string }, skus: readonly string[], stats: TerminalStats, stop: AbortSignal): Promise<void> {
  let n = 0;
  while (!stop.aborted) {
    const events = Array.from({ length: EVENTS_PER_REQUEST }, () => ({
      type: 'pos.sales',
      event: { ...exampleEvent('pos.sales', { storeId: store.store_id, terminalId: 'T-OUTAGE', skus, occurredAt: Date.now() }, n++), currency: store.currency },
    }));
    const body = JSON.stringify({ events });
    for (;;) {
      let response: Response;
      const sent = Date.now();
      try {
        response = await fetch(`${url}/v1/stores/${encodeURIComponent(store.store_id)}/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body,
        });
      } catch {
        stats.networkErrors++;
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        continue;
      }
      const answer = (await response.json()) as { accepted?: string[]; duplicates?: string[]; message?: string };
      if (response.status === 202) {
        for (const id of [...(answer.accepted ?? []), ...(answer.duplicates ?? [])]) stats.acknowledged.add(id);
        stats.acceptedAt.push(Date.now());
        break;
      }
      if (response.status === 503) {
        const retryAfterS = Number(response.headers.get('retry-after'));
        stats.refusals.push({ at: Date.now(), retryAfterS, events: events.length, waitedMs: Date.now() - sent });
        if (!(retryAfterS >= 1)) stats.unexpected.push(`503 without a usable Retry-After: ${String(response.headers.get('retry-after'))}`);
        await new Promise((resolve) => setTimeout(resolve, Math.max(1, retryAfterS) * 1_000));
        continue;
      }
      stats.unexpected.push(`${response.status}: ${answer.message ?? ''}`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, TERMINAL_PACE_MS));
  }
}

/**
 * Where each processor stands, from its /metrics: records behind the partition's end as of its
 * last fetch (`consumer_lag`, per input partition) and records read (`events_in_total`). Committed
 * offsets cannot say it: a processor with open windows commits the earliest offset it still needs.
 */
async function scrape(port: number): Promise<{ lag: Map<string, Map<string, number>>; read: Map<string, number> }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const lag = new Map<string, Map<string, number>>();
  const read = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^shelfstream_(consumer_lag|events_in_total)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
    const processor = labels.processor!;
    if (m[1] === 'consumer_lag') {
      if (!lag.has(processor)) lag.set(processor, new Map());
      lag.get(processor)!.set(`${labels.topic!}:${labels.partition!}`, Number(m[3]));
    } else read.set(processor, (read.get(processor) ?? 0) + Number(m[3]));
  }
  return { lag, read };
}

async function endOffsets(admin: Admin, topics: readonly string[]): Promise<Map<string, number>> {
  const ends = new Map<string, number>();
  for (const topic of topics) for (const p of await admin.fetchTopicOffsets(topic)) ends.set(`${topic}:${p.partition}`, Number(p.high));
  return ends;
}

interface CopiedRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: string;
  readonly headers: Record<string, Buffer>;
}

/** Every record of a topic, partition by partition in offset order, read by a reference consumer. */
async function readTopic(kafka: Kafka, topic: string, admin: Admin): Promise<Map<number, CopiedRecord[]>> {
  const ends = await admin.fetchTopicOffsets(topic);
  const byPartition = new Map<number, CopiedRecord[]>(ends.map((p) => [p.partition, []]));
  const last = new Map<number, number>();
  // A compacted topic holds fewer records than high - low: reading ends at the last offset below high.
  const done = (): boolean => ends.every((p) => Number(p.high) === Number(p.low) || (last.get(p.partition) ?? -1) >= Number(p.high) - 1);
  if (done()) return byPartition;
  const groupId = uniqueName('test.outage-read');
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        byPartition.get(partition)!.push({ key: message.key, value: message.value, timestamp: message.timestamp, headers: message.headers as Record<string, Buffer> });
        last.set(partition, Number(message.offset));
      },
    });
    await waitFor(done, { what: `every record of ${topic}`, timeoutMs: 60_000 });
  } finally {
    await consumer.disconnect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
  return byPartition;
}

/**
 * A table's rows as sorted JSON lines, without bookkeeping columns. `standIn` names the prefix
 * of the run's stand-in topics, which processors write into ids (an alert_id names the input
 * topic, partition and offset that raised it) and state: it is taken out, so both runs read alike.
 */
async function rowsOf(client: ClickHouseClient, database: string, table: string, standIn = ''): Promise<string[]> {
  const columns = await (
    await client.query({
      query: 'SELECT name, type, default_expression FROM system.columns WHERE database = {db:String} AND table = {t:String} ORDER BY position',
      query_params: { db: database, t: table },
      format: 'JSONEachRow',
    })
  ).json<{ name: string; type: string; default_expression: string }>();
  const kept = columns.filter((c) => !BOOKKEEPING_COLUMNS.has(c.name) && !/now/i.test(c.default_expression) && !c.type.startsWith('AggregateFunction'));
  const list = kept.map((c) => `\`${c.name}\``).join(', ');
  const result = await client.query({ query: `SELECT ${list} FROM ${database}.\`${table}\` FINAL`, format: 'JSONEachRow' });
  const rows = (await result.json()).map((r) => JSON.stringify(r));
  return (standIn ? rows.map((r) => r.replaceAll(standIn, '')) : rows).sort();
}

/** Where a row first departs from the most alike of `others`: a window of both texts around the first differing character. */
function whereTheyDiffer(row: string, others: readonly string[]): string {
  let best = '';
  let at = -1;
  for (const other of others) {
    let i = 0;
    while (i < row.length && row[i] === other[i]) i++;
    if (i > at) [best, at] = [other, i];
  }
  return `${row.slice(Math.max(0, at - 150), at + 150)} <> ${best.slice(Math.max(0, at - 150), at + 150)}`;
}

describeFault('Kafka broker stopped for 60 s', () => {
  it('refuses with 503 + Retry-After, loses nothing acknowledged, and every table equals a clean run of the same events', async () => {
    const testStarted = performance.now();
    const broker: OwnService = await startOwnBroker();
    const root = mkdtempSync(join(tmpdir(), 'shelfstream-kafka-outage-'));
    registerCleanup(async () => rmSync(root, { recursive: true, force: true }));
    const seed = Date.now() % 1_000_000;
    const database = uniqueName('shelfstream_outage', '_');
    const cleanDatabase = uniqueName('shelfstream_clean', '_');
    const bucket = uniqueName('outage');
    const group = uniqueName('test.outage');
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      KAFKA_BROKERS: broker.address,
      SHELFSTREAM_DATA_DIR: root,
      CLICKHOUSE_DATABASE: database,
      MINIO_BUCKET: bucket,
      INGEST_API_KEYS_FILE: join(root, 'api-keys.json'),
      SIMULATOR_OUTPUT_DIR: join(root, 'simulator'),
      STREAM_FLUSH_INTERVAL_MS: '200',
      STREAM_SESSION_TIMEOUT_MS: '6000',
      SHELFSTREAM_LOG_LEVEL: 'warn',
    };
    delete env.CLICKHOUSE_URL;
    const config: Config = loadConfig({ ...env, INGEST_PORT: '0' });
    const logger = testLogger();

    // Topics on the own broker, schemas (the catalogue's, already in the shared registry), tables and the bucket.
    await runCli(['init'], { env });
    const minio = createObjectStore(config.objectStore);
    registerCleanup(async () => {
      const names: string[] = [];
      for await (const o of minio.listObjectsV2(bucket, '', true)) if ((o as { name?: string }).name) names.push((o as { name: string }).name);
      if (names.length > 0) await minio.removeObjects(bucket, names);
      await minio.removeBucket(bucket);
    });
    const kafka = createKafka(config.kafka, logger, 'test');
    const admin = kafka.admin();
    await admin.connect();
    registerCleanup(() => admin.disconnect());

    const definitions = new Map(await Promise.all(ALL_PROCESSORS.map(async (name) => [name, await buildProcessor(name, config)] as const)));
    const inputsOf = (name: ProcessorName): string[] => definitions.get(name)!.inputs.map(String);

    // The simulator in real time (speed 1: its event times are the wall clock's, like the terminals').
    const simArgs = ['--stores', String(STORES), '--skus', String(SKUS), '--seed', String(seed), '--no-progress'];
    const simErrors: string[] = [];
    const simulator: CliRun = startCli(['simulate', 'realtime', ...simArgs, '--speed', '1'], { env, onStderrLine: (line) => simErrors.push(line) });
    const master = new PosSimulator({ seed, stores: STORES, skus: SKUS, window: { kind: 'continuous', start: floorHour(Date.now()) }, anomalyRate: 1, heartbeats: true }).masterData();
    const stores = master['md.stores'].map((s) => ({ store_id: s.store_id, currency: s.currency }));
    const skus = master['md.products'].map((p) => p.sku);

    const processorLines: string[] = [];
    const processorsPort = await freePort();
    // The processors' whole stderr is kept under test-output (info: their stop logs each step),
    // so a run that hangs or fails can be read afterwards.
    const processorsLog = join('test-output', 'kafka-outage', `${group}.processors.log`);
    mkdirSync(dirname(processorsLog), { recursive: true });
    process.stderr.write(`kafka-outage: the processors' stderr goes to ${processorsLog}\n`);
    const processors: CliRun = startCli(['stream', ...ALL_PROCESSORS, '--group', group], {
      env: { ...env, SHELFSTREAM_HTTP_PORT: String(processorsPort), SHELFSTREAM_LOG_LEVEL: 'info' },
      onStderrLine: (line) => {
        processorLines.push(line);
        appendFileSync(processorsLog, `${line}\n`);
      },
    });

    // Keys before ingest starts: it reads the file at start-up.
    const keys = new Map<string, string>();
    for (const store of stores) keys.set(store.store_id, (await createApiKey(config.ingest.apiKeysFile, store.store_id, 'T-OUTAGE')).key);
    const ingest = await startIngestService({ config, logger });
    registerCleanup(() => ingest.close());
    await waitFor(() => ingest.masterData.loaded && stores.every((s) => ingest.masterData.hasStore(s.store_id)) && skus.every((k) => ingest.masterData.hasSku(k)), {
      what: 'ingest to know the simulated stores and products',
      timeoutMs: 60_000,
    });
    const stats: TerminalStats = { acknowledged: new Set(), acceptedAt: [], refusals: [], networkErrors: 0, unexpected: [] };
    const stopTerminals = new AbortController();
    registerCleanup(async () => stopTerminals.abort());
    const terminalsDone = Promise.all(stores.map((store) => runTerminal(ingest.url, keys.get(store.store_id)!, store, skus, stats, stopTerminals.signal)));

    // Traffic before the outage, through every processor.
    const inputs = [...new Set(ALL_PROCESSORS.flatMap(inputsOf))];
    const metricsPort = Number(processorsPort);
    /**
     * The processors that read every input partition holding records to its end (as of their
     * last fetch) and read more than `readBefore` records. Throws naming who is behind, so a
     * timed-out wait says where they stand.
     */
    const caughtUp = async (ends: ReadonlyMap<string, number>, readBefore: ReadonlyMap<string, number> = new Map()): Promise<ProcessorName[]> => {
      const { lag, read } = await scrape(metricsPort);
      const behind: string[] = [];
      const done: ProcessorName[] = [];
      for (const p of ALL_PROCESSORS) {
        const mine = [...ends].filter(([k, end]) => end > 0 && inputsOf(p).includes(k.slice(0, k.lastIndexOf(':'))));
        const waiting = mine.filter(([k]) => lag.get(p)?.get(k) !== 0).map(([k]) => `${k} lag ${String(lag.get(p)?.get(k))}`);
        if ((read.get(p) ?? 0) <= (readBefore.get(p) ?? 0)) waiting.push(`read ${read.get(p) ?? 0}`);
        if (waiting.length === 0) done.push(p);
        else behind.push(`${p}: ${waiting.slice(0, 4).join(', ')}`);
      }
      if (behind.length > 0) throw new Error(`behind: ${behind.join('; ')}; the processors' last words: ${processorLines.slice(-5).join('\n')}`);
      return done;
    };
    await waitFor(() => stats.acceptedAt.length >= 40, { what: '40 acknowledged requests before the outage', timeoutMs: 60_000 });
    const beforeOutage = await endOffsets(admin, inputs);
    await waitFor(() => caughtUp(beforeOutage), { what: 'every processor to have read the traffic before the outage', timeoutMs: 120_000, intervalMs: 500 });

    // The outage.
    const phase = (what: string): void => void process.stderr.write(`kafka-outage: ${new Date().toISOString()} ${what}\n`);
    phase(`traffic read by every processor (${stats.acknowledged.size} events acknowledged); stopping the broker`);
    const stopBegan = Date.now();
    await broker.stop();
    const stoppedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    const restartBegan = Date.now();
    expect(processors.child.exitCode).toBeNull();
    await broker.start();
    const healthyAt = Date.now();
    phase('the broker is back');

    // Ingest and the processors resume.
    const firstAck = await waitFor(() => stats.acceptedAt.find((t) => t >= healthyAt), { what: 'a 202 after the broker is back', timeoutMs: 120_000, intervalMs: 50 });
    // Just after the restart the broker may still answer "not the leader" for a partition (a
    // run failed here, a second after the restart): asked again until it answers.
    const atRestart = await waitFor(() => endOffsets(admin, inputs), { what: 'the end offsets once the broker is back', timeoutMs: 60_000, intervalMs: 250 });
    const readAtRestart = (await scrape(metricsPort)).read;
    const resumed = new Map<ProcessorName, number>();
    await waitFor(
      async () => {
        try {
          await caughtUp(atRestart, readAtRestart);
        } catch (error) {
          // Who is already through counts now; the others are named if the wait times out.
          for (const p of ALL_PROCESSORS) if (!resumed.has(p) && !String(error).includes(`${p}:`)) resumed.set(p, Date.now() - healthyAt);
          throw error;
        }
        for (const p of ALL_PROCESSORS) if (!resumed.has(p)) resumed.set(p, Date.now() - healthyAt);
        return true;
      },
      { what: 'every processor to read what was written up to the restart', timeoutMs: 240_000, intervalMs: 250 },
    );
    await waitFor(() => stats.acceptedAt.filter((t) => t >= healthyAt).length >= 40, { what: '40 acknowledged requests after the outage', timeoutMs: 120_000 });

    phase('every processor resumed');
    // The end of the day: terminals, then the simulator (it publishes the rest of its hour), then the processors.
    stopTerminals.abort();
    await terminalsDone;
    const simulatorAliveAtEnd = simulator.child.exitCode === null;
    simulator.child.kill('SIGTERM');
    const simulatorExit = await simulator.exited;
    const finalEnds = await endOffsets(admin, inputs);
    const processorsAliveAtEnd = processors.child.exitCode === null;
    const sigtermAt = Date.now();
    processors.child.kill('SIGTERM');
    const processorsExit = await processors.exited;
    phase(`the processors exited ${((Date.now() - sigtermAt) / 1000).toFixed(1)} s after SIGTERM`);
    // The stop's safety nets (each step bounded in time, then an exit once stopped) must not have
    // been what let them exit: a reader restarted by kafkajs after its stop once kept them alive.
    const stopStepsCut = processorLines.filter((line) => (line.includes('"stop: ') && line.includes('stopping without it')) || line.includes('still running after every processor stopped'));
    // What they had not fetched yet is read by the same groups, as after any restart.
    await runCli(['stream', ...ALL_PROCESSORS, '--group', group, '--stop-when-idle', '5000', '--no-metrics'], { env });
    await ingest.close();

    const refusedDuringOutage = stats.refusals.filter((r) => r.at >= stopBegan && r.at <= healthyAt);
    const ackedWhileDown = stats.acceptedAt.filter((t) => t > stoppedAt + 1_000 && t < restartBegan);
    const deadLetters = async (topic: string): Promise<string[]> => {
      const records = await readTopic(kafka, topic, admin);
      return [...records.values()].flat().map((r) => `${String(r.headers['x-shelfstream-error-code'])} ${String(r.headers['x-shelfstream-processor'])} ${String(r.headers['x-shelfstream-source-topic']).replace(/^clean\./, '')}`).sort();
    };
    const outageDeadLetters = await deadLetters(config.streams.deadLetterTopic);

    phase('the outage run is over; the clean run starts');
    // The clean run: the same events, each event_id once, in the same per-partition order, on fresh topics.
    const codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, loadCatalog());
    const tableInputs = [...new Set(TABLE_PROCESSORS.flatMap(inputsOf))];
    const catalog = loadCatalog();
    const clean = (topic: string): string => `clean.${topic}`;
    const cleanDeadLetterTopic = clean(config.streams.deadLetterTopic);
    const plans = [...tableInputs, ALERTS_TOPIC, config.streams.deadLetterTopic].map((name) => {
      const spec = catalog.find((t) => t.name === name);
      if (!spec) throw new Error(`${name} is not in the catalogue`);
      return planTopic({ ...spec, name: clean(name) }, config.topics);
    });
    await createTopicsWithLeaders(
      admin,
      plans.map((p) => ({ topic: p.name, numPartitions: p.partitions, replicationFactor: p.replicationFactor, configEntries: Object.entries(p.configs).map(([name, value]) => ({ name, value })) })),
    );
    const producer = createProducer(kafka);
    await producer.connect();
    registerCleanup(() => producer.disconnect());
    let copied = 0;
    let repeats = 0;
    for (const topic of tableInputs) {
      const seen = new Set<string>();
      for (const [partition, records] of await readTopic(kafka, topic, admin)) {
        const messages = [];
        for (const r of records) {
          const eventId = r.value ? (await codec.decode<{ event_id?: string }>(r.value)).value.event_id : undefined;
          if (eventId !== undefined) {
            if (seen.has(eventId)) {
              repeats++;
              continue;
            }
            seen.add(eventId);
          }
          messages.push({ partition, key: r.key, value: r.value, timestamp: r.timestamp, headers: r.headers });
        }
        for (let i = 0; i < messages.length; i += 2_000) await producer.send({ topic: clean(topic), acks: -1, messages: messages.slice(i, i + 2_000) });
        copied += messages.length;
      }
    }
    const migrating = createClickHouse(config.clickhouse);
    await migrate(migrating, cleanDatabase);
    await migrating.close();
    const cleanStarted = performance.now();
    await runCli(
      ['stream', ...TABLE_PROCESSORS, '--group', uniqueName('test.clean'), '--topic', ...[...tableInputs, ALERTS_TOPIC].map((t) => `${t}=${clean(t)}`), '--stop-when-idle', '5000', '--no-metrics'],
      { env: { ...env, CLICKHOUSE_DATABASE: cleanDatabase, DEAD_LETTER_TOPIC: cleanDeadLetterTopic } },
    );
    const cleanMs = performance.now() - cleanStarted;
    const cleanDeadLetters = await deadLetters(cleanDeadLetterTopic);

    // Read back: both databases, and the archive.
    const ch = createClickHouse(config.clickhouse);
    registerCleanup(() => ch.close());
    const query = async <T>(sql: string): Promise<T[]> => (await ch.query({ query: sql, format: 'JSONEachRow' })).json<T>();
    const factIds = new Set((await query<{ event_id: string }>(`SELECT DISTINCT toString(event_id) AS event_id FROM ${database}.fact_sale_lines FINAL`)).map((r) => r.event_id));
    const missing = [...stats.acknowledged].filter((id) => !factIds.has(id));
    const [twice] = await query<{ n: string }>(`SELECT count() AS n FROM (SELECT event_id, line_number FROM ${database}.fact_sale_lines FINAL GROUP BY event_id, line_number HAVING count() > 1)`);
    const tables = [...new Set(TABLE_PROCESSORS.flatMap((p) => definitions.get(p)!.tables))];
    const differing: string[] = [];
    const sizes: Record<string, number> = {};
    for (const table of tables) {
      const [outage, cleanRows] = [await rowsOf(ch, database, table), await rowsOf(ch, cleanDatabase, table, clean(''))];
      sizes[table] = outage.length;
      if (JSON.stringify(outage) === JSON.stringify(cleanRows)) continue;
      const cleanSet = new Set(cleanRows);
      const outageSet = new Set(outage);
      const onlyOutage = outage.filter((r) => !cleanSet.has(r));
      const onlyClean = cleanRows.filter((r) => !outageSet.has(r));
      differing.push(`${table} (${outage.length} rows after the outage, ${cleanRows.length} in the clean run; ${onlyOutage.length} only after the outage; ${onlyClean.length} only in the clean run): ${onlyOutage.slice(0, 3).map((r) => whereTheyDiffer(r, onlyClean)).join(' | ')}`);
    }
    const salesEnd = [...finalEnds].filter(([k]) => k.startsWith('pos.sales:')).reduce((n, [, v]) => n + v, 0);
    const s3 = `s3('${config.objectStore.url}/${bucket}/raw/topic=pos.sales/**/*.parquet', '${config.objectStore.accessKey}', '${config.objectStore.secretKey}', 'Parquet')`;
    const [archived] = await query<{ n: string; offsets: string }>(`SELECT count() AS n, uniqExact(partition, offset) AS offsets FROM ${s3}`);

    const seconds = (ms: number): string => (ms / 1000).toFixed(1);
    process.stderr.write(
      `kafka-outage: broker down ${seconds(healthyAt - stopBegan)} s (stop ${seconds(stoppedAt - stopBegan)} s, restart ${seconds(healthyAt - restartBegan)} s); ` +
        `ingest: first 202 ${seconds(firstAck - healthyAt)} s after the broker was back, ${refusedDuringOutage.length} requests (${refusedDuringOutage.reduce((n, r) => n + r.events, 0)} events) refused with 503 during the outage after ${seconds(Math.min(...refusedDuringOutage.map((r) => r.waitedMs)))}-${seconds(Math.max(...refusedDuringOutage.map((r) => r.waitedMs)))} s, ` +
        `${stats.acknowledged.size} events acknowledged in all, ${stats.refusals.length} 503s in all, ${stats.networkErrors} connection errors; ` +
        `processors caught up with the restart's end offsets after ${[...resumed].map(([p, ms]) => `${p} ${seconds(ms)} s`).join(', ')}; ` +
        `clean run: ${copied} records copied (${repeats} repeated event_ids left out) in ${seconds(cleanMs)} s; rows ${JSON.stringify(sizes)}; ` +
        `dead letters ${outageDeadLetters.length} (clean ${cleanDeadLetters.length}); test ${seconds(performance.now() - testStarted)} s\n`,
    );

    expect(stats.unexpected).toEqual([]);
    expect(refusedDuringOutage.length).toBeGreaterThan(0);
    expect(refusedDuringOutage.every((r) => r.retryAfterS >= 1)).toBe(true);
    expect(ackedWhileDown).toEqual([]);
    expect({ simulatorAliveAtEnd, processorsAliveAtEnd }).toEqual({ simulatorAliveAtEnd: true, processorsAliveAtEnd: true });
    expect({ simulatorExit, processorsExit }).toEqual({ simulatorExit: 0, processorsExit: 0 });
    expect(stopStepsCut).toEqual([]);
    expect(missing).toEqual([]);
    expect(Number(twice!.n)).toBe(0);
    expect(differing).toEqual([]);
    expect(outageDeadLetters).toEqual(cleanDeadLetters);
    expect({ rows: Number(archived!.n), offsets: Number(archived!.offsets) }).toEqual({ rows: salesEnd, offsets: salesEnd });
  }, 900_000);
});
