-- Model monitoring (issue 15 item 4): every training and backtest with its metrics, forecast
-- accuracy by week and category over time, and drift.
--
-- Drift is measured per category by the forecast job (services/forecast/drift.ts) after each
-- predict: the population stability index (PSI) of the category's forecast errors, and of its
-- main demand features, between a reference window (the weeks before, which the weekly-retrained
-- model learned from) and the recent weeks. An error is taken per store x category x day
-- (units sold against the summed P50 of the one-day-ahead forecasts, relative to that P50), so a
-- category's error is not drowned in the noise of single skus. The alert fires on the errors
-- only: features move with the seasons by design (summer drinks), and a model that follows the
-- season keeps its errors where they were, while a lasting change the model has not learned
-- (a competitor closing, a relisted range) moves them.

CREATE TABLE IF NOT EXISTS ${database}.model_drift
(
    as_of_date        Date COMMENT 'Last business date of the recent window (the predict origin the check ran at)',
    category          LowCardinality(String) COMMENT 'Product category',
    measure           LowCardinality(String) COMMENT 'forecast_error (the alerting measure) or a demand feature: units_level, zero_share, discount_share',
    psi               Float64 COMMENT 'Population stability index between the reference and the recent distribution (0: same; above 0.25 conventionally a shift)',
    threshold         Float64 COMMENT 'PSI above which the measure counts as drifted (MODEL_DRIFT_PSI_THRESHOLD)',
    drifted           Bool COMMENT 'psi > threshold with enough points on both sides; raises MODEL_DRIFT for measure forecast_error only',
    reference_mean    Float64 COMMENT 'Mean of the measure over the reference window (for forecast_error: the relative bias, 0.1 = sales 10% above the forecast)',
    recent_mean       Float64 COMMENT 'Mean of the measure over the recent window',
    reference_points  Int32 COMMENT 'Store x category x days in the reference window',
    recent_points     Int32 COMMENT 'Store x category x days in the recent window',
    reference_from    Date COMMENT 'First business date of the reference window',
    reference_to      Date COMMENT 'Last business date of the reference window',
    recent_from       Date COMMENT 'First business date of the recent window',
    model_version     String COMMENT 'Champion model when the check ran',
    alert_id          String COMMENT 'For forecast_error: the MODEL_DRIFT alert open for this category after this check (empty: none)',
    computed_at       DateTime64(3, 'UTC') COMMENT 'When the check ran (UTC); the newest wins'
)
ENGINE = ReplacingMergeTree(computed_at)
ORDER BY (as_of_date, category, measure)
TTL as_of_date + INTERVAL 730 DAY
COMMENT 'Drift of the demand forecast per category and measure, one row per check: PSI of recent weeks against the reference weeks';

CREATE VIEW IF NOT EXISTS ${database}.bi_model_drift
(
    as_of_date        Date COMMENT 'Last business date of the recent window',
    category          String COMMENT 'Product category',
    measure           String COMMENT 'forecast_error (alerting) or a demand feature (units_level, zero_share, discount_share)',
    psi               Float64 COMMENT 'Population stability index, recent against reference',
    threshold         Float64 COMMENT 'PSI above which the measure counts as drifted',
    drifted           Bool COMMENT 'The measure drifted (for forecast_error: a MODEL_DRIFT alert is open)',
    reference_mean    Float64 COMMENT 'Mean over the reference weeks (forecast_error: relative bias of the forecast)',
    recent_mean       Float64 COMMENT 'Mean over the recent weeks',
    reference_points  Int32 COMMENT 'Store x category x days behind the reference distribution',
    recent_points     Int32 COMMENT 'Store x category x days behind the recent distribution',
    reference_from    Date COMMENT 'First date of the reference window',
    reference_to      Date COMMENT 'Last date of the reference window',
    recent_from       Date COMMENT 'First date of the recent window',
    model_version     String COMMENT 'Champion model when the check ran',
    alert_id          String COMMENT 'Open MODEL_DRIFT alert of the category after this check; empty when none'
)
AS SELECT as_of_date, toString(category) AS category, toString(measure) AS measure, psi, threshold, drifted, reference_mean, recent_mean,
    reference_points, recent_points, reference_from, reference_to, recent_from, model_version, alert_id
FROM ${database}.model_drift FINAL
COMMENT 'Is the forecast getting worse for a category? PSI of forecast errors and demand features, recent weeks against the weeks before, per check';

CREATE VIEW IF NOT EXISTS ${database}.bi_model_runs
(
    run_id            String COMMENT 'Job run (one training or backtest)',
    run_type          String COMMENT 'TRAIN (a candidate trained and backtested) or BACKTEST (an evaluation on request)',
    model_version     String COMMENT 'Model evaluated; empty for a baseline',
    forecaster        String COMMENT 'global_mlp (the model) or a baseline: seasonal_naive, moving_average, exponential_smoothing, tsb',
    segment           String COMMENT 'all, category:<name>, intermittent or smooth',
    wape              Float64 COMMENT 'Weighted absolute percentage error of P50 (lower is better)',
    mase              Float64 COMMENT 'Mean absolute scaled error against last week''s same weekday (below 1 beats it)',
    bias              Float64 COMMENT 'sum(P50 - actual) / sum actual: positive when forecasts run high',
    pinball           Float64 COMMENT 'Mean pinball loss over P10, P50 and P90, units',
    coverage_p10_p90  Float64 COMMENT 'Share of actuals inside [P10, P90]; 0.8 is calibrated',
    points            Int64 COMMENT 'Series x days scored',
    origins           Int32 COMMENT 'Forecast origins of the rolling-origin backtest',
    champion          Bool COMMENT 'TRAIN runs: the candidate beat the champion and was promoted',
    data_from         Date COMMENT 'First date of history used',
    data_to           Date COMMENT 'Last date of history used',
    started_at        DateTime64(3, 'UTC') COMMENT 'When the run started (UTC)',
    finished_at       DateTime64(3, 'UTC') COMMENT 'When the run wrote its results (UTC)',
    duration_s        Float64 COMMENT 'Seconds the run took'
)
AS SELECT run_id, toString(run_type) AS run_type, model_version, toString(forecaster) AS forecaster, toString(segment) AS segment,
    wape, mase, bias, pinball, coverage_p10_p90, points, origins, accepted AS champion, data_from, data_to, started_at, finished_at,
    dateDiff('millisecond', started_at, finished_at) / 1000 AS duration_s
FROM ${database}.model_run FINAL
COMMENT 'Every training and backtest with its metrics per forecaster and segment: which model is champion and why';

CREATE VIEW IF NOT EXISTS ${database}.bi_forecast_accuracy_weekly
(
    week_start        Date COMMENT 'Monday of the ISO week of the forecast dates (store local dates)',
    category          String COMMENT 'Product category',
    horizon_days      Int32 COMMENT 'Days ahead the forecasts were made (1-7)',
    model_version     String COMMENT 'Model that made the forecasts',
    points            Int64 COMMENT 'Store x sku x days scored (stock-out days left out)',
    units_sold        Int64 COMMENT 'Units sold over the points',
    units_forecast    Float64 COMMENT 'Summed P50 over the points',
    wape              Nullable(Float64) COMMENT 'sum |sold - P50| / sum sold; NULL when nothing sold',
    bias              Nullable(Float64) COMMENT '(sum P50 - sum sold) / sum sold: positive when forecasts ran high; NULL when nothing sold',
    coverage_p10_p90  Float64 COMMENT 'Share of points whose units sold fell inside [P10, P90]; 0.8 is calibrated'
)
AS SELECT week_start, category, horizon_days, model_version, points, toInt64(sold) AS units_sold, forecast AS units_forecast,
    if(sold = 0, NULL, abs_error / sold) AS wape,
    if(sold = 0, NULL, (forecast - sold) / sold) AS bias,
    inside / points AS coverage_p10_p90
FROM
(
    -- sums under names of their own: an alias equal to a column would be read back inside the aggregates
    SELECT toMonday(forecast_date) AS week_start, ifNull(category, '') AS category, horizon_days, model_version,
        toInt64(count()) AS points, sum(units_sold) AS sold, sum(units_forecast) AS forecast, sum(abs_error) AS abs_error,
        countIf(within_p10_p90) AS inside
    FROM ${database}.bi_forecast_vs_actual
    WHERE NOT stockout
    GROUP BY week_start, category, horizon_days, model_version
)
COMMENT 'Is the forecast getting better or worse? WAPE, bias and P10-P90 coverage per week, category, horizon and model (stock-out days left out)';
