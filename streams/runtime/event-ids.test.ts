/**
 * Each event counted once, through the test driver: a sale repeated with the same event_id (a
 * terminal retrying a request that ingest answered 503 for) is counted once by velocity, also
 * when the repeat comes after a crash and a restart, and again once it is older than the horizon.
 */
import { randomUUID } from 'node:crypto';
import type { SaleCompleted, StockCounted } from '../../schemas/generated/events';
import { STOCKOUT_RISK_TABLE, stockProcessor } from '../stock/stock';
import { VELOCITY_TABLE, velocityProcessor } from '../velocity/velocity';
import { MemoryStateBackend } from './state-store';
import { TestDriver } from './test-driver';

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
const NOW = T0 + 86_400_000;
const MINUTE = 60_000;

function sale(at: number, quantity: number, eventId = randomUUID()): SaleCompleted {
  const lines = [{ line_number: 1, sku: 'A', quantity, unit_price: 100, discount: 0, promotion_id: null }];
  return { event_id: eventId, occurred_at: at, store_id: 'S1', terminal_id: 'T1', transaction_id: 'X', cashier_id: 'C', payment_method: 'CARD', currency: 'EUR', lines, subtotal: quantity * 100, discount_total: 0, tax_total: 0, total: quantity * 100 };
}

const piped = (sales: readonly SaleCompleted[]): { key: string; value: SaleCompleted }[] => sales.map((value) => ({ key: 'S1', value }));

/** Units per minute start (ISO), from the rows ReplacingMergeTree keeps. */
function unitsByMinute(driver: TestDriver): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of driver.finalRows(VELOCITY_TABLE, ['store_id', 'sku', 'window_start'])) out[new Date(String(r.window_start)).toISOString()] = Number(r.units);
  return out;
}

const processor = (): ReturnType<typeof velocityProcessor> => velocityProcessor({ maxOutOfOrderMs: 5_000, allowedLatenessMs: 30_000, eventIdHorizonMs: 10 * MINUTE });

describe('a repeated event_id', () => {
  it('is counted once, also when the repeat arrives after a crash and a restart', async () => {
    const driver = new TestDriver(processor(), { startMs: NOW });
    const retried = sale(T0 + 10_000, 3);
    await driver.pipe('pos.sales', 0, piped([sale(T0 + 1_000, 1), retried, { ...retried }, sale(T0 + 20_000, 2)]));
    await driver.flush();
    await driver.pipe('pos.sales', 0, piped([sale(T0 + 30_000, 4)]));
    driver.crash(); // 10:00:30 was processed but never flushed
    await driver.restart();
    await driver.pipe('pos.sales', 0, piped([{ ...retried }, sale(T0 + 40_000, 5)]));
    await driver.pipe('pos.sales', 0, piped([sale(T0 + 3 * MINUTE, 1)])); // closes 10:00
    await driver.flush();
    // Hand-computed: 1 + 3 + 2 + 4 + 5 in 10:00, the retried 3 once.
    expect(unitsByMinute(driver)['2026-11-23T10:00:00.000Z']).toBe(15);
    expect(driver.deadLetters()).toEqual([]);
  });

  it('is counted again once it is older than the horizon (the stated limit of the guard)', async () => {
    const driver = new TestDriver(processor(), { startMs: NOW });
    const old = sale(T0, 3);
    await driver.pipe('pos.sales', 0, piped([old]));
    // Stream time moves 15 minutes on, one sale a minute, with a flush each (a segment each).
    for (let m = 1; m <= 15; m++) {
      await driver.pipe('pos.sales', 0, piped([sale(T0 + m * MINUTE, 1)]));
      await driver.flush();
    }
    const repeat = { ...old, occurred_at: T0 + 15 * MINUTE + 1_000 }; // same id, now within lateness
    await driver.pipe('pos.sales', 0, piped([repeat, sale(T0 + 20 * MINUTE, 1)]));
    await driver.flush();
    expect(unitsByMinute(driver)['2026-11-23T10:15:00.000Z']).toBe(1 + 3);
    // The guard's segments older than the horizon (stream time 10:20 minus 10 minutes) were
    // deleted from the store: a restart restores only the others.
    const kept = (await driver.state.loadStore('velocity', 0, 'event-ids')).entries.map(([, v]) => (v as { latestAt: number }).latestAt);
    expect(kept.length).toBeGreaterThan(0);
    expect(Math.min(...kept)).toBeGreaterThanOrEqual(T0 + 10 * MINUTE);
  });
});

describe('a horizon of 0', () => {
  it('turns the guard off: a repeat is counted again, and no state is saved', async () => {
    const driver = new TestDriver(velocityProcessor({ maxOutOfOrderMs: 5_000, allowedLatenessMs: 30_000, eventIdHorizonMs: 0 }), { startMs: NOW });
    const retried = sale(T0 + 10_000, 3);
    await driver.pipe('pos.sales', 0, piped([retried, { ...retried }, sale(T0 + 3 * MINUTE, 1)]));
    await driver.flush();
    expect(unitsByMinute(driver)['2026-11-23T10:00:00.000Z']).toBe(6);
    expect(driver.state.snapshots).toEqual([]);
  });
});

describe('event ids of another consumer group', () => {
  it('are not repeats: a rebuild under a new group, beside the live run, counts every event', async () => {
    const clickhouse = new MemoryStateBackend();
    const sales = [sale(T0 + 1_000, 2), sale(T0 + 2_000, 3), sale(T0 + 3 * MINUTE, 1)];
    const live = new TestDriver(processor(), { startMs: NOW, state: clickhouse, group: 'shelfstream.velocity' });
    await live.pipe('pos.sales', 0, piped(sales));
    await live.flush();
    // The rebuild reads the same events from a temporary topic, in its own group.
    const rebuild = new TestDriver(velocityProcessor({ maxOutOfOrderMs: 5_000, allowedLatenessMs: 30_000, salesTopic: 'rebuild.sales' }), { startMs: NOW, state: clickhouse, group: 'shelfstream.rebuild.1.velocity' });
    await rebuild.pipe('rebuild.sales', 0, piped(sales));
    await rebuild.flush();
    expect(unitsByMinute(rebuild)['2026-11-23T10:00:00.000Z']).toBe(5);
  });
});

describe('a repeated event_id in the stock books', () => {
  it('takes the units off the shelf once', async () => {
    const driver = new TestDriver(stockProcessor({ eventIdHorizonMs: 10 * MINUTE }), { startMs: NOW, query: async () => [] });
    const count: StockCounted = { event_id: randomUUID(), occurred_at: T0, store_id: 'S1', sku: 'A', on_hand: 10, counted_by: 'E1' };
    const retried = sale(T0 + MINUTE, 2);
    await driver.pipe('inventory.counts', 0, [{ key: 'S1', value: count }]);
    await driver.pipe('pos.sales', 0, piped([retried, { ...retried }, sale(T0 + 2 * MINUTE, 1)]));
    await driver.flush();
    const rows = driver.finalRows(STOCKOUT_RISK_TABLE, ['store_id', 'sku'], 'version');
    // Hand-computed: 10 counted, 2 sold (once), 1 sold.
    expect(rows.map((r) => [r.store_id, r.sku, Number(r.on_hand)])).toEqual([['S1', 'A', 7]]);
  });
});
