/**
 * The web dashboards in real headless Chromium against the real pipeline: the POS simulator
 * publishes a week of three stores to stand-in topics, the warehouse and stock processors write
 * embedded ClickHouse, and the web app reads it through the SQL endpoint's executor as the
 * signed-in BI user. The forecast tables, which the weekly training job writes, get hand-made
 * rows (their expected accuracy is worked out by hand below).
 *
 * Checked on every page: each chart's data table against numbers computed independently (the
 * simulator's own events and exchange rates for revenue, plain SQL on the base tables for the
 * rest), a filter changing them as expected, a sale published while the page is open showing up
 * without a reload, a store-scoped user seeing only its store, no console errors; a screenshot
 * per page goes to test-output/web/.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import type { ClickHouseClient } from '@clickhouse/client';
import { fillCalendar } from '../../clickhouse/calendar';
import { migrate } from '../../clickhouse/migrate';
import { applyReportingCurrency } from '../../clickhouse/reporting-currency';
import { createKafka } from '../../lib/clients/kafka';
import { createSchemaRegistry } from '../../lib/clients/registry';
import { EventCodec } from '../../lib/events/codec';
import { createEventPublisher } from '../../lib/events/publisher';
import { createMetrics } from '../../lib/metrics';
import { loadCatalog } from '../../schemas/catalog';
import type { ExchangeRate, SaleCompleted, Store, TopicName } from '../../schemas/generated/events';
import { refreshForecastAccuracy } from '../../services/forecast/accuracy-rollup';
import { ensureAdminToken } from '../../services/sql/authenticator';
import { EMPTY_USERS, withUser, writeBiUsers } from '../../services/sql/bi-users';
import { createSqlExecutor } from '../../services/sql/executor';
import { hashPassword } from '../../services/sql/passwords';
import { executorReader, startWebService, type WebService } from '../../services/web';
import { PosSimulator } from '../../simulators/pos/simulator';
import { buildProcessor } from '../../streams/processors';
import { ALERTS_TOPIC } from '../../streams/runtime/alerts';
import { startProcessor } from '../../streams/runtime/runner';
import { launchChromium, watchPageErrors } from '../harness/browser';
import { createStandInCatalogue, registerCleanup, testAdmin, testClickHouse, testConfig, testLogger, uniqueName, waitFor } from '../harness/fixtures';

/* eslint-disable @typescript-eslint/no-explicit-any -- the functions run in the page, typed as the DOM they see there */
declare const document: any;
declare function getComputedStyle(element: unknown): { textAlign: string };

const DAY_MS = 86_400_000;
const SCREENSHOTS = join(__dirname, '..', '..', 'test-output', 'web');
const CHAIN = { user: 'chain_analyst', password: 'chain-secret-1' };
const ONE_STORE = { user: 'store_manager_one', password: 'store-secret-1' };

type Table = { columns: string[]; rows: string[][] };

function isoDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** The store's local calendar date of an instant (its business date). */
function localDate(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(ms));
}

describe('web dashboards in headless Chromium', () => {
  let client: ClickHouseClient;
  let database: string;
  let web: WebService;
  let browser: Browser;
  let stores: Store[];
  let rates: ExchangeRate[];
  const sales: SaleCompleted[] = [];
  let publishSales: (events: SaleCompleted[]) => Promise<void>;
  let lastDay: number;
  let forecastSkus: [string, string];
  const errors: string[] = [];

  const rows = async <T>(query: string): Promise<T[]> => (await client.query({ query, format: 'JSONEachRow' })).json<T>();

  beforeAll(async () => {
    const config = testConfig();
    const logger = testLogger();
    ({ client, database } = await testClickHouse(config));
    await migrate(client, database);
    const today = Math.floor(Date.now() / DAY_MS);
    await fillCalendar(client, database, isoDay(today - 60), isoDay(today + 30));
    await applyReportingCurrency(client, database, config.clickhouseModel.reportingCurrency);

    // The pipeline: the warehouse (facts, dimensions) and stock (on hand, risk, alerts) processors on stand-in topics.
    const admin = await testAdmin(config);
    const { prefix, catalog } = await createStandInCatalogue(admin, config);
    const topics: Record<string, string> = Object.fromEntries(catalog.map((t) => [t.name.slice(prefix.length), t.name]));
    const kafka = createKafka(config.kafka, logger, 'test');
    const codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, [...loadCatalog(), ...catalog]);
    const metrics = createMetrics('web-test', { collectDefaults: false });
    for (const name of ['warehouse', 'stock'] as const) {
      const running = await startProcessor(await buildProcessor(name, config, { topics }), { kafka, codec, clickhouse: client, logger, metrics }, {
        ...config.streams,
        database,
        outputTopics: { [ALERTS_TOPIC]: topics[ALERTS_TOPIC]! },
        groupId: uniqueName(`web-${name}`),
      });
      registerCleanup(() => running.stop());
    }

    // A week of three stores, published hour by hour as the simulator makes it.
    lastDay = today - 3;
    const sim = new PosSimulator({ seed: 4242, stores: 3, skus: 30, window: { kind: 'days', startDay: lastDay - 6, days: 7 }, anomalyRate: 0, heartbeats: false });
    const publisher = await createEventPublisher(kafka, codec, catalog);
    registerCleanup(() => publisher.close());
    const master = sim.masterData();
    stores = master['md.stores'];
    rates = master['md.exchange-rates'];
    await publisher.publish(topics['md.stores']! as TopicName, master['md.stores']);
    await publisher.publish(topics['md.products']! as TopicName, master['md.products']);
    await publisher.publish(topics['md.exchange-rates']! as TopicName, master['md.exchange-rates']);
    while (!sim.done) {
      const { events } = sim.nextHour();
      for (const [topic, values] of Object.entries(events)) {
        if (values.length > 0) await publisher.publish(topics[topic]! as TopicName, values as never);
      }
      sales.push(...(events['pos.sales'] as SaleCompleted[]));
    }
    publishSales = async (events) => {
      await publisher.publish(topics['pos.sales']! as TopicName, events as never);
      sales.push(...events);
    };
    const lines = sales.reduce((n, s) => n + s.lines.length, 0);
    await waitFor(async () => (await rows<{ n: number }>(`SELECT count() AS n FROM ${database}.fact_sale_lines FINAL`))[0]!.n === lines, { what: `all ${lines} sale lines in ClickHouse`, timeoutMs: 180_000, intervalMs: 1_000 });
    await waitFor(async () => (await rows<{ n: number }>(`SELECT count() AS n FROM ${database}.stockout_risk`))[0]!.n > 0, { what: 'stock-out risk rows', timeoutMs: 60_000, intervalMs: 1_000 });

    // What the weekly training job would have written for store 1: two skus, two days, and two training runs.
    const first = stores[0]!.store_id;
    const products = master['md.products'];
    forecastSkus = [products[0]!.sku, products[1]!.sku];
    const generated = new Date().toISOString().replace('T', ' ').slice(0, 23);
    const forecast = (sku: string, day: number, p10: number, p50: number, p90: number) => ({ store_id: first, sku, origin_date: isoDay(day - 1), forecast_date: isoDay(day), horizon_days: 1, p10, p50, p90, model_version: 'v2', generated_at: generated });
    const actual = (sku: string, day: number, units: number) => ({ store_id: first, sku, sales_date: isoDay(day), units, stockout: false, refreshed_at: generated });
    await client.insert({ table: `${database}.demand_forecast`, format: 'JSONEachRow', values: [forecast(forecastSkus[0], lastDay - 1, 8, 10, 12), forecast(forecastSkus[1], lastDay - 1, 4, 5, 6), forecast(forecastSkus[0], lastDay, 8, 10, 12), forecast(forecastSkus[1], lastDay, 4, 5, 6)] });
    await client.insert({ table: `${database}.demand_daily`, format: 'JSONEachRow', values: [actual(forecastSkus[0], lastDay - 1, 12), actual(forecastSkus[1], lastDay - 1, 8), actual(forecastSkus[0], lastDay, 10), actual(forecastSkus[1], lastDay, 5)] });
    // And the accuracy rows its predict writes after those two tables (migration 0043).
    await refreshForecastAccuracy(client, database, isoDay(lastDay - 1), isoDay(lastDay), generated);
    const run = (run_id: string, model_version: string, wape: number, accepted: boolean, finished: number) => ({
      run_id, run_type: 'TRAIN', model_version, forecaster: 'global_mlp', segment: 'all', wape, mase: 0.8, bias: 0.01, pinball: 1.2, coverage_p10_p90: 0.78, points: 400, origins: 4,
      accepted, data_from: isoDay(lastDay - 60), data_to: isoDay(lastDay), started_at: new Date(finished - 60_000).toISOString().replace('T', ' ').slice(0, 23), finished_at: new Date(finished).toISOString().replace('T', ' ').slice(0, 23),
    }); // prettier-ignore
    await client.insert({ table: `${database}.model_run`, format: 'JSONEachRow', values: [run('r1', 'v1', 0.31, true, Date.now() - 2 * DAY_MS), run('r2', 'v2', 0.27, true, Date.now() - DAY_MS), run('r3', 'v3', 0.35, false, Date.now() - 3_600_000)] });
    // Two drift checks: the older one must not show; the latest shows its drifted measure first.
    const drift = (asOf: number, category: string, measure: string, psi: number) => ({
      as_of_date: isoDay(asOf), category, measure, psi, threshold: 0.25, drifted: psi > 0.25, reference_mean: 0, recent_mean: 0, reference_points: 100, recent_points: 50,
      reference_from: isoDay(asOf - 56), reference_to: isoDay(asOf - 15), recent_from: isoDay(asOf - 14), model_version: 'v2', alert_id: '', computed_at: new Date().toISOString().replace('T', ' ').slice(0, 23),
    }); // prettier-ignore
    await client.insert({ table: `${database}.model_drift`, format: 'JSONEachRow', values: [drift(lastDay - 7, 'stale', 'forecast_error', 0.9), drift(lastDay, 'dairy', 'forecast_error', 0.1), drift(lastDay, 'dairy', 'units_level', 0.4)] });

    // BI users: the whole chain, and the manager of the first store only.
    const folder = mkdtempSync(join(tmpdir(), 'web-test-'));
    registerCleanup(async () => rmSync(folder, { recursive: true, force: true }));
    const now = new Date().toISOString();
    const user = async (name: string, password: string, storeIds: string[]) => ({ name, password: await hashPassword(password), regions: [], stores: storeIds, limits: {}, createdAt: now, passwordChangedAt: now });
    const usersFile = join(folder, 'bi-users.json');
    const adminTokenFile = join(folder, 'admin-token');
    ensureAdminToken(adminTokenFile);
    writeBiUsers(usersFile, withUser(withUser(EMPTY_USERS, await user(CHAIN.user, CHAIN.password, [])), await user(ONE_STORE.user, ONE_STORE.password, [first])));
    const executor = createSqlExecutor({ config: { ...config.sqlExecutor, usersFile, adminTokenFile }, dataDir: config.clickhouse.mode === 'embedded' ? config.clickhouse.dataDir : '', database, logger });
    registerCleanup(() => executor.close());
    web = await startWebService({
      config: { web: { host: '127.0.0.1', port: 0, liveIntervalMs: 500, sessionTtlS: 3_600, cacheTtlMs: 10_000 }, clickhouseModel: { reportingCurrency: 'EUR' } },
      logger,
      reader: executorReader(executor, database),
    });
    registerCleanup(() => web.close());
    browser = await launchChromium();
    mkdirSync(SCREENSHOTS, { recursive: true });
  }, 300_000);

  afterAll(() => {
    // Console errors of every page of every test, checked once at the end as well as per test.
    expect(errors).toEqual([]);
  });

  async function signedIn(who: { user: string; password: string }): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    registerCleanup(() => context.close());
    const page = await context.newPage();
    watchPageErrors(page, (error) => errors.push(error));
    await page.goto(`${web.url}/executive`);
    await page.waitForSelector('#login-form');
    await page.fill('#user', who.user);
    await page.fill('#password', who.password);
    await Promise.all([page.waitForURL(`${web.url}/executive`), page.click('#sign-in')]);
    await page.waitForSelector('body[data-drawn]', { state: 'attached' });
    return page;
  }

  async function open(page: Page, path: string): Promise<void> {
    await page.goto(`${web.url}${path}`);
    await page.waitForSelector('body[data-drawn]', { state: 'attached' });
  }

  /** A panel's table as machine-readable: raw column names (data-column) and raw values (data-value), whatever the cells show. */
  async function table(page: Page, panel: string): Promise<Table> {
    return page.$eval(`table[data-table="${panel}"]`, (t) => ({
      columns: [...t.querySelectorAll('thead th[data-column]')].map((th) => th.dataset.column ?? ''),
      rows: [...t.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td[data-value]')].map((td) => td.dataset.value ?? '')),
    }));
  }

  /** What a person reads in a column of a panel's table (the cells' text). */
  async function shownColumn(page: Page, panel: string, name: string): Promise<string[]> {
    return page.$eval(`table[data-table="${panel}"]`, (t, column) => {
      const i = [...t.querySelectorAll('thead th[data-column]')].findIndex((th) => th.dataset.column === column);
      return [...t.querySelectorAll('tbody tr')].map((tr) => (i < 0 ? '<no column>' : tr.querySelectorAll('td[data-value]')[i]!.textContent ?? ''));
    }, name);
  }

  /** Headers and legend entries on screen that read like database names (snake_case), which a person should never have to decode. */
  async function databaseNamesShown(page: Page): Promise<string[]> {
    return page.$$eval('th:not([hidden]), .u-legend .u-label', (nodes) =>
      nodes.map((n) => (n.textContent ?? '').trim()).filter((text) => /^[a-z0-9]+(_[a-z0-9]+)+( \(.*\))?$/.test(text)),
    );
  }

  /** A column of a table as numbers. */
  function column(t: Table, name: string): number[] {
    const i = t.columns.indexOf(name);
    expect(i).toBeGreaterThanOrEqual(0);
    return t.rows.map((r) => Number(r[i]));
  }

  /** Revenue per local business date in the reporting currency (EUR), from the simulator's own sales and rates. */
  function expectedRevenueByDay(storeIds: readonly string[]): Map<string, number> {
    const byStore = new Map(stores.map((s) => [s.store_id, s]));
    const rate = (currency: string, date: string): number => {
      const day = Date.parse(`${date}T00:00:00Z`) / DAY_MS;
      const candidates = rates.filter((r) => r.currency === currency && r.rate_date <= day).sort((a, b) => b.rate_date - a.rate_date);
      return candidates[0]!.rate;
    };
    const out = new Map<string, number>();
    for (const sale of sales) {
      if (!storeIds.includes(sale.store_id)) continue;
      const store = byStore.get(sale.store_id)!;
      const date = localDate(sale.occurred_at, store.time_zone);
      const net = sale.lines.reduce((sum, l) => sum + l.quantity * l.unit_price - l.discount, 0) / 100;
      out.set(date, (out.get(date) ?? 0) + net * (rate('EUR', date) / rate(store.currency, date)));
    }
    return out;
  }

  function expectRevenueMatches(t: Table, expected: Map<string, number>): void {
    const dates = t.rows.map((r) => r[0]!);
    expect(dates.length).toBeGreaterThanOrEqual(7);
    const shown = column(t, 'revenue');
    dates.forEach((date, i) => {
      expect([date, Math.abs(shown[i]! - (expected.get(date) ?? 0)) <= 0.02 * Math.max(1, dates.length)]).toEqual([date, true]);
    });
  }

  it('signs in, and every chart of the executive page holds the independently computed numbers; a store filter narrows them', async () => {
    const page = await signedIn(CHAIN);
    expect(page.url()).toBe(`${web.url}/executive`);
    const all = stores.map((s) => s.store_id);
    expectRevenueMatches(await table(page, 'revenue_by_day'), expectedRevenueByDay(all));
    // Money names its currency (REPORTING_CURRENCY) in the header; other columns do not.
    const headers = await page.$$eval('table[data-table="revenue_by_day"] thead th', (ths) => ths.map((th) => th.textContent));
    expect(headers).toEqual(['Date', 'Revenue (EUR)', 'Same day last week (EUR)']);
    expect(await databaseNamesShown(page)).toEqual([]);

    // Stock-out rate and open alerts: plain SQL on the processors' tables.
    const risk = await rows<{ store_id: string; tracked: number; out: number }>(
      `SELECT store_id, count() AS tracked, countIf(out_of_stock) AS out FROM ${database}.stockout_risk FINAL GROUP BY store_id ORDER BY store_id`,
    );
    const stockout = await table(page, 'stockout_rate');
    expect(stockout.rows.map((r) => r[0])).toEqual(risk.map((r) => r.store_id));
    expect(column(stockout, 'products_tracked')).toEqual(risk.map((r) => Number(r.tracked)));
    expect(column(stockout, 'products_out_of_stock')).toEqual(risk.map((r) => Number(r.out)));
    const open = await rows<{ alert_type: string; n: number }>(
      `SELECT alert_type, count() AS n FROM (SELECT alert_id, any(alert_type) AS alert_type FROM ${database}.alerts FINAL GROUP BY alert_id
         HAVING countIf(state = 'RAISED') > 0 AND countIf(state = 'RESOLVED') = 0) GROUP BY alert_type ORDER BY alert_type`,
    );
    const alerts = await table(page, 'open_alerts');
    expect(alerts.rows.map((r) => [r[0], Number(r[1])])).toEqual(open.map((r) => [r.alert_type, Number(r.n)]));
    // Every chart is drawn (uPlot's canvas), and its CSV is its table.
    const charts = await page.$$eval('[data-chart]', (nodes) => nodes.map((n) => [n.getAttribute('data-chart'), n.querySelector('canvas') !== null] as const));
    expect(charts.length).toBeGreaterThanOrEqual(6);
    for (const [id, drawn] of charts) expect([id, drawn]).toEqual([id, true]);
    const csv = await page.evaluate(async () => (await fetch(document.querySelector('a[data-csv="revenue_by_day"]')!.getAttribute('href')!)).text());
    const byDay = await table(page, 'revenue_by_day');
    expect(csv.trim().split('\r\n')).toEqual([byDay.columns.join(','), ...byDay.rows.map((r) => r.join(','))]);
    await page.screenshot({ path: join(SCREENSHOTS, 'executive.png'), fullPage: true });

    // The store filter: the first store's revenue only.
    const drawn = Number(await page.$eval('body', (b) => b.dataset.drawn));
    await page.selectOption('#f-store', stores[0]!.store_id);
    await page.waitForFunction((n) => Number(document.body.dataset.drawn) > n, drawn);
    expect(page.url()).toContain(`store=${stores[0]!.store_id}`);
    expectRevenueMatches(await table(page, 'revenue_by_day'), expectedRevenueByDay([stores[0]!.store_id]));
    expect((await table(page, 'stockout_rate')).rows.map((r) => r[0])).toEqual([stores[0]!.store_id]);
  }, 120_000);

  it('shows a sale published while the page is open without a reload (live feed)', async () => {
    const page = await signedIn(CHAIN);
    const store = stores[0]!;
    // A big sale a minute after the last one published (earlier would be late for the processors),
    // on the page of the store and of the local day it falls on.
    const at = Math.max(...sales.map((s) => s.occurred_at)) + 60_000;
    const day = localDate(at, store.time_zone);
    await open(page, `/executive?store=${store.store_id}&to=${day}`);
    const template = sales.find((s) => s.store_id === store.store_id)!;
    const sale: SaleCompleted = {
      ...template,
      event_id: randomUUID(),
      transaction_id: uniqueName('web-live'),
      occurred_at: at,
      lines: [{ ...template.lines[0]!, line_number: 1, quantity: 10, unit_price: 12_345, discount: 0, promotion_id: null }],
      subtotal: 123_450,
      discount_total: 0,
      tax_total: 0,
      total: 123_450,
    };
    const navigations: string[] = [];
    page.on('framenavigated', (frame) => navigations.push(frame.url()));
    await publishSales([sale]);
    const expected = expectedRevenueByDay([store.store_id]).get(day)!;
    await page.waitForFunction(
      ([date, want]) => {
        const t = document.querySelector('table[data-table="revenue_by_day"]');
        const row = [...(t?.querySelectorAll('tbody tr') ?? [])].find((tr) => tr.querySelector('td')?.dataset.value === date);
        return row !== undefined && Math.abs(Number(row.querySelectorAll('td')[1]!.dataset.value) - want) < 0.05;
      },
      [day, expected] as const,
      { timeout: 60_000, polling: 250 },
    );
    expect(navigations).toEqual([]);
  }, 120_000);

  it('store manager: the at-risk list is the stock processor\'s, and the forecast band holds the forecasts and sales of the chosen sku', async () => {
    const page = await signedIn(CHAIN);
    const store = stores[0]!.store_id;
    await open(page, `/store-manager?store=${store}&sku=${encodeURIComponent(forecastSkus[0])}`);
    const risk = await rows<{ sku: string; rounded: number; on_hand: number }>(
      `SELECT sku, round(risk, 3) AS rounded, on_hand FROM ${database}.stockout_risk FINAL WHERE store_id = '${store}' AND risk IS NOT NULL ORDER BY risk DESC, sku LIMIT 20`,
    );
    const atRisk = await table(page, 'at_risk');
    expect(atRisk.rows.map((r) => r[0])).toEqual(risk.map((r) => r.sku));
    expect(column(atRisk, 'stockout_risk')).toEqual(risk.map((r) => Number(r.rounded)));
    expect(column(atRisk, 'units_on_hand')).toEqual(risk.map((r) => Number(r.on_hand)));
    // A person reads the risk as a percentage of the same number, and a negative on hand with what to do about it.
    expect(await shownColumn(page, 'at_risk', 'stockout_risk')).toEqual(risk.map((r) => `${(Number(r.rounded) * 100).toFixed(1)} %`));
    expect(await shownColumn(page, 'at_risk', 'units_on_hand')).toEqual(risk.map((r) => (Number(r.on_hand) < 0 ? `${r.on_hand} (recount)` : String(r.on_hand))));
    // Every cell of a column of numbers is aligned as its header, an unknown value's dash included.
    const misaligned = await page.$$eval('table[data-table]', (tables) =>
      tables.flatMap((t) => {
        const heads = [...t.querySelectorAll('thead th[data-column]')];
        return [...t.querySelectorAll('tbody tr')].flatMap((tr) =>
          [...tr.querySelectorAll('td[data-value]')].flatMap((td, i) => {
            const th = heads[i];
            if (!th || th.hasAttribute('hidden') || getComputedStyle(th).textAlign !== 'right') return [];
            return getComputedStyle(td).textAlign === 'right' ? [] : [`${t.getAttribute('data-table')}.${th.dataset.column}: "${td.textContent}"`];
          }),
        );
      }),
    );
    expect(misaligned).toEqual([]);
    // Open alerts: one row per open alert of the store, its buttons carrying its id; what is shown is the kind in words, never the id.
    const openAlerts = await rows<{ alert_id: string; alert_type: string }>(
      `SELECT alert_id, any(alert_type) AS alert_type FROM ${database}.alerts FINAL WHERE store_id = '${store}' GROUP BY alert_id
         HAVING countIf(state = 'RAISED') > 0 AND countIf(state = 'RESOLVED') = 0 ORDER BY alert_id`,
    );
    expect(openAlerts.length).toBeGreaterThan(0);
    const alertRows = await page.$$eval('table[data-table="open_alerts"] tbody tr', (trs) =>
      trs.map((tr) => ({ id: tr.dataset.alert ?? '', acknowledge: tr.querySelector('button[data-acknowledge]')?.getAttribute('data-acknowledge') ?? '', text: tr.innerText as string })),
    );
    expect(alertRows.map((r) => r.id).sort()).toEqual(openAlerts.map((a) => a.alert_id));
    const words: Record<string, string> = { OUT_OF_STOCK: 'Out of stock', STOCKOUT_RISK: 'Stockout risk' };
    for (const row of alertRows) {
      const kind = openAlerts.find((a) => a.alert_id === row.id)!.alert_type;
      expect([row.id, row.acknowledge, row.text.includes(words[kind] ?? '<a kind in words>'), row.text.includes(row.id)]).toEqual([row.id, row.id, true, false]);
    }
    expect(await databaseNamesShown(page)).toEqual([]);
    // The band: the hand-made forecasts of the last two days (P10 8, P50 10, P90 12).
    const band = await table(page, 'forecast_band');
    const byDay = new Map(band.rows.map((r) => [r[0], r]));
    for (const day of [lastDay - 1, lastDay]) expect(byDay.get(isoDay(day))!.slice(1, 4)).toEqual(['8', '10', '12']);
    // Units sold per local day of that sku at that store, from the simulator's sales.
    const tz = stores[0]!.time_zone;
    const sold = new Map<string, number>();
    for (const s of sales) if (s.store_id === store) for (const l of s.lines) if (l.sku === forecastSkus[0]) sold.set(localDate(s.occurred_at, tz), (sold.get(localDate(s.occurred_at, tz)) ?? 0) + l.quantity);
    for (const [day, units] of sold) expect([day, byDay.get(day)?.[4]]).toEqual([day, String(units)]);
    await page.screenshot({ path: join(SCREENSHOTS, 'store-manager.png'), fullPage: true });
  }, 120_000);

  it('inventory analyst: cover, deliveries and shrink hold the numbers of the base tables; a category filter narrows them', async () => {
    const page = await signedIn(CHAIN);
    await open(page, '/inventory-analyst');
    const cover = await rows<{ item: string; days: number }>(
      `SELECT concat(store_id, ' ', sku) AS item, round(on_hand / sales_rate_per_day, 1) AS days FROM ${database}.stockout_risk FINAL
       WHERE on_hand_known AND sales_rate_per_day > 0 ORDER BY days ASC, item LIMIT 15`,
    );
    const shown = await table(page, 'days_of_cover');
    expect(shown.rows.map((r) => r[0])).toEqual(cover.map((r) => r.item));
    expect(column(shown, 'days_of_cover')).toEqual(cover.map((r) => Number(r.days)));
    const filters = JSON.parse(await page.$eval('body', (b) => b.dataset.filters!)) as { from: string; to: string };
    const orders = await rows<{ d: string; n: number }>(
      `SELECT toString(toDate(occurred_at)) AS d, count() AS n FROM ${database}.fact_replenishment_orders FINAL WHERE toDate(occurred_at) BETWEEN '${filters.from}' AND '${filters.to}' GROUP BY d ORDER BY d`,
    );
    const deliveries = await table(page, 'supplier_deliveries');
    expect(deliveries.rows.map((r) => [r[0], Number(r[1])])).toEqual(orders.map((o) => [o.d, Number(o.n)]));
    expect(await databaseNamesShown(page)).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, 'inventory-analyst.png'), fullPage: true });

    // A category: the cover list keeps only that category's products.
    const category = (await rows<{ category: string }>(`SELECT any(category) AS category FROM ${database}.dim_product FINAL`))[0]!.category;
    const inCategory = new Set((await rows<{ sku: string }>(`SELECT sku FROM ${database}.dim_product FINAL WHERE category = '${category}'`)).map((r) => r.sku));
    const drawn = Number(await page.$eval('body', (b) => b.dataset.drawn));
    await page.selectOption('#f-category', category);
    await page.waitForFunction((n) => Number(document.body.dataset.drawn) > n, drawn);
    const narrowed = await table(page, 'days_of_cover');
    for (const [item] of narrowed.rows) expect([item, inCategory.has(item!.split(' ')[1]!)]).toEqual([item, true]);
  }, 120_000);

  it('ML performance: WAPE and coverage by day as worked out by hand, and the model versions with the champion', async () => {
    const page = await signedIn(CHAIN);
    await open(page, `/ml-performance?store=${stores[0]!.store_id}`);
    // Day 1: |12-10| + |8-5| = 5 over 12 + 8 = 20 -> WAPE 25 %; 12 in [8, 12], 8 not in [4, 6] -> coverage 50 %.
    // Day 2: both exact -> WAPE 0 %, both inside -> coverage 100 %.
    const accuracy = await table(page, 'accuracy_by_day');
    expect(accuracy.rows).toEqual([
      [isoDay(lastDay - 1), '25', '50', '2'],
      [isoDay(lastDay), '0', '100', '2'],
    ]);
    const drift = await table(page, 'drift');
    expect(drift.rows.map((r) => [r[0], Number(r[3]), r[5]])).toEqual([
      ['dairy units_level', 0.4, 'true'],
      ['dairy forecast_error', 0.1, 'false'],
    ]);
    const versions = await table(page, 'model_versions');
    const role = versions.columns.indexOf('role');
    expect(versions.rows.map((r) => [r[0], r[role]])).toEqual([
      ['v3', 'challenger'],
      ['v2', 'champion'],
      ['v1', 'former champion'],
    ]);
    expect(await databaseNamesShown(page)).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, 'ml-performance.png'), fullPage: true });
  }, 120_000);

  it('a store-scoped user sees only its store on every page, in the filter choices, the CSVs and the live feed', async () => {
    const page = await signedIn(ONE_STORE);
    const mine = stores[0]!.store_id;
    const options = await page.$$eval('#f-store option', (o) => o.map((x: any) => x.value as string).filter((v) => v !== ''));
    expect(options).toEqual([mine]);
    expectRevenueMatches(await table(page, 'revenue_by_day'), expectedRevenueByDay([mine]));
    expect((await table(page, 'stockout_rate')).rows.map((r) => r[0])).toEqual([mine]);
    // Asking for another store by URL shows nothing of it.
    await open(page, `/inventory-analyst?store=${stores[1]!.store_id}`);
    expect((await table(page, 'days_of_cover')).rows).toEqual([]);
    await open(page, '/inventory-analyst');
    for (const [item] of (await table(page, 'days_of_cover')).rows) expect(item!.split(' ')[0]).toBe(mine);
    const csv = await page.evaluate(async () => (await fetch('/api/dashboards/executive/panels/stockout_rate.csv')).text());
    expect(csv.trim().split('\r\n').slice(1).map((l) => l.split(',')[0])).toEqual([mine]);
    await page.screenshot({ path: join(SCREENSHOTS, 'scoped-inventory-analyst.png'), fullPage: true });
  }, 120_000);

  it('refuses a wrong password, an API call without a session, and a POST without the CSRF token', async () => {
    const wrong = await fetch(`${web.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: CHAIN.user, password: 'nope' }) });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect((await fetch(`${web.url}/api/dashboards/executive`)).status).toBe(401);
    const login = await fetch(`${web.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(CHAIN) });
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const session = cookie.split(';')[0]!;
    expect((await fetch(`${web.url}/api/logout`, { method: 'POST', headers: { cookie: session } })).status).toBe(403);
    const { csrf_token } = (await login.json()) as { csrf_token: string };
    expect((await fetch(`${web.url}/api/logout`, { method: 'POST', headers: { cookie: session, 'x-csrf-token': csrf_token, origin: 'https://elsewhere.example' } })).status).toBe(403);
    const bad = await fetch(`${web.url}/api/dashboards/executive?from=2026-02-30`, { headers: { cookie: session } });
    expect([bad.status, ((await bad.json()) as { parameter: string }).parameter]).toEqual([400, 'from']);
    expect((await fetch(`${web.url}/api/logout`, { method: 'POST', headers: { cookie: session, 'x-csrf-token': csrf_token } })).status).toBe(200);
    expect((await fetch(`${web.url}/api/dashboards/executive`, { headers: { cookie: session } })).status).toBe(401);
  });
});
