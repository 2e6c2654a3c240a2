-- Outputs of the forecast jobs (services/forecast): the daily demand history they learned
-- from (with the stock-out flag), backtest and training runs, 7-day forecasts per store x sku
-- with P10/P50/P90, and reorder advice. Every table is ReplacingMergeTree keyed by what a
-- re-run recomputes, so running a job twice for the same day rewrites its rows in place.
--
-- Dates here are the store's local business date (a New York store's 22:00 sale belongs to
-- that day, not to the next UTC day): forecasts are made and judged per trading day.

CREATE TABLE IF NOT EXISTS ${database}.demand_daily
(
    store_id      LowCardinality(String) COMMENT 'Store',
    sku           String COMMENT 'Product',
    sales_date    Date COMMENT 'Local business date of the store',
    units         Int64 COMMENT 'Units sold that day (sale lines; returns not netted)',
    stockout      Bool COMMENT 'The books reached 0 units that day (or the shelf stayed empty): sales understate demand, so the day is neither learned nor scored as demand',
    refreshed_at  DateTime64(3, 'UTC') COMMENT 'When the forecast job last recomputed the row; the newest wins'
)
ENGINE = ReplacingMergeTree(refreshed_at)
PARTITION BY toYYYYMM(sales_date)
ORDER BY (store_id, sku, sales_date)
TTL sales_date + INTERVAL 730 DAY
COMMENT 'Daily units and stock-out flag per store x sku as the forecast jobs computed them from the facts; the actuals of bi_forecast_vs_actual';

CREATE TABLE IF NOT EXISTS ${database}.model_run
(
    run_id             String COMMENT 'Id of the job run (train or backtest); the same for every row it wrote',
    run_type           LowCardinality(String) COMMENT 'TRAIN (backtest of a newly trained candidate) or BACKTEST (an evaluation on request)',
    model_version      String COMMENT 'Registry version of the model evaluated; empty for a run that only scored baselines',
    forecaster         LowCardinality(String) COMMENT 'global_mlp (the model), seasonal_naive, moving_average, exponential_smoothing or tsb',
    segment            LowCardinality(String) COMMENT 'all, category:<name>, intermittent or smooth',
    wape               Float64 COMMENT 'Weighted absolute percentage error of P50: sum |actual - p50| / sum actual',
    mase               Float64 COMMENT 'Mean absolute error of P50 divided by the in-sample mean absolute error of the same-weekday-last-week forecast',
    bias               Float64 COMMENT 'sum(p50 - actual) / sum actual: positive when forecasts run high',
    pinball            Float64 COMMENT 'Mean pinball loss over P10, P50 and P90, in units',
    coverage_p10_p90   Float64 COMMENT 'Share of actuals inside [P10, P90] (0.8 is calibrated)',
    points             Int64 COMMENT 'Series x days scored (stock-out days excluded)',
    origins            Int32 COMMENT 'Forecast origins of the rolling-origin backtest',
    accepted           Bool COMMENT 'For TRAIN runs: the candidate beat the champion and became champion',
    data_from          Date COMMENT 'First date of history used',
    data_to            Date COMMENT 'Last date of history used',
    started_at         DateTime64(3, 'UTC') COMMENT 'When the run started (UTC)',
    finished_at        DateTime64(3, 'UTC') COMMENT 'When the run wrote its results (UTC)'
)
ENGINE = ReplacingMergeTree(finished_at)
ORDER BY (run_id, forecaster, segment)
TTL toDateTime(finished_at) + INTERVAL 730 DAY
COMMENT 'Backtest metrics per job run x forecaster x segment: the evidence for promoting a model';

CREATE TABLE IF NOT EXISTS ${database}.demand_forecast
(
    store_id       LowCardinality(String) COMMENT 'Store',
    sku            String COMMENT 'Product',
    origin_date    Date COMMENT 'Last date of history the forecast used (local business date)',
    forecast_date  Date COMMENT 'Date forecast (local business date)',
    horizon_days   UInt8 COMMENT 'forecast_date - origin_date: 1 to 7',
    p10            Float64 COMMENT 'Units: 10% chance demand is below',
    p50            Float64 COMMENT 'Units: the median forecast',
    p90            Float64 COMMENT 'Units: 90% chance demand is below',
    model_version  String COMMENT 'Registry version of the model that made it',
    generated_at   DateTime64(3, 'UTC') COMMENT 'When the predict job ran (UTC); the newest wins'
)
ENGINE = ReplacingMergeTree(generated_at)
PARTITION BY toYYYYMM(forecast_date)
ORDER BY (store_id, sku, origin_date, forecast_date)
TTL forecast_date + INTERVAL 400 DAY
COMMENT 'Daily demand forecasts per store x sku for the 7 days after each origin, with P10/P50/P90';

CREATE TABLE IF NOT EXISTS ${database}.reorder_recommendation
(
    store_id                LowCardinality(String) COMMENT 'Store',
    sku                     String COMMENT 'Product',
    as_of_date              Date COMMENT 'Origin of the forecast the advice uses (local business date)',
    on_hand                 Int64 COMMENT 'Book units on hand at the end of as_of_date (latest count plus later movements and sales)',
    on_order                Int64 COMMENT 'Units ordered and not yet received (0 when the chain does not report orders)',
    lead_time_days          Int32 COMMENT 'Days from order to delivery assumed',
    review_days             Int32 COMMENT 'Days until the next order can be placed (the review period)',
    service_level           Float64 COMMENT 'Target probability of not running out before the next delivery after this order',
    demand_lead_time_mean   Float64 COMMENT 'Expected units sold over lead time + review period',
    reorder_point           Float64 COMMENT 'Units: order when on_hand + on_order falls to or below this (service-level quantile of demand over lead time + review period)',
    order_quantity          Int64 COMMENT 'Units to order now: reorder_point - (on_hand + on_order), rounded up; 0 when above the reorder point',
    model_version           String COMMENT 'Registry version of the model whose forecast was used',
    generated_at            DateTime64(3, 'UTC') COMMENT 'When the predict job ran (UTC); the newest wins'
)
ENGINE = ReplacingMergeTree(generated_at)
ORDER BY (store_id, sku, as_of_date)
TTL as_of_date + INTERVAL 400 DAY
COMMENT 'Reorder advice per store x sku from the forecast distribution, lead time, service level, on-hand and on-order';

CREATE VIEW IF NOT EXISTS ${database}.bi_demand_forecast
(
    store_id          String COMMENT 'Store code',
    sku               String COMMENT 'Product code',
    forecast_date     Date COMMENT 'Date forecast (store local date)',
    forecast_made_on  Date COMMENT 'Last date of history the forecast used',
    horizon_days      Int32 COMMENT 'Days ahead: 1 to 7',
    units_p10         Float64 COMMENT 'Low forecast: 10% chance of selling fewer units',
    units_forecast    Float64 COMMENT 'Median forecast of units',
    units_p90         Float64 COMMENT 'High forecast: 10% chance of selling more units',
    model_version     String COMMENT 'Model that made it',
    generated_at      DateTime64(3, 'UTC') COMMENT 'When it was made (UTC)'
)
AS SELECT store_id, sku, forecast_date, origin_date AS forecast_made_on, toInt32(horizon_days) AS horizon_days,
    p10 AS units_p10, p50 AS units_forecast, p90 AS units_p90, model_version, generated_at
FROM ${database}.demand_forecast FINAL
COMMENT 'Demand forecasts for BI: every origin''s 7 daily forecasts per store x product';

CREATE VIEW IF NOT EXISTS ${database}.bi_forecast_vs_actual
(
    store_id          String COMMENT 'Store code',
    sku               String COMMENT 'Product code',
    category          String COMMENT 'Product category',
    forecast_date     Date COMMENT 'Date forecast (store local date)',
    horizon_days      Int32 COMMENT 'Days ahead the forecast was made',
    units_forecast    Float64 COMMENT 'Median forecast of units',
    units_p10         Float64 COMMENT 'Low forecast (P10)',
    units_p90         Float64 COMMENT 'High forecast (P90)',
    units_sold        Int64 COMMENT 'Units actually sold that day',
    stockout          Bool COMMENT 'The shelf ran empty that day: units_sold understates demand; leave these out of accuracy',
    abs_error         Float64 COMMENT '|units_sold - units_forecast|',
    within_p10_p90    Bool COMMENT 'units_sold fell inside [P10, P90]',
    model_version     String COMMENT 'Model that made the forecast'
)
AS SELECT f.store_id AS store_id, f.sku AS sku, p.category AS category, f.forecast_date AS forecast_date,
    toInt32(f.horizon_days) AS horizon_days, f.p50 AS units_forecast, f.p10 AS units_p10, f.p90 AS units_p90,
    a.units AS units_sold, a.stockout AS stockout, abs(toFloat64(a.units) - f.p50) AS abs_error,
    a.units >= f.p10 AND a.units <= f.p90 AS within_p10_p90, f.model_version AS model_version
FROM ${database}.demand_forecast AS f FINAL
INNER JOIN (SELECT store_id, sku, sales_date, units, stockout FROM ${database}.demand_daily FINAL) AS a
    ON a.store_id = f.store_id AND a.sku = f.sku AND a.sales_date = f.forecast_date
LEFT JOIN (SELECT sku, category FROM ${database}.dim_product FINAL) AS p ON p.sku = f.sku
COMMENT 'Forecasts next to what sold, per store x product x day and horizon: accuracy tracking and drift (filter stockout = false)';

CREATE VIEW IF NOT EXISTS ${database}.bi_reorder_recommendation
(
    store_id                  String COMMENT 'Store code',
    sku                       String COMMENT 'Product code',
    as_of_date                Date COMMENT 'Date of the stock position and forecast used',
    units_on_hand             Int64 COMMENT 'Book units on hand',
    units_on_order            Int64 COMMENT 'Units ordered, not yet received',
    lead_time_days            Int32 COMMENT 'Days from order to delivery',
    service_level             Float64 COMMENT 'Target probability of not running out',
    units_expected_lead_time  Float64 COMMENT 'Expected units sold over lead time and review period',
    reorder_point             Float64 COMMENT 'Order when stock on hand and on order falls to this',
    units_to_order            Int64 COMMENT 'Advised order now, units',
    model_version             String COMMENT 'Model whose forecast was used'
)
AS SELECT store_id, sku, as_of_date, on_hand AS units_on_hand, on_order AS units_on_order, lead_time_days, service_level,
    demand_lead_time_mean AS units_expected_lead_time, reorder_point, order_quantity AS units_to_order, model_version
FROM ${database}.reorder_recommendation FINAL
COMMENT 'Reorder advice per store x product for BI';
