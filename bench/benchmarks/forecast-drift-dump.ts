/**
 * The forecast-drift bench's dump (FORECAST_DRIFT_DUMP): every one-day-ahead forecast of every
 * check, one JSON array a line, and the way back from it to the drift check's input
 * (FORECAST_DRIFT_REPLAY). Training the networks is what makes the bench slow (6 per seed);
 * with the forecasts dumped once, a rule of the check is judged on the same forecasts in seconds.
 *
 * Read back, the lines are grouped as the check's SQL groups them (drift-check.ts POINTS_SQL):
 * store x category x day, stock-out days and holidays of the store's region left out. The
 * holiday flag is the panel's (model.ts isHoliday: a holiday factor, a closed store, Ramadan or
 * Eid), which is what dim_holiday holds for the simulated regions.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { DriftPoint } from '../../services/forecast/drift';
import type { CalibrationDays } from '../../services/forecast/model';

/** One dumped forecast: the check it belongs to, the store x sku x day, what sold and what was forecast. */
export interface DumpedForecast {
  /** The check's database: bench_drift_<plain|shift>_<seed>_<stamp>. */
  readonly database: string;
  readonly asOf: string;
  readonly calibration: CalibrationDays;
  readonly store_id: string;
  readonly sku: string;
  readonly category: string;
  readonly region: string;
  readonly date: string;
  readonly units: number;
  readonly stockout: boolean;
  readonly p10: number;
  readonly p50: number;
  readonly p90: number;
  readonly holiday: boolean;
}

export function dumpLine(f: DumpedForecast): string {
  return JSON.stringify([f.database, f.asOf, f.calibration, f.store_id, f.sku, f.category, f.region, f.date, f.units, f.stockout, f.p10, f.p50, f.p90, f.holiday]) + '\n';
}

/** The check a dumped line belongs to. */
export interface DumpedCheck {
  readonly seed: number;
  readonly shifted: boolean;
  readonly asOf: string;
  readonly calibration: CalibrationDays;
}

export const checkKey = (c: DumpedCheck): string => `${c.seed}|${c.shifted ? 'shift' : 'plain'}|${c.asOf}|${c.calibration}`;

const DATABASE = /^bench_drift_(plain|shift)_(\d+)_\d+$/;

/** Every check of the dump files with its drift points, in the order first met. */
export async function readDumpedChecks(files: readonly string[]): Promise<Map<string, { check: DumpedCheck; points: DriftPoint[] }>> {
  const checks = new Map<string, { check: DumpedCheck; byKey: Map<string, { -readonly [K in keyof DriftPoint]: DriftPoint[K] }> }>();
  for (const file of files) {
    let lineNo = 0;
    for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
      lineNo++;
      if (line === '') continue;
      const [database, asOf, calibration, store_id, , category, , date, units, stockout, , p50, , holiday] = JSON.parse(line) as [string, string, CalibrationDays, string, string, string, string, string, number, boolean, number, number, number, boolean];
      const m = DATABASE.exec(database);
      if (!m) throw new Error(`${file}:${lineNo}: '${database}' is not a forecast-drift database (bench_drift_<plain|shift>_<seed>_<stamp>)`);
      if (stockout || holiday) continue;
      const check: DumpedCheck = { seed: Number(m[2]), shifted: m[1] === 'shift', asOf, calibration };
      const key = checkKey(check);
      const entry = checks.get(key) ?? checks.set(key, { check, byKey: new Map() }).get(key)!;
      const pointKey = `${store_id}|${category}|${date}`;
      const point = entry.byKey.get(pointKey) ?? entry.byKey.set(pointKey, { store_id, category, date, units: 0, p50: 0, skus: 0, zero_skus: 0 }).get(pointKey)!;
      point.units += units;
      point.p50 += p50;
      point.skus += 1;
      if (units === 0) point.zero_skus += 1;
    }
  }
  return new Map([...checks].map(([key, { check, byKey }]) => [key, { check, points: [...byKey.values()] }]));
}
