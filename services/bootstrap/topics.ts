/**
 * Creates the catalogue's topics with their intended settings, or checks that existing ones
 * match. Event, alert and dead-letter topics delete old records after their retention;
 * master-data and changelog topics are compacted (the latest value per key is kept forever).
 * Partition counts are never changed in place: more partitions would move keys and break
 * co-partitioning, so a mismatch is an error that names the topic.
 */
import type { Admin, ITopicConfig } from 'kafkajs';
import { ConfigResourceTypes } from 'kafkajs';
import type { TopicsConfig } from '../../lib/config';
import { ShelfStreamError } from '../../lib/errors';
import type { TopicSpec } from '../../schemas/catalog';

export type TopicOutcome = 'created' | 'unchanged' | 'updated';

export interface TopicPlan {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly configs: Readonly<Record<string, string>>;
}

/** The settings a topic should have; pure, so it is unit-tested without a broker. */
export function planTopic(topic: TopicSpec, config: TopicsConfig): TopicPlan {
  const compacted = topic.kind === 'master-data' || topic.kind === 'changelog';
  const retentionMs = topic.kind === 'dead-letter' ? config.deadLetterRetentionMs : config.retentionMs;
  return {
    name: topic.name,
    // Master data is small and keyed by store or sku; it does not need to be co-partitioned
    // with events, and fewer partitions make a full read at start-up cheaper.
    partitions: compacted ? Math.min(config.partitions, 3) : config.partitions,
    replicationFactor: config.replicationFactor,
    configs: compacted
      ? { 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0.1', 'segment.ms': String(3_600_000) }
      : { 'cleanup.policy': 'delete', 'retention.ms': String(retentionMs) },
  };
}

export async function ensureTopics(admin: Admin, plans: readonly TopicPlan[]): Promise<Record<string, TopicOutcome>> {
  const existing = new Set(await admin.listTopics());
  const outcome: Record<string, TopicOutcome> = {};
  const missing = plans.filter((p) => !existing.has(p.name));
  if (missing.length > 0) {
    const topics: ITopicConfig[] = missing.map((p) => ({
      topic: p.name,
      numPartitions: p.partitions,
      replicationFactor: p.replicationFactor,
      configEntries: Object.entries(p.configs).map(([name, value]) => ({ name, value })),
    }));
    await createTopicsWithLeaders(admin, topics);
    for (const p of missing) outcome[p.name] = 'created';
  }
  const present = plans.filter((p) => existing.has(p.name));
  if (present.length === 0) return outcome;

  const metadata = await admin.fetchTopicMetadata({ topics: present.map((p) => p.name) });
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: present.map((p) => ({ type: ConfigResourceTypes.TOPIC, name: p.name, configNames: Object.keys(p.configs) })),
  });
  for (const plan of present) {
    const partitions = metadata.topics.find((t) => t.name === plan.name)?.partitions.length ?? 0;
    if (partitions !== plan.partitions) {
      throw new ShelfStreamError(
        'TOPIC_MISMATCH',
        `topic ${plan.name} has ${partitions} partitions but the configuration asks for ${plan.partitions} (TOPIC_PARTITIONS); ` +
          'partition counts are not changed in place because keys would move: recreate the topic or set TOPIC_PARTITIONS to match',
        { context: { topic: plan.name } },
      );
    }
    const current = described.resources.find((r) => r.resourceName === plan.name)?.configEntries ?? [];
    const drift = Object.entries(plan.configs).filter(([name, value]) => current.find((c) => c.configName === name)?.configValue !== value);
    if (drift.length === 0) {
      outcome[plan.name] = 'unchanged';
      continue;
    }
    // kafkajs' alterConfigs (not incremental) sets the topic's whole override set: the plan
    // owns every override of ShelfStream's topics, so drift made by hand is put back.
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: plan.name, configEntries: Object.entries(plan.configs).map(([name, value]) => ({ name, value })) }],
    });
    outcome[plan.name] = 'updated';
  }
  return outcome;
}

/** How long new topics may take to have a leader for every partition (a JVM broker on 2 loaded cores). */
const LEADERS_DEADLINE_MS = 60_000; // one minute
const LEADERS_POLL_MS = 200;

/**
 * A topic's end offsets, asked again while the broker answers an error kafkajs marks retriable
 * (NOT_LEADER, UNKNOWN_TOPIC_OR_PARTITION: a partition of a just-created topic whose leader or
 * metadata has not caught up), until a deadline.
 */
export async function endOffsetsOnceLed(admin: Admin, topic: string, deadline = Date.now() + LEADERS_DEADLINE_MS): Promise<{ partition: number; high: string }[]> {
  for (;;) {
    try {
      return await admin.fetchTopicOffsets(topic);
    } catch (error) {
      if ((error as { retriable?: boolean }).retriable !== true || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, LEADERS_POLL_MS));
    }
  }
}

/**
 * Creates topics and returns once every partition has a leader. kafkajs' `waitForLeaders`
 * retries only LEADER_NOT_AVAILABLE, but a broker whose metadata has not caught up with the
 * creation answers UNKNOWN_TOPIC_OR_PARTITION, and kafkajs then gives up at once (seen on a
 * fresh broker under load): the end offsets are asked instead, until they answer.
 */
export async function createTopicsWithLeaders(admin: Admin, topics: ITopicConfig[]): Promise<void> {
  await admin.createTopics({ topics, waitForLeaders: false });
  const deadline = Date.now() + LEADERS_DEADLINE_MS;
  for (const { topic } of topics) await endOffsetsOnceLed(admin, topic, deadline);
}
