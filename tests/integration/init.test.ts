/**
 * `shelfstream init` against the real services: it creates the catalogue's topics with their
 * settings, registers the schemas and applies the migrations, and a second run changes nothing.
 */
import { ConfigResourceTypes } from 'kafkajs';
import { runInit } from '../../cli/commands/init';
import { createClickHouse } from '../../lib/clients/clickhouse';
import { loadCatalog } from '../../schemas/catalog';
import { registerCleanup, testAdmin, testConfig, testLogger, uniqueName } from '../harness/fixtures';

describe('shelfstream init', () => {
  it('sets everything up, then reports that nothing changed', async () => {
    const database = uniqueName('shelfstream_init', '_');
    const config = testConfig({ CLICKHOUSE_DATABASE: database });
    const ctx = { config, logger: testLogger(), env: process.env };
    registerCleanup(async () => {
      const client = createClickHouse(config.clickhouse);
      await client.command({ query: `DROP DATABASE IF EXISTS ${database} SYNC` });
      await client.close();
    });

    const first = await runInit(ctx);
    // The topics may exist from an earlier run on a shared stack; the database is new.
    expect(first.migrations.applied.length).toBeGreaterThan(0);
    expect(first.changed).toBe(true);

    const second = await runInit(ctx);
    expect(second.changed).toBe(false);
    expect(new Set(Object.values(second.topics))).toEqual(new Set(['unchanged']));
    expect(Object.values(second.schemas).every((s) => s.startsWith('unchanged'))).toBe(true);
    expect(second.migrations.applied).toEqual([]);
    expect(second.bucket).toBe('exists');

    const catalog = loadCatalog();
    const admin = await testAdmin(config);
    const metadata = await admin.fetchTopicMetadata({ topics: catalog.map((t) => t.name) });
    for (const t of catalog.filter((x) => x.kind === 'event')) {
      expect(metadata.topics.find((m) => m.name === t.name)?.partitions).toHaveLength(config.topics.partitions);
    }
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: catalog.map((t) => ({ type: ConfigResourceTypes.TOPIC, name: t.name, configNames: ['cleanup.policy'] })),
    });
    for (const t of catalog) {
      const policy = configs.resources.find((r) => r.resourceName === t.name)?.configEntries[0]?.configValue;
      // Master data and changelogs (alert subscriptions) keep the latest value per key for good.
      expect([t.name, policy]).toEqual([t.name, t.kind === 'master-data' || t.kind === 'changelog' ? 'compact' : 'delete']);
    }
  });
});
