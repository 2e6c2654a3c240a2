/**
 * The TLS and SASL settings of a Kafka connection, translated once from the configuration into
 * what each client library takes (kafkajs' `ssl`/`sasl`, @platformatic/kafka's `tls`/`sasl`),
 * so every client the project builds speaks to a secured cluster the same way.
 *
 * What the libraries support (kafkajs 2.2, @platformatic/kafka 1.35): PLAIN, SCRAM-SHA-256,
 * SCRAM-SHA-512 and OAUTHBEARER (a token callback: ShelfStream reads the token from a file;
 * neither library fetches one from an OIDC endpoint) in both. Neither speaks GSSAPI
 * (Kerberos). kafkajs has an `aws` mechanism (MSK IAM) that @platformatic/kafka lacks, so it
 * is not offered: Amazon MSK is reached with SCRAM or mutual TLS.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { SASLOptions as KafkajsSasl } from 'kafkajs';
import type { KafkaConfig, KafkaSaslConfig, KafkaTlsConfig } from '../config';
import { ShelfStreamError } from '../errors';

/**
 * Node's TLS options for the brokers. Certificates and the key are read from their files when a
 * client is built (the configuration holds only paths). With the host-name check off, the chain
 * is still verified: only the name match is skipped.
 */
export function brokerTlsOptions(tls: KafkaTlsConfig): TlsOptions {
  return {
    rejectUnauthorized: true,
    ...(tls.caFile !== undefined ? { ca: readFileSync(tls.caFile) } : {}),
    ...(tls.certFile !== undefined ? { cert: readFileSync(tls.certFile) } : {}),
    ...(tls.keyFile !== undefined ? { key: readFileSync(tls.keyFile) } : {}),
    ...(tls.keyPassword !== undefined ? { passphrase: tls.keyPassword } : {}),
    ...(tls.checkHostname ? {} : { checkServerIdentity: () => undefined }),
  };
}

/** The current OAUTHBEARER token: read at each authentication, so a refreshed file is used. */
export function readBearerToken(tokenFile: string): string {
  return readFileSync(tokenFile, 'utf8').trim();
}

export function kafkajsSasl(sasl: KafkaSaslConfig): KafkajsSasl {
  if (sasl.mechanism === 'OAUTHBEARER') {
    const { tokenFile } = sasl;
    return { mechanism: 'oauthbearer', oauthBearerProvider: () => Promise.resolve({ value: readBearerToken(tokenFile) }) };
  }
  const { username, password } = sasl;
  if (sasl.mechanism === 'PLAIN') return { mechanism: 'plain', username, password };
  if (sasl.mechanism === 'SCRAM-SHA-256') return { mechanism: 'scram-sha-256', username, password };
  return { mechanism: 'scram-sha-512', username, password };
}

export interface PlatformaticSasl {
  mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512' | 'OAUTHBEARER';
  username?: string;
  password?: string;
  token?: () => string;
}

export function platformaticSasl(sasl: KafkaSaslConfig): PlatformaticSasl {
  if (sasl.mechanism === 'OAUTHBEARER') {
    const { tokenFile } = sasl;
    return { mechanism: 'OAUTHBEARER', token: () => readBearerToken(tokenFile) };
  }
  return { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password };
}

/** kafkajs' `ssl` and `sasl` options for the configured security protocol. */
export function kafkajsSecurity(config: KafkaConfig): { ssl?: TlsOptions; sasl?: KafkajsSasl } {
  return {
    ...(config.tls !== undefined ? { ssl: brokerTlsOptions(config.tls) } : {}),
    ...(config.sasl !== undefined ? { sasl: kafkajsSasl(config.sasl) } : {}),
  };
}

/** @platformatic/kafka's `tls` and `sasl` options for the configured security protocol. */
export function platformaticSecurity(config: KafkaConfig): { tls?: TlsOptions; sasl?: PlatformaticSasl } {
  return {
    ...(config.tls !== undefined ? { tls: brokerTlsOptions(config.tls) } : {}),
    ...(config.sasl !== undefined ? { sasl: platformaticSasl(config.sasl) } : {}),
  };
}

// ── why a secured connection failed ─────────────────────────────────────────────────────

/** Node's codes for a certificate chain that does not lead to a trusted CA. */
const UNTRUSTED_CODES: ReadonlySet<string> = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

interface ErrorLike {
  readonly name?: string;
  readonly code?: string | number;
  readonly message?: string;
  readonly cause?: unknown;
  readonly errors?: readonly unknown[];
  /** kafkajs' KafkaJSNumberOfRetriesExceeded keeps the last attempt's error here. */
  readonly originalError?: unknown;
}

/** Every error in a tree of causes (both libraries nest: retries, brokers, then the socket). */
function errorTree(error: unknown, depth = 0): ErrorLike[] {
  if (error === null || typeof error !== 'object' || depth > 8) return [];
  const e = error as ErrorLike;
  return [e, ...[e.cause, e.originalError, ...(e.errors ?? [])].flatMap((child) => errorTree(child, depth + 1))];
}

/**
 * The security cause of a failed Kafka connection, as an error that names it and the settings
 * to check, or undefined when the failure is something else (a broker down is retriable; these
 * are not: the same certificate or password fails the same way every time). Secrets are never
 * quoted, only the user name and file paths.
 */
export function kafkaSecurityFailure(error: unknown, config: KafkaConfig): ShelfStreamError | undefined {
  const tree = errorTree(error);
  const context = { brokers: config.brokers.join(','), securityProtocol: config.securityProtocol };
  const sasl = tree.find((e) => e.name === 'KafkaJSSASLAuthenticationError' || e.code === 'PLT_KFK_AUTHENTICATION');
  if (sasl) {
    const who = config.sasl !== undefined && 'username' in config.sasl ? `user ${config.sasl.username} (${config.sasl.mechanism})` : `the ${config.sasl?.mechanism ?? 'SASL'} credentials`;
    return new ShelfStreamError(
      'AUTHENTICATION_FAILED',
      `Kafka at ${context.brokers} refused the SASL authentication of ${who}: check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD and KAFKA_SASL_MECHANISM`,
      { cause: error, context },
    );
  }
  // kafkajs' protocol errors carry a numeric code: only a string code is a TLS one.
  const tls = tree.find((e) => typeof e.code === 'string' && (e.code === 'ERR_TLS_CERT_ALTNAME_INVALID' || UNTRUSTED_CODES.has(e.code) || e.code.startsWith('CERT_')));
  if (tls?.code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new ShelfStreamError(
      'TLS_VERIFY_FAILED',
      `Kafka at ${context.brokers}: the broker's certificate does not name the host the client connected to (${tls.message ?? ''}); connect by a name in the certificate (KAFKA_BROKERS and the broker's advertised listeners) or, only if the certificate cannot be fixed, set KAFKA_SSL_CHECK_HOSTNAME=false`,
      { cause: error, context },
    );
  }
  if (tls?.code !== undefined && typeof tls.code === 'string' && UNTRUSTED_CODES.has(tls.code)) {
    const trusted = config.tls?.caFile !== undefined ? `the CA in KAFKA_SSL_CA_FILE=${config.tls.caFile}` : "Node's public CAs (KAFKA_SSL_CA_FILE unset)";
    return new ShelfStreamError(
      'TLS_VERIFY_FAILED',
      `Kafka at ${context.brokers}: the broker's certificate is not signed by a trusted CA (${tls.code}: ${tls.message ?? ''}); this client trusts ${trusted}`,
      { cause: error, context },
    );
  }
  if (tls?.code !== undefined) {
    return new ShelfStreamError('TLS_VERIFY_FAILED', `Kafka at ${context.brokers}: the broker's certificate was refused (${tls.code}: ${tls.message ?? ''})`, { cause: error, context });
  }
  return undefined;
}
