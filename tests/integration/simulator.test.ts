/**
 * The simulator's backfill against the real Kafka and schema registry. It publishes to
 * stand-ins of the catalogue's topics (its topic prefix: a later `make demo` must not find the
 * test's sales), which the test reads from the end offsets recorded before the run,
 * decodes every record through the registry, and checks what arrived against the run's
 * manifest and ground truth files (not against the simulator's memory).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKafka } from '../../lib/clients/kafka';
import { createSchemaRegistry } from '../../lib/clients/registry';
import { EventCodec } from '../../lib/events/codec';
import { loadCatalog } from '../../schemas/catalog';
import { contractIssues } from '../../schemas/contract';
import type { SaleCompleted } from '../../schemas/generated/events';
import { DAY_MS, HOUR_MS } from '../../lib/domain/time';
import { parseDay } from '../../lib/domain/calendar';
import { TRUTH_FILES, parseCsv } from '../../simulators/pos/ground-truth';
import { runBackfill } from '../../simulators/pos/run';
import { EVENT_TOPICS } from '../../simulators/pos/store-sim';
import { createStandInCatalogue, registerCleanup, testAdmin, testConfig, testLogger, uniqueName, waitFor } from '../harness/fixtures';

const config = testConfig();

type Offsets = Map<string, Map<number, bigint>>;

describe('simulator backfill', () => {
  it('publishes every event the manifest counts, with the units of the ground truth', async () => {
    const admin = await testAdmin(config);
    // The topics the simulator publishes (the catalogue also holds processors' outputs, e.g. alerts).
    const published = new Set<string>([...EVENT_TOPICS, 'md.stores', 'md.products', 'md.exchange-rates']);
    const catalog = loadCatalog().filter((t) => t.schema && published.has(t.name));
    const topics = catalog.map((t) => t.name);
    const { prefix } = await createStandInCatalogue(admin, config);
    const offsets = async (): Promise<Offsets> =>
      new Map(await Promise.all(topics.map(async (topic) => [topic, new Map((await admin.fetchTopicOffsets(prefix + topic)).map((p) => [p.partition, BigInt(p.high)]))] as const)));
    const before = await offsets();

    const outDir = mkdtempSync(join(tmpdir(), 'shelfstream-simulator-'));
    registerCleanup(async () => rmSync(outDir, { recursive: true, force: true }));
    // Two stores, twenty SKUs, the eve of Eid al-Fitr 2026 (a busy, Ramadan day for Gulf stores).
    const seed = 20_260_319;
    const summary = await runBackfill(
      { config, logger: testLogger() },
      {
        simulation: { seed, stores: 2, skus: 20, window: { kind: 'days', startDay: parseDay('2026-03-19'), days: 1 }, anomalyRate: 1, heartbeats: true },
        outDir,
        workers: 1,
        batchEvents: 500, // several produce requests even for a small run
        inFlight: 2,
        topicPrefix: prefix,
        progress: false,
      },
    );
    const after = await offsets();

    const manifest = JSON.parse(readFileSync(join(outDir, TRUTH_FILES.manifest), 'utf8')) as { events_by_topic: Record<string, number>; events_total: number; window: { start: string; end: string } };
    expect(manifest.events_total).toBe(summary.events);
    expect(manifest.events_by_topic['pos.sales']).toBeGreaterThan(10);

    // Read every topic from the offsets before the run to those after it.
    const codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, catalog);
    const kafka = createKafka(config.kafka, testLogger(), 'test');
    const consumer = kafka.consumer({ groupId: uniqueName('simulator-test') });
    await consumer.connect();
    registerCleanup(() => consumer.disconnect());
    await consumer.subscribe({ topics: topics.map((t) => prefix + t), fromBeginning: false });
    const received = new Map<string, unknown[]>(topics.map((t) => [t, []]));
    const reached = new Map<string, bigint>();
    await consumer.run({
      eachMessage: async ({ topic: stood, partition, message }) => {
        const topic = stood.slice(prefix.length);
        const end = after.get(topic)!.get(partition)!;
        if (BigInt(message.offset) >= end) return;
        received.get(topic)!.push((await codec.decode(message.value)).value);
        reached.set(`${topic}/${partition}`, BigInt(message.offset) + 1n);
      },
    });
    for (const topic of topics) for (const [partition, offset] of before.get(topic)!) consumer.seek({ topic: prefix + topic, partition, offset: offset.toString() });
    await waitFor(
      () =>
        topics.every((topic) =>
          [...after.get(topic)!].every(([partition, end]) => end <= before.get(topic)!.get(partition)! || (reached.get(`${topic}/${partition}`) ?? 0n) >= end),
        ),
      { what: 'every record the run produced', timeoutMs: 60_000 },
    );

    // Other tests may publish to the same topics meanwhile: keep the records of this run's
    // stores and simulated window (master data: this run's SKUs and stamp).
    const start = Date.parse(manifest.window.start);
    const end = Date.parse(manifest.window.end);
    const stores = new Set(['S001', 'S002']);
    const stamp = (parseDay('2026-03-19') - 1) * DAY_MS; // master data is stamped a day before the first day
    const ours = (topic: string, e: Record<string, unknown>): boolean => {
      if (topic === 'md.stores') return stores.has(e.store_id as string) && e.updated_at === stamp;
      if (topic === 'md.products') return /^SKU0000(0[1-9]|1\d|20)$/.test(e.sku as string) && e.updated_at === stamp;
      if (topic === 'md.exchange-rates') return e.source === 'simulator' && e.updated_at === stamp;
      return stores.has(e.store_id as string) && (e.occurred_at as number) >= start && (e.occurred_at as number) < end;
    };
    const mine = new Map(topics.map((t) => [t, received.get(t)!.filter((e) => ours(t, e as Record<string, unknown>))]));
    for (const topic of topics) expect([topic, mine.get(topic)!.length]).toEqual([topic, manifest.events_by_topic[topic]]);
    for (const topic of topics) for (const e of mine.get(topic)!) expect(contractIssues(topic, e)).toEqual([]);
    // A store's events sit on one partition, in event-time order.
    for (const topic of topics.filter((t) => !t.startsWith('md.'))) {
      const last = new Map<string, number>();
      for (const e of mine.get(topic) as { store_id: string; occurred_at: number }[]) {
        expect(e.occurred_at).toBeGreaterThanOrEqual(last.get(e.store_id) ?? 0);
        last.set(e.store_id, e.occurred_at);
      }
    }

    // Units sold per store x SKU x hour, from the decoded sales and from hourly_demand.csv.
    const fromKafka = new Map<string, number>();
    for (const s of mine.get('pos.sales') as SaleCompleted[]) {
      const hour = new Date(Math.floor(s.occurred_at / HOUR_MS) * HOUR_MS).toISOString();
      for (const l of s.lines) fromKafka.set(`${s.store_id}|${l.sku}|${hour}`, (fromKafka.get(`${s.store_id}|${l.sku}|${hour}`) ?? 0) + l.quantity);
    }
    const hourly = parseCsv(readFileSync(join(outDir, TRUTH_FILES.hourly), 'utf8'));
    const fromTruth = new Map(hourly.filter((r) => (r.sold as number) > 0).map((r) => [`${r.store_id}|${r.sku}|${r.hour_start}`, r.sold as number]));
    expect(fromKafka.size).toBeGreaterThan(10);
    expect(fromKafka).toEqual(fromTruth);
    const daily = parseCsv(readFileSync(join(outDir, TRUTH_FILES.daily), 'utf8'));
    expect(daily).toHaveLength(2 * 20);
    expect(daily.reduce((sum, r) => sum + (r.sold as number), 0)).toBe([...fromKafka.values()].reduce((a, b) => a + b, 0));
  });
});
