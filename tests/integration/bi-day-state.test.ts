/**
 * Migration 0015: days_clean and days_open_from read from days_state, the per store x business
 * day maxima kept by materialized views on days_closed and days_touched. Closings and touches
 * are written here by hand (as the closing job and the facts' materialized view write them), and
 * the expected clean days and open boundary are worked out by hand from the rule of 0010: a
 * closed day is clean when no UTC date around it was touched after its last closing; the views
 * read facts from the day before the earliest day that is not clean.
 */
import { loadMigrations, migrate } from '../../clickhouse/migrate';
import type { ClickHouseClient } from '../../lib/clients/clickhouse';
import { testClickHouse } from '../harness/fixtures';

const T5 = '2026-03-10 05:00:00.000';
const T10 = '2026-03-10 10:00:00.000';
const T20 = '2026-03-10 20:00:00.000';
const T30 = '2026-03-10 23:00:00.000';
const T1 = '2026-03-10 01:00:00.000';

describe('BI day state (migration 0015)', () => {
  let client: ClickHouseClient;
  let database: string;

  beforeAll(async () => {
    ({ client, database } = await testClickHouse());
    await migrate(client, database);
  });

  const closeDays = (store: string, days: readonly string[], closedAt: string) =>
    client.insert({ table: `${database}.days_closed`, values: days.map((d) => ({ fact: 'sales', store_id: store, business_date: d, day_start_utc: `${d} 00:00:00`, day_end_utc: `${d} 00:00:00`, closed_at: closedAt })), format: 'JSONEachRow' });
  const touch = (store: string, utcDates: readonly string[], at: string) =>
    client.insert({ table: `${database}.days_touched`, values: utcDates.map((d) => ({ fact: 'sales', store_id: store, utc_date: d, touched_at: at })), format: 'JSONEachRow' });
  async function clean(): Promise<string[]> {
    const rows = await (await client.query({ query: `SELECT store_id, business_date FROM ${database}.days_clean WHERE fact = 'sales' ORDER BY store_id, business_date`, format: 'JSONEachRow' })).json<{ store_id: string; business_date: string }>();
    return rows.map((r) => `${r.store_id} ${r.business_date}`);
  }
  async function openFrom(): Promise<string | undefined> {
    const rows = await (await client.query({ query: `SELECT toString(open_from) AS at FROM ${database}.days_open_from WHERE fact = 'sales'`, format: 'JSONEachRow' })).json<{ at: string }>();
    return rows[0]?.at;
  }

  it('has no boundary before anything is touched', async () => {
    expect(await clean()).toEqual([]);
    expect(await openFrom()).toBeUndefined();
  });

  it('follows closings, late touches, re-closings and repeated inserts', async () => {
    // A: days 1-5 closed at T10, facts touched at T5 on UTC dates 1-6 (the 6th is open).
    await touch('A', ['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04', '2026-03-05', '2026-03-06'], T5);
    await closeDays('A', ['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04', '2026-03-05'], T10);
    // B: days 1-3 closed, touched before; C: touched on the 4th, never closed.
    await touch('B', ['2026-03-01', '2026-03-02', '2026-03-03'], T5);
    await closeDays('B', ['2026-03-01', '2026-03-02', '2026-03-03'], T10);
    await touch('C', ['2026-03-04'], T5);
    const allClean = ['A 2026-03-01', 'A 2026-03-02', 'A 2026-03-03', 'A 2026-03-04', 'A 2026-03-05', 'B 2026-03-01', 'B 2026-03-02', 'B 2026-03-03'];
    expect(await clean()).toEqual(allClean);
    // First open day: A the 6th (after its last closed), B the 4th, C the 4th (its first
    // touched date); the boundary is a day before the earliest: the 3rd.
    expect(await openFrom()).toBe('2026-03-03 00:00:00');

    // A late event on A's UTC 2nd, after the closing: business days 1, 2 and 3 are dirty.
    await touch('A', ['2026-03-02'], T20);
    expect(await clean()).toEqual(['A 2026-03-04', 'A 2026-03-05', 'B 2026-03-01', 'B 2026-03-02', 'B 2026-03-03']);
    expect(await openFrom()).toBe('2026-02-28 00:00:00');

    // Closed again after it: clean again. An older closing arriving late and the same
    // closing inserted twice change nothing (the latest closing counts).
    await closeDays('A', ['2026-03-01', '2026-03-02', '2026-03-03'], T30);
    await closeDays('A', ['2026-03-01', '2026-03-02', '2026-03-03'], T30);
    await closeDays('A', ['2026-03-01'], T1);
    expect(await clean()).toEqual(allClean);
    expect(await openFrom()).toBe('2026-03-03 00:00:00');
  });

  it('counts what was in days_closed and days_touched before the migration', async () => {
    // The backfill of 0015 over rows written before it: a database migrated up to 0014 first.
    const { client: other, database: older } = await testClickHouse();
    await migrate(other, older, loadMigrations().filter((m) => m.version < 15));
    await other.insert({ table: `${older}.days_touched`, values: [{ fact: 'sales', store_id: 'A', utc_date: '2026-03-01', touched_at: T5 }], format: 'JSONEachRow' });
    await other.insert({ table: `${older}.days_closed`, values: [{ fact: 'sales', store_id: 'A', business_date: '2026-03-01', day_start_utc: '2026-03-01 00:00:00', day_end_utc: '2026-03-02 00:00:00', closed_at: T10 }], format: 'JSONEachRow' });
    await migrate(other, older);
    const rows = await (await other.query({ query: `SELECT store_id, business_date FROM ${older}.days_clean`, format: 'JSONEachRow' })).json<{ store_id: string; business_date: string }>();
    expect(rows).toEqual([{ store_id: 'A', business_date: '2026-03-01' }]);
    // A's first open day is the 2nd: the boundary the 1st.
    const [boundary] = await (await other.query({ query: `SELECT toString(open_from) AS at FROM ${older}.days_open_from`, format: 'JSONEachRow' })).json<{ at: string }>();
    expect(boundary?.at).toBe('2026-03-01 00:00:00');
  });
});
