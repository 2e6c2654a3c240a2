import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import type { SqlExecutor } from './contract';
import { isLoopback, startSqlEndpoint } from './index';

// Never called: the refusal happens before anything listens.
const executor: SqlExecutor = {
  execute: () => Promise.reject(new Error('not reached')),
  close: () => Promise.resolve(),
};

describe('startSqlEndpoint', () => {
  it('knows loopback addresses from the network', () => {
    for (const host of ['127.0.0.1', '127.3.2.1', 'localhost', '::1', '[::1]']) expect([host, isLoopback(host)]).toEqual([host, true]);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'bi.example.com']) expect([host, isLoopback(host)]).toEqual([host, false]);
  });

  it('refuses plain HTTP beyond loopback, naming the settings that allow it', async () => {
    const config = loadConfig({ SQL_ENDPOINT_HOST: '0.0.0.0', SQL_ENDPOINT_PORT: '0' });
    await expect(startSqlEndpoint({ config, logger: createLogger({ level: 'silent', service: 'test' }), executor })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/SQL_ENDPOINT_TLS_CERT_FILE and SQL_ENDPOINT_TLS_KEY_FILE .* or SQL_ENDPOINT_ALLOW_PLAINTEXT=on/),
    });
  });

  it('asks for the certificate and the key together', () => {
    expect(() => loadConfig({ SQL_ENDPOINT_TLS_CERT_FILE: '/etc/ssl/bi.pem' })).toThrow(/SQL_ENDPOINT_TLS_CERT_FILE and SQL_ENDPOINT_TLS_KEY_FILE go together/);
  });

  it('serves nothing when CLICKHOUSE_URL points at a server', () => {
    expect(loadConfig({}).sqlEndpoint.enabled).toBe(true);
    expect(loadConfig({ CLICKHOUSE_URL: 'http://ch:8123' }).sqlEndpoint.enabled).toBe(false);
    expect(loadConfig({ SQL_ENDPOINT: 'off' }).sqlEndpoint.enabled).toBe(false);
  });
});
