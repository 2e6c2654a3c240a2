/**
 * ShelfStream against a secured Kafka: a broker of this file's own (the native launcher, on
 * free ports and a temporary folder) with a SASL_SSL listener (SCRAM-SHA-256 and -512, a CA
 * generated for the run) beside its PLAINTEXT one. Over SASL_SSL: `init`, the simulator, HTTP
 * ingest, the velocity processor and the archive; what they wrote is checked against what a
 * reference client (kafkajs over SCRAM-SHA-256) reads back. Then the failures an operator meets
 * (a wrong password, an untrusted CA, a host name not in the certificate) must each end the
 * command within a deadline with an error naming the cause, and no secret may appear in any
 * log line, in `shelfstream config` or in metrics.
 *
 * The schema registry and MinIO are the harness's: plaintext for the pipeline, and reached
 * through an HTTPS front with basic auth (certificate from the same generated CA) at the end.
 * A ClickHouse server over HTTPS is not exercised: the harness runs embedded ClickHouse.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { brokerTlsDir, kafkaService } from '../../infra/native/kafka';
import { brokerTlsFiles } from '../../infra/native/kafka-tls';
import { down, supervisorFor, upOne } from '../../infra/native/launcher';
import { createClickHouse } from '../../lib/clients/clickhouse';
import { createFastProducer, createKafka } from '../../lib/clients/kafka';
import { kafkaSecurityFailure } from '../../lib/clients/kafka-security';
import { createObjectStore } from '../../lib/clients/objectstore';
import { createSchemaRegistry, lookupSchema } from '../../lib/clients/registry';
import { loadConfig, type Config } from '../../lib/config';
import { EventCodec } from '../../lib/events/codec';
import { REPO_ROOT } from '../../lib/paths';
import { loadCatalog } from '../../schemas/catalog';
import type { SaleCompleted } from '../../schemas/generated/events';
import { createApiKey } from '../../services/ingest/api-keys';
import { exampleEvent } from '../../services/ingest/examples';
import { startIngestService } from '../../services/ingest/index';
import { TRUTH_FILES, parseCsv } from '../../simulators/pos/ground-truth';
import { registerCleanup, testLogger, uniqueName, waitFor } from '../harness/fixtures';

const USER = 'pos-chain';
const PASSWORD = `scram-${uniqueName('pw')}`;
/** How long a refused connection may take to fail: kafkajs retries a TLS failure ~5 times. */
const FAIL_DEADLINE_MS = 45_000;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The harness's environment without anything that points at its Kafka or a ClickHouse server. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || name.startsWith('KAFKA_') || name.startsWith('CLICKHOUSE_')) continue;
    env[name] = value;
  }
  return env;
}

interface Broker {
  readonly plaintext: string;
  readonly saslSsl: string;
  readonly caFile: string;
  /** The broker's PKCS12 keystore (certificate for 127.0.0.1), reused by the HTTPS front below. */
  readonly keystore: { readonly file: string; readonly password: string };
  readonly startMs: number;
}

const root = mkdtempSync(join(tmpdir(), 'shelfstream-kafka-security-'));
let broker: Broker;
let passwordFile: string;

beforeAll(async () => {
  registerCleanup(async () => rmSync(root, { recursive: true, force: true }));
  const [port, controllerPort, saslPort] = [await freePort(), await freePort(), await freePort()];
  const config = loadConfig({
    ...baseEnv(),
    SHELFSTREAM_DATA_DIR: join(root, 'broker'),
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(controllerPort),
    KAFKA_NATIVE_SASL_SSL_PORT: String(saslPort),
    KAFKA_NATIVE_SASL_USERNAME: USER,
    KAFKA_NATIVE_SASL_PASSWORD: PASSWORD,
    KAFKA_HEAP_MB: '256',
  });
  const ctx = { config, logger: testLogger(), env: process.env };
  registerCleanup(() => down(ctx));
  const started = performance.now();
  await upOne(kafkaService, ctx, supervisorFor(ctx), () => undefined);
  const tls = brokerTlsFiles(brokerTlsDir(ctx))!;
  broker = {
    plaintext: `127.0.0.1:${port}`,
    saslSsl: `127.0.0.1:${saslPort}`,
    caFile: tls.caFile,
    keystore: { file: tls.keystoreFile, password: tls.keystorePassword },
    startMs: performance.now() - started,
  };
  process.stderr.write(`kafka-security: broker with a SASL_SSL listener (certificates, SCRAM users, format, start) healthy in ${Math.round(broker.startMs)} ms\n`);
  passwordFile = join(root, 'kafka-password');
  // As a container platform mounts it: with a trailing newline.
  writeFileSync(passwordFile, `${PASSWORD}\n`);
}, 300_000);

/** The environment of a ShelfStream process that talks SASL_SSL to the test broker. */
function securedEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    ...baseEnv(),
    KAFKA_BROKERS: broker.saslSsl,
    KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
    KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
    KAFKA_SASL_USERNAME: USER,
    KAFKA_SASL_PASSWORD_FILE: passwordFile,
    KAFKA_SSL_CA_FILE: broker.caFile,
    SHELFSTREAM_LOG_LEVEL: 'warn',
    ...overrides,
  };
}

interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs the compiled CLI to its end (killed at the deadline), keeping all of its output. */
function cli(args: readonly string[], env: Record<string, string>, deadlineMs = 180_000): Promise<CliResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/shelfstream.js', ...args], { cwd: REPO_ROOT, env, timeout: deadlineMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    });
  });
}

async function cliOk(args: readonly string[], env: Record<string, string>): Promise<CliResult> {
  const result = await cli(args, env);
  if (result.code !== 0) throw new Error(`shelfstream ${args.join(' ')} exited with ${String(result.code)}:\n${result.stderr.slice(-4_000)}`);
  return result;
}

/** Removes every object of a bucket, then the bucket. */
async function dropBucket(config: Config): Promise<void> {
  const store = createObjectStore(config.objectStore);
  const bucket = config.objectStore.bucket;
  if (!(await store.bucketExists(bucket))) return;
  const names: string[] = [];
  for await (const item of store.listObjectsV2(bucket, '', true) as AsyncIterable<{ name?: string }>) if (item.name) names.push(item.name);
  if (names.length > 0) await store.removeObjects(bucket, names);
  await store.removeBucket(bucket);
}

describe('Kafka over SASL_SSL', () => {
  it('runs init, the simulator, ingest, the velocity processor and the archive; a SCRAM-SHA-256 client reads what they wrote', async () => {
    const appDir = join(root, 'app');
    const outDir = join(root, 'truth');
    const database = uniqueName('shelfstream_sec', '_');
    const env = securedEnv({
      SHELFSTREAM_DATA_DIR: appDir,
      CLICKHOUSE_DATABASE: database,
      MINIO_BUCKET: uniqueName('shelfstream-sec').toLowerCase(),
      STREAM_FLUSH_INTERVAL_MS: '200',
      STREAM_SESSION_TIMEOUT_MS: '6000',
      INGEST_PORT: '0',
      INGEST_API_KEYS_FILE: join(root, 'api-keys.json'),
    });
    const config = loadConfig(env);
    registerCleanup(() => dropBucket(config));

    await cliOk(['init'], env);
    await cliOk(['simulate', 'backfill', '--days', '1', '--stores', '2', '--skus', '12', '--seed', '18', '--out', outDir, '--no-progress'], env);

    // HTTP ingest over SASL_SSL: one sale for a store and product the simulator published.
    const [first] = parseCsv(readFileSync(join(outDir, TRUTH_FILES.hourly), 'utf8'));
    const storeId = String(first!.store_id);
    const sku = String(first!.sku);
    const { key } = await createApiKey(config.ingest.apiKeysFile, storeId, 'T-SEC');
    const ingest = await startIngestService({ config, logger: testLogger() });
    registerCleanup(() => ingest.close());
    await waitFor(() => ingest.masterData.hasStore(storeId) && ingest.masterData.hasSku(sku), { what: 'ingest to read master data over SASL_SSL', timeoutMs: 60_000 });
    const sale = exampleEvent('pos.sales', { storeId, terminalId: 'T-SEC', skus: [sku], occurredAt: Date.now() - 60_000 }) as unknown as SaleCompleted;
    const reply = await fetch(`${ingest.url}/v1/stores/${encodeURIComponent(storeId)}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ events: [{ type: 'pos.sales', event: sale }] }),
    });
    expect(reply.status).toBe(202);
    const metricsText = await ingest.metrics.registry.metrics();
    expect(metricsText).not.toContain(PASSWORD);
    await ingest.close();

    // The reference: every sale on the topic, read by kafkajs over SCRAM-SHA-256.
    const sha256 = loadConfig(securedEnv({ KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256' })).kafka;
    const kafka = createKafka(sha256, testLogger(), 'test-reference');
    const admin = kafka.admin();
    await admin.connect();
    registerCleanup(() => admin.disconnect());
    const ends = await admin.fetchTopicOffsets('pos.sales');
    const total = ends.reduce((n, p) => n + Number(p.high), 0);
    const codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, loadCatalog());
    const consumer = kafka.consumer({ groupId: uniqueName('test.reference') });
    await consumer.connect();
    registerCleanup(() => consumer.disconnect());
    await consumer.subscribe({ topic: 'pos.sales', fromBeginning: true });
    const sales: SaleCompleted[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void sales.push((await codec.decode<SaleCompleted>(message.value)).value) });
    await waitFor(() => sales.length >= total, { what: `${total} sales read back over SCRAM-SHA-256`, timeoutMs: 60_000 });
    await consumer.disconnect();
    expect(sales.length).toBe(total);
    expect(sales.some((s) => s.event_id === sale.event_id)).toBe(true);
    const units = sales.reduce((n, s) => n + s.lines.reduce((m, l) => m + l.quantity, 0), 0);
    expect(units).toBeGreaterThan(0);

    await cliOk(['stream', 'velocity', '--stop-when-idle', '3000', '--no-metrics'], env);
    await cliOk(['archive', 'run', '--stop-when-idle', '3000', '--no-metrics'], env);

    const clickhouse = createClickHouse(config.clickhouse);
    try {
      const [velocity] = await (await clickhouse.query({ query: `SELECT sum(units) AS units FROM ${database}.sales_velocity_1m FINAL`, format: 'JSONEachRow' })).json<{ units: string }>();
      expect(Number(velocity!.units)).toBe(units);
      const { url, accessKey, secretKey, bucket } = config.objectStore;
      const [archived] = await (
        await clickhouse.query({ query: `SELECT count() AS n FROM s3('${url}/${bucket}/raw/topic=pos.sales/**/*.parquet', '${accessKey}', '${secretKey}', 'Parquet')`, format: 'JSONEachRow' })
      ).json<{ n: string }>();
      expect(Number(archived!.n)).toBe(total);
    } finally {
      await clickhouse.close();
    }
  }, 600_000);

  it('keeps the plaintext listener open to plaintext clients', async () => {
    const plain = loadConfig({ ...baseEnv(), KAFKA_BROKERS: broker.plaintext }).kafka;
    const kafka = createKafka(plain, testLogger(), 'test-plaintext');
    const admin = kafka.admin();
    await admin.connect();
    registerCleanup(() => admin.disconnect());
    const topic = uniqueName('test.plaintext');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    const producer = createFastProducer(plain, 'test-plaintext');
    registerCleanup(() => producer.close());
    await producer.send({ messages: [{ topic, key: Buffer.from('S1'), value: Buffer.from('till open') }] });
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.map((o) => Number(o.high))).toEqual([1]);
  }, 60_000);
});

describe('a refused secured connection', () => {
  const otherCa = join(root, 'other-ca.pem');
  // A real CA, just not the one that signed the broker's certificate.
  beforeAll(() => writeFileSync(otherCa, rootCertificates[0]!));

  const cases: [string, () => Record<string, string>, 'AUTHENTICATION_FAILED' | 'TLS_VERIFY_FAILED', RegExp][] = [
    ['a wrong password', () => securedEnv({ KAFKA_SASL_PASSWORD_FILE: '', KAFKA_SASL_PASSWORD: 'not-the-password-1' }), 'AUTHENTICATION_FAILED', /refused the SASL authentication of user pos-chain \(SCRAM-SHA-512\)/],
    ['an untrusted CA', () => securedEnv({ KAFKA_SSL_CA_FILE: otherCa }), 'TLS_VERIFY_FAILED', /not signed by a trusted CA .*KAFKA_SSL_CA_FILE=/],
    ['a host name not in the certificate', () => securedEnv({ KAFKA_BROKERS: broker.saslSsl.replace('127.0.0.1', 'localhost') }), 'TLS_VERIFY_FAILED', /does not name the host .*localhost/],
  ];

  // Each refusal below is mostly waiting: kafkajs retries a TLS failure with backoff (~12 s on a
  // busy machine) and the CLI's node starts. The six run concurrently (jest runs up to five
  // at once), each against the same broker with its own client and process, each with its
  // own assertions and deadline as before.
  it.concurrent.each(cases)('%s fails the CLI within its deadline, naming the cause', async (_what, env, code, message) => {
    const result = await cli(['init'], env(), FAIL_DEADLINE_MS);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`shelfstream: ${code}: `);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toContain('not-the-password-1');
    expect(result.stderr).not.toContain(PASSWORD);
    process.stderr.write(`kafka-security: ${_what}: init failed in ${Math.round(result.ms)} ms\n`);
  }, FAIL_DEADLINE_MS + 15_000);

  it.concurrent.each(cases)('%s fails the fast producer with bounded retries, naming the cause', async (_what, env, code, message) => {
    const config = loadConfig(env()).kafka;
    const producer = createFastProducer(config, 'test-refused');
    registerCleanup(() => producer.close());
    const started = performance.now();
    const error = await producer.metadata({ topics: [] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(performance.now() - started).toBeLessThan(FAIL_DEADLINE_MS);
    const explained = kafkaSecurityFailure(error, config);
    expect(explained?.code).toBe(code);
    expect(explained?.message).toMatch(message);
  }, FAIL_DEADLINE_MS + 15_000);
  it('skips only the name check with KAFKA_SSL_CHECK_HOSTNAME=false: another name connects, another CA still fails', async () => {
    const byName = { KAFKA_BROKERS: broker.saslSsl.replace('127.0.0.1', 'localhost'), KAFKA_SSL_CHECK_HOSTNAME: 'false' };
    const lenient = loadConfig(securedEnv(byName)).kafka;
    const producer = createFastProducer(lenient, 'test-lenient');
    registerCleanup(() => producer.close());
    const metadata = await producer.metadata({ topics: [] });
    expect(metadata.brokers.size).toBe(1);

    const untrusted = loadConfig(securedEnv({ ...byName, KAFKA_SSL_CA_FILE: otherCa })).kafka;
    const refused = createFastProducer(untrusted, 'test-lenient-untrusted');
    registerCleanup(() => refused.close());
    const error = await refused.metadata({ topics: [] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(kafkaSecurityFailure(error, untrusted)?.message).toMatch(/not signed by a trusted CA/);
  }, FAIL_DEADLINE_MS + 15_000);
});

describe('secrets', () => {
  it('appear in no log line of a run and not in `shelfstream config`, whether from the environment or from files', async () => {
    const secretsDir = join(root, 'secrets');
    mkdirSync(secretsDir, { recursive: true });
    const fromFile = (name: string, value: string): string => {
      const file = join(secretsDir, name);
      writeFileSync(file, `${value}\n`);
      return file;
    };
    const minioSecret = loadConfig(process.env).objectStore.secretKey;
    const secrets = {
      registry: `registry-${uniqueName('pw')}`,
      keyPassword: `keypass-${uniqueName('pw')}`,
      clickhouse: `ch-${uniqueName('pw')}`,
      bi: `bi-${uniqueName('pw')}`,
      native: `native-${uniqueName('pw')}`,
    };
    const env = securedEnv({
      SHELFSTREAM_DATA_DIR: join(root, 'secrets-app'),
      CLICKHOUSE_DATABASE: uniqueName('shelfstream_secrets', '_'),
      SHELFSTREAM_LOG_LEVEL: 'debug',
      SCHEMA_REGISTRY_USER: 'pos-chain-registry',
      SCHEMA_REGISTRY_PASSWORD_FILE: fromFile('registry', secrets.registry),
      KAFKA_SSL_KEY_PASSWORD: secrets.keyPassword,
      CLICKHOUSE_PASSWORD: secrets.clickhouse,
      CLICKHOUSE_BI_PASSWORD_FILE: fromFile('bi', secrets.bi),
      MINIO_SECRET_KEY_FILE: fromFile('minio', minioSecret),
      KAFKA_NATIVE_SASL_PASSWORD: secrets.native,
    });
    delete (env as Record<string, string | undefined>).MINIO_SECRET_KEY;
    const all = [PASSWORD, minioSecret, ...Object.values(secrets)];

    const shown = await cliOk(['config'], env);
    const init = await cliOk(['init'], env);
    const refused = await cli(['init'], { ...env, KAFKA_SASL_PASSWORD_FILE: fromFile('wrong', 'wrong-kafka-pw-9') }, FAIL_DEADLINE_MS);
    expect(refused.code).toBe(1);
    // The run did log (debug level): an empty log would prove nothing.
    expect(init.stderr.split('\n').filter((l) => l.startsWith('{')).length).toBeGreaterThan(10);
    for (const output of [shown.stdout, shown.stderr, init.stdout, init.stderr, refused.stdout, refused.stderr]) {
      for (const secret of [...all, 'wrong-kafka-pw-9']) expect(output).not.toContain(secret);
    }
    expect(JSON.parse(shown.stdout)).toMatchObject({
      kafka: { sasl: { username: USER, password: '<from file>' }, tls: { keyPassword: '<set>' } },
      registry: { auth: { username: 'pos-chain-registry', password: '<from file>' } },
      objectStore: { secretKey: '<from file>' },
    });
  }, 240_000);
});

/**
 * An HTTPS front for a real plaintext service (the harness's registry or MinIO), as a reverse
 * proxy terminates TLS and checks basic auth in front of a registry in production. Headers
 * pass unchanged (MinIO's signatures cover the Host header the client sent).
 */
async function httpsFront(target: string, basicAuth?: { user: string; password: string }): Promise<{ url: string; authorized: () => number }> {
  const upstream = new URL(target);
  let authorized = 0;
  const expected = basicAuth ? `Basic ${Buffer.from(`${basicAuth.user}:${basicAuth.password}`).toString('base64')}` : undefined;
  const server = createHttpsServer({ pfx: readFileSync(broker.keystore.file), passphrase: broker.keystore.password }, (req, res) => {
    if (expected !== undefined) {
      if (req.headers.authorization !== expected) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="registry"' }).end('{"error_code":401,"message":"Unauthorized"}');
        return;
      }
      authorized++;
    }
    const forward = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', (error) => res.writeHead(502).end(String(error)));
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  registerCleanup(() => new Promise((resolve) => server.close(resolve)));
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, authorized: () => authorized };
}

describe('registry and object store over HTTPS with a private CA', () => {
  const harness = loadConfig(baseEnv());

  it('reach the registry with basic auth through TLS, and name a wrong password or an unknown CA', async () => {
    const credentials = { user: 'pos-chain-registry', password: `registry-${uniqueName('pw')}` };
    const front = await httpsFront(harness.registry.url.replace(/\/apis\/ccompat\/v7$/, ''), credentials);
    const registryEnv = (overrides: Record<string, string>): Config['registry'] =>
      loadConfig({ ...baseEnv(), SCHEMA_REGISTRY_URL: `${front.url}/apis/ccompat/v7`, SCHEMA_REGISTRY_CA_FILE: broker.caFile, SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: `${credentials.user}:${credentials.password}`, ...overrides }).registry;
    const registry = registryEnv({});
    const catalog = loadCatalog().filter((t) => t.name === 'pos.sales');
    const codec = await EventCodec.create(createSchemaRegistry(registry), registry, catalog);
    const sale = exampleEvent('pos.sales', { storeId: 'S-TLS', terminalId: 'T1', skus: ['SKU-TLS'], occurredAt: Date.now() }) as unknown as SaleCompleted;
    // Decoded by the library client (its own HTTP stack, agent and auth), not by the codec.
    const decoded = await createSchemaRegistry(registry).decode(codec.encode('pos.sales', sale));
    expect((decoded as SaleCompleted).event_id).toBe(sale.event_id);
    expect(front.authorized()).toBeGreaterThanOrEqual(2);

    const schema = JSON.stringify(catalog[0]!.schema);
    const wrong = registryEnv({ SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: `${credentials.user}:not-the-password-2` });
    await expect(lookupSchema(wrong, 'pos.sales-value', schema)).rejects.toThrow(/refused the credentials \(HTTP 401\).*SCHEMA_REGISTRY_USER/);
    await expect(lookupSchema({ ...registry, caFile: undefined }, 'pos.sales-value', schema)).rejects.toThrow(/self-signed certificate|unable to verify/);
  }, 60_000);

  it('reach MinIO over HTTPS with MINIO_CA_FILE, and refuse it without', async () => {
    const front = await httpsFront(harness.objectStore.url);
    const config = loadConfig({ ...baseEnv(), MINIO_ENDPOINT: front.url, MINIO_CA_FILE: broker.caFile, MINIO_BUCKET: uniqueName('shelfstream-tls').toLowerCase() });
    const store = createObjectStore(config.objectStore);
    await store.makeBucket(config.objectStore.bucket);
    registerCleanup(() => dropBucket(config));
    await store.putObject(config.objectStore.bucket, 'raw/probe.txt', Buffer.from('shelf over TLS'));
    const chunks: Buffer[] = [];
    for await (const chunk of await store.getObject(config.objectStore.bucket, 'raw/probe.txt')) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('shelf over TLS');

    const untrusted = createObjectStore({ ...config.objectStore, caFile: undefined });
    await expect(untrusted.bucketExists(config.objectStore.bucket)).rejects.toThrow(/self-signed certificate|unable to verify/);
  }, 60_000);
});
