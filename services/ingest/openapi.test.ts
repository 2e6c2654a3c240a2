import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCHEMAS_DIR } from '../../lib/paths';
import { PAYMENT_METHOD_VALUES } from '../../schemas/generated/events';
import { staticMasterData } from './master-data';
import { buildOpenApiDocument } from './openapi';
import { BACK_OFFICE_TOPICS, INGEST_TOPICS, checkEnvelope, checkEvents } from './validate';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const doc = buildOpenApiDocument({ maxEventsPerRequest: 500, maxBodyBytes: 1_048_576, rateLimitEventsPerS: 5_000, burstSeconds: 2, version: '1.2.3' }) as Json;
const schemas = doc.components.schemas as Record<string, Json>;

function collectRefs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => collectRefs(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else collectRefs(v, out);
    }
  }
  return out;
}

function resolve(ref: string): unknown {
  expect(ref.startsWith('#/')).toBe(true);
  return ref
    .slice(2)
    .split('/')
    .reduce<unknown>((node, part) => (node as Json | undefined)?.[part], doc);
}

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1 with the info, server and security a client needs', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: 'ShelfStream HTTP ingest', version: '1.2.3' });
    expect(doc.components.securitySchemes.terminalKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc); // plain JSON: nothing undefined, no functions
  });

  it('has every $ref resolve inside the document', () => {
    const refs = collectRefs(doc);
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of refs) expect([ref, resolve(ref) !== undefined]).toEqual([ref, true]);
  });

  it('documents every status the ingest route answers, each with a description and a body schema', () => {
    const post = doc.paths['/v1/stores/{store_id}/events'].post as Json;
    expect(Object.keys(post.responses).sort()).toEqual(['202', '400', '401', '403', '404', '413', '415', '429', '503']);
    for (const [status, response] of Object.entries(post.responses as Record<string, Json>)) {
      expect([status, typeof response.description]).toEqual([status, 'string']);
      expect(response.content['application/json'].schema.$ref).toMatch(/^#\/components\/schemas\/(Error|IngestAccepted)$/);
    }
    expect(Object.keys(post.responses['429'].headers)).toEqual(['Retry-After']);
    expect(Object.keys(post.responses['503'].headers)).toEqual(['Retry-After']);
    const operationIds = Object.values(doc.paths as Record<string, Record<string, Json>>).flatMap((p) => Object.values(p).map((op) => op.operationId));
    expect(new Set(operationIds).size).toBe(operationIds.length);
  });

  it('offers exactly the ingest topics, with the event schemas derived from the Avro contract', () => {
    const items = schemas.IngestRequest!.properties.events.items;
    expect(Object.keys(items.discriminator.mapping).sort()).toEqual([...INGEST_TOPICS, ...BACK_OFFICE_TOPICS].sort());
    expect(schemas.IngestRequest!.properties.events.maxItems).toBe(500);

    // Compared with the .avsc file itself, read independently of the converter.
    const avro = JSON.parse(readFileSync(join(SCHEMAS_DIR, 'sale_completed.avsc'), 'utf8')) as { fields: { name: string; default?: unknown }[] };
    const sale = schemas.SaleCompleted!;
    expect(Object.keys(sale.properties)).toEqual(avro.fields.map((f) => f.name));
    expect(sale.required).toEqual(avro.fields.filter((f) => f.default === undefined).map((f) => f.name));
    expect(sale.additionalProperties).toBe(false);
    expect(sale.properties.event_id.format).toBe('uuid');
    expect(schemas.PaymentMethod!.enum).toEqual([...PAYMENT_METHOD_VALUES]);
    expect(schemas.SaleLine!.properties.quantity).toMatchObject({ type: 'integer', minimum: -2_147_483_648, maximum: 2_147_483_647 });
    expect(schemas.SaleLine!.properties.promotion_id).toMatchObject({ anyOf: [{ type: 'string' }, { type: 'null' }], default: null });
  });

  it('shows an example request that the service accepts', () => {
    const post = doc.paths['/v1/stores/{store_id}/events'].post as Json;
    const example = post.requestBody.content['application/json'].example;
    const envelope = checkEnvelope(example, 500);
    expect(envelope.ok).toBe(true);
    if (!envelope.ok) return;
    const result = checkEvents(envelope.value, {
      principal: { keyId: '0123456789ab', storeId: 'S001', terminalId: 'T1', scope: 'terminal' },
      masterData: staticMasterData(['S001'], ['SKU-0001']),
      nowMs: example.events[0].event.occurred_at + 60_000,
    });
    expect(result).toMatchObject({ ok: true });
  });
});
