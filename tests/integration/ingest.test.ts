/**
 * The HTTP ingest service against the real Kafka and schema registry: accepted events are in
 * Kafka exactly as sent (defaults filled), a retried event_id is written once, and a storm of
 * over a thousand malformed requests each get the exact 4xx with a message naming the problem
 * while none of their events reaches Kafka and valid requests interleaved still get 202.
 *
 * The service runs on stand-ins for the catalogue's topics (its topic prefix), so nothing of
 * the test is left in the topics a later `make demo` reads. Master data for the test (stores
 * and SKUs with ids unique to this run) is published to the stand-ins of md.stores / md.products.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import { createKafka } from '../../lib/clients/kafka';
import { createSchemaRegistry } from '../../lib/clients/registry';
import { EventCodec } from '../../lib/events/codec';
import { createEventPublisher, type EventPublisher } from '../../lib/events/publisher';
import { completeEvent } from '../../schemas/contract';
import type { Product, Store, TopicName } from '../../schemas/generated/events';
import { createApiKey, revokeApiKey } from '../../services/ingest/api-keys';
import { exampleEvent, type ExampleContext } from '../../services/ingest/examples';
import { startIngestService, type IngestService } from '../../services/ingest';
import { INGEST_TOPICS, type IngestTopic } from '../../services/ingest/validate';
import { Rng } from '../../simulators/pos/random';
import { createStandInCatalogue, registerCleanup, testAdmin, testConfig, testLogger, uniqueName, waitFor } from '../harness/fixtures';

const MAX_BODY_BYTES = 262_144; // 256 KiB, so oversized requests stay cheap to send
const MAX_EVENTS = 100;

const tag = uniqueName('ig');
const STORE_A = `${tag}-A`;
const STORE_B = `${tag}-B`;
const STORE_UNKNOWN = `${tag}-U`; // has an API key, never published to md.stores
const SKUS = [1, 2, 3, 4].map((i) => `${tag}-SKU-${i}`);

const keysDir = mkdtempSync(join(tmpdir(), 'ingest-it-'));
const config = testConfig({
  INGEST_PORT: '0',
  INGEST_API_KEYS_FILE: join(keysDir, 'api-keys.json'),
  INGEST_MAX_BODY_BYTES: String(MAX_BODY_BYTES),
  INGEST_MAX_EVENTS_PER_REQUEST: String(MAX_EVENTS),
});
let service: IngestService;
let admin: Admin;
let kafka: Kafka;
let codec: EventCodec;
let publisher: EventPublisher;
/** The stand-in of a catalogue topic: what the service publishes to and the test reads. */
let physical: (topic: string) => string;
let logical: (topic: string) => string;
const keys: Record<'a' | 'a2' | 'b' | 'unknown' | 'revoked', string> = { a: '', a2: '', b: '', unknown: '', revoked: '' };
const agent = new Agent({ keepAlive: true, maxSockets: 32 });

beforeAll(async () => {
  registerCleanup(async () => rmSync(keysDir, { recursive: true, force: true }));
  const logger = testLogger();
  admin = await testAdmin(config);
  const standIns = await createStandInCatalogue(admin, config);
  const catalog = standIns.catalog;
  physical = (topic) => standIns.prefix + topic;
  logical = (topic) => topic.slice(standIns.prefix.length);
  kafka = createKafka(config.kafka, logger, 'test');
  codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, catalog);
  publisher = await createEventPublisher(kafka, codec, catalog);
  registerCleanup(() => publisher.close());

  const now = Date.now();
  const store = (store_id: string): Store => ({
    store_id,
    name: `Test store ${store_id}`,
    region: 'Test',
    time_zone: 'Europe/Paris',
    opening_hours: [1, 2, 3, 4, 5, 6].map((day_of_week) => ({ day_of_week, opens_at_minute: 480, closes_at_minute: 1260 })),
    size_class: 'SMALL',
    currency: 'EUR',
    opened_on: 19_000,
    vat_rate: null, holiday_calendar: null,
    updated_at: now,
  });
  const product = (sku: string): Product => ({ sku, name: `Test ${sku}`, category: 'Test', brand: 'Test', unit_cost: 100, price: 199, currency: 'EUR', perishable: false, shelf_life_days: null, updated_at: now });
  await publisher.publish(physical('md.stores') as TopicName, [store(STORE_A), store(STORE_B)]);
  await publisher.publish(physical('md.products') as TopicName, SKUS.map(product));

  const file = config.ingest.apiKeysFile;
  keys.a = (await createApiKey(file, STORE_A, 'T1')).key;
  keys.a2 = (await createApiKey(file, STORE_A, 'T2')).key;
  keys.b = (await createApiKey(file, STORE_B, 'T1')).key;
  keys.unknown = (await createApiKey(file, STORE_UNKNOWN, 'T1')).key;
  const revoked = await createApiKey(file, STORE_A, 'T3');
  await revokeApiKey(file, revoked.record.key_id);
  keys.revoked = revoked.key;

  service = await startIngestService({ config, logger, topicPrefix: physical('') });
  registerCleanup(async () => {
    agent.destroy();
    await service.close();
  });
  await waitFor(() => service.masterData.loaded && service.masterData.hasStore(STORE_A) && service.masterData.hasStore(STORE_B) && SKUS.every((s) => service.masterData.hasSku(s)), {
    what: 'the service to know the test stores and products',
    timeoutMs: 60_000,
  });
});

// ── HTTP and Kafka helpers ───────────────────────────────────────────────────────────────

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

interface Outgoing {
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

/** One request with exactly these headers (fetch would add a Content-Type of its own). */
function send(req: Outgoing): Promise<Reply> {
  const url = new URL(service.url);
  return new Promise((resolve, reject) => {
    const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body);
    const r = httpRequest(
      { host: url.hostname, port: url.port, method: 'POST', path: req.path, agent, headers: { ...req.headers, ...(body ? { 'content-length': String(body.length) } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // left as text; the assertion will show it
          }
          resolve({ status: res.statusCode!, headers: res.headers, body: parsed });
        });
      },
    );
    r.on('error', reject);
    r.end(body);
  });
}

const JSON_TYPE = { 'content-type': 'application/json' };
const auth = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });
const pathOf = (store: string): string => `/v1/stores/${encodeURIComponent(store)}/events`;
const ingestBody = (items: { type: string; event: unknown }[]): string => JSON.stringify({ events: items });

type Offsets = Map<string, number>; // "topic:partition" -> offset

async function endOffsets(topics: readonly string[]): Promise<Offsets> {
  const out: Offsets = new Map();
  for (const topic of topics) for (const p of await admin.fetchTopicOffsets(physical(topic))) out.set(`${topic}:${p.partition}`, Number(p.high));
  return out;
}

interface Record_ {
  topic: string;
  key: string;
  value: Record<string, unknown>;
}

/** Every record between two offset snapshots of `topics`, decoded. */
async function readBetween(topics: readonly string[], from: Offsets, to: Offsets): Promise<Record_[]> {
  const remaining = new Map([...to].filter(([k, end]) => end > (from.get(k) ?? 0)));
  const records: Record_[] = [];
  if (remaining.size === 0) return records;
  // A throwaway group that commits nothing; seek() places it (admin.setOffsets costs 5 s a topic).
  const groupId = uniqueName('ingest-it-read');
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: topics.map(physical) });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic: stood, partition, message }) => {
        const topic = logical(stood);
        const k = `${topic}:${partition}`;
        const end = remaining.get(k);
        if (end === undefined || Number(message.offset) < (from.get(k) ?? 0) || Number(message.offset) >= end) return;
        // Other writers share these topics; a record we cannot decode is still counted.
        const value = await codec.decode<Record<string, unknown>>(message.value).then(
          (d) => d.value,
          () => ({}),
        );
        records.push({ topic, key: message.key?.toString('utf8') ?? '', value });
        if (Number(message.offset) + 1 >= end) remaining.delete(k);
      },
    });
    for (const [k, offset] of from) {
      const partition = Number(k.slice(k.lastIndexOf(':') + 1));
      consumer.seek({ topic: physical(k.slice(0, k.lastIndexOf(':'))), partition, offset: String(offset) });
    }
    await waitFor(() => remaining.size === 0, { what: `records up to the end offsets (${remaining.size} partitions left)`, timeoutMs: 60_000 });
  } finally {
    await consumer.disconnect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
  return records;
}

const exampleCtx = (storeId: string, terminalId = 'T1'): ExampleContext => ({ storeId, terminalId, skus: SKUS, occurredAt: Date.now() - 60_000 });

// ── the tests ────────────────────────────────────────────────────────────────────────────

describe('HTTP ingest', () => {
  it('acknowledges a valid batch only once its events are in Kafka, exactly as sent', async () => {
    const items = INGEST_TOPICS.map((type, n) => ({ type, event: exampleEvent(type, exampleCtx(STORE_A), n) }));
    // A field with a default left out: the record must carry the default.
    delete (items[0]!.event as Record<string, unknown>).tax_total;
    const before = await endOffsets(INGEST_TOPICS);

    const reply = await send({ path: pathOf(STORE_A), headers: { ...JSON_TYPE, ...auth(keys.a) }, body: ingestBody(items) });
    expect(reply.status).toBe(202);
    expect(reply.body).toEqual({ accepted: items.map((i) => i.event.event_id), duplicates: [] });

    const records = await readBetween(INGEST_TOPICS, before, await endOffsets(INGEST_TOPICS));
    const ours = records.filter((r) => r.key === STORE_A);
    expect(ours).toHaveLength(items.length);
    for (const item of items) {
      const record = ours.find((r) => r.value.event_id === item.event.event_id);
      expect(record).toEqual({ topic: item.type, key: STORE_A, value: completeEvent(item.type as TopicName, item.event) });
    }
    expect((ours.find((r) => r.topic === 'pos.sales')!.value as { tax_total: number }).tax_total).toBe(0);
  });

  it('answers a retried event_id 202 again but writes it once, also when both copies are in flight together', async () => {
    const before = await endOffsets(['pos.sales', 'pos.heartbeats']);
    const first = [0, 1, 2].map((n) => ({ type: 'pos.sales', event: exampleEvent('pos.sales', exampleCtx(STORE_B), n) }));
    const request = { path: pathOf(STORE_B), headers: { ...JSON_TYPE, ...auth(keys.b) }, body: ingestBody(first) };
    expect((await send(request)).status).toBe(202);
    const retry = await send(request);
    expect(retry.status).toBe(202);
    expect(retry.body).toEqual({ accepted: [], duplicates: first.map((i) => i.event.event_id) });

    // Two copies of a new batch at the same moment: both acknowledged, one written.
    const concurrent = [0, 1].map(() => ({ type: 'pos.heartbeats', event: exampleEvent('pos.heartbeats', exampleCtx(STORE_B)) }));
    const same = { path: pathOf(STORE_B), headers: { ...JSON_TYPE, ...auth(keys.b) }, body: ingestBody(concurrent) };
    const replies = await Promise.all([send(same), send(same), send(same)]);
    expect(replies.map((r) => r.status)).toEqual([202, 202, 202]);
    expect(replies.map((r) => r.body.accepted.length).sort()).toEqual([0, 0, 2]);

    const records = await readBetween(['pos.sales', 'pos.heartbeats'], before, await endOffsets(['pos.sales', 'pos.heartbeats']));
    const ids = records.filter((r) => r.key === STORE_B).map((r) => r.value.event_id as string);
    const expected = [...first, ...concurrent].map((i) => i.event.event_id as string);
    expect(ids.sort()).toEqual(expected.sort());
  });

  it('gives each of over a thousand malformed requests its exact 4xx and lets none of their events reach Kafka, while valid requests still get 202', async () => {
    const rng = new Rng(Number.parseInt(tag.slice(-6), 16)); // replayable from the logged tag
    const random = (): number => rng.next();
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const rejectedIds = new Set<string>();
    const validIds = new Set<string>();

    interface Case {
      readonly kind: string;
      readonly request: Outgoing;
      readonly status: number;
      readonly error: string;
      /** The answer must name the problem: this path among the issues, or this text in the message. */
      readonly names: { path: string; reason: RegExp } | RegExp;
    }

    /** A valid batch for store A from terminal T1 (keys.a), its ids noted as rejected or valid. */
    const batch = (n: number, note: Set<string>, topics: readonly IngestTopic[] = INGEST_TOPICS) => {
      const items = Array.from({ length: n }, (_, i) => {
        const type = pick(topics);
        return { type: type as string, event: exampleEvent(type, exampleCtx(STORE_A), Math.floor(random() * 1000) + i) };
      });
      for (const item of items) note.add(item.event.event_id as string);
      return items;
    };
    const requestA = (items: unknown[], headers: Record<string, string> = { ...JSON_TYPE, ...auth(keys.a) }): Outgoing => ({ path: pathOf(STORE_A), headers, body: JSON.stringify({ events: items }) });

    /** A malformed request: a batch of 1-3 valid events, one of them broken by `breakIt`. */
    const broken = (kind: string, topics: readonly IngestTopic[], breakIt: (event: Record<string, any>) => { path: string; reason: RegExp }, status = 400, error = 'invalid_events'): Case => { // eslint-disable-line @typescript-eslint/no-explicit-any
      const items = batch(1 + Math.floor(random() * 3), rejectedIds, topics);
      const at = Math.floor(random() * items.length);
      const target = items[at]!;
      const expected = breakIt(target.event as Record<string, unknown>);
      if (typeof target.event.event_id === 'string') rejectedIds.add(target.event.event_id);
      return { kind, request: requestA(items), status, error, names: { path: `events[${at}].event.${expected.path}`, reason: expected.reason } };
    };

    const SALES: readonly IngestTopic[] = ['pos.sales'];
    const generators: (() => Case)[] = [
      // wrong types
      () => broken('wrong type', SALES, (e) => ((e.lines[0].quantity = String(e.lines[0].quantity)), { path: 'lines[0].quantity', reason: /expected an integer \(32-bit\), got string/ })),
      () => broken('wrong type', SALES, (e) => ((e.lines[0].unit_price = 1.5), { path: 'lines[0].unit_price', reason: /got the fraction 1.5/ })),
      () => broken('wrong type', SALES, (e) => ((e.payment_method = 'CHEQUE'), { path: 'payment_method', reason: /expected one of CASH, CARD/ })),
      () => broken('wrong type', ['pos.heartbeats'], (e) => ((e.occurred_at = 'yesterday'), { path: 'occurred_at', reason: /expected an integer, got string/ })),
      () => broken('wrong type', ['inventory.counts'], (e) => ((e.on_hand = null), { path: 'on_hand', reason: /expected an integer \(32-bit\), got null/ })),
      // missing fields
      () => broken('missing field', SALES, (e) => (delete e.cashier_id, { path: 'cashier_id', reason: /missing required field/ })),
      () => broken('missing field', ['pos.voids'], (e) => (delete e.transaction_id, { path: 'transaction_id', reason: /missing required field/ })),
      () => broken('missing field', ['inventory.movements'], (e) => (delete e.movement_type, { path: 'movement_type', reason: /missing required field/ })),
      () => broken('missing field', ['pos.returns'], (e) => (delete e.lines[0].refund_amount, { path: 'lines[0].refund_amount', reason: /missing required field/ })),
      // negative and absurd quantities
      () => broken('negative quantity', SALES, (e) => ((e.lines[0].quantity = -1 - Math.floor(random() * 50)), { path: 'lines[0].quantity', reason: /must be between 1 and 10000, got -\d+/ })),
      () => broken('absurd quantity', SALES, (e) => ((e.lines[0].quantity = 100_000 + Math.floor(random() * 1e9)), { path: 'lines[0].quantity', reason: /must be between 1 and 10000/ })),
      () => broken('absurd quantity', ['pos.returns'], (e) => ((e.lines[0].quantity = 5e12), { path: 'lines[0].quantity', reason: /expected an integer \(32-bit\)/ })),
      () => broken('negative count', ['inventory.counts'], (e) => ((e.on_hand = -5), { path: 'on_hand', reason: /must be between 0 and/ })),
      () => broken('wrong sign', ['inventory.movements'], (e) => ((e.movement_type = 'SHRINK'), { path: 'quantity_delta', reason: /must be negative for SHRINK/ })),
      // contract rules
      () => broken('bad total', SALES, (e) => ((e.total += 1), { path: 'total', reason: /must equal subtotal - discount_total/ })),
      () => broken('future event', ['pos.heartbeats'], (e) => ((e.occurred_at = Date.now() + 3 * 86_400_000), { path: 'occurred_at', reason: /more than a day in the future/ })),
      () => broken('bad event_id', ['pos.voids'], (e) => ((e.event_id = `not-a-uuid-${randomUUID()}`), { path: 'event_id', reason: /must be a UUID/ })),
      () => broken('unknown field', ['pos.heartbeats'], (e) => ((e.battery = 80), { path: 'battery', reason: /unknown field/ })),
      // unknown SKUs
      () => broken('unknown sku', SALES, (e) => ((e.lines[0].sku = `${tag}-NOPE`), { path: 'lines[0].sku', reason: /unknown sku/ })),
      () => broken('unknown sku', ['inventory.counts', 'inventory.movements'], (e) => ((e.sku = `${tag}-GONE`), { path: 'sku', reason: /unknown sku/ })),
      // another store or terminal inside the events
      () => broken('event of another store', ['pos.heartbeats', 'inventory.counts'], (e) => ((e.store_id = STORE_B), { path: 'store_id', reason: /is not the store of this API key/ }), 403, 'forbidden_events'),
      () => broken('event of another terminal', SALES, (e) => ((e.terminal_id = 'T9'), { path: 'terminal_id', reason: /is not the terminal of this API key/ }), 403, 'forbidden_events'),
      // topics terminals may not publish to
      () => {
        const items = batch(2, rejectedIds);
        const type = pick(['md.stores', 'md.products', 'pricing.prices', 'pos.sale', 'shelfstream.dead-letter']);
        items[1]!.type = type;
        return { kind: 'bad type', request: requestA(items), status: 400, error: 'invalid_events', names: { path: 'events[1].type', reason: /is not a topic terminals publish to/ } };
      },
      // the same event twice in one request
      () => {
        const items = batch(2, rejectedIds, ['pos.heartbeats']);
        items[1]!.event.event_id = items[0]!.event.event_id;
        return { kind: 'repeated event_id', request: requestA(items), status: 400, error: 'invalid_events', names: { path: 'events[1].event.event_id', reason: /repeats the event_id of events\[0\]/ } };
      },
      // envelope
      () => {
        const body = pick(['[]', '"events"', '{}', '{"events": {}}', '{"events": []}', '{"events": [], "extra": 1}', 'null', '42']);
        return { kind: 'bad envelope', request: { path: pathOf(STORE_A), headers: { ...JSON_TYPE, ...auth(keys.a) }, body }, status: 400, error: 'invalid_body', names: /the body must be \{"events": \[\.\.\.\]\}/ };
      },
      () => {
        const items = batch(MAX_EVENTS + 1 + Math.floor(random() * 20), rejectedIds, ['pos.heartbeats']);
        return { kind: 'too many events', request: requestA(items), status: 413, error: 'too_many_events', names: new RegExp(`at most ${MAX_EVENTS} are accepted`) };
      },
      // invalid JSON
      () => {
        const text = ingestBody(batch(2, rejectedIds));
        const variants = [text.slice(0, Math.floor(text.length * random())), text.replace(/}]}$/, '},]}'), text.replace(/"/g, "'"), `${text}x`, text.replace(/:\d+/, ':NaN')];
        return { kind: 'invalid JSON', request: { path: pathOf(STORE_A), headers: { ...JSON_TYPE, ...auth(keys.a) }, body: pick(variants) }, status: 400, error: 'invalid_json', names: /^the body is not valid JSON: / };
      },
      // oversized body
      () => {
        const items = batch(1, rejectedIds, ['pos.heartbeats']);
        items[0]!.event.software_version = 'v'.repeat(MAX_BODY_BYTES + Math.floor(random() * 10_000));
        return { kind: 'oversized body', request: requestA(items), status: 413, error: 'body_too_large', names: new RegExp(`larger than ${MAX_BODY_BYTES} bytes`) };
      },
      // content types
      () => {
        const type = pick(['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream']);
        const request = requestA(batch(1, rejectedIds), { 'content-type': type, ...auth(keys.a) });
        return { kind: 'wrong content type', request, status: 415, error: 'unsupported_media_type', names: /send the events as application\/json/ };
      },
      () => {
        const request = requestA(batch(1, rejectedIds), auth(keys.a));
        return { kind: 'no content type', request, status: 415, error: 'unsupported_media_type', names: /send the events as application\/json/ };
      },
      // keys
      () => {
        const [headers, names] = pick<[Record<string, string>, RegExp]>([
          [{}, /missing Authorization header/],
          [{ authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }, /must read `Bearer <api key>`/],
          [auth(`ssk_${randomUUID().replace(/-/g, '').slice(0, 12)}_${'ab'.repeat(32)}`), /invalid or revoked API key/],
          [auth(keys.a.slice(0, -1)), /invalid or revoked API key/],
          [auth(`${keys.a.slice(0, -1)}${keys.a.endsWith('0') ? '1' : '0'}`), /invalid or revoked API key/],
          [auth(keys.revoked), /invalid or revoked API key/],
        ]);
        return { kind: 'bad key', request: requestA(batch(1, rejectedIds), { ...JSON_TYPE, ...headers }), status: 401, error: 'unauthorized', names };
      },
      () => {
        const request = { ...requestA(batch(1, rejectedIds), { ...JSON_TYPE, ...auth(keys.b) }) };
        return { kind: 'key of another store', request, status: 403, error: 'forbidden_store', names: new RegExp(`belongs to store ${STORE_B}`) };
      },
      () => {
        const items = [{ type: 'pos.heartbeats', event: exampleEvent('pos.heartbeats', exampleCtx(STORE_UNKNOWN)) }];
        rejectedIds.add(items[0]!.event.event_id as string);
        return { kind: 'unknown store', request: { path: pathOf(STORE_UNKNOWN), headers: { ...JSON_TYPE, ...auth(keys.unknown) }, body: ingestBody(items) }, status: 404, error: 'unknown_store', names: /is not in the store master data/ };
      },
    ];

    // At least 1,100 malformed requests, every generator used equally often, with a valid one every 8th.
    const malformed: Case[] = [];
    while (malformed.length < 1_100) for (const generate of generators) malformed.push(generate());
    const work: ({ valid: true; request: Outgoing; ids: string[] } | ({ valid: false } & Case))[] = [];
    for (const [i, c] of shuffle(malformed, random).entries()) {
      if (i % 8 === 0) {
        // Half from a second terminal of the store, with its own key.
        const fromA2 = random() < 0.5;
        const items = batch(1 + Math.floor(random() * 5), validIds);
        if (fromA2) for (const item of items) if ('terminal_id' in item.event) item.event.terminal_id = 'T2';
        work.push({ valid: true, request: requestA(items, { ...JSON_TYPE, ...auth(fromA2 ? keys.a2 : keys.a) }), ids: items.map((x) => x.event.event_id as string) });
      }
      work.push({ valid: false, ...c });
    }
    for (const id of validIds) expect(rejectedIds.has(id)).toBe(false);

    const topics = INGEST_TOPICS;
    const before = await endOffsets(topics);
    const failures: string[] = [];
    const statusCount = new Map<string, number>();
    let validAccepted = 0;
    await runPool(work, 16, async (w) => {
      const reply = await send(w.request);
      if (w.valid) {
        if (reply.status === 202 && JSON.stringify(reply.body.accepted) === JSON.stringify(w.ids)) validAccepted++;
        else failures.push(`valid request answered ${reply.status} ${JSON.stringify(reply.body).slice(0, 300)}`);
        return;
      }
      statusCount.set(`${reply.status} ${w.kind}`, (statusCount.get(`${reply.status} ${w.kind}`) ?? 0) + 1);
      const named =
        w.names instanceof RegExp
          ? w.names.test(reply.body?.message ?? '')
          : Array.isArray(reply.body?.issues) && reply.body.issues.some((i: { path: string; reason: string }) => i.path === (w.names as { path: string }).path && (w.names as { reason: RegExp }).reason.test(i.reason));
      if (reply.status !== w.status || reply.body?.error !== w.error || !named) {
        failures.push(`${w.kind}: expected ${w.status} ${w.error} naming ${String(w.names instanceof RegExp ? w.names : JSON.stringify({ path: w.names.path, reason: String(w.names.reason) }))}, got ${reply.status} ${JSON.stringify(reply.body).slice(0, 400)}`);
      }
      if (reply.status === 401 && reply.headers['www-authenticate'] === undefined) failures.push(`${w.kind}: 401 without WWW-Authenticate`);
    });
    process.stderr.write(`[ingest storm] ${malformed.length} malformed requests: ${[...statusCount].sort().map(([k, n]) => `${k}=${n}`).join(', ')}; ${validAccepted} valid requests accepted\n`);
    expect(failures.slice(0, 10)).toEqual([]);
    expect(validAccepted).toBe(work.filter((w) => w.valid).length);

    const after = await endOffsets(topics);
    const records = await readBetween(topics, before, after);
    const seen = records.map((r) => r.value.event_id as string);
    // None of a rejected request's events reached Kafka, valid or not.
    expect(seen.filter((id) => rejectedIds.has(id))).toEqual([]);
    // Every valid event is there exactly once, and the test stores received nothing else.
    const ours = records.filter((r) => r.key === STORE_A || r.key === STORE_B || r.key === STORE_UNKNOWN).map((r) => r.value.event_id as string);
    expect(ours.sort()).toEqual([...validIds].sort());
    // The topics grew by the valid traffic (and by whatever else wrote to the shared stack meanwhile).
    const grown = [...after].reduce((n, [k, end]) => n + end - (before.get(k) ?? 0), 0);
    expect(grown).toBeGreaterThanOrEqual(validIds.size);
    expect(grown - validIds.size).toBe(records.length - ours.length);
  });
});

describe('HTTP ingest shutdown', () => {
  it('finishes the requests it is handling when asked to stop, then refuses; every 202 is in Kafka', async () => {
    const second = await startIngestService({ config, logger: testLogger(), topicPrefix: physical('') });
    registerCleanup(() => second.close());
    await waitFor(() => second.masterData.hasStore(STORE_A), { what: 'master data in the second instance', timeoutMs: 60_000 });
    const url = new URL(second.url);
    const connections = new Agent({ keepAlive: true, maxSockets: 40 });
    registerCleanup(async () => connections.destroy());
    const batch = () => [0, 1, 2, 3, 4].map(() => ({ type: 'pos.heartbeats', event: exampleEvent('pos.heartbeats', exampleCtx(STORE_A)) }));
    const post = (items: { type: string; event: Record<string, unknown> }[]): Promise<{ status: number; at: number }> =>
      new Promise((resolve) => {
        const body = ingestBody(items);
        const r = httpRequest(
          { host: url.hostname, port: url.port, method: 'POST', path: pathOf(STORE_A), agent: connections, headers: { ...JSON_TYPE, ...auth(keys.a), 'content-length': String(Buffer.byteLength(body)) } },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode!, at: performance.now() }));
          },
        );
        r.on('error', () => resolve({ status: 0, at: performance.now() })); // refused or cut: the client retries elsewhere
        r.end(body);
      });

    // Open 40 keep-alive connections, then send a batch on each and stop the service as soon
    // as the first answer arrives: the others are being handled at that moment.
    expect((await Promise.all(Array.from({ length: 40 }, () => post(batch())))).map((r) => r.status)).toEqual(new Array(40).fill(202));
    const before = await endOffsets(['pos.heartbeats']);
    const batches = Array.from({ length: 40 }, batch);
    let closeCalledAt = Number.POSITIVE_INFINITY;
    let closed: Promise<void> | undefined;
    const replies = await Promise.all(
      batches.map((items) =>
        post(items).then((reply) => {
          if (!closed) {
            closeCalledAt = performance.now();
            closed = second.close();
          }
          return reply;
        }),
      ),
    );
    await closed;
    expect((await post(batch())).status).toBe(0); // stopped: connections are refused

    const statuses = replies.map((r) => r.status);
    expect(statuses.every((s) => s === 202 || s === 503 || s === 0)).toBe(true);
    // Requests in flight when close() was called were still answered 202.
    expect(replies.filter((r) => r.status === 202 && r.at > closeCalledAt).length).toBeGreaterThan(0);

    const records = await readBetween(['pos.heartbeats'], before, await endOffsets(['pos.heartbeats']));
    const inKafka = new Set(records.map((r) => r.value.event_id as string));
    batches.forEach((items, i) => {
      const ids = items.map((x) => x.event.event_id as string);
      // A 202 means every event is in Kafka; a refused request wrote none.
      if (statuses[i] === 202) expect(ids.filter((id) => !inKafka.has(id))).toEqual([]);
      else expect(ids.filter((id) => inKafka.has(id))).toEqual([]);
    });
    process.stderr.write(
      `[ingest shutdown] ${statuses.filter((s) => s === 202).length} answered 202 (${replies.filter((r) => r.status === 202 && r.at > closeCalledAt).length} after close() was called), ` +
        `${statuses.filter((s) => s === 503).length} answered 503, ${statuses.filter((s) => s === 0).length} refused\n`,
    );
  });
});

function shuffle<T>(list: readonly T[], random: () => number): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

async function runPool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}
