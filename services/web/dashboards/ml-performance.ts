/**
 * The ML performance dashboard: how good the demand forecasts are (WAPE, P10-P90 coverage)
 * over time and by category, forecast against actual, and the model versions with what each
 * training did. Accuracy is one-day-ahead forecasts against actuals (SCORED below); drift is
 * bi_model_drift's (0027).
 */
import type { DashboardDefinition } from '../panels';
import { storeWhere } from './where';

/**
 * One-day-ahead forecasts of the range scored against their actuals, per store x category x day
 * (forecast_accuracy_category_daily, migration 0043: written by each predict, the only writer of
 * both inputs). The panels sum its few rows instead of joining a range of demand_daily to
 * demand_forecast per store x sku (4-5 s on the BI bench's chain month). Stock-out days are left
 * out, as the training job scores them.
 */
const SCORED = `
  FROM \${database}.forecast_accuracy_category_daily AS s
  WHERE s.forecast_date BETWEEN {from:Date} AND {to:Date} AND ${storeWhere('s.store_id')} AND ({category:String} = '' OR s.category = {category:String})`;

export const ML_PERFORMANCE: DashboardDefinition = {
  name: 'ml-performance',
  title: 'ML performance',
  audience: 'Forecast accuracy, calibration and the model versions behind it',
  panels: [
    {
      id: 'accuracy_by_day',
      title: 'Accuracy by day',
      caption: 'One-day-ahead forecasts: WAPE (sum |actual - P50| / sum actual, in %) and the share of actuals inside P10-P90 (in %; 80 is calibrated). Stock-out days are left out.',
      chart: 'line',
      x: 'forecast_date',
      series: ['wape_pct', 'coverage_p10_p90_pct'],
      sql: `
        SELECT s.forecast_date AS forecast_date, round(100 * sum(s.abs_error) / nullIf(sum(s.units_sold), 0), 2) AS wape_pct,
               round(100 * sum(s.within_p10_p90) / sum(s.series_scored), 2) AS coverage_p10_p90_pct, sum(s.series_scored) AS series_scored
        ${SCORED}
        GROUP BY forecast_date ORDER BY forecast_date`,
    },
    {
      id: 'accuracy_by_category',
      title: 'Accuracy by category',
      caption: 'WAPE and P10-P90 coverage of one-day-ahead forecasts over the range, per category, in %.',
      chart: 'bar',
      x: 'category',
      series: ['wape_pct', 'coverage_p10_p90_pct'],
      sql: `
        SELECT s.category AS category, round(100 * sum(s.abs_error) / nullIf(sum(s.units_sold), 0), 2) AS wape_pct,
               round(100 * sum(s.within_p10_p90) / sum(s.series_scored), 2) AS coverage_p10_p90_pct, sum(s.series_scored) AS series_scored
        ${SCORED}
        GROUP BY category ORDER BY category`,
    },
    {
      id: 'forecast_vs_actual',
      title: 'Forecast vs actual',
      caption: 'Units per day summed over the products in view: P50 of the one-day-ahead forecast, its P10-P90 band, and units sold.',
      chart: 'band',
      x: 'forecast_date',
      series: ['units_p10', 'units_p50', 'units_p90', 'units_sold'],
      sql: `
        SELECT s.forecast_date AS forecast_date, round(sum(s.units_p10), 2) AS units_p10, round(sum(s.units_p50), 2) AS units_p50,
               round(sum(s.units_p90), 2) AS units_p90, sum(s.units_sold) AS units_sold
        ${SCORED}
        GROUP BY forecast_date ORDER BY forecast_date`,
    },
    {
      id: 'drift',
      title: 'Drift, latest check',
      caption: 'Population stability index (PSI) per category of the forecast error and of demand features, recent weeks against the weeks before (bi_model_drift), at the latest check up to the range\'s end; drifted: PSI above the threshold.',
      chart: 'bar',
      x: 'item',
      barLabel: ['category', 'measure'],
      series: ['psi', 'threshold'],
      sql: `
        SELECT concat(category, ' ', measure) AS item, category, measure, round(psi, 3) AS psi, threshold, drifted,
               toString(as_of_date) AS checked_on, model_version
        FROM \${database}.bi_model_drift
        WHERE as_of_date = (SELECT max(as_of_date) FROM \${database}.bi_model_drift WHERE as_of_date <= {to:Date})
          AND ({category:String} = '' OR category = {category:String})
        ORDER BY drifted DESC, psi DESC, item
        LIMIT 20`,
    },
    {
      id: 'model_versions',
      title: 'Model versions: champion and challengers',
      caption: 'Each training run\'s candidate on its backtest: accepted candidates became champion (the latest accepted is the champion now), the others stayed challengers.',
      chart: 'table',
      sql: `
        SELECT model_version, toString(finished_at) AS trained_at, round(100 * wape, 2) AS wape_pct, round(100 * coverage_p10_p90, 2) AS coverage_p10_p90_pct,
               round(mase, 3) AS mase, round(bias, 3) AS bias, accepted,
               if(accepted AND finished_at = (SELECT max(finished_at) FROM \${database}.model_run WHERE run_type = 'TRAIN' AND accepted AND segment = 'all' AND forecaster = 'global_mlp'),
                  'champion', if(accepted, 'former champion', 'challenger')) AS role
        FROM \${database}.model_run
        WHERE run_type = 'TRAIN' AND segment = 'all' AND forecaster = 'global_mlp'
        ORDER BY finished_at DESC
        LIMIT 20`,
    },
    {
      id: 'last_training',
      title: 'What the last training did',
      caption: 'The latest training run: each forecaster scored on the same rolling-origin backtest (the model against the baselines), per segment.',
      chart: 'table',
      sql: `
        SELECT forecaster, segment, round(100 * wape, 2) AS wape_pct, round(100 * coverage_p10_p90, 2) AS coverage_p10_p90_pct, round(mase, 3) AS mase,
               points, origins, toString(data_from) AS data_from, toString(data_to) AS data_to, accepted
        FROM \${database}.model_run
        WHERE run_id = (SELECT argMax(run_id, finished_at) FROM \${database}.model_run WHERE run_type = 'TRAIN')
        ORDER BY segment = 'all' DESC, segment, wape_pct`,
    },
  ],
};
