import pino from 'pino';
import { Type } from 'avsc';
import { loadCatalog } from '../../schemas/catalog';
import type { InputRecord, RawRecord } from '../runtime/processor';
import type { ArchiveColumns } from './archive-columns';
import { ArchiveTask, REPLAY_HEADER, type RowRanges, uncoveredRows } from './archiver';
import { catalogEncoder } from './encoder';
import { dataObjectName, hourPartitionOf, hoursBetween, parseDataObjectName } from './layout';
import type { ArchiveStore } from './store';

const logger = pino({ level: 'silent' });
const T0 = Date.UTC(2026, 10, 23, 9, 59, 0);
const catalog = loadCatalog();
const counts = Type.forSchema(catalog.find((t) => t.name === 'inventory.counts')!.schema as Parameters<typeof Type.forSchema>[0]);

/** A cycle count as consumed from `inventory.counts` (7 value bytes plus its 29-byte body). */
function record(offset: number, occurredAt: number, headers: RawRecord['headers'] = []): InputRecord & { raw: RawRecord } {
  const body = counts.toBuffer({ event_id: '6f1c5b54-8a8e-4d1e-9a57-1f3c2e5d7a90', occurred_at: occurredAt, store_id: 'S1', sku: 'K', on_hand: offset, counted_by: 'E' });
  const value = Buffer.concat([Buffer.from([0, 0, 0, 0, 7]), body]);
  return {
    topic: 'inventory.counts',
    partition: 2,
    offset,
    key: 'S1',
    timestamp: T0 + 3_600_000,
    value: { occurred_at: occurredAt },
    raw: { key: Buffer.from('S1'), value, schemaId: 7, writer: counts, headers },
  };
}
const RECORD_BYTES = record(0, T0).raw!.value.length + 2;

/** The real columns, with a Parquet write that is never awaited in these tests. */
const real = catalogEncoder(catalog);
const noStore = {} as ArchiveStore;
const noEncoder = { layout: real.layout, encode: (): Promise<Uint8Array> => Promise.resolve(new Uint8Array()) };

/** Offsets of the rows an encode was given: read back from the columns' offset column. */
function offsetsOf(columns: ArchiveColumns, keep?: RowRanges): number[] {
  return [...columns.table(keep).table.getChild('offset')!].map(Number);
}

describe('archive layout', () => {
  it('names objects by topic, event hour (UTC), partition and offsets, and parses them back', () => {
    const hour = hourPartitionOf(Date.UTC(2026, 0, 5, 23, 30));
    expect(hour).toEqual({ dt: '2026-01-05', hour: '23' });
    const name = dataObjectName('pos.sales', hour, 3, 120, 4_567);
    expect(name).toBe('raw/topic=pos.sales/dt=2026-01-05/hour=23/part-p003-00000000000000000120-00000000000000004567.parquet');
    expect(parseDataObjectName(name)).toEqual({ topic: 'pos.sales', hour, partition: 3, first: 120, last: 4_567 });
    expect(parseDataObjectName('raw/topic=pos.sales/dt=2026-01-05/hour=23/_manifest/partition=3.json')).toBeUndefined();
  });

  it('lists the hours of a range, end exclusive, and refuses an empty range', () => {
    expect(hoursBetween(Date.UTC(2026, 0, 1, 22, 15), Date.UTC(2026, 0, 2, 1, 0)).map((h) => `${h.dt}T${h.hour}`)).toEqual(['2026-01-01T22', '2026-01-01T23', '2026-01-02T00']);
    expect(() => hoursBetween(5, 5)).toThrow(/time range is empty/);
  });

  it('lists the row ranges that no object archived before covers', () => {
    const offsets = [10, 11, 12, 13, 14, 15];
    expect(uncoveredRows(offsets, [])).toEqual([[0, 6]]);
    expect(uncoveredRows(offsets, [{ first: 0, last: 11 }])).toEqual([[2, 6]]);
    expect(uncoveredRows(offsets, [{ first: 12, last: 13 }])).toEqual([
      [0, 2],
      [4, 6],
    ]);
    expect(uncoveredRows(offsets, [{ first: 10, last: 20 }])).toEqual([]);
  });

});

describe('ArchiveTask rolls', () => {
  const options = { topics: ['inventory.counts'], maxRollRows: 3, maxRollBytes: 1_000_000, maxRollAgeMs: 60_000 };

  it('closes a roll at maxRollRows; the committed offset stays at the open roll until its upload', () => {
    let now = 0;
    const task = new ArchiveTask({ topic: 'inventory.counts', partition: 2, checkpoint: undefined }, options, noStore, noEncoder, logger, () => now);
    for (let o = 10; o < 14; o++) task.process(record(o, T0 + o * 1_000));
    // 10..12 closed (3 rows), 13 open: the earliest needed is the closed roll's start until taken.
    expect(task.earliestNeededOffset()).toBe(10);
    expect(task.takeOutput()).toBeInstanceOf(Function);
    expect(task.earliestNeededOffset()).toBe(13);
    expect(task.takeOutput()).toBeUndefined();
    now = 59_999;
    task.punctuate({ emit: () => undefined, publish: () => undefined, deliver: () => undefined });
    expect(task.takeOutput()).toBeUndefined();
    now = 60_000;
    task.punctuate({ emit: () => undefined, publish: () => undefined, deliver: () => undefined });
    expect(task.takeOutput()).toBeInstanceOf(Function);
    expect(task.earliestNeededOffset()).toBeUndefined();
  });

  it('skips records a replay re-published (already archived under their original offsets)', () => {
    const task = new ArchiveTask({ topic: 'inventory.counts', partition: 2, checkpoint: undefined }, options, noStore, noEncoder, logger, () => 0);
    task.process(record(1, T0, [{ key: REPLAY_HEADER, value: Buffer.from('inventory.counts/2/1') }]));
    expect(task.bufferedRows).toBe(0);
    expect(task.earliestNeededOffset()).toBeUndefined();
  });

  it('closes on raw bytes too', () => {
    const task = new ArchiveTask({ topic: 'inventory.counts', partition: 2, checkpoint: undefined }, { ...options, maxRollRows: 1_000, maxRollBytes: 2 * RECORD_BYTES }, noStore, noEncoder, logger, () => 0);
    task.process(record(1, T0)); // value bytes + 2 key bytes
    expect(task.takeOutput()).toBeUndefined();
    task.process(record(2, T0)); // twice that: closes
    expect(task.takeOutput()).toBeInstanceOf(Function);
  });

  it('hands bytes that are not a record back as DECODE_FAILED, keeping the rows around them', () => {
    const task = new ArchiveTask({ topic: 'inventory.counts', partition: 2, checkpoint: undefined }, options, noStore, noEncoder, logger, () => 0);
    expect(task.process(record(1, T0))).toBeUndefined();
    const bad = record(2, T0);
    const raw = { ...bad.raw!, value: bad.raw!.value.subarray(0, bad.raw!.value.length - 4) };
    expect(task.process({ ...bad, raw })).toEqual({ code: 'DECODE_FAILED', reason: expect.stringMatching(/truncated|ends before/) as unknown });
    expect(task.process(record(3, T0))).toBeUndefined();
    expect(task.bufferedRows).toBe(2);
  });
});

describe('ArchiveTask uploads', () => {
  const options = { topics: ['inventory.counts'], maxRollRows: 4, maxRollBytes: 1_000_000, maxRollAgeMs: 60_000 };

  /** An in-memory partition-hour listing and object bodies: what the upload reads and writes. */
  function memoryStore(existing: { first: number; last: number }[] = []) {
    const hour = hourPartitionOf(T0);
    const objects = new Map<string, Uint8Array>();
    for (const o of existing) objects.set(dataObjectName('inventory.counts', hour, 2, o.first, o.last), new Uint8Array([1]));
    const store = {
      partitionHour: () =>
        Promise.resolve(
          [...objects.entries()].map(([name, body]) => ({ ...parseDataObjectName(name)!, name, size: body.byteLength })).sort((a, b) => a.first - b.first),
        ),
      put: (name: string, body: Uint8Array) => {
        objects.set(name, body);
        return Promise.resolve();
      },
      updateManifest: () => Promise.resolve(),
    };
    return { store: store as unknown as ArchiveStore, objects };
  }

  /** Records which offsets each encode was given, and when; the "file" is those offsets. */
  function spyEncoder() {
    const calls: number[][] = [];
    return {
      calls,
      layout: real.layout,
      encode: (columns: ArchiveColumns, keep?: RowRanges) => {
        const offsets = offsetsOf(columns, keep);
        calls.push(offsets);
        return Promise.resolve(new Uint8Array(offsets));
      },
    };
  }

  it('starts encoding a roll when it closes, and uploads that file', async () => {
    const { store, objects } = memoryStore();
    const encoder = spyEncoder();
    const task = new ArchiveTask({ topic: 'inventory.counts', partition: 2, checkpoint: undefined }, options, store, encoder, logger, () => 0);
    for (let o = 0; o < 4; o++) task.process(record(o, T0 + o));
    expect(encoder.calls).toEqual([[0, 1, 2, 3]]); // at the close, before any flush
    await task.takeOutput()!();
    expect(encoder.calls).toHaveLength(1);
    expect([...objects.keys()].map((n) => parseDataObjectName(n))).toEqual([expect.objectContaining({ first: 0, last: 3 })]);
  });

  it('after a restart, writes only the records no existing object covers, encoded again', async () => {
    const { store, objects } = memoryStore([{ first: 0, last: 1 }]); // archived before a crash
    const encoder = spyEncoder();
    const task = new ArchiveTask({ topic: 'inventory.counts', partition: 2, checkpoint: undefined }, options, store, encoder, logger, () => 0);
    for (let o = 0; o < 4; o++) task.process(record(o, T0 + o));
    await task.takeOutput()!();
    expect(encoder.calls).toEqual([
      [0, 1, 2, 3],
      [2, 3],
    ]);
    const names = [...objects.keys()].map((n) => parseDataObjectName(n)!);
    expect(names.map((o) => [o.first, o.last])).toEqual([
      [0, 1],
      [2, 3],
    ]);
    expect([...objects.get(dataObjectName('inventory.counts', hourPartitionOf(T0), 2, 2, 3))!]).toEqual([2, 3]);
  });

  it('encodes again on retry when the encoding at the close failed', async () => {
    const { store, objects } = memoryStore();
    let fail = true;
    const encoder = {
      layout: real.layout,
      encode: (columns: ArchiveColumns) => (fail ? Promise.reject(new Error('worker died')) : Promise.resolve(new Uint8Array(columns.rows))),
    };
    const task = new ArchiveTask({ topic: 'inventory.counts', partition: 2, checkpoint: undefined }, options, store, encoder, logger, () => 0);
    for (let o = 0; o < 4; o++) task.process(record(o, T0 + o));
    const output = task.takeOutput()!;
    await expect(output()).rejects.toThrow(/worker died/);
    fail = false;
    await output();
    expect(objects.size).toBe(1);
  });
});
