/**
 * How ClickHouse's HTTP interface reads a request, as pure functions: which route it is, the
 * credentials in any of their three forms, and the URL parameters sorted into what the
 * transport handles itself (compression, sessions, query id...) and what are settings for the
 * engine. Names and rules follow ClickHouse's HTTP handler and what drivers send (clickhouse-connect
 * keeps the same list of transport-only parameters for its chDB backend).
 */
import { randomUUID } from 'node:crypto';
import type { SqlCredentials } from './contract';
import { sqlError } from './clickhouse-errors';

export type HttpRoute = 'ping' | 'query' | 'not-found';

/** `/ping` and `GET /` without a query answer `Ok.`; `/` and `/query` run a query. */
export function routeOf(method: string, pathname: string, hasQuery: boolean): HttpRoute {
  if (pathname === '/ping' || pathname === '/replicas_status') return 'ping';
  if (pathname === '/' || pathname === '/query') return method === 'GET' && !hasQuery ? 'ping' : 'query';
  return 'not-found';
}

/**
 * Parameters the HTTP handler consumes itself: a server does not pass them to the engine as
 * settings (ClickHouse's reserved parameter names, and the `http_*` / progress settings that
 * only shape the HTTP response).
 */
const TRANSPORT_PARAMETERS: ReadonlySet<string> = new Set([
  'query', 'user', 'password', 'quota_key', 'role', 'database', 'default_format', 'query_id', 'stacktrace',
  'session_id', 'session_timeout', 'session_check', 'close_session', 'compress', 'decompress', 'buffer_size',
  'wait_end_of_query', 'client_protocol_version', 'enable_http_compression', 'send_progress_in_http_headers',
  'cancel_http_readonly_queries_on_client_close', 'add_http_cors_header',
]);

export type ParameterKind = 'transport' | 'query-parameter' | 'setting';

/** Whether a URL parameter is for the transport, a `{name:Type}` value, or an engine setting. */
export function classifyParameter(name: string): ParameterKind {
  if (name.startsWith('param_')) return 'query-parameter';
  if (TRANSPORT_PARAMETERS.has(name) || name.startsWith('http_')) return 'transport';
  return 'setting';
}

const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface HeaderSource {
  get(name: string): string | undefined;
}

/**
 * The credentials of a request: HTTP Basic, or `X-ClickHouse-User` / `X-ClickHouse-Key`, or the
 * `user` / `password` parameters; none means ClickHouse's `default` user with an empty password.
 * As a server does, mixing two forms is refused rather than guessing which one was meant.
 */
export function credentialsOf(headers: HeaderSource, params: URLSearchParams): SqlCredentials {
  const authorization = headers.get('authorization');
  const headerUser = headers.get('x-clickhouse-user');
  const headerKey = headers.get('x-clickhouse-key');
  const paramUser = params.get('user');
  const paramPassword = params.get('password');
  const forms = [authorization !== undefined, headerUser !== undefined || headerKey !== undefined, paramUser !== null || paramPassword !== null].filter(Boolean).length;
  if (forms > 1) {
    throw sqlError('AUTHENTICATION_FAILED', 'Invalid authentication: it is not allowed to use more than one of the Authorization header, the X-ClickHouse-User/X-ClickHouse-Key headers and the user/password parameters', { httpStatus: 400 });
  }
  if (authorization !== undefined) {
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
    if (!basic) throw sqlError('AUTHENTICATION_FAILED', 'Invalid authentication: the Authorization header must be HTTP Basic (user:password in base64)', { httpStatus: 400 });
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 ? { user: decoded, password: '' } : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (headerUser !== undefined || headerKey !== undefined) return { user: headerUser || 'default', password: headerKey ?? '' };
  return { user: paramUser || 'default', password: paramPassword ?? '' };
}

/** What the HTTP side reads from the URL and headers before the body arrives. */
export interface HttpQueryRequest {
  readonly credentials: SqlCredentials;
  /** The `query` parameter ('' when absent). */
  readonly queryParameter: string;
  readonly defaultFormat: string | undefined;
  readonly database: string | undefined;
  readonly settings: Readonly<Record<string, string>>;
  readonly queryParams: Readonly<Record<string, string>>;
  readonly queryId: string;
  readonly sessionId: string | undefined;
  readonly sessionTimeoutS: number | undefined;
  readonly sessionCheck: boolean;
  /** `compress=1`: the response body in ClickHouse's compressed block framing. */
  readonly compressBlocks: boolean;
  /** `decompress=1`: the request body is in ClickHouse's compressed block framing. */
  readonly decompressBlocks: boolean;
  /** HTTP compression of the response by Accept-Encoding, which ClickHouse does only when asked. */
  readonly enableHttpCompression: boolean;
  /** `http_zlib_compression_level`, 1..9 (ClickHouse's default 3). */
  readonly compressionLevel: number;
  /** `client_protocol_version` (clickhouse-go): Native output carries block info and serialization kinds. */
  readonly clientProtocolVersion: number | undefined;
}

export interface RequestLimits {
  readonly maxSessionTimeoutS: number;
}

function flag(value: string | null | undefined): boolean {
  return value !== null && value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

function integerParameter(name: string, value: string): number {
  if (!/^\d+$/.test(value)) throw sqlError('BAD_ARGUMENTS', `Parameter ${name} must be a non-negative integer, got '${value}'`);
  return Number(value);
}

/** Reads the URL parameters and headers of a query request; a malformed one gets a 4xx error naming what is wrong. */
export function readQueryRequest(headers: HeaderSource, params: URLSearchParams, limits: RequestLimits): HttpQueryRequest {
  const credentials = credentialsOf(headers, params);
  const settings: Record<string, string> = {};
  const queryParams: Record<string, string> = {};
  for (const [name, value] of params) {
    const kind = classifyParameter(name);
    if (kind === 'query-parameter') {
      queryParams[name.slice('param_'.length)] = value;
    } else if (kind === 'setting') {
      if (!SETTING_NAME.test(name)) throw sqlError('UNKNOWN_SETTING', `Unknown setting '${name}': a setting name is letters, digits and _`);
      settings[name] = value;
    }
  }
  let sessionTimeoutS: number | undefined;
  const timeout = params.get('session_timeout');
  if (timeout !== null && timeout !== '') {
    if (!/^\d+$/.test(timeout)) throw sqlError('INVALID_SESSION_TIMEOUT', `Invalid session timeout: '${timeout}'`, { httpStatus: 400 });
    sessionTimeoutS = Number(timeout);
    if (sessionTimeoutS > limits.maxSessionTimeoutS) {
      throw sqlError('INVALID_SESSION_TIMEOUT', `Session timeout ${sessionTimeoutS} is larger than max_session_timeout: ${limits.maxSessionTimeoutS}`, { httpStatus: 400 });
    }
  }
  const level = params.get('http_zlib_compression_level');
  const compressionLevel = level !== null && level !== '' ? integerParameter('http_zlib_compression_level', level) : 3;
  if (compressionLevel < 1 || compressionLevel > 9) throw sqlError('BAD_ARGUMENTS', `http_zlib_compression_level must be 1..9, got ${compressionLevel}`);
  const protocol = params.get('client_protocol_version');
  return {
    credentials,
    queryParameter: params.get('query') ?? '',
    defaultFormat: params.get('default_format') || headers.get('x-clickhouse-format') || undefined,
    database: params.get('database') || headers.get('x-clickhouse-database') || undefined,
    settings,
    queryParams,
    queryId: params.get('query_id') || randomUUID(),
    sessionId: params.get('session_id') || undefined,
    sessionTimeoutS,
    sessionCheck: flag(params.get('session_check')),
    compressBlocks: flag(params.get('compress')),
    decompressBlocks: flag(params.get('decompress')),
    enableHttpCompression: flag(params.get('enable_http_compression')),
    compressionLevel,
    clientProtocolVersion: protocol !== null && protocol !== '' ? integerParameter('client_protocol_version', protocol) : undefined,
  };
}

/** The statement as ClickHouse assembles it: the `query` parameter, a newline, then the body. */
export function joinQuery(queryParameter: string, body: string): string {
  if (queryParameter === '') return body;
  return body === '' ? queryParameter : `${queryParameter}\n${body}`;
}
