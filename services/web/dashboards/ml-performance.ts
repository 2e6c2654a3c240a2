/**
 * The ML performance dashboard: how good the demand forecasts are (WAPE, P10-P90 coverage)
 * over time and by category, forecast against actual, and the model versions with what each
 * training did. Accuracy is bi_forecast_vs_actual's (one-day-ahead forecasts, SCORED below); drift is
 * bi_model_drift's (0027).
 */
import type { DashboardDefinition } from '../panels';
import { categoryWhere, storeWhere } from './where';

/**
 * One-day-ahead forecasts of the range with their actuals: bi_forecast_vs_actual's join, written
 * over the base tables with the date range applied to each side before the join (the view joins
 * every forecast ever made first). The forecasts, a seventh of the actuals' rows once only
 * horizon 1 is kept, are the side the join hashes, and the actuals stream past it: 4-5 s on the
 * BI bench's chain month where hashing the actuals took 8-13 s. Stock-out days are left out, as
 * the training job scores them.
 */
const SCORED = `
  FROM (
    SELECT store_id, sku, sales_date, units AS units_sold, stockout
    FROM \${database}.demand_daily FINAL
    WHERE sales_date BETWEEN {from:Date} AND {to:Date} AND ${storeWhere('store_id')} AND ${categoryWhere('sku')}) AS a
  INNER JOIN (
    SELECT store_id, sku, forecast_date, p10 AS units_p10, p50 AS units_forecast, p90 AS units_p90
    FROM \${database}.demand_forecast FINAL
    WHERE horizon_days = 1 AND forecast_date BETWEEN {from:Date} AND {to:Date} AND ${storeWhere('store_id')} AND ${categoryWhere('sku')}) AS f
    ON f.store_id = a.store_id AND f.sku = a.sku AND f.forecast_date = a.sales_date
  WHERE NOT a.stockout`;

/** Per row of SCORED: the absolute error of P50, and whether the actual fell inside P10-P90. */
const ABS_ERROR = 'abs(toFloat64(a.units_sold) - f.units_forecast)';
const WITHIN = '(a.units_sold >= f.units_p10 AND a.units_sold <= f.units_p90)';

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
        SELECT f.forecast_date AS forecast_date, round(100 * sum(${ABS_ERROR}) / nullIf(sum(a.units_sold), 0), 2) AS wape_pct,
               round(100 * avg(${WITHIN}), 2) AS coverage_p10_p90_pct, count() AS series_scored
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
        SELECT p.category AS category, round(100 * sum(s.abs_error) / nullIf(sum(s.units), 0), 2) AS wape_pct,
               round(100 * sum(s.within) / sum(s.scored), 2) AS coverage_p10_p90_pct, sum(s.scored) AS series_scored
        FROM (
          SELECT a.sku AS sku, sum(${ABS_ERROR}) AS abs_error, sum(a.units_sold) AS units, countIf(${WITHIN}) AS within, count() AS scored
          ${SCORED}
          GROUP BY sku) AS s
        LEFT JOIN (SELECT sku, category FROM \${database}.bi_dim_product) AS p ON p.sku = s.sku
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
        SELECT f.forecast_date AS forecast_date, round(sum(f.units_p10), 2) AS units_p10, round(sum(f.units_forecast), 2) AS units_p50,
               round(sum(f.units_p90), 2) AS units_p90, sum(a.units_sold) AS units_sold
        ${SCORED}
        GROUP BY forecast_date ORDER BY forecast_date`,
    },
    {
      id: 'drift',
      title: 'Drift, latest check',
      caption: 'Population stability index (PSI) per category of the forecast error and of demand features, recent weeks against the weeks before (bi_model_drift), at the latest check up to the range\'s end; drifted: PSI above the threshold.',
      chart: 'bar',
      x: 'item',
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
