/**
 * Master data from the chain's own systems, end to end on the real Kafka, registry and
 * ClickHouse, on stand-in topics (`<unique prefix>md.stores` ...) so the catalogue topics the
 * demo reads get nothing: a file with errors is refused row by row and publishes nothing (end
 * offsets unchanged); a clean one is published and the warehouse lands it in the dimensions;
 * ingest, which refused a sale of the new store ("publish the store first"), then accepts it,
 * and a back-office key publishes a rate and a price through the same endpoint.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin } from 'kafkajs';
import { fillCalendar } from '../../clickhouse/calendar';
import { migrate } from '../../clickhouse/migrate';
import { createSchemaRegistry } from '../../lib/clients/registry';
import { EventCodec } from '../../lib/events/codec';
import { loadCatalog, subjectFor } from '../../schemas/catalog';
import { registerSchemas } from '../../services/bootstrap/schemas';
import { ensureTopics, planTopic } from '../../services/bootstrap/topics';
import { ANY_STORE, createApiKey } from '../../services/ingest/api-keys';
import { exampleEvent } from '../../services/ingest/examples';
import { startIngestService, type IngestService } from '../../services/ingest';
import { importMasterData } from '../../services/masterdata/import';
import { describeRowIssue } from '../../services/masterdata/records';
import { WAREHOUSE_INPUTS, warehouseProcessor } from '../../streams/warehouse/warehouse';
import { registerCleanup, testAdmin, testClickHouse, testConfig, testLogger, uniqueName, waitFor } from '../harness/fixtures';
import { runInProcess } from '../harness/processor-run';

const prefix = `${uniqueName('mdi')}.`;
const tag = uniqueName('MD').toUpperCase();
const STORE = `${tag}-S1`;
// Regions outside the chain's built-in region table, named per test so other tests' stores
// cannot declare their calendar.
const ITALY = `Italy ${tag}`;
const GULF = `Saudi Arabia ${tag}`;
const SKUS = [`${tag}-SKU1`, `${tag}-SKU2`];
const dir = mkdtempSync(join(tmpdir(), 'masterdata-it-'));
const config = testConfig({ INGEST_PORT: '0', INGEST_API_KEYS_FILE: join(dir, 'api-keys.json') });
const catalog = loadCatalog()
  .filter((t) => t.schema)
  .map((t) => ({ ...t, name: prefix + t.name, subject: subjectFor(prefix + t.name) }));
const topic = (name: string): string => prefix + name;

let admin: Admin;
let service: IngestService;

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function endOffsets(name: string): Promise<number> {
  return (await admin.fetchTopicOffsets(name)).reduce((sum, p) => sum + Number(p.high), 0);
}

async function post(key: string, storeId: string, events: { type: string; event: unknown }[]): Promise<{ status: number; body: { error?: string; message?: string } }> {
  const response = await fetch(`${service.url}/v1/stores/${storeId}/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ events }),
  });
  return { status: response.status, body: (await response.json()) as { error?: string; message?: string } };
}

beforeAll(async () => {
  registerCleanup(async () => rmSync(dir, { recursive: true, force: true }));
  admin = await testAdmin(config);
  await ensureTopics(
    admin,
    catalog.map((t) => planTopic(t, config.topics)),
  );
  registerCleanup(() => admin.deleteTopics({ topics: catalog.map((t) => t.name) }));
  await registerSchemas(createSchemaRegistry(config.registry), config.registry, catalog);
  service = await startIngestService({ config, logger: testLogger(), topicPrefix: prefix });
  registerCleanup(() => service.close());
  await waitFor(() => service.masterData.loaded, { what: 'ingest to read the (empty) stand-in master data', timeoutMs: 30_000 });
});

describe('shelfstream masterdata import', () => {
  const STORES_HEADER = 'store_id,name,region,time_zone,currency,size_class,opened_on,opening_hours,vat_rate,holiday_calendar';
  const goodStore = `${STORE},Leeds Small ${STORE},United Kingdom,Europe/London,GBP,SMALL,2025-04-01,"1-6 08:00-21:00, 7 10:00-16:00",0.2,`;
  const italianStore = `${tag}-IT1,Milano ${tag},${ITALY},Europe/Rome,EUR,MEDIUM,2025-04-01,1-6 08:00-21:00,0.1,western`;
  const saudiStore = `${tag}-SA1,Riyadh ${tag},${GULF},Asia/Riyadh,SAR,LARGE,2025-04-01,1-7 08:00-23:00,0.15,muslim`;

  it('refuses a file with errors row by row and publishes nothing, not even its good rows', async () => {
    const before = await endOffsets(topic('md.stores'));
    const path = file(
      'stores-bad.csv',
      [
        STORES_HEADER,
        goodStore,
        `${tag}-S2,Nowhere,Nowhere,Mars/Olympus,GBP,SMALL,2025-04-01,1-7 08:00-21:00,0.2,western`,
        `${tag}-S3,Dear,France,Europe/Paris,EUR,SMALL,2025-04-01,1-7 08:00-21:00,20,`,
        `${tag}-S4,Porto,Portugal,Europe/Lisbon,EUR,SMALL,2025-04-01,1-7 08:00-21:00,0.06,`,
      ].join('\n'),
    );
    const outcome = await importMasterData(config, { file: path, kind: 'stores', topicPrefix: prefix });
    expect(outcome).toMatchObject({ refused: true, published: 0, rows: 4 });
    expect(outcome.issues.map(describeRowIssue)).toEqual([
      'row 2 (line 3), field time_zone: "Mars/Olympus" is not an IANA time zone (e.g. Europe/Paris)',
      'row 3 (line 4), field vat_rate: must be a fraction from 0 to below 1 (0.2 = 20%), got 20',
      expect.stringMatching(/^row 4 \(line 5\), field holiday_calendar: is required for region "Portugal", which is not in the chain's region table/),
    ]);
    expect(await endOffsets(topic('md.stores'))).toBe(before);

    // Sales of the store are still refused: it was not published.
    const till = (await createApiKey(config.ingest.apiKeysFile, STORE, 'T01')).key;
    await waitFor(async () => (await post(till, STORE, [{ type: 'pos.sales', event: exampleEvent('pos.sales', { storeId: STORE, terminalId: 'T01', skus: SKUS, occurredAt: Date.now() }) }])).status === 404, {
      what: 'ingest to know the new key and refuse the unknown store',
    });
    const refused = await post(till, STORE, [{ type: 'pos.sales', event: exampleEvent('pos.sales', { storeId: STORE, terminalId: 'T01', skus: SKUS, occurredAt: Date.now() }) }]);
    expect(refused).toEqual({ status: 404, body: expect.objectContaining({ error: 'unknown_store', message: expect.stringContaining('publish the store first') }) });
  });

  it('publishes a clean file; the warehouse lands it in the dimensions, and ingest then accepts sales of the new store', async () => {
    const stores = await importMasterData(config, { file: file('stores.csv', [STORES_HEADER, goodStore, italianStore, saudiStore].join('\n')), kind: 'stores', topicPrefix: prefix });
    expect(stores).toMatchObject({ refused: false, published: 3, issues: [] });
    const products = await importMasterData(config, {
      file: file(
        'products.json',
        JSON.stringify(SKUS.map((sku, i) => ({ sku, name: `Tea ${i}`, category: 'Beverages', brand: 'Leaf', unit_cost: 120 + i, price: 249, currency: 'GBP', perishable: false }))),
      ),
      kind: 'products',
      topicPrefix: prefix,
    });
    expect(products).toMatchObject({ refused: false, published: 2 });
    const rates = await importMasterData(config, {
      file: file('rates.csv', 'currency,base_currency,rate_date,rate,source\nGBP,EUR,2026-03-16,0.8512,ECB\nGBP,EUR,2026-03-17,0.8498,ECB\n'),
      kind: 'rates',
      topicPrefix: prefix,
    });
    expect(rates).toMatchObject({ refused: false, published: 2 });

    // Ingest follows the stand-in md.stores: the sale that was refused is accepted now.
    await waitFor(() => service.masterData.hasStore(STORE) && SKUS.every((s) => service.masterData.hasSku(s)), { what: 'ingest to learn the imported store and products', timeoutMs: 30_000 });
    const till = (await createApiKey(config.ingest.apiKeysFile, STORE, 'T02')).key;
    const sale = exampleEvent('pos.sales', { storeId: STORE, terminalId: 'T02', skus: SKUS, occurredAt: Date.now() });
    const accepted = await waitFor(async () => {
      const r = await post(till, STORE, [{ type: 'pos.sales', event: sale }]);
      return r.status === 202 ? r : r.status === 401 ? undefined : r; // 401 until the key file is re-read
    }, { what: 'the sale of the new store to be answered' });
    expect(accepted.status).toBe(202);

    // A back-office key publishes a corrected rate and a price of the new store through the same endpoint.
    const office = (await createApiKey(config.ingest.apiKeysFile, ANY_STORE, 'TREASURY', 'back-office')).key;
    const correction = { currency: 'GBP', base_currency: 'EUR', rate_date: Date.UTC(2026, 2, 17) / 86_400_000, rate: 0.85, source: 'ECB correction', updated_at: Date.now() };
    const price = { event_id: randomUUID(), occurred_at: Date.now(), store_id: STORE, sku: SKUS[0], old_price: 249, new_price: 229, currency: 'GBP', effective_at: Date.now() };
    const published = await waitFor(async () => {
      const r = await post(office, STORE, [
        { type: 'md.exchange-rates', event: correction },
        { type: 'pricing.prices', event: price },
      ]);
      return r.status === 401 ? undefined : r;
    }, { what: 'the back-office request to be answered' });
    expect(published.status).toBe(202);

    const { client, database } = await testClickHouse(config);
    await migrate(client, database);
    const topics = Object.fromEntries(WAREHOUSE_INPUTS.map((t) => [t, topic(t)]));
    const codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, catalog);
    await runInProcess(warehouseProcessor({ topics }), { config, codec, clickhouse: client, database, deadLetterTopic: topic('shelfstream.dead-letter'), groupId: uniqueName('mdi-wh') });

    const query = async <T>(sql: string): Promise<T[]> => (await client.query({ query: sql, format: 'JSONEachRow' })).json<T>();
    expect(await query(`SELECT store_id, region, time_zone, currency, opened_on, vat_rate, holiday_calendar FROM ${database}.dim_store FINAL ORDER BY store_id`)).toEqual([
      { store_id: `${tag}-IT1`, region: ITALY, time_zone: 'Europe/Rome', currency: 'EUR', opened_on: '2025-04-01', vat_rate: 0.1, holiday_calendar: 'western' },
      { store_id: STORE, region: 'United Kingdom', time_zone: 'Europe/London', currency: 'GBP', opened_on: '2025-04-01', vat_rate: 0.2, holiday_calendar: '' },
      { store_id: `${tag}-SA1`, region: GULF, time_zone: 'Asia/Riyadh', currency: 'SAR', opened_on: '2025-04-01', vat_rate: 0.15, holiday_calendar: 'muslim' },
    ]);
    // The imported regions keep holidays from the moment their stores land, with no init run
    // since (the calendar was filled before they existed). Published dates: Easter Sunday 5 April
    // 2026, Ramadan 1447 from 18 February to 19 March, Eid al-Fitr 20 March; 2026-03-02 is a
    // Monday of Ramadan and of no western holiday.
    await fillCalendar(client, database, '2026-02-01', '2026-04-30');
    const holidays = await query<{ region: string; date: string; holiday_name: string; store_closed: boolean }>(
      `SELECT region, date, holiday_name, store_closed FROM ${database}.bi_holidays
       WHERE region IN ('${ITALY}', '${GULF}', 'United Kingdom') AND date IN ('2026-03-02', '2026-03-20', '2026-04-05') ORDER BY region, date, holiday_name`,
    );
    expect(holidays).toEqual([
      { region: ITALY, date: '2026-03-20', holiday_name: 'Eid al-Fitr', store_closed: false },
      { region: ITALY, date: '2026-04-05', holiday_name: 'Easter Sunday', store_closed: true },
      { region: GULF, date: '2026-03-02', holiday_name: 'Ramadan', store_closed: false },
      { region: GULF, date: '2026-03-20', holiday_name: 'Eid al-Fitr', store_closed: false },
      { region: 'United Kingdom', date: '2026-03-20', holiday_name: 'Eid al-Fitr', store_closed: false },
      { region: 'United Kingdom', date: '2026-04-05', holiday_name: 'Easter Sunday', store_closed: true },
    ]);
    expect(await query(`SELECT sku, unit_cost, price FROM ${database}.dim_product FINAL ORDER BY sku`)).toEqual(SKUS.map((sku, i) => ({ sku, unit_cost: 120 + i, price: 249 })));
    // The treasury's correction of the 17th replaced the imported rate of that day.
    expect(await query(`SELECT rate_date, rate, source FROM ${database}.dim_exchange_rate FINAL ORDER BY rate_date`)).toEqual([
      { rate_date: '2026-03-16', rate: 0.8512, source: 'ECB' },
      { rate_date: '2026-03-17', rate: 0.85, source: 'ECB correction' },
    ]);
    expect(await query(`SELECT store_id, sku, old_price, new_price FROM ${database}.fact_price_changes FINAL`)).toEqual([{ store_id: STORE, sku: SKUS[0], old_price: 249, new_price: 229 }]);
    expect(await query(`SELECT toString(event_id) AS event_id FROM ${database}.fact_sale_lines FINAL LIMIT 1`)).toEqual([{ event_id: sale.event_id }]);
  });
});
