/**
 * Model monitoring against real ClickHouse (migrated as init does) and a real Kafka topic read
 * back through the schema registry: the drift check on forecasts and actuals written by hand,
 * whose shift is known by construction, and the monitoring views on hand-computed cases.
 */
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Admin } from 'kafkajs';
import { migrate } from '../../clickhouse/migrate';
import { createKafka } from '../../lib/clients/kafka';
import type { Config } from '../../lib/config';
import type { Alert } from '../../schemas/generated/events';
import { driftCheck, driftAlertId } from '../../services/forecast/drift-check';
import { openAlertsPublisher } from '../../services/forecast/drift-alerts';
import { createTestTopic, registerCleanup, testAdmin, testClickHouse, testConfig, testLogger, uniqueName, waitFor } from '../harness/fixtures';

const DAY = 86_400_000;
const iso = (day: number): string => new Date(day * DAY).toISOString().slice(0, 10);
const FIRST = Date.parse('2026-01-18T00:00:00Z') / DAY; // reference 2026-01-18 .. 2026-03-14, recent 2026-03-15 .. 2026-03-28
const AS_OF = FIRST + 69;
const STORES = 10;
const SKUS_PER_CATEGORY = 5;
const CATEGORIES = ['Beverages', 'Dairy'] as const;
/** Beverages sell 40% above their forecast from this day on; Dairy as forecast. */
const SHIFT_FROM = FIRST + 56;

let config: Config;
let client: ClickHouseClient;
let database: string;
let admin: Admin;

beforeAll(async () => {
  config = testConfig();
  ({ client, database } = await testClickHouse(config));
  await migrate(client, database);
  admin = await testAdmin(config);
});

/** Forecast P50 of a store x sku x day: 10 units, a weekly pattern; units sold: P50 x (1 + noise), +40% for shifted days. */
function rows(shiftFactor: (category: string, day: number) => number, refreshedAt: string) {
  const forecasts: unknown[][] = [];
  const daily: unknown[][] = [];
  for (let day = FIRST; day <= AS_OF + 2; day++) {
    CATEGORIES.forEach((category, c) => {
      for (let store = 0; store < STORES; store++) {
        for (let k = 0; k < SKUS_PER_CATEGORY; k++) {
          const sku = `SKU${c}${k}`;
          const p50 = 10 + ((day + k) % 7);
          const noise = (((day * 7 + store * 3 + k * 5) % 11) - 5) / 25; // -20% .. +20%
          const units = Math.round(p50 * (1 + noise) * shiftFactor(category, day));
          forecasts.push([`S${store}`, sku, iso(day - 1), iso(day), 1, p50 * 0.6, p50, p50 * 1.4, 'v0001', '2026-03-01 00:00:00.000']);
          daily.push([`S${store}`, sku, iso(day), units, false, refreshedAt]);
        }
      }
    });
  }
  return { forecasts, daily };
}

async function write(data: { forecasts: unknown[][]; daily: unknown[][] }): Promise<void> {
  await client.insert({ table: `${database}.demand_forecast`, columns: ['store_id', 'sku', 'origin_date', 'forecast_date', 'horizon_days', 'p10', 'p50', 'p90', 'model_version', 'generated_at'], values: data.forecasts, format: 'JSONCompactEachRow' });
  await client.insert({ table: `${database}.demand_daily`, columns: ['store_id', 'sku', 'sales_date', 'units', 'stockout', 'refreshed_at'], values: data.daily, format: 'JSONCompactEachRow' });
}

describe('model drift', () => {
  it('raises MODEL_DRIFT for the category whose sales stepped away from the forecast, keeps it open, and resolves it once they are back', async () => {
    const products = CATEGORIES.flatMap((category, c) => Array.from({ length: SKUS_PER_CATEGORY }, (_, k) => [`SKU${c}${k}`, `item ${k}`, category, 'b', 100, 200, 'EUR', false, null, '2026-01-01 00:00:00.000']));
    await client.insert({ table: `${database}.dim_product`, columns: ['sku', 'name', 'category', 'brand', 'unit_cost', 'price', 'currency', 'perishable', 'shelf_life_days', 'updated_at'], values: products, format: 'JSONCompactEachRow' });
    await write(rows((category, day) => (category === 'Beverages' && day >= SHIFT_FROM ? 1.4 : 1), '2026-03-01 00:00:00.000'));

    const topic = await createTestTopic(admin, { prefix: 'drift-alerts' });
    const alerts = await openAlertsPublisher(config, topic);
    registerCleanup(() => alerts.close());
    const deps = { client, database, publishAlerts: alerts.publishAlerts };
    const policy = { psiThreshold: 0.25, minStep: 0.15, recentDays: 14, referenceDays: 56 };

    const first = await driftCheck(deps, iso(AS_OF), policy);
    expect(first.windows).toEqual({ referenceFrom: iso(FIRST), referenceTo: iso(SHIFT_FROM - 1), recentFrom: iso(SHIFT_FROM), recentTo: iso(AS_OF) });
    expect(first.drifted).toEqual(['Beverages']);
    expect(first.raised).toEqual(['Beverages']);

    // Still drifting a day later: the same alert stays open, nothing new is raised.
    const second = await driftCheck(deps, iso(AS_OF + 1), policy);
    expect(second.drifted).toEqual(['Beverages']);
    expect(second.raised).toEqual([]);

    // The actuals of the recent weeks corrected back to the forecast (a late correction of the facts): resolved.
    await write(rows(() => 1, '2026-03-30 00:00:00.000'));
    const third = await driftCheck(deps, iso(AS_OF + 2), policy);
    expect(third.drifted).toEqual([]);
    expect(third.resolved).toEqual(['Beverages']);

    const view = await (
      await client.query({
        query: `SELECT toString(as_of_date) AS as_of_date, category, measure, drifted, alert_id, recent_points, reference_points, round(recent_mean - reference_mean, 2) AS bias_step FROM ${database}.bi_model_drift WHERE measure = 'forecast_error' ORDER BY as_of_date, category`,
        format: 'JSONEachRow',
      })
    ).json<{ as_of_date: string; category: string; drifted: boolean; alert_id: string; recent_points: number; reference_points: number; bias_step: number }>();
    const id = driftAlertId('Beverages', iso(AS_OF));
    expect(view.map((r) => [r.as_of_date, r.category, r.drifted, r.alert_id])).toEqual([
      [iso(AS_OF), 'Beverages', true, id],
      [iso(AS_OF), 'Dairy', false, ''],
      [iso(AS_OF + 1), 'Beverages', true, id],
      [iso(AS_OF + 1), 'Dairy', false, ''],
      [iso(AS_OF + 2), 'Beverages', false, ''],
      [iso(AS_OF + 2), 'Dairy', false, ''],
    ]);
    // one point per store x category x day: 10 stores x 14 recent days, x 56 reference days
    expect(view[0]).toMatchObject({ recent_points: 140, reference_points: 560 });
    expect(view[0]!.bias_step).toBeCloseTo(0.4, 1);

    // What the alerts topic holds, decoded by a registry client of its own: a RAISED then a RESOLVED, same id, no store.
    const registry = new SchemaRegistry({ host: config.registry.url });
    const kafka = createKafka(config.kafka, testLogger(), 'test');
    const reader = kafka.consumer({ groupId: uniqueName('drift-reader') });
    await reader.connect();
    registerCleanup(() => reader.disconnect());
    await reader.subscribe({ topic, fromBeginning: true });
    const read: { key: string; alert: Alert }[] = [];
    await reader.run({ eachMessage: async ({ message }) => void read.push({ key: message.key?.toString() ?? '', alert: (await registry.decode(message.value!)) as Alert }) });
    await waitFor(() => read.length >= 2, { timeoutMs: 30_000, what: 'two drift alerts on the topic' });
    expect(read.map((r) => [r.key, r.alert.alert_id, r.alert.state, r.alert.alert_type, r.alert.store_id, r.alert.processor])).toEqual([
      ['', id, 'RAISED', 'MODEL_DRIFT', '', 'forecast'],
      ['', id, 'RESOLVED', 'MODEL_DRIFT', '', 'forecast'],
    ]);
    expect(read[0]!.alert.reason).toMatch(/Beverages drifted: PSI \d+\.\d\d \(threshold 0\.25\)/);
    expect(read[0]!.alert.measures.recent_bias! - read[0]!.alert.measures.reference_bias!).toBeCloseTo(0.4, 1);
  });
});

describe('monitoring views', () => {
  it('bi_forecast_accuracy_weekly scores a hand-computed week, leaving stock-out days out', async () => {
    const db = uniqueName('acc', '_');
    await client.command({ query: `CREATE DATABASE ${db}` });
    registerCleanup(() => client.command({ query: `DROP DATABASE IF EXISTS ${db}` }));
    await migrate(client, db);
    await client.insert({ table: `${db}.dim_product`, columns: ['sku', 'name', 'category', 'brand', 'unit_cost', 'price', 'currency', 'perishable', 'shelf_life_days', 'updated_at'], values: [['A', 'a', 'Dairy', 'b', 1, 2, 'EUR', false, null, '2026-01-01 00:00:00.000']], format: 'JSONCompactEachRow' });
    // Monday 2026-03-02 .. Wednesday: forecasts 10, 10, 10 (P10 8, P90 12); sold 12, 7, 0 (the last a stock-out)
    const f = [['2026-03-02', 10], ['2026-03-03', 10], ['2026-03-04', 10]].map(([d]) => ['S1', 'A', '2026-03-01', d, 1, 8, 10, 12, 'v1', '2026-03-01 00:00:00.000']);
    await client.insert({ table: `${db}.demand_forecast`, columns: ['store_id', 'sku', 'origin_date', 'forecast_date', 'horizon_days', 'p10', 'p50', 'p90', 'model_version', 'generated_at'], values: f, format: 'JSONCompactEachRow' });
    const a = [['S1', 'A', '2026-03-02', 12, false, '2026-03-05 00:00:00.000'], ['S1', 'A', '2026-03-03', 7, false, '2026-03-05 00:00:00.000'], ['S1', 'A', '2026-03-04', 0, true, '2026-03-05 00:00:00.000']];
    await client.insert({ table: `${db}.demand_daily`, columns: ['store_id', 'sku', 'sales_date', 'units', 'stockout', 'refreshed_at'], values: a, format: 'JSONCompactEachRow' });
    const [week] = await (await client.query({ query: `SELECT toString(week_start) AS week_start, category, points, units_sold, wape, bias, coverage_p10_p90 FROM ${db}.bi_forecast_accuracy_weekly`, format: 'JSONEachRow' })).json<Record<string, unknown>>();
    // two days scored: |12-10| + |7-10| = 5 over 19 sold; bias (20 - 19) / 19; inside [8, 12]: 12 yes, 7 no
    expect(week).toEqual({ week_start: '2026-03-02', category: 'Dairy', points: 2, units_sold: 19, wape: 5 / 19, bias: 1 / 19, coverage_p10_p90: 0.5 });
  });

  it('bi_model_runs lists every run with its duration and which model became champion', async () => {
    const run = (id: string, forecaster: string, accepted: boolean) => [id, 'TRAIN', forecaster === 'global_mlp' ? 'v0002' : '', forecaster, 'all', 0.3, 0.8, 0.01, 1.2, 0.79, 1000, 4, accepted, '2025-03-01', '2026-02-28', '2026-03-01 02:00:00.000', '2026-03-01 02:07:30.500'];
    await client.insert({
      table: `${database}.model_run`,
      columns: ['run_id', 'run_type', 'model_version', 'forecaster', 'segment', 'wape', 'mase', 'bias', 'pinball', 'coverage_p10_p90', 'points', 'origins', 'accepted', 'data_from', 'data_to', 'started_at', 'finished_at'],
      values: [run('r1', 'global_mlp', true), run('r1', 'seasonal_naive', false)],
      format: 'JSONCompactEachRow',
    });
    const runs = await (await client.query({ query: `SELECT forecaster, model_version, champion, duration_s, toTypeName(points) AS points_type FROM ${database}.bi_model_runs WHERE run_id = 'r1' ORDER BY forecaster`, format: 'JSONEachRow' })).json<Record<string, unknown>>();
    expect(runs).toEqual([
      { forecaster: 'global_mlp', model_version: 'v0002', champion: true, duration_s: 450.5, points_type: 'Int64' },
      { forecaster: 'seasonal_naive', model_version: '', champion: false, duration_s: 450.5, points_type: 'Int64' },
    ]);
  });
});
