import { SqlEndpointError } from './contract';
import { classifyParameter, credentialsOf, joinQuery, readQueryRequest, routeOf, type HeaderSource } from './http-request';

function headers(values: Record<string, string> = {}): HeaderSource {
  return { get: (name) => values[name] };
}

const LIMITS = { maxSessionTimeoutS: 3600 };

function refusal(run: () => unknown): SqlEndpointError {
  try {
    run();
  } catch (error) {
    if (error instanceof SqlEndpointError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('routeOf', () => {
  it('answers Ok. for /ping and for GET / without a query, and runs queries on / and /query', () => {
    expect(routeOf('GET', '/ping', false)).toBe('ping');
    expect(routeOf('GET', '/', false)).toBe('ping');
    expect(routeOf('GET', '/', true)).toBe('query');
    expect(routeOf('POST', '/', false)).toBe('query');
    expect(routeOf('POST', '/query', false)).toBe('query');
    expect(routeOf('GET', '/play', false)).toBe('not-found');
  });
});

describe('credentialsOf', () => {
  it('reads HTTP Basic, with a colon inside the password kept', () => {
    const basic = `Basic ${Buffer.from('analyst:se:cret').toString('base64')}`;
    expect(credentialsOf(headers({ authorization: basic }), new URLSearchParams())).toEqual({ user: 'analyst', password: 'se:cret' });
  });

  it('reads X-ClickHouse-User / X-ClickHouse-Key and the user / password parameters', () => {
    expect(credentialsOf(headers({ 'x-clickhouse-user': 'grafana', 'x-clickhouse-key': 'k' }), new URLSearchParams())).toEqual({ user: 'grafana', password: 'k' });
    expect(credentialsOf(headers(), new URLSearchParams('user=metabase&password=p%26w'))).toEqual({ user: 'metabase', password: 'p&w' });
  });

  it('falls back to the default user with an empty password, as a server does', () => {
    expect(credentialsOf(headers(), new URLSearchParams())).toEqual({ user: 'default', password: '' });
  });

  it('refuses two forms at once, and an Authorization that is not Basic, with a 400', () => {
    const mixed = refusal(() => credentialsOf(headers({ 'x-clickhouse-user': 'a' }), new URLSearchParams('user=b')));
    expect([mixed.code, mixed.httpStatus]).toEqual([516, 400]);
    expect(mixed.message).toMatch(/more than one/);
    const bearer = refusal(() => credentialsOf(headers({ authorization: 'Bearer abc' }), new URLSearchParams()));
    expect(bearer.httpStatus).toBe(400);
    expect(bearer.message).toMatch(/HTTP Basic/);
  });
});

describe('classifyParameter', () => {
  it('keeps transport parameters away from the engine and passes settings through', () => {
    for (const name of ['query', 'database', 'default_format', 'query_id', 'session_id', 'session_timeout', 'session_check', 'compress', 'decompress', 'enable_http_compression', 'wait_end_of_query', 'buffer_size', 'client_protocol_version', 'send_progress_in_http_headers', 'http_headers_progress_interval_ms', 'http_zlib_compression_level', 'user', 'password', 'quota_key', 'role']) {
      expect([name, classifyParameter(name)]).toEqual([name, 'transport']);
    }
    for (const name of ['max_result_rows', 'readonly', 'extremes', 'output_format_json_quote_64bit_integers', 'date_time_output_format', 'network_compression_method']) {
      expect([name, classifyParameter(name)]).toEqual([name, 'setting']);
    }
    expect(classifyParameter('param_store_id')).toBe('query-parameter');
  });
});

describe('readQueryRequest', () => {
  it('sorts a driver-like URL into its parts', () => {
    const request = readQueryRequest(
      headers({ 'x-clickhouse-format': 'JSONEachRow', 'x-clickhouse-database': 'shelfstream' }),
      new URLSearchParams('query=SELECT+1&query_id=q-7&session_id=s1&session_timeout=120&session_check=1&max_result_rows=10&param_store=S001&enable_http_compression=1&http_zlib_compression_level=6&compress=1&client_protocol_version=54460'),
      LIMITS,
    );
    expect(request).toMatchObject({
      queryParameter: 'SELECT 1',
      defaultFormat: 'JSONEachRow',
      database: 'shelfstream',
      settings: { max_result_rows: '10' },
      queryParams: { store: 'S001' },
      queryId: 'q-7',
      sessionId: 's1',
      sessionTimeoutS: 120,
      sessionCheck: true,
      enableHttpCompression: true,
      compressionLevel: 6,
      compressBlocks: true,
      decompressBlocks: false,
      clientProtocolVersion: 54460,
    });
  });

  it('prefers the parameters to the headers and generates a query id when none is sent', () => {
    const a = readQueryRequest(headers({ 'x-clickhouse-format': 'CSV' }), new URLSearchParams('default_format=JSON&database=d'), LIMITS);
    const b = readQueryRequest(headers(), new URLSearchParams(), LIMITS);
    expect([a.defaultFormat, a.database]).toEqual(['JSON', 'd']);
    expect(a.queryId).toMatch(/^[0-9a-f-]{36}$/);
    expect(b.queryId).not.toBe(a.queryId);
    expect([b.compressionLevel, b.enableHttpCompression, b.sessionTimeoutS]).toEqual([3, false, undefined]);
  });

  it('refuses a session timeout that is not a number or above the maximum, naming it', () => {
    expect(refusal(() => readQueryRequest(headers(), new URLSearchParams('session_timeout=soon'), LIMITS)).message).toBe("Invalid session timeout: 'soon'");
    const long = refusal(() => readQueryRequest(headers(), new URLSearchParams('session_timeout=7200'), LIMITS));
    expect([long.code, long.httpStatus]).toEqual([374, 400]);
    expect(long.message).toMatch(/7200 is larger than max_session_timeout: 3600/);
  });

  it('refuses a setting name that is not an identifier, and a compression level out of range', () => {
    const bad = refusal(() => readQueryRequest(headers(), new URLSearchParams('max_threads%3D1%3BDROP=1'), LIMITS));
    expect([bad.code, bad.httpStatus]).toEqual([115, 404]);
    expect(refusal(() => readQueryRequest(headers(), new URLSearchParams('http_zlib_compression_level=12'), LIMITS)).httpStatus).toBe(400);
  });
});

describe('joinQuery', () => {
  it('joins the query parameter and the body with a newline, as ClickHouse does', () => {
    expect(joinQuery('INSERT INTO t FORMAT CSV', '1,2')).toBe('INSERT INTO t FORMAT CSV\n1,2');
    expect(joinQuery('', 'SELECT 1')).toBe('SELECT 1');
    expect(joinQuery('SELECT 1', '')).toBe('SELECT 1');
  });
});
