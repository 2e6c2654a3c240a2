/**
 * Every setting a user can change, in one place: the environment variable, its default (with
 * its unit), what it does, and how it is validated. `loadConfig` parses these once at start-up;
 * the README's configuration table and `.env.example` are generated from this list and checked
 * against it by a test, so the docs cannot drift from the code.
 */
import { z } from 'zod';

export type OptionGroup =
  | 'general'
  | 'kafka'
  | 'registry'
  | 'clickhouse'
  | 'objectstore'
  | 'topics'
  | 'streams'
  | 'ingest'
  | 'sql'
  | 'readapi'
  | 'web'
  | 'simulator'
  | 'forecast'
  | 'alerts'
  | 'launcher';

export interface OptionSpec<S extends z.ZodType = z.ZodType> {
  readonly group: OptionGroup;
  /** The default as a string, exactly as it would be written in the environment. `undefined`
   *  means "not set": the option is optional or derived from other options (see `derived`). */
  readonly default: string | undefined;
  /** How a derived default is computed, for the docs (e.g. `127.0.0.1:$KAFKA_PORT`). */
  readonly derived?: string;
  readonly doc: string;
  readonly schema: S;
  /** Secrets are never printed (`shelfstream config`, logs, error messages) and may instead be
   *  read from the file named by `<NAME>_FILE`, as container platforms mount them. */
  readonly secret?: boolean;
}

const port = z.coerce.number().int().min(1).max(65_535);
const positiveInt = z.coerce.number().int().positive();
const nonEmpty = z.string().trim().min(1);
const url = z.string().trim().url();
const identifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a ClickHouse identifier: letters, digits and _, not starting with a digit');
const isoDate = z.string().trim().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD');
/** A file path option: whether the file exists is checked by loadConfig, which names the variable. */
const filePath = nonEmpty;
const onOff = z.enum(['true', 'false']).transform((v) => v === 'true');
const currencyCode = z.string().trim().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 currency code such as EUR');
const commaList = z.string().transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0));
const brokerList = z
  .string()
  .trim()
  .min(1)
  .transform((s) => s.split(',').map((b) => b.trim()).filter((b) => b.length > 0))
  .pipe(z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'each broker must be host:port')).min(1));

function spec<S extends z.ZodType>(s: OptionSpec<S>): OptionSpec<S> {
  return s;
}

export const OPTIONS = {
  // ── general ────────────────────────────────────────────────────────────────────────────
  SHELFSTREAM_LOG_LEVEL: spec({
    group: 'general',
    default: 'info',
    doc: 'pino log level: fatal, error, warn, info, debug, trace or silent.',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  }),
  SHELFSTREAM_DATA_DIR: spec({
    group: 'general',
    default: '.data',
    doc: 'Where the native services and embedded ClickHouse keep their data and logs. Relative paths are resolved from the working directory.',
    schema: nonEmpty,
  }),
  SHELFSTREAM_CACHE_DIR: spec({
    group: 'general',
    default: '~/.cache/shelfstream',
    doc: 'Where downloaded and built services (Kafka jars, Apicurio, MinIO) are cached, outside the repository, so a second install is instant.',
    schema: nonEmpty,
  }),
  SHELFSTREAM_HTTP_HOST: spec({
    group: 'general',
    default: '127.0.0.1',
    doc: 'Interface the health, readiness and /metrics endpoint of each process listens on.',
    schema: nonEmpty,
  }),
  SHELFSTREAM_HTTP_PORT: spec({
    group: 'general',
    default: '9464',
    doc: 'Port of the health (/healthz), readiness (/readyz) and Prometheus (/metrics) endpoint; 0 picks a free port.',
    schema: z.coerce.number().int().min(0).max(65_535),
  }),

  // ── Kafka ──────────────────────────────────────────────────────────────────────────────
  KAFKA_BROKERS: spec({
    group: 'kafka',
    default: undefined,
    derived: '127.0.0.1:$KAFKA_PORT',
    doc: 'Comma-separated bootstrap brokers (host:port). Unset: the natively launched broker.',
    schema: brokerList,
  }),
  KAFKA_CLIENT_ID: spec({
    group: 'kafka',
    default: 'shelfstream',
    doc: 'Kafka client id prefix; each process appends its role.',
    schema: nonEmpty,
  }),
  KAFKA_CONNECT_TIMEOUT_MS: spec({
    group: 'kafka',
    default: '10000',
    doc: 'Milliseconds to wait for a broker connection before it counts as unreachable.',
    schema: positiveInt,
  }),

  KAFKA_SECURITY_PROTOCOL: spec({
    group: 'kafka',
    default: 'PLAINTEXT',
    doc: 'How clients talk to the brokers, as Kafka names it: PLAINTEXT, SSL (TLS), SASL_PLAINTEXT (SASL without TLS: credentials in clear) or SASL_SSL (SASL over TLS, what managed services use).',
    schema: z.enum(['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL']),
  }),
  KAFKA_SSL_CA_FILE: spec({
    group: 'kafka',
    default: undefined,
    doc: 'PEM file of the CA(s) that signed the brokers\' certificates (SSL, SASL_SSL). Unset: Node\'s public CA list, right for managed services with publicly signed certificates.',
    schema: filePath,
  }),
  KAFKA_SSL_CERT_FILE: spec({
    group: 'kafka',
    default: undefined,
    doc: 'PEM client certificate for mutual TLS; set with KAFKA_SSL_KEY_FILE.',
    schema: filePath,
  }),
  KAFKA_SSL_KEY_FILE: spec({
    group: 'kafka',
    default: undefined,
    doc: 'PEM private key of KAFKA_SSL_CERT_FILE (mutual TLS).',
    schema: filePath,
  }),
  KAFKA_SSL_KEY_PASSWORD: spec({
    group: 'kafka',
    default: undefined,
    doc: 'Passphrase of an encrypted KAFKA_SSL_KEY_FILE.',
    schema: z.string().min(1),
    secret: true,
  }),
  KAFKA_SSL_CHECK_HOSTNAME: spec({
    group: 'kafka',
    default: 'true',
    doc: 'true: a broker\'s certificate must name the host (or IP) the client connects to, as Java\'s ssl.endpoint.identification.algorithm=https. false only for a broker whose certificate cannot be fixed: the chain is still verified.',
    schema: onOff,
  }),
  KAFKA_SASL_MECHANISM: spec({
    group: 'kafka',
    default: undefined,
    doc: 'SASL mechanism (SASL_PLAINTEXT, SASL_SSL): PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER (token from KAFKA_SASL_OAUTHBEARER_TOKEN_FILE). Required with a SASL protocol. GSSAPI (Kerberos) and AWS_MSK_IAM are not supported.',
    schema: z.enum(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER']),
  }),
  KAFKA_SASL_USERNAME: spec({
    group: 'kafka',
    default: undefined,
    doc: 'SASL user (PLAIN, SCRAM); the API key on Confluent Cloud.',
    schema: z.string().min(1),
  }),
  KAFKA_SASL_PASSWORD: spec({
    group: 'kafka',
    default: undefined,
    doc: 'SASL password (PLAIN, SCRAM); the API secret on Confluent Cloud.',
    schema: z.string().min(1),
    secret: true,
  }),
  KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: spec({
    group: 'kafka',
    default: undefined,
    doc: 'File holding the OAUTHBEARER token (a JWT), read again at every authentication so a sidecar or the platform can refresh it. Required with KAFKA_SASL_MECHANISM=OAUTHBEARER.',
    schema: filePath,
  }),

  // ── schema registry ────────────────────────────────────────────────────────────────────
  SCHEMA_REGISTRY_URL: spec({
    group: 'registry',
    default: undefined,
    derived: 'http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7',
    doc: 'Base URL of the Confluent-compatible schema registry API (Apicurio: /apis/ccompat/v7; Confluent: the root).',
    schema: url,
  }),
  SCHEMA_REGISTRY_USER: spec({
    group: 'registry',
    default: undefined,
    doc: 'Basic-auth user of the schema registry (the API key on Confluent Cloud); set with SCHEMA_REGISTRY_PASSWORD.',
    schema: z.string().min(1),
  }),
  SCHEMA_REGISTRY_PASSWORD: spec({
    group: 'registry',
    default: undefined,
    doc: 'Basic-auth password of the schema registry (the API secret on Confluent Cloud).',
    schema: z.string().min(1),
    secret: true,
  }),
  SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: spec({
    group: 'registry',
    default: undefined,
    doc: 'Basic auth in Confluent\'s form, `user:password` (basic.auth.user.info); instead of SCHEMA_REGISTRY_USER and SCHEMA_REGISTRY_PASSWORD.',
    schema: z.string().regex(/^[^:]+:.+$/s, 'must be user:password'),
    secret: true,
  }),
  SCHEMA_REGISTRY_CA_FILE: spec({
    group: 'registry',
    default: undefined,
    doc: 'PEM file of the CA that signed an https schema registry\'s certificate, trusted besides the public CAs.',
    schema: filePath,
  }),

  // ── ClickHouse ─────────────────────────────────────────────────────────────────────────
  CLICKHOUSE_URL: spec({
    group: 'clickhouse',
    default: undefined,
    doc: 'URL of a ClickHouse server (http://host:8123). Unset: embedded ClickHouse (chDB) in-process, data under $SHELFSTREAM_DATA_DIR/clickhouse.',
    schema: url,
  }),
  CLICKHOUSE_CA_FILE: spec({
    group: 'clickhouse',
    default: undefined,
    doc: 'PEM file of the CA that signed an https ClickHouse server\'s certificate (server mode), trusted besides the public CAs.',
    schema: filePath,
  }),
  CLICKHOUSE_USER: spec({
    group: 'clickhouse',
    default: 'default',
    doc: 'ClickHouse user (server mode only).',
    schema: nonEmpty,
  }),
  CLICKHOUSE_PASSWORD: spec({
    group: 'clickhouse',
    default: '',
    doc: 'ClickHouse password (server mode only).',
    schema: z.string(),
    secret: true,
  }),
  CLICKHOUSE_DATABASE: spec({
    group: 'clickhouse',
    default: 'shelfstream',
    doc: 'Database holding every ShelfStream table and view.',
    schema: identifier,
  }),
  CLICKHOUSE_REQUEST_TIMEOUT_MS: spec({
    group: 'clickhouse',
    default: '30000',
    doc: 'Milliseconds before a ClickHouse request is abandoned and retried.',
    schema: positiveInt,
  }),
  CLICKHOUSE_TTL_FACT_DAYS: spec({
    group: 'clickhouse',
    default: '730',
    doc: 'Days of sale, return, void, inventory-movement and replenishment-order facts kept (TTL); `shelfstream init` applies a change to existing tables.',
    schema: positiveInt,
  }),
  CLICKHOUSE_TTL_VELOCITY_DAYS: spec({
    group: 'clickhouse',
    default: '400',
    doc: 'Days of per-minute sales velocity kept (TTL); applied by `shelfstream init`.',
    schema: positiveInt,
  }),
  CLICKHOUSE_TTL_ALERTS_DAYS: spec({
    group: 'clickhouse',
    default: '365',
    doc: 'Days of alerts kept (TTL); applied by `shelfstream init`.',
    schema: positiveInt,
  }),
  CLICKHOUSE_TTL_ROLLUP_DAYS: spec({
    group: 'clickhouse',
    default: '1095',
    doc: 'Days of the closed per-day and per-hour BI sales aggregates kept (TTL, three years); applied by `shelfstream init`.',
    schema: positiveInt,
  }),
  CLICKHOUSE_CALENDAR_FROM: spec({
    group: 'clickhouse',
    default: '2024-01-01',
    doc: 'First date `shelfstream init` writes to dim_date and the holiday calendars (YYYY-MM-DD; the holiday rules cover 2024-2030).',
    schema: isoDate,
  }),
  CLICKHOUSE_CALENDAR_TO: spec({
    group: 'clickhouse',
    default: '2030-12-31',
    doc: 'Last date `shelfstream init` writes to dim_date and the holiday calendars (YYYY-MM-DD).',
    schema: isoDate,
  }),
  REPORTING_CURRENCY: spec({
    group: 'clickhouse',
    default: 'EUR',
    doc: 'ISO 4217 currency of the reporting-currency columns of the BI views: amounts are converted at the rate of their business date from md.exchange-rates (the latest earlier rate when a day has none), at query time. `shelfstream init` writes it to ClickHouse (table reporting_currency).',
    schema: currencyCode,
  }),
  CLICKHOUSE_BI_CLOSING_INTERVAL_MS: spec({
    group: 'clickhouse',
    default: '60000', // one minute
    doc: 'How often (ms) `shelfstream run all` closes the business days that are over (and days touched by late events or replays) into the BI daily aggregates (services/bi-rollups). 0: never (the bi_* views then read every day from the facts).',
    schema: z.coerce.number().int().min(0),
  }),
  CLICKHOUSE_BI_USER: spec({
    group: 'clickhouse',
    default: undefined,
    doc: 'Read-only (readonly=2) ClickHouse user that `shelfstream init` creates for Metabase / Power BI, with row policies from CLICKHOUSE_BI_REGIONS and CLICKHOUSE_BI_STORES. Server mode only: embedded ClickHouse has no users. Unset: no BI user.',
    schema: identifier,
  }),
  CLICKHOUSE_BI_PASSWORD: spec({
    group: 'clickhouse',
    default: '',
    doc: 'Password of CLICKHOUSE_BI_USER (stored as a SHA-256 hash by ClickHouse). Required when CLICKHOUSE_BI_USER is set.',
    schema: z.string(),
    secret: true,
  }),
  CLICKHOUSE_BI_REGIONS: spec({
    group: 'clickhouse',
    default: '',
    doc: 'Comma-separated sales regions (dim_store.region) whose stores the BI user sees; with CLICKHOUSE_BI_STORES empty too, every store.',
    schema: commaList,
  }),
  CLICKHOUSE_BI_STORES: spec({
    group: 'clickhouse',
    default: '',
    doc: 'Comma-separated store ids the BI user sees, in addition to the stores of CLICKHOUSE_BI_REGIONS.',
    schema: commaList,
  }),

  // ── object store ───────────────────────────────────────────────────────────────────────
  MINIO_ENDPOINT: spec({
    group: 'objectstore',
    default: undefined,
    derived: 'http://127.0.0.1:$MINIO_PORT',
    doc: 'URL of the S3-compatible object store (MinIO).',
    schema: url,
  }),
  MINIO_CA_FILE: spec({
    group: 'objectstore',
    default: undefined,
    doc: 'PEM file of the CA that signed an https object store\'s certificate, trusted besides the public CAs.',
    schema: filePath,
  }),
  MINIO_ACCESS_KEY: spec({
    group: 'objectstore',
    default: 'shelfstream',
    doc: 'Object store access key; also the root user of the natively launched MinIO.',
    schema: z.string().min(3, 'MinIO needs an access key of at least 3 characters'),
  }),
  MINIO_SECRET_KEY: spec({
    group: 'objectstore',
    default: 'shelfstream-secret',
    doc: 'Object store secret key; also the root password of the natively launched MinIO.',
    schema: z.string().min(8, 'MinIO needs a secret key of at least 8 characters'),
    secret: true,
  }),
  MINIO_BUCKET: spec({
    group: 'objectstore',
    default: 'shelfstream',
    doc: 'Bucket for the raw Parquet archive and the model registry.',
    schema: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name'),
  }),
  ARCHIVE_MAX_ROLL_ROWS: spec({
    group: 'objectstore',
    default: '500000',
    doc: 'The archive closes a roll (one Parquet object per topic partition and hour) at this many records.',
    schema: positiveInt,
  }),
  ARCHIVE_MAX_ROLL_BYTES: spec({
    group: 'objectstore',
    default: '67108864',
    doc: 'The archive closes a roll when its raw records reach this many bytes (64 MiB): bounds its memory per partition.',
    schema: positiveInt,
  }),
  ARCHIVE_MAX_ROLL_AGE_MS: spec({
    group: 'objectstore',
    default: '60000',
    doc: 'The archive closes a roll this long after its first record (ms), so quiet topics reach the archive too; compaction merges the small objects later.',
    schema: positiveInt,
  }),

  // ── topics ─────────────────────────────────────────────────────────────────────────────
  TOPIC_PARTITIONS: spec({
    group: 'topics',
    default: '6',
    doc: 'Partitions of every event topic. All event topics share it so they stay co-partitioned by store_id.',
    schema: positiveInt,
  }),
  TOPIC_REPLICATION_FACTOR: spec({
    group: 'topics',
    default: '1',
    doc: 'Replication factor of created topics (1 on one broker, 3 in a cluster).',
    schema: positiveInt,
  }),
  TOPIC_RETENTION_HOURS: spec({
    group: 'topics',
    default: '168',
    doc: 'Hours an event topic keeps its records (168 = one week); the Parquet archive keeps them longer.',
    schema: positiveInt,
  }),
  DEAD_LETTER_RETENTION_HOURS: spec({
    group: 'topics',
    default: '720',
    doc: 'Hours the dead-letter topic keeps rejected records (720 = 30 days).',
    schema: positiveInt,
  }),

  // ── stream processors (streams/) ──────────────────────────────────────────────────────
  STREAM_FLUSH_INTERVAL_MS: spec({
    group: 'streams',
    default: '500',
    doc: 'Longest time a processor keeps rows in memory before writing them to ClickHouse and committing, in milliseconds; bounds event-to-visible latency.',
    schema: positiveInt,
  }),
  STREAM_MAX_BUFFERED_ROWS: spec({
    group: 'streams',
    default: '100000',
    doc: 'Rows a processor buffers before it writes them, whatever the time.',
    schema: positiveInt,
  }),
  STREAM_MAX_OUT_OF_ORDER_MS: spec({
    group: 'streams',
    default: '5000',
    doc: 'How far behind the newest event of a partition an event may be and still count as in order (watermark = newest event time minus this), in milliseconds.',
    schema: z.coerce.number().int().min(0),
  }),
  STREAM_ALLOWED_LATENESS_MS: spec({
    group: 'streams',
    default: '60000',
    doc: 'How long after the watermark passes a window the window still accepts events, in milliseconds; later events are sidelined to the dead-letter topic (LATE_EVENT) and counted in late_events_total.',
    schema: z.coerce.number().int().min(0),
  }),
  STREAM_EVENT_ID_HORIZON_MS: spec({
    group: 'streams',
    default: '600000', // 10 minutes of event time
    doc: 'How long, in milliseconds of event time, the processors that aggregate (velocity) remember an event_id to drop a repeat of it (a terminal retrying a request ingest answered 503 for). Costs about 150 bytes of memory per event held per partition and, measured on the velocity benchmark, about 4-5 us of CPU per event; 0 turns the guard off.',
    schema: z.coerce.number().int().min(0),
  }),
  STREAM_YIELD_AFTER_MS: spec({
    group: 'streams',
    default: '0', // milliseconds; 0: off
    doc: 'Longest a processor decodes and applies the records of one fetched batch before it lets other work on its event loop run (the other processors of the process, and the metrics endpoint with `shelfstream stream`; in `run all` and `demo` the processors run in a worker thread of their own, so the SQL endpoint, the web app and the read API do not wait for a batch), in milliseconds: a batch of a partition that fell behind holds tens of thousands of records and runs for hundreds of ms. 0: a batch runs in one go (the default: on `make bench BENCH=web` of 2026-12-06, 5 ms gave the read API a p99 of 392 ms against 267 ms at 0, in the same run).',
    schema: z.coerce.number().int().min(0),
  }),
  STREAM_SESSION_TIMEOUT_MS: spec({
    group: 'streams',
    default: '30000',
    doc: 'Consumer group session timeout, in milliseconds: how long a dead processor keeps its partitions before the group gives them to another (the broker allows 6000 and up).',
    schema: z.coerce.number().int().min(1_000),
  }),
  STREAM_REBALANCE_TIMEOUT_MS: spec({
    group: 'streams',
    default: '5000',
    doc: 'Consumer group rebalance timeout, in milliseconds: how long the group waits for its members to rejoin when one joins or leaves. A processor restarted after a crash joins again at once, and the group then waits this long (not the session timeout) for the dead member; a live member that takes longer to finish its batch rejoins as a new member.',
    schema: z.coerce.number().int().min(1_000),
  }),
  DEAD_LETTER_TOPIC: spec({
    group: 'streams',
    default: 'shelfstream.dead-letter',
    doc: 'Topic receiving records no processor could decode, that broke the contract, or that came too late, with the reason in headers.',
    schema: nonEmpty,
  }),

  // ── HTTP ingest (services/ingest) ─────────────────────────────────────────────────────
  INGEST_HOST: spec({
    group: 'ingest',
    default: '127.0.0.1',
    doc: 'Interface the HTTP ingest service listens on (0.0.0.0 to accept terminals on the network).',
    schema: nonEmpty,
  }),
  INGEST_PORT: spec({
    group: 'ingest',
    default: '8088',
    doc: 'Port of the HTTP ingest service.',
    schema: z.coerce.number().int().min(0).max(65_535),
  }),
  INGEST_MAX_BODY_BYTES: spec({
    group: 'ingest',
    default: '1048576',
    doc: 'Largest request body accepted, in bytes (1 MiB); larger requests get 413.',
    schema: positiveInt,
  }),
  INGEST_MAX_EVENTS_PER_REQUEST: spec({
    group: 'ingest',
    default: '1000',
    doc: 'Most events accepted in one request; more gets 413.',
    schema: positiveInt,
  }),
  INGEST_RATE_LIMIT_EVENTS_PER_S: spec({
    group: 'ingest',
    default: '5000',
    doc: 'Sustained events per second accepted per API key (token bucket, burst of two seconds); over it requests get 429 with Retry-After.',
    schema: positiveInt,
  }),
  INGEST_API_KEYS_FILE: spec({
    group: 'ingest',
    default: undefined,
    derived: '$SHELFSTREAM_DATA_DIR/ingest/api-keys.json',
    doc: 'File holding the terminals\' API keys, hashed (SHA-256); managed with `shelfstream ingest keys`.',
    schema: nonEmpty,
  }),
  INGEST_DEDUP_WINDOW: spec({
    group: 'ingest',
    default: '200000',
    doc: 'How many recent event_ids ingest remembers, so a retried event is acknowledged again without being produced twice.',
    schema: positiveInt,
  }),
  INGEST_SHUTDOWN_GRACE_MS: spec({
    group: 'ingest',
    default: '10000',
    doc: 'Milliseconds a stopping ingest service waits for in-flight requests before it closes.',
    schema: positiveInt,
  }),

  // ── SQL endpoint (services/sql): ClickHouse's HTTP interface over embedded ClickHouse ──
  SQL_ENDPOINT: spec({
    group: 'sql',
    default: 'on',
    doc: '`shelfstream run all` and `demo` serve ClickHouse\'s HTTP interface over embedded ClickHouse, so BI tools connect as to a server. off: nothing is served. Never served when CLICKHOUSE_URL points at a server (that server is the endpoint).',
    schema: z.enum(['on', 'off']),
  }),
  SQL_ENDPOINT_HOST: spec({
    group: 'sql',
    default: '127.0.0.1',
    doc: 'Interface the SQL endpoint listens on. Beyond loopback it needs SQL_ENDPOINT_TLS_CERT_FILE and SQL_ENDPOINT_TLS_KEY_FILE, or SQL_ENDPOINT_ALLOW_PLAINTEXT=on.',
    schema: nonEmpty,
  }),
  SQL_ENDPOINT_PORT: spec({
    group: 'sql',
    default: '8123',
    doc: 'Port of the SQL endpoint (ClickHouse\'s own HTTP port, so tools\' defaults work); 0 picks a free port.',
    schema: z.coerce.number().int().min(0).max(65_535),
  }),
  SQL_ENDPOINT_TLS_CERT_FILE: spec({
    group: 'sql',
    default: undefined,
    doc: 'PEM certificate chain: with SQL_ENDPOINT_TLS_KEY_FILE the endpoint serves HTTPS only.',
    schema: nonEmpty,
  }),
  SQL_ENDPOINT_TLS_KEY_FILE: spec({
    group: 'sql',
    default: undefined,
    doc: 'PEM private key of SQL_ENDPOINT_TLS_CERT_FILE.',
    schema: nonEmpty,
  }),
  SQL_ENDPOINT_ALLOW_PLAINTEXT: spec({
    group: 'sql',
    default: 'off',
    doc: 'on: allow plain HTTP on an interface beyond loopback (passwords and results then cross the network readable). off: such a bind is refused at start.',
    schema: z.enum(['on', 'off']),
  }),
  SQL_ENDPOINT_MAX_BODY_BYTES: spec({
    group: 'sql',
    default: '10485760',
    doc: 'Largest request body (query text plus any inserted data) in bytes (10 MiB), after decompression; larger requests get 413.',
    schema: positiveInt,
  }),
  SQL_ENDPOINT_MAX_RESULT_BYTES: spec({
    group: 'sql',
    default: '268435456',
    doc: 'Largest result the endpoint sends, in bytes (256 MiB): a result is buffered whole before its status line, so a larger one is refused (TOO_MANY_ROWS_OR_BYTES) rather than sent.',
    schema: positiveInt,
  }),
  SQL_ENDPOINT_SESSION_TIMEOUT_S: spec({
    group: 'sql',
    default: '60',
    doc: 'Seconds a session (session_id) is kept idle when the client sends no session_timeout, as ClickHouse\'s default_session_timeout.',
    schema: positiveInt,
  }),
  SQL_ENDPOINT_MAX_SESSION_TIMEOUT_S: spec({
    group: 'sql',
    default: '3600',
    doc: 'Longest session_timeout a client may ask for, in seconds (one hour), as ClickHouse\'s max_session_timeout; a longer one is refused.',
    schema: positiveInt,
  }),

  // the executor behind it (services/sql/executor.ts): BI queries on the shared engine
  SQL_POOL_SIZE: spec({
    group: 'sql',
    default: '2',
    doc: 'BI queries the embedded engine runs at once (each on a chDB connection of its own). Kept below libuv\'s 4 threads, which the processors\' inserts also need; more queries wait in the queue.',
    schema: positiveInt,
  }),
  SQL_QUEUE_LENGTH: spec({
    group: 'sql',
    default: '32',
    doc: 'BI queries that may wait for a free connection; one more is refused at once with a 503 (TOO_MANY_SIMULTANEOUS_QUERIES).',
    schema: z.coerce.number().int().min(0),
  }),
  SQL_MAX_EXECUTION_TIME_S: spec({
    group: 'sql',
    default: '30',
    doc: 'max_execution_time of a BI query, in seconds (the engine stops it: a running chDB query cannot be cancelled from outside); a user\'s own limit overrides it.',
    schema: positiveInt,
  }),
  SQL_MAX_MEMORY_BYTES: spec({
    group: 'sql',
    default: '1073741824',
    doc: 'max_memory_usage of a BI query, in bytes (1 GiB); a user\'s own limit overrides it.',
    schema: positiveInt,
  }),
  SQL_MAX_RESULT_ROWS: spec({
    group: 'sql',
    default: '1000000',
    doc: 'Rows a BI query may return (max_result_rows, result_overflow_mode=throw: a larger result is an error, not a truncated one); a user\'s own limit overrides it.',
    schema: positiveInt,
  }),
  SQL_MAX_RESULT_BYTES: spec({
    group: 'sql',
    default: '268435456',
    doc: 'Bytes a BI query may return, in bytes (256 MiB, as the engine counts them uncompressed): the result is buffered before the status line is sent, so it is capped; a user\'s own limit overrides it.',
    schema: positiveInt,
  }),
  SQL_MAX_THREADS: spec({
    group: 'sql',
    default: '2',
    doc: 'Engine threads one BI query may use (max_threads), so BI queries leave cores to the stream processors.',
    schema: positiveInt,
  }),
  SQL_THREAD_NICE: spec({
    group: 'sql',
    default: '19',
    doc: 'Linux nice value (ClickHouse `os_thread_priority`, 0 to 19, higher yields more) of the engine threads running the web dashboards\' queries on embedded ClickHouse (BI tools\' queries through the SQL endpoint: SQL_ENDPOINT_THREAD_NICE): on a busy machine those threads otherwise take the cores from the Node event loop, whose stalls (100-700 ms on the web-priority bench) were the read API\'s p99. Applied only where the process may renice (CAP_SYS_NICE, root); 0: unchanged. A BI user may not change it.',
    schema: z.coerce.number().int().min(0).max(19),
  }),
  SQL_ENDPOINT_THREAD_NICE: spec({
    group: 'sql',
    default: '-10',
    doc: 'Linux nice value (ClickHouse `os_thread_priority`, -20 to 19, lower goes first) of the engine threads running the queries BI tools send to the SQL endpoint, within SQL_ENDPOINT_PRIORITY_SHARE; SQL_THREAD_NICE applies to the web dashboards\' own queries. Below 0 a dashboard query goes ahead of the stream processors\' thread for the cores: on `make bench BENCH=bi-query` of 2026-12-07 on a quiet machine (2 cores, 8 clients beside the velocity processor, alternately) p95 75, 76 and 76 ms at -10 against 82, 82 and 86 at 0, the processor\'s rate ratio 0.84-1.08 against 0.94-1.00. Not above 0: a reniced BI query loses the cores to any busy thread ("revenue by region and day" 698 ms at 19 against 165 at 0 beside one busy process; endpoint overhead at one client 1.07 at 19). Applied only where the process may renice (CAP_SYS_NICE, root; ClickHouse ignores the setting otherwise, and ShelfStream says so at start). A BI user may not change it.',
    schema: z.coerce.number().int().min(-20).max(19),
  }),
  SQL_ENDPOINT_PRIORITY_SHARE: spec({
    group: 'sql',
    default: '0.5',
    doc: 'Budget of the raised priority (SQL_ENDPOINT_THREAD_NICE below 0): BI queries run raised while the raised ones ran at most this many query-seconds per second over the last 10 s (0.5: half a query at a time on average, at most SQL_MAX_THREADS engine threads each); beyond it the next run at nice 0 until the load falls back, so BI clients that keep the pool busy cannot take the cores from the stream processors. 0 never raises.',
    schema: z.coerce.number().min(0).max(64),
  }),
  SQL_USERS_FILE: spec({
    group: 'sql',
    default: undefined,
    derived: '$SHELFSTREAM_DATA_DIR/sql/bi-users.json',
    doc: 'File holding the BI users (scrypt password hashes, scopes, limits; mode 0600); managed with `shelfstream bi-users`.',
    schema: nonEmpty,
  }),
  // ── read API for store systems (services/read-api) ──────────────────────────────────
  READ_API_HOST: spec({
    group: 'readapi',
    default: '127.0.0.1',
    doc: 'Interface the read API (forecasts, reorder advice, at-risk list, alerts, insights per store) listens on (0.0.0.0 for store systems on the network).',
    schema: nonEmpty,
  }),
  READ_API_PORT: spec({
    group: 'readapi',
    default: '8090',
    doc: 'Port of the read API; distinct from INGEST_PORT and SHELFSTREAM_HTTP_PORT. 0 picks a free port. It accepts the ingest API keys (INGEST_API_KEYS_FILE): a terminal key reads its own store, a back-office key every store.',
    schema: z.coerce.number().int().min(0).max(65_535),
  }),
  READ_API_MAX_PAGE_SIZE: spec({
    group: 'readapi',
    default: '500',
    doc: 'Largest `limit` (rows per page) the read API accepts; a larger one gets 400.',
    schema: positiveInt,
  }),

  READ_API_CACHE_MS: spec({
    group: 'readapi',
    default: '1000',
    doc: 'Milliseconds an answer of the read API is shared by identical requests (same route, store and parameters), which also wait for one query instead of each running its own; 0 queries every request. Embedded ClickHouse runs one query at a time.',
    schema: z.coerce.number().int().min(0),
  }),
  READ_API_THREAD_NICE: spec({
    group: 'readapi',
    default: '-10', // Linux nice value; 0: unchanged
    doc: 'Linux nice value (-20 to 19, lower goes first) of the thread that serves the read API (a worker thread in `run all`, `demo` and `serve read-api`): on a busy machine a cached answer waits for a core behind the processors, and the thread takes little CPU (a cached answer is a string write). On `make bench BENCH=web` of 2026-12-07 (2 cores, load 14-30) -10 gave a p99 of 148 and 258 ms against 1,654 and 605 ms at 0, in the same runs. Negative values need CAP_SYS_NICE (root, or the capability granted to the service); where refused the thread keeps its priority and says so in the log. 0: unchanged.',
    schema: z.coerce.number().int().min(-20).max(19),
  }),
  READ_API_THREAD_RT_PRIORITY: spec({
    group: 'readapi',
    default: '1', // Linux real-time priority (1-99); 0: the ordinary scheduler
    doc: 'Real-time priority (SCHED_RR, 1-99) of the thread that serves the read API; 0 leaves it under the ordinary scheduler, where only READ_API_THREAD_NICE applies. Needed where the kernel groups threads by session (sched_autogroup_enabled=1): nice then only ranks threads inside the API\'s own session, and the processors and other sessions\' threads still go first. A real-time thread goes ahead of every ordinary one. Safe because the thread takes little CPU (68-88 ms per second at 200 requests/s on the web bench) and the kernel caps real-time threads at sched_rt_runtime_us of every sched_rt_period_us (95% of each core by default; one thread holds one core at most); set with SCHED_RESET_ON_FORK, so nothing the thread starts inherits it. On `make bench BENCH=web` of 2026-12-07 with nothing else running (2 cores, the processors at 10k events/s) 1 gave a p99 of 2.2 and 5.6 ms against 60.9 and 50.1 ms under the ordinary scheduler at nice -10, in the same runs; at load 23-34 from other work, 122, 91, 75 and 347 ms against 910, 236, 1,815 and 1,014 ms. Needs CAP_SYS_NICE (root, or the capability granted to the service) and util-linux `chrt`; where refused the thread keeps its place and says so in the log.',
    schema: z.coerce.number().int().min(0).max(99),
  }),

  // ── web dashboards (services/web) ──────────────────────────────────────────────────────
  WEB_HOST: spec({
    group: 'web',
    default: '127.0.0.1',
    doc: 'Interface the web dashboards (executive, store manager, inventory analyst, ML performance) listen on; BI users sign in with their SQL endpoint credentials.',
    schema: nonEmpty,
  }),
  WEB_PORT: spec({
    group: 'web',
    default: '8087',
    doc: 'Port of the web dashboards; distinct from the other listeners. 0 picks a free port.',
    schema: z.coerce.number().int().min(0).max(65_535),
  }),
  WEB_LIVE_INTERVAL_MS: spec({
    group: 'web',
    default: '2000',
    doc: 'Milliseconds between two checks for new data behind an open dashboard; a change is pushed to the page (server-sent events), which then redraws.',
    schema: positiveInt,
  }),
  WEB_CACHE_TTL_MS: spec({
    group: 'web',
    default: '30000',
    doc: 'Milliseconds a dashboard answer is shared by the same user\'s identical requests (same dashboard and filters) while the data behind it is unchanged (row counts of the tables the processors and jobs write); new data is shown at once, a change those counts miss (master data, rates) within this time. 0: every page load reads the engine.',
    schema: z.coerce.number().int().min(0),
  }),
  WEB_SESSION_TTL_S: spec({
    group: 'web',
    default: '28800',
    doc: 'Seconds a web sign-in lasts without use (default eight hours); the session lives in the serving process only, so a restart signs everyone out.',
    schema: positiveInt,
  }),

  // ── demand forecasts (services/forecast) ──────────────────────────────────────────────
  FORECAST_SCHEDULE: spec({
    group: 'forecast',
    default: 'on',
    doc: '`shelfstream run all` runs the forecast jobs on a schedule: predict every day, train once a week (before that day\'s predict). off: only on request (`shelfstream forecast ...`).',
    schema: z.enum(['on', 'off']),
  }),
  FORECAST_PREDICT_AT_UTC: spec({
    group: 'forecast',
    default: '02:00',
    doc: 'Time of day (UTC, HH:MM) of the daily predict; it forecasts the 7 days after the previous UTC date, so run it once the day\'s sales are in.',
    schema: z.string().trim().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day as HH:MM (00:00 to 23:59)'),
  }),
  FORECAST_TRAIN_WEEKDAY: spec({
    group: 'forecast',
    default: 'sunday',
    doc: 'Day of the week (UTC) whose scheduled run trains a new model (backtest, retrain on all data, promote unless worse) before predicting.',
    schema: z.enum(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday']),
  }),
  FORECAST_TRAIN_HISTORY_DAYS: spec({
    group: 'forecast',
    default: '365',
    doc: 'Days of history the scheduled training reads (the last 4 weeks of them are its backtest).',
    schema: z.coerce.number().int().min(70, 'needs at least 70 days: 35 of features and training before a 4-week backtest').max(1_095),
  }),
  MODEL_DRIFT_PSI_THRESHOLD: spec({
    group: 'forecast',
    default: '0.25',
    doc: 'Population stability index of a category\'s forecast errors (recent weeks against the weeks before) above which the drift check raises MODEL_DRIFT. 0.1-0.25 is conventionally a moderate shift, above 0.25 a major one.',
    schema: z.coerce.number().gt(0).max(10),
  }),
  MODEL_DRIFT_MIN_STEP: spec({
    group: 'forecast',
    default: '0.15',
    doc: 'Least move (relative, 0.15 = 15%) of the median of a category\'s sales over its forecast against the rest of its store, recent weeks against the weeks before, for the drift check to raise MODEL_DRIFT (with the PSIs above the threshold and the forecast further from the sales than before). The seasons moved it by up to 12% on the forecast-drift bench\'s tuning seeds, a 40% step of demand by 22-28%.',
    schema: z.coerce.number().min(0).max(10),
  }),
  MODEL_DRIFT_RECENT_DAYS: spec({
    group: 'forecast',
    default: '14',
    doc: 'Days (business dates up to the predict origin) whose forecast errors the drift check compares with the reference window.',
    schema: z.coerce.number().int().min(7, 'needs at least a week: errors follow the weekday').max(91),
  }),
  MODEL_DRIFT_REFERENCE_DAYS: spec({
    group: 'forecast',
    default: '56',
    doc: 'Days before the recent window that the drift check takes as the reference (what the weekly-retrained model learned from).',
    schema: z.coerce.number().int().min(14).max(365),
  }),

  // ── alert delivery (services/alerts) ──────────────────────────────────────────────────
  ALERTS_SECRET_KEY: spec({
    group: 'alerts',
    default: undefined,
    doc: 'Key (32 bytes in base64: `openssl rand -base64 32`) sealing subscription URLs and signing secrets with AES-256-GCM in the subscriptions topic. Every instance needs the same key. Unset: read from ALERTS_SECRET_KEY_FILE.',
    schema: z.string().trim().regex(/^[A-Za-z0-9+/]{43}=$/, 'must be 32 bytes in base64 (openssl rand -base64 32)'),
    secret: true,
  }),
  ALERTS_SECRET_KEY_FILE: spec({
    group: 'alerts',
    default: undefined,
    derived: '$SHELFSTREAM_DATA_DIR/alerts/secret.key',
    doc: 'File holding the key when ALERTS_SECRET_KEY is unset. The default file is created (mode 0600) with a random key if missing, for a single machine; a file named here must exist (read as any `<NAME>_FILE` secret), as a cluster shares one key.',
    schema: nonEmpty,
  }),
  ALERTS_SUBSCRIPTIONS_TOPIC: spec({
    group: 'alerts',
    default: 'shelfstream.alert-subscriptions',
    doc: 'Compacted topic holding the alert subscriptions (JSON, one record per subscription), shared by every instance; another name keeps a second set apart (tests, a staging chain on the same cluster).',
    schema: nonEmpty,
  }),
  ALERTS_ALLOWED_HOSTS: spec({
    group: 'alerts',
    default: '',
    doc: 'Comma-separated webhook hosts (names or addresses) allowed over plain http:// and on loopback, private or link-local addresses. Empty: https only, public addresses only (checked on the address connected to).',
    schema: commaList.transform((hosts) => hosts.map((h) => h.replace(/^\[|\]$/g, '').toLowerCase())),
  }),
  ALERTS_DELIVERY_TIMEOUT_MS: spec({
    group: 'alerts',
    default: '15000',
    doc: 'Milliseconds a webhook attempt may take (connect, send, answer) before it counts as failed and is retried; Standard Webhooks asks 15-30 s.',
    schema: z.coerce.number().int().min(1_000).max(30_000),
  }),
  ALERTS_RETRY_SCHEDULE_MS: spec({
    group: 'alerts',
    default: '0,5000,300000,1800000,7200000,18000000,36000000,36000000',
    doc: 'Comma-separated milliseconds to wait before each attempt of a webhook message (the first is the first attempt; their count is the number of attempts before the message is dead-lettered), each with +-20 % jitter. Default: the Svix schedule (at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, about 27 h in all). A shorter one suits a demo or a test; a message waiting for a retry is kept in the snapshot whatever the schedule.',
    schema: commaList.transform((waits) => waits.map(Number)).pipe(
      z
        .array(z.number().int('each wait must be whole milliseconds').min(0, 'a wait cannot be negative').max(86_400_000, 'a wait longer than a day (86400000 ms) is refused'))
        .min(1, 'needs at least one attempt')
        .max(20, 'at most 20 attempts'),
    ),
  }),
  ALERTS_CIRCUIT_OPEN_MS: spec({
    group: 'alerts',
    default: '30000',
    doc: 'Milliseconds an endpoint\'s circuit stays open after 5 failed attempts in a row before one probe is sent; each failed probe doubles it, up to 20 times this value (10 min by default). Messages waiting for an open circuit spend none of their attempts.',
    schema: z.coerce.number().int().min(100).max(3_600_000),
  }),
  ALERTS_ENDPOINT_CONCURRENCY: spec({
    group: 'alerts',
    default: '4',
    doc: 'Requests in flight at once to one subscription endpoint; more wait their turn.',
    schema: positiveInt,
  }),
  ALERTS_API_TOKEN: spec({
    group: 'alerts',
    default: undefined,
    doc: 'Bearer token of the subscriptions HTTP API (`Authorization: Bearer <token>`). Unset: the API is not started.',
    schema: z.string().min(24, 'must be at least 24 characters'),
    secret: true,
  }),
  ALERTS_API_PORT: spec({
    group: 'alerts',
    default: '8091',
    doc: 'Port of the subscriptions HTTP API (on SHELFSTREAM_HTTP_HOST); 0 picks a free port.',
    schema: z.coerce.number().int().min(0).max(65_535),
  }),

  // ── POS simulator (simulators/) ───────────────────────────────────────────────────────
  SIMULATOR_OUTPUT_DIR: spec({
    group: 'simulator',
    default: undefined,
    derived: '$SHELFSTREAM_DATA_DIR/simulator',
    doc: 'Where the simulator writes its ground truth (true demand, stock-out intervals, anomaly labels).',
    schema: nonEmpty,
  }),

  // ── native launcher (machines without Docker) ─────────────────────────────────────────
  KAFKA_PORT: spec({
    group: 'launcher',
    default: '9092',
    doc: 'Client port of the natively launched Kafka broker (loopback).',
    schema: port,
  }),
  KAFKA_CONTROLLER_PORT: spec({
    group: 'launcher',
    default: '9093',
    doc: 'KRaft controller port of the natively launched broker (loopback).',
    schema: port,
  }),
  KAFKA_NATIVE_SASL_SSL_PORT: spec({
    group: 'launcher',
    default: undefined,
    doc: 'When set, the natively launched broker also listens for SASL_SSL (SCRAM-SHA-256 and SCRAM-SHA-512) on this loopback port, beside PLAINTEXT, with a CA and broker certificate (127.0.0.1, localhost) generated into $SHELFSTREAM_DATA_DIR/kafka/tls and the SCRAM user KAFKA_NATIVE_SASL_USERNAME. Unset: plaintext only.',
    schema: port,
  }),
  KAFKA_NATIVE_SASL_USERNAME: spec({
    group: 'launcher',
    default: 'shelfstream',
    doc: 'SCRAM user the natively launched broker is formatted with when KAFKA_NATIVE_SASL_SSL_PORT is set.',
    schema: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'must be letters, digits, _, . or -'),
  }),
  KAFKA_NATIVE_SASL_PASSWORD: spec({
    group: 'launcher',
    default: 'shelfstream-secret',
    doc: 'Password of KAFKA_NATIVE_SASL_USERNAME (SCRAM-SHA-256 and SCRAM-SHA-512).',
    // Written into kafka-storage's --add-scram argument, whose syntax reserves , = [ ] and quotes.
    schema: z.string().min(8, 'needs at least 8 characters').regex(/^[A-Za-z0-9_.~+/-]+$/, 'must be letters, digits and _ . ~ + / - only'),
    secret: true,
  }),
  KAFKA_HEAP_MB: spec({
    group: 'launcher',
    default: '512',
    doc: 'Java heap of the natively launched Kafka broker, in MiB.',
    schema: positiveInt,
  }),
  KAFKA_VERSION: spec({
    group: 'launcher',
    default: '4.1.1',
    doc: 'Apache Kafka version resolved from Maven Central (org.apache.kafka:kafka_2.13).',
    schema: z.string().regex(/^4\.\d+\.\d+$/, 'must be a Kafka 4.x version such as 4.1.1'),
  }),
  REGISTRY_PORT: spec({
    group: 'launcher',
    default: '8081',
    doc: 'Port of the natively launched Apicurio schema registry (loopback).',
    schema: port,
  }),
  REGISTRY_HEAP_MB: spec({
    group: 'launcher',
    default: '384',
    doc: 'Java heap of the natively launched schema registry, in MiB.',
    schema: positiveInt,
  }),
  APICURIO_VERSION: spec({
    group: 'launcher',
    default: '2.6.13.Final',
    doc: 'Apicurio Registry version from Maven Central (io.apicurio:apicurio-registry-app, classifier all). 3.x needs Java 21.',
    schema: nonEmpty,
  }),
  MINIO_PORT: spec({
    group: 'launcher',
    default: '9000',
    doc: 'S3 API port of the natively launched MinIO (loopback).',
    schema: port,
  }),
  MINIO_CONSOLE_PORT: spec({
    group: 'launcher',
    default: '9001',
    doc: 'Web console port of the natively launched MinIO (loopback).',
    schema: port,
  }),
  MINIO_MEMORY_MB: spec({
    group: 'launcher',
    default: '512',
    doc: 'Soft memory limit of the natively launched MinIO (GOMEMLIMIT), in MiB.',
    schema: positiveInt,
  }),
  MINIO_MODULE_VERSION: spec({
    group: 'launcher',
    default: 'latest',
    doc: 'Version of github.com/minio/minio built with `go install` through the Go module proxy.',
    schema: nonEmpty,
  }),
  SERVICE_START_TIMEOUT_S: spec({
    group: 'launcher',
    default: '120',
    doc: 'Seconds `shelfstream up` waits for a service to become healthy before it gives up.',
    schema: positiveInt,
  }),
} as const;

export type OptionName = keyof typeof OPTIONS;
export type OptionValues = {
  -readonly [K in OptionName]: z.output<(typeof OPTIONS)[K]['schema']> | undefined;
};
