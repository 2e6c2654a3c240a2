/**
 * Simulated history in an embedded ClickHouse, for the quality test and the benchmark: the POS
 * simulator's events become fact and dimension rows through the warehouse processor's own row
 * logic (warehouseRows), are inserted into tables created by the real migrations, and the
 * calendar is filled as `shelfstream init` fills it. The simulator's ground truth (true daily
 * demand, stock-out intervals) comes back beside it for scoring.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { fillCalendar } from '../../clickhouse/calendar';
import { migrate } from '../../clickhouse/migrate';
import type { Actuals } from '../../services/forecast/backtest';
import { type Panel, dayNumber } from '../../services/forecast/features';
import { WAREHOUSE_INPUTS, warehouseRows } from '../../streams/warehouse/warehouse';
import type { DailyDemandRow, StockoutRow } from '../pos/ground-truth';
import type { SimulationOptions } from '../pos/options';
import { type HourBatch, PosSimulator } from '../pos/simulator';

export interface SimulatedHistory {
  readonly sim: PosSimulator;
  readonly daily: DailyDemandRow[];
  readonly stockouts: StockoutRow[];
  readonly rows: number;
}

/** Rows buffered before an insert; large batches keep chDB's per-insert cost (parts, dedup hashes) small. */
const FLUSH_ROWS = 400_000;

/**
 * The simulator's hours as warehouse rows in `database`, buffered and inserted in large batches.
 *
 * Rows go in as JSONCompactEachRow (chDB parses it about twice as fast as JSONEachRow), and each
 * insert runs while the simulator produces the next batch: chDB works on its own threads, so
 * awaiting every insert left the main thread idle most of the load (a CPU profile of 10 stores x
 * 500 skus x 7 days: 6 s of 7 idle). At most one insert is in flight.
 */
export class WarehouseLoader {
  private pending = new Map<string, Record<string, unknown>[]>();
  private buffered = 0;
  private inFlight: Promise<void> = Promise.resolve();
  private readonly offsets = new Map<string, number>();
  /** Rows handed to ClickHouse so far. */
  rows = 0;
  private readonly out = {
    emit: (table: string, row: Record<string, unknown>): void => {
      (this.pending.get(table) ?? this.pending.set(table, []).get(table)!).push(row);
      this.buffered++;
    },
    publish(): void {
      throw new Error('the warehouse publishes nothing');
    },
    deliver(): void {
      throw new Error('the warehouse delivers nothing');
    },
  };

  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
  ) {}

  masterData(sim: PosSimulator): void {
    const master = sim.masterData();
    for (const topic of ['md.stores', 'md.products', 'md.exchange-rates'] as const) for (const v of master[topic]) warehouseRows(topic, v, 0, this.out);
  }

  /** Buffers an hour's rows; inserts when enough are buffered. */
  async hour(batch: HourBatch): Promise<void> {
    for (const topic of WAREHOUSE_INPUTS) {
      if (topic === 'md.stores' || topic === 'md.products' || topic === 'md.exchange-rates') continue;
      for (const value of batch.events[topic]) {
        const offset = this.offsets.get(topic) ?? 0;
        this.offsets.set(topic, offset + 1);
        warehouseRows(topic, value, offset, this.out);
      }
    }
    if (this.buffered >= FLUSH_ROWS) await this.flush();
  }

  /** Inserts what is buffered and waits until every row is in. */
  async drain(): Promise<void> {
    await this.flush();
    await this.inFlight;
  }

  private async flush(): Promise<void> {
    await this.inFlight;
    const batch = this.pending;
    this.rows += this.buffered;
    this.pending = new Map();
    this.buffered = 0;
    this.inFlight = this.insertAll(batch);
    // a failed insert must surface at the next await, not as an unhandled rejection meanwhile
    this.inFlight.catch(() => undefined);
  }

  private async insertAll(batch: Map<string, Record<string, unknown>[]>): Promise<void> {
    for (const [table, objects] of batch) {
      if (objects.length === 0) continue;
      const columns = Object.keys(objects[0]!);
      const values = objects.map((o) => {
        // the warehouse emits one shape per table; a row with other keys would shift columns
        if (Object.keys(o).length !== columns.length) throw new Error(`${table}: rows with different columns (${columns.join(',')})`);
        return columns.map((c) => o[c]);
      });
      await this.client.insert({ table: `${this.database}.${table}`, columns: columns as [string, ...string[]], values, format: 'JSONCompactEachRow' });
    }
  }
}

/** Creates `database` with the real migrations and the calendar `shelfstream init` fills. */
export async function prepareDatabase(client: ClickHouseClient, database: string, calendar: { from: string; to: string }): Promise<void> {
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  await migrate(client, database);
  await fillCalendar(client, database, calendar.from, calendar.to);
}

/** Runs the simulation into `database` (migrated first) and answers the ground truth. */
export async function loadSimulatedHistory(client: ClickHouseClient, database: string, options: SimulationOptions, calendar: { from: string; to: string }): Promise<SimulatedHistory> {
  await prepareDatabase(client, database, calendar);
  const sim = new PosSimulator(options);
  const loader = new WarehouseLoader(client, database);
  loader.masterData(sim);
  const daily: DailyDemandRow[] = [];
  const stockouts: StockoutRow[] = [];
  const collect = (truth: ReturnType<PosSimulator['finish']>): void => {
    for (const r of truth.daily) daily.push(r);
    stockouts.push(...truth.stockouts);
  };
  while (!sim.done) {
    const hour = sim.nextHour();
    await loader.hour(hour);
    collect(hour.truth);
  }
  collect(sim.finish());
  await loader.drain();
  return { sim, daily, stockouts, rows: loader.rows };
}

/**
 * The simulator's true daily demand (what customers wanted, before empty shelves capped it) as
 * backtest actuals, NaN on every local day a ground-truth stock-out interval touched: those days
 * are left out of scoring, as the issue asks, even though the simulator knows their demand.
 */
export function trueDemandActuals(panel: Panel, history: SimulatedHistory): Actuals {
  const seriesIndex = new Map(panel.series.map((s, i) => [`${s.store_id}/${s.sku}`, i]));
  const demand = new Float32Array(panel.series.length * panel.days).fill(Number.NaN);
  for (const r of history.daily) {
    const s = seriesIndex.get(`${r.store_id}/${r.sku}`);
    const d = dayNumber(r.date) - panel.firstDay;
    if (s === undefined || d < 0 || d >= panel.days || r.hours < 23) continue; // partial days are not whole demand
    demand[s * panel.days + d] = r.demand;
  }
  const profiles = new Map(history.sim.chain.stores.map((p) => [p.store.store_id, p]));
  for (const o of history.stockouts) {
    const s = seriesIndex.get(`${o.store_id}/${o.sku}`);
    if (s === undefined) continue;
    const clock = history.sim.model.clock(profiles.get(o.store_id)!);
    for (let day = clock.localDay(o.start); day <= clock.localDay(Math.max(o.start, o.end - 1)); day++) {
      const d = day - panel.firstDay;
      if (d >= 0 && d < panel.days) demand[s * panel.days + d] = Number.NaN;
    }
  }
  return (s, d) => demand[s * panel.days + d]!;
}
