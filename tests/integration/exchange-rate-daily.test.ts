/**
 * exchange_rate_daily read from the table a refreshable materialized view rewrites (migration
 * 0049): rates published to Kafka and landed by the real warehouse processor, then a late rate, a
 * corrected rate, a longer calendar and another reporting currency. Right after each writer
 * returns (no polling: the writers refresh the table before they return), the rows the BI views
 * read equal the rows of 0030's definition on the same data (exchange_rate_daily_computed, EXCEPT
 * both ways), and the changed days equal figures computed by hand. A rate written by hand, by no
 * writer, shows within the refresh period.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { fillCalendar } from '../../clickhouse/calendar';
import { migrate } from '../../clickhouse/migrate';
import { applyReportingCurrency } from '../../clickhouse/reporting-currency';
import { createKafka, createProducer, type IdempotentProducer } from '../../lib/clients/kafka';
import { createSchemaRegistry } from '../../lib/clients/registry';
import { EventCodec } from '../../lib/events/codec';
import { loadCatalog } from '../../schemas/catalog';
import type { ExchangeRate } from '../../schemas/generated/events';
import { WAREHOUSE_INPUTS, warehouseProcessor } from '../../streams/warehouse/warehouse';
import { createTestTopic, registerCleanup, testAdmin, testClickHouse, testConfig, testLogger, uniqueName } from '../harness/fixtures';
import { exchangeRateDifferences, testExchangeRate, waitForExchangeRates } from '../harness/exchange-rates';
import { runInProcess } from '../harness/processor-run';


interface Answer {
  currency: string;
  business_date: string;
  rate: number;
  rate_date: string;
  days_carried: number;
  reporting_currency: string;
  to_reporting: number | null;
}

describe('exchange_rate_daily refreshed from its inputs (0049)', () => {
  const config = testConfig();
  let client: ClickHouseClient;
  let database: string;
  let codec: EventCodec;
  let producer: IdempotentProducer;
  let topics: Record<string, string>;
  let deadLetter: string;
  const group = uniqueName('test.rates-wh');

  const query = async <T>(sql: string): Promise<T[]> => (await client.query({ query: sql, format: 'JSONEachRow' })).json<T>();
  const rate = testExchangeRate;
  /** Publishes rates and lets the warehouse land them (and refresh the table), as `run all` does. */
  const landThroughWarehouse = async (rates: readonly ExchangeRate[]): Promise<void> => {
    await producer.send({ topic: topics['md.exchange-rates']!, acks: -1, messages: rates.map((r) => ({ key: `${r.currency}:${r.rate_date}`, value: codec.encode('md.exchange-rates', r) })) });
    await runInProcess(warehouseProcessor({ topics }), { config, codec, clickhouse: client, database, deadLetterTopic: deadLetter, groupId: group });
  };
  const ask = async (currency: string, date: string): Promise<Answer | undefined> =>
    (await query<Answer>(`SELECT * FROM ${database}.exchange_rate_daily WHERE currency = '${currency}' AND business_date = '${date}'`))[0];
  /** Rows of the table the old view would not give, and the reverse: both 0 when they agree. */
  const differences = (): Promise<[number, number]> => exchangeRateDifferences(client, database);

  beforeAll(async () => {
    ({ client, database } = await testClickHouse(config));
    await migrate(client, database);
    await fillCalendar(client, database, '2026-03-01', '2026-03-20');
    await applyReportingCurrency(client, database, 'EUR');
    const admin = await testAdmin(config);
    topics = {};
    for (const input of WAREHOUSE_INPUTS) topics[input] = await createTestTopic(admin, { prefix: `rates-${input.replace('.', '-')}` });
    deadLetter = await createTestTopic(admin, { prefix: 'rates-dead-letter' });
    codec = await EventCodec.create(createSchemaRegistry(config.registry), config.registry, loadCatalog());
    producer = createProducer(createKafka(config.kafka, testLogger(), 'test'));
    await producer.connect();
    registerCleanup(() => producer.disconnect());
  });

  it('holds the rows of the old definition after the warehouse lands rates, a late rate and a corrected one', async () => {
    await landThroughWarehouse([rate('GBP', '2026-03-05', 0.85, Date.UTC(2026, 2, 5)), rate('USD', '2026-03-06', 1.1, Date.UTC(2026, 2, 6))]);
    expect(await differences()).toEqual([0, 0]);
    // Carried two days from 5 March; EUR is the unpublished base (1): 1 / 0.85 to the euro.
    expect(await ask('GBP', '2026-03-07')).toMatchObject({ rate: 0.85, rate_date: '2026-03-05', days_carried: 2, reporting_currency: 'EUR' });
    expect((await ask('GBP', '2026-03-07'))!.to_reporting).toBeCloseTo(1 / 0.85, 12);
    expect(await ask('GBP', '2026-03-04')).toBeUndefined();

    // A late rate (3 March, before the first) and a correction of 5 March published later.
    await landThroughWarehouse([rate('GBP', '2026-03-03', 0.8, Date.UTC(2026, 2, 8)), rate('GBP', '2026-03-05', 0.9, Date.UTC(2026, 2, 9))]);
    expect(await differences()).toEqual([0, 0]);
    expect(await ask('GBP', '2026-03-04')).toMatchObject({ rate: 0.8, rate_date: '2026-03-03', days_carried: 1 });
    expect(await ask('GBP', '2026-03-07')).toMatchObject({ rate: 0.9, rate_date: '2026-03-05', days_carried: 2 });
    expect((await ask('GBP', '2026-03-07'))!.to_reporting).toBeCloseTo(1 / 0.9, 12);
  });

  it('follows a longer calendar and another reporting currency', async () => {
    await fillCalendar(client, database, '2026-03-01', '2026-03-25');
    expect(await differences()).toEqual([0, 0]);
    expect(await ask('GBP', '2026-03-24')).toMatchObject({ rate: 0.9, rate_date: '2026-03-05', days_carried: 19 });

    await applyReportingCurrency(client, database, 'USD');
    expect(await differences()).toEqual([0, 0]);
    // Both against the euro on 7 March: 1.10 dollars and 0.90 pounds.
    const gbp = await ask('GBP', '2026-03-07');
    expect(gbp).toMatchObject({ reporting_currency: 'USD' });
    expect(gbp!.to_reporting).toBeCloseTo(1.1 / 0.9, 12);
    // No dollar rate before 6 March: no factor, as before.
    expect((await ask('GBP', '2026-03-04'))!.to_reporting).toBeNull();
  });

  it('shows a rate written by hand, by no writer, within the refresh period', async () => {
    await client.insert({
      table: `${database}.dim_exchange_rate`,
      values: [{ currency: 'GBP', base_currency: 'EUR', rate_date: '2026-03-20', rate: 0.95, source: 'test', updated_at: '2026-03-20 00:00:00.000' }],
      format: 'JSONEachRow',
    });
    await waitForExchangeRates(client, database);
    // Reporting in dollars (1.10 from 6 March): 1.10 / 0.95 from the 20th on.
    expect(await ask('GBP', '2026-03-22')).toMatchObject({ rate: 0.95, rate_date: '2026-03-20', days_carried: 2 });
    expect((await ask('GBP', '2026-03-22'))!.to_reporting).toBeCloseTo(1.1 / 0.95, 12);
  });
});
