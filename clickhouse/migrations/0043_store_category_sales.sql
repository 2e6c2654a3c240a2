-- Sales per store x category x business day for the dashboards (issue 16): the executive's top
-- and bottom categories and its revenue with a category filter read a year of bi_sales_daily
-- (a row per store x sku x day, 18M on the BI bench's chain year) to sum it into a few
-- categories; these read a row per store and day.
--
-- Exact under replay, as 0010's aggregates: the BI closing job (services/bi-rollups/closing.ts)
-- writes a closed day's row from the facts FINAL in the same pass as the others, keyed by store
-- and day in a ReplacingMergeTree versioned by the closing time, so re-closing a day replaces its
-- row and never adds to it. A day holds all its categories in one row (arrays), so a re-closing
-- after a product moved to another category replaces the old category's figures too (a row per
-- category would leave the old one behind). Categories are dim_product's at the closing.
-- store_category_sales_daily reads the clean days from here and every other day from the facts,
-- like bi_sales_daily, so it is exact at every moment.

CREATE TABLE IF NOT EXISTS ${database}.sales_daily_store_category
(
    business_date    Date COMMENT 'The store''s business date (local calendar day)',
    store_id         LowCardinality(String) COMMENT 'Store',
    categories       Array(String) COMMENT 'The categories sold that day (dim_product.category at the closing; empty for products not in dim_product); the arrays below are aligned with it',
    units_sold       Array(Int64) COMMENT 'Units sold, per category',
    net_sales_minor  Array(Int64) COMMENT 'Net sales in the store''s currency, minor units, per category',
    discount_minor   Array(Int64) COMMENT 'Discounts given, minor units, per category',
    sale_lines       Array(Int64) COMMENT 'Sale lines, per category',
    products_sold    Array(Int64) COMMENT 'Distinct products sold, per category',
    closed_at        DateTime64(3, 'UTC') COMMENT 'When the closing that wrote the row began (the version: a later closing replaces it)'
)
ENGINE = ReplacingMergeTree(closed_at)
PARTITION BY toYear(business_date)
ORDER BY (store_id, business_date)
TTL business_date + INTERVAL 1095 DAY
COMMENT 'Final sales per store x business day by category, written when the day closes (closing job); read through store_category_sales_daily';

-- The days closed before this migration, from their per-sku rows (the same figures the closing
-- wrote; a product counts once per day in sales_daily_store_sku, so products_sold is its count).
-- Versioned by those rows' closing: a later closing of the day replaces it.
INSERT INTO ${database}.sales_daily_store_category (business_date, store_id, categories, units_sold, net_sales_minor, discount_minor, sale_lines, products_sold, closed_at)
SELECT business_date, store_id, groupArray(category), groupArray(units), groupArray(net_minor), groupArray(discount_sum), groupArray(lines), groupArray(skus), max(closed)
FROM
(
    SELECT a.business_date AS business_date, a.store_id AS store_id, ifNull(toString(p.category), '') AS category,
           sum(a.units_sold) AS units, sum(a.net_sales_minor) AS net_minor, sum(a.discount_minor) AS discount_sum,
           sum(a.sale_lines) AS lines, toInt64(count()) AS skus, max(a.closed_at) AS closed
    FROM ${database}.sales_daily_store_sku AS a FINAL
    LEFT JOIN (SELECT sku, toNullable(category) AS category FROM ${database}.dim_product FINAL) AS p ON p.sku = a.sku
    WHERE (toString(a.store_id), a.business_date) IN (SELECT store_id, business_date FROM ${database}.days_clean WHERE fact = 'sales')
    GROUP BY business_date, store_id, category
)
GROUP BY business_date, store_id;

CREATE OR REPLACE VIEW ${database}.store_category_sales_daily
(
    business_date        Date COMMENT 'The store''s business date (local calendar day, cut at local midnight)',
    store_id             String COMMENT 'Store code',
    category             String COMMENT 'Product category (dim_product''s at the day''s closing; the current one for days not closed); empty for products not in dim_product',
    units_sold           Int64 COMMENT 'Units sold',
    net_sales_minor      Int64 COMMENT 'Net sales in the store''s currency, minor units',
    discount_minor       Int64 COMMENT 'Discounts given, minor units',
    sale_lines           Int64 COMMENT 'Sale lines',
    products_sold        Int64 COMMENT 'Distinct products of the category sold',
    currency             String COMMENT 'Currency of the local amounts: the store''s (ISO 4217); empty for a store not in dim_store',
    reporting_currency   String COMMENT 'Currency of every *_reporting column (REPORTING_CURRENCY)',
    net_sales_reporting  Nullable(Float64) COMMENT 'Net sales in the reporting currency at the rate of the business date (major units); NULL without a rate',
    discount_reporting   Nullable(Float64) COMMENT 'Discounts in the reporting currency (major units); NULL without a rate'
)
AS WITH ifNull((SELECT any(toString(currency)) FROM ${database}.reporting_currency FINAL), '') AS reporting
SELECT
    d.business_date AS business_date, d.store_id AS store_id, d.category AS category,
    d.units AS units_sold, d.net_minor AS net_sales_minor, d.discount_sum AS discount_minor, d.lines AS sale_lines, d.skus AS products_sold,
    toString(s.currency) AS currency, reporting AS reporting_currency,
    d.net_minor * r.to_reporting / 100 AS net_sales_reporting,
    d.discount_sum * r.to_reporting / 100 AS discount_reporting
FROM
(
    SELECT a.business_date AS business_date, toString(a.store_id) AS store_id, c.1 AS category, c.2 AS units, c.3 AS net_minor, c.4 AS discount_sum, c.5 AS lines, c.6 AS skus
    FROM ${database}.sales_daily_store_category AS a FINAL
    ARRAY JOIN arrayZip(a.categories, a.units_sold, a.net_sales_minor, a.discount_minor, a.sale_lines, a.products_sold) AS c
    WHERE (a.store_id, a.business_date) IN (SELECT store_id, business_date FROM ${database}.days_clean WHERE fact = 'sales')
    UNION ALL
    SELECT
        toDate(f.occurred_at + toIntervalSecond(o.utc_offset_s)) AS business_date, toString(f.store_id) AS store_id, ifNull(toString(p.category), '') AS category,
        sum(toInt64(f.quantity)) AS units, sum(f.net_amount) AS net_minor, sum(f.discount) AS discount_sum,
        toInt64(count()) AS lines, toInt64(uniqExact(f.sku)) AS skus
    FROM ${database}.fact_sale_lines AS f FINAL
    ASOF LEFT JOIN ${database}.dim_store_utc_offset AS o ON f.store_id = o.store_id AND f.occurred_at >= o.valid_from
    LEFT JOIN (SELECT sku, toNullable(category) AS category FROM ${database}.dim_product FINAL) AS p ON p.sku = f.sku
    WHERE f.occurred_at >= (SELECT ifNull(min(open_from), toDateTime(0, 'UTC')) FROM ${database}.days_open_from WHERE fact = 'sales')
      AND (toString(f.store_id), business_date) NOT IN (SELECT store_id, business_date FROM ${database}.days_clean WHERE fact = 'sales')
    GROUP BY business_date, store_id, category
) AS d
LEFT JOIN (SELECT toString(store_id) AS store_id, currency FROM ${database}.dim_store FINAL) AS s ON s.store_id = d.store_id
LEFT JOIN (SELECT currency, business_date, to_reporting FROM ${database}.exchange_rate_daily) AS r ON r.currency = s.currency AND r.business_date = d.business_date
COMMENT 'Sales per store x category x business day (cut at the store''s local midnight), local and in the reporting currency, for the dashboards: closed days from sales_daily_store_category, open and dirty days from the facts';

-- ── forecast accuracy per store x category x day ─────────────────────────────────────────
-- The ML performance page's accuracy panels joined a range of demand_daily to the one-day-ahead
-- demand_forecast per store x sku (4-5 s on the BI bench's chain month). Both are written by the
-- forecast job's predict only, which then rewrites this table over the days it refreshed
-- (services/forecast/accuracy-rollup.ts): one row per store and day holding every category, keyed
-- and versioned like sales_daily_store_category, so a rerun replaces, a day whose series all
-- became stock-out days gets empty arrays, and nothing is left behind or counted twice.

CREATE TABLE IF NOT EXISTS ${database}.forecast_accuracy_daily
(
    forecast_date   Date COMMENT 'The day forecast one day ahead and sold (the store''s business date)',
    store_id        LowCardinality(String) COMMENT 'Store',
    categories      Array(String) COMMENT 'Categories with a scored series that day (dim_product.category; empty for products not in dim_product); the arrays below are aligned with it',
    series_scored   Array(Int64) COMMENT 'Store x sku series scored (a forecast and a day that was not a stock-out day), per category',
    units_sold      Array(Int64) COMMENT 'Units sold by those series, per category',
    abs_error       Array(Float64) COMMENT 'Sum of |units sold - P50| over those series, per category',
    within_p10_p90  Array(Int64) COMMENT 'Series whose units sold fell inside P10-P90, per category',
    units_p10       Array(Float64) COMMENT 'Sum of P10, per category',
    units_p50       Array(Float64) COMMENT 'Sum of P50, per category',
    units_p90       Array(Float64) COMMENT 'Sum of P90, per category',
    computed_at     DateTime64(3, 'UTC') COMMENT 'When the predict that wrote the row ran (the version: a later one replaces it)'
)
ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYear(forecast_date)
ORDER BY (store_id, forecast_date)
TTL forecast_date + INTERVAL 730 DAY
COMMENT 'One-day-ahead forecast accuracy inputs per store x day by category, rewritten by each predict over the days it refreshed; read through forecast_accuracy_category_daily';

-- The days already forecast and sold before this migration.
INSERT INTO ${database}.forecast_accuracy_daily
    (forecast_date, store_id, categories, series_scored, units_sold, abs_error, within_p10_p90, units_p10, units_p50, units_p90, computed_at)
SELECT day, store, groupArray(category), groupArray(scored), groupArray(units), groupArray(err), groupArray(within), groupArray(p10), groupArray(p50), groupArray(p90), now64(3)
FROM
(
    -- Aliases apart from the joined columns' names: an alias named store_id makes the ON clause ambiguous.
    SELECT a.sales_date AS day, a.store_id AS store, ifNull(toString(p.category), '') AS category,
           toInt64(count()) AS scored, sum(a.units) AS units, sum(abs(toFloat64(a.units) - f.p50)) AS err,
           toInt64(countIf(a.units >= f.p10 AND a.units <= f.p90)) AS within, sum(f.p10) AS p10, sum(f.p50) AS p50, sum(f.p90) AS p90
    FROM (SELECT store_id, sku, sales_date, units, stockout FROM ${database}.demand_daily FINAL) AS a
    INNER JOIN (SELECT store_id, sku, forecast_date, p10, p50, p90 FROM ${database}.demand_forecast FINAL WHERE horizon_days = 1) AS f
        ON f.store_id = a.store_id AND f.sku = a.sku AND f.forecast_date = a.sales_date
    LEFT JOIN (SELECT sku, toNullable(category) AS category FROM ${database}.dim_product FINAL) AS p ON p.sku = a.sku
    WHERE NOT a.stockout
    GROUP BY day, store, category
)
GROUP BY day, store;

CREATE OR REPLACE VIEW ${database}.forecast_accuracy_category_daily
(
    forecast_date   Date COMMENT 'The day forecast one day ahead and sold',
    store_id        String COMMENT 'Store code',
    category        String COMMENT 'Product category (empty for products not in dim_product)',
    series_scored   Int64 COMMENT 'Store x sku series scored (stock-out days left out)',
    units_sold      Int64 COMMENT 'Units sold by them',
    abs_error       Float64 COMMENT 'Sum of |units sold - P50|: WAPE is sum(abs_error) / sum(units_sold)',
    within_p10_p90  Int64 COMMENT 'Series inside P10-P90: coverage is sum(within_p10_p90) / sum(series_scored)',
    units_p10       Float64 COMMENT 'Sum of P10',
    units_p50       Float64 COMMENT 'Sum of P50',
    units_p90       Float64 COMMENT 'Sum of P90'
)
AS SELECT a.forecast_date AS forecast_date, toString(a.store_id) AS store_id, c.1 AS category, c.2 AS series_scored, c.3 AS units_sold, c.4 AS abs_error,
    c.5 AS within_p10_p90, c.6 AS units_p10, c.7 AS units_p50, c.8 AS units_p90
FROM ${database}.forecast_accuracy_daily AS a FINAL
ARRAY JOIN arrayZip(a.categories, a.series_scored, a.units_sold, a.abs_error, a.within_p10_p90, a.units_p10, a.units_p50, a.units_p90) AS c
COMMENT 'One-day-ahead forecast accuracy inputs per store x category x day (forecast_accuracy_daily), for the ML performance dashboard';
