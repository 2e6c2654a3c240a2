import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bearerToken,
  createApiKey,
  createKeyVerifier,
  generateApiKey,
  hashApiKey,
  parseApiKey,
  readKeysFile,
  revokeApiKey,
  watchKeysFile,
} from './api-keys';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ingest-keys-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('API key format and hashing', () => {
  it('makes ssk_<12 hex id>_<64 hex secret> keys with a 256-bit secret, stored only as SHA-256', () => {
    const { key, record } = generateApiKey('S001', 'T1', new Date('2026-11-23T10:00:00Z'));
    expect(key).toMatch(/^ssk_[0-9a-f]{12}_[0-9a-f]{64}$/);
    expect(parseApiKey(key)).toEqual({ keyId: record.key_id });
    // The hash is SHA-256 of the whole key text, computed independently here.
    expect(record.hash).toBe(`sha256:${createHash('sha256').update(key).digest('hex')}`);
    expect(JSON.stringify(record)).not.toContain(key.split('_')[2]);
    expect(record).toMatchObject({ store_id: 'S001', terminal_id: 'T1', created_at: '2026-11-23T10:00:00.000Z', revoked_at: null });
  });

  it('never makes the same key twice', () => {
    const keys = new Set(Array.from({ length: 200 }, () => generateApiKey('S', 'T').key));
    expect(keys.size).toBe(200);
  });

  it('refuses store and terminal ids that events could not carry', () => {
    expect(() => generateApiKey('S 1', 'T1')).toThrow(/--store/);
    expect(() => generateApiKey('S1', '')).toThrow(/--terminal/);
  });

  it('parses only well-formed keys', () => {
    expect(parseApiKey('ssk_0123456789ab_' + 'f'.repeat(64))).toEqual({ keyId: '0123456789ab' });
    for (const bad of ['', 'ssk_', 'ssk_0123456789ab', 'ssk_0123456789ab_' + 'f'.repeat(63), 'SSK_0123456789ab_' + 'f'.repeat(64), 'ssk_0123456789ab_' + 'g'.repeat(64)]) {
      expect(parseApiKey(bad)).toBeUndefined();
    }
  });

  it('reads Bearer tokens and says what is wrong with other headers', () => {
    expect(bearerToken('Bearer abc')).toEqual({ token: 'abc' });
    expect(bearerToken('bearer   abc ')).toEqual({ token: 'abc' });
    expect(bearerToken(undefined)).toEqual({ problem: expect.stringMatching(/missing Authorization/) });
    expect(bearerToken('Basic dXNlcjpwYXNz')).toEqual({ problem: expect.stringMatching(/Bearer <api key>/) });
    expect(bearerToken('Bearer')).toEqual({ problem: expect.stringMatching(/Bearer <api key>/) });
  });
});

describe('key verification', () => {
  const a = generateApiKey('S001', 'T1');
  const b = generateApiKey('S002', 'T9');
  const revoked = generateApiKey('S001', 'T2');
  const verifier = createKeyVerifier([a.record, b.record, { ...revoked.record, revoked_at: '2026-11-23T11:00:00.000Z' }]);

  it('answers the key’s store, terminal and scope', () => {
    expect(verifier.verify(`Bearer ${a.key}`)).toEqual({ ok: true, principal: { keyId: a.record.key_id, storeId: 'S001', terminalId: 'T1', scope: 'terminal' } });
    expect(verifier.verify(`Bearer ${b.key}`)).toMatchObject({ ok: true, principal: { storeId: 'S002', terminalId: 'T9' } });
  });

  it('refuses a wrong secret for a known id, an unknown id, garbage and a revoked key', () => {
    const wrongSecret = `ssk_${a.record.key_id}_${'0'.repeat(64)}`;
    const unknownId = generateApiKey('S001', 'T1').key;
    for (const header of [`Bearer ${wrongSecret}`, `Bearer ${unknownId}`, 'Bearer not-a-key', `Bearer ${revoked.key}`]) {
      expect(verifier.verify(header)).toEqual({ ok: false, reason: 'invalid or revoked API key' });
    }
    expect(verifier.verify(undefined)).toMatchObject({ ok: false, reason: expect.stringMatching(/missing/) });
  });

  it('hashes the presented key the same way as the stored one', () => {
    expect(hashApiKey(a.key)).toBe(a.record.hash);
  });
});

describe('the keys file', () => {
  it('creates, lists and revokes keys, writing the file atomically with owner-only permissions', async () => {
    const file = join(dir, 'nested', 'api-keys.json');
    expect(readKeysFile(file)).toEqual([]);
    const one = await createApiKey(file, 'S001', 'T1');
    const two = await createApiKey(file, 'S001', 'T2');
    expect(readKeysFile(file).map((k) => k.key_id)).toEqual([one.record.key_id, two.record.key_id]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).not.toContain(one.key);

    const revoked = await revokeApiKey(file, one.record.key_id, new Date('2026-11-23T12:00:00Z'));
    expect(revoked).toMatchObject({ key_id: one.record.key_id, revoked_at: '2026-11-23T12:00:00.000Z' });
    expect(await revokeApiKey(file, 'ffffffffffff')).toBeUndefined();
    const keys = readKeysFile(file);
    expect(keys).toHaveLength(2);
    expect(createKeyVerifier(keys).verify(`Bearer ${one.key}`).ok).toBe(false);
    expect(createKeyVerifier(keys).verify(`Bearer ${two.key}`).ok).toBe(true);
  });

  it('loses no key when several commands create keys at once', async () => {
    const file = join(dir, 'api-keys.json');
    await Promise.all(Array.from({ length: 20 }, (_, i) => createApiKey(file, 'S001', `T${i}`)));
    expect(readKeysFile(file)).toHaveLength(20);
  });

  it('names the file when it is not a keys file', () => {
    const file = join(dir, 'api-keys.json');
    writeFileSync(file, '{"version": 2}');
    expect(() => readKeysFile(file)).toThrow(/api-keys.json is not a valid API keys file/);
  });

  it('is followed by a running service: new and revoked keys apply without a restart', async () => {
    const file = join(dir, 'api-keys.json');
    const first = await createApiKey(file, 'S001', 'T1');
    const errors: unknown[] = [];
    const watched = watchKeysFile(file, { intervalMs: 60_000, onError: (e) => errors.push(e) });
    try {
      expect(watched.verify(`Bearer ${first.key}`).ok).toBe(true);
      const second = await createApiKey(file, 'S001', 'T2');
      expect(watched.verify(`Bearer ${second.key}`).ok).toBe(false);
      watched.reload();
      expect(watched.verify(`Bearer ${second.key}`).ok).toBe(true);
      await revokeApiKey(file, first.record.key_id);
      watched.reload();
      expect(watched.verify(`Bearer ${first.key}`).ok).toBe(false);

      // A broken file keeps the previous keys and is reported.
      writeFileSync(file, 'not json');
      watched.reload();
      expect(watched.verify(`Bearer ${second.key}`).ok).toBe(true);
      expect(errors).toHaveLength(1);
    } finally {
      watched.close();
    }
  });
});

describe('back-office keys', () => {
  it('are bound to no store and verify with their scope; records without a scope are terminal keys', () => {
    const office = generateApiKey('*', 'ERP', new Date('2026-12-06T04:00:00Z'), 'back-office');
    expect(office.record).toMatchObject({ store_id: '*', terminal_id: 'ERP', scope: 'back-office' });
    const till = generateApiKey('S001', 'T1');
    expect(till.record.scope).toBeUndefined();
    const verifier = createKeyVerifier([office.record, till.record]);
    expect(verifier.verify(`Bearer ${office.key}`)).toEqual({ ok: true, principal: { keyId: office.record.key_id, storeId: '*', terminalId: 'ERP', scope: 'back-office' } });
    expect(verifier.verify(`Bearer ${till.key}`)).toMatchObject({ ok: true, principal: { scope: 'terminal' } });
    expect(() => generateApiKey('S001', 'ERP', new Date(), 'back-office')).toThrow(/bound to no store/);
  });
});
