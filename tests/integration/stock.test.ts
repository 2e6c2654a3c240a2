/**
 * The stock processor end to end: the POS simulator's stock events, replenishment orders and promotions on
 * stand-in topics (three partitions each, keyed by store_id as the catalogue topics are), the processor as a separate
 * process (`shelfstream stream stock`) killed with SIGKILL several times at random points of its
 * progress, then run to the end. Checked against two sources that are not the process under test:
 *
 *   - the simulator's own book on-hand at the end of the run (StoreInventory.book: what the
 *     store's system believes, changed by the same events): every key's on_hand in
 *     `stockout_risk` FINAL equals it once a count made the level known, and equals the change
 *     since the opening stock before that (nothing reports the opening stock);
 *   - a clean in-memory run of StockTask over the same events and master data (md.stores and
 *     md.products, published to stand-ins before the events: the holiday calendars), with no crash, split by
 *     partition and handed over in event-time order as the runtime's aligner does: every
 *     column of every key is the same (version counts the records applied to the key plus the
 *     days its store's shape learned and the orders its store placed, so one record applied
 *     twice or lost changes it; risk, hours to stock-out and the alert flags follow from the
 *     whole history).
 *
 * The processor runs on stand-in topics in an embedded ClickHouse folder of its own
 * (processorRun in tests/harness/processor-run.ts).
 * Kill points are reached by polling, never by sleeping: the process's start, its first task
 * restoring the snapshot, or the group's commits passing a random share of what was left.
 */
import type { Alert } from '../../schemas/generated/events';
import { Rng } from '../../simulators/pos/random';
import { PosSimulator } from '../../simulators/pos/simulator';
import { EventTimeAligner } from '../../streams/runtime/align';
import { ALERTS_TOPIC } from '../../streams/runtime/alerts';
import { MemorySink } from '../../streams/runtime/memory-sink';
import { PRODUCTS_TOPIC, STORES_TOPIC, staticMasterData } from '../../streams/shared/master-data';
import { PROMOTIONS_TOPIC, STOCKOUT_RISK_TABLE, STOCK_INPUTS, StockTask, type StockInput } from '../../streams/stock/stock';
import type { CliRun } from '../harness/cli';
import { waitFor } from '../harness/fixtures';
import { processorRun } from '../harness/processor-run';

const STORES = 4;
const SKUS = 200;
const DAYS = 28;
/** The fault tier (`make test-faults`, SHELFSTREAM_KILL_TESTS=1) kills ten times; `make test` six. */
const KILLS = process.env.SHELFSTREAM_KILL_TESTS === '1' ? 10 : 6;
const PARTITIONS = 3;
const DAY_MS = 86_400_000;

interface StockEvents {
  readonly byTopic: Record<StockInput, { store_id: string; occurred_at: number }[]>;
  /** The simulator's md.stores and md.products records: the processor reads them from their stand-ins. */
  readonly master: ReturnType<PosSimulator['masterData']>;
  /** store_id/sku -> [book at the start, book at the end], straight from the simulator's inventory. */
  readonly books: Map<string, [number, number]>;
}

/** Simulates the run and keeps the stock topics' events, in the order the simulator emits them. */
function simulate(seed: number): StockEvents {
  const sim = new PosSimulator({ seed, stores: STORES, skus: SKUS, window: { kind: 'days', startDay: Math.floor(Date.UTC(2026, 0, 5) / DAY_MS), days: DAYS }, anomalyRate: 1, heartbeats: false });
  const opening = sim.stores.map((s) => Int32Array.from(s.inventory.book));
  const byTopic = Object.fromEntries(STOCK_INPUTS.map((t) => [t, []])) as unknown as StockEvents['byTopic'];
  while (!sim.done) {
    const hour = sim.nextHour();
    for (const t of STOCK_INPUTS) byTopic[t].push(...(hour.events[t] as { store_id: string; occurred_at: number }[]));
  }
  sim.finish();
  const books = new Map<string, [number, number]>();
  sim.stores.forEach((s, i) => sim.chain.products.forEach((p, j) => books.set(`${s.storeId}/${p.product.sku}`, [opening[i]![j]!, s.inventory.book[j]!])));
  return { byTopic, books, master: sim.masterData() };
}

/** The partition a store's records go to: set explicitly, so the clean run can split them the same way. */
function partitionOf(storeId: string): number {
  return (Number(storeId.replace(/\D/g, '')) - 1) % PARTITIONS;
}

/**
 * The rows a clean run gives: every event once, a task per partition as the runtime makes them,
 * handed over in the same event-time order the runtime's aligner gives (everything buffered).
 */
function cleanRun(events: StockEvents): { rows: Map<string, Record<string, unknown>>; alerts: Set<string> } {
  const rows = new Map<string, Record<string, unknown>>();
  const alerts = new Set<string>();
  for (let partition = 0; partition < PARTITIONS; partition++) {
    // The master data the processor reads from the stand-ins (holiday calendars), whole from the start.
    const task = new StockTask(partition, { masterData: staticMasterData({ stores: events.master['md.stores'], products: events.master['md.products'] }) });
    const sink = new MemorySink();
    const aligner = new EventTimeAligner<{ value: { store_id: string; occurred_at: number }; offset: number }>(STOCK_INPUTS);
    for (const topic of STOCK_INPUTS) {
      let offset = 0;
      for (const value of events.byTopic[topic]) if (partitionOf(value.store_id) === partition) aligner.push(topic, { value, offset: offset++ }, value.occurred_at);
    }
    for (let next = aligner.next(() => true); next; next = aligner.next(() => true)) {
      task.process({ topic: next.topic, partition, offset: next.item.offset, key: next.item.value.store_id, timestamp: 0, value: next.item.value }, sink);
    }
    task.punctuate(sink);
    for (const row of sink.rowsOf(STOCKOUT_RISK_TABLE)) rows.set(`${String(row.store_id)}/${String(row.sku)}`, { ...row });
    for (const e of sink.events) alerts.add(alertKey(e.value as Alert));
  }
  return { rows, alerts };
}

/** An alert as compared: its id, state, event time and score. */
function alertKey(a: Pick<Alert, 'alert_id' | 'state' | 'occurred_at' | 'score'>): string {
  return `${a.alert_id}|${a.state}|${Number(a.occurred_at)}|${Number(a.score).toFixed(6)}`;
}

/** Every column, in one form: times as epoch ms, 64-bit integers and floats as numbers. */
function comparable(row: Record<string, unknown>): Record<string, unknown> {
  // ClickHouse answers epoch ms (Int64, quoted in JSON); the in-memory rows hold ISO strings.
  const time = (v: unknown): number | null => (v === null || v === undefined ? null : typeof v === 'number' || /^\d+$/.test(String(v)) ? Number(v) : Date.parse(String(v)));
  const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
  return {
    store_id: row.store_id,
    sku: row.sku,
    version: Number(row.version),
    on_hand: Number(row.on_hand),
    on_hand_known: Boolean(row.on_hand_known),
    last_count_at: time(row.last_count_at),
    sales_rate_per_day: Number(row.sales_rate_per_day),
    hours_to_stockout: num(row.hours_to_stockout),
    next_delivery_expected_at: time(row.next_delivery_expected_at),
    last_receipt_at: time(row.last_receipt_at),
    expected_units_to_delivery: Number(row.expected_units_to_delivery),
    risk: num(row.risk),
    risk_alert_open: Boolean(row.risk_alert_open),
    out_of_stock: Boolean(row.out_of_stock),
    updated_at: time(row.updated_at),
  };
}

describe('stock processor under SIGKILL', () => {
  it('ends with the simulator books and the rows of a clean run', async () => {
    const seed = Date.now() % 1_000_000;
    const events = simulate(seed);
    const total = STOCK_INPUTS.reduce((s, t) => s + events.byTopic[t].length, 0);

    // The alerts go to a stand-in too: alert subscribers read the catalogue's topic.
    const run = await processorRun({
      processor: 'stock',
      topics: [...STOCK_INPUTS, STORES_TOPIC, PRODUCTS_TOPIC, ALERTS_TOPIC],
      partitions: PARTITIONS,
      env: { STREAM_FLUSH_INTERVAL_MS: '100', STREAM_MAX_BUFFERED_ROWS: '400', SHELFSTREAM_LOG_LEVEL: 'info' },
    });
    // Master data first, as ingest has it (a store's record before its sales).
    await run.publish(STORES_TOPIC, events.master['md.stores']);
    await run.publish(PRODUCTS_TOPIC, events.master['md.products'], undefined, (p) => p.sku);
    for (const t of STOCK_INPUTS) await run.publish(t, events.byTopic[t], partitionOf);
    // Committed offsets over the inputs (the alerts stand-in is written, not read).
    const committed = (): Promise<number> => run.committed();

    /** A run of the processor; `restored` counts the tasks it created so far (one per partition with records to read, each restoring its snapshot). */
    const runProcessor = (stopWhenIdle: boolean): CliRun & { restored: () => number } => {
      let restored = 0;
      const cli = run.start({
        ...(stopWhenIdle ? { stopWhenIdleMs: 2_000 } : {}),
        onStderrLine: (line) => {
          if (line.includes('stock state restored from the snapshot')) restored++;
        },
      });
      return { ...cli, restored: () => restored };
    };

    const rng = new Rng(seed + 1);
    let kills = 0;
    const progress: number[] = [];
    for (let attempt = 0; attempt < KILLS; attempt++) {
      const before = await committed();
      const { child, exited, restored } = runProcessor(false);
      // Kill points in turn: while starting (nothing restored yet, joining the group); once the
      // first partition task restored its snapshot (its first batch is being processed); once
      // the group committed past a random share of what was left (between a flush and the next).
      const kind = attempt % 3;
      if (kind === 1 && before < total) {
        await waitFor(() => child.exitCode !== null || restored() >= 1, { what: 'a stock task to restore its snapshot', timeoutMs: 30_000, intervalMs: 10 });
      } else if (kind === 2) {
        const target = Math.min(total, before + Math.max(1, Math.floor((total - before) * rng.between(0.05, 0.4))));
        await waitFor(async () => child.exitCode !== null || (await committed()) >= target, { what: `the processor to commit ${target} of ${total} records`, timeoutMs: 30_000, intervalMs: 20 });
      }
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        kills++;
      }
      await exited;
      // Start the next run only once the broker dropped the dead member (its session timed
      // out): a member joining while the dead one is still listed makes the coordinator wait for
      // it for the whole rebalance timeout (a minute with kafkajs' default), not the session's.
      await run.groupEmpty();
      progress.push(await committed());
    }
    process.stdout.write(`stock: ${total} records, committed after each kill: ${progress.join(', ')}\n`);
    expect(kills).toBe(KILLS);
    // Most kills landed before the end: a fast run may finish between two polls, and since a
    // restarted run gets its partitions back in seconds (tasks on assignment, the 5 s rebalance
    // timeout) two of the fault tier's ten did in one CI run.
    expect(progress.filter((p) => p < total).length).toBeGreaterThanOrEqual(Math.ceil(KILLS * 0.7));
    // The last run goes to the end and stops by itself once caught up on every partition.
    const last = runProcessor(true);
    expect(await last.exited).toBe(0);

    const stored = await run.query<Record<string, unknown>>(
      `SELECT * EXCEPT (last_count_at, next_delivery_expected_at, last_receipt_at, updated_at),
              toUnixTimestamp64Milli(last_count_at) AS last_count_at, toUnixTimestamp64Milli(next_delivery_expected_at) AS next_delivery_expected_at,
              toUnixTimestamp64Milli(last_receipt_at) AS last_receipt_at, toUnixTimestamp64Milli(updated_at) AS updated_at
       FROM ${run.database}.stockout_risk FINAL`,
    );
    const raised = await run.query<Pick<Alert, 'alert_id' | 'state' | 'occurred_at' | 'score'>>(
      `SELECT alert_id, state, toUnixTimestamp64Milli(occurred_at) AS occurred_at, score FROM ${run.database}.alerts FINAL`,
    );
    expect(await committed()).toBe(total);

    // 1. The simulator's books, key by key.
    const onHand = new Map(stored.map((r) => [`${String(r.store_id)}/${String(r.sku)}`, { onHand: Number(r.on_hand), known: Boolean(r.on_hand_known) }]));
    const touched = new Set<string>();
    for (const t of STOCK_INPUTS) {
      for (const v of events.byTopic[t]) {
        // A promotion names its skus: a row for each (its risk counts the promotion's uplift).
        const skus = t === 'pos.sales' || t === 'pos.returns' ? (v as unknown as { lines: { sku: string }[] }).lines.map((l) => l.sku) : t === PROMOTIONS_TOPIC ? (v as unknown as { skus: string[] }).skus : [(v as unknown as { sku: string }).sku];
        for (const sku of skus) touched.add(`${v.store_id}/${sku}`);
      }
    }
    expect([...onHand.keys()].sort()).toEqual([...touched].sort());
    let known = 0;
    for (const [key, row] of onHand) {
      const [opening, end] = events.books.get(key)!;
      if (row.known) known++;
      expect({ key, onHand: row.onHand }).toEqual({ key, onHand: row.known ? end : end - opening });
    }
    expect(known).toBeGreaterThan(0);
    process.stdout.write(`stock: ${known} of ${onHand.size} keys with a known level\n`);

    // 2. A clean in-memory run over the same events.
    const clean = cleanRun(events);
    const byKey = new Map(stored.map((r) => [`${String(r.store_id)}/${String(r.sku)}`, comparable(r)]));
    expect(byKey.size).toBe(clean.rows.size);
    for (const [key, row] of clean.rows) expect(byKey.get(key)).toEqual(comparable(row));
    // 3. The alerts the killed run raised and resolved are the clean run's, no more, no fewer.
    expect(clean.alerts.size).toBeGreaterThan(0);
    // Alert ids name the record that raised them: the stand-in topic here, the catalogue's in the clean run.
    const catalogueId = (id: string): string => STOCK_INPUTS.reduce((x, t) => x.replace(`:${run.topics[t]!}/`, `:${t}/`), id);
    expect(new Set(raised.map((a) => alertKey({ ...a, alert_id: catalogueId(a.alert_id) })))).toEqual(clean.alerts);
  });
});
