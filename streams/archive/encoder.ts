/**
 * The archive's encoder for catalogue topics: one Parquet encoder per topic, built from the
 * topic's Avro schema (or, for a stand-in topic, the schema of the topic it stands for).
 */
import { ShelfStreamError } from '../../lib/errors';
import type { TopicSpec } from '../../schemas/catalog';
import type { ArchiveEncoder, ArchiveRow } from './archiver';
import { type ArchiveRecord, type ParquetEncoder, createParquetEncoder } from './parquet';

export function toArchiveRecord(row: ArchiveRow): ArchiveRecord {
  return {
    key: row.key,
    value: row.value,
    schemaId: row.schemaId,
    headers: row.headers,
    timestamp: row.kafkaTimestamp,
    partition: row.partition,
    offset: BigInt(row.offset),
    event: row.decoded as Readonly<Record<string, unknown>>,
  };
}

export function catalogEncoder(catalog: readonly TopicSpec[], contracts: Readonly<Record<string, string>> = {}): ArchiveEncoder {
  const encoders = new Map<string, ParquetEncoder>();
  const encoderOf = (topic: string): ParquetEncoder => {
    let encoder = encoders.get(topic);
    if (!encoder) {
      const name = contracts[topic] ?? topic;
      const spec = catalog.find((t) => t.name === name);
      if (!spec?.schema) throw new ShelfStreamError('INVALID_ARGUMENT', `topic ${topic} has no Avro schema in the catalogue: it cannot be archived`, { context: { topic } });
      encoder = createParquetEncoder(spec.schema as Parameters<typeof createParquetEncoder>[0]);
      encoders.set(topic, encoder);
    }
    return encoder;
  };
  return { encode: (topic, rows) => encoderOf(topic).encode(rows.map(toArchiveRecord)) };
}

/** The catalogue topics the archive keeps: events and master data (not alerts or dead letters). */
export function archivedTopics(catalog: readonly TopicSpec[]): string[] {
  return catalog.filter((t) => t.kind === 'event' || t.kind === 'master-data').map((t) => t.name);
}
