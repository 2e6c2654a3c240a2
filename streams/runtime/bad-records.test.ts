import { randomUUID } from 'node:crypto';
import { isShelfStreamError } from '../../lib/errors';
import type { SaleCompleted } from '../../schemas/generated/events';
import { velocityProcessor } from '../velocity/velocity';
import { FAIL, LOG_AND_CONTINUE } from './bad-records';
import { TestDriver } from './test-driver';

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
const NOW = T0 + 86_400_000;

function sale(at: number): { key: string; value: SaleCompleted } {
  const lines = [{ line_number: 1, sku: 'A', quantity: 1, unit_price: 100, discount: 0, promotion_id: null }];
  return { key: 'S1', value: { event_id: randomUUID(), occurred_at: at, store_id: 'S1', terminal_id: 'T1', transaction_id: 'X', cashier_id: 'C', payment_method: 'CARD', currency: 'EUR', lines, subtotal: 100, discount_total: 0, tax_total: 0, total: 100 } };
}

/** Two sales that close 10:00, then one late for it, then bytes that are no record. */
const records = [sale(T0 + 1_000), sale(T0 + 200_000), sale(T0 + 2_000), { key: 'S1', value: Buffer.from([0, 0, 0, 0, 1, 0xff]) }];
const velocity = velocityProcessor({ maxOutOfOrderMs: 5_000, allowedLatenessMs: 10_000 });

describe('bad-record policies', () => {
  it('dead-letter (the default): each record set aside goes to the dead-letter topic with its code, and the commit passes it', async () => {
    const driver = new TestDriver(velocity, { startMs: NOW });
    await driver.pipe('pos.sales', 0, records);
    await driver.flush();
    expect(driver.deadLetters().map((d) => [d.offset, d.code])).toEqual([
      [2, 'LATE_EVENT'],
      [3, 'DECODE_FAILED'],
    ]);
    expect(driver.committed('pos.sales', 0)?.offset).toBeGreaterThanOrEqual(1);
  });

  it('log-and-continue: nothing is dead-lettered, the records are passed', async () => {
    const driver = new TestDriver({ ...velocity, badRecords: LOG_AND_CONTINUE }, { startMs: NOW });
    await driver.pipe('pos.sales', 0, records);
    await driver.flush();
    expect(driver.deadLetters()).toEqual([]);
    expect(driver.published('shelfstream.dead-letter')).toEqual([]);
  });

  it('fail: the processor stops at the first bad record with its code, and no commit passes it', async () => {
    const driver = new TestDriver({ ...velocity, badRecords: FAIL }, { startMs: NOW, batchSize: 1 });
    const error: unknown = await driver.pipe('pos.sales', 0, records).catch((e: unknown) => e);
    expect(isShelfStreamError(error, 'LATE_EVENT')).toBe(true);
    expect((error as Error).message).toContain('pos.sales/0/2');
    // Every later fetch stops at the same record: nothing passes it.
    expect(isShelfStreamError(await driver.flush().catch((e: unknown) => e), 'LATE_EVENT')).toBe(true);
    expect(driver.deadLetters()).toEqual([]);
    expect(driver.committed('pos.sales', 0)?.offset ?? 0).toBeLessThanOrEqual(2);
  });
});
