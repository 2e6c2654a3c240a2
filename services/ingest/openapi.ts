/**
 * The OpenAPI 3.1 description served at GET /openapi.json. The event schemas are derived from
 * the Avro contract (schemas/*.avsc, through the topic catalogue), so the document cannot
 * drift from what the service validates: field names, types, enums, defaults, required fields
 * and the docs of every field come from the .avsc files. Business rules that JSON Schema does
 * not express (totals, ranges, known SKUs) are described in prose and reported per field path.
 */
import { loadCatalog, type AvroSchema } from '../../schemas/catalog';
import { BACK_OFFICE_TOPICS, INGEST_TOPICS, type ErrorName } from './validate';

type JsonSchema = Record<string, unknown>;

export interface OpenApiOptions {
  readonly maxEventsPerRequest: number;
  readonly maxBodyBytes: number;
  readonly rateLimitEventsPerS: number;
  readonly burstSeconds: number;
  readonly version: string;
}

const ERROR_NAMES: readonly ErrorName[] = [
  'unauthorized',
  'forbidden_store',
  'forbidden_events',
  'invalid_json',
  'invalid_body',
  'invalid_events',
  'unknown_store',
  'body_too_large',
  'too_many_events',
  'unsupported_media_type',
  'rate_limited',
  'unavailable',
  'not_found',
  'internal_error',
];

const INT32 = { minimum: -2_147_483_648, maximum: 2_147_483_647 };

/**
 * Avro -> JSON Schema 2020-12 (the dialect of OpenAPI 3.1). Named types (records, enums) go to
 * `components.schemas` under their short name and are referenced, as Avro itself does.
 */
class AvroToJsonSchema {
  readonly components: Record<string, JsonSchema> = {};
  private readonly fullNames = new Map<string, string>();

  convert(avro: unknown, namespace: string | undefined, topLevel = false): JsonSchema {
    if (typeof avro === 'string') return this.primitive(avro) ?? this.ref(avro, namespace);
    if (Array.isArray(avro)) {
      const branches = avro.map((b) => this.convert(b, namespace));
      const nonNull = branches.filter((b) => b.type !== 'null');
      if (nonNull.length === 1 && branches.length === 2) return { anyOf: [nonNull[0], { type: 'null' }] };
      return { anyOf: branches };
    }
    const schema = avro as AvroSchema & { logicalType?: string; namespace?: string; symbols?: string[]; items?: unknown; fields?: AvroField[]; doc?: string };
    if (schema.logicalType === 'uuid') return { type: 'string', format: 'uuid' };
    if (schema.logicalType === 'timestamp-millis') return { type: 'integer', format: 'int64', description: 'Epoch milliseconds, UTC.' };
    if (schema.logicalType === 'date') return { type: 'integer', ...INT32, description: 'Days since 1970-01-01.' };
    const ns = schema.namespace ?? namespace;
    switch (schema.type) {
      case 'array':
        return { type: 'array', items: this.convert(schema.items, ns) };
      case 'enum':
        return this.define(schema.name!, ns, { type: 'string', enum: schema.symbols, ...(schema.doc ? { description: schema.doc } : {}) });
      case 'record': {
        const properties: Record<string, JsonSchema> = {};
        const required: string[] = [];
        for (const field of schema.fields ?? []) {
          const converted = this.convert(field.type, ns);
          properties[field.name] = {
            ...(converted.$ref ? { allOf: [converted] } : converted),
            ...(field.doc ? { description: [field.doc, converted.description].filter(Boolean).join(' ') } : {}),
            ...(field.default !== undefined ? { default: field.default } : {}),
          };
          if (field.default === undefined) required.push(field.name);
        }
        return this.define(schema.name!, ns, {
          type: 'object',
          ...(schema.doc ? { description: schema.doc } : {}),
          properties,
          required,
          // Unknown top-level fields are refused (a typo would otherwise vanish silently).
          ...(topLevel ? { additionalProperties: false } : {}),
        });
      }
      default:
        return this.primitive(schema.type) ?? this.ref(schema.type, ns);
    }
  }

  private primitive(name: string): JsonSchema | undefined {
    switch (name) {
      case 'null':
        return { type: 'null' };
      case 'boolean':
        return { type: 'boolean' };
      case 'int':
        return { type: 'integer', ...INT32 };
      case 'long':
        return { type: 'integer', format: 'int64' };
      case 'float':
      case 'double':
        return { type: 'number' };
      case 'string':
        return { type: 'string' };
      default:
        return undefined;
    }
  }

  private define(name: string, namespace: string | undefined, schema: JsonSchema): JsonSchema {
    const full = name.includes('.') || !namespace ? name : `${namespace}.${name}`;
    const short = full.split('.').pop()!;
    const owner = this.fullNames.get(short);
    if (owner !== undefined && owner !== full) throw new Error(`two Avro types share the short name ${short}: ${owner} and ${full}`);
    this.fullNames.set(short, full);
    this.components[short] = schema;
    return { $ref: `#/components/schemas/${short}` };
  }

  private ref(name: string, _namespace: string | undefined): JsonSchema {
    const short = name.split('.').pop()!;
    return { $ref: `#/components/schemas/${short}` };
  }
}

interface AvroField {
  readonly name: string;
  readonly type: unknown;
  readonly doc?: string;
  readonly default?: unknown;
}

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

function errorResponse(description: string, errors: readonly ErrorName[], headers?: Record<string, unknown>): JsonSchema {
  return {
    description: `${description} (\`error\`: ${errors.map((e) => `\`${e}\``).join(', ')})`,
    ...(headers ? { headers } : {}),
    content: { 'application/json': { schema: ref('Error') } },
  };
}

const RETRY_AFTER = { 'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 1 } } };

export function buildOpenApiDocument(options: OpenApiOptions): JsonSchema {
  const converter = new AvroToJsonSchema();
  const catalog = new Map(loadCatalog().map((t) => [t.name, t]));
  const envelopes: Record<string, string> = {};
  for (const topic of [...INGEST_TOPICS, ...BACK_OFFICE_TOPICS]) {
    const spec = catalog.get(topic);
    if (!spec?.schema) throw new Error(`topic ${topic} has no schema in the catalogue`);
    const eventRef = converter.convert(spec.schema, undefined, true);
    const name = `${spec.schema.name}Envelope`;
    envelopes[topic] = `#/components/schemas/${name}`;
    converter.components[name] = {
      type: 'object',
      description: `An event for topic ${topic}: ${spec.doc}`,
      properties: { type: { const: topic, description: 'The topic the event goes to.' }, event: eventRef },
      required: ['type', 'event'],
      additionalProperties: false,
    };
  }
  const burst = Math.floor(options.rateLimitEventsPerS * options.burstSeconds);

  return {
    openapi: '3.1.0',
    info: {
      title: 'ShelfStream HTTP ingest',
      version: options.version,
      description: [
        'Store terminals POST batches of POS and inventory events; each accepted event is in Kafka (idempotent producer, acks=all) before the 202 answer.',
        '',
        '- **Auth**: `Authorization: Bearer ssk_<keyId>_<secret>`, one key per terminal (`shelfstream ingest keys create --store S --terminal T`). The key fixes the store and terminal: the path and every event must name them. A back-office key (`shelfstream ingest keys create --back-office ERP`) belongs to a head-office system: it publishes master data (md.stores, md.products, md.exchange-rates) and pricing events (pricing.prices, pricing.promotions) for the store of the path, which need not exist yet for its own md.stores record.',
        '- **All or nothing**: a request is accepted whole or rejected whole; a rejection lists every problem with its field path (`events[3].event.lines[0].quantity`).',
        '- **Retries**: `event_id` (a UUID) is the idempotency key. Resend a request you got no answer for: events already in Kafka come back under `duplicates` and are not written twice. Downstream processors also deduplicate by event_id.',
        `- **Limits**: at most ${options.maxEventsPerRequest} events and ${options.maxBodyBytes} bytes per request; ${options.rateLimitEventsPerS} events/s per key sustained, bursts up to ${burst} events (429 with Retry-After beyond).`,
        '- **Contract**: the event schemas below are generated from the Avro schemas in the schema registry. Amounts are integer minor units (cents), times epoch milliseconds UTC. Business rules (totals add up, quantities 1-10,000, known SKUs, occurred_at not more than a day ahead) are checked too.',
      ].join('\n'),
    },
    servers: [{ url: '/', description: 'This ingest service.' }],
    security: [{ terminalKey: [] }],
    paths: {
      '/v1/stores/{store_id}/events': {
        post: {
          operationId: 'ingestEvents',
          summary: 'Publish a batch of events from one store terminal',
          parameters: [
            {
              name: 'store_id',
              in: 'path',
              required: true,
              description: "The store of the API key's terminal; it must exist in the store master data (md.stores).",
              schema: { type: 'string' },
            },
          ],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: ref('IngestRequest'),
                example: {
                  events: [
                    {
                      type: 'pos.sales',
                      event: {
                        event_id: '1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b',
                        occurred_at: 1_795_430_100_000,
                        store_id: 'S001',
                        terminal_id: 'T1',
                        transaction_id: 'TX-1001',
                        cashier_id: 'C7',
                        payment_method: 'CARD',
                        currency: 'EUR',
                        lines: [{ line_number: 1, sku: 'SKU-0001', quantity: 2, unit_price: 199, discount: 0, promotion_id: null }],
                        subtotal: 398,
                        discount_total: 0,
                        tax_total: 66,
                        total: 398,
                      },
                    },
                  ],
                },
              },
            },
          },
          responses: {
            '202': {
              description: 'Every event of the request is in Kafka: newly written (`accepted`) or written by an earlier request (`duplicates`).',
              content: { 'application/json': { schema: ref('IngestAccepted') } },
            },
            '400': errorResponse('The body is not JSON, not an `{"events": [...]}` object, or events break the contract; nothing was accepted', ['invalid_json', 'invalid_body', 'invalid_events']),
            '401': errorResponse('Missing, malformed, unknown or revoked API key', ['unauthorized'], {
              'WWW-Authenticate': { description: 'Bearer realm="shelfstream-ingest"', schema: { type: 'string' } },
            }),
            '403': errorResponse("The path's store, or an event's store_id or terminal_id, is not the API key's", ['forbidden_store', 'forbidden_events']),
            '404': errorResponse('The store is not in the store master data', ['unknown_store']),
            '413': errorResponse(`More than ${options.maxBodyBytes} bytes or more than ${options.maxEventsPerRequest} events (or more than the key's burst)`, ['body_too_large', 'too_many_events']),
            '415': errorResponse('Content-Type is not application/json', ['unsupported_media_type']),
            '429': errorResponse("Over the key's rate limit; nothing was accepted", ['rate_limited'], RETRY_AFTER),
            '503': errorResponse('Kafka is unreachable, master data is still loading, or the service is shutting down; retry the same request', ['unavailable'], RETRY_AFTER),
          },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'openApi',
          summary: 'This document',
          security: [],
          responses: { '200': { description: 'The OpenAPI description.', content: { 'application/json': { schema: { type: 'object' } } } } },
        },
      },
      '/healthz': {
        get: {
          operationId: 'healthz',
          summary: 'Liveness: the process answers',
          security: [],
          responses: { '200': { description: 'Alive.', content: { 'application/json': { schema: { type: 'object' } } } } },
        },
      },
      '/readyz': {
        get: {
          operationId: 'readyz',
          summary: 'Readiness: Kafka reachable, master data loaded, not shutting down',
          security: [],
          responses: {
            '200': { description: 'Ready.', content: { 'application/json': { schema: ref('Readiness') } } },
            '503': { description: 'Not ready; `checks` says which check failed.', content: { 'application/json': { schema: ref('Readiness') } } },
          },
        },
      },
      '/metrics': {
        get: {
          operationId: 'metrics',
          summary: 'Prometheus metrics',
          security: [],
          responses: { '200': { description: 'Prometheus text format.', content: { 'text/plain': { schema: { type: 'string' } } } } },
        },
      },
    },
    components: {
      securitySchemes: {
        terminalKey: { type: 'http', scheme: 'bearer', bearerFormat: 'ssk_<keyId>_<secret>', description: 'Per-terminal API key from `shelfstream ingest keys create`.' },
      },
      schemas: {
        IngestRequest: {
          type: 'object',
          properties: {
            events: {
              type: 'array',
              minItems: 1,
              maxItems: options.maxEventsPerRequest,
              items: {
                oneOf: Object.values(envelopes).map((r) => ({ $ref: r })),
                discriminator: { propertyName: 'type', mapping: envelopes },
              },
            },
          },
          required: ['events'],
          additionalProperties: false,
        },
        IngestAccepted: {
          type: 'object',
          properties: {
            accepted: { type: 'array', items: { type: 'string', format: 'uuid' }, description: 'event_ids written to Kafka by this request, in request order.' },
            duplicates: { type: 'array', items: { type: 'string', format: 'uuid' }, description: 'event_ids Kafka already had from an earlier request; not written again.' },
          },
          required: ['accepted', 'duplicates'],
        },
        Error: {
          type: 'object',
          properties: {
            error: { type: 'string', enum: [...ERROR_NAMES], description: 'Stable machine-readable reason.' },
            message: { type: 'string', description: 'What is wrong, for a person.' },
            issues: { type: 'array', items: ref('Issue'), description: 'Every offending field (400 and 403 on events).' },
            issue_count: { type: 'integer', description: `Present when more than the listed issues were found (at most 1000 are listed).` },
          },
          required: ['error', 'message'],
        },
        Issue: {
          type: 'object',
          properties: {
            path: { type: 'string', description: 'Field path in the request body, e.g. events[3].event.lines[0].quantity.' },
            reason: { type: 'string' },
          },
          required: ['path', 'reason'],
        },
        Readiness: {
          type: 'object',
          properties: {
            status: { type: 'string' },
            checks: {
              type: 'array',
              items: {
                type: 'object',
                properties: { name: { type: 'string' }, ok: { type: 'boolean' }, detail: { type: 'string' }, ms: { type: 'number' } },
                required: ['name', 'ok'],
              },
            },
          },
          required: ['status', 'checks'],
        },
        ...envelopesFirst(converter.components),
      },
    },
  };
}

/** Envelopes before the records they wrap, so the document reads top-down. */
function envelopesFirst(components: Record<string, JsonSchema>): Record<string, JsonSchema> {
  const entries = Object.entries(components);
  return Object.fromEntries([...entries.filter(([k]) => k.endsWith('Envelope')), ...entries.filter(([k]) => !k.endsWith('Envelope'))]);
}
