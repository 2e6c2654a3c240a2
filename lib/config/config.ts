/**
 * The one typed configuration object. Raw environment strings are validated against
 * `OPTIONS` once, at start-up, then resolved into a frozen, nested object that the rest of the
 * code receives as an argument. Nothing below the entry points reads `process.env`.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { ShelfStreamError } from '../errors';
import { OPTIONS, type OptionName, type OptionValues } from './options';
import { kafkaSaslFrom, kafkaTlsFrom, registryAuthFrom, securityProblems, unreadableFiles } from './security';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export type KafkaSecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';

/** TLS towards the brokers. Files are paths (read when a client is built), so neither the key
 *  nor a certificate is ever part of a printed configuration. */
export interface KafkaTlsConfig {
  /** Unset: Node's public CA list. */
  readonly caFile: string | undefined;
  readonly certFile: string | undefined;
  readonly keyFile: string | undefined;
  readonly keyPassword: string | undefined;
  readonly checkHostname: boolean;
}

export type KafkaSaslConfig =
  | { readonly mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; readonly username: string; readonly password: string }
  | { readonly mechanism: 'OAUTHBEARER'; readonly tokenFile: string };

export interface KafkaConfig {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly connectTimeoutMs: number;
  readonly securityProtocol: KafkaSecurityProtocol;
  /** Set for SSL and SASL_SSL. */
  readonly tls: KafkaTlsConfig | undefined;
  /** Set for SASL_PLAINTEXT and SASL_SSL. */
  readonly sasl: KafkaSaslConfig | undefined;
}

export interface RegistryConfig {
  readonly url: string;
  readonly auth: { readonly username: string; readonly password: string } | undefined;
  /** Extra CA trusted for an https registry. */
  readonly caFile: string | undefined;
}

export type ClickHouseConfig =
  | {
      readonly mode: 'embedded';
      /** chDB session path: one engine per process owns it. */
      readonly dataDir: string;
      readonly database: string;
      readonly requestTimeoutMs: number;
    }
  | {
      readonly mode: 'server';
      readonly url: string;
      readonly user: string;
      readonly password: string;
      readonly database: string;
      readonly requestTimeoutMs: number;
      /** Extra CA trusted for an https server. */
      readonly caFile: string | undefined;
    };

/** Days each kind of table keeps its rows (ClickHouse TTL), applied by `shelfstream init`. */
export interface RetentionConfig {
  readonly factDays: number;
  readonly velocityDays: number;
  readonly alertsDays: number;
  readonly rollupDays: number;
}

/** The read-only BI user and the stores its row policies let it see (server mode only). */
export interface BiAccessConfig {
  readonly user: string;
  readonly password: string;
  /** Empty together with `stores`: every store. */
  readonly regions: readonly string[];
  readonly stores: readonly string[];
}

/** The BI side of the ClickHouse model: retention, the date dimension's range, the BI user. */
export interface ClickHouseModelConfig {
  readonly retention: RetentionConfig;
  /** dim_date / dim_holiday range, YYYY-MM-DD inclusive. */
  readonly calendar: { readonly from: string; readonly to: string };
  /** ISO 4217 code the BI views convert money to (REPORTING_CURRENCY). */
  readonly reportingCurrency: string;
  /** How often `run all` closes business days into the BI aggregates (ms); 0: never. */
  readonly closingIntervalMs: number;
  readonly bi: BiAccessConfig | undefined;
}

export interface ObjectStoreConfig {
  readonly endPoint: string;
  readonly port: number;
  readonly useSSL: boolean;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly bucket: string;
  /** Extra CA trusted for an https endpoint. */
  readonly caFile: string | undefined;
  /** The endpoint as a URL, for logs and health checks. */
  readonly url: string;
}

export interface TopicsConfig {
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly retentionMs: number;
  readonly deadLetterRetentionMs: number;
}

export interface LauncherConfig {
  readonly cacheDir: string;
  readonly dataDir: string;
  readonly startTimeoutMs: number;
  readonly kafka: {
    readonly version: string;
    readonly port: number;
    readonly controllerPort: number;
    readonly heapMb: number;
    /** A SASL_SSL listener beside PLAINTEXT, for testing the secured path; undefined: none. */
    readonly saslSsl: { readonly port: number; readonly username: string; readonly password: string } | undefined;
  };
  readonly registry: {
    readonly apicurioVersion: string;
    readonly port: number;
    readonly heapMb: number;
  };
  readonly minio: {
    readonly moduleVersion: string;
    readonly port: number;
    readonly consolePort: number;
    readonly memoryMb: number;
  };
}

export interface StreamsConfig {
  readonly flushIntervalMs: number;
  readonly maxBufferedRows: number;
  readonly maxOutOfOrderMs: number;
  readonly allowedLatenessMs: number;
  /** Event time an event_id is remembered for, to drop a repeat (ms). */
  readonly eventIdHorizonMs: number;
  /** Longest stretch of one batch's records before the event loop is yielded (ms); 0: never. */
  readonly yieldAfterMs: number;
  readonly sessionTimeoutMs: number;
  /** How long a rebalance waits for members to rejoin (ms): bounds a restart's wait for its dead predecessor. */
  readonly rebalanceTimeoutMs: number;
  readonly deadLetterTopic: string;
}

export interface IngestConfig {
  readonly host: string;
  readonly port: number;
  readonly maxBodyBytes: number;
  readonly maxEventsPerRequest: number;
  readonly rateLimitEventsPerS: number;
  readonly apiKeysFile: string;
  readonly dedupWindow: number;
  readonly shutdownGraceMs: number;
}

/**
 * The SQL endpoint (services/sql): ClickHouse's HTTP interface over embedded ClickHouse.
 * `enabled` is false in server mode whatever SQL_ENDPOINT says: the server is the endpoint.
 */
export interface SqlEndpointConfig {
  readonly enabled: boolean;
  readonly host: string;
  readonly port: number;
  /** HTTPS when set. */
  readonly tls: { readonly certFile: string; readonly keyFile: string } | undefined;
  /** Plain HTTP beyond loopback was asked for explicitly. */
  readonly allowPlaintext: boolean;
  readonly maxBodyBytes: number;
  readonly maxResultBytes: number;
  readonly sessionTimeoutS: number;
  readonly maxSessionTimeoutS: number;
}

export interface ReadApiConfig {
  readonly host: string;
  readonly port: number;
  readonly maxPageSize: number;
  /** Milliseconds identical requests share an answer; 0: never. */
  readonly cacheMs: number;
  /** Linux nice value of the thread serving the read API; 0: unchanged. */
  readonly threadNice: number;
  /** Real-time (SCHED_RR) priority of the thread serving the read API, 1-99; 0: the ordinary scheduler. */
  readonly threadRtPriority: number;
}

export interface WebConfig {
  readonly host: string;
  readonly port: number;
  /** Milliseconds between two checks for new data behind an open dashboard. */
  readonly liveIntervalMs: number;
  /** Seconds a sign-in lasts without use. */
  readonly sessionTtlS: number;
  /** How long a dashboard answer is shared while its data is unchanged (ms); 0: never (lib/stale-while-revalidate.ts). */
  readonly cacheTtlMs: number;
}

export interface SimulatorConfig {
  readonly outputDir: string;
}

export interface ForecastConfig {
  /** Scheduled jobs in `run all`. */
  readonly schedule: boolean;
  /** Minutes after UTC midnight of the daily predict. */
  readonly predictAtUtcMinutes: number;
  /** ISO weekday (1 = Monday .. 7 = Sunday) whose scheduled run trains first. */
  readonly trainWeekday: number;
  readonly trainHistoryDays: number;
  readonly drift: DriftConfig;
}

/** The model-drift check after each predict (services/forecast/drift.ts). */
export interface DriftConfig {
  readonly psiThreshold: number;
  /** Least relative move of the median of a category's own part (drift.ts, DriftPolicy.minStep). */
  readonly minStep: number;
  readonly recentDays: number;
  readonly referenceDays: number;
}

export interface AlertsConfig {
  /** The sealing key as configured, or undefined to read (or create) `secretKeyFile`. */
  readonly secretKey: string | undefined;
  readonly secretKeyFile: string;
  readonly allowedHosts: readonly string[];
  readonly deliveryTimeoutMs: number;
  readonly endpointConcurrency: number;
  /** Wait before each attempt of a message (ms); its length is the attempts before the dead letter. */
  readonly retryScheduleMs: readonly number[];
  /** How long an endpoint's circuit stays open before its first probe (ms). */
  readonly circuitOpenMs: number;
  readonly api: { readonly token: string | undefined; readonly port: number };
  /** The compacted topic of the subscriptions. */
  readonly subscriptionsTopic: string;
}

export interface ArchiveConfig {
  readonly maxRollRows: number;
  readonly maxRollBytes: number;
  readonly maxRollAgeMs: number;
}

/** The SQL endpoint's executor: BI queries on the embedded engine, their limits, sessions and users. */
export interface SqlExecutorConfig {
  readonly poolSize: number;
  readonly queueLength: number;
  readonly maxExecutionTimeS: number;
  readonly maxMemoryBytes: number;
  readonly maxResultRows: number;
  readonly maxResultBytes: number;
  readonly maxThreads: number;
  /** Nice value of the engine threads running the web dashboards' queries (0: unchanged), so they yield the cores to the event loop. */
  readonly threadNice: number;
  /** Nice value of the engine threads running BI tools' queries through the SQL endpoint (0: unchanged), within endpointPriorityShare when below 0. */
  readonly endpointThreadNice: number;
  /** Query-seconds per second that BI queries may run at a raised (negative) nice value, over a 10-s window. */
  readonly endpointPriorityShare: number;
  readonly sessionTimeoutS: number;
  readonly usersFile: string;
  /** The operator's token for `shelfstream sql` (user `shelfstream`), created on first use. */
  readonly adminTokenFile: string;
}

export interface Config {
  readonly logLevel: LogLevel;
  readonly http: { readonly host: string; readonly port: number };
  readonly kafka: KafkaConfig;
  readonly registry: RegistryConfig;
  readonly clickhouse: ClickHouseConfig;
  readonly clickhouseModel: ClickHouseModelConfig;
  readonly objectStore: ObjectStoreConfig;
  readonly archive: ArchiveConfig;
  readonly topics: TopicsConfig;
  readonly streams: StreamsConfig;
  readonly ingest: IngestConfig;
  readonly sqlEndpoint: SqlEndpointConfig;
  readonly readApi: ReadApiConfig;
  readonly web: WebConfig;
  readonly simulator: SimulatorConfig;
  readonly forecast: ForecastConfig;
  readonly sqlExecutor: SqlExecutorConfig;
  readonly alerts: AlertsConfig;
  readonly launcher: LauncherConfig;
}

export interface ConfigIssue {
  readonly variable: OptionName;
  readonly value: string;
  readonly message: string;
}

const HOUR_MS = 3_600_000;

/** Where a secret's value came from, for `shelfstream config`. */
export type SecretSource = 'env' | 'file' | 'default' | 'unset';

/** The environment variable naming the file a secret may be read from. */
export function secretFileVariable(name: OptionName): string {
  return `${name}_FILE`;
}

/**
 * The value of a secret option: from `<NAME>` or from the file `<NAME>_FILE` names (read once,
 * here; one trailing newline trimmed, as `echo secret > file` leaves one). Both set is refused:
 * which one wins would be a guess.
 */
function secretFromEnvOrFile(name: OptionName, env: Readonly<Record<string, string | undefined>>, issues: ConfigIssue[]): string | undefined {
  const fileVariable = secretFileVariable(name);
  const file = env[fileVariable];
  if (file === undefined || file === '') return env[name];
  if (env[name] !== undefined && env[name] !== '') {
    issues.push({ variable: name, value: '***', message: `both ${name} and ${fileVariable} are set; set only one` });
    return undefined;
  }
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    issues.push({ variable: name, value: '***', message: `${fileVariable} names ${file}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})` });
    return undefined;
  }
}

/** How each secret option was given; `shelfstream config` shows this instead of the value. */
export function secretSources(env: Readonly<Record<string, string | undefined>>): Partial<Record<OptionName, SecretSource>> {
  const sources: Partial<Record<OptionName, SecretSource>> = {};
  for (const [name, option] of Object.entries(OPTIONS) as [OptionName, (typeof OPTIONS)[OptionName]][]) {
    if (!option.secret) continue;
    const file = env[secretFileVariable(name)];
    const given = env[name];
    sources[name] = file ? 'file' : given ? 'env' : option.default ? 'default' : 'unset';
  }
  return sources;
}

/** Validates every variable and reports all problems at once, each naming its variable. */
export function parseOptionValues(env: Readonly<Record<string, string | undefined>>): OptionValues {
  const values: Partial<Record<OptionName, unknown>> = {};
  const issues: ConfigIssue[] = [];
  for (const [name, option] of Object.entries(OPTIONS) as [OptionName, (typeof OPTIONS)[OptionName]][]) {
    const given = 'secret' in option && option.secret ? secretFromEnvOrFile(name, env, issues) : env[name];
    const raw = given !== undefined && given !== '' ? given : option.default;
    if (raw === undefined) {
      values[name] = undefined;
      continue;
    }
    const parsed = option.schema.safeParse(raw);
    if (parsed.success) {
      values[name] = parsed.data;
    } else {
      const message = parsed.error.issues.map((i) => i.message).join('; ');
      issues.push({ variable: name, value: option.secret ? '***' : raw, message });
    }
  }
  if (issues.length > 0) {
    throw new ShelfStreamError('CONFIG_INVALID', `invalid configuration: ${issues.map((i) => `${i.variable}=${JSON.stringify(i.value)}: ${i.message}`).join(', ')}`, {
      context: { issues },
    });
  }
  return values as OptionValues;
}

function expandPath(path: string, cwd: string): string {
  if (path === '~' || path.startsWith('~/')) return join(homedir(), path.slice(1));
  return isAbsolute(path) ? path : resolve(cwd, path);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function objectStoreFrom(endpoint: string, v: OptionValues): ObjectStoreConfig {
  const u = new URL(endpoint);
  const useSSL = u.protocol === 'https:';
  return {
    endPoint: u.hostname,
    port: u.port ? Number(u.port) : useSSL ? 443 : 80,
    useSSL,
    accessKey: v.MINIO_ACCESS_KEY!,
    secretKey: v.MINIO_SECRET_KEY!,
    bucket: v.MINIO_BUCKET!,
    caFile: v.MINIO_CA_FILE,
    url: endpoint.replace(/\/+$/, ''),
  };
}

/**
 * Parses the environment into the typed configuration. Call once, in an entry point.
 * @param env usually `process.env`; tests pass their own record.
 * @param cwd the directory relative paths are resolved against.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, cwd: string = process.cwd()): Config {
  const v = parseOptionValues(env);
  const dataDir = expandPath(v.SHELFSTREAM_DATA_DIR!, cwd);
  const cacheDir = expandPath(v.SHELFSTREAM_CACHE_DIR!, cwd);
  const kafkaPort = v.KAFKA_PORT!;
  const registryPort = v.REGISTRY_PORT!;
  const minioPort = v.MINIO_PORT!;
  const requestTimeoutMs = v.CLICKHOUSE_REQUEST_TIMEOUT_MS!;

  const config: Config = {
    logLevel: v.SHELFSTREAM_LOG_LEVEL!,
    http: { host: v.SHELFSTREAM_HTTP_HOST!, port: v.SHELFSTREAM_HTTP_PORT! },
    kafka: {
      brokers: v.KAFKA_BROKERS ?? [`127.0.0.1:${kafkaPort}`],
      clientId: v.KAFKA_CLIENT_ID!,
      connectTimeoutMs: v.KAFKA_CONNECT_TIMEOUT_MS!,
      securityProtocol: v.KAFKA_SECURITY_PROTOCOL!,
      tls: kafkaTlsFrom(v),
      sasl: kafkaSaslFrom(v),
    },
    registry: {
      url: (v.SCHEMA_REGISTRY_URL ?? `http://127.0.0.1:${registryPort}/apis/ccompat/v7`).replace(/\/+$/, ''),
      auth: registryAuthFrom(v),
      caFile: v.SCHEMA_REGISTRY_CA_FILE,
    },
    clickhouse:
      v.CLICKHOUSE_URL !== undefined
        ? {
            mode: 'server',
            url: v.CLICKHOUSE_URL,
            user: v.CLICKHOUSE_USER!,
            password: v.CLICKHOUSE_PASSWORD!,
            database: v.CLICKHOUSE_DATABASE!,
            requestTimeoutMs,
            caFile: v.CLICKHOUSE_CA_FILE,
          }
        : {
            mode: 'embedded',
            dataDir: join(dataDir, 'clickhouse'),
            database: v.CLICKHOUSE_DATABASE!,
            requestTimeoutMs,
          },
    clickhouseModel: {
      retention: {
        factDays: v.CLICKHOUSE_TTL_FACT_DAYS!,
        velocityDays: v.CLICKHOUSE_TTL_VELOCITY_DAYS!,
        alertsDays: v.CLICKHOUSE_TTL_ALERTS_DAYS!,
        rollupDays: v.CLICKHOUSE_TTL_ROLLUP_DAYS!,
      },
      calendar: { from: v.CLICKHOUSE_CALENDAR_FROM!, to: v.CLICKHOUSE_CALENDAR_TO! },
      reportingCurrency: v.REPORTING_CURRENCY!,
      closingIntervalMs: v.CLICKHOUSE_BI_CLOSING_INTERVAL_MS!,
      bi:
        v.CLICKHOUSE_BI_USER !== undefined
          ? { user: v.CLICKHOUSE_BI_USER, password: v.CLICKHOUSE_BI_PASSWORD!, regions: v.CLICKHOUSE_BI_REGIONS!, stores: v.CLICKHOUSE_BI_STORES! }
          : undefined,
    },
    objectStore: objectStoreFrom(v.MINIO_ENDPOINT ?? `http://127.0.0.1:${minioPort}`, v),
    topics: {
      partitions: v.TOPIC_PARTITIONS!,
      replicationFactor: v.TOPIC_REPLICATION_FACTOR!,
      retentionMs: v.TOPIC_RETENTION_HOURS! * HOUR_MS,
      deadLetterRetentionMs: v.DEAD_LETTER_RETENTION_HOURS! * HOUR_MS,
    },
    archive: {
      maxRollRows: v.ARCHIVE_MAX_ROLL_ROWS!,
      maxRollBytes: v.ARCHIVE_MAX_ROLL_BYTES!,
      maxRollAgeMs: v.ARCHIVE_MAX_ROLL_AGE_MS!,
    },
    streams: {
      flushIntervalMs: v.STREAM_FLUSH_INTERVAL_MS!,
      maxBufferedRows: v.STREAM_MAX_BUFFERED_ROWS!,
      maxOutOfOrderMs: v.STREAM_MAX_OUT_OF_ORDER_MS!,
      allowedLatenessMs: v.STREAM_ALLOWED_LATENESS_MS!,
      eventIdHorizonMs: v.STREAM_EVENT_ID_HORIZON_MS!,
      yieldAfterMs: v.STREAM_YIELD_AFTER_MS!,
      sessionTimeoutMs: v.STREAM_SESSION_TIMEOUT_MS!,
      rebalanceTimeoutMs: v.STREAM_REBALANCE_TIMEOUT_MS!,
      deadLetterTopic: v.DEAD_LETTER_TOPIC!,
    },
    ingest: {
      host: v.INGEST_HOST!,
      port: v.INGEST_PORT!,
      maxBodyBytes: v.INGEST_MAX_BODY_BYTES!,
      maxEventsPerRequest: v.INGEST_MAX_EVENTS_PER_REQUEST!,
      rateLimitEventsPerS: v.INGEST_RATE_LIMIT_EVENTS_PER_S!,
      apiKeysFile: v.INGEST_API_KEYS_FILE ? expandPath(v.INGEST_API_KEYS_FILE, cwd) : join(dataDir, 'ingest', 'api-keys.json'),
      dedupWindow: v.INGEST_DEDUP_WINDOW!,
      shutdownGraceMs: v.INGEST_SHUTDOWN_GRACE_MS!,
    },
    sqlEndpoint: {
      enabled: v.SQL_ENDPOINT === 'on' && v.CLICKHOUSE_URL === undefined,
      host: v.SQL_ENDPOINT_HOST!,
      port: v.SQL_ENDPOINT_PORT!,
      tls:
        v.SQL_ENDPOINT_TLS_CERT_FILE !== undefined && v.SQL_ENDPOINT_TLS_KEY_FILE !== undefined
          ? { certFile: expandPath(v.SQL_ENDPOINT_TLS_CERT_FILE, cwd), keyFile: expandPath(v.SQL_ENDPOINT_TLS_KEY_FILE, cwd) }
          : undefined,
      allowPlaintext: v.SQL_ENDPOINT_ALLOW_PLAINTEXT === 'on',
      maxBodyBytes: v.SQL_ENDPOINT_MAX_BODY_BYTES!,
      maxResultBytes: v.SQL_ENDPOINT_MAX_RESULT_BYTES!,
      sessionTimeoutS: v.SQL_ENDPOINT_SESSION_TIMEOUT_S!,
      maxSessionTimeoutS: v.SQL_ENDPOINT_MAX_SESSION_TIMEOUT_S!,
    },
    readApi: {
      host: v.READ_API_HOST!,
      port: v.READ_API_PORT!,
      maxPageSize: v.READ_API_MAX_PAGE_SIZE!,
      cacheMs: v.READ_API_CACHE_MS!,
      threadNice: v.READ_API_THREAD_NICE!,
      threadRtPriority: v.READ_API_THREAD_RT_PRIORITY!,
    },
    web: {
      host: v.WEB_HOST!,
      port: v.WEB_PORT!,
      liveIntervalMs: v.WEB_LIVE_INTERVAL_MS!,
      sessionTtlS: v.WEB_SESSION_TTL_S!,
      cacheTtlMs: v.WEB_CACHE_TTL_MS!,
    },
    simulator: {
      outputDir: v.SIMULATOR_OUTPUT_DIR ? expandPath(v.SIMULATOR_OUTPUT_DIR, cwd) : join(dataDir, 'simulator'),
    },
    forecast: {
      schedule: v.FORECAST_SCHEDULE === 'on',
      predictAtUtcMinutes: Number(v.FORECAST_PREDICT_AT_UTC!.slice(0, 2)) * 60 + Number(v.FORECAST_PREDICT_AT_UTC!.slice(3, 5)),
      trainWeekday: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].indexOf(v.FORECAST_TRAIN_WEEKDAY!) + 1,
      trainHistoryDays: v.FORECAST_TRAIN_HISTORY_DAYS!,
      drift: { psiThreshold: v.MODEL_DRIFT_PSI_THRESHOLD!, minStep: v.MODEL_DRIFT_MIN_STEP!, recentDays: v.MODEL_DRIFT_RECENT_DAYS!, referenceDays: v.MODEL_DRIFT_REFERENCE_DAYS! },
    },
    sqlExecutor: {
      poolSize: v.SQL_POOL_SIZE!,
      queueLength: v.SQL_QUEUE_LENGTH!,
      maxExecutionTimeS: v.SQL_MAX_EXECUTION_TIME_S!,
      maxMemoryBytes: v.SQL_MAX_MEMORY_BYTES!,
      maxResultRows: v.SQL_MAX_RESULT_ROWS!,
      maxResultBytes: v.SQL_MAX_RESULT_BYTES!,
      maxThreads: v.SQL_MAX_THREADS!,
      threadNice: v.SQL_THREAD_NICE!,
      endpointThreadNice: v.SQL_ENDPOINT_THREAD_NICE!,
      endpointPriorityShare: v.SQL_ENDPOINT_PRIORITY_SHARE!,
      sessionTimeoutS: v.SQL_ENDPOINT_SESSION_TIMEOUT_S!,
      usersFile: v.SQL_USERS_FILE ? expandPath(v.SQL_USERS_FILE, cwd) : join(dataDir, 'sql', 'bi-users.json'),
      adminTokenFile: join(dataDir, 'sql', 'admin-token'),
    },
    alerts: {
      secretKey: v.ALERTS_SECRET_KEY,
      secretKeyFile: v.ALERTS_SECRET_KEY_FILE ? expandPath(v.ALERTS_SECRET_KEY_FILE, cwd) : join(dataDir, 'alerts', 'secret.key'),
      allowedHosts: v.ALERTS_ALLOWED_HOSTS!,
      deliveryTimeoutMs: v.ALERTS_DELIVERY_TIMEOUT_MS!,
      endpointConcurrency: v.ALERTS_ENDPOINT_CONCURRENCY!,
      retryScheduleMs: v.ALERTS_RETRY_SCHEDULE_MS!,
      circuitOpenMs: v.ALERTS_CIRCUIT_OPEN_MS!,
      api: { token: v.ALERTS_API_TOKEN, port: v.ALERTS_API_PORT! },
      subscriptionsTopic: v.ALERTS_SUBSCRIPTIONS_TOPIC!,
    },
    launcher: {
      cacheDir,
      dataDir,
      startTimeoutMs: v.SERVICE_START_TIMEOUT_S! * 1000,
      kafka: {
        version: v.KAFKA_VERSION!,
        port: kafkaPort,
        controllerPort: v.KAFKA_CONTROLLER_PORT!,
        heapMb: v.KAFKA_HEAP_MB!,
        saslSsl:
          v.KAFKA_NATIVE_SASL_SSL_PORT !== undefined
            ? { port: v.KAFKA_NATIVE_SASL_SSL_PORT, username: v.KAFKA_NATIVE_SASL_USERNAME!, password: v.KAFKA_NATIVE_SASL_PASSWORD! }
            : undefined,
      },
      registry: { apicurioVersion: v.APICURIO_VERSION!, port: registryPort, heapMb: v.REGISTRY_HEAP_MB! },
      minio: {
        moduleVersion: v.MINIO_MODULE_VERSION!,
        port: minioPort,
        consolePort: v.MINIO_CONSOLE_PORT!,
        memoryMb: v.MINIO_MEMORY_MB!,
      },
    },
  };
  if (config.clickhouseModel.calendar.from > config.clickhouseModel.calendar.to) {
    throw new ShelfStreamError('CONFIG_INVALID', 'invalid configuration: CLICKHOUSE_CALENDAR_FROM is after CLICKHOUSE_CALENDAR_TO', {
      context: { CLICKHOUSE_CALENDAR_FROM: config.clickhouseModel.calendar.from, CLICKHOUSE_CALENDAR_TO: config.clickhouseModel.calendar.to },
    });
  }
  if (config.clickhouseModel.bi && config.clickhouseModel.bi.password === '') {
    throw new ShelfStreamError('CONFIG_INVALID', 'invalid configuration: CLICKHOUSE_BI_USER is set but CLICKHOUSE_BI_PASSWORD is empty; a BI user needs a password', {
      context: { CLICKHOUSE_BI_USER: config.clickhouseModel.bi.user },
    });
  }
  if ((v.SQL_ENDPOINT_TLS_CERT_FILE === undefined) !== (v.SQL_ENDPOINT_TLS_KEY_FILE === undefined)) {
    throw new ShelfStreamError('CONFIG_INVALID', 'invalid configuration: SQL_ENDPOINT_TLS_CERT_FILE and SQL_ENDPOINT_TLS_KEY_FILE go together; set both for HTTPS or neither', {
      context: { SQL_ENDPOINT_TLS_CERT_FILE: v.SQL_ENDPOINT_TLS_CERT_FILE, SQL_ENDPOINT_TLS_KEY_FILE: v.SQL_ENDPOINT_TLS_KEY_FILE },
    });
  }
  if (config.sqlEndpoint.sessionTimeoutS > config.sqlEndpoint.maxSessionTimeoutS) {
    throw new ShelfStreamError('CONFIG_INVALID', 'invalid configuration: SQL_ENDPOINT_SESSION_TIMEOUT_S is above SQL_ENDPOINT_MAX_SESSION_TIMEOUT_S', {
      context: { SQL_ENDPOINT_SESSION_TIMEOUT_S: config.sqlEndpoint.sessionTimeoutS, SQL_ENDPOINT_MAX_SESSION_TIMEOUT_S: config.sqlEndpoint.maxSessionTimeoutS },
    });
  }
  if (config.launcher.kafka.port === config.launcher.kafka.controllerPort) {
    throw new ShelfStreamError('CONFIG_INVALID', 'invalid configuration: KAFKA_PORT and KAFKA_CONTROLLER_PORT must differ', {
      context: { KAFKA_PORT: kafkaPort },
    });
  }
  // `run all` serves all three in one process: a shared port would fail at start with EADDRINUSE
  // after the processors are up, so it is refused here with the names of the settings.
  // Every port `run all` may open, each given to one listener (0: a free port, never shared).
  const listeners = [
    ['SHELFSTREAM_HTTP_PORT', config.http.port],
    ['INGEST_PORT', config.ingest.port],
    ['READ_API_PORT', config.readApi.port],
    ['WEB_PORT', config.web.port],
    ['SQL_ENDPOINT_PORT', config.sqlEndpoint.enabled ? config.sqlEndpoint.port : 0],
    ['ALERTS_API_PORT', config.alerts.api.token !== undefined ? config.alerts.api.port : 0],
  ] as const;
  for (const [name, port] of listeners) {
    const sharing = listeners.filter(([other, p]) => other !== name && p !== 0 && p === port).map(([other]) => other);
    if (port === 0 || sharing.length === 0) continue;
    throw new ShelfStreamError('CONFIG_INVALID', `invalid configuration: ${name} ${port} is also ${sharing.join(' and ')}; give each listener a port of its own`, {
      context: { [name]: port },
    });
  }
  const problems = [...securityProblems(v), ...unreadableFiles(v)];
  if (problems.length > 0) {
    throw new ShelfStreamError('CONFIG_INVALID', `invalid configuration: ${problems.join('; ')}`, { context: { problems } });
  }
  return deepFreeze(config);
}
