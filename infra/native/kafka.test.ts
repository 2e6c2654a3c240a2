import pino from 'pino';
import { loadConfig } from '../../lib/config';
import { newClusterId, serverProperties } from './kafka';

describe('kafka launcher', () => {
  it('makes cluster ids Kafka accepts: 16 bytes, URL-safe base64, no padding', () => {
    const id = newClusterId();
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(id, 'base64url')).toHaveLength(16);
  });

  it('never makes a cluster id that starts with a dash, which kafka-storage would read as an option', () => {
    // 0xf8 = 111110.. : the first base64url digit is 62, '-'.
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0x10)];
    const id = newClusterId(() => draws.shift()!);
    expect(id).toBe(Buffer.alloc(16, 0x10).toString('base64url'));
    expect(Buffer.alloc(16, 0xf8).toString('base64url').startsWith('-')).toBe(true);
  });

  it('writes a single-node KRaft configuration on loopback with the configured ports', () => {
    const config = loadConfig({ KAFKA_PORT: '19092', KAFKA_CONTROLLER_PORT: '19093', SHELFSTREAM_DATA_DIR: '/var/ss' });
    const text = serverProperties({ config, logger: pino({ enabled: false }), env: {} });
    const props = Object.fromEntries(
      text
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(props).toMatchObject({
      'process.roles': 'broker,controller',
      'controller.quorum.voters': '1@127.0.0.1:19093',
      listeners: 'PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093',
      'advertised.listeners': 'PLAINTEXT://127.0.0.1:19092',
      'log.dirs': '/var/ss/kafka/logs',
      'auto.create.topics.enable': 'false',
      'offsets.topic.replication.factor': '1',
    });
  });

  it('adds a SASL_SSL listener with SCRAM beside PLAINTEXT only when asked', () => {
    const config = loadConfig({ KAFKA_PORT: '19092', KAFKA_CONTROLLER_PORT: '19093', KAFKA_NATIVE_SASL_SSL_PORT: '19094', SHELFSTREAM_DATA_DIR: '/var/ss' });
    const text = serverProperties({ config, logger: pino({ enabled: false }), env: {} }, { caFile: '/var/ss/kafka/tls/ca.pem', keystoreFile: '/var/ss/kafka/tls/broker.p12', keystorePassword: 'ks' });
    expect(text).toContain('listeners=PLAINTEXT://127.0.0.1:19092,SASL_SSL://127.0.0.1:19094,CONTROLLER://127.0.0.1:19093');
    expect(text).toContain('listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL');
    expect(text).toContain('sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512');
    expect(text).toContain('listener.name.sasl_ssl.ssl.keystore.location=/var/ss/kafka/tls/broker.p12');
    expect(text).toContain('inter.broker.listener.name=PLAINTEXT');
    const plain = serverProperties({ config: loadConfig({ SHELFSTREAM_DATA_DIR: '/var/ss' }), logger: pino({ enabled: false }), env: {} });
    expect(plain).not.toContain('SASL_SSL');
  });
});
