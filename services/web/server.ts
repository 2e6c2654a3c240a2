/**
 * The web app's routes (Fastify): the sign-in, the four dashboard pages, their data as JSON and
 * CSV, and the live feed (server-sent events). Pages are static files (./public) that fetch
 * their data; charts are drawn in the browser with uPlot, served from node_modules.
 *
 *   /login, POST /api/login, POST /api/logout       sign-in (./sign-in.ts)
 *   /<dashboard>                                     a page (the same shell for the four)
 *   /api/me                                          who is signed in, the CSRF token, the dashboards
 *   /api/dashboards/<name>?filters                   every panel's rows, the resolved filters, the filter choices
 *   /api/dashboards/<name>/panels/<id>.csv?filters   one panel's rows as CSV
 *   /api/live                                        an event each time new data becomes visible to the user
 *   POST /api/alerts/<alert_id>/acknowledge|snooze   a store manager's action on an alert (./alert-actions.ts)
 *
 * Every /api route but the sign-in needs a session (401 otherwise); every query runs as the
 * signed-in BI user (./bi-reader.ts), so scopes apply to pages, CSVs and the live feed alike.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { EngineLanes } from '../../lib/engine-lanes';
import type { Logger } from '../../lib/logger';
import { createStaleWhileRevalidate } from '../../lib/stale-while-revalidate';
import { REPO_ROOT } from '../../lib/paths';
import { SqlEndpointError } from '../sql/contract';
import { actOnAlert, AlertActionError, parseAlertAction, type AlertActionPublisher } from './alert-actions';
import { prioritizedReader, type BiReader } from './bi-reader';
import { liveFingerprint, resolveFilters, runDashboard, runPanel, type DashboardData } from './dashboard-data';
import { DASHBOARDS, dashboardNamed } from './dashboards';
import { FilterError } from './filters';
import { toCsv } from './panels';
import { clearedSessionCookie, cookieValue, CSRF_HEADER, csrfTokenMatches, sameOrigin, SESSION_COOKIE, sessionCookie, type SessionStore, type WebSession } from './sign-in';

export interface WebServerOptions {
  readonly reader: BiReader;
  readonly sessions: SessionStore;
  readonly logger: Logger;
  readonly sessionTtlS: number;
  readonly liveIntervalMs: number;
  /** Where acknowledgements and snoozes go (the alerts topic); without one, the buttons answer 503. */
  readonly alertActions?: AlertActionPublisher;
  /** How long a dashboard answer is shared while its data is unchanged (lib/stale-while-revalidate.ts); 0: never. */
  readonly cacheTtlMs: number;
  /** REPORTING_CURRENCY: what the money columns of the pages are in (the bi_* views convert to it). */
  readonly reportingCurrency: string;
  /**
   * The embedded engine's lanes (lib/engine-lanes.ts): the pages' queries then run one at a time
   * behind the read API's, a cache refresh behind a person's page. Without them (a ClickHouse
   * server, which runs queries in parallel) the queries go straight to the reader.
   */
  readonly lanes?: EngineLanes;
}

/** Distinct (user, dashboard, filters) answers kept at once: a few hundred users' pages. */
const PAGE_CACHE_ENTRIES = 1_000;

const PUBLIC_DIR = join(REPO_ROOT, 'services', 'web', 'public');
/** Files the pages load, by URL: the app's own, and uPlot's build from node_modules (no CDN: the machine may be offline). */
const STATIC_FILES: Readonly<Record<string, { readonly path: string; readonly type: string }>> = {
  '/static/app.js': { path: join(PUBLIC_DIR, 'app.js'), type: 'text/javascript; charset=utf-8' },
  '/static/app.css': { path: join(PUBLIC_DIR, 'app.css'), type: 'text/css; charset=utf-8' },
  '/static/uPlot.iife.min.js': { path: join(REPO_ROOT, 'node_modules', 'uplot', 'dist', 'uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  '/static/uPlot.min.css': { path: join(REPO_ROOT, 'node_modules', 'uplot', 'dist', 'uPlot.min.css'), type: 'text/css; charset=utf-8' },
};
const PAGE_FILE = join(PUBLIC_DIR, 'dashboard.html');
const LOGIN_FILE = join(PUBLIC_DIR, 'login.html');
/** No inline script or style, nothing from elsewhere: a page can only run the app's own files. */
const CSP = "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

type Query = Record<string, unknown>;

interface ApiError {
  readonly status: 400 | 401 | 403 | 404 | 409 | 500 | 503;
  readonly error: string;
  readonly message: string;
  readonly parameter?: string;
}

class Refusal extends Error {
  constructor(readonly refusal: ApiError) {
    super(refusal.message);
  }
}

export function buildWebServer(options: WebServerOptions): FastifyInstance {
  const { sessions } = options;
  /** The reader for a person waiting (`reader`), and for a refresh nobody waits on. */
  const reader = options.lanes ? prioritizedReader(options.reader, options.lanes, 'page') : options.reader;
  const refreshReader = options.lanes ? prioritizedReader(options.reader, options.lanes, 'refresh') : options.reader;
  /**
   * Each user's latest data version (the live fingerprint) and when it was read. The live feed
   * writes it before it sends `changed`, so the reload that follows finds that version or a newer
   * one; a page load reuses one younger than the cache's time to live instead of asking the
   * engine, where embedded ClickHouse would queue the count behind whatever heavy query runs.
   * A version read a while ago can only make a load miss newer data, which the live feed then
   * announces (the page reloads), never serve data older than the page was told about.
   */
  const versions = new Map<string, { readonly fingerprint: string; readonly at: number }>();
  // Dated by when the read started: a slower, older read finishing last does not replace a newer one.
  const rememberVersion = (user: string, fingerprint: string, readAt: number): void => {
    if ((versions.get(user)?.at ?? -1) <= readAt) versions.set(user, { fingerprint, at: readAt });
  };
  async function dataVersion(who: WebSession['credentials']): Promise<string> {
    const known = versions.get(who.user);
    if (known && Date.now() - known.at < options.cacheTtlMs) return known.fingerprint;
    const readAt = Date.now();
    const fingerprint = await liveFingerprint(reader, who);
    rememberVersion(who.user, fingerprint, readAt);
    return fingerprint;
  }
  const pages = createStaleWhileRevalidate({
    ttlMs: options.cacheTtlMs,
    maxEntries: PAGE_CACHE_ENTRIES,
    keep: (page) => (page as DashboardData).panels.every((p) => p.error === undefined),
  });
  const files = new Map<string, Promise<Buffer>>();
  const fileBytes = (path: string): Promise<Buffer> => {
    let bytes = files.get(path);
    if (!bytes) {
      bytes = readFile(path);
      files.set(path, bytes);
      bytes.catch(() => files.delete(path));
    }
    return bytes;
  };
  const app = Fastify({
    loggerInstance: options.logger.child({ component: 'web' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: true,
  });

  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('Content-Security-Policy', CSP);
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'same-origin');
    return payload;
  });

  app.setErrorHandler((error: Error, request, reply) => {
    if (error instanceof Refusal) return sendError(reply, error.refusal);
    if (error instanceof AlertActionError) return sendError(reply, { status: error.status, error: error.error, message: error.message, ...(error.parameter !== undefined ? { parameter: error.parameter } : {}) });
    if (error instanceof FilterError) return sendError(reply, { status: 400, error: 'invalid_filter', message: error.message, parameter: error.parameter });
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) return sendError(reply, { status: 400, error: 'bad_request', message: error.message });
    // Logged here, once; the page gets no internals.
    request.log.error({ err: error, url: request.url, user: sessionOf(request)?.credentials.user }, 'web request failed');
    return sendError(reply, { status: 500, error: 'internal_error', message: 'the dashboard could not be read; retry in a moment' });
  });

  function sendError(reply: FastifyReply, e: ApiError): FastifyReply {
    return reply.code(e.status).send({ error: e.error, message: e.message, ...(e.parameter !== undefined ? { parameter: e.parameter } : {}) });
  }

  function sessionOf(request: FastifyRequest): WebSession | undefined {
    return sessions.find(cookieValue(request.headers.cookie, SESSION_COOKIE));
  }

  function requireSession(request: FastifyRequest): WebSession {
    const session = sessionOf(request);
    if (!session) throw new Refusal({ status: 401, error: 'signed_out', message: 'sign in first' });
    return session;
  }

  /** A POST that changes something: a session, its CSRF token, and the app's own origin. */
  function requireWriter(request: FastifyRequest): WebSession {
    const session = requireSession(request);
    const token = request.headers[CSRF_HEADER];
    if (!csrfTokenMatches(session, typeof token === 'string' ? token : undefined) || !sameOrigin(request.headers)) {
      throw new Refusal({ status: 403, error: 'csrf', message: 'this request did not come from a ShelfStream page (missing or wrong CSRF token, or another origin)' });
    }
    return session;
  }

  function dashboardOf(name: string): NonNullable<ReturnType<typeof dashboardNamed>> {
    const definition = dashboardNamed(name);
    if (!definition) throw new Refusal({ status: 404, error: 'unknown_dashboard', message: `no dashboard ${JSON.stringify(name)}; there are ${DASHBOARDS.map((d) => d.name).join(', ')}` });
    return definition;
  }

  for (const [url, file] of Object.entries(STATIC_FILES)) {
    app.get(url, async (_request, reply) => reply.type(file.type).header('Cache-Control', 'no-cache').send(await fileBytes(file.path)));
  }

  // Browsers ask for it on every page; the app has none.
  app.get('/favicon.ico', async (_request, reply) => reply.code(204).send());
  app.get('/', async (request, reply) => reply.redirect(sessionOf(request) ? `/${DASHBOARDS[0]!.name}` : '/login'));
  app.get('/login', async (_request, reply) => reply.type('text/html; charset=utf-8').send(await fileBytes(LOGIN_FILE)));
  app.get<{ Params: { dashboard: string } }>('/:dashboard', async (request, reply) => {
    dashboardOf(request.params.dashboard);
    if (!sessionOf(request)) return reply.redirect(`/login?next=${encodeURIComponent(request.url)}`);
    return reply.type('text/html; charset=utf-8').send(await fileBytes(PAGE_FILE));
  });

  app.post<{ Body: { user?: unknown; password?: unknown } }>('/api/login', async (request, reply) => {
    if (!sameOrigin(request.headers)) throw new Refusal({ status: 403, error: 'csrf', message: 'sign in from a ShelfStream page' });
    const { user, password } = request.body ?? {};
    if (typeof user !== 'string' || user === '' || typeof password !== 'string') throw new Refusal({ status: 400, error: 'bad_request', message: 'send {"user": "...", "password": "..."}' });
    try {
      await reader.verify({ user, password });
    } catch (error) {
      if (error instanceof SqlEndpointError && (error.httpStatus === 401 || error.httpStatus === 403)) {
        throw new Refusal({ status: 401, error: 'sign_in_failed', message: 'wrong user name or password' });
      }
      throw error;
    }
    const session = sessions.create({ user, password });
    request.log.info({ user }, 'signed in to the web app');
    return reply.header('Set-Cookie', sessionCookie(session.id, options.sessionTtlS)).send({ user, csrf_token: session.csrfToken });
  });

  app.post('/api/logout', async (request, reply) => {
    const session = requireWriter(request);
    sessions.end(session.id);
    return reply.header('Set-Cookie', clearedSessionCookie()).send({ signed_out: true });
  });

  app.get('/api/me', async (request) => {
    const session = requireSession(request);
    return { user: session.credentials.user, csrf_token: session.csrfToken, dashboards: DASHBOARDS.map((d) => ({ name: d.name, title: d.title })) };
  });

  app.get<{ Params: { name: string }; Querystring: Query }>('/api/dashboards/:name', async (request) => {
    const session = requireSession(request);
    const definition = dashboardOf(request.params.name);
    const who = session.credentials;
    // The data version first: an answer computed before new data arrived is never served after it.
    const version = options.cacheTtlMs > 0 ? await dataVersion(who) : '';
    const key = JSON.stringify([who.user, definition.name, Object.entries(request.query).sort(([a], [b]) => a.localeCompare(b))]);
    const page = await pages.get(
      key,
      (background) =>
        runDashboard(background ? refreshReader : reader, who, definition, request.query, (panel, error) =>
          request.log.error({ err: error, dashboard: definition.name, panel, user: who.user }, 'dashboard panel failed'),
        ),
      version,
    );
    return { ...page, reporting_currency: options.reportingCurrency };
  });

  app.get<{ Params: { name: string; file: string }; Querystring: Query }>('/api/dashboards/:name/panels/:file', async (request, reply) => {
    const session = requireSession(request);
    const definition = dashboardOf(request.params.name);
    const id = request.params.file.replace(/\.csv$/, '');
    const filters = await resolveFilters(reader, session.credentials, definition, request.query);
    const panel = await runPanel(reader, session.credentials, definition, id, filters);
    if (!panel || !request.params.file.endsWith('.csv')) throw new Refusal({ status: 404, error: 'unknown_panel', message: `no panel ${JSON.stringify(request.params.file)} on ${definition.name}; ask for <panel>.csv` });
    return reply
      .type('text/csv; charset=utf-8')
      .header('Content-Disposition', `attachment; filename="${definition.name}-${panel.id}-${filters.from}-${filters.to}.csv"`)
      .send(toCsv(panel.columns, panel.rows));
  });

  app.get('/api/live', (request, reply) => {
    const session = requireSession(request);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.write(`retry: ${options.liveIntervalMs}\n\n`);
    let last: string | undefined;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const tick = async (): Promise<void> => {
      if (stopped) return;
      if (!sessions.find(session.id)) {
        // Signed out (or expired) meanwhile: the feed ends with the session.
        res.write('event: signed_out\ndata: {}\n\n');
        res.end();
        return;
      }
      try {
        const readAt = Date.now();
        const fingerprint = await liveFingerprint(reader, session.credentials);
        rememberVersion(session.credentials.user, fingerprint, readAt);
        if (fingerprint !== last) {
          if (last !== undefined) res.write(`event: changed\ndata: ${JSON.stringify({ at: new Date().toISOString() })}\n\n`);
          last = fingerprint;
        } else {
          res.write(': idle\n\n');
        }
      } catch (error) {
        request.log.warn({ err: error, user: session.credentials.user }, 'live feed check failed; trying again at the next interval');
      }
      if (!stopped) timer = setTimeout(() => void tick(), options.liveIntervalMs);
    };
    res.on('close', () => {
      stopped = true;
      clearTimeout(timer);
    });
    void tick();
  });

  app.post<{ Params: { alertId: string; action: string }; Body: unknown }>('/api/alerts/:alertId/:action', async (request, reply) => {
    const session = requireWriter(request);
    const action = parseAlertAction(request.params.action, request.body);
    if (!options.alertActions) throw new Refusal({ status: 503, error: 'alert_actions_unavailable', message: 'this web app publishes no alert actions (it was started without the alerts topic)' });
    const event = await actOnAlert({ reader, publisher: options.alertActions, clock: Date.now }, session.credentials, request.params.alertId, action);
    request.log.info({ user: session.credentials.user, alert_id: event.alert_id, action: event.state, store_id: event.store_id }, 'alert action published');
    return reply.code(202).send({
      alert_id: event.alert_id,
      action: event.state,
      acted_by: event.acted_by,
      acted_at: new Date(event.occurred_at).toISOString(),
      snoozed_until: event.snoozed_until === null ? null : new Date(event.snoozed_until).toISOString(),
    });
  });

  app.setNotFoundHandler((request, reply) => sendError(reply, { status: 404, error: 'not_found', message: `nothing at ${request.method} ${request.url.split('?')[0]}` }));
  return app;
}
