/**
 * Jest global setup for the integration suite: provide the real services once for the whole
 * run, export their addresses through the environment (the test workers inherit it), and
 * bootstrap them as `shelfstream init` does (the catalogue's topics and schemas), so every
 * test starts from the state a newcomer's `make demo` gives. ClickHouse is left to each test:
 * each makes its own database. It also snapshots the catalogue's topics and the default
 * ClickHouse folder, which the teardown checks the tests left as they were (leftovers.ts).
 */
import pino from 'pino';
import { createKafka } from '../../lib/clients/kafka';
import { createSchemaRegistry } from '../../lib/clients/registry';
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { loadCatalog } from '../../schemas/catalog';
import { registerSchemas } from '../../services/bootstrap/schemas';
import { ensureTopics, planTopic } from '../../services/bootstrap/topics';
import { snapshotLeftovers, type LeftoverSnapshot } from './leftovers';
import { provideServices, type ProvidedServices } from './services';

declare global {
  var __SHELFSTREAM_SERVICES__: ProvidedServices | undefined;
  var __SHELFSTREAM_LEFTOVERS__: LeftoverSnapshot | undefined;
}

export default async function globalSetup(): Promise<void> {
  const started = performance.now();
  const services = await provideServices(process.env);
  Object.assign(process.env, services.env);
  globalThis.__SHELFSTREAM_SERVICES__ = services;

  const config = loadConfig(process.env);
  const catalog = loadCatalog();
  const logger = createLogger({ level: 'warn', service: 'test-harness', destination: pino.destination({ fd: 2, sync: true }) });
  const admin = createKafka(config.kafka, logger, 'test-harness').admin();
  await admin.connect();
  try {
    await ensureTopics(admin, catalog.map((t) => planTopic(t, config.topics)));
    globalThis.__SHELFSTREAM_LEFTOVERS__ = await snapshotLeftovers(
      admin,
      catalog.map((t) => t.name),
      config.clickhouse.mode === 'embedded' ? config.clickhouse.dataDir : undefined,
    );
  } finally {
    await admin.disconnect();
  }
  await registerSchemas(createSchemaRegistry(config.registry), config.registry, catalog);

  const what = services.started.length ? `started ${services.started.join(', ')}` : 'already running';
  process.stderr.write(`\n[harness] services from ${services.source}: ${what}; topics and schemas in place (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
}
