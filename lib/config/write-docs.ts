/**
 * `make docs`: rewrites the README's configuration table and `.env.example` from the option
 * list (a unit test fails when they are out of date).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../paths';
import { CONFIG_TABLE_BEGIN, CONFIG_TABLE_END, renderConfigMarkdown, renderEnvExample } from './docs';

const readmePath = join(REPO_ROOT, 'README.md');
const readme = readFileSync(readmePath, 'utf8');
const begin = readme.indexOf(CONFIG_TABLE_BEGIN);
const end = readme.indexOf(CONFIG_TABLE_END);
if (begin < 0 || end < begin) throw new Error(`README.md lacks the ${CONFIG_TABLE_BEGIN} ... ${CONFIG_TABLE_END} markers`);
writeFileSync(readmePath, readme.slice(0, begin) + renderConfigMarkdown() + readme.slice(end + CONFIG_TABLE_END.length));
writeFileSync(join(REPO_ROOT, '.env.example'), renderEnvExample());
process.stdout.write('wrote the README configuration table and .env.example\n');
