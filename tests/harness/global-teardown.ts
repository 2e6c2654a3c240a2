/**
 * Checks that the tests left the catalogue's topics and the default ClickHouse folder as the
 * setup found them, then stops what the global setup started, and nothing else, even when
 * tests failed. On services the harness started, anything that moved fails the run (nothing
 * else writes there); on a shared stack others may be writing, so it is only reported.
 */
import pino from 'pino';
import { createKafka } from '../../lib/clients/kafka';
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { loadCatalog } from '../../schemas/catalog';
import { compareLeftovers, snapshotLeftovers } from './leftovers';

export default async function globalTeardown(): Promise<void> {
  const services = globalThis.__SHELFSTREAM_SERVICES__;
  if (!services) return;
  let problems: string[] = [];
  try {
    const before = globalThis.__SHELFSTREAM_LEFTOVERS__;
    if (before) {
      const config = loadConfig(process.env);
      const logger = createLogger({ level: 'warn', service: 'test-harness', destination: pino.destination({ fd: 2, sync: true }) });
      const admin = createKafka(config.kafka, logger, 'test-harness').admin();
      await admin.connect();
      try {
        const after = await snapshotLeftovers(admin, loadCatalog().map((t) => t.name), config.clickhouse.mode === 'embedded' ? config.clickhouse.dataDir : undefined);
        problems = compareLeftovers(before, after);
      } finally {
        await admin.disconnect();
      }
    }
  } finally {
    await services.stop();
    if (services.started.length) process.stderr.write(`[harness] stopped ${services.started.join(', ')}\n`);
  }
  if (problems.length === 0) return;
  const owned = services.started.length > 0;
  const report = `the tests left data where \`make demo\` reads it:\n  ${problems.join('\n  ')}`;
  if (owned) throw new Error(`[harness] ${report}`);
  process.stderr.write(`[harness] (shared services: others may be writing, so not a failure) ${report}\n`);
}
