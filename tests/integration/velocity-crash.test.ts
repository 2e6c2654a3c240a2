/**
 * The velocity processor end to end, as a separate process killed with SIGKILL at random
 * points at least ten times, then run to completion; then its consumer group is reset to the
 * beginning and the topic replayed. Every per-minute aggregate in ClickHouse must equal the
 * totals computed here, independently, from the events that were produced: nothing lost,
 * nothing counted twice.
 *
 * The processor runs on stand-in topics in an embedded ClickHouse folder of its own
 * (processorRun in tests/harness/processor-run.ts).
 */
import { randomUUID } from 'node:crypto';
import type { SaleCompleted } from '../../schemas/generated/events';
import { Rng } from '../../simulators/pos/random';
import { processorRun } from '../harness/processor-run';

const STORES = 12;
const SKUS = 40;
const SALES = 60_000;
const KILLS = 10;
const START = Date.UTC(2026, 10, 23, 8, 0, 0);

/** The simulator's seeded generator, so a failure can be reproduced from the seed. */
function prng(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next();
}

/** Sales spread over ~40 minutes, per store in time order with jitter below the out-of-order bound. */
function generateSales(seed: number): SaleCompleted[] {
  const random = prng(seed);
  const sales: SaleCompleted[] = [];
  for (let i = 0; i < SALES; i++) {
    const store = `CRASH-S${i % STORES}`;
    const at = START + Math.floor((i / SALES) * 40 * 60_000) - Math.floor(random() * 3_000);
    const lineCount = 1 + Math.floor(random() * 3);
    const lines = Array.from({ length: lineCount }, (_, j) => {
      const quantity = 1 + Math.floor(random() * 4);
      const unit_price = 50 + Math.floor(random() * 2_000);
      const discount = random() < 0.2 ? Math.floor(quantity * unit_price * 0.1) : 0;
      return { line_number: j + 1, sku: `SKU-${Math.floor(random() * SKUS)}`, quantity, unit_price, discount, promotion_id: null };
    });
    const subtotal = lines.reduce((s, l) => s + l.quantity * l.unit_price, 0);
    const discount_total = lines.reduce((s, l) => s + l.discount, 0);
    sales.push({ event_id: randomUUID(), occurred_at: at, store_id: store, terminal_id: 'T1', transaction_id: `TX${i}`, cashier_id: 'C1', payment_method: 'CARD', currency: 'EUR', lines, subtotal, discount_total, tax_total: 0, total: subtotal - discount_total });
  }
  return sales;
}

/** The expected result, computed straight from the events: key -> [units, revenue]. */
function expectedTotals(sales: readonly SaleCompleted[]): Map<string, [number, number]> {
  const totals = new Map<string, [number, number]>();
  for (const s of sales) {
    const minute = new Date(Math.floor(s.occurred_at / 60_000) * 60_000).toISOString().slice(0, 16);
    for (const l of s.lines) {
      const key = `${s.store_id}|${l.sku}|${minute}`;
      const t = totals.get(key) ?? [0, 0];
      t[0] += l.quantity;
      t[1] += l.quantity * l.unit_price - l.discount;
      totals.set(key, t);
    }
  }
  return totals;
}

describe('velocity processor under SIGKILL and replay', () => {
  it('ends with exactly the independently computed aggregates', async () => {
    const seed = Date.now() % 1_000_000;
    const run = await processorRun({ processor: 'velocity', topics: ['pos.sales'], partitions: 6, env: { STREAM_FLUSH_INTERVAL_MS: '200' } });
    const sales = generateSales(seed);
    await run.publish('pos.sales', sales);
    const runProcessor = (stopWhenIdle: boolean) => run.start(stopWhenIdle ? { stopWhenIdleMs: 3_000 } : {});

    const random = prng(seed + 1);
    let kills = 0;
    while (kills < KILLS) {
      const { child, exited } = runProcessor(false);
      // Random points: during start-up, group join, processing, a flush or a commit.
      await new Promise((resolve) => setTimeout(resolve, 800 + Math.floor(random() * 2_500)));
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        kills++;
      }
      await exited;
    }
    expect(kills).toBeGreaterThanOrEqual(KILLS);
    expect(await runProcessor(true).exited).toBe(0);

    const readTotals = async (): Promise<Map<string, [number, number]>> => {
      const rows = await run.query<{ store_id: string; sku: string; minute: string; units: string | number; revenue: string | number }>(
        `SELECT store_id, sku, formatDateTime(window_start, '%Y-%m-%dT%H:%i') AS minute, units, revenue FROM ${run.database}.sales_velocity_1m FINAL`,
      );
      return new Map(rows.map((r) => [`${r.store_id}|${r.sku}|${r.minute}`, [Number(r.units), Number(r.revenue)] as [number, number]]));
    };
    const expected = expectedTotals(sales);
    const afterKills = await readTotals();
    expect(afterKills.size).toBe(expected.size);
    expect(afterKills).toEqual(expected);

    // Reset the group to the beginning and replay everything into the same tables.
    await run.admin.resetOffsets({ groupId: run.group, topic: run.topics['pos.sales']!, earliest: true });
    expect(await runProcessor(true).exited).toBe(0);
    expect(await readTotals()).toEqual(expected);
  });
});
