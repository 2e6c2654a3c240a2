import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { checkSigningSecret, createSigner, generateSigningSecret } from './signing';

/** The specification's formula, computed here with node:crypto, independently of the package. */
function expectedSignature(secret: string, id: string, timestamp: string, body: string): string {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

describe('Standard Webhooks signing', () => {
  const sign = createSigner();
  const body = '{"type":"stockout_risk.raised","timestamp":"2026-12-05T08:00:00.000Z","data":{}}';

  it('signs v1,base64(HMAC-SHA256(id.timestamp.body)) with the attempt time in whole seconds', () => {
    const secret = generateSigningSecret();
    const headers = sign('msg_1', Date.parse('2026-12-05T08:00:07.900Z'), body, [secret]);
    expect(headers['webhook-id']).toBe('msg_1');
    expect(headers['webhook-timestamp']).toBe(String(Date.parse('2026-12-05T08:00:07Z') / 1000));
    expect(headers['webhook-signature']).toBe(expectedSignature(secret, 'msg_1', headers['webhook-timestamp'], body));
  });

  it('carries one signature per secret during a rotation, each verifiable alone', () => {
    const [next, previous] = [generateSigningSecret(), generateSigningSecret()];
    const headers = sign('msg_2', Date.now(), body, [next, previous]);
    const signatures = headers['webhook-signature'].split(' ');
    expect(signatures).toEqual([next, previous].map((s) => expectedSignature(s, 'msg_2', headers['webhook-timestamp'], body)));
    for (const secret of [next, previous]) expect(() => new Webhook(secret).verify(body, { ...headers })).not.toThrow();
    expect(() => new Webhook(generateSigningSecret()).verify(body, { ...headers })).toThrow();
  });

  it('keeps the id and re-signs the timestamp on a retry, so verifiers never see a stale one', () => {
    const secret = generateSigningSecret();
    const first = sign('msg_3', Date.parse('2026-12-05T08:00:00Z'), body, [secret]);
    const retry = sign('msg_3', Date.parse('2026-12-05T10:00:00Z'), body, [secret]);
    expect(retry['webhook-id']).toBe(first['webhook-id']);
    expect(Number(retry['webhook-timestamp']) - Number(first['webhook-timestamp'])).toBe(7_200);
    expect(retry['webhook-signature']).not.toBe(first['webhook-signature']);
  });

  it('makes whsec_ secrets of 24 random bytes and refuses malformed ones without echoing them', () => {
    const secret = generateSigningSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(() => checkSigningSecret(secret)).not.toThrow();
    for (const bad of ['whsec_c2hvcnQ=', 'not-a-secret-at-all-but-long-enough-to-pass', 'whsec_!!!!']) {
      expect(() => checkSigningSecret(bad)).toThrow(/whsec_/);
      try {
        checkSigningSecret(bad);
      } catch (error) {
        expect(String(error)).not.toContain(bad);
      }
    }
  });

  it('refuses to send a message with no secret', () => {
    expect(() => sign('msg_4', Date.now(), body, [])).toThrow(/no signing secret/);
  });
});
