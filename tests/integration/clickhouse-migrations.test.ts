/**
 * The real migrations on the configured ClickHouse (embedded chDB by default): applied into a
 * fresh database, recorded, not applied twice, queried, and an edited migration refused.
 */
import { cpSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMigrations, migrate } from '../../clickhouse/migrate';
import { MIGRATIONS_DIR } from '../../lib/paths';
import { testClickHouse } from '../harness/fixtures';

describe('ClickHouse migrations', () => {
  it('applies every migration once, records it, and the tables answer queries', async () => {
    const { client, database } = await testClickHouse();
    const files = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql'));

    const first = await migrate(client, database);
    expect(first.applied.map((m) => m.file.split('/').pop())).toEqual(files.sort());
    expect(first.alreadyApplied).toBe(0);

    const second = await migrate(client, database);
    expect(second.applied).toEqual([]);
    expect(second.alreadyApplied).toBe(files.length);

    const ledger = await (await client.query({ query: `SELECT count() AS n FROM ${database}.schema_migrations FINAL`, format: 'JSONEachRow' })).json<{ n: string | number }>();
    expect(Number(ledger[0]!.n)).toBe(files.length);

    await client.insert({
      table: `${database}.dim_store`,
      format: 'JSONEachRow',
      values: [
        { store_id: 'S001', name: 'Old name', region: 'North', time_zone: 'Europe/Paris', size_class: 'LARGE', currency: 'EUR', opened_on: '2020-01-01', updated_at: '2026-01-01 00:00:00.000' },
        { store_id: 'S001', name: 'New name', region: 'North', time_zone: 'Europe/Paris', size_class: 'LARGE', currency: 'EUR', opened_on: '2020-01-01', updated_at: '2026-06-01 00:00:00.000' },
      ],
    });
    const rows = await (await client.query({ query: `SELECT store_id, name FROM ${database}.dim_store FINAL`, format: 'JSONEachRow' })).json();
    // ReplacingMergeTree(updated_at): the newest version of the store wins.
    expect(rows).toEqual([{ store_id: 'S001', name: 'New name' }]);

    const uncommented = await (
      await client.query({
        query: `SELECT table, name FROM system.columns WHERE database = {db:String} AND comment = ''`,
        query_params: { db: database },
        format: 'JSONEachRow',
      })
    ).json();
    expect(uncommented).toEqual([]);
  });

  it('refuses to run when an applied migration was edited', async () => {
    const { client, database } = await testClickHouse();
    const dir = mkdtempSync(join(tmpdir(), 'migrations-'));
    cpSync(MIGRATIONS_DIR, dir, { recursive: true });
    await migrate(client, database, loadMigrations(dir));
    const [firstFile] = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
    writeFileSync(join(dir, firstFile!), '-- edited after it was applied\nSELECT 1;');
    await expect(migrate(client, database, loadMigrations(dir))).rejects.toMatchObject({ code: 'MIGRATION_CHANGED' });
  });

  it('names the file and statement of a failing migration', async () => {
    const { client, database } = await testClickHouse();
    const dir = mkdtempSync(join(tmpdir(), 'migrations-'));
    writeFileSync(join(dir, '0001_ok.sql'), 'CREATE TABLE IF NOT EXISTS ${database}.t (x UInt8) ENGINE = MergeTree ORDER BY x;');
    writeFileSync(join(dir, '0002_broken.sql'), 'SELECT 1;\nCREATE TABLE ${database}.u (x NoSuchType) ENGINE = Memory;');
    const run = migrate(client, database, loadMigrations(dir));
    await expect(run).rejects.toMatchObject({ code: 'MIGRATION_FAILED' });
    await expect(run).rejects.toThrow(/0002_broken\.sql, statement 2 of 2/);
    // The good migration stays recorded; the broken one is not.
    const versions = await (await client.query({ query: `SELECT version FROM ${database}.schema_migrations FINAL`, format: 'JSONEachRow' })).json<{ version: number }>();
    expect(versions.map((v) => Number(v.version))).toEqual([1]);
  });
});
