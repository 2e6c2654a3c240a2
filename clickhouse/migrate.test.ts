import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMigrations } from './migrate';

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'migrations-'));
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  return dir;
}

describe('loadMigrations', () => {
  it('orders by version and checksums the text', () => {
    const migrations = loadMigrations(dirWith({ '0002_b.sql': 'SELECT 2', '0001_a.sql': 'SELECT 1', 'README.md': 'ignored' }));
    expect(migrations.map((m) => [m.version, m.name])).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
    // sha256("SELECT 1"), computed independently with `printf 'SELECT 1' | sha256sum`
    expect(migrations[0]!.checksum).toBe('e004ebd5b5532a4b85984a62f8ad48a81aa3460c1ca07701f386135d72cdecf5');
  });

  it('names a badly named file', () => {
    expect(() => loadMigrations(dirWith({ '1_a.sql': '' }))).toThrow(/1_a\.sql: migration files are named NNNN_name\.sql/);
  });

  it('refuses two migrations with one version', () => {
    expect(() => loadMigrations(dirWith({ '0001_a.sql': '', '0001_b.sql': '' }))).toThrow(/share version 1/);
  });

  it('loads the real migrations', () => {
    expect(loadMigrations().length).toBeGreaterThan(0);
  });
});
