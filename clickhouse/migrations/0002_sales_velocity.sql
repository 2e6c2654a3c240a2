-- Sales velocity, written by the velocity stream processor (streams/velocity).
-- One row per store x sku x 1-minute event-time window. Rows are re-written while the window is
-- open (is_final = 0) and once more when it closes (is_final = 1); ReplacingMergeTree(version)
-- keeps the newest, where version = 2 x (last input offset) + is_final, so a replay or a restart
-- converges on the same final row. Query with FINAL (the views below do).
-- non_replicated_deduplication_window: a retried insert with the same deduplication token is
-- dropped, which keeps anything fed by this table exact under retries.

CREATE TABLE IF NOT EXISTS ${database}.sales_velocity_1m
(
    window_start   DateTime('UTC') COMMENT 'Start of the 1-minute event-time window (UTC)',
    store_id       LowCardinality(String) COMMENT 'Store',
    sku            String COMMENT 'Product',
    units          Int64 COMMENT 'Units sold in the window',
    revenue        Int64 COMMENT 'Net revenue: quantity x unit_price - discount, minor units (cents)',
    gross_revenue  Int64 COMMENT 'Revenue before discounts, minor units',
    discount       Int64 COMMENT 'Discounts given, minor units',
    transactions   UInt32 COMMENT 'Sales (baskets) that contained the sku',
    lines          UInt32 COMMENT 'Sale lines for the sku',
    is_final       Bool COMMENT 'True once the window closed (watermark past its end + allowed lateness)',
    version        UInt64 COMMENT 'Ordering of re-writes: 2 x last input offset + is_final; the highest wins',
    written_at     DateTime64(3, 'UTC') DEFAULT now64(3) COMMENT 'When the row was written'
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(window_start)
ORDER BY (store_id, sku, window_start)
TTL window_start + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Units and revenue per store x sku per minute (stream output of the velocity processor)';

CREATE VIEW IF NOT EXISTS ${database}.sales_velocity_1h
(
    window_start DateTime('UTC') COMMENT 'Start of the hour (UTC)',
    store_id LowCardinality(String) COMMENT 'Store',
    sku String COMMENT 'Product',
    units Int64 COMMENT 'Units sold in the hour',
    revenue Int64 COMMENT 'Net revenue, minor units',
    gross_revenue Int64 COMMENT 'Revenue before discounts, minor units',
    transactions UInt64 COMMENT 'Sales that contained the sku (per minute, summed)',
    is_final Bool COMMENT 'True when every minute of the hour with sales has closed'
)
AS SELECT
    toStartOfHour(window_start) AS window_start,
    store_id,
    sku,
    sum(units) AS units,
    sum(revenue) AS revenue,
    sum(gross_revenue) AS gross_revenue,
    sum(transactions) AS transactions,
    min(is_final) AS is_final
FROM ${database}.sales_velocity_1m FINAL
GROUP BY window_start, store_id, sku
COMMENT 'Units and revenue per store x sku per hour, from the 1-minute windows';

CREATE VIEW IF NOT EXISTS ${database}.store_revenue_1h
(
    window_start DateTime('UTC') COMMENT 'Start of the hour (UTC)',
    store_id LowCardinality(String) COMMENT 'Store',
    units Int64 COMMENT 'Units sold in the hour',
    revenue Int64 COMMENT 'Net revenue, minor units',
    skus_sold UInt64 COMMENT 'Distinct skus sold'
)
AS SELECT
    toStartOfHour(window_start) AS window_start,
    store_id,
    sum(units) AS units,
    sum(revenue) AS revenue,
    uniqExact(sku) AS skus_sold
FROM ${database}.sales_velocity_1m FINAL
GROUP BY window_start, store_id
COMMENT 'Revenue per store per hour, from the 1-minute windows';

CREATE VIEW IF NOT EXISTS ${database}.sales_velocity_rolling
(
    store_id LowCardinality(String) COMMENT 'Store',
    sku String COMMENT 'Product',
    as_of DateTime('UTC') COMMENT 'End of the newest minute with sales in the table: the rates look back from here',
    units_last_1h Int64 COMMENT 'Units sold in the hour before as_of',
    units_per_hour_24h Float64 COMMENT 'Average units per hour over the 24 hours before as_of'
)
AS WITH (SELECT max(window_start) + 60 FROM ${database}.sales_velocity_1m) AS as_of
SELECT
    store_id,
    sku,
    as_of,
    sumIf(units, window_start >= as_of - 3600) AS units_last_1h,
    sumIf(units, window_start >= as_of - 86400) / 24 AS units_per_hour_24h
FROM ${database}.sales_velocity_1m FINAL
WHERE window_start >= as_of - 86400
GROUP BY store_id, sku
COMMENT 'Rolling sales rate per store x sku (units per hour over the last 1 h and 24 h)';
