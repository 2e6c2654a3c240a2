/**
 * The archive's encoder for catalogue topics: each topic's file layout, built from its Avro
 * schema (or, for a stand-in topic, the schema of the topic it stands for).
 */
import { tableToIPC } from 'apache-arrow';
import { Type } from 'avsc';
import { ShelfStreamError } from '../../lib/errors';
import type { TopicSpec } from '../../schemas/catalog';
import { TopicColumns } from './archive-columns';
import type { ArchiveEncoder } from './archiver';
import type { ParquetWorkerPool } from './parquet-pool';
import { type EncodedColumns, PARQUET_ENCODER_DEFAULTS, archiveSchema, writeParquetFile } from './parquet';

/**
 * Columns are filled on the consuming thread as records arrive (archive-columns.ts); the
 * Parquet write goes to `pool` when there is one (see parquet-pool.ts), else it runs here too.
 */
export function catalogEncoder(catalog: readonly TopicSpec[], contracts: Readonly<Record<string, string>> = {}, pool?: ParquetWorkerPool): ArchiveEncoder {
  const topics = new Map<string, TopicColumns>();
  const topicColumns = (topic: string): TopicColumns => {
    let spec = topics.get(topic);
    if (!spec) {
      const name = contracts[topic] ?? topic;
      const catalogued = catalog.find((t) => t.name === name);
      const avro = catalogued?.schema as (Parameters<typeof archiveSchema>[0] & Parameters<typeof Type.forSchema>[0]) | undefined;
      if (!avro) throw new ShelfStreamError('INVALID_ARGUMENT', `topic ${topic} has no Avro schema in the catalogue: it cannot be archived`, { context: { topic } });
      spec = new TopicColumns(topic, archiveSchema(avro, { deletable: catalogued!.kind === 'master-data' }), avro, Type.forSchema(avro));
      topics.set(topic, spec);
    }
    return spec;
  };
  return {
    layout: topicColumns,
    encode: (columns, keep) => {
      try {
        const { table, plainColumns } = columns.table(keep);
        const encoded: EncodedColumns = { ipc: tableToIPC(table, 'stream'), spec: { rowGroupRows: PARQUET_ENCODER_DEFAULTS.rowGroupRows, plainColumns } };
        return pool ? pool.write(encoded) : Promise.resolve(writeParquetFile(encoded));
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
