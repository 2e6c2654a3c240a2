/**
 * The CAs an HTTPS client trusts when the operator names a CA file (a private PKI in front of
 * the registry, the object store or a ClickHouse server): Node's public list plus that file.
 * Node's `ca` option replaces the public list rather than adding to it, so both are passed.
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';

export function trustedCas(caFile: string): string[] {
  return [...rootCertificates, readFileSync(caFile, 'utf8')];
}
