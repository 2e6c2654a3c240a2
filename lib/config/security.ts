/**
 * The security settings resolved from the option values: Kafka's TLS and SASL, the registry's
 * basic auth, and the checks that refuse impossible combinations and unreadable files at
 * start-up, each problem naming its variables (never a secret's value).
 */
import { accessSync, constants as fsConstants } from 'node:fs';
import type { KafkaSaslConfig, KafkaTlsConfig, RegistryConfig } from './config';
import type { OptionName, OptionValues } from './options';

const TLS_PROTOCOLS: ReadonlySet<string> = new Set(['SSL', 'SASL_SSL']);
const SASL_PROTOCOLS: ReadonlySet<string> = new Set(['SASL_PLAINTEXT', 'SASL_SSL']);

export function kafkaTlsFrom(v: OptionValues): KafkaTlsConfig | undefined {
  if (!TLS_PROTOCOLS.has(v.KAFKA_SECURITY_PROTOCOL!)) return undefined;
  return {
    caFile: v.KAFKA_SSL_CA_FILE,
    certFile: v.KAFKA_SSL_CERT_FILE,
    keyFile: v.KAFKA_SSL_KEY_FILE,
    keyPassword: v.KAFKA_SSL_KEY_PASSWORD,
    checkHostname: v.KAFKA_SSL_CHECK_HOSTNAME!,
  };
}

export function kafkaSaslFrom(v: OptionValues): KafkaSaslConfig | undefined {
  if (!SASL_PROTOCOLS.has(v.KAFKA_SECURITY_PROTOCOL!) || v.KAFKA_SASL_MECHANISM === undefined) return undefined;
  if (v.KAFKA_SASL_MECHANISM === 'OAUTHBEARER') return { mechanism: 'OAUTHBEARER', tokenFile: v.KAFKA_SASL_OAUTHBEARER_TOKEN_FILE ?? '' };
  return { mechanism: v.KAFKA_SASL_MECHANISM, username: v.KAFKA_SASL_USERNAME ?? '', password: v.KAFKA_SASL_PASSWORD ?? '' };
}

export function registryAuthFrom(v: OptionValues): RegistryConfig['auth'] {
  const userInfo = v.SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO;
  if (userInfo !== undefined) {
    const colon = userInfo.indexOf(':');
    return { username: userInfo.slice(0, colon), password: userInfo.slice(colon + 1) };
  }
  if (v.SCHEMA_REGISTRY_USER === undefined) return undefined;
  return { username: v.SCHEMA_REGISTRY_USER, password: v.SCHEMA_REGISTRY_PASSWORD ?? '' };
}

/**
 * Combinations of security settings that cannot work, each named so the operator fixes it
 * before the first connection rather than reading a broker's disconnect. Values of secrets are
 * never quoted, only their names.
 */
export function securityProblems(v: OptionValues): string[] {
  const problems: string[] = [];
  const protocol = v.KAFKA_SECURITY_PROTOCOL!;
  const usesTls = TLS_PROTOCOLS.has(protocol);
  const usesSasl = SASL_PROTOCOLS.has(protocol);
  if (!usesTls) {
    const tlsSettings = (['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE', 'KAFKA_SSL_KEY_PASSWORD'] as const).filter((n) => v[n] !== undefined);
    if (tlsSettings.length > 0) problems.push(`${tlsSettings.join(', ')} set but KAFKA_SECURITY_PROTOCOL=${protocol} uses no TLS (use SSL or SASL_SSL)`);
  } else if ((v.KAFKA_SSL_CERT_FILE === undefined) !== (v.KAFKA_SSL_KEY_FILE === undefined)) {
    problems.push('mutual TLS needs both KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE');
  }
  if (!usesSasl) {
    const saslSettings = (['KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD', 'KAFKA_SASL_OAUTHBEARER_TOKEN_FILE'] as const).filter((n) => v[n] !== undefined);
    if (saslSettings.length > 0) problems.push(`${saslSettings.join(', ')} set but KAFKA_SECURITY_PROTOCOL=${protocol} uses no SASL (use SASL_SSL or SASL_PLAINTEXT)`);
  } else if (v.KAFKA_SASL_MECHANISM === undefined) {
    problems.push(`KAFKA_SECURITY_PROTOCOL=${protocol} needs KAFKA_SASL_MECHANISM (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER)`);
  } else if (v.KAFKA_SASL_MECHANISM === 'OAUTHBEARER') {
    if (v.KAFKA_SASL_OAUTHBEARER_TOKEN_FILE === undefined) problems.push('KAFKA_SASL_MECHANISM=OAUTHBEARER needs KAFKA_SASL_OAUTHBEARER_TOKEN_FILE');
  } else {
    const missing = (['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const).filter((n) => v[n] === undefined);
    if (missing.length > 0) problems.push(`KAFKA_SASL_MECHANISM=${v.KAFKA_SASL_MECHANISM} needs ${missing.join(' and ')} (or KAFKA_SASL_PASSWORD_FILE)`);
  }
  if (v.SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO !== undefined && (v.SCHEMA_REGISTRY_USER !== undefined || v.SCHEMA_REGISTRY_PASSWORD !== undefined)) {
    problems.push('set either SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO or SCHEMA_REGISTRY_USER and SCHEMA_REGISTRY_PASSWORD, not both');
  } else if ((v.SCHEMA_REGISTRY_USER === undefined) !== (v.SCHEMA_REGISTRY_PASSWORD === undefined)) {
    problems.push('registry basic auth needs both SCHEMA_REGISTRY_USER and SCHEMA_REGISTRY_PASSWORD');
  }
  // A URL is printed in logs and errors; credentials inside it would be too.
  if (v.SCHEMA_REGISTRY_URL !== undefined && /^[a-z]+:\/\/[^/]*@/i.test(v.SCHEMA_REGISTRY_URL)) {
    problems.push('SCHEMA_REGISTRY_URL holds credentials (user:password@); move them to SCHEMA_REGISTRY_USER and SCHEMA_REGISTRY_PASSWORD');
  }
  if (v.MINIO_ENDPOINT !== undefined && /^[a-z]+:\/\/[^/]*@/i.test(v.MINIO_ENDPOINT)) {
    problems.push('MINIO_ENDPOINT holds credentials (user:password@); use MINIO_ACCESS_KEY and MINIO_SECRET_KEY');
  }
  if (v.CLICKHOUSE_URL !== undefined && /^[a-z]+:\/\/[^/]*@/i.test(v.CLICKHOUSE_URL)) {
    problems.push('CLICKHOUSE_URL holds credentials (user:password@); use CLICKHOUSE_USER and CLICKHOUSE_PASSWORD');
  }
  const saslSslPort = v.KAFKA_NATIVE_SASL_SSL_PORT;
  if (saslSslPort !== undefined && (saslSslPort === v.KAFKA_PORT || saslSslPort === v.KAFKA_CONTROLLER_PORT)) {
    problems.push('KAFKA_NATIVE_SASL_SSL_PORT must differ from KAFKA_PORT and KAFKA_CONTROLLER_PORT');
  }
  return problems;
}

const FILE_OPTIONS = [
  'KAFKA_SSL_CA_FILE',
  'KAFKA_SSL_CERT_FILE',
  'KAFKA_SSL_KEY_FILE',
  'KAFKA_SASL_OAUTHBEARER_TOKEN_FILE',
  'SCHEMA_REGISTRY_CA_FILE',
  'CLICKHOUSE_CA_FILE',
  'MINIO_CA_FILE',
] as const satisfies readonly OptionName[];

/** Files the security settings name that this process cannot read, checked at start-up. */
export function unreadableFiles(v: OptionValues): string[] {
  const problems: string[] = [];
  for (const name of FILE_OPTIONS) {
    const path = v[name];
    if (path === undefined) continue;
    try {
      accessSync(path, fsConstants.R_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      problems.push(`${name}=${path} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? 'error'})`}`);
    }
  }
  return problems;
}
