/**
 * Commit plan: where each input topic-partition stands, and which offsets and checkpoints a
 * flush may commit once what it wrote is durable. The committed offset is the earliest offset
 * a task's open state still needs (or the next one to read), and the commit metadata holds the
 * task's checkpoint (its watermark): a restart, a rebalance or a replay resumes from a
 * consistent point. The plan is taken with the buffer, synchronously, so it covers exactly the
 * records whose output that flush writes.
 */
import type { OffsetRange } from './clickhouse-sink';
import type { PartitionTask } from './processor';

/** Where a task stands on one input topic-partition. */
export interface Position {
  readonly topic: string;
  readonly partition: number;
  readonly task: PartitionTask;
  /** First and last offsets processed since the last flush (the ranges in the dedup token). */
  from: number | undefined;
  to: number | undefined;
  /** Next offset to read: what is committed when nothing older is still needed. */
  next: number | undefined;
  /** Next offset fetched (records up to it may wait in an event-time aligner, not processed yet). */
  fetchedTo: number | undefined;
  /** The partition's end at the last fetch. */
  highWatermark: number | undefined;
}

export function newPosition(task: PartitionTask, topic: string, partition: number): Position {
  return { task, topic, partition, from: undefined, to: undefined, next: undefined, fetchedTo: undefined, highWatermark: undefined };
}

/** One offset to commit, with the task's checkpoint as its metadata (kafkajs' shape). */
export interface OffsetCommit {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly metadata: string;
}

export interface CommitPlan {
  /** Offsets processed since the last flush: the insert deduplication token is made of them. */
  readonly ranges: OffsetRange[];
  readonly commits: OffsetCommit[];
}

/**
 * Takes the plan and starts the next ranges. Call it after the tasks were punctuated, in the
 * same synchronous step as taking the buffer.
 */
export function takeCommitPlan(positions: Iterable<Position>): CommitPlan {
  const ranges: OffsetRange[] = [];
  const commits: OffsetCommit[] = [];
  for (const s of positions) {
    if (s.from !== undefined && s.to !== undefined) ranges.push({ topic: s.topic, partition: s.partition, from: s.from, to: s.to });
    if (s.next !== undefined) commits.push({ topic: s.topic, partition: s.partition, offset: String(s.task.earliestNeededOffset(s.topic) ?? s.next), metadata: s.task.checkpoint(s.topic) });
    s.from = undefined;
    s.to = undefined;
  }
  return { ranges, commits };
}
