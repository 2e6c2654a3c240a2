/**
 * Keeping secrets out of sight: the values of every secret setting in a resolved configuration
 * (for the logger, which scrubs them from every line whatever logged it), and the
 * configuration as `shelfstream config` prints it, each secret replaced by where it came from.
 * The values are found by walking the configuration's own fields, so a copy of it (a worker
 * thread's) yields the same list.
 */
import type { Config } from './config';
import { secretSources, type SecretSource } from './config';
import type { OptionName } from './options';

/** The fields of `Config` that hold a secret, and the option each comes from. */
const SECRET_FIELDS: readonly { readonly option: OptionName; readonly read: (c: Config) => string | undefined }[] = [
  { option: 'KAFKA_SASL_PASSWORD', read: (c) => (c.kafka.sasl !== undefined && 'password' in c.kafka.sasl ? c.kafka.sasl.password : undefined) },
  { option: 'KAFKA_SSL_KEY_PASSWORD', read: (c) => c.kafka.tls?.keyPassword },
  { option: 'SCHEMA_REGISTRY_PASSWORD', read: (c) => c.registry.auth?.password },
  { option: 'CLICKHOUSE_PASSWORD', read: (c) => (c.clickhouse.mode === 'server' ? c.clickhouse.password : undefined) },
  { option: 'CLICKHOUSE_BI_PASSWORD', read: (c) => c.clickhouseModel.bi?.password },
  { option: 'MINIO_SECRET_KEY', read: (c) => c.objectStore.secretKey },
  { option: 'KAFKA_NATIVE_SASL_PASSWORD', read: (c) => c.launcher.kafka.saslSsl?.password },
  { option: 'ALERTS_SECRET_KEY', read: (c) => c.alerts.secretKey },
  { option: 'ALERTS_API_TOKEN', read: (c) => c.alerts.api.token },
];

/** Every non-empty secret value in the configuration. */
export function secretValues(config: Config): string[] {
  const values = SECRET_FIELDS.map((f) => f.read(config)).filter((v): v is string => v !== undefined && v !== '');
  return [...new Set(values)];
}

const SHOWN_AS: Record<SecretSource, string> = { env: '<set>', file: '<from file>', default: '<default>', unset: '<unset>' };

/**
 * The configuration as a plain object with each secret replaced by `<set>`, `<from file>` or
 * `<default>`. Any other string equal to a secret value is replaced too (a user name chosen
 * equal to a password would otherwise give it away).
 */
export function configForDisplay(config: Config, env: Readonly<Record<string, string | undefined>>): unknown {
  const sources = secretSources(env);
  const marker = new Map<string, string>();
  for (const field of SECRET_FIELDS) {
    const value = field.read(config);
    if (value === undefined || value === '') continue;
    // The Confluent form user:password fills the registry password too.
    const source = field.option === 'SCHEMA_REGISTRY_PASSWORD' && sources.SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO !== 'unset' ? sources.SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO : sources[field.option];
    marker.set(value, SHOWN_AS[source ?? 'env']);
  }
  return JSON.parse(JSON.stringify(config), (_key: string, value: unknown) => (typeof value === 'string' && marker.has(value) ? marker.get(value) : value)) as unknown;
}
