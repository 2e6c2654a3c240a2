/**
 * Resets a processor's consumer group to a point in time, for a data engineer who wants it to
 * read again from there. Kafka's time index is the record timestamp (when the record was
 * produced), so "from 09:00" means records produced from 09:00 on.
 *
 * Refused while the group has members: a running processor would overwrite the new offsets
 * with its own at its next commit, and the reset would silently not happen.
 *
 * What a reset does to the outputs: velocity and warehouse rows are rewritten in place
 * (deterministic keys), stock and anomaly skip what their snapshots already hold. To refill a
 * processor's tables from scratch, use `replay rebuild` instead.
 */
import type { Admin } from 'kafkajs';
import { ShelfStreamError } from '../../lib/errors';

export interface PartitionReset {
  readonly topic: string;
  readonly partition: number;
  /** The committed offset before the reset; undefined when the group had none. */
  readonly from: number | undefined;
  readonly to: number;
}

export async function planGroupReset(admin: Admin, groupId: string, topics: readonly string[], timestampMs: number): Promise<PartitionReset[]> {
  if (!Number.isFinite(timestampMs)) throw new ShelfStreamError('INVALID_ARGUMENT', `reset time is not a valid timestamp: ${timestampMs}`);
  const committed = new Map<string, number>();
  for (const t of await admin.fetchOffsets({ groupId, topics: [...topics] })) {
    for (const p of t.partitions) if (Number(p.offset) >= 0) committed.set(`${t.topic}:${p.partition}`, Number(p.offset));
  }
  const plan: PartitionReset[] = [];
  for (const topic of topics) {
    // For a time after the last record Kafka answers the end offset: nothing left to re-read.
    for (const p of await admin.fetchTopicOffsetsByTimestamp(topic, timestampMs)) {
      plan.push({ topic, partition: p.partition, from: committed.get(`${topic}:${p.partition}`), to: Number(p.offset) });
    }
  }
  return plan.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
}

export async function assertGroupInactive(admin: Admin, groupId: string): Promise<void> {
  const { groups } = await admin.describeGroups([groupId]);
  const group = groups[0];
  if (group && group.members.length > 0) {
    throw new ShelfStreamError('INVALID_ARGUMENT', `consumer group ${groupId} is active (${group.members.length} member(s), state ${group.state}): stop the processor first, then reset`, {
      context: { groupId },
    });
  }
}

/** Applies a plan made by planGroupReset, after checking again that nobody joined meanwhile. */
export async function applyGroupReset(admin: Admin, groupId: string, plan: readonly PartitionReset[]): Promise<void> {
  await assertGroupInactive(admin, groupId);
  const byTopic = new Map<string, PartitionReset[]>();
  for (const p of plan) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p]);
  for (const [topic, partitions] of byTopic) {
    await admin.setOffsets({ groupId, topic, partitions: partitions.map((p) => ({ partition: p.partition, offset: String(p.to) })) });
  }
}
