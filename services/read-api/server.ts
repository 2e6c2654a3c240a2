/**
 * The read API's routes (Fastify): what ShelfStream computed for a store, for that store's
 * systems. Every /v1/stores/{store_id}/... request goes through:
 *
 *   onRequest   API key (401), the key's store = the path's store unless back-office (403)
 *   handler     parameters (400, naming the parameter), store known (404), one query, 200
 *
 * Every refusal has one shape, `{ error, message, parameter? }`. The keys are the ingest keys
 * (services/ingest/api-keys.ts), verified the same way: a store system that publishes with a
 * terminal key reads its store back with it, a head-office system's back-office key reads every
 * store, and revoking a key closes both doors at once. The server owns no I/O: the verifier and
 * the queries are handed in.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from '../../lib/logger';
import { createStaleWhileRevalidate } from '../../lib/stale-while-revalidate';
import type { ApiKeyVerifier } from '../ingest/api-keys';
import { describeInsights } from './insights';
import { encodeCursor, parseCursor, parseDateRange, parseEnum, parseId, parseLimit, parseProbability, type CursorKey, type Parsed, type RawParam } from './params';
import type { AlertState, Page, ReadQueries } from './queries';

export const READ_ROUTES = {
  forecasts: '/v1/stores/:store_id/forecasts',
  reorderAdvice: '/v1/stores/:store_id/reorder-advice',
  atRisk: '/v1/stores/:store_id/at-risk',
  alerts: '/v1/stores/:store_id/alerts',
  insights: '/v1/stores/:store_id/insights',
} as const;

export const READ_API_DEFAULTS = {
  topMovers: 5, // top movers among the insights
} as const;

export interface ReadApiError {
  readonly status: 400 | 401 | 403 | 404 | 500;
  readonly error: 'invalid_parameter' | 'unauthorized' | 'forbidden_store' | 'unknown_store' | 'not_found' | 'internal_error';
  readonly message: string;
  readonly parameter?: string;
}

class Refusal extends Error {
  constructor(
    readonly refusal: ReadApiError,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(refusal.message);
  }
}

function send(reply: FastifyReply, r: ReadApiError, headers: Readonly<Record<string, string>> = {}): FastifyReply {
  for (const [name, value] of Object.entries(headers)) reply.header(name, value);
  return reply.code(r.status).send({ error: r.error, message: r.message, ...(r.parameter !== undefined ? { parameter: r.parameter } : {}) });
}

/** The value of a parsed parameter, or a 400 thrown to the error handler. */
function take<T>(parsed: Parsed<T>): T {
  if (!parsed.ok) throw new Refusal({ status: 400, error: 'invalid_parameter', message: parsed.problem.message, parameter: parsed.problem.parameter });
  return parsed.value;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const RESPONSE_CACHE_ENTRIES = 10_000; // distinct requests kept at once: every store's few lists and pages

export interface ReadApiServerOptions {
  readonly maxPageSize: number;
  /** How long an answer is shared by identical requests (lib/stale-while-revalidate.ts); 0: never. */
  readonly cacheMs: number;
  readonly openApi: object;
}

type StoreRequest = FastifyRequest<{ Params: { store_id: string }; Querystring: Record<string, RawParam> }>;

/** Query parameters each route knows; any other is a 400, so a misspelt filter is not silently ignored. */
const KNOWN: Record<keyof typeof READ_ROUTES, readonly string[]> = {
  forecasts: ['sku', 'from', 'to', 'limit', 'cursor'],
  reorderAdvice: ['sku', 'limit', 'cursor'],
  atRisk: ['min_risk', 'limit', 'cursor'],
  alerts: ['state', 'limit', 'cursor'],
  insights: [],
};

/**
 * @param deps.refreshQueries the queries that refresh a cached answer in the background (a lower
 *   lane on the embedded engine); default: `queries`.
 */
export function buildReadApiServer(deps: { keys: ApiKeyVerifier; queries: ReadQueries; refreshQueries?: ReadQueries; logger: Logger }, options: ReadApiServerOptions): FastifyInstance {
  const { queries } = deps;
  const queriesFor = (background: boolean): ReadQueries => (background ? (deps.refreshQueries ?? queries) : queries);
  /**
   * Store systems poll the same few lists (a store's at-risk page every few seconds from each till
   * and back-office PC): within `cacheMs` an identical request (same route, store and parameters)
   * gets the same answer, and past it the previous answer while one refresh runs (no request waits
   * on it, which is what kept p99 at ~70 ms when expired entries made requests wait). The rows come
   * from tables the processors rewrite every flush (STREAM_FLUSH_INTERVAL_MS, 500 ms by default),
   * so a second is as fresh as a poll can tell.
   *
   * The cache keeps each answer as its JSON text, so a hit is a string write: kept as an object,
   * Fastify serialized the same rows again on every request: 165-254 us a hit instead of 342-665
   * for a 50-row at-risk page (bench/benchmarks/web.ts `hit_*`, three runs of 2026-12-06).
   * The text is kept as its UTF-8 bytes: sent as a string, Node's HTTP layer joined the headers
   * and the 12 KB answer into one string and flattened it on the worker's heap for every request,
   * half of all the thread allocated (bench read-api-alloc), and the thread's p99 is its GC.
   */
  const cache = createStaleWhileRevalidate({ ttlMs: options.cacheMs, maxEntries: RESPONSE_CACHE_ENTRIES });
  /** The key of an answer: route, store and the parsed parameters (so `?a=1&b=2` and `?b=2&a=1` share). */
  const keyOf = (route: string, store: string, params: object): string => JSON.stringify([route, store, params]);
  /** The answer under `key`, as JSON text in UTF-8: from the cache, or computed (and kept) by `compute`. */
  const answer = (reply: FastifyReply, key: string, compute: (background: boolean) => Promise<object>): Promise<FastifyReply> =>
    cache.get(key, async (background) => Buffer.from(JSON.stringify(await compute(background)))).then((body) => reply.type(JSON_TYPE).send(body));
  const openApiBody = Buffer.from(JSON.stringify(options.openApi));
  const app = Fastify({
    loggerInstance: deps.logger.child({ component: 'read-api' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: 'idle',
    keepAliveTimeout: 75_000,
  });

  app.setErrorHandler((error: FastifyError | Refusal, request, reply) => {
    if (error instanceof Refusal) return send(reply, error.refusal, error.headers);
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return send(reply, { status: 400, error: 'invalid_parameter', message: error.message });
    // Logged here, once: the client gets no internals.
    request.log.error({ err: error, url: request.url }, 'read API request failed');
    return send(reply, { status: 500, error: 'internal_error', message: 'internal error; retry later' });
  });
  app.setNotFoundHandler((request, reply) =>
    send(reply, { status: 404, error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}; the API is described at /openapi.json` }),
  );

  // How much of a request's time was the server's, from its first byte read to its answer: a
  // store system (and the web bench) can tell a slow server from a slow network or a slow client.
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('server-timing', `app;dur=${reply.elapsedTime.toFixed(2)}`);
    done(null, payload);
  });

  app.get('/openapi.json', (_request, reply) => reply.type('application/json').send(openApiBody));
  app.get('/healthz', async () => ({ status: 'ok' }));

  /** Key, scope, parameters known, store id well formed and known: the store id to read. */
  async function admit(request: StoreRequest, route: keyof typeof READ_ROUTES): Promise<string> {
    const verified = deps.keys.verify(request.headers.authorization);
    if (!verified.ok) throw new Refusal({ status: 401, error: 'unauthorized', message: verified.reason }, { 'www-authenticate': 'Bearer realm="shelfstream-read"' });
    const store = request.params.store_id;
    const { principal } = verified;
    if (principal.scope === 'terminal' && principal.storeId !== store) {
      throw new Refusal({ status: 403, error: 'forbidden_store', message: `this API key reads store ${principal.storeId} only, not store ${store}` });
    }
    const unknown = Object.keys(request.query).filter((p) => !KNOWN[route].includes(p));
    if (unknown.length > 0) {
      const known = KNOWN[route].length > 0 ? `it takes ${KNOWN[route].join(', ')}` : 'it takes none';
      throw new Refusal({ status: 400, error: 'invalid_parameter', parameter: unknown[0]!, message: `unknown parameter ${unknown[0]} for ${READ_ROUTES[route]}: ${known}` });
    }
    take(parseId('store_id', store));
    if (!(await queries.storeKnown(store))) throw new Refusal({ status: 404, error: 'unknown_store', message: `no store ${store} in the store master data` });
    return store;
  }

  const listBody = <T>(store: string, route: string, result: Page<T>): object => ({
    store_id: store,
    items: result.rows,
    next_cursor: result.nextKey === undefined ? null : encodeCursor(route, result.nextKey),
  });
  const pageOf = (request: StoreRequest, route: string, shape: readonly ('string' | 'number')[]): { limit: number; after: CursorKey | undefined } => ({
    limit: take(parseLimit(request.query.limit, options.maxPageSize)),
    after: take(parseCursor(request.query.cursor, route, shape)),
  });

  app.get(READ_ROUTES.forecasts, async (request: StoreRequest, reply) => {
    const store = await admit(request, 'forecasts');
    const sku = take(parseId('sku', request.query.sku));
    const range = take(parseDateRange(request.query.from, request.query.to));
    const { limit, after } = pageOf(request, 'forecasts', ['string', 'string']);
    const filter = { ...range, ...(sku !== undefined ? { sku } : {}) };
    return answer(reply, keyOf('forecasts', store, [filter, limit, after]), async (background) => listBody(store, 'forecasts', await queriesFor(background).forecasts(store, filter, limit, after)));
  });

  app.get(READ_ROUTES.reorderAdvice, async (request: StoreRequest, reply) => {
    const store = await admit(request, 'reorderAdvice');
    const sku = take(parseId('sku', request.query.sku));
    const { limit, after } = pageOf(request, 'reorder-advice', ['string']);
    const filter = sku !== undefined ? { sku } : {};
    return answer(reply, keyOf('reorder-advice', store, [filter, limit, after]), async (background) => listBody(store, 'reorder-advice', await queriesFor(background).reorderAdvice(store, filter, limit, after)));
  });

  app.get(READ_ROUTES.atRisk, async (request: StoreRequest, reply) => {
    const store = await admit(request, 'atRisk');
    const minRisk = take(parseProbability('min_risk', request.query.min_risk, 0));
    const { limit, after } = pageOf(request, 'at-risk', ['string', 'string']);
    return answer(reply, keyOf('at-risk', store, [minRisk, limit, after]), async (background) => listBody(store, 'at-risk', await queriesFor(background).atRisk(store, { minRisk }, limit, after)));
  });

  app.get(READ_ROUTES.alerts, async (request: StoreRequest, reply) => {
    const store = await admit(request, 'alerts');
    const state = take(parseEnum<AlertState>('state', request.query.state, ['open', 'resolved', 'all'], 'open'));
    const { limit, after } = pageOf(request, 'alerts', ['string', 'string']);
    return answer(reply, keyOf('alerts', store, [state, limit, after]), async (background) => listBody(store, 'alerts', await queriesFor(background).alerts(store, { state }, limit, after)));
  });

  app.get(READ_ROUTES.insights, async (request: StoreRequest, reply) => {
    const store = await admit(request, 'insights');
    return answer(reply, keyOf('insights', store, []), async (background) => {
      const figures = await queriesFor(background).insightFigures(store, READ_API_DEFAULTS.topMovers);
      return { store_id: store, as_of: figures.asOf, items: describeInsights(figures) };
    });
  });

  return app;
}
