/**
 * Where a webhook may go. A subscription URL is a request the service makes on someone's behalf,
 * so it must not reach the platform's own network (server-side request forgery): HTTPS only, and
 * no loopback, private, link-local or other non-public address, unless an operator allowed the
 * host (ALERTS_ALLOWED_HOSTS; tests and local receivers need loopback).
 *
 * The address is checked when the connection is made, by the `lookup` the HTTP request uses,
 * not only when the subscription is saved: a name that resolved to a public address yesterday may
 * resolve to 169.254.169.254 today (DNS rebinding).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { ShelfStreamError } from '../../lib/errors';

export interface DestinationPolicy {
  /** Host names or addresses (lower case) that may use http:// and non-public addresses. */
  readonly allowedHosts: readonly string[];
}

const NON_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NON_PUBLIC.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  NON_PUBLIC.addSubnet(net, prefix, 'ipv6');
}

/** True for loopback, private, link-local, carrier-grade NAT, multicast and reserved addresses. */
export function isNonPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return NON_PUBLIC.check(address, 'ipv4');
  if (family !== 6) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return NON_PUBLIC.check(mapped[1], 'ipv4');
  return NON_PUBLIC.check(address, 'ipv6');
}

function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
}

function isAllowedHost(host: string, policy: DestinationPolicy): boolean {
  return policy.allowedHosts.includes(host);
}

/**
 * Parses a subscription URL and applies the rules that need no DNS. The error names what is
 * wrong but never repeats the URL: it may hold a chat webhook's token.
 */
export function checkDestinationUrl(raw: string, policy: DestinationPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // The parser's message quotes the input, which may hold a token: say it in our own words.
    throw new ShelfStreamError('INVALID_ARGUMENT', 'the subscription URL is not a valid absolute URL (scheme://host/path)');
  }
  const host = hostOf(url);
  const allowed = isAllowedHost(host, policy);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && allowed)) {
    throw new ShelfStreamError('INVALID_ARGUMENT', `the subscription URL must use https:// (host ${host} is not in ALERTS_ALLOWED_HOSTS, which may use http://)`);
  }
  if (url.username || url.password) throw new ShelfStreamError('INVALID_ARGUMENT', 'the subscription URL must not carry a user name or password');
  if (isIP(host) && isNonPublicAddress(host) && !allowed) {
    throw new ShelfStreamError('INVALID_ARGUMENT', `the subscription URL points at a non-public address (${host}); add it to ALERTS_ALLOWED_HOSTS to allow it`);
  }
  return url;
}

/**
 * A `lookup` for http.request that resolves like the system does, then refuses a non-public
 * address for a host the operator did not allow. Node connects to exactly the address this
 * returns, so the check holds for the connection actually made.
 */
export function guardedLookup(policy: DestinationPolicy, resolve: typeof dnsLookup = dnsLookup): LookupFunction {
  return (hostname, options, callback) => {
    const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
    resolve(host, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = (Array.isArray(addresses) ? addresses : [{ address: addresses as unknown as string, family: 4 }]) as LookupAddress[];
      const usable = isAllowedHost(host, policy) ? list : list.filter((a) => !isNonPublicAddress(a.address));
      if (usable.length === 0) {
        const refused = new ShelfStreamError('INVALID_ARGUMENT', `refused to connect to ${host}: it resolves only to non-public addresses (${list.map((a) => a.address).join(', ')}); add it to ALERTS_ALLOWED_HOSTS to allow it`, {
          context: { host },
        });
        return callback(Object.assign(refused, { errno: 0, syscall: 'lookup' }) as unknown as NodeJS.ErrnoException, '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, usable);
      const first = usable[0]!;
      callback(null, first.address, first.family);
    });
  };
}
