import { scryptSync } from 'node:crypto';
import { generatePassword, hashPassword, verifyPassword } from './passwords';

describe('passwords', () => {
  it('stores a salted scrypt hash that node:crypto reproduces from the same parameters', async () => {
    const stored = await hashPassword('correct horse');
    const expected = scryptSync('correct horse', Buffer.from(stored.salt, 'base64'), 32, { N: stored.N, r: stored.r, p: stored.p, maxmem: 256 * 1024 * 1024 });
    expect(stored.hash).toBe(expected.toString('base64'));
    expect(stored.N).toBeGreaterThanOrEqual(16_384);
  });
  it('verifies the right password only', async () => {
    const stored = await hashPassword('correct horse');
    expect(await verifyPassword('correct horse', stored)).toBe(true);
    expect(await verifyPassword('correct horsE', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });
  it('salts each hash', async () => {
    const [a, b] = await Promise.all([hashPassword('same'), hashPassword('same')]);
    expect(a.salt).not.toBe(b.salt);
    expect(a.hash).not.toBe(b.hash);
  });
  it('generates long random passwords', () => {
    const p = generatePassword();
    expect(p).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(generatePassword()).not.toBe(p);
  });
});
