import { loadConfig } from '../../lib/config';
import { planTopic } from './topics';

const topics = loadConfig({ TOPIC_PARTITIONS: '6', TOPIC_RETENTION_HOURS: '24', DEAD_LETTER_RETENTION_HOURS: '48' }).topics;

describe('planTopic', () => {
  it('gives event topics the shared partition count and time retention', () => {
    expect(planTopic({ name: 'pos.sales', kind: 'event', key: 'store_id', doc: '' }, topics)).toEqual({
      name: 'pos.sales',
      partitions: 6,
      replicationFactor: 1,
      configs: { 'cleanup.policy': 'delete', 'retention.ms': String(24 * 3_600_000) },
    });
  });

  it('compacts master data', () => {
    const plan = planTopic({ name: 'md.stores', kind: 'master-data', key: 'store_id', doc: '' }, topics);
    expect(plan.configs['cleanup.policy']).toBe('compact');
    expect(plan.configs['retention.ms']).toBeUndefined();
  });

  it('keeps dead letters longer', () => {
    expect(planTopic({ name: 'dlq', kind: 'dead-letter', key: 'k', doc: '' }, topics).configs['retention.ms']).toBe(String(48 * 3_600_000));
  });
});
