import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCatalog } from './catalog';

function catalogDir(topics: unknown, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'catalog-'));
  writeFileSync(join(dir, 'topics.json'), JSON.stringify({ topics }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('loadCatalog', () => {
  it('loads the real catalogue: every schema parses and every subject follows TopicNameStrategy', () => {
    const topics = loadCatalog();
    expect(topics.length).toBeGreaterThan(0);
    for (const t of topics.filter((x) => x.schema)) expect(t.subject).toBe(`${t.name}-value`);
    expect(topics.some((t) => t.kind === 'dead-letter')).toBe(true);
  });

  it('names a missing schema file', () => {
    const dir = catalogDir([{ name: 'a.b', kind: 'event', schema: 'missing.avsc', key: 'store_id', doc: 'x' }]);
    expect(() => loadCatalog(dir)).toThrow(/topic a\.b names missing\.avsc, which does not exist/);
  });

  it('names a file that is not valid Avro', () => {
    const dir = catalogDir([{ name: 'a.b', kind: 'event', schema: 'bad.avsc', key: 'store_id', doc: 'x' }], {
      'bad.avsc': JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'x', type: 'nonsense' }] }),
    });
    expect(() => loadCatalog(dir)).toThrow(/bad\.avsc is not a valid Avro schema/);
  });

  it('refuses a duplicate topic and an invalid topic name', () => {
    expect(() => loadCatalog(catalogDir([{ name: 'a', kind: 'dead-letter', key: 'k', doc: 'x' }, { name: 'a', kind: 'dead-letter', key: 'k', doc: 'x' }]))).toThrow(
      /listed twice/,
    );
    expect(() => loadCatalog(catalogDir([{ name: 'Bad Name', kind: 'dead-letter', key: 'k', doc: 'x' }]))).toThrow(/lower case/);
  });
});
