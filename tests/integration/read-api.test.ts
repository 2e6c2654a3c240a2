/**
 * The read API over a fresh database with the project's migrations and hand-made rows for two
 * stores (forecasts, reorder advice, stock-out risk, an open and a resolved alert, sales),
 * started as `run all` starts it (port 0; the response cache off, so every answer is a query) and called over HTTP: every route, every scope, every
 * bad parameter, pagination across pages, and every answer validated against the served
 * OpenAPI document with a JSON Schema validator (ajv). Expected values are worked out by hand
 * in the comments, not by the code under test.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import type { ClickHouseClient } from '@clickhouse/client';
import { migrate } from '../../clickhouse/migrate';
import { ANY_STORE, generateApiKey, writeKeysFile } from '../../services/ingest/api-keys';
import { startReadApiService, type ReadApiService } from '../../services/read-api';
import { registerCleanup, testClickHouse, testConfig, testLogger } from '../harness/fixtures';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const STORE_A = 'RA-A';
const STORE_B = 'RA-B';
const GENERATED = '2026-03-14 03:00:00.000';

describe('read API', () => {
  let client: ClickHouseClient;
  let database: string;
  let service: ReadApiService;
  let doc: Json;
  const ajv = new Ajv({ strict: false, allErrors: true });
  const key = { a: '', b: '', backOffice: '', revoked: '' };

  const insert = (table: string, values: object[]): Promise<unknown> => client.insert({ table: `${database}.${table}`, values, format: 'JSONEachRow' });

  beforeAll(async () => {
    ({ client, database } = await testClickHouse());
    await migrate(client, database);

    const folder = mkdtempSync(join(tmpdir(), 'read-api-keys-'));
    registerCleanup(async () => rmSync(folder, { recursive: true, force: true }));
    const keysFile = join(folder, 'api-keys.json');
    const a = generateApiKey(STORE_A, 'T1');
    const b = generateApiKey(STORE_B, 'T1');
    const office = generateApiKey(ANY_STORE, 'erp', new Date(), 'back-office');
    const revoked = generateApiKey(STORE_A, 'T2');
    writeKeysFile(keysFile, [a.record, b.record, office.record, { ...revoked.record, revoked_at: new Date().toISOString() }]);
    Object.assign(key, { a: a.key, b: b.key, backOffice: office.key, revoked: revoked.key });

    await insert('dim_store', [STORE_A, STORE_B].map((store_id) => ({ store_id, name: store_id, region: 'North', time_zone: 'UTC', size_class: 'SMALL', currency: 'EUR', opened_on: '2020-01-01', updated_at: GENERATED })));

    // Forecasts: A1 from two origins (only the newer, 03-14, is served), A2 from 03-14; B1 for store B.
    const forecast = (store: string, sku: string, origin: string, horizon: number, p50: number) => {
      const d = new Date(`${origin}T00:00:00Z`);
      d.setUTCDate(d.getUTCDate() + horizon);
      return { store_id: store, sku, origin_date: origin, forecast_date: d.toISOString().slice(0, 10), horizon_days: horizon, p10: p50 - 2, p50, p90: p50 + 3, model_version: 'v7', generated_at: GENERATED };
    };
    const horizons = [1, 2, 3, 4, 5, 6, 7];
    await insert('demand_forecast', [
      ...horizons.map((h) => forecast(STORE_A, 'A1', '2026-03-10', h, 100)),
      ...horizons.map((h) => forecast(STORE_A, 'A1', '2026-03-14', h, 10 + h)),
      ...horizons.map((h) => forecast(STORE_A, 'A2', '2026-03-14', h, 20 + h)),
      ...horizons.map((h) => forecast(STORE_B, 'B1', '2026-03-14', h, 5)),
    ]);

    const advice = (store: string, sku: string, asOf: string, qty: number) => ({
      store_id: store, sku, as_of_date: asOf, on_hand: 4, on_order: 0, lead_time_days: 2, review_days: 1, service_level: 0.95, demand_lead_time_mean: 12.5,
      reorder_point: 20.5, order_quantity: qty, model_version: 'v7', generated_at: GENERATED,
    }); // prettier-ignore
    await insert('reorder_recommendation', [advice(STORE_A, 'A1', '2026-03-13', 3), advice(STORE_A, 'A1', '2026-03-14', 12), advice(STORE_A, 'A2', '2026-03-14', 0), advice(STORE_B, 'B1', '2026-03-14', 7)]);

    const risk = (store: string, sku: string, value: number | null, hours: number | null, onHand: number) => ({
      store_id: store, sku, on_hand: onHand, on_hand_known: true, last_count_at: null, sales_rate_per_day: 6, hours_to_stockout: hours,
      next_delivery_expected_at: '2026-03-16 06:00:00.000', last_receipt_at: null, expected_units_to_delivery: 9, risk: value, risk_alert_open: false,
      out_of_stock: false, updated_at: '2026-03-14 18:00:00.000', version: 1,
    }); // prettier-ignore
    // A1 and A4 tie at 0.8 (ordered by sku), A2 0.3, A3 has no risk yet (not listed).
    await insert('stockout_risk', [risk(STORE_A, 'A1', 0.8, 10, 4), risk(STORE_A, 'A2', 0.3, 40, 30), risk(STORE_A, 'A3', null, null, 0), risk(STORE_A, 'A4', 0.8, 12, 5), risk(STORE_B, 'B1', 0.5, 20, 8)]);

    const alert = (store: string, id: string, state: string, at: string, version: number) => ({
      alert_id: id, state, occurred_at: at, store_id: store, sku: 'A1', terminal_id: null, alert_type: 'STOCKOUT_RISK', severity: 'WARNING', score: 0.8,
      reason: `reason ${id}`, processor: 'stock', measures: { on_hand: 4 }, version,
    }); // prettier-ignore
    await insert('alerts', [
      alert(STORE_A, 'X', 'RAISED', '2026-03-14 10:00:00.000', 1),
      alert(STORE_A, 'Y', 'RAISED', '2026-03-13 09:00:00.000', 1),
      alert(STORE_A, 'Y', 'RESOLVED', '2026-03-14 08:00:00.000', 2),
      alert(STORE_B, 'Z', 'RAISED', '2026-03-14 11:00:00.000', 1),
    ]);

    // Sales of store A (unit price 1.00): A1 10 units a day 03-08..03-14 and 30 on Tue 03-03;
    // A2 5 on Sat 03-14 and 25 on Thu 03-05.
    const sale = (sku: string, date: string, quantity: number, offset: number) => ({
      event_id: randomUUID(), line_number: 1, occurred_at: `${date} 12:00:00.000`, store_id: STORE_A, terminal_id: 'T1', transaction_id: `t${offset}`, cashier_id: 'c1',
      payment_method: 'CARD', currency: 'EUR', sku, quantity, unit_price: 100, discount: 0, net_amount: quantity * 100, promotion_id: null, source_offset: offset,
    }); // prettier-ignore
    await insert('fact_sale_lines', [
      ...[8, 9, 10, 11, 12, 13, 14].map((d, i) => sale('A1', `2026-03-${String(d).padStart(2, '0')}`, 10, i)),
      sale('A1', '2026-03-03', 30, 10),
      sale('A2', '2026-03-14', 5, 11),
      sale('A2', '2026-03-05', 25, 12),
    ]);

    const config = testConfig({ READ_API_PORT: '0', READ_API_MAX_PAGE_SIZE: '100', READ_API_CACHE_MS: '0', INGEST_API_KEYS_FILE: keysFile });
    service = await startReadApiService({ config: { ...config, clickhouse: { ...config.clickhouse, database } }, logger: testLogger(), clickhouse: client });
    registerCleanup(() => service.close());
    doc = (await (await fetch(`${service.url}/openapi.json`)).json()) as Json;
    ajv.addSchema(doc, 'openapi.json');
  });

  /** GET a path with a key (null: no Authorization header); the body is checked against the document's schema for the route and status. */
  async function get(path: string, apiKey: string | null = key.a): Promise<{ status: number; body: Json }> {
    const response = await fetch(`${service.url}${path}`, apiKey === null ? {} : { headers: { authorization: `Bearer ${apiKey}` } });
    const body = (await response.json()) as Json;
    const template = path.split('?')[0]!.replace(/^\/v1\/stores\/[^/]+/, '/v1/stores/{store_id}');
    const schema = doc.paths[template]?.get.responses[String(response.status)]?.content['application/json'].schema;
    expect([path, response.status, schema === undefined ? 'status not in the document' : 'documented']).toEqual([path, response.status, 'documented']);
    const validate = ajv.compile({ $ref: `openapi.json${schema.$ref}` });
    expect([path, validate(body) ? 'valid' : ajv.errorsText(validate.errors)]).toEqual([path, 'valid']);
    return { status: response.status, body };
  }

  /** Every page of a route, following next_cursor. */
  async function allPages(path: string, limit: number, apiKey = key.a): Promise<Json[][]> {
    const pages: Json[][] = [];
    let cursor: string | null = null;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const { status, body } = await get(`${path}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, apiKey);
      expect(status).toBe(200);
      pages.push(body.items as Json[]);
      cursor = body.next_cursor as string | null;
      expect(pages.length).toBeLessThan(20);
    } while (cursor !== null);
    return pages;
  }

  it('serves forecasts of the latest origin, filtered and paged without losing or repeating a row', async () => {
    const pages = await allPages(`/v1/stores/${STORE_A}/forecasts`, 5);
    // 14 rows (A1 and A2 x 7 days from origin 03-14): pages of 5, 5, 4.
    expect(pages.map((p) => p.length)).toEqual([5, 5, 4]);
    const rows = pages.flat();
    const expected = ['A1', 'A2'].flatMap((sku, s) => [1, 2, 3, 4, 5, 6, 7].map((h) => ({ sku, forecast_date: `2026-03-${String(14 + h).padStart(2, '0')}`, origin_date: '2026-03-14', horizon_days: h, p10: 10 * (s + 1) + h - 2, p50: 10 * (s + 1) + h, p90: 10 * (s + 1) + h + 3, model_version: 'v7' })));
    expect(rows).toEqual(expected);

    const filtered = await get(`/v1/stores/${STORE_A}/forecasts?sku=A2&from=2026-03-16&to=2026-03-17`);
    expect(filtered.body).toEqual({ store_id: STORE_A, items: [expected[8], expected[9]], next_cursor: null });
  });

  it('serves the newest reorder advice per sku', async () => {
    const { body } = await get(`/v1/stores/${STORE_A}/reorder-advice`);
    expect(body.items.map((r: Json) => [r.sku, r.as_of_date, r.order_quantity, r.reorder_point, r.on_hand])).toEqual([
      ['A1', '2026-03-14', 12, 20.5, 4],
      ['A2', '2026-03-14', 0, 20.5, 4],
    ]);
    expect(body.next_cursor).toBeNull();
  });

  it('lists at-risk products riskiest first, ties by sku, across pages, with their reorder advice', async () => {
    const pages = await allPages(`/v1/stores/${STORE_A}/at-risk`, 1);
    expect(pages.map((p) => p.length)).toEqual([1, 1, 1]);
    const rows = pages.flat();
    expect(rows.map((r) => [r.sku, r.risk, r.hours_to_stockout, r.on_hand])).toEqual([
      ['A1', 0.8, 10, 4],
      ['A4', 0.8, 12, 5],
      ['A2', 0.3, 40, 30],
    ]);
    expect(rows[0]!.reorder_advice).toEqual({ order_quantity: 12, reorder_point: 20.5, as_of_date: '2026-03-14' });
    expect(rows[1]!.reorder_advice).toBeNull(); // A4 has no advice
    const risky = await get(`/v1/stores/${STORE_A}/at-risk?min_risk=0.5`);
    expect(risky.body.items.map((r: Json) => r.sku)).toEqual(['A1', 'A4']);
  });

  it('lists open alerts by default, resolved and all on request', async () => {
    const open = await get(`/v1/stores/${STORE_A}/alerts`);
    expect(open.body.items).toEqual([
      { alert_id: 'X', alert_type: 'STOCKOUT_RISK', severity: 'WARNING', sku: 'A1', terminal_id: null, score: 0.8, reason: 'reason X', state: 'open', raised_at: '2026-03-14 10:00:00.000', resolved_at: null },
    ]);
    const resolved = await get(`/v1/stores/${STORE_A}/alerts?state=resolved`);
    expect(resolved.body.items.map((r: Json) => [r.alert_id, r.state, r.resolved_at])).toEqual([['Y', 'resolved', '2026-03-14 08:00:00.000']]);
    const all = await allPages(`/v1/stores/${STORE_A}/alerts?state=all`, 1);
    expect(all.flat().map((r) => r.alert_id)).toEqual(['X', 'Y']); // newest raised first
  });

  it('tells the insights worked out by hand from the sales', async () => {
    const { body } = await get(`/v1/stores/${STORE_A}/insights`);
    expect(body.as_of).toBe('2026-03-14');
    expect(body.items.map((i: Json) => i.text)).toEqual([
      'A1 sold 70 units in the 7 days to 2026-03-14, up 40 from 30 the 7 days before (+133%).',
      'A2 sold 5 units in the 7 days to 2026-03-14, down 20 from 25 the 7 days before (-80%).',
      // 28 days: Mon 10, Tue 40, Wed 10, Thu 35, Fri 10, Sat 15, Sun 10 = 130 units.
      'Tuesday is the busiest day (31% of the units of the 28 days to 2026-03-14); Monday the quietest (8%).',
      'Since last week: 75 units sold in the 7 days to 2026-03-14 against 55 (+36%), net sales 75.00 against 55.00 (+36%), 2 alerts raised against 0.',
    ]);
    const none = await get(`/v1/stores/${STORE_B}/insights`, key.backOffice);
    expect(none.body).toEqual({ store_id: STORE_B, as_of: null, items: [] });
  });

  it('scopes keys: a store key reads its store only, a back-office key reads both', async () => {
    expect((await get(`/v1/stores/${STORE_B}/at-risk`, key.a)).body).toMatchObject({ error: 'forbidden_store' });
    expect((await get(`/v1/stores/${STORE_B}/at-risk`, key.a)).status).toBe(403);
    expect((await get(`/v1/stores/${STORE_A}/alerts`, key.b)).status).toBe(403);
    const b = await get(`/v1/stores/${STORE_B}/at-risk`, key.b);
    expect(b.body.items.map((r: Json) => r.sku)).toEqual(['B1']);
    for (const route of ['forecasts', 'reorder-advice', 'at-risk', 'alerts', 'insights']) {
      for (const store of [STORE_A, STORE_B]) expect([route, store, (await get(`/v1/stores/${store}/${route}`, key.backOffice)).status]).toEqual([route, store, 200]);
    }
    expect((await get(`/v1/stores/${STORE_B}/alerts`, key.backOffice)).body.items.map((r: Json) => r.alert_id)).toEqual(['Z']);
  });

  it('answers 401 without a valid key and 404 for an unknown store or route', async () => {
    for (const k of [null, 'ssk_000000000000_' + '0'.repeat(64), key.revoked]) {
      const r = await get(`/v1/stores/${STORE_A}/at-risk`, k);
      expect([r.status, r.body.error]).toEqual([401, 'unauthorized']);
    }
    const unknown = await get('/v1/stores/NOPE/at-risk', key.backOffice);
    expect([unknown.status, unknown.body]).toEqual([404, { error: 'unknown_store', message: 'no store NOPE in the store master data' }]);
    expect((await get('/v1/stores/NOPE/at-risk', key.a)).status).toBe(403); // outside its scope before anything else
    const route = await fetch(`${service.url}/v1/stores/${STORE_A}/nothing`, { headers: { authorization: `Bearer ${key.a}` } });
    expect([route.status, ((await route.json()) as Json).error]).toEqual([404, 'not_found']);
  });

  it('answers 400 naming the parameter for every bad one', async () => {
    const cases: [string, string][] = [
      ['forecasts?limit=0', 'limit'],
      ['forecasts?limit=101', 'limit'],
      ['forecasts?limit=abc', 'limit'],
      ['forecasts?from=2026-02-30', 'from'],
      ['forecasts?to=tomorrow', 'to'],
      ['forecasts?from=2026-03-20&to=2026-03-10', 'from'],
      ['forecasts?sku=%27%3B%20DROP', 'sku'],
      ['forecasts?cursor=garbage!', 'cursor'],
      ['forecasts?limit=1&limit=2', 'limit'],
      ['forecasts?colour=red', 'colour'],
      ['reorder-advice?sku=', 'sku'],
      ['at-risk?min_risk=2', 'min_risk'],
      ['alerts?state=closed', 'state'],
      ['insights?limit=5', 'limit'],
    ];
    // A cursor from another route is refused too.
    const forecastCursor = (await get(`/v1/stores/${STORE_A}/forecasts?limit=1`)).body.next_cursor as string;
    cases.push([`at-risk?cursor=${forecastCursor}`, 'cursor']);
    for (const [query, parameter] of cases) {
      const { status, body } = await get(`/v1/stores/${STORE_A}/${query}`);
      expect([query, status, body.error, body.parameter]).toEqual([query, 400, 'invalid_parameter', parameter]);
      expect(body.message).toContain(parameter);
    }
  });
});
