import { createStatementCache } from './statement-cache';

describe('statement cache', () => {
  const judged = (formatted: string) => ({ formatted, kind: 'read' as const });

  it('answers a verdict only for the same text with the same parameter values', () => {
    const cache = createStatementCache(10);
    cache.set('SELECT {t:Identifier}', { t: 'sales' }, judged('SELECT sales'));
    expect(cache.get('SELECT {t:Identifier}', { t: 'sales' })?.formatted).toBe('SELECT sales');
    expect(cache.get('SELECT {t:Identifier}', { t: 'system.processes' })).toBeUndefined();
    expect(cache.get('SELECT {t:Identifier}', {})).toBeUndefined();
    expect(cache.get('select {t:Identifier}', { t: 'sales' })).toBeUndefined();
  });

  it('does not confuse text and parameter boundaries, and ignores the order parameters came in', () => {
    const cache = createStatementCache(10);
    cache.set('SELECT 1', { a: '1', b: '2' }, judged('SELECT 1'));
    expect(cache.get('SELECT 1', { b: '2', a: '1' })).toBeDefined();
    expect(cache.get('SELECT 1', { a: '12' })).toBeUndefined();
    expect(cache.get('SELECT 1", ["a', { b: '2' })).toBeUndefined();
  });

  it('drops the least recently used verdict past its capacity', () => {
    const cache = createStatementCache(2);
    cache.set('a', {}, judged('a'));
    cache.set('b', {}, judged('b'));
    cache.get('a', {}); // a is now the most recent
    cache.set('c', {}, judged('c'));
    expect(cache.size).toBe(2);
    expect(cache.get('b', {})).toBeUndefined();
    expect(cache.get('a', {})).toBeDefined();
    expect(cache.get('c', {})).toBeDefined();
  });

  it('keeps no verdict for a very long text', () => {
    const cache = createStatementCache(2);
    const long = `SELECT '${'x'.repeat(20_000)}'`;
    cache.set(long, {}, judged(long));
    expect(cache.get(long, {})).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});

describe('statement cache: shapes judged a read', () => {
  it('answers only for the same shape with the same parameter values', () => {
    const cache = createStatementCache(10);
    cache.addReadShape('SELECT a FROM t WHERE s = ?', { p: '1' });
    expect(cache.hasReadShape('SELECT a FROM t WHERE s = ?', { p: '1' })).toBe(true);
    expect(cache.hasReadShape('SELECT a FROM t WHERE s = ?', { p: '2' })).toBe(false);
    expect(cache.hasReadShape('SELECT a FROM u WHERE s = ?', { p: '1' })).toBe(false);
  });

  it('keeps shapes apart from texts, each bounded', () => {
    const cache = createStatementCache(1);
    cache.addReadShape('SELECT ?', {});
    expect(cache.get('SELECT ?', {})).toBeUndefined();
    cache.addReadShape('SELECT ?, ?', {});
    expect(cache.hasReadShape('SELECT ?', {})).toBe(false);
    expect(cache.hasReadShape('SELECT ?, ?', {})).toBe(true);
  });
});
