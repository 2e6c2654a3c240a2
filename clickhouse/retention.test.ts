import { retentionStatements, ttlDays } from './retention';

const retention = { factDays: 90, velocityDays: 30, alertsDays: 180, rollupDays: 1000 };

describe('retentionStatements', () => {
  it('fills the configured days per kind of table', () => {
    const statements = retentionStatements('shop', retention);
    const days = Object.fromEntries(statements.map((s) => [s.table, s.days]));
    expect(days).toMatchObject({ fact_sale_lines: 90, fact_inventory_movements: 90, sales_velocity_1m: 30, alerts: 180, sales_hourly_store_sku: 1000, sales_daily_store: 1000 });
    expect(statements.find((s) => s.table === 'fact_voids')!.sql).toBe('ALTER TABLE shop.fact_voids MODIFY TTL toDateTime(occurred_at) + INTERVAL 90 DAY');
  });

  it('refuses a statement it cannot compare with the table', () => {
    expect(() => retentionStatements('shop', retention, 'ALTER TABLE ${database}.t DELETE WHERE 1;')).toThrow(/MODIFY TTL/);
  });
});

describe('ttlDays', () => {
  it('reads the days from the TTL clause ClickHouse reports', () => {
    expect(ttlDays("CREATE TABLE db.t (`d` Date) ENGINE = MergeTree ORDER BY d TTL d + toIntervalDay(730) SETTINGS index_granularity = 8192")).toBe(730);
    expect(ttlDays('CREATE TABLE db.t (`d` Date) ENGINE = MergeTree ORDER BY d SETTINGS index_granularity = 8192')).toBeUndefined();
  });
});
