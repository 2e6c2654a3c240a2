/**
 * `shelfstream masterdata import`: a file of stores, products or exchange rates from the
 * chain's own systems, checked row by row, then published to its compacted topic. A file with
 * any bad row publishes nothing unless the caller allows a partial import (then the good rows
 * go and the bad ones are listed), so a half-read export never leaves half a catalogue.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { Config } from '../../lib/config';
import { createSchemaRegistry } from '../../lib/clients/registry';
import { ShelfStreamError, describeError } from '../../lib/errors';
import { EventCodec } from '../../lib/events/codec';
import { createFastEventPublisher } from '../../lib/events/publisher';
import { loadCatalog, subjectFor } from '../../schemas/catalog';
import type { TopicName } from '../../schemas/generated/events';
import { parseCsv } from './csv';
import { MASTER_DATA_KINDS, columnIssues, masterDataRecords, type MasterDataKind, type RowIssue, type SourceRow } from './records';

export type MasterDataFormat = 'csv' | 'json';

export interface ImportOptions {
  readonly file: string;
  readonly kind: MasterDataKind;
  /** Default: from the file's extension. */
  readonly format?: MasterDataFormat;
  /** Publish the good rows of a file that has bad ones. */
  readonly allowPartial?: boolean;
  /** Publish to `<prefix>md.stores` etc. (stand-in topics for tests and rehearsals). */
  readonly topicPrefix?: string;
  /** updated_at of every record (default: now). */
  readonly nowMs?: number;
}

export interface ImportOutcome {
  readonly topic: string;
  readonly rows: number;
  readonly published: number;
  readonly issues: readonly RowIssue[];
  /** True when the file had bad rows and nothing was published for it. */
  readonly refused: boolean;
}

/** The rows of a file; a file that cannot be read as rows at all is an INVALID_ARGUMENT error. */
export function readMasterDataFile(file: string, kind: MasterDataKind, format?: MasterDataFormat): SourceRow[] {
  const resolved = format ?? (extname(file).toLowerCase() === '.json' ? 'json' : extname(file).toLowerCase() === '.csv' ? 'csv' : undefined);
  if (!resolved) throw new ShelfStreamError('INVALID_ARGUMENT', `${file}: cannot tell the format from the extension; pass --format csv or --format json`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ShelfStreamError('INVALID_ARGUMENT', `cannot read ${file}: ${describeError(error)}`, { cause: error });
  }
  if (resolved === 'csv') {
    const parsed = parseCsv(text);
    if (!parsed.ok) throw new ShelfStreamError('INVALID_ARGUMENT', `${file}, line ${parsed.line}: ${parsed.reason}`);
    const problems = columnIssues(kind, parsed.columns);
    if (problems.length > 0) throw new ShelfStreamError('INVALID_ARGUMENT', `${file}, header: ${problems.join('; ')}`);
    return parsed.rows.map((r, i) => ({ row: i + 1, line: r.line, values: r.values }));
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ShelfStreamError('INVALID_ARGUMENT', `${file} is not valid JSON: ${describeError(error)}`, { cause: error });
  }
  if (!Array.isArray(json)) throw new ShelfStreamError('INVALID_ARGUMENT', `${file}: expected a JSON array of ${kind}, one object each`);
  return json.map((values: unknown, i) => ({
    row: i + 1,
    values: values !== null && typeof values === 'object' && !Array.isArray(values) ? (values as Record<string, unknown>) : { '': values },
  }));
}

export async function importMasterData(config: Config, options: ImportOptions): Promise<ImportOutcome> {
  const rows = readMasterDataFile(options.file, options.kind, options.format);
  const { records, issues } = masterDataRecords(options.kind, rows, options.nowMs ?? Date.now());
  const base = MASTER_DATA_KINDS[options.kind];
  const topic = `${options.topicPrefix ?? ''}${base}`;
  const refused = issues.length > 0 && !options.allowPartial;
  if (refused || records.length === 0) return { topic, rows: rows.length, published: 0, issues, refused };

  const spec = loadCatalog().find((t) => t.name === base)!;
  const catalog = [{ ...spec, name: topic, subject: subjectFor(topic) }];
  const codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, catalog);
  let publisher;
  try {
    publisher = await createFastEventPublisher(config.kafka, 'masterdata', codec, catalog);
  } catch (error) {
    throw new ShelfStreamError('SERVICE_UNAVAILABLE', `Kafka at ${config.kafka.brokers.join(',')}: ${describeError(error)}`, { cause: error, context: { service: 'kafka' } });
  }
  try {
    await publisher.publishMixed([{ topic: topic as TopicName, events: records.map((r) => r.record) }]);
  } finally {
    await publisher.close();
  }
  return { topic, rows: rows.length, published: records.length, issues, refused: false };
}
