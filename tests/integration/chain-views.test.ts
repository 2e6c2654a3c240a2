/**
 * The views over the chain's master data and pricing facts (migrations 0011 and 0013) on the
 * configured ClickHouse, fed with the rows the warehouse processor makes of events
 * (warehouseRows), against figures computed by hand: the rate of a day and its fallback, a
 * corrected rate, the reporting-currency factor, and a promotion's uplift.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { fillCalendar } from '../../clickhouse/calendar';
import { migrate } from '../../clickhouse/migrate';
import { applyReportingCurrency } from '../../clickhouse/reporting-currency';
import type { Store } from '../../schemas/generated/events';
import { createClosingJob } from '../../services/bi-rollups/closing';
import type { Row } from '../../streams/runtime/processor';
import { warehouseProcessor, warehouseRows } from '../../streams/warehouse/warehouse';
import { testClickHouse } from '../harness/fixtures';
import { testExchangeRate } from '../harness/exchange-rates';

const DAY = 86_400_000;

async function rows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  return (await client.query({ query, format: 'JSONEachRow' })).json<T>();
}

/** Lands events as the warehouse processor would: its rows, into their tables, then what it runs after writing them. */
async function land(client: ClickHouseClient, database: string, topic: Parameters<typeof warehouseRows>[0], events: readonly unknown[]): Promise<void> {
  const byTable = new Map<string, Row[]>();
  events.forEach((e, i) =>
    warehouseRows(topic, e, i, {
      emit: (table, row) => void (byTable.get(table) ?? byTable.set(table, []).get(table)!).push(row),
      publish: () => undefined,
      deliver: () => undefined,
    }),
  );
  const definition = warehouseProcessor();
  for (const [table, values] of byTable) {
    await client.insert({ table: `${database}.${table}`, values, format: 'JSONEachRow' });
    await definition.afterWrite?.[table]?.(client, database);
  }
}

describe('chain views', () => {
  let client: ClickHouseClient;
  let database: string;

  beforeAll(async () => {
    ({ client, database } = await testClickHouse());
    await migrate(client, database);
    await fillCalendar(client, database, '2026-03-01', '2026-04-30');
  });

  describe('exchange_rate_daily', () => {
    const rate = testExchangeRate;

    type Answer = { currency: string; business_date: string; rate: number; rate_date: string; days_carried: number; reporting_currency: string; to_reporting: number | null };
    const ask = (currency: string, date: string): Promise<Answer[]> =>
      rows<Answer>(client, `SELECT * FROM ${database}.exchange_rate_daily WHERE currency = '${currency}' AND business_date = '${date}'`);

    beforeAll(async () => {
      await applyReportingCurrency(client, database, 'EUR');
      // GBP has no rate on the 11th and the 13th-14th; USD starts on the 11th. EUR, the base, is not published.
      await land(client, database, 'md.exchange-rates', [rate('GBP', '2026-03-10', 0.85), rate('GBP', '2026-03-12', 0.86), rate('USD', '2026-03-11', 1.1), rate('USD', '2026-03-12', 1.2)]);
    });

    it('answers the rate of the day, or the latest earlier one and how stale it is, and nothing before the first rate', async () => {
      expect(await ask('GBP', '2026-03-10')).toMatchObject([{ rate: 0.85, rate_date: '2026-03-10', days_carried: 0 }]);
      expect(await ask('GBP', '2026-03-11')).toMatchObject([{ rate: 0.85, rate_date: '2026-03-10', days_carried: 1 }]);
      expect(await ask('GBP', '2026-03-14')).toMatchObject([{ rate: 0.86, rate_date: '2026-03-12', days_carried: 2 }]);
      expect(await ask('GBP', '2026-03-09')).toEqual([]);
    });

    it('converts to the reporting currency at both rates of the same day, the base currency being 1', async () => {
      // 1 GBP = 1 / 0.85 EUR on the 11th (carried), 1 / 0.86 on the 12th.
      expect((await ask('GBP', '2026-03-11'))[0]!.to_reporting).toBeCloseTo(1 / 0.85, 12);
      expect((await ask('GBP', '2026-03-12'))[0]!.to_reporting).toBeCloseTo(1 / 0.86, 12);
      expect(await ask('GBP', '2026-03-12')).toMatchObject([{ reporting_currency: 'EUR' }]);
      // EUR, the base, was never published: 1 on every day all the same (migration 0019).
      expect(await ask('EUR', '2026-03-09')).toMatchObject([{ rate: 1, rate_date: '2026-03-09', days_carried: 0, to_reporting: 1 }]);

      await applyReportingCurrency(client, database, 'USD');
      try {
        // GBP -> USD on the 12th: 1.2 / 0.86; on the 10th USD has no rate yet: no factor.
        expect((await ask('GBP', '2026-03-12'))[0]!.to_reporting).toBeCloseTo(1.2 / 0.86, 12);
        expect((await ask('GBP', '2026-03-10'))[0]!.to_reporting).toBeNull();
        // EUR -> USD on the 12th: 1.2 / 1.
        expect((await ask('EUR', '2026-03-12'))[0]!.to_reporting).toBeCloseTo(1.2, 12);
      } finally {
        await applyReportingCurrency(client, database, 'EUR');
      }
    });

    it('takes a corrected rate at query time: the newest record of a day wins', async () => {
      await land(client, database, 'md.exchange-rates', [rate('GBP', '2026-03-12', 0.9, Date.UTC(2026, 2, 13))]);
      expect(await ask('GBP', '2026-03-13')).toMatchObject([{ rate: 0.9, rate_date: '2026-03-12', days_carried: 1 }]);
      expect((await ask('GBP', '2026-03-12'))[0]!.to_reporting).toBeCloseTo(1 / 0.9, 12);
    });
  });

  describe('vat_rate_periods', () => {
    // Read from a table that a refreshable view rewrites every 10 s (0051): ShelfStream's own
    // writers refresh it after theirs, so what they wrote shows when they return, without waiting.
    const store = (store_id: string, time_zone: string, vat_rate: number, updatedAt: number): Store => ({
      store_id, name: store_id, region: 'Test', time_zone, opening_hours: [], size_class: 'SMALL', currency: 'EUR', opened_on: 20_000, vat_rate, holiday_calendar: null, updated_at: updatedAt,
    });
    const periods = (storeId: string): Promise<Array<{ valid_from: string; vat_rate: number }>> =>
      rows(client, `SELECT toString(valid_from) AS valid_from, vat_rate FROM ${database}.vat_rate_periods WHERE store_id = '${storeId}' ORDER BY valid_from`);

    it('shows a store version the warehouse wrote as soon as it returns: the first rate from 1970, a change from its day', async () => {
      await land(client, database, 'md.stores', [store('S-VAT-1', 'UTC', 0.2, Date.UTC(2026, 0, 5, 9))]);
      expect(await periods('S-VAT-1')).toEqual([{ valid_from: '1970-01-01', vat_rate: 0.2 }]);
      await land(client, database, 'md.stores', [store('S-VAT-1', 'UTC', 0.1, Date.UTC(2026, 2, 15, 12))]);
      expect(await periods('S-VAT-1')).toEqual([{ valid_from: '1970-01-01', vat_rate: 0.2 }, { valid_from: '2026-03-15', vat_rate: 0.1 }]);
    });

    it('dates a change by the local day as soon as the closing job has written the store\'s UTC offsets', async () => {
      // Dubai is UTC+4 all year: published on 2026-03-15 at 22:00 UTC, the rate starts on the local 16th.
      await land(client, database, 'md.stores', [store('S-VAT-2', 'Asia/Dubai', 0.05, Date.UTC(2026, 0, 5, 9)), store('S-VAT-2', 'Asia/Dubai', 0.08, Date.UTC(2026, 2, 15, 22))]);
      // No offsets yet: the UTC date (0046's rule).
      expect(await periods('S-VAT-2')).toEqual([{ valid_from: '1970-01-01', vat_rate: 0.05 }, { valid_from: '2026-03-15', vat_rate: 0.08 }]);
      await createClosingJob(client, { database, allowedLatenessMs: 0, calendarFrom: '2026-03-01', calendarTo: '2026-04-30' }).cycle();
      expect(await periods('S-VAT-2')).toEqual([{ valid_from: '1970-01-01', vat_rate: 0.05 }, { valid_from: '2026-03-16', vat_rate: 0.08 }]);
    });
  });

  describe('bi_promotion_uplift', () => {
    const STORE = 'S-UPLIFT';
    let seq = 0;
    const sale = (at: number, sku: string, quantity: number) => ({
      event_id: `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`,
      occurred_at: at,
      store_id: STORE,
      terminal_id: 'T01',
      transaction_id: `TX${seq}`,
      cashier_id: 'C1',
      payment_method: 'CARD',
      currency: 'EUR',
      lines: [{ line_number: 1, sku, quantity, unit_price: 100, discount: 0, promotion_id: null }],
      subtotal: 100 * quantity,
      discount_total: 0,
      tax_total: 0,
      total: 100 * quantity,
    });
    const promotion = (phase: 'STARTED' | 'ENDED', at: number, id: string, start: number, end: number) => ({
      event_id: `00000000-0000-4000-9000-${String(++seq).padStart(12, '0')}`,
      occurred_at: at,
      store_id: STORE,
      promotion_id: id,
      phase,
      skus: ['A', 'B'],
      discount_percent: 20,
      starts_at: start,
      ends_at: end,
    });

    it('sets the units of the promotion against the same hours of the weeks before it that have history', async () => {
      // A 3-day promotion from Friday 20 March 10:00 to Monday 23 March 10:00 UTC.
      const start = Date.UTC(2026, 2, 20, 10);
      const end = start + 3 * DAY;
      const at = (weeksBack: number, hoursIn: number): number => start - weeksBack * 7 * DAY + hoursIn * 3_600_000;
      await land(client, database, 'pos.sales', [
        // First sale of the store: 3 weeks before, so weeks 1, 2 and 3 have history, week 4 not.
        sale(at(3, -1), 'C', 1),
        // During: A 12 + 18 units, B 4; one A line just after the end does not count.
        sale(at(0, 1), 'A', 12),
        sale(at(0, 70), 'A', 18),
        sale(at(0, 2), 'B', 4),
        sale(at(0, 72), 'A', 50),
        // Week 1 before: A 10; week 2: A 5 + 1 outside the window (an hour before it); week 3: A 0.
        sale(at(1, 5), 'A', 10),
        sale(at(2, 50), 'A', 5),
        sale(at(2, -1), 'A', 1),
        // B sold nothing before: no baseline units, no uplift.
      ]);
      await land(client, database, 'pricing.promotions', [promotion('STARTED', start, 'P1', start, end), promotion('ENDED', end, 'P1', start, end)]);

      const got = await rows<{ sku: string; units_during: number; baseline_weeks: number; baseline_units: number | null; uplift: number | null; is_running: boolean }>(
        client,
        `SELECT sku, units_during, baseline_weeks, baseline_units, uplift, is_running FROM ${database}.bi_promotion_uplift WHERE store_id = '${STORE}' ORDER BY sku`,
      );
      // A: during 12 + 18 = 30; weeks 1-3 sold 10, 5, 0 -> baseline 5; uplift 6.
      expect(got).toEqual([
        { sku: 'A', units_during: 30, baseline_weeks: 3, baseline_units: 5, uplift: 6, is_running: false },
        { sku: 'B', units_during: 4, baseline_weeks: 3, baseline_units: 0, uplift: null, is_running: false },
      ]);
    });
  });
});
