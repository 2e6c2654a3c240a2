/**
 * The archive's encoder for catalogue topics: one Parquet encoder per topic, built from the
 * topic's Avro schema (or, for a stand-in topic, the schema of the topic it stands for).
 */
import type { Schema } from 'apache-arrow';
import { ShelfStreamError } from '../../lib/errors';
import type { TopicSpec } from '../../schemas/catalog';
import type { ArchiveEncoder, ArchiveRow } from './archiver';
import type { ParquetWorkerPool } from './parquet-pool';
import { type ArchiveColumnSource, PARQUET_ENCODER_DEFAULTS, archiveSchema, encodeColumns, writeParquetFile } from './parquet';

/** Columns read straight off the archiver's rows: no intermediate record per row. */
export const ARCHIVE_ROW_SOURCE: ArchiveColumnSource<ArchiveRow> = {
  key: (r) => r.key,
  value: (r) => r.value,
  schemaId: (r) => r.schemaId,
  headers: (r) => r.headers,
  timestamp: (r) => r.kafkaTimestamp,
  partition: (r) => r.partition,
  offset: (r) => r.offset,
  event: (r) => r.decoded as Readonly<Record<string, unknown>>,
};

/**
 * Columns are built on the calling thread; the Parquet write goes to `pool` when there is one
 * (see parquet-pool.ts), else it runs here too.
 */
export function catalogEncoder(catalog: readonly TopicSpec[], contracts: Readonly<Record<string, string>> = {}, pool?: ParquetWorkerPool): ArchiveEncoder {
  const schemas = new Map<string, Schema>();
  const schemaOf = (topic: string): Schema => {
    let schema = schemas.get(topic);
    if (!schema) {
      const name = contracts[topic] ?? topic;
      const spec = catalog.find((t) => t.name === name);
      if (!spec?.schema) throw new ShelfStreamError('INVALID_ARGUMENT', `topic ${topic} has no Avro schema in the catalogue: it cannot be archived`, { context: { topic } });
      schema = archiveSchema(spec.schema as Parameters<typeof archiveSchema>[0]);
      schemas.set(topic, schema);
    }
    return schema;
  };
  return {
    encode: (topic, rows) => {
      try {
        const columns = encodeColumns(schemaOf(topic), rows, ARCHIVE_ROW_SOURCE, PARQUET_ENCODER_DEFAULTS, topic);
        return pool ? pool.write(columns) : Promise.resolve(writeParquetFile(columns));
      } catch (error) {
        return Promise.reject(error);
      }
    },
  };
}

/** The catalogue topics the archive keeps: events and master data (not alerts or dead letters). */
export function archivedTopics(catalog: readonly TopicSpec[]): string[] {
  return catalog.filter((t) => t.kind === 'event' || t.kind === 'master-data').map((t) => t.name);
}
