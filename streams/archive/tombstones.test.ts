/**
 * A tombstone in the archive: a row of a master-data file with the key, the headers and the
 * Kafka position, a null value and schema id, null event columns; read back from the Parquet
 * bytes it is a record with a null value under its Kafka timestamp, as replay publishes it.
 */
import { Type } from 'avsc';
import { isShelfStreamError } from '../../lib/errors';
import { loadCatalog } from '../../schemas/catalog';
import type { Store } from '../../schemas/generated/events';
import type { InputRecord, RawRecord, RawTombstone } from '../runtime/processor';
import { ArchiveColumns } from './archive-columns';
import { catalogEncoder } from './encoder';
import { readArchiveObject, selectRecords } from './replay';

const catalog = loadCatalog();
const encoder = catalogEncoder(catalog);
const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
const stores = Type.forSchema(catalog.find((t) => t.name === 'md.stores')!.schema as Parameters<typeof Type.forSchema>[0]);
const store: Store = { store_id: 'S9', name: 'Quay Street', region: 'NORTH', time_zone: 'Europe/Dublin', opening_hours: [], size_class: 'SMALL', currency: 'EUR', opened_on: 20_000, vat_rate: 0.23, holiday_calendar: null, updated_at: T0 };

function consumed(topic: string, offset: number, timestamp: number, raw: RawRecord | RawTombstone): InputRecord {
  return { topic, partition: 0, offset, key: raw.key?.toString() ?? null, timestamp, value: raw.value === null ? null : {}, raw };
}

describe('archive: tombstones', () => {
  it('keeps a deletion as a row with a null value, read back as a tombstone under its Kafka timestamp', async () => {
    const columns = new ArchiveColumns(encoder.layout('md.stores'));
    const framed = Buffer.concat([Buffer.from([0, 0, 0, 0, 7]), stores.toBuffer(store)]);
    const version: RawRecord = { key: Buffer.from('S9'), value: framed, schemaId: 7, writer: stores, headers: [] };
    const tombstone: RawTombstone = { key: Buffer.from('S9'), value: null, headers: [{ key: 'reason', value: Buffer.from('closed') }] };
    columns.append(consumed('md.stores', 0, T0, version), version);
    columns.appendTombstone(consumed('md.stores', 1, T0 + 3_600_000, tombstone), tombstone);

    const table = readArchiveObject(await encoder.encode(columns), 'md.stores.parquet');
    expect(table.getChild('store_id')!.toArray()).toEqual(['S9', null]);
    const records = selectRecords(table, 'md.stores', { topics: ['md.stores'], from: 0, to: T0 + 86_400_000, stores: new Set(['S9']) }, 'md.stores.parquet');
    expect(records.map((r) => ({ offset: r.offset, key: r.key?.toString(), value: r.value?.toString('hex') ?? null, time: r.eventTime, headers: r.headers.map((h) => `${h.key}=${h.value?.toString()}`) }))).toEqual([
      { offset: 0, key: 'S9', value: framed.toString('hex'), time: T0, headers: [] },
      { offset: 1, key: 'S9', value: null, time: T0 + 3_600_000, headers: ['reason=closed'] },
    ]);
  });

  it('refuses a null value on an event topic, which has no deletions (DECODE_FAILED)', () => {
    const columns = new ArchiveColumns(encoder.layout('pos.sales'));
    const tombstone: RawTombstone = { key: Buffer.from('S9'), value: null, headers: [] };
    let thrown: unknown;
    try {
      columns.appendTombstone(consumed('pos.sales', 0, T0, tombstone), tombstone);
    } catch (error) {
      thrown = error;
    }
    expect(isShelfStreamError(thrown, 'DECODE_FAILED')).toBe(true);
    expect(columns.rows).toBe(0);
  });
});
