import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../paths';
import { ShelfStreamError } from '../errors';
import { CONFIG_TABLE_BEGIN, CONFIG_TABLE_END, loadConfig, renderConfigMarkdown, renderEnvExample } from '.';

describe('loadConfig', () => {
  it('gives a complete configuration from an empty environment', () => {
    const config = loadConfig({}, '/srv/app');
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(config.registry.url).toBe('http://127.0.0.1:8081/apis/ccompat/v7');
    expect(config.clickhouse).toEqual({ mode: 'embedded', dataDir: '/srv/app/.data/clickhouse', database: 'shelfstream', requestTimeoutMs: 30_000 });
    expect(config.objectStore).toMatchObject({ endPoint: '127.0.0.1', port: 9000, useSSL: false, bucket: 'shelfstream' });
    expect(config.topics.retentionMs).toBe(168 * 3_600_000);
  });

  it('refuses a port that two listeners of run all would share', () => {
    expect(() => loadConfig({ READ_API_PORT: '8088' })).toThrow('INGEST_PORT 8088 is also READ_API_PORT; give each listener a port of its own');
    expect(() => loadConfig({ READ_API_PORT: '9000', INGEST_PORT: '9000', SHELFSTREAM_HTTP_PORT: '9000' })).toThrow('SHELFSTREAM_HTTP_PORT 9000 is also INGEST_PORT and READ_API_PORT');
    // The subscriptions API opens its port only with a token; the SQL endpoint only when served.
    const token = 'x'.repeat(24);
    expect(() => loadConfig({ ALERTS_API_TOKEN: token, ALERTS_API_PORT: '8123' })).toThrow('SQL_ENDPOINT_PORT 8123 is also ALERTS_API_PORT');
    expect(loadConfig({ ALERTS_API_PORT: '8123' }).alerts.api.port).toBe(8123);
    expect(loadConfig({ ALERTS_API_TOKEN: token, ALERTS_API_PORT: '8123', SQL_ENDPOINT: 'off' }).alerts.api.port).toBe(8123);
    expect(loadConfig({ READ_API_PORT: '0', INGEST_PORT: '0' }).readApi.port).toBe(0); // 0: each picks a free port
    expect(loadConfig({}).readApi).toEqual({ host: '127.0.0.1', port: 8090, maxPageSize: 500, cacheMs: 1_000, threadNice: -10, threadRtPriority: 1 });
    expect(loadConfig({ ALERTS_API_TOKEN: token }).alerts.api.port).toBe(8091);
  });

  it('reads the alerts retry schedule as waits in ms, Svix\'s by default, and names a bad one', () => {
    expect(loadConfig({}).alerts.retryScheduleMs).toEqual([0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect(loadConfig({ ALERTS_RETRY_SCHEDULE_MS: '0, 500,2000' }).alerts.retryScheduleMs).toEqual([0, 500, 2_000]);
    expect(() => loadConfig({ ALERTS_RETRY_SCHEDULE_MS: '0,5s' })).toThrow('ALERTS_RETRY_SCHEDULE_MS');
    expect(() => loadConfig({ ALERTS_RETRY_SCHEDULE_MS: '0,-1' })).toThrow('a wait cannot be negative');
    expect(() => loadConfig({ ALERTS_RETRY_SCHEDULE_MS: ',' })).toThrow('needs at least one attempt');
    expect(loadConfig({}).alerts.circuitOpenMs).toBe(30_000);
  });

  it('derives client addresses from the launcher ports', () => {
    const config = loadConfig({ KAFKA_PORT: '19092', KAFKA_CONTROLLER_PORT: '19093', REGISTRY_PORT: '18081', MINIO_PORT: '19000' });
    expect(config.kafka.brokers).toEqual(['127.0.0.1:19092']);
    expect(config.registry.url).toBe('http://127.0.0.1:18081/apis/ccompat/v7');
    expect(config.objectStore.port).toBe(19000);
  });

  it('switches to a ClickHouse server when CLICKHOUSE_URL is set', () => {
    const config = loadConfig({ CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_PASSWORD: 'pw' });
    expect(config.clickhouse).toMatchObject({ mode: 'server', url: 'http://ch:8123', password: 'pw', user: 'default' });
  });

  it('parses a broker list and an https object store', () => {
    const config = loadConfig({ KAFKA_BROKERS: 'a:9092, b:9093', MINIO_ENDPOINT: 'https://s3.example.com' });
    expect(config.kafka.brokers).toEqual(['a:9092', 'b:9093']);
    expect(config.objectStore).toMatchObject({ endPoint: 's3.example.com', port: 443, useSSL: true });
  });

  it('reports every invalid variable at once, by name, and hides secrets', () => {
    let error: unknown;
    try {
      loadConfig({ KAFKA_PORT: 'ninety', TOPIC_PARTITIONS: '0', KAFKA_BROKERS: 'nohostport', MINIO_SECRET_KEY: 'short', CLICKHOUSE_DATABASE: '1db' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ShelfStreamError);
    const e = error as ShelfStreamError;
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.canRetry).toBe(false);
    for (const name of ['KAFKA_PORT', 'TOPIC_PARTITIONS', 'KAFKA_BROKERS', 'MINIO_SECRET_KEY', 'CLICKHOUSE_DATABASE']) expect(e.message).toContain(name);
    expect(e.message).not.toContain('short');
  });

  it('refuses equal client and controller ports', () => {
    expect(() => loadConfig({ KAFKA_PORT: '9092', KAFKA_CONTROLLER_PORT: '9092' })).toThrow(/KAFKA_PORT and KAFKA_CONTROLLER_PORT/);
  });

  it('returns a frozen object', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.kafka.brokers)).toBe(true);
  });
});

describe('configuration documentation', () => {
  it('README holds the generated configuration table', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf(CONFIG_TABLE_BEGIN);
    const end = readme.indexOf(CONFIG_TABLE_END);
    expect(start).toBeGreaterThanOrEqual(0);
    expect(readme.slice(start, end + CONFIG_TABLE_END.length)).toBe(renderConfigMarkdown());
  });

  it('.env.example is the generated one', () => {
    expect(readFileSync(join(REPO_ROOT, '.env.example'), 'utf8')).toBe(renderEnvExample());
  });
});
