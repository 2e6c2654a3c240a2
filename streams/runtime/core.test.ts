/**
 * The runtime's guarantees, through the test driver (no broker, no ClickHouse): flush before
 * commit, retried writes, event-time alignment, late events, replay after a crash at every
 * point, rebalances, timers and deliveries. Expected totals are computed here from the sales
 * piped in, never read from the processor.
 */
import { randomUUID } from 'node:crypto';
import type { SaleCompleted } from '../../schemas/generated/events';
import { ShelfStreamError } from '../../lib/errors';
import { VELOCITY_TABLE, velocityProcessor } from '../velocity/velocity';
import type { InputRecord, PartitionTask, ProcessorDefinition, Row, RowSink, TaskDeps } from './processor';
import { TestDriver, type DurableEffect } from './test-driver';

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
const NOW = T0 + 86_400_000; // the wall clock a day later: no sale is "in the future"
const MINUTE = 60_000;

function sale(at: number, sku: string, quantity: number, store = 'S1'): SaleCompleted {
  const lines = [{ line_number: 1, sku, quantity, unit_price: 100, discount: 0, promotion_id: null }];
  const subtotal = quantity * 100;
  return { event_id: randomUUID(), occurred_at: at, store_id: store, terminal_id: 'T1', transaction_id: 'X', cashier_id: 'C', payment_method: 'CARD', currency: 'EUR', lines, subtotal, discount_total: 0, tax_total: 0, total: subtotal };
}

/** Units per `store/sku/minute`, summed here from what was piped. */
function expectedUnits(sales: readonly SaleCompleted[]): Map<string, number> {
  const units = new Map<string, number>();
  for (const s of sales) {
    const minute = new Date(Math.floor(s.occurred_at / MINUTE) * MINUTE).toISOString();
    for (const l of s.lines) units.set(`${s.store_id}/${l.sku}/${minute}`, (units.get(`${s.store_id}/${l.sku}/${minute}`) ?? 0) + l.quantity);
  }
  return units;
}

function writtenUnits(driver: TestDriver): Map<string, number> {
  const units = new Map<string, number>();
  for (const r of driver.finalRows(VELOCITY_TABLE, ['store_id', 'sku', 'window_start'])) units.set(`${r.store_id}/${r.sku}/${new Date(String(r.window_start)).toISOString()}`, Number(r.units));
  return units;
}

/** Sales over `minutes` minutes, a few a minute, plus one that closes the last minute. */
function salesOver(minutes: number, store = 'S1'): SaleCompleted[] {
  const sales: SaleCompleted[] = [];
  for (let m = 0; m < minutes; m++) for (let i = 0; i < 4; i++) sales.push(sale(T0 + m * MINUTE + i * 10_000, i % 2 === 0 ? 'A' : 'B', 1 + i, store));
  return sales;
}

const velocity = (): ProcessorDefinition => velocityProcessor({ maxOutOfOrderMs: 5_000, allowedLatenessMs: 10_000 });

function commitsOf(effects: readonly DurableEffect[]): { index: number; offset: number; partition: number }[] {
  const out: { index: number; offset: number; partition: number }[] = [];
  effects.forEach((e, index) => {
    if (e.kind === 'commit') for (const c of e.commits) out.push({ index, offset: Number(c.offset), partition: c.partition });
  });
  return out;
}

describe('runtime core, driven without a broker', () => {
  it('commits an offset only after the rows of the records before it are durable', async () => {
    const driver = new TestDriver(velocity(), { startMs: NOW, batchSize: 7 });
    const sales = salesOver(5);
    await driver.pipe('pos.sales', 0, sales.map((value) => ({ key: 'S1', value })));
    driver.failWrites(3);
    await driver.flush();
    const commits = commitsOf(driver.effects);
    expect(commits.length).toBeGreaterThan(0);
    for (const c of commits) {
      // Every sale before the committed offset has its minute in rows written before the commit.
      const before = driver.effects.slice(0, c.index).flatMap((e) => (e.kind === 'rows' ? e.rows : []));
      for (const s of sales.slice(0, c.offset)) {
        const minute = new Date(Math.floor(s.occurred_at / MINUTE) * MINUTE).toISOString();
        expect(before.some((r) => r.sku === s.lines[0]!.sku && new Date(String(r.window_start)).toISOString() === minute)).toBe(true);
      }
    }
    expect(writtenUnits(driver)).toEqual(expectedUnits(sales));
  });

  it("writes the next flush's rows while the previous flush's snapshot is still being saved, and commits in order after both", async () => {
    const driver = new TestDriver(velocity(), { startMs: NOW, flushIntervalMs: 1_000 });
    const sales = salesOver(2);
    const release = driver.holdStateSaves();
    await driver.pipe('pos.sales', 0, sales.slice(0, 4).map((value) => ({ key: 'S1', value })));
    await driver.advanceWallClock(1_000); // flush 1: its rows, then its snapshot (held)
    await driver.pipe('pos.sales', 0, sales.slice(4).map((value) => ({ key: 'S1', value })));
    const second = driver.advanceWallClock(1_000); // flush 2
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    // Flush 2's rows are visible although flush 1's snapshot is not saved; nothing is committed.
    expect(driver.effects.map((e) => e.kind)).toEqual(['rows', 'rows']);
    release();
    await second;
    await driver.flush();
    // Each commit after its own snapshot and the previous flush's: offsets and versions in sequence.
    expect(driver.effects.map((e) => e.kind)).toEqual(['rows', 'rows', 'state', 'commit', 'state', 'commit']);
    const committed = commitsOf(driver.effects).map((c) => c.offset);
    expect(committed).toEqual([...committed].sort((a, b) => a - b));
    expect(writtenUnits(driver)).toEqual(expectedUnits(sales));
  });

  it("saves a later flush's snapshot when an earlier flush's commit fails, so a restart restores every change", async () => {
    // The Kafka outage test's failure: the broker went away while a commit was on its way. The
    // next flush, taken meanwhile, wrote its rows; its snapshot must land too, for a later
    // snapshot covers its records (a restart skips them) and holds only what changed after it.
    const driver = new TestDriver(runningTotals(), { startMs: NOW, flushIntervalMs: 1_000 });
    const sales = salesOver(3);
    const piped = sales.map((value) => ({ key: 'S1', value }));
    const release = driver.holdCommits();
    await driver.pipe('pos.sales', 0, piped.slice(0, 8));
    await driver.advanceWallClock(1_000); // flush 1: rows, snapshot, its commit on its way
    await driver.pipe('pos.sales', 0, piped.slice(8, 10)); // A, then B
    const second = driver.advanceWallClock(1_000); // flush 2, taken while flush 1's commit waits
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    release(new ShelfStreamError('SERVICE_UNAVAILABLE', 'simulated: the broker went away; offsets not committed'));
    await second;
    await driver.pipe('pos.sales', 0, piped.slice(10, 11)); // A again: B is not changed after flush 2
    await driver.advanceWallClock(1_000);
    await driver.advanceWallClock(1_000);
    await restartAndFinish(driver, piped, 11); // restores the latest snapshots, reads from the last commit that landed
    expect(writtenTotals(driver)).toEqual(expectedTotals(sales));
  });

  it('makes the tasks again from what is durable after a write that failed for good, so no change is lost or counted twice', async () => {
    const driver = new TestDriver(runningTotals(), { startMs: NOW, flushIntervalMs: 1_000 });
    const sales = salesOver(3);
    const piped = sales.map((value) => ({ key: 'S1', value }));
    await driver.pipe('pos.sales', 0, piped.slice(0, 4));
    await driver.flush();
    driver.failWrites(1, { canRetry: false });
    await driver.pipe('pos.sales', 0, piped.slice(4, 8));
    await driver.advanceWallClock(1_000); // flush 2: its rows fail for good; nothing after them is saved
    await driver.pipe('pos.sales', 0, piped.slice(8, 9)); // A
    // The next flush reports the failure once, and the tasks start again from flush 1's snapshot and commit.
    await expect(driver.advanceWallClock(1_000)).rejects.toThrow('simulated failure of the insert into sku_totals');
    await driver.flush(); // without starting again, this snapshot would hold A alone, covering B's sales of flush 2
    await restartAndFinish(driver, piped, 9);
    expect(writtenTotals(driver)).toEqual(expectedTotals(sales));
  });

  it("restores a rebalanced task from the snapshot the previous generation's last flush was still saving", async () => {
    const driver = new TestDriver(runningTotals(), { startMs: NOW, flushIntervalMs: 1_000 });
    const sales = salesOver(3);
    const piped = sales.map((value) => ({ key: 'S1', value }));
    const release = driver.holdStateSaves();
    await driver.pipe('pos.sales', 0, piped.slice(0, 4));
    await driver.advanceWallClock(1_000); // flush 1: rows, then its snapshot (held)
    const rebalanced = driver.rebalance(); // the group moves on while the snapshot is on its way
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    release();
    await rebalanced;
    await driver.pipe('pos.sales', 0, piped.slice(4, 8));
    await driver.flush();
    await restartAndFinish(driver, piped, 8);
    expect(writtenTotals(driver)).toEqual(expectedTotals(sales));
  });

  it('writes the last records of a burst when the flush interval passes, without waiting for another batch', async () => {
    const driver = new TestDriver(velocity(), { startMs: NOW, flushIntervalMs: 1_000 });
    const sales = salesOver(1);
    await driver.pipe('pos.sales', 0, sales.map((value) => ({ key: 'S1', value })));
    expect(driver.effects).toEqual([]);
    await driver.advanceWallClock(1_000); // no record arrives: the clock alone flushes
    expect(writtenUnits(driver)).toEqual(expectedUnits(sales));
  });

  it('retries a failed insert, and an insert that landed before its error is dropped by its token', async () => {
    const driver = new TestDriver(velocity(), { startMs: NOW });
    const sales = salesOver(3);
    await driver.pipe('pos.sales', 0, sales.map((value) => ({ key: 'S1', value })));
    driver.failWrites(2, { landed: true });
    await driver.flush();
    const inserts = driver.effects.filter((e): e is Extract<DurableEffect, { kind: 'rows' }> => e.kind === 'rows');
    expect(inserts.length).toBe(3); // landed, landed again (a repeat), and the attempt that answered
    expect(new Set(inserts.map((i) => i.token)).size).toBe(1);
    expect(inserts.map((i) => i.duplicate)).toEqual([false, true, true]);
    expect(driver.effects.findIndex((e) => e.kind === 'commit')).toBeGreaterThan(driver.effects.findIndex((e) => e.kind === 'rows'));
    expect(writtenUnits(driver)).toEqual(expectedUnits(sales));
  });

  it('sends a late sale to the dead-letter topic as LATE_EVENT, not into its closed minute', async () => {
    const driver = new TestDriver(velocity(), { startMs: NOW });
    const sales = salesOver(3);
    const late = sale(T0 + 5_000, 'A', 9); // minute 0 closed once the watermark passed 10:01:10
    await driver.pipe('pos.sales', 0, [...sales, late].map((value) => ({ key: 'S1', value })));
    await driver.flush();
    expect(driver.deadLetters()).toEqual([expect.objectContaining({ code: 'LATE_EVENT', topic: 'pos.sales', partition: 0, offset: sales.length })]);
    expect(writtenUnits(driver)).toEqual(expectedUnits(sales));
    // The dead letter is durable before the commit that passes it.
    const produced = driver.effects.findIndex((e) => e.kind === 'produce');
    const passing = commitsOf(driver.effects).filter((c) => c.offset > sales.length);
    for (const c of passing) expect(c.index).toBeGreaterThan(produced);
  });

  it('gives the same rows after a crash at any point and a restart as a clean run', async () => {
    const sales = salesOver(6);
    const piped = sales.map((value) => ({ key: 'S1', value }));
    // A minute at a time, each followed by a flush: rows and a commit per minute.
    const run = async (driver: TestDriver): Promise<void> => {
      for (let i = 0; i < piped.length; i += 4) {
        await driver.pipe('pos.sales', 0, piped.slice(i, i + 4));
        await driver.flush();
        if (driver.crashed) await driver.restart();
      }
      await driver.flush();
    };
    const clean = new TestDriver(velocity(), { startMs: NOW, batchSize: 3 });
    await run(clean);
    expect(writtenUnits(clean)).toEqual(expectedUnits(sales));
    const points = clean.effects.length;
    expect(points).toBeGreaterThanOrEqual(10);
    for (let point = 0; point <= points; point++) {
      const driver = new TestDriver(velocity(), { startMs: NOW, batchSize: 3 });
      driver.crashAfterEffects(point);
      await run(driver);
      expect({ point, units: writtenUnits(driver) }).toEqual({ point, units: expectedUnits(sales) });
      expect(driver.deadLetters()).toEqual([]); // a replayed closed minute is skipped, not called late
      // Transactions count each sale once, replay or not.
      const transactions = driver.finalRows(VELOCITY_TABLE, ['store_id', 'sku', 'window_start']).reduce((n, r) => n + Number(r.transactions), 0);
      expect(transactions).toBe(sales.length);
    }
  });

  it('commits nothing for partitions revoked mid-batch, and the next owner counts their records once', async () => {
    const driver = new TestDriver(velocity(), { startMs: NOW, flushIntervalMs: 3_600_000, maxBufferedRows: 1_000_000 });
    const s1 = salesOver(4, 'S1');
    const s2 = salesOver(4, 'S2');
    await driver.pipe('pos.sales', 0, s1.slice(0, 6).map((value) => ({ key: 'S1', value })));
    await driver.pipe('pos.sales', 1, s2.slice(0, 6).map((value) => ({ key: 'S2', value })));
    await driver.rebalance([0]); // partition 1 revoked with its records processed but not flushed
    await driver.pipe('pos.sales', 0, s1.slice(6).map((value) => ({ key: 'S1', value })));
    await driver.pipe('pos.sales', 1, s2.slice(6).map((value) => ({ key: 'S2', value })));
    await driver.flush();
    expect(commitsOf(driver.effects).filter((c) => c.partition === 1)).toEqual([]);
    expect(driver.committed('pos.sales', 0)).toBeDefined();
    await driver.rebalance(); // partition 1 assigned again: read from its (absent) commit, the start
    await driver.flush();
    expect(driver.committed('pos.sales', 1)).toBeDefined();
    expect(writtenUnits(driver)).toEqual(expectedUnits([...s1, ...s2]));
    const transactions = driver.finalRows(VELOCITY_TABLE, ['store_id', 'sku', 'window_start']).reduce((n, r) => n + Number(r.transactions), 0);
    expect(transactions).toBe(s1.length + s2.length);
  });
});

/** A task that records what it is handed and when its timers fire: the runtime is under test. */
class RecordingTask implements PartitionTask {
  readonly seen: string[];
  constructor(seen: string[], deps: TaskDeps, onTimer: boolean) {
    this.seen = seen;
    if (onTimer) {
      deps.timers.schedule('event-time', MINUTE, (due, out) => {
        seen.push(`event-time:${new Date(due).toISOString()}`);
        out.emit('timer_rows', { due });
      });
      deps.timers.schedule('wall-clock', 10_000, (due, out) => {
        seen.push(`wall-clock:${due - NOW}`);
        out.emit('timer_rows', { due });
      });
    }
  }
  process(record: InputRecord): void {
    const value = record.value as SaleCompleted;
    this.seen.push(`${record.topic}:${new Date(value.occurred_at).toISOString().slice(11, 19)}`);
  }
  punctuate(): void {}
  earliestNeededOffset(): undefined {
    return undefined;
  }
  checkpoint(): string {
    return '';
  }
}

function recording(seen: string[], options: { inputs: string[]; timers?: boolean; deliver?: (record: InputRecord, out: RowSink) => void }): ProcessorDefinition {
  return {
    name: 'recording',
    inputs: options.inputs,
    contracts: Object.fromEntries(options.inputs.map((t) => [t, 'pos.sales'])),
    copartitioned: options.inputs.length > 1,
    tables: ['timer_rows'],
    createTask: (_init, deps) => {
      const task = new RecordingTask(seen, deps, options.timers ?? false);
      if (options.deliver) {
        const deliver = options.deliver;
        task.process = (record: InputRecord, out?: RowSink): void => deliver(record, out!);
      }
      return task;
    },
  };
}

const at = (second: number): { key: string; value: SaleCompleted } => ({ key: 'S1', value: sale(T0 + second * 1_000, 'A', 1) });

describe('a long batch', () => {
  /** Turns of the event loop while `work` runs: a chain of setImmediate callbacks counts them. */
  async function turnsDuring(work: () => Promise<void>): Promise<number> {
    let turns = 0;
    let counting = true;
    const turn = (): void => {
      if (!counting) return;
      turns++;
      setImmediate(turn);
    };
    setImmediate(turn);
    await work();
    counting = false;
    return turns;
  }

  it('lets the event loop turn while it runs when yieldAfterMs is set, and writes the same rows as in one go', async () => {
    // 20,000 sales in one batch: some 100 ms of decoding, so a 1 ms bound yields dozens of times.
    const sales = Array.from({ length: 20_000 }, (_, i) => sale(T0 + Math.floor(i / 100) * 1_000, `K${i % 40}`, 1 + (i % 3)));
    const run = async (yieldAfterMs: number): Promise<{ turns: number; units: Map<string, number> }> => {
      const driver = new TestDriver(velocity(), { startMs: NOW, batchSize: sales.length, maxBufferedRows: 1_000_000, yieldAfterMs });
      const turns = await turnsDuring(() => driver.pipe('pos.sales', 0, sales.map((value) => ({ key: 'S1', value }))));
      await driver.flush();
      return { turns, units: writtenUnits(driver) };
    };
    const inOneGo = await run(0);
    const yielding = await run(1);
    expect(yielding.turns).toBeGreaterThanOrEqual(inOneGo.turns + 10);
    expect(yielding.units).toEqual(expectedUnits(sales));
    expect(inOneGo.units).toEqual(expectedUnits(sales));
  });
});

describe('co-partitioned tasks', () => {
  it('are handed their inputs in event-time order, whichever input was fetched first, and wait for an input with records not fetched yet', async () => {
    const seen: string[] = [];
    const driver = new TestDriver(recording(seen, { inputs: ['sales.a', 'sales.b'] }), { startMs: NOW, batchSize: 2 });
    driver.holdFetches('sales.b');
    await driver.pipe('sales.b', 0, [at(2), at(3), at(7)]);
    await driver.pipe('sales.a', 0, [at(1), at(4), at(6)]);
    expect(seen).toEqual([]); // sales.b has records not fetched yet, which may be earlier
    await driver.releaseFetches('sales.b');
    expect(seen).toEqual(['sales.a:10:00:01', 'sales.b:10:00:02', 'sales.b:10:00:03', 'sales.a:10:00:04', 'sales.a:10:00:06', 'sales.b:10:00:07']);
  });
});

describe('a backlog an aligner releases at once', () => {
  it('is flushed and committed as it is handed over, not only at its end', async () => {
    // 600 records an input wait while sales.b is not fetched; its fetch releases all 1,200 to the
    // task at once (a restarted task's backlog). Each record emits a row; 50 rows fill the buffer.
    const seen: string[] = [];
    const deliver = (record: InputRecord, out: RowSink): void => {
      seen.push(`${record.topic}:${record.offset}`);
      out.emit('timer_rows', { due: record.offset });
    };
    const emitting = recording(seen, { inputs: ['sales.a', 'sales.b'], deliver });
    const driver = new TestDriver(emitting, { startMs: NOW, batchSize: 600, maxBufferedRows: 50 });
    driver.holdFetches('sales.b');
    const seconds = Array.from({ length: 600 }, (_, i) => i);
    await driver.pipe('sales.b', 0, seconds.map((s) => at(2 * s + 1)));
    await driver.pipe('sales.a', 0, seconds.map((s) => at(2 * s)));
    expect(commitsOf(driver.effects)).toEqual([]);
    await driver.releaseFetches('sales.b');
    await driver.flush();
    // Committed offsets summed over both inputs, commit by commit: each flush commits every partition read.
    const sums: number[] = [];
    for (const e of driver.effects) if (e.kind === 'commit') sums.push(e.commits.reduce((sum, c) => sum + Number(c.offset), 0));
    // Checked every 64 records handed: a full buffer is flushed within 64 records, so about 1,200 / 64 commits.
    expect(sums.length).toBeGreaterThanOrEqual(15);
    expect(sums.filter((sum) => sum < 1_200).length).toBeGreaterThanOrEqual(14);
    expect(sums.at(-1)).toBe(1_200);
    // Each commit after the rows of the records it passes (the rule, checked on the effects' order).
    let rowsDurable = 0;
    for (const e of driver.effects) {
      if (e.kind === 'rows') rowsDurable += e.rows.length;
      if (e.kind === 'commit') expect(rowsDurable).toBeGreaterThanOrEqual(e.commits.reduce((sum, c) => sum + Number(c.offset), 0));
    }
    expect(seen).toHaveLength(1_200);
  });
});

describe('timers', () => {
  it('fire on event time right after the record that passes them, and on the wall clock when it advances', async () => {
    const seen: string[] = [];
    const driver = new TestDriver(recording(seen, { inputs: ['pos.sales'], timers: true }), { startMs: NOW });
    await driver.pipe('pos.sales', 0, [at(0), at(59), at(61), at(200)]);
    // Anchored on the first event time (10:00:00): due 10:01, 10:02, 10:03 (one call each).
    expect(seen).toEqual([
      'pos.sales:10:00:00',
      'pos.sales:10:00:59',
      'pos.sales:10:01:01',
      'event-time:2026-11-23T10:01:00.000Z',
      'pos.sales:10:03:20',
      'event-time:2026-11-23T10:02:00.000Z',
      'event-time:2026-11-23T10:03:00.000Z',
    ]);
    seen.length = 0;
    await driver.advanceWallClock(9_999);
    expect(seen).toEqual([]);
    await driver.advanceWallClock(1);
    expect(seen).toEqual(['wall-clock:10000']);
    await driver.advanceWallClock(35_000); // missed three intervals while stalled: fires once
    expect(seen).toEqual(['wall-clock:10000', 'wall-clock:20000']);
    await driver.advanceWallClock(10_000);
    expect(seen).toEqual(['wall-clock:10000', 'wall-clock:20000', 'wall-clock:50000']);
    await driver.flush();
    // The wall-clock rows came in flushes of their own, which read no record: each is written
    // (their inserts carry tokens of their own, not one token of "no offsets" that drops the second).
    expect(driver.rows('timer_rows').map((r: Row) => r.due)).toEqual([T0 + MINUTE, T0 + 2 * MINUTE, T0 + 3 * MINUTE, NOW + 10_000, NOW + 20_000, NOW + 50_000]);
  });
});

describe('deliveries (outputs that are not ClickHouse)', () => {
  it('are retried while they fail with a retriable error, and their records committed only once delivered', async () => {
    const delivered: { offset: number; commitsBefore: number }[] = [];
    let failures = 2;
    const holder: { driver?: TestDriver } = {};
    const definition = recording([], {
      inputs: ['pos.sales'],
      deliver: (record, out) =>
        out.deliver('webhook', async () => {
          if (failures-- > 0) throw new ShelfStreamError('SERVICE_UNAVAILABLE', 'receiver answered 503');
          delivered.push({ offset: record.offset, commitsBefore: holder.driver!.effects.filter((e) => e.kind === 'commit').length });
        }),
    });
    const driver = (holder.driver = new TestDriver(definition, { startMs: NOW }));
    await driver.pipe('pos.sales', 0, [at(1), at(2)]);
    await driver.flush();
    expect(delivered).toEqual([
      { offset: 0, commitsBefore: 0 },
      { offset: 1, commitsBefore: 0 },
    ]);
    expect(driver.committed('pos.sales', 0)?.offset).toBe(2);
  });
});

/**
 * A processor whose task counts the sales it was handed in a state store and retries a
 * "delivery" on the wall clock: what a restarted alerts service must do for a partition that
 * brings nothing new.
 */
function counting(log: string[]): ProcessorDefinition {
  return {
    name: 'counting',
    inputs: ['pos.sales'],
    tables: [],
    createTask: async (init, deps) => {
      const counts = await deps.stores.open<number>('sales');
      log.push(`created:${init.partition}:${counts.get('n') ?? 0}`);
      deps.timers.schedule('wall-clock', 10_000, () => log.push(`retry:${init.partition}:${counts.get('n') ?? 0}`));
      return {
        process: (record: InputRecord) => {
          if (!deps.stores.applied(record)) counts.put('n', (counts.get('n') ?? 0) + 1);
        },
        punctuate: () => undefined,
        earliestNeededOffset: () => undefined,
        checkpoint: () => '',
        release: () => log.push(`released:${init.partition}`),
      };
    },
  };
}

describe('tasks on assignment', () => {
  it('are created and restored when partitions are assigned, records or not, and run their wall-clock timers', async () => {
    const log: string[] = [];
    const driver = new TestDriver(counting(log), { startMs: NOW, partitions: 2 });
    await driver.pipe('pos.sales', 0, [at(1), at(2), at(3)]);
    // Both partitions had a task from the join, partition 1 before any record.
    expect(log).toEqual(['created:0:0', 'created:1:0']);
    await driver.flush();
    driver.crash();
    await driver.restart();
    // The restarted process restores partition 0's count with no record to read.
    expect(driver.tasks.sort()).toEqual(['pos.sales:0', 'pos.sales:1']);
    expect(log.slice(2)).toEqual(['created:0:3', 'created:1:0']);
    log.length = 0;
    await driver.advanceWallClock(10_000);
    expect(log.sort()).toEqual(['retry:0:3', 'retry:1:0']);
  });

  it('releases the tasks of a rebalance and creates those of the new assignment before their records', async () => {
    const log: string[] = [];
    const driver = new TestDriver(counting(log), { startMs: NOW, partitions: 3 });
    await driver.pipe('pos.sales', 2, [at(1), at(2)]);
    await driver.flush();
    log.length = 0;
    await driver.rebalance([1, 2]);
    expect(log).toEqual(['released:0', 'released:1', 'released:2', 'created:1:0', 'created:2:2']);
    expect(driver.tasks.sort()).toEqual(['pos.sales:1', 'pos.sales:2']);
    log.length = 0;
    await driver.advanceWallClock(10_000);
    expect(log.sort()).toEqual(['retry:1:0', 'retry:2:2']); // partition 0 is another member's now
    // The records after the rebalance are counted once on top of the restored count.
    await driver.pipe('pos.sales', 2, [at(3)]);
    await driver.flush();
    log.length = 0;
    await driver.rebalance([2]);
    expect(log).toEqual(['released:1', 'released:2', 'created:2:3']);
  });
});

const TOTALS_TABLE = 'sku_totals';

/** Units per sku, summed here from what was piped. */
function expectedTotals(sales: readonly SaleCompleted[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const s of sales) for (const l of s.lines) totals.set(l.sku, (totals.get(l.sku) ?? 0) + l.quantity);
  return totals;
}

/** The process dies and a new one takes over, then the rest of the sales from `from` is piped and flushed. */
async function restartAndFinish(driver: TestDriver, piped: readonly { key: string; value: SaleCompleted }[], from: number): Promise<void> {
  driver.crash();
  await driver.restart();
  await driver.pipe('pos.sales', 0, piped.slice(from));
  await driver.flush();
}

/** Each sku's last running total, as ReplacingMergeTree keeps it. */
function writtenTotals(driver: TestDriver): Map<string, number> {
  return new Map(driver.finalRows(TOTALS_TABLE, ['sku']).map((r) => [String(r.sku), Number(r.units)]));
}

/** Units sold per sku so far, in a state store, written as a row at every sale: a task whose state only its snapshots keep. */
function runningTotals(): ProcessorDefinition {
  return {
    name: 'totals',
    inputs: ['pos.sales'],
    tables: [TOTALS_TABLE],
    createTask: async (_init, deps) => {
      const units = await deps.stores.open<number>('units');
      return {
        process: (record: InputRecord, out: RowSink) => {
          if (deps.stores.applied(record)) return;
          for (const line of (record.value as SaleCompleted).lines) {
            const total = (units.get(line.sku) ?? 0) + line.quantity;
            units.put(line.sku, total);
            out.emit(TOTALS_TABLE, { sku: line.sku, units: total, version: record.offset });
          }
        },
        punctuate: () => undefined,
        earliestNeededOffset: () => undefined,
        checkpoint: () => '',
      };
    },
  };
}
