import { createCredentialCache } from './credential-cache';

describe('credential cache', () => {
  const cache = () => createCredentialCache({ ttlMs: 1000, maxEntries: 2 });
  it('trusts a remembered credential until it expires', () => {
    const c = cache();
    c.remember('ana', 'pw', 'salt:hash', 0);
    expect(c.has('ana', 'pw', 'salt:hash', 999)).toBe(true);
    expect(c.has('ana', 'pw', 'salt:hash', 1000)).toBe(false);
  });
  it('misses for another password, another user, or a changed stored hash (a reset password)', () => {
    const c = cache();
    c.remember('ana', 'pw', 'salt:hash', 0);
    expect(c.has('ana', 'pw2', 'salt:hash', 1)).toBe(false);
    expect(c.has('bob', 'pw', 'salt:hash', 1)).toBe(false);
    expect(c.has('ana', 'pw', 'salt2:hash2', 1)).toBe(false);
  });
  it('does not confuse user and password boundaries', () => {
    const c = cache();
    c.remember('ab', 'c', 'h', 0);
    expect(c.has('a', 'bc', 'h', 1)).toBe(false);
  });
  it('keeps at most maxEntries, dropping the oldest', () => {
    const c = cache();
    c.remember('a', 'p', 'h', 0);
    c.remember('b', 'p', 'h', 0);
    c.remember('c', 'p', 'h', 0);
    expect([c.has('a', 'p', 'h', 1), c.has('b', 'p', 'h', 1), c.has('c', 'p', 'h', 1)]).toEqual([false, true, true]);
  });
});
