/**
 * The HTTP side of the SQL endpoint: one node:http request handler that speaks ClickHouse's
 * HTTP interface and hands each query to an executor (./contract.ts). It reads the request
 * (./http-request.ts), caps and decompresses the body, runs the statement, and answers the
 * engine's bytes as they are, with the headers a server sends; a failure is never a 200: it
 * gets the status of its ClickHouse code, `X-ClickHouse-Exception-Code` and a server's body.
 * node:http rather than fastify: see bench/benchmarks/sql-endpoint.ts for the measured cost of each.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isShelfStreamError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { SqlEndpointError, type SqlExecutor, type SqlRequest, type SqlResult } from './contract';
import { CLICKHOUSE_ERROR_CODES, formatExceptionBody, sqlError, type ClickHouseErrorName } from './clickhouse-errors';
import { decodeCompressedBlocks, encodeCompressedBlocks, loadBlockCodecs } from './compressed-blocks';
import { chooseEncoding, compressBody, decompressBody } from './http-compression';
import { joinQuery, readQueryRequest, routeOf, type HeaderSource, type HttpQueryRequest } from './http-request';
import { contentTypeOf } from './output-formats';
import { emptyNativeBlock, reframeNative, rowBinaryHeader } from './native-protocol';

export interface SqlHttpHandlerOptions {
  readonly executor: SqlExecutor;
  readonly logger: Logger;
  /** Largest request body, compressed or not, in bytes. */
  readonly maxBodyBytes: number;
  /** Largest result sent, in bytes: a result is buffered whole before the status line. */
  readonly maxResultBytes: number;
  readonly maxSessionTimeoutS: number;
  /** `X-ClickHouse-Server-Display-Name`. */
  readonly displayName: string;
}

const OK = 'Ok.\n';

function headerSource(req: IncomingMessage): HeaderSource {
  return {
    get: (name) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value[0] : value;
    },
  };
}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) throw sqlError('QUERY_IS_TOO_LARGE', `Request body of ${declared} bytes is larger than ${maxBytes} bytes (SQL_ENDPOINT_MAX_BODY_BYTES)`, { httpStatus: 413 });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > maxBytes) throw sqlError('QUERY_IS_TOO_LARGE', `Request body is larger than ${maxBytes} bytes (SQL_ENDPOINT_MAX_BODY_BYTES)`, { httpStatus: 413 });
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

/**
 * A wire codec's refusal (./compressed-blocks.ts, ./native-protocol.ts) as ClickHouse reports
 * it: the codec names ClickHouse's code in its context (a bad checksum is 40), else `fallback`.
 */
function codecFailure(error: unknown, fallback: ClickHouseErrorName, httpStatus: number): unknown {
  if (!isShelfStreamError(error)) return error;
  const code = error.context['clickhouse_code'];
  return new SqlEndpointError(typeof code === 'number' ? code : CLICKHOUSE_ERROR_CODES[fallback], httpStatus, error.message, { cause: error });
}

/** A statement that only reads, by its first keyword (comments skipped): safe to run twice. */
const READ_STATEMENT = /^(?:\s+|--[^\n]*\n|\/\*[\s\S]*?\*\/)*\(*\s*(?:SELECT|WITH|SHOW|DESCRIBE|DESC|EXISTS)\b/i;

/**
 * chDB writes nothing for an empty Native result, where a server writes a block of no rows
 * with the columns' names and types; without it clickhouse-go (Grafana) sees a result with no
 * columns. For a statement that only reads, the names and types are asked of the engine again
 * in RowBinaryWithNamesAndTypes (same user, scope and session: the executor judges it as the
 * first) and written as that header block. No row is re-encoded: there are none.
 */
async function withNativeHeader(executor: SqlExecutor, statement: SqlRequest, result: SqlResult): Promise<SqlResult> {
  if (result.body.byteLength > 0 || result.format.toLowerCase() !== 'native' || !READ_STATEMENT.test(statement.query)) return result;
  const described = await executor.execute({ ...statement, defaultFormat: 'RowBinaryWithNamesAndTypes' });
  // A FORMAT clause in the statement wins over the default: then there is nothing to read.
  if (described.format !== 'RowBinaryWithNamesAndTypes' || described.body.byteLength === 0) return result;
  return { ...result, body: emptyNativeBlock(rowBinaryHeader(described.body)) };
}

/** The result bytes in the framing the client asked for, before any HTTP compression. */
function frameResult(result: SqlResult, request: HttpQueryRequest): Uint8Array {
  let body = result.body;
  if (request.clientProtocolVersion !== undefined && request.clientProtocolVersion > 0 && result.format.toLowerCase() === 'native') {
    try {
      body = reframeNative(body, request.clientProtocolVersion);
    } catch (error) {
      // A column type whose Native state the re-framing cannot walk: the client can ask another format.
      throw codecFailure(error, 'NOT_IMPLEMENTED', 501);
    }
  }
  if (request.compressBlocks) {
    const method = (request.settings.network_compression_method ?? 'lz4').toLowerCase();
    if (method !== 'lz4' && method !== 'zstd' && method !== 'none') {
      throw sqlError('UNKNOWN_COMPRESSION_METHOD', `Unknown network_compression_method '${method}': lz4, zstd or none`, { httpStatus: 400 });
    }
    body = encodeCompressedBlocks(body, method);
  }
  return body;
}

/** A request handler for node:http or node:https; it never rejects. */
export function createSqlHttpHandler(options: SqlHttpHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { executor, logger } = options;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://endpoint');
    const method = req.method ?? 'GET';
    const route = routeOf(method, url.pathname, url.searchParams.has('query'));
    if (route === 'ping') {
      req.resume();
      res.writeHead(200, { 'Content-Type': 'text/html; charset=UTF-8', 'Content-Length': OK.length });
      res.end(method === 'HEAD' ? undefined : OK);
      return;
    }
    if (route === 'not-found') {
      req.resume();
      throw sqlError('BAD_ARGUMENTS', `There is no handler for ${url.pathname}: use / or /query to run a query and /ping for health checks`, { httpStatus: 404 });
    }
    if (method !== 'GET' && method !== 'POST') {
      req.resume();
      throw sqlError('UNSUPPORTED_METHOD', `HTTP method ${method} is not allowed: queries are sent with GET (read-only) or POST`, { httpStatus: 405 });
    }
    const request = readQueryRequest(headerSource(req), url.searchParams, { maxSessionTimeoutS: options.maxSessionTimeoutS });
    res.setHeader('X-ClickHouse-Query-Id', request.queryId);
    let body = await decompressBody(await readBody(req, options.maxBodyBytes), req.headers['content-encoding'], options.maxBodyBytes);
    // ZSTD's wasm module loads once, on the first request that may need it.
    if (request.decompressBlocks || request.compressBlocks) await loadBlockCodecs();
    if (request.decompressBlocks && body.byteLength > 0) {
      try {
        body = decodeCompressedBlocks(body);
      } catch (error) {
        throw codecFailure(error, 'CANNOT_DECOMPRESS', 400);
      }
    }
    const query = joinQuery(request.queryParameter, body.toString('utf8'));
    if (query.trim() === '') throw sqlError('SYNTAX_ERROR', 'Empty query');
    const statement: SqlRequest = {
      credentials: request.credentials,
      query,
      defaultFormat: request.defaultFormat,
      database: request.database,
      settings: request.settings,
      queryParams: request.queryParams,
      sessionId: request.sessionId,
      sessionTimeoutS: request.sessionTimeoutS,
      sessionCheck: request.sessionCheck,
      queryId: request.queryId,
      readOnlyMethod: method === 'GET',
    };
    const result = await withNativeHeader(executor, statement, await executor.execute(statement));
    if (result.body.byteLength > options.maxResultBytes) {
      throw sqlError('TOO_MANY_ROWS_OR_BYTES', `Result of ${result.body.byteLength} bytes is larger than ${options.maxResultBytes} bytes (SQL_ENDPOINT_MAX_RESULT_BYTES): add a LIMIT or aggregate`);
    }
    let payload = frameResult(result, request);
    const headers: Record<string, string | number> = {
      'Content-Type': request.compressBlocks ? 'application/octet-stream' : contentTypeOf(result.format),
      'X-ClickHouse-Format': result.format,
      'X-ClickHouse-Timezone': result.timezone,
      'X-ClickHouse-Server-Display-Name': options.displayName,
      'X-ClickHouse-Summary': JSON.stringify(result.summary),
    };
    const encoding = request.enableHttpCompression ? chooseEncoding(req.headers['accept-encoding']) : undefined;
    if (encoding !== undefined) {
      payload = await compressBody(payload, encoding, request.compressionLevel);
      headers['Content-Encoding'] = encoding;
      headers['Vary'] = 'Accept-Encoding';
    }
    headers['Content-Length'] = payload.byteLength;
    res.writeHead(200, headers);
    res.end(payload);
  }

  function fail(req: IncomingMessage, res: ServerResponse, error: unknown): void {
    const known = error instanceof SqlEndpointError;
    const failure = known ? error : sqlError('LOGICAL_ERROR', `Unexpected failure in the SQL endpoint: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    // The one place a failed request is logged; the query text is not, as it may hold literals a user typed.
    const level = failure.httpStatus >= 500 && !known ? 'error' : 'debug';
    logger[level]({ err: error, code: failure.code, status: failure.httpStatus, query_id: res.getHeader('X-ClickHouse-Query-Id'), path: req.url?.split('?')[0] }, 'SQL endpoint request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = formatExceptionBody(failure);
    res.writeHead(failure.httpStatus, {
      'Content-Type': 'text/plain; charset=UTF-8',
      'X-ClickHouse-Exception-Code': String(failure.code),
      'X-ClickHouse-Server-Display-Name': options.displayName,
      'Content-Length': Buffer.byteLength(body),
      // A body refused half-read leaves the rest of it on the socket: do not reuse the connection.
      ...(failure.code === CLICKHOUSE_ERROR_CODES.QUERY_IS_TOO_LARGE && !req.readableEnded ? { Connection: 'close' } : {}),
    });
    res.end(body);
  }

  return (req, res) => {
    handle(req, res).catch((error: unknown) => fail(req, res, error));
  };
}
