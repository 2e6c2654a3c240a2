import { randomUUID } from 'node:crypto';
import type { SaleCompleted } from '../../schemas/generated/events';
import type { InputRecord, Row } from '../runtime/processor';
import { MemorySink } from '../runtime/memory-sink';
import { Type } from 'avsc';
import { loadCatalog } from '../../schemas/catalog';
import { projectedType } from '../../schemas/projection';
import { VELOCITY_READS, VELOCITY_TABLE, VelocityTask } from './velocity';

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);

function sale(at: number, lines: [sku: string, quantity: number, unitPrice: number, discount: number][], store = 'S1'): SaleCompleted {
  const ls = lines.map(([sku, quantity, unit_price, discount], i) => ({ line_number: i + 1, sku, quantity, unit_price, discount, promotion_id: null }));
  const subtotal = ls.reduce((s, l) => s + l.quantity * l.unit_price, 0);
  const discount_total = ls.reduce((s, l) => s + l.discount, 0);
  return { event_id: randomUUID(), occurred_at: at, store_id: store, terminal_id: 'T1', transaction_id: 'X', cashier_id: 'C', payment_method: 'CARD', currency: 'EUR', lines: ls, subtotal, discount_total, tax_total: 0, total: subtotal - discount_total };
}

class Collector extends MemorySink {
  get velocityRows(): Row[] {
    return this.rowsOf(VELOCITY_TABLE);
  }
  finals(): Row[] {
    return this.velocityRows.filter((r) => r.is_final);
  }
}

function record(offset: number, value: SaleCompleted): InputRecord {
  return { topic: 'pos.sales', partition: 0, offset, key: value.store_id, timestamp: value.occurred_at, value };
}

const options = { maxOutOfOrderMs: 5_000, allowedLatenessMs: 10_000 };

describe('VelocityTask', () => {
  it('sums units and net revenue per store x sku x minute, hand-computed', () => {
    const task = new VelocityTask({ topic: 'pos.sales', partition: 0, checkpoint: undefined }, options);
    const out = new Collector();
    // minute 10:00 — A: 2 x 199 - 50 and 1 x 199 on two sales; B: 3 x 500
    task.process(record(0, sale(T0 + 1_000, [['A', 2, 199, 50], ['B', 3, 500, 0]])), out);
    task.process(record(1, sale(T0 + 30_000, [['A', 1, 199, 0]])), out);
    // minute 10:01, and an event far enough ahead to close 10:00 (end 10:01 + 10 s lateness + 5 s skew)
    task.process(record(2, sale(T0 + 61_000, [['A', 1, 199, 0]])), out);
    expect(out.finals()).toEqual([]);
    task.process(record(3, sale(T0 + 60_000 + 16_000, [['C', 1, 100, 0]])), out);
    const finals = out.finals().map(({ store_id, sku, units, revenue, gross_revenue, transactions, window_start }) => ({ store_id, sku, units, revenue, gross_revenue, transactions, window_start }));
    expect(finals).toEqual([
      { store_id: 'S1', sku: 'A', units: 3, revenue: 2 * 199 - 50 + 199, gross_revenue: 3 * 199, transactions: 2, window_start: '2026-11-23T10:00:00.000Z' },
      { store_id: 'S1', sku: 'B', units: 3, revenue: 1_500, gross_revenue: 1_500, transactions: 1, window_start: '2026-11-23T10:00:00.000Z' },
    ]);
    expect(task.earliestNeededOffset()).toBe(2); // the open 10:01 windows began at offset 2
  });

  it('counts a sku once per sale even on two lines', () => {
    const task = new VelocityTask({ topic: 'pos.sales', partition: 0, checkpoint: undefined }, options);
    const out = new Collector();
    task.process(record(0, sale(T0, [['A', 1, 100, 0], ['A', 2, 100, 0]])), out);
    task.punctuate(out);
    expect(out.velocityRows).toEqual([expect.objectContaining({ sku: 'A', units: 3, transactions: 1, lines: 2, is_final: false, version: 0 })]);
    // Nothing changed: the next punctuation writes nothing.
    task.punctuate(out);
    expect(out.velocityRows).toHaveLength(1);
  });

  it('sidelines a record whose minute has closed', () => {
    const task = new VelocityTask({ topic: 'pos.sales', partition: 0, checkpoint: undefined }, options);
    const out = new Collector();
    task.process(record(0, sale(T0 + 120_000, [['A', 1, 100, 0]])), out);
    // 10:00 closed: watermark 10:01:55 >= 10:01:00 + 10 s
    expect(task.process(record(1, sale(T0 + 5_000, [['A', 1, 100, 0]])), out)).toMatchObject({ code: 'LATE_EVENT' });
    // 10:01 is still within lateness: counted
    expect(task.process(record(2, sale(T0 + 60_000 + 50_000, [['A', 1, 100, 0]])), out)).toBeUndefined();
  });

  it('after a restart from its checkpoint, rebuilds open windows and never re-emits closed ones', () => {
    const sales = [
      sale(T0 + 1_000, [['A', 1, 100, 0]]),
      sale(T0 + 62_000, [['A', 2, 100, 0]]), // opens 10:01
      sale(T0 + 59_000, [['A', 4, 100, 0]]), // out of order, still 10:00
      sale(T0 + 90_000, [['A', 8, 100, 0]]), // closes 10:00 (watermark 10:01:25 >= 10:01:10)
      sale(T0 + 100_000, [['A', 16, 100, 0]]),
      sale(T0 + 200_000, [['A', 32, 100, 0]]), // closes 10:01
    ];
    const clean = new VelocityTask({ topic: 'pos.sales', partition: 0, checkpoint: undefined }, options);
    const cleanOut = new Collector();
    sales.forEach((s, i) => clean.process(record(i, s), cleanOut));

    // Crash after offset 4 was processed and flushed: commit = earliest needed, with checkpoint.
    const first = new VelocityTask({ topic: 'pos.sales', partition: 0, checkpoint: undefined }, options);
    const firstOut = new Collector();
    sales.slice(0, 5).forEach((s, i) => first.process(record(i, s), firstOut));
    const committed = first.earliestNeededOffset()!;
    expect(committed).toBe(1);
    // The runtime's state snapshot, flushed with offset 4, covers offsets 0-4.
    const restarted = new VelocityTask({ topic: 'pos.sales', partition: 0, checkpoint: first.checkpoint() }, options, { applied: (r) => r.offset < 5 });
    const againOut = new Collector();
    for (let i = committed; i < sales.length; i++) expect(restarted.process(record(i, sales[i]!), againOut)).toBeUndefined();

    const finalsOf = (c: Collector) => c.finals().map((r) => [r.window_start, r.units]);
    // 10:00 (1 + 4) was closed before the crash and is not written again; 10:01 (2 + 8 + 16) is complete.
    expect(finalsOf(firstOut)).toEqual([['2026-11-23T10:00:00.000Z', 5]]);
    expect(finalsOf(againOut)).toEqual([['2026-11-23T10:01:00.000Z', 26]]);
    expect([...finalsOf(firstOut), ...finalsOf(againOut)]).toEqual(finalsOf(cleanOut));
  });

  it('gives the same rows from sales decoded as its projection (VELOCITY_READS) as from whole sales', () => {
    const writer = Type.forSchema(loadCatalog().find((t) => t.name === 'pos.sales')!.schema! as Parameters<typeof Type.forSchema>[0]);
    const reader = projectedType('pos.sales', VELOCITY_READS);
    const resolver = reader.createResolver(writer);
    const sales = Array.from({ length: 40 }, (_, i) => sale(T0 + i * 7_000, [['A', 1 + (i % 3), 199, i % 2], ['B', 2, 500, 100], ['A', 1, 199, 0]], `S${i % 3}`));
    const run = (decode: (s: SaleCompleted) => SaleCompleted): Row[] => {
      const task = new VelocityTask({ topic: 'pos.sales', partition: 0, checkpoint: undefined }, options);
      const out = new Collector();
      sales.forEach((s, i) => task.process(record(i, decode(s)), out));
      task.punctuate(out);
      return out.velocityRows;
    };
    const whole = run((s) => s);
    expect(whole.length).toBeGreaterThan(10);
    expect(run((s) => reader.fromBuffer(writer.toBuffer(s), resolver) as SaleCompleted)).toEqual(whole);
  });
});
