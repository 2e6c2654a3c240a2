import type { LookupAddress } from 'node:dns';
import { checkDestinationUrl, guardedLookup, isNonPublicAddress } from './destination-guard';

const strict = { allowedHosts: [] };

describe('which webhook destinations are allowed', () => {
  it('knows the non-public ranges, IPv4, IPv6 and IPv4-mapped', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fe80::1', 'fd00::1', '::ffff:10.0.0.1']) {
      expect([a, isNonPublicAddress(a)]).toEqual([a, true]);
    }
    for (const a of ['8.8.8.8', '172.32.0.1', '2606:4700::1111', '::ffff:1.1.1.1']) expect([a, isNonPublicAddress(a)]).toEqual([a, false]);
  });

  it('takes https URLs to public hosts', () => {
    expect(checkDestinationUrl('https://hooks.slack.com/services/T0/B0/xyz', strict).hostname).toBe('hooks.slack.com');
  });

  it('refuses plain http, private literals, credentials and garbage with a reason and without echoing the URL', () => {
    const cases: [string, RegExp][] = [
      ['http://example.com/hook', /must use https/],
      ['https://10.0.0.5/hook', /non-public address/],
      ['https://[::1]:8443/hook', /non-public address/],
      ['https://user:tok3n@example.com/', /user name or password/],
      ['hooks.slack.com/services/SECRET', /not a valid absolute URL/],
    ];
    for (const [url, reason] of cases) {
      expect(() => checkDestinationUrl(url, strict)).toThrow(reason);
      try {
        checkDestinationUrl(url, strict);
      } catch (error) {
        expect(String((error as Error).message)).not.toContain('tok3n');
        expect(String((error as Error).message)).not.toContain('SECRET');
      }
    }
  });

  it('lets an operator allow a host over http and on loopback', () => {
    expect(checkDestinationUrl('http://127.0.0.1:9999/hook', { allowedHosts: ['127.0.0.1'] }).port).toBe('9999');
  });
});

describe('the lookup a connection uses', () => {
  /** A resolver answering fixed addresses: the DNS answer a rebinding attacker would give. */
  function resolver(addresses: string[]) {
    return ((_host: string, _options: object, callback: (e: Error | null, a: LookupAddress[]) => void) =>
      callback(
        null,
        addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
      )) as unknown as typeof import('node:dns').lookup;
  }

  function lookupOnce(lookup: ReturnType<typeof guardedLookup>, host: string): Promise<{ error: Error | null; address: string }> {
    return new Promise((resolve) => lookup(host, {}, (error, address) => resolve({ error, address: address as string })));
  }

  it('refuses a name that now resolves to the metadata address', async () => {
    const outcome = await lookupOnce(guardedLookup(strict, resolver(['169.254.169.254'])), 'hooks.example.com');
    expect(outcome.error?.message).toMatch(/refused to connect to hooks.example.com: it resolves only to non-public addresses \(169.254.169.254\)/);
  });

  it('connects to a public address of a name that resolves to both', async () => {
    const outcome = await lookupOnce(guardedLookup(strict, resolver(['10.0.0.1', '93.184.216.34'])), 'mixed.example.com');
    expect(outcome).toEqual({ error: null, address: '93.184.216.34' });
  });

  it('lets an allowed host resolve to loopback', async () => {
    const outcome = await lookupOnce(guardedLookup({ allowedHosts: ['localhost'] }, resolver(['127.0.0.1'])), 'localhost');
    expect(outcome).toEqual({ error: null, address: '127.0.0.1' });
  });
});
