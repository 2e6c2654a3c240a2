/**
 * The archive's encoder for catalogue topics: a file's rows are packed (packed-rows.ts) with the
 * writer schema of each schema id among them, and written by a Parquet worker (or on this
 * thread without a pool). Columns follow the topic's Avro schema in the catalogue (or, for a
 * stand-in topic, the schema of the topic it stands for).
 */
import { ShelfStreamError, describeError } from '../../lib/errors';
import type { TopicSpec } from '../../schemas/catalog';
import type { ArchiveEncoder } from './archiver';
import { PackedRowsWriter, packRows } from './packed-rows';
import type { ParquetWorkerPool } from './parquet-pool';
import { PARQUET_ENCODER_DEFAULTS, archiveSchema } from './parquet';

/** The writer schema (JSON text) registered under a schema id: from the registry, once per id. */
export type WriterSchemaSource = (schemaId: number) => Promise<string>;

/** Asks `fetch` once per schema id; a failure is retriable (the roll stays and is retried) and not cached. */
export function cachedWriterSchemas(fetch: WriterSchemaSource): WriterSchemaSource {
  const known = new Map<number, Promise<string>>();
  return (schemaId) => {
    let text = known.get(schemaId);
    if (!text) {
      text = fetch(schemaId).catch((error: unknown) => {
        known.delete(schemaId);
        throw new ShelfStreamError('SERVICE_UNAVAILABLE', `writer schema ${schemaId}: ${describeError(error)}`, { cause: error, canRetry: true, context: { schemaId } });
      });
      known.set(schemaId, text);
    }
    return text;
  };
}

export function catalogEncoder(catalog: readonly TopicSpec[], writerSchemas: WriterSchemaSource, contracts: Readonly<Record<string, string>> = {}, pool?: ParquetWorkerPool): ArchiveEncoder {
  const avroSchemas = new Map<string, string>();
  const avroSchemaOf = (topic: string): string => {
    let text = avroSchemas.get(topic);
    if (!text) {
      const name = contracts[topic] ?? topic;
      const spec = catalog.find((t) => t.name === name);
      if (!spec?.schema) throw new ShelfStreamError('INVALID_ARGUMENT', `topic ${topic} has no Avro schema in the catalogue: it cannot be archived`, { context: { topic } });
      archiveSchema(spec.schema as Parameters<typeof archiveSchema>[0]); // fails here, naming the field, if it cannot be archived
      avroSchemas.set(topic, (text = JSON.stringify(spec.schema)));
    }
    return text;
  };
  const local = pool ? undefined : new PackedRowsWriter();
  return {
    encode: async (topic, rows) => {
      const avroSchema = avroSchemaOf(topic);
      const ids = [...new Set(rows.map((r) => r.schemaId))];
      const writers = await Promise.all(ids.map(async (id) => [id, await writerSchemas(id)] as const));
      const job = { what: topic, avroSchema, writers, rows: packRows(rows), rowGroupRows: PARQUET_ENCODER_DEFAULTS.rowGroupRows };
      return pool ? pool.write(job) : local!.write(job);
    },
  };
}

/** The catalogue topics the archive keeps: events and master data (not alerts or dead letters). */
export function archivedTopics(catalog: readonly TopicSpec[]): string[] {
  return catalog.filter((t) => t.kind === 'event' || t.kind === 'master-data').map((t) => t.name);
}
