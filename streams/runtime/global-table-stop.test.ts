/**
 * A graceful stop while a task waits at its global-table barrier (global-table.ts: `catchUp`).
 *
 * The barrier resolves once the table's reader has read the topic to the end offsets it took; a
 * reader whose broker is away retries until the broker answers or until its table is stopped,
 * and the kafkajs adapter stops the tables only after the core's drain. The wait holds the core's
 * lock, which the drain needs: the stop then waited on the barrier, and the barrier on the stop
 * (the processors' child that did not exit on SIGTERM in the kafka-outage rehearsal, its three
 * global-table readers never stopped). The test driver's `holdGlobalTables` is that reader.
 */
import { TestDriver, type PipedRecord } from './test-driver';
import { HOUR_MS } from '../stock/risk';
import { STOCKOUT_RISK_TABLE, stockProcessor } from '../stock/stock';

const START = Date.UTC(2026, 11, 8);
/** The driver's wall clock starts a day after the events (they are not in its future). */
const DAY_MS_AFTER = 24 * HOUR_MS;
const uuid = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

const COUNT: PipedRecord = { key: 'S1', value: { event_id: uuid(1), occurred_at: START + 7 * HOUR_MS, store_id: 'S1', sku: 'A', on_hand: 500, counted_by: 'E1' } };
const SALE: PipedRecord = {
  key: 'S1',
  value: {
    event_id: uuid(2),
    occurred_at: START + 11 * HOUR_MS,
    store_id: 'S1',
    terminal_id: 'T1',
    transaction_id: 'tx-1',
    cashier_id: 'C1',
    currency: 'EUR',
    lines: [{ line_number: 1, sku: 'A', quantity: 6, unit_price: 100, discount: 0, promotion_id: null }],
    subtotal: 600,
    discount_total: 0,
    tax_total: 0,
    total: 600,
    payment_method: 'CARD',
  },
};

/** Turns of the event loop (no timers, no wall clock): enough for any chain of settled promises. */
async function settle(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

describe('a graceful stop while a task waits at its global-table barrier', () => {
  it('stops without the barrier, commits nothing past the record that waited, and the next run reads it', async () => {
    const driver = new TestDriver(stockProcessor(), { partitions: 1, startMs: START + DAY_MS_AFTER });
    await driver.flush(); // the task exists, its tables read (empty)
    const asked = driver.globalCatchUps;
    const release = driver.holdGlobalTables();
    // S1 is in no table yet: the first record naming it waits at the barrier, holding the lock.
    const piping = driver.pipeAll([
      { topic: 'inventory.counts', partition: 0, records: [COUNT] },
      { topic: 'pos.sales', partition: 0, records: [SALE] },
    ]);
    await settle(() => driver.globalCatchUps > asked);
    expect(driver.globalCatchUps).toBeGreaterThan(asked);

    let stopped = false;
    const stopping = driver.stop().then(() => void (stopped = true));
    await settle(() => stopped);
    // Before the fix the drain waited for the lock, which the barrier held until the tables
    // stopped, which the adapter does after the drain: `stopped` stayed false for good.
    expect(stopped).toBe(true);
    // Neither record reached the task: nothing committed, the next run starts at offset 0.
    expect(driver.committed('inventory.counts', 0)?.offset ?? 0).toBe(0);
    expect(driver.committed('pos.sales', 0)?.offset ?? 0).toBe(0);

    release();
    await stopping;
    await piping;

    // The next process reads both records again from offset 0: the count, then the sale of 6.
    await driver.restart();
    await driver.flush();
    const [row] = driver.finalRows(STOCKOUT_RISK_TABLE, ['store_id', 'sku']);
    expect(row).toMatchObject({ store_id: 'S1', sku: 'A', on_hand: 500 - 6 });
  });
});
