/**
 * Rolling-origin backtest: forecasts made at the end of each of the last `weeks` weeks (origins
 * 7 days apart, the newest one `HORIZON` days before the last observed day), each scored on its
 * 7 days against the actuals. Every forecaster (the model and the baselines) runs through the
 * same Forecaster interface on the same panel and the same points. Results per forecaster:
 * overall, per category, and for intermittent vs smooth series (judged on history before the
 * first origin).
 *
 * Actuals are a function so the same code scores against the platform's own known units (in
 * production: stock-out days left out) or the simulator's true demand (in the quality test).
 */
import { eventLoopCheckpoint } from '../../lib/event-loop';
import { type Forecaster, knownUnits } from './baselines';
import { HORIZON, type Panel } from './features';
import { MetricSums, type Metrics, isIntermittent, seasonalScale } from './metrics';

/** Actual demand of series s on panel day d; NaN to leave the point out (unknown or censored). */
export type Actuals = (series: number, day: number) => number;

export function knownActuals(panel: Panel): Actuals {
  const known = knownUnits(panel);
  return (s, d) => known[s * panel.days + d]!;
}

export interface SegmentMetrics {
  readonly forecaster: string;
  readonly segment: string;
  readonly metrics: Metrics;
}

export interface BacktestResult {
  readonly origins: readonly number[];
  readonly rows: readonly SegmentMetrics[];
}

/** Origins (panel day indices) of a rolling-origin backtest over the last `weeks` weeks. */
export function rollingOrigins(panel: Panel, weeks: number): number[] {
  const last = panel.lastObservedDay - panel.firstDay - HORIZON;
  const origins: number[] = [];
  for (let k = weeks - 1; k >= 0; k--) origins.push(last - 7 * k);
  return origins.filter((o) => o >= 28);
}

export async function backtest(panel: Panel, forecasters: readonly Forecaster[], origins: readonly number[], actual: Actuals = knownActuals(panel), onStep: () => void = () => undefined): Promise<BacktestResult> {
  const known = knownUnits(panel);
  const first = origins[0]!;
  const scale = new Float64Array(panel.series.length);
  const segments = panel.series.map((info, s) => {
    const history = known.subarray(s * panel.days, s * panel.days + first + 1);
    scale[s] = seasonalScale(history) ?? 1;
    return ['all', `category:${info.category}`, isIntermittent(history.subarray(Math.max(0, history.length - 56))) ? 'intermittent' : 'smooth'];
  });
  const rows: SegmentMetrics[] = [];
  const checkpoint = eventLoopCheckpoint();
  for (const forecaster of forecasters) {
    const sums = new Map<string, MetricSums>();
    for (const origin of origins) {
      await checkpoint();
      const f = await forecaster.predict(panel, origin);
      for (let s = 0; s < panel.series.length; s++) {
        for (let h = 1; h <= HORIZON; h++) {
          const a = actual(s, origin + h);
          if (Number.isNaN(a)) continue;
          const i = s * HORIZON + h - 1;
          for (const seg of segments[s]!) {
            let m = sums.get(seg);
            if (!m) sums.set(seg, (m = new MetricSums()));
            m.add(a, f.p10[i]!, f.p50[i]!, f.p90[i]!, scale[s]!);
          }
        }
      }
      onStep();
    }
    for (const [segment, m] of [...sums].sort(([a], [b]) => a.localeCompare(b))) rows.push({ forecaster: forecaster.name, segment, metrics: m.metrics() });
  }
  return { origins, rows };
}

export function metricOf(result: BacktestResult, forecaster: string, segment = 'all'): Metrics {
  const row = result.rows.find((r) => r.forecaster === forecaster && r.segment === segment);
  if (!row) throw new Error(`no backtest row for ${forecaster} / ${segment}`);
  return row.metrics;
}

/** A printable table of the backtest (one line per forecaster x segment). */
export function formatBacktest(result: BacktestResult): string {
  const lines = ['forecaster             segment                    wape   mase   bias  pinball  cov80  points'];
  for (const r of result.rows) {
    const m = r.metrics;
    lines.push(
      `${r.forecaster.padEnd(22)} ${r.segment.padEnd(24)} ${m.wape.toFixed(3).padStart(6)} ${m.mase.toFixed(3).padStart(6)} ${m.bias.toFixed(3).padStart(6)} ${m.pinball.toFixed(3).padStart(8)} ${m.coverage_p10_p90.toFixed(3).padStart(6)} ${String(m.points).padStart(7)}`,
    );
  }
  return lines.join('\n');
}
