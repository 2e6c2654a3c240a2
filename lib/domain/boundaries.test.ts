/**
 * Production code does not import the simulator (issue 12): the lint rule in eslint.config.js
 * says so where the code is written, and this test checks both that the rule bites and that no
 * production file holds such an import, `require` and dynamic `import()` included, which the
 * lint rule does not see.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { Linter } from 'eslint';

const ROOT = resolve(__dirname, '../..');
const PRODUCTION_FOLDERS = ['streams', 'services', 'clickhouse', 'lib'];
const SIMULATORS = join(ROOT, 'simulators');

function productionFiles(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(ROOT, folder, f));
}

/** Module specifiers of static imports, re-exports, require() and import(). */
function specifiers(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(/(?:\bfrom\s*|\brequire\s*\(\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm)) found.push(m[1]!);
  return found;
}

describe('no production file imports the simulator', () => {
  it('finds imports of every form (the scan below can fail)', () => {
    const probe = "import { a } from '../../simulators/pos/simulator';\nexport { b } from '../simulators';\nconst c = require('../../simulators/pos/run');\nvoid import('../simulators/pos/chain');\n";
    expect(specifiers(probe)).toEqual(['../../simulators/pos/simulator', '../simulators', '../../simulators/pos/run', '../simulators/pos/chain']);
  });

  it.each(PRODUCTION_FOLDERS)('%s/ has none', (folder) => {
    const offenders: string[] = [];
    for (const file of productionFiles(folder)) {
      for (const spec of specifiers(readFileSync(file, 'utf8'))) {
        const target = spec.startsWith('.') ? resolve(dirname(file), spec) : '';
        if (target === SIMULATORS || target.startsWith(SIMULATORS + '/')) offenders.push(`${relative(ROOT, file)} imports ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the lint rule refuses it in production folders and allows it in tests', () => {
    // The flat config itself, through Linter: ESLint's config loader uses a dynamic import that
    // jest's module system does not run.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const config = require(join(ROOT, 'eslint.config.js')) as Linter.Config[];
    const linter = new Linter({ cwd: ROOT });
    const source = "import { PosSimulator } from '../../simulators/pos/simulator';\nexport const sim = PosSimulator;\n";
    const rulesHit = (path: string): (string | null)[] => linter.verify(source, config, { filename: join(ROOT, path) }).map((m) => m.ruleId);
    for (const folder of PRODUCTION_FOLDERS) expect(rulesHit(`${folder}/probe/probe.ts`)).toContain('no-restricted-imports');
    expect(rulesHit('streams/probe/probe.test.ts')).not.toContain('no-restricted-imports');
    expect(rulesHit('bench/probe.ts')).not.toContain('no-restricted-imports');
  });
});
