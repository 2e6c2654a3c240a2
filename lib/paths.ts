/**
 * Locations inside the ShelfStream checkout (schemas, migrations, launcher files), found from
 * this module's own location so they work from `src` under jest and from `dist` at run time.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'schemas'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the ShelfStream checkout above ${start}`);
    dir = parent;
  }
}

export const REPO_ROOT = findRoot(__dirname);
export const SCHEMAS_DIR = join(REPO_ROOT, 'schemas');
export const MIGRATIONS_DIR = join(REPO_ROOT, 'clickhouse', 'migrations');
export const INFRA_DIR = join(REPO_ROOT, 'infra');
