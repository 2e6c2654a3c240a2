import pino from 'pino';
import { loadConfig } from '../../lib/config';
import { newClusterId, serverProperties } from './kafka';

describe('kafka launcher', () => {
  it('makes cluster ids Kafka accepts: 16 bytes, URL-safe base64, no padding', () => {
    const id = newClusterId();
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(id, 'base64url')).toHaveLength(16);
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
});
