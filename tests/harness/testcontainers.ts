/**
 * The real services for integration tests, started with testcontainers on a machine that has a
 * container runtime: Kafka (KRaft, one broker), the Confluent schema registry, a ClickHouse
 * server and MinIO, the same images and settings as docker-compose.yml. `env` points
 * ShelfStream's configuration at them, exactly as a user's environment would.
 *
 * Machines without a container runtime use the native launcher in infra/native instead;
 * `dockerAvailable()` is how the harness chooses, so it must answer quickly and never throw.
 */
import { randomBytes } from 'node:crypto';
import {
  BoundPorts,
  GenericContainer,
  Network,
  Wait,
  getContainerRuntimeClient,
  waitForContainer,
  type StartedNetwork,
  type StartedTestContainer,
} from 'testcontainers';

export interface StartedStack {
  /** Environment variables that point ShelfStream's config at the started services. */
  readonly env: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

// Keep these tags identical to docker-compose.yml, so tests run against what users start.
const KAFKA_IMAGE = 'apache/kafka:4.1.1';
const REGISTRY_IMAGE = 'confluentinc/cp-schema-registry:7.9.2';
const CLICKHOUSE_IMAGE = 'clickhouse/clickhouse-server:26.8';
const MINIO_IMAGE = 'minio/minio:RELEASE.2025-09-07T16-13-09Z';

/** Covers a JVM start on a 2-core machine; image pulls are not counted against it. */
const STARTUP_TIMEOUT_MS = 120_000; // two minutes
/** Long enough for a local socket to answer, short enough that a test run without Docker does not stall. */
const DOCKER_PROBE_TIMEOUT_MS = 3_000; // three seconds

const KAFKA_ALIAS = 'kafka';
/** Listener the host reaches through the mapped port. */
const KAFKA_HOST_LISTENER_PORT = 9092;
/** Listener other containers on the network reach as kafka:19092 (the schema registry). */
const KAFKA_INTERNAL_LISTENER_PORT = 19092;
const KAFKA_CONTROLLER_PORT = 9093;
const KAFKA_ADVERTISED_FILE = '/tmp/shelfstream-advertised-listeners.sh';
const KAFKA_WAITING_MESSAGE = 'shelfstream: waiting for advertised listeners';
/** The last line of the file: the broker starts only once the whole file has landed. */
const KAFKA_ADVERTISED_END = '# end of advertised listeners';

const REGISTRY_PORT = 8081;
const CLICKHOUSE_HTTP_PORT = 8123;
const CLICKHOUSE_USER = 'default';
const MINIO_PORT = 9000;

/** True when a container runtime answers (testcontainers can start containers). */
export async function dockerAvailable(): Promise<boolean> {
  // getContainerRuntimeClient tries each way of reaching a runtime (testcontainers properties,
  // DOCKER_HOST, the usual sockets) and rejects when none answers. Without a runtime that is
  // quick, but a socket that accepts and never replies, or a DOCKER_HOST whose host drops
  // packets, would hold it for a TCP or HTTP timeout: hence the race. The probe's rejection is
  // handled here, so losing the race never leaves an unhandled rejection behind.
  const probe = getContainerRuntimeClient().then(
    () => true,
    () => false,
  );
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), DOCKER_PROBE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([probe, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export async function startContainers(options: { accessKey: string; secretKey: string }): Promise<StartedStack> {
  const network = await new Network().start();
  const started: StartedTestContainer[] = [];
  const track = (starting: Promise<StartedTestContainer>): Promise<StartedTestContainer> =>
    starting.then((container) => {
      started.push(container);
      return container;
    });
  // A non-empty password, so tests exercise the authenticated path a production server has.
  const clickhousePassword = randomBytes(12).toString('hex');

  try {
    const kafkaStarting = track(startKafka(network));
    const clickhouseStarting = track(startClickHouse(network, clickhousePassword));
    const minioStarting = track(startMinio(network, options));
    // Wait for all three to settle, not only for the first failure, so a container that finishes
    // starting after another one failed is still tracked and stopped below.
    await Promise.allSettled([kafkaStarting, clickhouseStarting, minioStarting]);
    const kafka = await kafkaStarting;
    const clickhouse = await clickhouseStarting;
    const minio = await minioStarting;
    // The registry keeps its schemas in a Kafka topic and gives up if no broker answers.
    const registry = await track(startRegistry(network));

    const env: Readonly<Record<string, string>> = Object.freeze({
      KAFKA_BROKERS: `${kafka.getHost()}:${kafka.getMappedPort(KAFKA_HOST_LISTENER_PORT)}`,
      SCHEMA_REGISTRY_URL: `http://${registry.getHost()}:${registry.getMappedPort(REGISTRY_PORT)}`,
      CLICKHOUSE_URL: `http://${clickhouse.getHost()}:${clickhouse.getMappedPort(CLICKHOUSE_HTTP_PORT)}`,
      CLICKHOUSE_USER,
      CLICKHOUSE_PASSWORD: clickhousePassword,
      MINIO_ENDPOINT: `http://${minio.getHost()}:${minio.getMappedPort(MINIO_PORT)}`,
      MINIO_ACCESS_KEY: options.accessKey,
      MINIO_SECRET_KEY: options.secretKey,
    });
    // A second stop() (a teardown hook plus an explicit call) waits for the first one.
    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= stopAll(started, network);
      return stopping;
    };
    return { env, stop };
  } catch (err) {
    // The start failure is the error worth reporting; a failing cleanup is only attached to it.
    // Ryuk, testcontainers' reaper, removes whatever is left when the test process exits.
    await stopAll(started, network).catch((cleanupErr: unknown) => {
      if (err instanceof Error) Object.assign(err, { cleanupError: cleanupErr });
    });
    throw err;
  }
}

/**
 * apache/kafka must advertise the host-side address of its client listener, but a random host
 * port is only known once the container runs, and the broker reads its listeners once, at
 * start. So the container starts with a shell that waits for a file; once the mapped port is
 * known the file is copied in (advertising host:mappedPort) and the shell hands over to the
 * image's own /etc/kafka/docker/run. This is what @testcontainers/kafka does for Confluent
 * images. A fixed host port chosen in advance would also work, but it can be taken between the
 * choice and the bind, which makes parallel runs flaky.
 *
 * A second listener, INTERNAL, is advertised as kafka:19092 for containers on the network: the
 * schema registry cannot use the host-side address, which means nothing inside its container.
 */
async function startKafka(network: StartedNetwork): Promise<StartedTestContainer> {
  const container = await new GenericContainer(KAFKA_IMAGE)
    .withNetwork(network)
    .withNetworkAliases(KAFKA_ALIAS)
    .withExposedPorts(KAFKA_HOST_LISTENER_PORT)
    .withEnvironment({
      // Each run formats fresh storage; a random id rules out any mix-up with another cluster.
      CLUSTER_ID: randomBytes(16).toString('base64url'),
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_CONTROLLER_QUORUM_VOTERS: `1@localhost:${KAFKA_CONTROLLER_PORT}`,
      KAFKA_LISTENERS: [
        `HOST://0.0.0.0:${KAFKA_HOST_LISTENER_PORT}`,
        `INTERNAL://0.0.0.0:${KAFKA_INTERNAL_LISTENER_PORT}`,
        `CONTROLLER://0.0.0.0:${KAFKA_CONTROLLER_PORT}`,
      ].join(','),
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'HOST:PLAINTEXT,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT',
      KAFKA_INTER_BROKER_LISTENER_NAME: 'INTERNAL',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      // The same broker settings as the native launcher (infra/native/kafka.ts).
      // One broker: internal topics cannot have more than one replica.
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: '1',
      // Topics are created by `shelfstream init` or by the test, never by a stray produce.
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
      // Tests create many consumer groups; do not wait 3 s for each first rebalance.
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_NUM_PARTITIONS: '1',
      KAFKA_LOG_DIRS: '/var/lib/kafka/data',
      KAFKA_HEAP_OPTS: '-Xms512m -Xmx512m',
    })
    // The image has no ENTRYPOINT of its own (only the base image's CA-certificate hook, which
    // ShelfStream does not need), so replacing it with sh loses nothing.
    .withEntrypoint(['sh', '-c'])
    .withCommand([
      `echo '${KAFKA_WAITING_MESSAGE}'; ` +
        `until grep -qs '^${KAFKA_ADVERTISED_END}$' ${KAFKA_ADVERTISED_FILE}; do sleep 0.1; done; ` +
        `. ${KAFKA_ADVERTISED_FILE} && exec /etc/kafka/docker/run`,
    ])
    .withWaitStrategy(Wait.forLogMessage(KAFKA_WAITING_MESSAGE))
    .withStartupTimeout(STARTUP_TIMEOUT_MS)
    .start();

  const advertised = [
    `HOST://${container.getHost()}:${container.getMappedPort(KAFKA_HOST_LISTENER_PORT)}`,
    `INTERNAL://${KAFKA_ALIAS}:${KAFKA_INTERNAL_LISTENER_PORT}`,
  ].join(',');
  await container.copyContentToContainer([
    {
      content: `export KAFKA_ADVERTISED_LISTENERS='${advertised}'\n${KAFKA_ADVERTISED_END}\n`,
      target: KAFKA_ADVERTISED_FILE,
      mode: 0o644,
    },
  ]);

  // The broker logs this once it is unfenced and serving clients (Kafka's system tests wait for
  // the same line). The log wait needs no ports, hence the empty BoundPorts.
  const client = await getContainerRuntimeClient();
  await waitForContainer(
    client,
    client.container.getById(container.getId()),
    Wait.forLogMessage(/Kafka Server started/).withStartupTimeout(STARTUP_TIMEOUT_MS),
    new BoundPorts(),
  );
  return container;
}

function startRegistry(network: StartedNetwork): Promise<StartedTestContainer> {
  return new GenericContainer(REGISTRY_IMAGE)
    .withNetwork(network)
    .withNetworkAliases('schema-registry')
    .withExposedPorts(REGISTRY_PORT)
    .withEnvironment({
      SCHEMA_REGISTRY_HOST_NAME: 'schema-registry',
      SCHEMA_REGISTRY_LISTENERS: `http://0.0.0.0:${REGISTRY_PORT}`,
      SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS: `PLAINTEXT://${KAFKA_ALIAS}:${KAFKA_INTERNAL_LISTENER_PORT}`,
      // _schemas defaults to 3 replicas, which one broker cannot host.
      SCHEMA_REGISTRY_KAFKASTORE_TOPIC_REPLICATION_FACTOR: '1',
      // The contract's rule (ARCHITECTURE.md); also Confluent's default, stated so it cannot drift.
      SCHEMA_REGISTRY_SCHEMA_COMPATIBILITY_LEVEL: 'BACKWARD',
      SCHEMA_REGISTRY_HEAP_OPTS: '-Xms256m -Xmx384m',
    })
    // The port opens before the registry has read _schemas; /subjects answers 200 only after.
    .withWaitStrategy(Wait.forHttp('/subjects', REGISTRY_PORT).forStatusCode(200))
    .withStartupTimeout(STARTUP_TIMEOUT_MS)
    .start();
}

function startClickHouse(network: StartedNetwork, password: string): Promise<StartedTestContainer> {
  return new GenericContainer(CLICKHOUSE_IMAGE)
    .withNetwork(network)
    .withNetworkAliases('clickhouse')
    .withExposedPorts(CLICKHOUSE_HTTP_PORT)
    .withEnvironment({
      CLICKHOUSE_USER,
      CLICKHOUSE_PASSWORD: password,
      // SQL-driven access control, so `default` can create the read-only BI user and its row
      // policies (ARCHITECTURE.md), as it can on a production server.
      CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT: '1',
    })
    // ClickHouse opens many files per part; the usual container default of 1024 is too low.
    .withUlimits({ nofile: { soft: 262_144, hard: 262_144 } })
    // /ping needs no login; an authenticated query also proves the user set-up took effect.
    .withWaitStrategy(
      Wait.forHttp('/?query=SELECT%201', CLICKHOUSE_HTTP_PORT)
        .withBasicCredentials(CLICKHOUSE_USER, password)
        .forStatusCode(200),
    )
    .withStartupTimeout(STARTUP_TIMEOUT_MS)
    .start();
}

function startMinio(network: StartedNetwork, options: { accessKey: string; secretKey: string }): Promise<StartedTestContainer> {
  return new GenericContainer(MINIO_IMAGE)
    .withNetwork(network)
    .withNetworkAliases('minio')
    .withExposedPorts(MINIO_PORT)
    .withEnvironment({
      MINIO_ROOT_USER: options.accessKey,
      MINIO_ROOT_PASSWORD: options.secretKey,
      // Tests run offline as often as not; never look for updates.
      MINIO_UPDATE: 'off',
    })
    .withCommand(['server', '/data'])
    // ready (unlike live) waits until the drive is initialised and the server accepts writes.
    .withWaitStrategy(Wait.forHttp('/minio/health/ready', MINIO_PORT).forStatusCode(200))
    .withStartupTimeout(STARTUP_TIMEOUT_MS)
    .start();
}

async function stopAll(containers: readonly StartedTestContainer[], network: StartedNetwork): Promise<void> {
  // Test containers hold nothing worth a graceful shutdown, so they are killed at once and in
  // parallel; the network can only be removed after every container has left it.
  const stopped = await Promise.allSettled(containers.map((container) => container.stop()));
  const networkStopped = await Promise.allSettled([network.stop()]);
  const failures = [...stopped, ...networkStopped]
    .filter((result): result is PromiseRejectedResult => result.status === 'rejected')
    .map((result) => result.reason as unknown);
  if (failures.length > 0) throw new AggregateError(failures, `could not stop ${failures.length} test container(s) or network`);
}
