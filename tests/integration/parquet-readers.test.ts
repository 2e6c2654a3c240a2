/**
 * Archive files are read right by two independent readers: DuckDB (its own Parquet reader) and
 * ClickHouse's file() table function (through the embedded engine). A simulated day of sales
 * and inventory movements is encoded with the archive's encoder; every row each reader answers
 * is compared with the simulator's events and the record bytes built here, never with anything
 * the encoder produced. No Kafka is needed: the records carry made-up partitions and offsets.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Type } from 'avsc';
import { loadCatalog } from '../../schemas/catalog';
import type { InventoryMovement, SaleCompleted } from '../../schemas/generated/events';
import { parseDay } from '../../lib/domain/calendar';
import { PosSimulator } from '../../simulators/pos/simulator';
import { type ArchiveRecord, createParquetEncoder } from '../../streams/archive/parquet';
import { registerCleanup, testClickHouse } from '../harness/fixtures';

const SALES_SCHEMA_ID = 41;
const MOVEMENTS_SCHEMA_ID = 42;

interface Source<T> {
  readonly events: T[];
  readonly records: ArchiveRecord[];
}

function framed(schemaId: number, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeInt32BE(schemaId, 1); // byte 0 stays 0: the Confluent magic byte
  return Buffer.concat([header, body]);
}

function archiveRecords<T extends { store_id: string; occurred_at: number }>(topic: string, schemaId: number, events: T[]): Source<T> {
  const type = Type.forSchema(loadCatalog().find((t) => t.name === topic)!.schema as Parameters<typeof Type.forSchema>[0]);
  const records = events.map((event, i) => ({
    key: Buffer.from(event.store_id),
    value: framed(schemaId, type.toBuffer(event)),
    schemaId,
    headers: i % 5 === 0 ? [{ key: 'trace_id', value: Buffer.from(`trace-${i}`) }, { key: 'retry', value: null }] : [],
    timestamp: event.occurred_at + 250,
    partition: i % 3,
    // Offsets past 2^53 must survive: the archive's replay depends on exact offsets.
    offset: 2n ** 53n + BigInt(i),
    event: event as unknown as Record<string, unknown>,
  }));
  return { events, records };
}

const sim = new PosSimulator({ seed: 11, stores: 4, skus: 150, window: { kind: 'days', startDay: parseDay('2026-03-09'), days: 3 }, anomalyRate: 1, heartbeats: false });
const sales: SaleCompleted[] = [];
const movements: InventoryMovement[] = [];
while (!sim.done) {
  const hour = sim.nextHour();
  sales.push(...hour.events['pos.sales']);
  movements.push(...hour.events['inventory.movements']);
}
const salesSource = archiveRecords('pos.sales', SALES_SCHEMA_ID, sales);
const movementsSource = archiveRecords('inventory.movements', MOVEMENTS_SCHEMA_ID, movements);

const dir = mkdtempSync(join(tmpdir(), 'shelfstream-parquet-readers-'));
const salesFile = join(dir, 'sales.parquet');
const movementsFile = join(dir, 'movements.parquet');

beforeAll(async () => {
  registerCleanup(async () => rmSync(dir, { recursive: true, force: true }));
  const catalog = loadCatalog();
  const schemaOf = (topic: string) => catalog.find((t) => t.name === topic)!.schema!;
  writeFileSync(salesFile, await createParquetEncoder(schemaOf('pos.sales')).encode(salesSource.records));
  writeFileSync(movementsFile, await createParquetEncoder(schemaOf('inventory.movements')).encode(movementsSource.records));
});

/** One sale as both readers are asked to answer it: plain strings and numbers. */
interface SaleRow {
  event_id: string;
  occurred_at_ms: string;
  kafka_timestamp_ms: string;
  payment_method: string;
  total: string;
  lines: string;
  key: string;
  value_hex: string;
  schema_id: string;
  partition: string;
  offset: string;
  headers: string;
}

function expectedSales(): Map<string, SaleRow> {
  return new Map(
    salesSource.records.map((r, i) => {
      const e = sales[i]!;
      return [
        e.event_id,
        {
          event_id: e.event_id,
          occurred_at_ms: String(e.occurred_at),
          kafka_timestamp_ms: String(e.occurred_at + 250),
          payment_method: e.payment_method,
          total: String(e.total),
          lines: e.lines.map((l) => `${l.line_number}:${l.sku}:${l.quantity}:${l.unit_price}:${l.discount}:${l.promotion_id ?? '-'}`).join('|'),
          key: e.store_id,
          value_hex: Buffer.from(r.value).toString('hex'),
          schema_id: String(SALES_SCHEMA_ID),
          partition: String(i % 3),
          offset: (2n ** 53n + BigInt(i)).toString(),
          headers: i % 5 === 0 ? `trace_id=${Buffer.from(`trace-${i}`).toString('hex')},retry=-` : '',
        },
      ];
    }),
  );
}

function expectRowsMatch(rows: SaleRow[]): void {
  const expected = expectedSales();
  expect(rows).toHaveLength(expected.size);
  for (const row of rows) expect(row).toEqual(expected.get(row.event_id));
}

describe('archive Parquet files', () => {
  it('hold a realistic day: baskets with several lines, promotions, optional fields both set and null', () => {
    expect(sales.length).toBeGreaterThan(1_000);
    expect(sales.some((s) => s.lines.length > 3)).toBe(true);
    expect(sales.some((s) => s.lines.some((l) => l.promotion_id !== null))).toBe(true);
    expect(movements.some((m) => m.unit_cost === null) && movements.some((m) => m.unit_cost !== null)).toBe(true);
  });

  describe('read by DuckDB', () => {
    let instance: DuckDBInstance;
    const query = async (sql: string): Promise<Record<string, unknown>[]> => {
      const db = await instance.connect();
      try {
        return (await db.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
      } finally {
        db.closeSync();
      }
    };
    beforeAll(async () => {
      instance = await DuckDBInstance.create(':memory:');
    });
    afterAll(() => instance.closeSync());

    it('types the columns: UTC timestamps, integer money, a list of structs, binary replay bytes, ZSTD', async () => {
      const types = Object.fromEntries((await query(`DESCRIBE SELECT * FROM read_parquet('${salesFile}')`)).map((r) => [r['column_name'], r['column_type']]));
      expect(types).toMatchObject({
        occurred_at: 'TIMESTAMP WITH TIME ZONE',
        payment_method: 'VARCHAR',
        total: 'BIGINT',
        lines: 'STRUCT(line_number INTEGER, sku VARCHAR, quantity INTEGER, unit_price BIGINT, discount BIGINT, promotion_id VARCHAR)[]',
        key: 'BLOB',
        value: 'BLOB',
        schema_id: 'INTEGER',
        headers: 'STRUCT("key" VARCHAR, "value" BLOB)[]',
        kafka_timestamp: 'TIMESTAMP WITH TIME ZONE',
        partition: 'INTEGER',
        offset: 'BIGINT',
      });
      const codecs = await query(`SELECT DISTINCT compression FROM parquet_metadata('${salesFile}')`);
      expect(codecs.map((r) => r['compression'])).toEqual(['ZSTD']);
    });

    it('answers every sale as the simulator made it, with the original record bytes', async () => {
      const rows = await query(`
        SELECT event_id, epoch_ms(occurred_at)::VARCHAR AS occurred_at_ms, epoch_ms(kafka_timestamp)::VARCHAR AS kafka_timestamp_ms,
               payment_method, total::VARCHAR AS total,
               array_to_string(list_transform(lines, l -> concat_ws(':', l.line_number, l.sku, l.quantity, l.unit_price, l.discount, coalesce(l.promotion_id, '-'))), '|') AS lines,
               decode(key) AS key, lower(hex(value)) AS value_hex, schema_id::VARCHAR AS schema_id, partition::VARCHAR AS partition, "offset"::VARCHAR AS "offset",
               array_to_string(list_transform(headers, h -> concat(h.key, '=', coalesce(lower(hex(h.value)), '-'))), ',') AS headers
        FROM read_parquet('${salesFile}')`);
      expectRowsMatch(rows as unknown as SaleRow[]);
    });

    it('keeps the nulls of optional fields and sums money exactly', async () => {
      const [row] = await query(
        `SELECT count(*)::VARCHAR AS n, count(unit_cost)::VARCHAR AS with_cost, count(reference_id)::VARCHAR AS with_ref, coalesce(sum(unit_cost), 0)::VARCHAR AS cost FROM read_parquet('${movementsFile}')`,
      );
      expect(row).toEqual({
        n: String(movements.length),
        with_cost: String(movements.filter((m) => m.unit_cost !== null).length),
        with_ref: String(movements.filter((m) => m.reference_id !== null).length),
        cost: String(movements.reduce((sum, m) => sum + BigInt(m.unit_cost ?? 0), 0n)),
      });
    });
  });

  describe('read by ClickHouse file()', () => {
    it('types the columns: DateTime64 in UTC, Int64 money, an array of named tuples', async () => {
      const { client } = await testClickHouse();
      const described = await (await client.query({ query: `DESCRIBE file('${salesFile}', Parquet)`, format: 'JSONEachRow' })).json<{ name: string; type: string }>();
      // ClickHouse spells nested types over several lines; one line reads and matches better.
      const types = Object.fromEntries(described.map((r) => [r.name, r.type.replace(/\s+/g, ' ').replace(/\( /g, '(').replace(/^Nullable\((.*)\)$/, '$1')]));
      expect(types).toMatchObject({
        occurred_at: "DateTime64(3, 'UTC')",
        kafka_timestamp: "DateTime64(3, 'UTC')",
        total: 'Int64',
        offset: 'Int64',
        partition: 'Int32',
        schema_id: 'Int32',
        payment_method: 'String',
      });
      expect(types['lines']).toMatch(/^Array\(Tuple\(line_number (Nullable\()?Int32\)?, sku (Nullable\()?String\)?, quantity (Nullable\()?Int32\)?, unit_price (Nullable\()?Int64\)?, discount (Nullable\()?Int64\)?, promotion_id Nullable\(String\)\)\)$/);
    });

    it('answers every sale as the simulator made it, with the original record bytes', async () => {
      const { client } = await testClickHouse();
      const result = await client.query({
        query: `
          SELECT event_id, toString(toUnixTimestamp64Milli(occurred_at)) AS occurred_at_ms, toString(toUnixTimestamp64Milli(kafka_timestamp)) AS kafka_timestamp_ms,
                 payment_method, toString(total) AS total,
                 arrayStringConcat(arrayMap(l -> concat(toString(l.line_number), ':', l.sku, ':', toString(l.quantity), ':', toString(l.unit_price), ':', toString(l.discount), ':', ifNull(l.promotion_id, '-')), lines), '|') AS lines,
                 toString(key) AS key, lower(hex(value)) AS value_hex, toString(schema_id) AS schema_id, toString(partition) AS partition, toString(offset) AS offset,
                 arrayStringConcat(arrayMap(h -> concat(h.key, '=', ifNull(lower(hex(h.value)), '-')), headers), ',') AS headers
          FROM file('${salesFile}', Parquet)`,
        format: 'JSONEachRow',
      });
      expectRowsMatch(await result.json<SaleRow>());
    });

    it('keeps the nulls of optional fields and sums money exactly', async () => {
      const { client } = await testClickHouse();
      const [row] = await (
        await client.query({
          query: `SELECT toString(count()) AS n, toString(count(unit_cost)) AS with_cost, toString(count(reference_id)) AS with_ref, toString(coalesce(sum(unit_cost), 0)) AS cost FROM file('${movementsFile}', Parquet)`,
          format: 'JSONEachRow',
        })
      ).json<Record<string, string>>();
      expect(row).toEqual({
        n: String(movements.length),
        with_cost: String(movements.filter((m) => m.unit_cost !== null).length),
        with_ref: String(movements.filter((m) => m.reference_id !== null).length),
        cost: String(movements.reduce((sum, m) => sum + BigInt(m.unit_cost ?? 0), 0n)),
      });
    });
  });
});
