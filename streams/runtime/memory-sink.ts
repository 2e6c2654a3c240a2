/**
 * A RowSink that keeps what a task emits in memory: for unit tests of processors' pure logic
 * and for scoring detection quality on simulated data without services.
 */
import type { TopicName } from '../../schemas/generated/events';
import type { Row, RowSink } from './processor';

export interface PublishedEvent {
  readonly topic: TopicName;
  readonly key: string;
  readonly value: unknown;
}

export class MemorySink implements RowSink {
  readonly rows: { table: string; row: Row }[] = [];
  readonly events: PublishedEvent[] = [];

  emit(table: string, row: Row): void {
    this.rows.push({ table, row });
  }

  publish(topic: TopicName, key: string, value: unknown): void {
    this.events.push({ topic, key, value });
  }

  /** Kept, not sent: a unit test of pure logic runs them itself if it cares. */
  readonly deliveries: { output: string; send: () => Promise<void> }[] = [];

  deliver(output: string, send: () => Promise<void>): void {
    this.deliveries.push({ output, send });
  }

  rowsOf(table: string): Row[] {
    return this.rows.filter((r) => r.table === table).map((r) => r.row);
  }

  clear(): void {
    this.rows.length = 0;
    this.events.length = 0;
    this.deliveries.length = 0;
  }
}
