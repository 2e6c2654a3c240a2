import type { Alert } from '../../schemas/generated/events';
import { PosSimulator } from '../../simulators/pos/simulator';
import { MemorySink } from '../runtime/memory-sink';
import type { InputRecord } from '../runtime/processor';
import { DAY_MS, HOUR_MS } from './risk';
import { STOCKOUT_RISK_TABLE, STOCK_INPUTS, STOCK_STATE_TABLE, StockTask, type StateRow, type StockInput } from './stock';

const monday = Date.UTC(2026, 0, 5);

/** A little stream builder: offsets per topic, as Kafka would give them. */
class Stream {
  readonly records: InputRecord[] = [];
  private readonly next = new Map<string, number>();
  add(topic: StockInput, value: Record<string, unknown>): void {
    const offset = this.next.get(topic) ?? 0;
    this.next.set(topic, offset + 1);
    this.records.push({ topic, partition: 0, offset, key: 'S1', timestamp: 0, value: { store_id: 'S1', event_id: `e-${topic}-${offset}`, ...value } });
  }
  sale(at: number, units: number): void {
    this.add('pos.sales', { occurred_at: at, lines: [{ line_number: 1, sku: 'A', quantity: units, unit_price: 100, discount: 0, promotion_id: null }] });
  }
  receipt(at: number, units: number, po: string): void {
    this.add('inventory.movements', { occurred_at: at, sku: 'A', movement_type: 'RECEIPT', quantity_delta: units, reason: 'supplier delivery', reference_id: po, unit_cost: 50 });
  }
  count(at: number, onHand: number): void {
    this.add('inventory.counts', { occurred_at: at, sku: 'A', on_hand: onHand, counted_by: 'E1' });
  }
  order(at: number, po: string, expectedAt: number, leadDays: number): void {
    this.add('inventory.orders', { occurred_at: at, sku: 'A', order_id: po, quantity: 24, expected_delivery_at: expectedAt, lead_time_days: leadDays });
  }
}

function alertsOf(sink: MemorySink): Alert[] {
  return sink.events.map((e) => e.value as Alert);
}

describe('StockTask alerts', () => {
  // Deliveries every 5 days at 08:00 bring 50 units; 10 units sell a day at 12:00 and 16:00.
  // One cycle is short (the third delivery brings 5), so the books run dry before the next.
  function story(): Stream {
    const s = new Stream();
    s.count(monday + 7 * HOUR_MS, 20);
    for (let d = 0; d < 20; d++) {
      const day = monday + d * DAY_MS;
      if (d % 5 === 0) s.receipt(day + 8 * HOUR_MS, d === 10 ? 5 : 50, `PO-${d}`);
      s.sale(day + 12 * HOUR_MS, 5);
      s.sale(day + 16 * HOUR_MS, 5);
    }
    return s;
  }

  it('warns before the books run dry, raises one alert per situation and resolves it when a delivery comes', () => {
    const task = new StockTask(0);
    const sink = new MemorySink();
    for (const r of story().records) task.process(r, sink);
    const alerts = alertsOf(sink);
    const risk = alerts.filter((a) => a.alert_type === 'STOCKOUT_RISK');
    const out = alerts.filter((a) => a.alert_type === 'OUT_OF_STOCK');
    // Books by hand: 20 + 50 at day 0, -10 a day: 20 after day 4 and again after day 9 (day 5
    // brought 50); day 10 brings only 5: 25, 15, 5, and 0 at day 12 12:00 (sale offset 24). Day
    // 15 brings 50 back (25 after the sales of days 12-14), which runs dry at day 17 12:00 (offset 34).
    expect(out.map((a) => [a.state, a.occurred_at])).toEqual([
      ['RAISED', monday + 12 * DAY_MS + 12 * HOUR_MS],
      ['RESOLVED', monday + 15 * DAY_MS + 8 * HOUR_MS],
      ['RAISED', monday + 17 * DAY_MS + 12 * HOUR_MS],
    ]);
    expect(out[0]!.alert_id).toBe('stock:OUT_OF_STOCK:S1:A:pos.sales/0/24');
    // The short delivery makes the stock-out likely before it happens: the risk alert is
    // raised before day 12 12:00, and resolved by the day 15 delivery at the latest.
    const firstRisk = risk.find((a) => a.state === 'RAISED' && a.occurred_at >= monday + 10 * DAY_MS)!;
    expect(firstRisk.occurred_at).toBeLessThan(monday + 12 * DAY_MS + 12 * HOUR_MS);
    const resolved = risk.find((a) => a.alert_id === firstRisk.alert_id && a.state === 'RESOLVED')!;
    expect(resolved.occurred_at).toBeLessThanOrEqual(monday + 15 * DAY_MS + 8 * HOUR_MS);
    const open = new Set<string>();
    for (const a of risk) {
      if (a.state === 'RAISED') {
        expect(open.size).toBe(0); // never two open for one sku
        open.add(a.alert_id);
      } else {
        expect(open.has(a.alert_id)).toBe(true);
        open.delete(a.alert_id);
      }
    }
  });

  it('raises OUT_OF_STOCK once when the books reach zero and resolves it on the receipt', () => {
    const s = new Stream();
    s.count(monday + 7 * HOUR_MS, 12);
    for (let d = 0; d < 4; d++) {
      s.sale(monday + d * DAY_MS + 12 * HOUR_MS, 3); // 12 units gone after day 3
      s.sale(monday + d * DAY_MS + 13 * HOUR_MS, 0);
    }
    s.receipt(monday + 5 * DAY_MS + 8 * HOUR_MS, 30, 'PO-1');
    const task = new StockTask(0);
    const sink = new MemorySink();
    for (const r of s.records) task.process(r, sink);
    const out = alertsOf(sink).filter((a) => a.alert_type === 'OUT_OF_STOCK');
    expect(out.map((a) => a.state)).toEqual(['RAISED', 'RESOLVED']);
    expect(out[0]!.alert_id).toBe(out[1]!.alert_id);
    expect(out[0]!.occurred_at).toBe(monday + 3 * DAY_MS + 12 * HOUR_MS);
  });

  it('does not raise a stock-out risk while the books are unknown (no count yet)', () => {
    const s = new Stream();
    for (let d = 0; d < 10; d++) s.sale(monday + d * DAY_MS + 12 * HOUR_MS, 5);
    const task = new StockTask(0);
    const sink = new MemorySink();
    for (const r of s.records) task.process(r, sink);
    expect(sink.events).toHaveLength(0);
  });
});

describe('StockTask deliveries from replenishment orders', () => {
  const at = (d: number, h: number, m = 0): number => monday + d * DAY_MS + h * HOUR_MS + m * 60_000;

  it('expects the open order, an overdue one the next morning, and with none a reorder at the next review', () => {
    const s = new Stream();
    s.count(at(0, 7), 50);
    s.sale(at(0, 12), 2);
    s.order(at(0, 20), 'PO-1', at(2, 6, 15), 2); // Monday's review: due Wednesday morning
    s.sale(at(1, 12), 2);
    s.sale(at(2, 10), 2); // Wednesday, PO-1 not received yet
    s.receipt(at(2, 10, 30), 24, 'PO-1');
    s.sale(at(2, 12), 2);
    const task = new StockTask(0);
    const sink = new MemorySink();
    const expectedAfter = (offset: number): string => {
      const rows = sink.rowsOf(STOCKOUT_RISK_TABLE);
      return String(rows[rows.length - 1]!.next_delivery_expected_at) + ` after record ${offset}`;
    };
    const seen: string[] = [];
    s.records.forEach((r, i) => {
      task.process(r, sink);
      task.punctuate(sink);
      if (i >= 3) seen.push(expectedAfter(i));
    });
    const iso = (ms: number): string => new Date(ms).toISOString();
    expect(seen).toEqual([
      // Tuesday noon: PO-1 (Wednesday 06:15) comes before a reorder at Tuesday's review (Thursday).
      `${iso(at(2, 6, 15))} after record 3`,
      // Wednesday 10:00, PO-1 overdue: the next receiving slot, Thursday 06:15.
      `${iso(at(3, 6, 15))} after record 4`,
      // Received; then no open order: Wednesday's review at 20:00 plus 2 days, Friday 06:15.
      `${iso(at(4, 6, 15))} after record 5`,
      `${iso(at(4, 6, 15))} after record 6`,
    ]);
  });
});

describe('StockTask recovery (snapshot plus offsets, then replay)', () => {
  /** Simulated events of a small chain, in a per-topic-batch order like a consumer's. */
  function simulatedRecords(days: number): InputRecord[] {
    const sim = new PosSimulator({ seed: 11, stores: 2, skus: 30, window: { kind: 'days', startDay: Math.floor(monday / DAY_MS), days }, anomalyRate: 1, heartbeats: false });
    const next = new Map<string, number>();
    const records: InputRecord[] = [];
    while (!sim.done) {
      const hour = sim.nextHour();
      for (const topic of STOCK_INPUTS) {
        for (const value of hour.events[topic]) {
          const offset = next.get(topic) ?? 0;
          next.set(topic, offset + 1);
          records.push({ topic, partition: 0, offset, key: (value as { store_id: string }).store_id, timestamp: 0, value });
        }
      }
    }
    return records;
  }

  /** The latest row per key of a table, by version (what ReplacingMergeTree keeps). */
  function latest(rows: readonly Record<string, unknown>[]): Map<string, Record<string, unknown>> {
    const out = new Map<string, Record<string, unknown>>();
    for (const r of rows) {
      const k = `${String(r.store_id)}/${String(r.sku)}`;
      const prev = out.get(k);
      if (!prev || Number(r.version) >= Number(prev.version)) out.set(k, r);
    }
    return out;
  }

  it('ends on the same rows after crashes that replay from older offsets', () => {
    const records = simulatedRecords(12);
    const clean = new StockTask(0);
    const cleanSink = new MemorySink();
    for (const r of records) clean.process(r, cleanSink);
    clean.punctuate(cleanSink);

    // Flush every 500 records; crash after flushes 3, 7 and 11 and restart from the snapshot rows
    // with the offsets committed one flush earlier (the snapshot is newer than the commit).
    const sink = new MemorySink();
    const state: StateRow[] = [];
    let task = new StockTask(0);
    let committed = 0;
    let i = 0;
    let flushes = 0;
    const crashes = new Set([3, 7, 11]);
    while (i < records.length) {
      task.process(records[i]!, sink);
      i++;
      if (i % 500 === 0 || i === records.length) {
        task.punctuate(sink);
        for (const r of sink.rowsOf(STOCK_STATE_TABLE)) state.push({ store_id: String(r.store_id), sku: String(r.sku), state: String(r.state) });
        sink.rows.splice(0, sink.rows.length, ...sink.rows.filter((r) => r.table !== STOCK_STATE_TABLE));
        flushes++;
        const previousCommit = committed;
        committed = i;
        if (crashes.has(flushes) && i < records.length) {
          // Restore the newest snapshot per key and read again from the previous commit.
          const newest = new Map<string, StateRow>();
          for (const r of state) newest.set(`${r.store_id}/${r.sku}`, r);
          task = new StockTask(0, {}, [...newest.values()]);
          i = previousCommit;
          committed = previousCommit;
        }
      }
    }
    const a = latest(cleanSink.rowsOf(STOCKOUT_RISK_TABLE) as Record<string, unknown>[]);
    const b = latest(sink.rowsOf(STOCKOUT_RISK_TABLE) as Record<string, unknown>[]);
    expect(b.size).toBe(a.size);
    for (const [k, row] of a) expect(b.get(k)).toEqual(row);
    const byKey = (x: { store_id: string; sku: string }, y: { store_id: string; sku: string }): number => `${x.store_id}/${x.sku}`.localeCompare(`${y.store_id}/${y.sku}`);
    expect(task.books().sort(byKey)).toEqual(clean.books().sort(byKey));
    // Alerts: the replayed run raises exactly the clean run's alerts (same ids), some of them twice.
    const ids = (s: MemorySink): Set<string> => new Set(alertsOf(s).map((x) => `${x.alert_id}/${x.state}`));
    expect(ids(sink)).toEqual(ids(cleanSink));
  });
});
