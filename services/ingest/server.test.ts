/**
 * The routes end to end over loopback HTTP: the real limiter, deduplicator, batcher and
 * validation, with the publisher, keys and master data replaced by in-memory stand-ins.
 * (Fastify's inject() loads light-my-request, whose ESM-only dependency jest cannot require.)
 */
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { ShelfStreamError } from '../../lib/errors';
import { createMetrics } from '../../lib/metrics';
import { createKeyVerifier, generateApiKey } from './api-keys';
import { createProduceBatcher, type TopicBatch } from './batcher';
import { createDeduplicator } from './dedup';
import { exampleEvent } from './examples';
import { staticMasterData } from './master-data';
import { createIngestMetrics } from './metrics';
import { buildOpenApiDocument } from './openapi';
import { createRateLimiter } from './rate-limit';
import { buildIngestServer, type IngestServer } from './server';

const NOW = Date.UTC(2026, 10, 23, 12);
const alice = generateApiKey('S001', 'T1');
const bob = generateApiKey('S002', 'T1');
const ghost = generateApiKey('S404', 'T1'); // a store master data does not know
const revoked = generateApiKey('S001', 'T2');

interface Harness {
  server: IngestServer;
  port: number;
  published: TopicBatch[][];
  /** When set, the next produces wait for this promise (to hold requests in flight) or fail. */
  gate: { wait?: Promise<void>; fail?: Error };
  master: { loaded: boolean };
}

const open: Harness[] = [];
afterEach(async () => {
  for (const x of open.splice(0)) await x.server.app.close();
});

async function harness(options: { ratePerS?: number; maxBodyBytes?: number; maxEvents?: number; ackTimeoutMs?: number } = {}): Promise<Harness> {
  const published: TopicBatch[][] = [];
  const gate: Harness['gate'] = {};
  const master = { loaded: true };
  const known = staticMasterData(['S001', 'S002'], ['SKU-1', 'SKU-2', 'SKU-3']);
  const metrics = createMetrics('test', { collectDefaults: false });
  const batcher = createProduceBatcher(
    {
      publishMixed: async (batches) => {
        if (gate.wait) await gate.wait;
        if (gate.fail) throw gate.fail;
        published.push([...batches]);
      },
    },
    { cooldownMs: 5_000 },
  );
  const server = buildIngestServer(
    {
      keys: createKeyVerifier([alice.record, bob.record, ghost.record, { ...revoked.record, revoked_at: '2026-11-23T00:00:00.000Z' }]),
      masterData: { hasStore: known.hasStore, hasSku: known.hasSku, get loaded() { return master.loaded; } },
      rateLimiter: createRateLimiter({ ratePerS: options.ratePerS ?? 10_000, burstS: 2 }),
      dedup: createDeduplicator(1_000),
      batcher,
      metrics: createIngestMetrics(metrics),
      registry: metrics.registry,
      readiness: [
        {
          name: 'master-data',
          check: async () => {
            if (!master.loaded) throw new Error('loading');
          },
        },
      ],
      logger: pino({ level: 'silent' }),
    },
    {
      maxBodyBytes: options.maxBodyBytes ?? 100_000,
      maxEventsPerRequest: options.maxEvents ?? 50,
      ackTimeoutMs: options.ackTimeoutMs ?? 5_000,
      unavailableRetryAfterS: 5,
      topicFor: (t) => t,
      openApi: buildOpenApiDocument({ maxEventsPerRequest: 50, maxBodyBytes: 100_000, rateLimitEventsPerS: 10_000, burstSeconds: 2, version: 'test' }),
      now: () => NOW,
    },
  );
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const port = (server.app.server.address() as AddressInfo).port;
  const made = { server, port, published, gate, master };
  open.push(made);
  return made;
}

interface Response {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  payload: string;
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** One HTTP request with exactly the headers given (fetch would add a Content-Type). */
function call(h: Harness, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: h.port, method, path, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const payload = Buffer.concat(chunks).toString('utf8');
        resolve({ statusCode: res.statusCode!, headers: res.headers, payload, json: () => JSON.parse(payload) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const ctx = { storeId: 'S001', terminalId: 'T1', skus: ['SKU-1', 'SKU-2'], occurredAt: NOW - 1_000 };
const heartbeat = (): Record<string, unknown> => exampleEvent('pos.heartbeats', ctx);
const saleEvent = (n = 0): Record<string, unknown> => exampleEvent('pos.sales', ctx, n);

function post(h: Harness, body: unknown, options: { key?: string | null; store?: string; type?: string | null; raw?: string } = {}) {
  const headers: Record<string, string> = {};
  const key = options.key === undefined ? alice.key : options.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  if (options.type !== null) headers['content-type'] = options.type ?? 'application/json';
  return call(h, 'POST', `/v1/stores/${options.store ?? 'S001'}/events`, headers, options.raw ?? (body === undefined ? undefined : JSON.stringify(body)));
}

const producedIds = (h: Harness): string[] => h.published.flat().flatMap((b) => b.events.map((e) => (e as { event_id: string }).event_id));

describe('ingest routes', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
  });

  it('answers 202 with the event ids once Kafka acknowledged them, grouped by topic', async () => {
    const events = [
      { type: 'pos.sales', event: saleEvent(0) },
      { type: 'pos.heartbeats', event: heartbeat() },
      { type: 'pos.sales', event: saleEvent(1) },
    ];
    const res = await post(h, { events });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ accepted: events.map((e) => e.event.event_id), duplicates: [] });
    expect(h.published).toHaveLength(1);
    expect(h.published[0]!.map((b) => [b.topic, b.events.length])).toEqual([
      ['pos.sales', 2],
      ['pos.heartbeats', 1],
    ]);
  });

  it('acknowledges a retried event again without producing it twice', async () => {
    const events = [{ type: 'pos.heartbeats', event: heartbeat() }];
    expect((await post(h, { events })).statusCode).toBe(202);
    const fresh = { type: 'pos.heartbeats', event: heartbeat() };
    const retry = await post(h, { events: [...events, fresh] });
    expect(retry.statusCode).toBe(202);
    expect(retry.json()).toEqual({ accepted: [fresh.event.event_id], duplicates: [events[0]!.event.event_id] });
    expect(producedIds(h)).toEqual([events[0]!.event.event_id, fresh.event.event_id]);
  });

  it('makes a concurrent duplicate wait for the first request and produces it once', async () => {
    let open!: () => void;
    h.gate.wait = new Promise<void>((resolve) => (open = resolve));
    const body = { events: [{ type: 'pos.heartbeats', event: heartbeat() }] };
    const first = post(h, body);
    await new Promise((r) => setTimeout(r, 20));
    const second = post(h, body);
    await new Promise((r) => setTimeout(r, 20));
    h.gate.wait = undefined;
    open();
    const [a, b] = await Promise.all([first, second]);
    expect([a.statusCode, b.statusCode]).toEqual([202, 202]);
    expect(a.json().accepted).toHaveLength(1);
    expect(b.json()).toEqual({ accepted: [], duplicates: a.json().accepted });
    expect(producedIds(h)).toHaveLength(1);
  });

  it.each([
    ['no Authorization header', null, /missing Authorization header/],
    ['a malformed key', 'ssk_nope', /invalid or revoked API key/],
    ['an unknown key', generateApiKey('S001', 'T1').key, /invalid or revoked API key/],
    ['a revoked key', revoked.key, /invalid or revoked API key/],
  ])('answers 401 for %s', async (_what, key, message) => {
    const res = await post(h, { events: [{ type: 'pos.heartbeats', event: heartbeat() }] }, { key });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="shelfstream-ingest"');
    expect(res.json()).toEqual({ error: 'unauthorized', message: expect.stringMatching(message) });
  });

  it('answers 403 when the key belongs to another store than the path', async () => {
    const res = await post(h, { events: [{ type: 'pos.heartbeats', event: heartbeat() }] }, { key: bob.key });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: 'forbidden_store', message: 'this API key belongs to store S002 (terminal T1), not to store S001' });
  });

  it('answers 403 naming the event whose store is not the key’s', async () => {
    const res = await post(h, { events: [{ type: 'pos.heartbeats', event: heartbeat() }, { type: 'pos.heartbeats', event: { ...heartbeat(), store_id: 'S002' } }] });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: 'forbidden_events', issues: [{ path: 'events[1].event.store_id' }] });
  });

  it('answers 400 with every offending path, and produces nothing of the request', async () => {
    const bad = saleEvent(1);
    (bad.lines as Record<string, unknown>[])[0]!.quantity = -3;
    const res = await post(h, { events: [{ type: 'pos.heartbeats', event: heartbeat() }, { type: 'pos.sales', event: bad }] });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid_events', issues: expect.arrayContaining([{ path: 'events[1].event.lines[0].quantity', reason: 'must be between 1 and 10000, got -3' }]) });
    expect(h.published).toHaveLength(0);
  });

  it('answers 400 naming the JSON problem', async () => {
    const res = await post(h, undefined, { raw: '{"events": [' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: 'invalid_json', message: expect.stringMatching(/^the body is not valid JSON: /) });
  });

  it.each([
    ['text/plain', 'Content-Type "text/plain"'],
    ['application/x-www-form-urlencoded', 'Content-Type "application/x-www-form-urlencoded"'],
  ])('answers 415 for %s', async (type, named) => {
    const res = await post(h, { events: [] }, { type });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toEqual({ error: 'unsupported_media_type', message: `${named}: send the events as application/json` });
  });

  it('answers 415 when there is neither a Content-Type nor a body', async () => {
    const res = await post(h, undefined, { type: null });
    expect(res.statusCode).toBe(415);
  });

  it('answers 413 for a body over the limit and for too many events', async () => {
    h = await harness({ maxBodyBytes: 2_000 });
    const big = await post(h, { events: [{ type: 'pos.heartbeats', event: { ...heartbeat(), software_version: 'x'.repeat(3_000) } }] });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toEqual({ error: 'body_too_large', message: 'the body is larger than 2000 bytes: split the batch' });
    const many = await post(h, { events: new Array(51).fill(1) });
    expect(many.statusCode).toBe(413);
    expect(many.json().error).toBe('too_many_events');
  });

  it('answers 404 for a store master data does not know', async () => {
    const res = await post(h, { events: [{ type: 'pos.heartbeats', event: { ...heartbeat(), store_id: 'S404' } }] }, { key: ghost.key, store: 'S404' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toBe('unknown_store');
  });

  it('answers 429 with Retry-After over the key’s rate, counting events', async () => {
    h = await harness({ ratePerS: 5 }); // burst of 10 events
    const events = (n: number) => ({ events: Array.from({ length: n }, () => ({ type: 'pos.heartbeats', event: heartbeat() })) });
    expect((await post(h, events(8))).statusCode).toBe(202);
    const limited = await post(h, events(3));
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited.json().error).toBe('rate_limited');
    expect((await post(h, events(11))).json().error).toBe('too_many_events'); // more than a burst can ever hold
    expect(producedIds(h)).toHaveLength(8);
  });

  it('answers 503 with Retry-After while Kafka is unreachable, then fails fast until the cooldown ends', async () => {
    h.gate.fail = new ShelfStreamError('SERVICE_UNAVAILABLE', 'Kafka did not acknowledge the batch: connection refused');
    const res = await post(h, { events: [{ type: 'pos.heartbeats', event: heartbeat() }] });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json()).toMatchObject({ error: 'unavailable', message: expect.stringMatching(/connection refused/) });
    h.gate.fail = undefined;
    const next = await post(h, { events: [{ type: 'pos.heartbeats', event: heartbeat() }] });
    expect(next.statusCode).toBe(503);
    expect(h.published).toHaveLength(0);
  });

  it('answers 503 when Kafka does not acknowledge in time', async () => {
    h = await harness({ ackTimeoutMs: 50 });
    h.gate.wait = new Promise(() => undefined);
    const res = await post(h, { events: [{ type: 'pos.heartbeats', event: heartbeat() }] });
    expect(res.statusCode).toBe(503);
    expect(res.json().message).toMatch(/no acknowledgement from Kafka within 50 ms/);
  });

  it('answers 503 while master data loads, and fails readiness', async () => {
    h.master.loaded = false;
    const res = await post(h, { events: [{ type: 'pos.heartbeats', event: heartbeat() }] });
    expect(res.statusCode).toBe(503);
    expect(res.json().message).toMatch(/master data are still loading/);
    const ready = await call(h, 'GET', '/readyz');
    expect(ready.statusCode).toBe(503);
    expect(ready.json().checks).toEqual([expect.objectContaining({ name: 'master-data', ok: false, detail: 'loading' })]);
  });

  it('refuses new requests and fails readiness once draining', async () => {
    h.server.drain();
    const res = await post(h, { events: [{ type: 'pos.heartbeats', event: heartbeat() }] });
    expect(res.statusCode).toBe(503);
    expect(res.headers.connection).toBe('close');
    expect((await call(h, 'GET', '/readyz')).statusCode).toBe(503);
  });

  it('serves the OpenAPI document, liveness, readiness and metrics', async () => {
    const openApi = await call(h, 'GET', '/openapi.json');
    expect(openApi.statusCode).toBe(200);
    expect(openApi.headers['content-type']).toMatch(/^application\/json/);
    expect(openApi.json().openapi).toBe('3.1.0');
    expect((await call(h, 'GET', '/healthz')).json()).toEqual({ status: 'ok' });
    expect((await call(h, 'GET', '/readyz')).statusCode).toBe(200);

    await post(h, { events: [{ type: 'pos.heartbeats', event: heartbeat() }] });
    await post(h, { events: [{ type: 'pos.heartbeats', event: { ...heartbeat(), queue_depth: -1 } }] });
    const text = (await call(h, 'GET', '/metrics')).payload;
    expect(text).toContain('shelfstream_ingest_requests_total{status="202",service="test"} 1');
    expect(text).toContain('shelfstream_ingest_requests_total{status="400",service="test"} 1');
    expect(text).toContain('shelfstream_ingest_events_accepted_total{topic="pos.heartbeats",service="test"} 1');
    expect(text).toContain('shelfstream_ingest_events_rejected_total{reason="invalid_events",service="test"} 1');
    expect(text).toMatch(/shelfstream_ingest_ack_latency_seconds_count\{service="test"\} 1/);
  });

  it('answers 404 with a pointer to the API description for unknown routes', async () => {
    const res = await call(h, 'GET', '/v2/nothing');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'not_found', message: 'no route GET /v2/nothing; the API is described at /openapi.json' });
  });
});
