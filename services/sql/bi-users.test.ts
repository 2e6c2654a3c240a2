import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMPTY_USERS, describeScope, parseBiUsers, readBiUsers, withUser, withoutUser, writeBiUsers, type BiUser } from './bi-users';

const HASH = { algorithm: 'scrypt' as const, N: 16384, r: 8, p: 1, salt: 'c2FsdA==', hash: 'aGFzaA==' };
const ANA: BiUser = { name: 'ana', password: HASH, regions: ['north'], stores: [], limits: {}, createdAt: '2026-01-01T00:00:00Z', passwordChangedAt: '2026-01-01T00:00:00Z' };

describe('BI users file', () => {
  it('parses a valid file and names the field that is wrong in a bad one', () => {
    expect(parseBiUsers(JSON.stringify({ version: 1, users: [ANA] }), 'f.json').users[0]!.name).toBe('ana');
    expect(() => parseBiUsers(JSON.stringify({ version: 1, users: [{ ...ANA, stores: ["S1'; DROP"] }] }), 'f.json')).toThrow(/f\.json: users\.0\.stores\.0: a store id/);
    expect(() => parseBiUsers('{', 'f.json')).toThrow(/f\.json is not JSON/);
    expect(() => parseBiUsers(JSON.stringify({ version: 1, users: [ANA, ANA] }), 'f.json')).toThrow(/appears twice/);
    expect(() => parseBiUsers(JSON.stringify({ version: 1, users: [{ ...ANA, name: 'shelfstream' }] }), 'f.json')).toThrow(/operator/);
  });
  it('writes atomically with mode 0600 and reads back what it wrote; a missing file is no users', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bi-users-'));
    try {
      const path = join(dir, 'sub', 'bi-users.json');
      expect(readBiUsers(path)).toEqual(EMPTY_USERS);
      writeBiUsers(path, withUser(EMPTY_USERS, ANA));
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ version: 1, users: [ANA] });
      expect(readBiUsers(path).users).toEqual([ANA]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('refuses a duplicate user and a revoke of an unknown one', () => {
    const one = withUser(EMPTY_USERS, ANA);
    expect(() => withUser(one, ANA)).toThrow(/exists already/);
    expect(() => withoutUser(one, 'bob')).toThrow(/no BI user bob/);
    expect(withoutUser(one, 'ana').users).toEqual([]);
  });
  it('describes a scope in words', () => {
    expect(describeScope({ regions: [], stores: [] })).toBe('all stores');
    expect(describeScope({ regions: ['north'], stores: ['S1', 'S2'] })).toBe('regions north + stores S1,S2');
  });
});
