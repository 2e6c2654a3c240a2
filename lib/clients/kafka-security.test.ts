import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config';
import { kafkajsSecurity, kafkaSecurityFailure, platformaticSecurity } from './kafka-security';

const dir = mkdtempSync(join(tmpdir(), 'shelfstream-kafka-security-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ca = join(dir, 'ca.pem');
writeFileSync(ca, 'CA PEM');
const token = join(dir, 'token');

describe('Kafka security options per library', () => {
  it('gives both libraries the CA, SCRAM credentials and the host-name check', () => {
    const config = loadConfig({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256', KAFKA_SASL_USERNAME: 'pos', KAFKA_SASL_PASSWORD: 'pw-1', KAFKA_SSL_CA_FILE: ca }).kafka;
    const kjs = kafkajsSecurity(config);
    expect(kjs.sasl).toEqual({ mechanism: 'scram-sha-256', username: 'pos', password: 'pw-1' });
    expect(kjs.ssl?.ca?.toString()).toBe('CA PEM');
    expect(kjs.ssl?.rejectUnauthorized).toBe(true);
    expect(kjs.ssl?.checkServerIdentity).toBeUndefined();
    const plt = platformaticSecurity(config);
    expect(plt.sasl).toEqual({ mechanism: 'SCRAM-SHA-256', username: 'pos', password: 'pw-1' });
    expect(plt.tls?.ca?.toString()).toBe('CA PEM');
  });

  it('skips only the name match when KAFKA_SSL_CHECK_HOSTNAME=false', () => {
    const config = loadConfig({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CHECK_HOSTNAME: 'false' }).kafka;
    const { ssl } = kafkajsSecurity(config);
    expect(ssl?.rejectUnauthorized).toBe(true);
    expect(ssl?.checkServerIdentity?.('kafka.example.com', {} as never)).toBeUndefined();
  });

  it('reads the OAUTHBEARER token at each authentication', async () => {
    writeFileSync(token, 'jwt-1\n');
    const config = loadConfig({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'OAUTHBEARER', KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: token }).kafka;
    const kjs = kafkajsSecurity(config).sasl as { oauthBearerProvider: () => Promise<{ value: string }> };
    const plt = platformaticSecurity(config).sasl!;
    expect(await kjs.oauthBearerProvider()).toEqual({ value: 'jwt-1' });
    writeFileSync(token, 'jwt-2\n');
    expect(await kjs.oauthBearerProvider()).toEqual({ value: 'jwt-2' });
    expect(plt.token?.()).toBe('jwt-2');
  });

  it('sets nothing for PLAINTEXT', () => {
    expect(kafkajsSecurity(loadConfig({}).kafka)).toEqual({});
    expect(platformaticSecurity(loadConfig({}).kafka)).toEqual({});
  });
});

describe('kafkaSecurityFailure', () => {
  const config = loadConfig({ KAFKA_BROKERS: 'k1:9094', KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'PLAIN', KAFKA_SASL_USERNAME: 'pos', KAFKA_SASL_PASSWORD: 'pw-9', KAFKA_SSL_CA_FILE: ca }).kafka;
  const nested = (inner: object): unknown => Object.assign(new AggregateError([Object.assign(new Error('Cannot connect to any broker.'), { errors: [Object.assign(new Error('Connection failed.'), { cause: inner })] })], 'metadata failed 6 times.'));

  it('finds a refused certificate deep in nested errors', () => {
    const error = kafkaSecurityFailure(nested(Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' })), config);
    expect(error?.code).toBe('TLS_VERIFY_FAILED');
    expect(error?.canRetry).toBe(false);
    expect(error?.message).toContain(`KAFKA_SSL_CA_FILE=${ca}`);
  });

  it('names the user, never the password, of a refused SASL authentication', () => {
    const error = kafkaSecurityFailure(Object.assign(new Error('SASL PLAIN authentication failed'), { name: 'KafkaJSSASLAuthenticationError' }), config);
    expect(error?.code).toBe('AUTHENTICATION_FAILED');
    expect(error?.message).toContain('user pos (PLAIN)');
    expect(error?.message).not.toContain('pw-9');
  });

  it('leaves other failures alone', () => {
    expect(kafkaSecurityFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), config)).toBeUndefined();
  });
});
