import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ShelfStreamError } from '../errors';
import { scrubSecrets } from '../logger';
import { OPTIONS, configForDisplay, loadConfig, secretValues, type OptionName } from '.';

const dir = mkdtempSync(join(tmpdir(), 'shelfstream-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ca = join(dir, 'ca.pem');
writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n');

function configError(env: Record<string, string>): ShelfStreamError {
  try {
    loadConfig(env);
  } catch (error) {
    return error as ShelfStreamError;
  }
  throw new Error('expected loadConfig to refuse the configuration');
}

const SASL_SSL = { KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_SASL_USERNAME: 'pos', KAFKA_SASL_PASSWORD: 'till-roll-42', KAFKA_SSL_CA_FILE: ca };

describe('Kafka security settings', () => {
  it('resolves SASL_SSL with SCRAM into TLS and SASL settings, host names checked by default', () => {
    const config = loadConfig(SASL_SSL);
    expect(config.kafka.tls).toEqual({ caFile: ca, certFile: undefined, keyFile: undefined, keyPassword: undefined, checkHostname: true });
    expect(config.kafka.sasl).toEqual({ mechanism: 'SCRAM-SHA-512', username: 'pos', password: 'till-roll-42' });
  });

  it('uses neither TLS nor SASL by default', () => {
    const config = loadConfig({});
    expect(config.kafka).toMatchObject({ securityProtocol: 'PLAINTEXT', tls: undefined, sasl: undefined });
  });

  it.each([
    [{ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL' }, /KAFKA_SECURITY_PROTOCOL=SASL_SSL needs KAFKA_SASL_MECHANISM/],
    [{ ...SASL_SSL, KAFKA_SASL_PASSWORD: '' }, /KAFKA_SASL_MECHANISM=SCRAM-SHA-512 needs KAFKA_SASL_PASSWORD/],
    [{ KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT', KAFKA_SASL_MECHANISM: 'OAUTHBEARER' }, /OAUTHBEARER needs KAFKA_SASL_OAUTHBEARER_TOKEN_FILE/],
    [{ KAFKA_SASL_USERNAME: 'pos' }, /KAFKA_SASL_USERNAME set but KAFKA_SECURITY_PROTOCOL=PLAINTEXT uses no SASL/],
    [{ KAFKA_SSL_CA_FILE: ca }, /KAFKA_SSL_CA_FILE set but KAFKA_SECURITY_PROTOCOL=PLAINTEXT uses no TLS/],
    [{ ...SASL_SSL, KAFKA_SSL_CA_FILE: join(dir, 'missing.pem') }, /KAFKA_SSL_CA_FILE=.*missing\.pem does not exist/],
    [{ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CERT_FILE: ca }, /mutual TLS needs both KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE/],
    [{ SCHEMA_REGISTRY_USER: 'bi' }, /needs both SCHEMA_REGISTRY_USER and SCHEMA_REGISTRY_PASSWORD/],
    [{ SCHEMA_REGISTRY_URL: 'https://bi:pw@registry.example.com' }, /SCHEMA_REGISTRY_URL holds credentials/],
    [{ SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: 'bi:pw', SCHEMA_REGISTRY_USER: 'bi' }, /either SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO or/],
    [{ MINIO_CA_FILE: join(dir, 'nope.pem') }, /MINIO_CA_FILE=.*nope\.pem does not exist/],
  ])('refuses %j with a clear error', (env, message) => {
    const error = configError(env);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('till-roll-42');
  });

  it("reads registry basic auth in Confluent's user:password form", () => {
    expect(loadConfig({ SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: 'KEY123:sec:ret' }).registry.auth).toEqual({ username: 'KEY123', password: 'sec:ret' });
  });
});

describe('secrets from files', () => {
  const secretOptions = (Object.keys(OPTIONS) as OptionName[]).filter((name) => 'secret' in OPTIONS[name] && OPTIONS[name].secret);

  it('lets every secret option come from <NAME>_FILE, one trailing newline trimmed', () => {
    expect(secretOptions.length).toBeGreaterThanOrEqual(8);
    const file = join(dir, 'sasl-password');
    writeFileSync(file, 'from-a-file-123\n');
    expect(loadConfig({ ...SASL_SSL, KAFKA_SASL_PASSWORD: '', KAFKA_SASL_PASSWORD_FILE: file }).kafka.sasl).toMatchObject({ password: 'from-a-file-123' });
    for (const name of secretOptions) {
      const other = join(dir, name);
      writeFileSync(other, 'x');
      // Each option's file is read (and its content validated) under that option's name.
      const error = (() => {
        try {
          loadConfig({ [`${name}_FILE`]: join(dir, 'absent') });
        } catch (e) {
          return e as Error;
        }
        return undefined;
      })();
      expect(error?.message).toContain(`${name}_FILE names`);
    }
  });

  it('refuses a secret given both ways, naming both variables and neither value', () => {
    const file = join(dir, 'minio-secret');
    writeFileSync(file, 'bucket-secret-from-file');
    const error = configError({ MINIO_SECRET_KEY: 'bucket-secret-in-env', MINIO_SECRET_KEY_FILE: file });
    expect(error.message).toContain('both MINIO_SECRET_KEY and MINIO_SECRET_KEY_FILE are set');
    expect(error.message).not.toMatch(/bucket-secret/);
  });

  it('shows secrets as where they came from, never their values', () => {
    const file = join(dir, 'registry-password');
    writeFileSync(file, 'registry-pw-1\n');
    const env = { ...SASL_SSL, SCHEMA_REGISTRY_USER: 'bi', SCHEMA_REGISTRY_PASSWORD_FILE: file, CLICKHOUSE_URL: 'https://ch.example.com:8443', CLICKHOUSE_PASSWORD: 'ch-pw-77' };
    const config = loadConfig(env);
    const shown = JSON.stringify(configForDisplay(config, env));
    for (const secret of ['till-roll-42', 'registry-pw-1', 'ch-pw-77', 'shelfstream-secret']) expect(shown).not.toContain(secret);
    expect(configForDisplay(config, env)).toMatchObject({
      kafka: { sasl: { password: '<set>' } },
      registry: { auth: { username: 'bi', password: '<from file>' } },
      clickhouse: { password: '<set>' },
      objectStore: { secretKey: '<default>' },
    });
    expect(secretValues(config).sort()).toEqual(['ch-pw-77', 'registry-pw-1', 'shelfstream-secret', 'till-roll-42'].sort());
  });
});

describe('scrubSecrets', () => {
  it('removes a secret in its raw and JSON-escaped forms', () => {
    const secret = 'p"a\\ss';
    const line = JSON.stringify({ msg: `auth with ${secret} failed`, raw: secret });
    const scrubbed = scrubSecrets(line, [secret]);
    expect(scrubbed).not.toContain(JSON.stringify(secret).slice(1, -1));
    expect(JSON.parse(scrubbed)).toEqual({ msg: 'auth with [redacted] failed', raw: '[redacted]' });
  });
});
