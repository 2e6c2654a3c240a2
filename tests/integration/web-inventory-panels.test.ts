/**
 * The inventory analyst's product quadrants and near-expiry panels (services/web/dashboards/
 * inventory-analyst.ts) as the web app runs them (through the SQL endpoint's executor, as a
 * signed-in BI user) on hand-made facts whose answers are worked out in this file:
 *
 * - quadrants: store Q1 sells five products in the ISO week 2 to 8 March 2026 (and one sale the
 *   Monday after, which must not count); margins and unit shares per category are computed below
 *   from the prices and costs, so each product's quadrant is known;
 * - near-expiry: perishable lots received, counted and sold in stores F1 and F2, their units left,
 *   days to expiry and value at cost computed from the receipts and shelf lives.
 *
 * A store filter narrows each panel to that store's rows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { fillCalendar } from '../../clickhouse/calendar';
import { migrate } from '../../clickhouse/migrate';
import { applyReportingCurrency } from '../../clickhouse/reporting-currency';
import { ensureAdminToken } from '../../services/sql/authenticator';
import { EMPTY_USERS, withUser, writeBiUsers } from '../../services/sql/bi-users';
import { createSqlExecutor } from '../../services/sql/executor';
import { hashPassword } from '../../services/sql/passwords';
import { executorReader } from '../../services/web/bi-reader';
import { runPanel } from '../../services/web/dashboard-data';
import { INVENTORY_ANALYST } from '../../services/web/dashboards/inventory-analyst';
import { parseFilters } from '../../services/web/filters';
import type { PanelData } from '../../services/web/panels';
import { registerCleanup, testClickHouse, testConfig, testLogger } from '../harness/fixtures';
import { refreshAndCheckExchangeRates } from '../harness/exchange-rates';

const UPDATED = '2026-01-01 00:00:00.000';
const ANALYST = { user: 'inventory_panels_analyst', password: 'panels-secret-1' };

describe('inventory analyst panels: quadrants and near-expiry against hand-worked answers', () => {
  let panel: (id: string, query: Record<string, string>) => Promise<PanelData>;

  beforeAll(async () => {
    const config = testConfig();
    const logger = testLogger();
    const { client, database } = await testClickHouse(config);
    await migrate(client, database);
    await fillCalendar(client, database, '2026-01-01', '2026-04-30');
    await applyReportingCurrency(client, database, 'EUR');
    const insert = (table: string, values: object[]): Promise<unknown> => client.insert({ table: `${database}.${table}`, values, format: 'JSONEachRow' });
    await insert('dim_exchange_rate', [{ currency: 'EUR', base_currency: 'EUR', rate_date: '2026-01-01', rate: 1, source: 'test', updated_at: UPDATED }]);
    // Written straight into the table, not through the warehouse: refreshed at once (as the warehouse refreshes it after its writes), then checked.
    await refreshAndCheckExchangeRates(client, database);
    const store = (store_id: string) => ({ store_id, name: store_id, region: 'Test', time_zone: 'UTC', size_class: 'SMALL', currency: 'EUR', opened_on: '2025-01-01', vat_rate: null, updated_at: UPDATED });
    await insert('dim_store', ['Q1', 'F1', 'F2'].map(store));
    await insert('dim_store_utc_offset', ['Q1', 'F1', 'F2'].map((store_id) => ({ store_id, valid_from: '2020-01-01 00:00:00', utc_offset_s: 0, time_zone: 'UTC' })));
    const product = (sku: string, category: string, unit_cost: number, shelf_life_days: number | null = null) => ({
      sku, name: sku, category, brand: 'B', unit_cost, price: 200, currency: 'EUR', perishable: shelf_life_days !== null, shelf_life_days, updated_at: UPDATED,
    }); // prettier-ignore
    await insert('dim_product', [
      product('A', 'Dairy', 100), product('B', 'Dairy', 100), product('C', 'Dairy', 100), product('D', 'Bakery', 100), product('E', 'Bakery', 100),
      product('MILK', 'Fresh', 120, 3), product('YOG', 'Fresh', 80, 10), product('RICE', 'Pantry', 50),
    ]); // prettier-ignore
    let offset = 0;
    const sale = (store_id: string, sku: string, at: string, quantity: number, unit_price: number) => ({
      event_id: randomUUID(), line_number: 1, occurred_at: at, store_id, terminal_id: 'T1', transaction_id: `TX-${offset}`, cashier_id: 'C1', payment_method: 'CARD',
      currency: 'EUR', sku, quantity, unit_price, discount: 0, net_amount: quantity * unit_price, promotion_id: null, source_offset: offset++,
    }); // prettier-ignore
    const movement = (store_id: string, sku: string, at: string, type: 'COUNT' | 'RECEIPT', units: number, unit_cost: number | null = null) => ({
      event_id: randomUUID(), occurred_at: at, store_id, sku, movement_type: type, quantity_delta: type === 'RECEIPT' ? units : null, counted_on_hand: type === 'COUNT' ? units : null,
      reason: 'test', reference_id: type === 'RECEIPT' ? `PO-${store_id}-${sku}` : null, unit_cost, source_offset: offset++,
    }); // prettier-ignore
    await insert('fact_sale_lines', [
      // Q1, week of 2 March (no VAT, cost 1.00 a unit): per unit, A earns 2.00, B 4.00, C 0.50, D -0.10, E 1.00.
      sale('Q1', 'A', '2026-03-03 10:00:00.000', 10, 300),
      sale('Q1', 'B', '2026-03-04 10:00:00.000', 2, 500),
      sale('Q1', 'C', '2026-03-05 10:00:00.000', 8, 150),
      sale('Q1', 'D', '2026-03-06 10:00:00.000', 1, 90),
      sale('Q1', 'E', '2026-03-08 22:00:00.000', 9, 200),
      // The Monday after: another week.
      sale('Q1', 'B', '2026-03-09 10:00:00.000', 50, 500),
      // F1 sells one MILK on 5 March.
      sale('F1', 'MILK', '2026-03-05 10:00:00.000', 1, 200),
    ]);
    await insert('fact_inventory_movements', [
      // F1 MILK (shelf life 3): 0 counted, 10 received on 4 March (expire 7 March), 1 sold on the 5th: 9 left,
      // 2 days to expiry as of the 5th, 9 x 1.20 = 10.80 at cost.
      movement('F1', 'MILK', '2026-03-04 06:00:00.000', 'COUNT', 0),
      movement('F1', 'MILK', '2026-03-04 07:00:00.000', 'RECEIPT', 10, 120),
      // F1 YOG (shelf life 10): 5 received on 4 March expire on the 14th, 10 days away: not near.
      movement('F1', 'YOG', '2026-03-04 06:00:00.000', 'COUNT', 0),
      movement('F1', 'YOG', '2026-03-04 07:00:00.000', 'RECEIPT', 5, 80),
      // F2 MILK: 4 received on 5 March expire on the 8th: 3 days, 4 x 1.20 = 4.80.
      movement('F2', 'MILK', '2026-03-05 06:00:00.000', 'COUNT', 0),
      movement('F2', 'MILK', '2026-03-05 07:00:00.000', 'RECEIPT', 4, 120),
      // Not perishable: never near expiry.
      movement('F2', 'RICE', '2026-03-05 06:00:00.000', 'COUNT', 0),
      movement('F2', 'RICE', '2026-03-05 07:00:00.000', 'RECEIPT', 30, 50),
    ]);

    const folder = mkdtempSync(join(tmpdir(), 'web-inventory-panels-'));
    registerCleanup(async () => rmSync(folder, { recursive: true, force: true }));
    const usersFile = join(folder, 'bi-users.json');
    const adminTokenFile = join(folder, 'admin-token');
    ensureAdminToken(adminTokenFile);
    const now = new Date().toISOString();
    writeBiUsers(usersFile, withUser(EMPTY_USERS, { name: ANALYST.user, password: await hashPassword(ANALYST.password), regions: [], stores: [], limits: {}, createdAt: now, passwordChangedAt: now }));
    const executor = createSqlExecutor({ config: { ...config.sqlExecutor, usersFile, adminTokenFile }, dataDir: config.clickhouse.mode === 'embedded' ? config.clickhouse.dataDir : '', database, logger });
    registerCleanup(() => executor.close());
    const reader = executorReader(executor, database);
    panel = async (id, query) => (await runPanel(reader, ANALYST, INVENTORY_ANALYST, id, parseFilters(query, '2026-03-08')))!;
  }, 120_000);

  /** A panel's rows as objects, numbers as numbers. */
  const objects = (data: PanelData): Record<string, string | number | null>[] =>
    data.rows.map((r) => Object.fromEntries(data.columns.map((c, i) => [c, typeof r[i] === 'string' && c !== 'expiry_date' && /^-?[\d.]+$/.test(r[i] as string) ? Number(r[i]) : (r[i] as string | number | null)])));

  it('classifies each product of the week by margin and popularity within its category and store', async () => {
    // Dairy: 20 units, margin (20 + 8 + 4) / 20 = 1.60 a unit; popular: share >= 0.7 / 3.
    //   A 10 units (0.50) at 2.00: star; B 2 (0.10) at 4.00: puzzle; C 8 (0.40) at 0.50: plowhorse.
    // Bakery: 10 units, margin (-0.10 + 9) / 10 = 0.89; popular: share >= 0.35.
    //   D 1 (0.10) at -0.10: dog; E 9 (0.90) at 1.00: star.
    // Net sales: stars A 30.00 + E 18.00, plowhorse C 12.00, puzzle B 10.00, dog D 0.90.
    const q1 = await panel('product_quadrants', { store: 'Q1', to: '2026-03-08' });
    expect(objects(q1)).toEqual([
      { quadrant: 'dog', products: 1, net_sales_reporting: 0.9 },
      { quadrant: 'plowhorse', products: 1, net_sales_reporting: 12 },
      { quadrant: 'puzzle', products: 1, net_sales_reporting: 10 },
      { quadrant: 'star', products: 2, net_sales_reporting: 48 },
    ]);
    // Every store: F1's MILK is alone in Fresh (share 1, its own category's margin): one more star, 2.00 more.
    const all = await panel('product_quadrants', { to: '2026-03-08' });
    expect(objects(all).find((r) => r.quadrant === 'star')).toEqual({ quadrant: 'star', products: 3, net_sales_reporting: 50 });
    // The week after holds B's 50 units only: alone in Dairy, a star.
    expect(objects(await panel('product_quadrants', { store: 'Q1', to: '2026-03-15' }))).toEqual([{ quadrant: 'star', products: 1, net_sales_reporting: 250 }]);
  }, 60_000);

  it('lists the perishable units expiring within 7 days, soonest first, with their value at cost', async () => {
    const near = await panel('near_expiry', {});
    expect(objects(near)).toEqual([
      { store_id: 'F1', sku: 'MILK', expiry_date: '2026-03-07', days_until_expiry: 2, units: 9, value_at_cost_reporting: 10.8 },
      { store_id: 'F2', sku: 'MILK', expiry_date: '2026-03-08', days_until_expiry: 3, units: 4, value_at_cost_reporting: 4.8 },
    ]);
    expect(objects(await panel('near_expiry', { store: 'F2' }))).toEqual([{ store_id: 'F2', sku: 'MILK', expiry_date: '2026-03-08', days_until_expiry: 3, units: 4, value_at_cost_reporting: 4.8 }]);
  }, 60_000);
});
