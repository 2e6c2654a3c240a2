import { randomBytes } from 'node:crypto';
import { createSecretBox, parseSecretKey } from './secret-box';
import { redactUrl } from './redact';

describe('subscription credentials at rest', () => {
  const key = randomBytes(32);
  const box = createSecretBox(key);

  it('seals so that the plain text is not in the sealed form and opens back', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const sealed = box.seal(secret, 'sub_1');
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain('MfKQ9r8');
    expect(box.open(sealed, 'sub_1')).toBe(secret);
    expect(box.seal(secret, 'sub_1')).not.toBe(sealed);
  });

  it('refuses a sealed value moved to another subscription, altered, or opened with another key', () => {
    const sealed = box.seal('https://hooks.slack.com/services/T/B/token', 'sub_1');
    expect(() => box.open(sealed, 'sub_2')).toThrow(/cannot open the credentials of subscription sub_2/);
    const parts = sealed.split('.');
    const flipped = [...parts.slice(0, 3), Buffer.from(Buffer.from(parts[3]!, 'base64url').map((b, i) => (i === 0 ? b ^ 1 : b))).toString('base64url')].join('.');
    expect(() => box.open(flipped, 'sub_1')).toThrow(/altered/);
    expect(() => createSecretBox(randomBytes(32)).open(sealed, 'sub_1')).toThrow(/ALERTS_SECRET_KEY/);
  });

  it('reads the configured key as 32 bytes of base64 and says how to make one otherwise', () => {
    expect(parseSecretKey(key.toString('base64'))).toEqual(key);
    expect(() => parseSecretKey('short')).toThrow(/openssl rand -base64 32/);
  });
});

describe('URL redaction', () => {
  it('keeps scheme, host and port only', () => {
    expect(redactUrl('https://hooks.slack.com/services/T000/B000/XXXXXXXX')).toBe('https://hooks.slack.com/***');
    expect(redactUrl('https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?sig=SECRET')).toBe('https://prod-12.westeurope.logic.azure.com/***');
    expect(redactUrl('http://127.0.0.1:9999/')).toBe('http://127.0.0.1:9999/');
    expect(redactUrl('not a url with a token')).toBe('***');
  });
});
