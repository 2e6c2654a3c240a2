/**
 * parquet-writers: which Parquet writer the archiver uses. The user listed parquetjs-lite
 * (unmaintained since 2020); it is compared with @dsnp/parquetjs (its maintained fork) and
 * parquet-wasm (Rust's `parquet` crate in WebAssembly, fed Apache Arrow), on the same events:
 * simulated pos.sales baskets (with lines) and inventory movements and counts, each with the
 * replay columns, in files of FILE_ROWS rows.
 *
 * Per writer: encode rate (rows/s, encode only, after a warm-up), bytes per row, peak RSS of a
 * child process that runs only that writer (beside a baseline child that prepares the same
 * events and encodes nothing, so rss_delta is the writer's own cost), and whether DuckDB,
 * ClickHouse (chDB `file()`) and pyarrow read the files back with the right row counts, types
 * (UTC timestamps, a list of structs, integer money) and values compared against the
 * simulator's events.
 *
 * Neither JavaScript writer has ZSTD, so they write Snappy; parquet-wasm is measured with both
 * ZSTD (what the archive uses) and Snappy, so the codec is not mistaken for the writer.
 *
 * Winner: parquet-wasm (ZSTD), now streams/archive/parquet.ts. Figures of 2026-11-23, three runs
 * (235k rows), 2 cores shared with four other sessions' builds, tests and benchmarks (so rates
 * are low and spread; the ratio to parquetjs-lite held at 6.2-8.0):
 *
 *   writer               rows/s         bytes/row  peak RSS (delta)  DuckDB  chDB  pyarrow
 *   parquet-wasm ZSTD    14.2k-22.0k    111        568-588 MB (+163-192)  ok   ok    ok
 *   parquet-wasm Snappy  11.7k-23.6k    164        601-606 MB (+193-210)  ok   ok    ok
 *   @dsnp/parquetjs 1.8  3.0k-5.2k      186        705-741 MB (+300-342)  no   no    ok
 *   parquetjs-lite 0.8   1.8k-2.8k      186        732-752 MB (+328-356)  no   no    ok
 *
 * Why: 5-8x the encode rate of the JavaScript writers, 40% smaller files (ZSTD, which neither
 * JavaScript writer has), half their memory, and the only files all three readers type and
 * read right. The JavaScript writers write timestamps as the legacy TIMESTAMP_MILLIS converted
 * type without a logical type, which DuckDB reads as a naive TIMESTAMP (not UTC), and chDB
 * fails on their nested lines ("Unexpected end of page"; with their default page index it
 * fails earlier, "Invalid offset index"). @dsnp/parquetjs 1.9.3 was published without its
 * dist/ folder and cannot be loaded; 1.8.9 is measured.
 */
import { execFile, fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type as ArrowType, type DataType, type Field, type Schema, tableToIPC } from 'apache-arrow';
import * as wasm from 'parquet-wasm';
import { Type as AvroType } from 'avsc';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { HEADER_BYTES, MAGIC_BYTE } from '../../lib/events/codec';
import { loadCatalog, type AvroSchema } from '../../schemas/catalog';
import { PosSimulator } from '../../simulators/pos/simulator';
import { parseDay } from '../../lib/domain/calendar';
import { type ArchiveRecord, archiveSchema, arrowTable, createParquetEncoder } from '../../streams/archive/parquet';
import type { Benchmark } from '../harness';

/** Completed sales (baskets with lines) in the run; the inventory topics come from the same hours. */
const SALES = 200_000;
const TOPICS = ['pos.sales', 'inventory.movements', 'inventory.counts'] as const;
type Topic = (typeof TOPICS)[number];
/** Rows per file (and per row group): what an archiver rolling every few minutes writes. */
const FILE_ROWS = 50_000;
const WARM_UP_ROWS = 5_000;
/** Events checked value by value against the source, per topic. */
const SAMPLES = 25;

const CANDIDATES = ['parquet-wasm', 'parquet-wasm-snappy', 'dsnp-parquetjs', 'parquetjs-lite'] as const;
type Candidate = (typeof CANDIDATES)[number];
const BASELINE = 'baseline';
const CHILD_FLAG = '--parquet-writers-child';

type FileEncoder = (records: readonly ArchiveRecord[]) => Promise<Uint8Array>;

// ---------------------------------------------------------------------------------------------
// The source events: deterministic, so the parent (checking) and each child (writing) build the
// same records without passing 300k events between processes.

interface Source {
  readonly schemas: Record<Topic, AvroSchema>;
  readonly records: Record<Topic, ArchiveRecord[]>;
}

function sourceEvents(): Source {
  const catalog = loadCatalog();
  const schemas = {} as Record<Topic, AvroSchema>;
  const records = {} as Record<Topic, ArchiveRecord[]>;
  const types = {} as Record<Topic, AvroType>;
  TOPICS.forEach((topic) => {
    const spec = catalog.find((t) => t.name === topic);
    if (!spec?.schema) throw new Error(`${topic} has no schema in the catalogue`);
    schemas[topic] = spec.schema;
    types[topic] = AvroType.forSchema(spec.schema as Parameters<typeof AvroType.forSchema>[0]);
    records[topic] = [];
  });
  const sim = new PosSimulator({ seed: 7, stores: 40, skus: 2_000, window: { kind: 'days', startDay: parseDay('2026-03-09'), days: 30 }, anomalyRate: 1, heartbeats: false });
  const offsets = new Map<string, number>();
  while (records['pos.sales'].length < SALES && !sim.done) {
    const hour = sim.nextHour();
    TOPICS.forEach((topic, t) => {
      for (const event of hour.events[topic] as unknown as Record<string, unknown>[]) {
        if (topic === 'pos.sales' && records[topic].length >= SALES) break;
        const storeId = String(event['store_id']);
        const partition = Number(storeId.slice(1)) % 6;
        const offsetKey = `${topic}/${partition}`;
        const offset = offsets.get(offsetKey) ?? 0;
        offsets.set(offsetKey, offset + 1);
        const schemaId = 100 + t;
        const body = types[topic].toBuffer(event);
        const value = Buffer.allocUnsafe(HEADER_BYTES + body.length);
        value[0] = MAGIC_BYTE;
        value.writeInt32BE(schemaId, 1);
        body.copy(value, HEADER_BYTES);
        const n = records[topic].length;
        records[topic].push({
          key: Buffer.from(storeId),
          value,
          schemaId,
          // Most records carry no header; some carry a trace id, a few two (a retried send).
          headers: n % 10 === 0 ? [{ key: 'trace_id', value: Buffer.from(`t-${n}`) }, ...(n % 30 === 0 ? [{ key: 'retry', value: null }] : [])] : [],
          timestamp: Number(event['occurred_at']) + 150,
          partition,
          offset: BigInt(offset),
          event,
        });
      }
    });
  }
  if (records['pos.sales'].length < SALES) throw new Error(`the simulation gave only ${records['pos.sales'].length} sales`);
  return { schemas, records };
}

// ---------------------------------------------------------------------------------------------
// The losing candidates, behind the same file-encoder shape as the winner. Their schemas come
// from the same Arrow schema (archiveSchema), translated to each library's definition format.

interface ParquetjsWriter {
  setRowGroupSize(rows: number): void;
  appendRow(row: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}
interface ParquetjsModule {
  ParquetSchema: new (definition: Record<string, unknown>) => unknown;
  ParquetWriter: { openStream(schema: unknown, stream: unknown, opts?: Record<string, unknown>): Promise<ParquetjsWriter> };
}

type Flavour = 'lite' | 'dsnp';

/** parquetjs field definition of an Arrow field. lite has no LIST type: a list is a repeated field. */
function parquetjsField(field: Field, flavour: Flavour): Record<string, unknown> {
  const optional = field.nullable;
  const t: DataType = field.type;
  const leaf = (type: string): Record<string, unknown> => ({ type, optional, compression: 'SNAPPY' });
  switch (t.typeId) {
    case ArrowType.Utf8:
      return leaf('UTF8');
    case ArrowType.Binary:
      return leaf('BYTE_ARRAY');
    case ArrowType.Int:
      return leaf((t as unknown as { bitWidth: number }).bitWidth === 64 ? 'INT64' : 'INT32');
    case ArrowType.Float:
      return leaf('DOUBLE');
    case ArrowType.Bool:
      return leaf('BOOLEAN');
    case ArrowType.Timestamp:
      return leaf('TIMESTAMP_MILLIS');
    case ArrowType.Date:
      return leaf('DATE');
    case ArrowType.Struct:
      return { optional, fields: parquetjsFields(t.children, flavour) };
    case ArrowType.List: {
      const element = parquetjsField(t.children[0]!, flavour);
      if (flavour === 'lite') return { ...element, optional: undefined, repeated: true };
      return { type: 'LIST', optional, fields: { list: { repeated: true, fields: { element } } } };
    }
    default:
      throw new Error(`the parquetjs adapters do not map ${String(t)} (not in the benchmarked topics)`);
  }
}

function parquetjsFields(fields: readonly Field[], flavour: Flavour): Record<string, unknown> {
  return Object.fromEntries(fields.map((f) => [f.name, parquetjsField(f, flavour)]));
}

/** A row in the library's shape: lists wrapped as {list: [{element}]} for the dsnp LIST type. */
function parquetjsValue(field: Field, value: unknown, flavour: Flavour): unknown {
  if (value === null || value === undefined) return undefined;
  const t: DataType = field.type;
  if (t.typeId === ArrowType.Int && typeof value === 'bigint') return Number(value);
  if (t.typeId === ArrowType.Struct) {
    const v = value as Record<string, unknown>;
    return Object.fromEntries(t.children.map((f: Field) => [f.name, parquetjsValue(f, v[f.name], flavour)]));
  }
  if (t.typeId === ArrowType.List) {
    const items = (value as readonly unknown[]).map((item) => parquetjsValue(t.children[0]!, item, flavour));
    return flavour === 'lite' ? items : { list: items.map((element) => ({ element })) };
  }
  return value;
}

function parquetjsEncoder(schema: Schema, flavour: Flavour): FileEncoder {
  const lib = (flavour === 'lite' ? require('parquetjs-lite') : require('@dsnp/parquetjs')) as ParquetjsModule;
  const pqSchema = new lib.ParquetSchema(parquetjsFields(schema.fields, flavour));
  return async (records) => {
    const chunks: Buffer[] = [];
    const sink = {
      write(buf: Buffer, cb: (err?: Error | null) => void) {
        chunks.push(Buffer.from(buf));
        cb(null);
        return true;
      },
      end(cb: (err?: Error | null) => void) {
        cb(null);
      },
    };
    // Their default page index is one that chDB's Parquet reader rejects ("Invalid offset
    // index"); without it the files are plain Parquet, so each library is measured at its best.
    const writer = await lib.ParquetWriter.openStream(pqSchema, sink, { pageIndex: false });
    writer.setRowGroupSize(FILE_ROWS);
    for (const r of records) {
      const row: Record<string, unknown> = {};
      for (const f of schema.fields) row[f.name] = parquetjsValue(f, replayOrEvent(r, f.name), flavour);
      await writer.appendRow(row);
    }
    await writer.close();
    return Buffer.concat(chunks);
  };
}

function replayOrEvent(r: ArchiveRecord, column: string): unknown {
  switch (column) {
    case 'key':
      return r.key ? Buffer.from(r.key) : null;
    case 'value':
      return Buffer.from(r.value);
    case 'schema_id':
      return r.schemaId;
    case 'headers':
      return r.headers.map((h) => ({ key: h.key, value: h.value ? Buffer.from(h.value) : null }));
    case 'kafka_timestamp':
      return r.timestamp;
    case 'partition':
      return r.partition;
    case 'offset':
      return r.offset;
    default:
      return r.event[column];
  }
}

/** parquet-wasm with Snappy: the winner's writer with the JavaScript writers' codec. */
function parquetWasmSnappy(schema: Schema, topic: string): FileEncoder {
  return async (records) => {
    const props = new wasm.WriterPropertiesBuilder().setCompression(wasm.Compression.SNAPPY).setMaxRowGroupSize(FILE_ROWS).build();
    return wasm.writeParquet(wasm.Table.fromIPCStream(tableToIPC(arrowTable(schema, records, topic), 'stream')), props);
  };
}

function encoderFor(candidate: Candidate, avro: AvroSchema, topic: string): FileEncoder {
  const schema = archiveSchema(avro);
  switch (candidate) {
    case 'parquet-wasm': {
      const encoder = createParquetEncoder(avro, { rowGroupRows: FILE_ROWS });
      return (records) => encoder.encode(records);
    }
    case 'parquet-wasm-snappy':
      return parquetWasmSnappy(schema, topic);
    case 'dsnp-parquetjs':
      return parquetjsEncoder(schema, 'dsnp');
    case 'parquetjs-lite':
      return parquetjsEncoder(schema, 'lite');
  }
}

// ---------------------------------------------------------------------------------------------
// The child: prepares the events, then (unless it is the baseline) encodes them with one writer.

interface ChildResult {
  readonly rows: number;
  readonly encodeSeconds: number;
  readonly bytes: number;
  readonly maxRssMb: number;
  readonly heapDeltaMb: number;
}

async function runChild(candidate: Candidate | typeof BASELINE, outDir: string): Promise<ChildResult> {
  const source = sourceEvents();
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let rows = 0;
  let bytes = 0;
  let encodeSeconds = 0;
  let heapPeak = heapBefore;
  if (candidate !== BASELINE) {
    for (const topic of TOPICS) {
      const encode = encoderFor(candidate, source.schemas[topic], topic);
      await encode(source.records[topic].slice(0, WARM_UP_ROWS)); // JIT and wasm warm-up, not timed
      const all = source.records[topic];
      mkdirSync(join(outDir, topic), { recursive: true });
      for (let i = 0, part = 0; i < all.length; i += FILE_ROWS, part++) {
        const batch = all.slice(i, i + FILE_ROWS);
        const started = performance.now();
        const file = await encode(batch);
        encodeSeconds += (performance.now() - started) / 1000;
        heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
        writeFileSync(join(outDir, topic, `part-${String(part).padStart(4, '0')}.parquet`), file);
        rows += batch.length;
        bytes += file.byteLength;
      }
    }
  }
  return {
    rows,
    bytes,
    encodeSeconds,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    heapDeltaMb: (heapPeak - heapBefore) / 2 ** 20,
  };
}

function spawnChild(candidate: Candidate | typeof BASELINE, outDir: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, [CHILD_FLAG, candidate, outDir], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: ChildResult | undefined;
    child.on('message', (m) => {
      result = m as ChildResult;
    });
    child.on('error', reject);
    child.on('exit', (code) => (result && code === 0 ? resolve(result) : reject(new Error(`${candidate} child exited with ${code}`))));
  });
}

if (process.argv[2] === CHILD_FLAG) {
  const [candidate, outDir] = process.argv.slice(3) as [Candidate | typeof BASELINE, string];
  runChild(candidate, outDir).then(
    (r) => process.send!(r, () => process.exit(0)),
    (error: unknown) => {
      process.stderr.write(`parquet-writers child ${candidate}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}

// ---------------------------------------------------------------------------------------------
// Read-back: each reader answers row counts, the types of the key columns and sampled values;
// they are compared with the simulator's events, not with anything the writers produced.

interface Expected {
  readonly rows: Record<Topic, number>;
  /** Sum of `total` over pos.sales and of line quantities: money and nested ints, exact. */
  readonly salesTotal: bigint;
  readonly lineQuantity: bigint;
  /** Sampled rows: offset/partition identify the row; the rest are compared. */
  readonly samples: Record<Topic, readonly SampleRow[]>;
}

interface SampleRow {
  readonly partition: number;
  readonly offset: string;
  readonly event_id: string;
  readonly occurred_at_ms: number;
  readonly value_md5: string;
  readonly first_unit_price: string | null;
  readonly first_promotion_id: string | null;
  readonly header_count: number;
}

function expectedOf(source: Source): Expected {
  const sales = source.records['pos.sales'];
  let salesTotal = 0n;
  let lineQuantity = 0n;
  for (const r of sales) {
    salesTotal += BigInt(r.event['total'] as number);
    for (const line of r.event['lines'] as { quantity: number }[]) lineQuantity += BigInt(line.quantity);
  }
  const samples = {} as Record<Topic, SampleRow[]>;
  for (const topic of TOPICS) {
    const all = source.records[topic];
    samples[topic] = Array.from({ length: SAMPLES }, (_, i) => all[Math.floor((i * (all.length - 1)) / (SAMPLES - 1))]!).map((r) => {
      const lines = r.event['lines'] as { unit_price: number; promotion_id: string | null }[] | undefined;
      return {
        partition: r.partition,
        offset: String(r.offset),
        event_id: String(r.event['event_id']),
        occurred_at_ms: Number(r.event['occurred_at']),
        value_md5: createHash('md5').update(r.value).digest('hex'),
        first_unit_price: lines ? String(lines[0]!.unit_price) : null,
        first_promotion_id: lines ? lines[0]!.promotion_id : null,
        header_count: r.headers.length,
      };
    });
  }
  return { rows: Object.fromEntries(TOPICS.map((t) => [t, source.records[t].length])) as Record<Topic, number>, salesTotal, lineQuantity, samples };
}

/** What a reader saw; `problems` lists every mismatch (empty: read back correctly). */
interface ReadBack {
  readonly problems: string[];
}

function compare(reader: string, expected: Expected, got: { rows: Record<string, number>; salesTotal: string; lineQuantity: string; samples: Record<string, SampleRow[]> }, typeProblems: string[]): ReadBack {
  const problems = [...typeProblems];
  for (const topic of TOPICS) {
    if (got.rows[topic] !== expected.rows[topic]) problems.push(`${reader} ${topic}: ${got.rows[topic]} rows, expected ${expected.rows[topic]}`);
    const rows = got.samples[topic] ?? [];
    for (const want of expected.samples[topic]) {
      const row = rows.find((r) => r.partition === want.partition && r.offset === want.offset);
      if (!row) {
        problems.push(`${reader} ${topic}: row ${want.partition}/${want.offset} missing`);
        continue;
      }
      for (const k of Object.keys(want) as (keyof SampleRow)[]) {
        if (String(row[k]) !== String(want[k])) problems.push(`${reader} ${topic} ${want.partition}/${want.offset}: ${k}=${row[k]}, expected ${want[k]}`);
      }
    }
  }
  if (got.salesTotal !== String(expected.salesTotal)) problems.push(`${reader}: sum(total)=${got.salesTotal}, expected ${expected.salesTotal}`);
  if (got.lineQuantity !== String(expected.lineQuantity)) problems.push(`${reader}: sum(lines.quantity)=${got.lineQuantity}, expected ${expected.lineQuantity}`);
  return { problems };
}

function sampleFilter(expected: Expected, topic: Topic): string {
  return expected.samples[topic].map((s) => `(${s.partition}, ${s.offset})`).join(', ');
}

async function readDuckDb(dir: string, expected: Expected): Promise<ReadBack> {
  const { DuckDBInstance } = require('@duckdb/node-api') as typeof import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  try {
    const q = async (sql: string): Promise<Record<string, unknown>[]> => (await db.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
    const files = (topic: string): string => `read_parquet('${join(dir, topic)}/*.parquet')`;
    const typeProblems: string[] = [];
    const types = Object.fromEntries((await q(`DESCRIBE SELECT * FROM ${files('pos.sales')}`)).map((r) => [r['column_name'], String(r['column_type'])]));
    const want: Record<string, RegExp> = {
      occurred_at: /^TIMESTAMP WITH TIME ZONE$/,
      kafka_timestamp: /^TIMESTAMP WITH TIME ZONE$/,
      total: /^BIGINT$/,
      offset: /^BIGINT$/,
      payment_method: /^VARCHAR$/,
      value: /^BLOB$/,
      lines: /^STRUCT\(line_number INTEGER, sku VARCHAR, quantity INTEGER, unit_price BIGINT, discount BIGINT, promotion_id VARCHAR\)\[\]$/,
    };
    for (const [col, re] of Object.entries(want)) if (!re.test(types[col] ?? '')) typeProblems.push(`duckdb pos.sales.${col}: ${types[col]}`);
    const rows: Record<string, number> = {};
    const samples: Record<string, SampleRow[]> = {};
    for (const topic of TOPICS) {
      rows[topic] = Number((await q(`SELECT count(*) AS n FROM ${files(topic)}`))[0]!['n']);
      const sales = topic === 'pos.sales';
      samples[topic] = (
        await q(`SELECT partition, "offset"::VARCHAR AS "offset", event_id, epoch_ms(occurred_at::TIMESTAMPTZ) AS occurred_at_ms, md5(value) AS value_md5,
                  ${sales ? 'lines[1].unit_price::VARCHAR' : 'NULL'} AS first_unit_price, ${sales ? 'lines[1].promotion_id' : 'NULL'} AS first_promotion_id,
                  len(headers) AS header_count
           FROM ${files(topic)} WHERE (partition, "offset") IN (${sampleFilter(expected, topic)})`)
      ).map((r) => r as unknown as SampleRow);
    }
    const totals = (
      await q(`SELECT sum(total)::VARCHAR AS t, (SELECT sum(l.quantity)::VARCHAR FROM (SELECT unnest(lines) AS l FROM ${files('pos.sales')})) AS q FROM ${files('pos.sales')}`)
    )[0]!;
    return compare('duckdb', expected, { rows, samples, salesTotal: String(totals['t']), lineQuantity: String(totals['q']) }, typeProblems);
  } finally {
    db.closeSync();
    instance.closeSync();
  }
}

/** An embedded ClickHouse of its own (chDB allows one engine per process: this one is the parent's). */
function createChdb(dataDir: string): ClickHouseClient {
  const { createChdbConnection } = require('chdb/connection') as typeof import('chdb/connection');
  const connection = createChdbConnection({ path: dataDir }) as unknown as NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;
  return createClient({ connection });
}

async function readChdb(dir: string, expected: Expected, ch: ClickHouseClient): Promise<ReadBack> {
  {
    const q = async (sql: string): Promise<Record<string, unknown>[]> => (await ch.query({ query: sql, format: 'JSONEachRow' })).json<Record<string, unknown>>();
    const files = (topic: string): string => `file('${join(dir, topic)}/*.parquet', Parquet)`;
    const typeProblems: string[] = [];
    const types = Object.fromEntries((await q(`DESCRIBE ${files('pos.sales')}`)).map((r) => [r['name'], String(r['type']).replace(/\s+/g, ' ').replace(/\( /g, '(')]));
    const want: Record<string, RegExp> = {
      occurred_at: /^(Nullable\()?DateTime64\(3, 'UTC'\)\)?$/,
      kafka_timestamp: /^(Nullable\()?DateTime64\(3, 'UTC'\)\)?$/,
      total: /^(Nullable\()?Int64\)?$/,
      offset: /^(Nullable\()?Int64\)?$/,
      lines: /^Array\(Tuple\(line_number (Nullable\()?Int32\)?, sku (Nullable\()?String\)?, quantity (Nullable\()?Int32\)?, unit_price (Nullable\()?Int64\)?, discount (Nullable\()?Int64\)?, promotion_id Nullable\(String\)\)\)$/,
    };
    for (const [col, re] of Object.entries(want)) if (!re.test(types[col] ?? '')) typeProblems.push(`chdb pos.sales.${col}: ${types[col]}`);
    const rows: Record<string, number> = {};
    const samples: Record<string, SampleRow[]> = {};
    for (const topic of TOPICS) {
      rows[topic] = Number((await q(`SELECT count() AS n FROM ${files(topic)}`))[0]!['n']);
      const sales = topic === 'pos.sales';
      samples[topic] = (
        await q(`SELECT partition, toString(offset) AS offset, event_id, toUnixTimestamp64Milli(occurred_at) AS occurred_at_ms, lower(hex(MD5(value))) AS value_md5,
                  ${sales ? 'toString(lines[1].unit_price)' : 'NULL'} AS first_unit_price, ${sales ? 'lines[1].promotion_id' : 'NULL'} AS first_promotion_id,
                  length(headers) AS header_count
           FROM ${files(topic)} WHERE (partition, offset) IN (${sampleFilter(expected, topic)})`)
      ).map((r) => r as unknown as SampleRow);
    }
    const totals = (await q(`SELECT toString(sum(total)) AS t, toString(sum(arraySum(arrayMap(l -> l.quantity, lines)))) AS q FROM ${files('pos.sales')}`))[0]!;
    return compare('chdb', expected, { rows, samples, salesTotal: String(totals['t']), lineQuantity: String(totals['q']) }, typeProblems);
  }
}

/** pyarrow through a short Python script; undefined when python3 or pyarrow is not installed. */
const PYARROW_SCRIPT = `
import json, sys, hashlib
import pyarrow.dataset as ds, pyarrow.compute as pc
root, wanted = sys.argv[1], json.loads(sys.argv[2])
out = {"rows": {}, "samples": {}, "types": {}}
for topic, keys in wanted.items():
    t = ds.dataset(f"{root}/{topic}", format="parquet").to_table()
    out["rows"][topic] = t.num_rows
    if topic == "pos.sales":
        out["types"] = {f.name: str(f.type) for f in t.schema}
        out["salesTotal"] = str(pc.sum(t["total"]).as_py())
        out["lineQuantity"] = str(pc.sum(pc.struct_field(pc.list_flatten(t["lines"]), "quantity")).as_py())
    idx = {(p, o): i for i, (p, o) in enumerate(zip(t["partition"].to_pylist(), t["offset"].to_pylist()))}
    rows = []
    for p, o in keys:
        i = idx.get((p, int(o)))
        if i is None: continue
        r = t.slice(i, 1).to_pylist()[0]
        lines = r.get("lines")
        rows.append({"partition": p, "offset": str(r["offset"]), "event_id": r["event_id"],
                     "occurred_at_ms": int(r["occurred_at"].timestamp() * 1000) if r["occurred_at"].tzinfo else None,
                     "value_md5": hashlib.md5(r["value"]).hexdigest(),
                     "first_unit_price": str(lines[0]["unit_price"]) if lines else None,
                     "first_promotion_id": lines[0]["promotion_id"] if lines else None,
                     "header_count": len(r["headers"])})
    out["samples"][topic] = rows
print(json.dumps(out))
`;

async function readPyarrow(dir: string, expected: Expected): Promise<ReadBack | undefined> {
  const wanted = Object.fromEntries(TOPICS.map((t) => [t, expected.samples[t].map((s) => [s.partition, s.offset])]));
  let stdout: string;
  try {
    stdout = await new Promise<string>((resolve, reject) =>
      execFile('python3', ['-c', PYARROW_SCRIPT, dir, JSON.stringify(wanted)], { maxBuffer: 64 * 2 ** 20 }, (error, out, err) => (error ? reject(new Error(err || error.message)) : resolve(out))),
    );
  } catch (error) {
    if (/No module named 'pyarrow'|ENOENT/.test(String(error))) return undefined;
    return { problems: [`pyarrow: ${String(error).split('\n').slice(-2).join(' ')}`] };
  }
  const got = JSON.parse(stdout) as { rows: Record<string, number>; samples: Record<string, SampleRow[]>; types: Record<string, string>; salesTotal: string; lineQuantity: string };
  const want: Record<string, RegExp> = {
    occurred_at: /^timestamp\[ms, tz=(UTC|\+00:00)\]$/,
    kafka_timestamp: /^timestamp\[ms, tz=(UTC|\+00:00)\]$/,
    total: /^int64$/,
    offset: /^int64$/,
    lines: /^list<\w+: struct<line_number: int32.*unit_price: int64.*promotion_id: string.*>( not null)?>$/,
  };
  const typeProblems = Object.entries(want)
    .filter(([col, re]) => !re.test(got.types[col] ?? ''))
    .map(([col]) => `pyarrow pos.sales.${col}: ${got.types[col]}`);
  return compare('pyarrow', expected, got, typeProblems);
}

// ---------------------------------------------------------------------------------------------

const METRIC_NAME: Record<Candidate, string> = {
  'parquet-wasm': 'wasm_zstd',
  'parquet-wasm-snappy': 'wasm_snappy',
  'dsnp-parquetjs': 'dsnp_snappy',
  'parquetjs-lite': 'lite_snappy',
};

/** The archive's writer, picked from this benchmark's figures (see the header comment). */
export const CHOSEN_WRITER: Candidate = 'parquet-wasm';

export const parquetWriters: Benchmark = {
  name: 'parquet-writers',
  description: `Parquet writers (parquetjs-lite, @dsnp/parquetjs, parquet-wasm): encode rate, size, memory, read-back by DuckDB, chDB and pyarrow; ${SALES} sales + inventory`,
  async run({ logger }) {
    const work = mkdtempSync(join(tmpdir(), 'shelfstream-parquet-writers-'));
    const ch = createChdb(join(work, 'chdb'));
    try {
      const expected = expectedOf(sourceEvents());
      // One child at a time: on two shared cores, two writers side by side would time each other.
      const baseline = await spawnChild(BASELINE, join(work, BASELINE));
      const metrics: Record<string, number> = { rows: Object.values(expected.rows).reduce((a, b) => a + b, 0), baseline_rss_mb: Math.round(baseline.maxRssMb) };
      const problems: string[] = [];
      for (const candidate of CANDIDATES) {
        const dir = join(work, candidate);
        const m = METRIC_NAME[candidate];
        let result: ChildResult;
        try {
          result = await spawnChild(candidate, dir);
        } catch (error) {
          problems.push(`${candidate}: ${String(error)}`);
          metrics[`${m}_rows_per_s`] = 0;
          continue;
        }
        metrics[`${m}_rows_per_s`] = Math.round(result.rows / result.encodeSeconds);
        metrics[`${m}_bytes_per_row`] = Number((result.bytes / result.rows).toFixed(1));
        metrics[`${m}_mb`] = Number((result.bytes / 2 ** 20).toFixed(2));
        metrics[`${m}_rss_mb`] = Math.round(result.maxRssMb);
        metrics[`${m}_rss_delta_mb`] = Math.round(result.maxRssMb - baseline.maxRssMb);
        const readers: [string, ReadBack | undefined][] = [
          ['duckdb', await readDuckDb(dir, expected).catch((e: unknown) => ({ problems: [`duckdb: ${String(e)}`] }))],
          ['chdb', await readChdb(dir, expected, ch).catch((e: unknown) => ({ problems: [`chdb: ${String(e)}`] }))],
          ['pyarrow', await readPyarrow(dir, expected)],
        ];
        for (const [reader, read] of readers) {
          // 1 = read back right, 0 = wrong or unreadable, -1 = reader not installed.
          metrics[`${m}_${reader}_ok`] = read === undefined ? -1 : read.problems.length === 0 ? 1 : 0;
          if (read) problems.push(...read.problems.slice(0, 6).map((p) => `${candidate}: ${p}`));
        }
        rmSync(dir, { recursive: true, force: true });
      }
      for (const p of problems) logger.warn(p);
      const lite = metrics['lite_snappy_rows_per_s'] ?? 0;
      const chosen = metrics[`${METRIC_NAME[CHOSEN_WRITER]}_rows_per_s`] ?? 0;
      // The ratio judges the choice against the writer the user listed.
      return { ...metrics, chosen_vs_lite_ratio: lite > 0 ? chosen / lite : 0 };
    } finally {
      await ch.close();
      rmSync(work, { recursive: true, force: true });
    }
  },
};
