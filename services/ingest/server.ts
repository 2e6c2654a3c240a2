/**
 * The HTTP routes (Fastify). One request to POST /v1/stores/:store_id/events goes through:
 *
 *   onRequest     API key (401), key's store = path's store (403)       no body read yet
 *   body parser   Content-Type (415), size (413), JSON (400)
 *   handler       envelope (400, 413), master data loaded (503), store known (404),
 *                 rate limit (429), every event (400 / 403), Kafka reachable (503),
 *                 dedup, then one coalesced produce; 202 once Kafka acknowledged
 *
 * Every refusal has the same body, `{ error, message, issues? }` (see validate.ts), and none
 * lets any of the request's events reach Kafka. The server owns no I/O of its own: the key
 * verifier, master data, limiter, deduplicator and batcher are handed in, so the routes are
 * unit-tested with in-memory stand-ins (server.test.ts).
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { describeError, isShelfStreamError } from '../../lib/errors';
import { runChecks, type ReadinessCheck } from '../../lib/health';
import type { Logger } from '../../lib/logger';
import type { ApiKeyVerifier, Principal } from './api-keys';
import type { ProduceBatcher } from './batcher';
import type { Deduplicator } from './dedup';
import type { MasterDataView } from './master-data';
import type { IngestMetrics } from './metrics';
import type { RateLimiter } from './rate-limit';
import { checkEnvelope, checkEvents, checkStore, type PublishableTopic, type Rejection } from './validate';

export const INGEST_ROUTE = '/v1/stores/:store_id/events';
const READINESS_TIMEOUT_MS = 2_000; // a check (e.g. the Kafka probe) slower than this fails readiness

export interface IngestServerDeps {
  readonly keys: ApiKeyVerifier;
  readonly masterData: MasterDataView;
  readonly rateLimiter: RateLimiter;
  readonly dedup: Deduplicator;
  readonly batcher: ProduceBatcher;
  readonly metrics: IngestMetrics;
  readonly registry: Registry;
  readonly readiness: readonly ReadinessCheck[];
  readonly logger: Logger;
}

export interface IngestServerOptions {
  readonly maxBodyBytes: number;
  readonly maxEventsPerRequest: number;
  /** Milliseconds a request waits for Kafka's acknowledgement before it answers 503. */
  readonly ackTimeoutMs: number;
  /** Seconds a client is told to wait when the service is unavailable. */
  readonly unavailableRetryAfterS: number;
  /** The physical topic of an ingest topic (identity, or prefixed for benchmarks). */
  readonly topicFor: (topic: PublishableTopic) => string;
  /** The OpenAPI document, served as is. */
  readonly openApi: object;
  /** Event time checks ("not more than a day in the future") read this clock. */
  readonly now?: () => number;
}

export interface IngestServer {
  readonly app: FastifyInstance;
  /** Refuse new ingest requests (503) and fail readiness; requests already running finish. */
  drain(): void;
}

/** A refusal carried as an exception from the parser or hooks to the error handler. */
class Refusal extends Error {
  constructor(
    readonly rejection: Rejection,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(rejection.message);
  }
}

function sendRejection(reply: FastifyReply, r: Rejection, headers: Readonly<Record<string, string>> = {}): FastifyReply {
  for (const [name, value] of Object.entries(headers)) reply.header(name, value);
  return reply.code(r.status).send({
    error: r.error,
    message: r.message,
    ...(r.issues ? { issues: r.issues } : {}),
    ...(r.issueCount !== undefined ? { issue_count: r.issueCount } : {}),
  });
}

/** How many events a body carries, when it has an `events` array (for the rejected-events metric). */
function eventCount(body: unknown): number {
  const events = (body as { events?: unknown } | null | undefined)?.events;
  return Array.isArray(events) ? events.length : 0;
}

const retryAfter = (ms: number): Record<string, string> => ({ 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))) });

export function buildIngestServer(deps: IngestServerDeps, options: IngestServerOptions): IngestServer {
  const { metrics, logger } = deps;
  const now = options.now ?? Date.now;
  const principals = new WeakMap<FastifyRequest, Principal>();
  const openApiText = JSON.stringify(options.openApi);
  let draining = false;

  const app = Fastify({
    loggerInstance: logger.child({ component: 'http' }) as FastifyBaseLogger,
    // One log line per request would cost more than the work at 20k events/s; errors are logged where handled.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.maxBodyBytes,
    // While closing, our own drain check answers (503 in the API's error format, with
    // Retry-After) rather than Fastify's generic 503.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // Terminals keep connections open between batches; longer than a typical load balancer's 60 s.
    keepAliveTimeout: 75_000,
    requestTimeout: options.ackTimeoutMs + 30_000,
  });

  // Our own JSON parser: the default one answers a bare "Unexpected token" without saying it
  // is the body's JSON, and a string parser lets us name the position of the problem.
  // Prototype poisoning is harmless here: bodies are only read field by field, never merged.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      done(new Refusal({ status: 400, error: 'invalid_json', message: `the body is not valid JSON: ${message}` }), undefined);
    }
  });

  app.addHook('onResponse', async (_request, reply) => {
    metrics.requests.inc({ status: String(reply.statusCode) });
  });

  app.setErrorHandler((error: FastifyError | Refusal, request, reply) => {
    if (error instanceof Refusal) return sendRejection(reply, error.rejection, error.headers);
    switch (error.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return sendRejection(reply, { status: 413, error: 'body_too_large', message: `the body is larger than ${options.maxBodyBytes} bytes: split the batch` });
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': {
        const type = request.headers['content-type'];
        return sendRejection(reply, {
          status: 415,
          error: 'unsupported_media_type',
          message: `${type === undefined ? 'no Content-Type' : `Content-Type ${JSON.stringify(type)}`}: send the events as application/json`,
        });
      }
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return sendRejection(reply, { status: 400, error: 'invalid_body', message: 'the body does not match its Content-Length' });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return sendRejection(reply, { status: status as Rejection['status'], error: 'invalid_body', message: error.message });
    }
    request.log.error({ err: error, url: request.url }, 'ingest request failed');
    return sendRejection(reply, { status: 500, error: 'internal_error', message: 'internal error; the events were not accepted, retry later' });
  });

  app.setNotFoundHandler((request, reply) =>
    sendRejection(reply, { status: 404, error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}; the API is described at /openapi.json` }),
  );

  app.get('/openapi.json', (_request, reply) => reply.type('application/json').send(openApiText));
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    if (draining) return reply.code(503).send({ status: 'draining', checks: [] });
    const checks = await runChecks(deps.readiness, READINESS_TIMEOUT_MS);
    const ok = checks.every((c) => c.ok);
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not ready', checks });
  });
  app.get('/metrics', async (_request, reply) => reply.type(deps.registry.contentType).send(await deps.registry.metrics()));

  app.post<{ Params: { store_id: string } }>(INGEST_ROUTE, {
    onRequest: async (request) => {
      if (draining) {
        throw new Refusal({ status: 503, error: 'unavailable', message: 'this ingest instance is shutting down; retry (another instance will answer)' }, { ...retryAfter(1000), connection: 'close' });
      }
      const verified = deps.keys.verify(request.headers.authorization);
      if (!verified.ok) {
        throw new Refusal({ status: 401, error: 'unauthorized', message: verified.reason }, { 'www-authenticate': 'Bearer realm="shelfstream-ingest"' });
      }
      const { principal } = verified;
      // A back-office key publishes for any store: the events must name the path's store.
      if (principal.scope === 'terminal' && principal.storeId !== request.params.store_id) {
        throw new Refusal({
          status: 403,
          error: 'forbidden_store',
          message: `this API key belongs to store ${principal.storeId} (terminal ${principal.terminalId}), not to store ${request.params.store_id}`,
        });
      }
      principals.set(request, principal);
    },
    handler: async (request, reply) => {
      const started = performance.now();
      const admitted = admit(request, reply);
      if (!('waits' in admitted)) return admitted;
      // The parsed events are encoded and queued; nothing below reads them. Letting the body go
      // lets its objects die young instead of being copied by the scavenges that run while the
      // request waits for Kafka (see encodeOnSubmit in batcher.ts).
      request.body = undefined;

      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.all(admitted.waits),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no acknowledgement from Kafka within ${options.ackTimeoutMs} ms`)), options.ackTimeoutMs);
          }),
        ]);
      } catch (error) {
        request.log.warn({ err: describeError(error), store_id: admitted.storeId, events: admitted.eventCount }, 'events not acknowledged by Kafka; answering 503');
        const reason = isShelfStreamError(error) ? error.message : describeError(error);
        metrics.eventsRejected.inc({ reason: 'unavailable' }, admitted.eventCount);
        return sendRejection(
          reply,
          { status: 503, error: 'unavailable', message: `Kafka did not acknowledge the events; retry the same request (already written events are not duplicated): ${reason}` },
          retryAfter(options.unavailableRetryAfterS * 1000),
        );
      } finally {
        clearTimeout(timer);
      }

      metrics.ackLatency.observe((performance.now() - started) / 1000);
      for (const [topic, n] of admitted.perTopic) metrics.eventsAccepted.inc({ topic }, n);
      if (admitted.duplicates.length > 0) metrics.eventsDuplicate.inc(admitted.duplicates.length);
      return reply.code(202).send({ accepted: admitted.accepted, duplicates: admitted.duplicates });
    },
  });

  /** What a request that passed every check keeps while it waits for Kafka: ids and counts, not events. */
  interface Admitted {
    readonly storeId: string;
    readonly eventCount: number;
    readonly accepted: readonly string[];
    readonly duplicates: readonly string[];
    readonly perTopic: ReadonlyMap<string, number>;
    readonly waits: readonly Promise<unknown>[];
  }

  /**
   * Every check, then dedup and enqueue, synchronously: a refusal answers here; otherwise the
   * request's events are queued for Kafka and only their ids and counts leave this function
   * (its locals, the parsed events among them, are garbage once it returns).
   */
  function admit(request: FastifyRequest<{ Params: { store_id: string } }>, reply: FastifyReply): FastifyReply | Admitted {
    const principal = principals.get(request)!;
    const refuse = (r: Rejection, events: number, headers?: Record<string, string>): FastifyReply => {
      if (events > 0) metrics.eventsRejected.inc({ reason: r.error }, events);
      return sendRejection(reply, r, headers);
    };

    if (request.body === undefined && request.headers['content-type'] === undefined) {
      return refuse({ status: 415, error: 'unsupported_media_type', message: 'no Content-Type and no body: send the events as application/json' }, 0);
    }
    const envelope = checkEnvelope(request.body, options.maxEventsPerRequest);
    if (!envelope.ok) return refuse(envelope.rejection, eventCount(request.body));
    const items = envelope.value;

    if (!deps.masterData.loaded) {
      return refuse({ status: 503, error: 'unavailable', message: 'store and product master data are still loading; retry shortly' }, items.length, retryAfter(options.unavailableRetryAfterS * 1000));
    }
    // A back-office request may publish the very store it names; its pricing events are
    // checked against the store master data event by event (checkEvents).
    const unknownStore = principal.scope === 'terminal' ? checkStore(principal.storeId, deps.masterData) : undefined;
    if (unknownStore) return refuse(unknownStore, items.length);

    const allowed = deps.rateLimiter.take(principal.keyId, items.length);
    if (!allowed.ok) {
      if (allowed.exceedsCapacity) {
        return refuse(
          { status: 413, error: 'too_many_events', message: `${items.length} events exceed this key's burst of ${allowed.capacity} events: split the batch` },
          items.length,
        );
      }
      return refuse(
        { status: 429, error: 'rate_limited', message: `over this API key's rate limit (${deps.rateLimiter.capacity} events per burst); retry after the Retry-After seconds` },
        items.length,
        retryAfter(allowed.retryAfterMs),
      );
    }

    const checked = checkEvents(items, { principal, pathStoreId: request.params.store_id, masterData: deps.masterData, nowMs: now() });
    if (!checked.ok) return refuse(checked.rejection, items.length);
    const events = checked.value;

    const availability = deps.batcher.availability();
    if (!availability.ok) {
      return refuse({ status: 503, error: 'unavailable', message: `Kafka is unreachable; retry the same request later (${availability.reason})` }, events.length, retryAfter(availability.retryAfterMs));
    }

    // Dedup and enqueue in the same tick, so no other request can claim these ids in between.
    const ids = events.map((e) => e.eventId);
    const plan = deps.dedup.classify(ids);
    const waits = plan.waitFor;
    const perTopic = new Map<string, number>();
    if (plan.fresh.length > 0) {
      const produced = deps.batcher.submit(plan.fresh.map((i) => ({ topic: options.topicFor(events[i]!.topic), event: events[i]!.event })));
      deps.dedup.track(
        plan.fresh.map((i) => ids[i]!),
        produced,
      );
      waits.push(produced);
      for (const i of plan.fresh) perTopic.set(events[i]!.topic, (perTopic.get(events[i]!.topic) ?? 0) + 1);
    }
    metrics.pendingEvents.set(deps.batcher.pendingEvents);
    return {
      storeId: principal.storeId,
      eventCount: events.length,
      accepted: plan.fresh.map((i) => ids[i]!),
      duplicates: plan.duplicates.concat(plan.pending).sort((a, b) => a - b).map((i) => ids[i]!),
      perTopic,
      waits,
    };
  }

  return {
    app,
    drain: () => {
      draining = true;
    },
  };
}
