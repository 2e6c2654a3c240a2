-- bi_sales_daily, bi_store_sales_daily and bi_sales_hourly find their open and dirty days from the
-- small set of days that are NOT clean, instead of the large set of clean ones (issue 11, the
-- bi-query bench). Most of a dashboard query's time was fixed cost before a row of sales was read:
-- each view built the set of clean days (18,200 store x days on the bench's year) twice, once for
-- the closed branch's IN and once for the facts' NOT IN, which the open day's 200k sale lines
-- each probed, and took the facts' lower bound from days_open_from (a two-level GROUP BY of
-- days_state). Here:
--
-- - not clean = days_state FINAL rows of 'sales' that are not (closed and untouched since): 200
--   rows on the bench's year;
-- - the closed branch keeps the aggregates of the days NOT in that set (bi_store_sales_daily: LEFT
--   ANTI JOIN; the per-sku views: NOT IN, cheaper there);
-- - the open branch keeps the facts of the days IN that set. bi_store_sales_daily groups the facts
--   by (business_date, store_id) first and joins the set after (a join is not pushed below the
--   aggregation, so about a hundred groups are probed instead of 200k lines); the per-sku views
--   have as many groups as lines (100k store x sku on the open day) and filter the lines with IN;
-- - the facts' lower bound is the day before the earliest day not clean (a local business day
--   starts at most 14 hours before its UTC date, so no fact of it is older): one FINAL read and a
--   min, instead of days_open_from's two GROUP BYs. It only bounds the scan (the set decides).
--
-- Same rows as 0046 when every (store, business day) that has closed aggregates or facts has a
-- days_state row (the old IN clean / NOT IN clean differ from NOT IN not-clean / IN not-clean only
-- for a key with no row at all). That holds by construction:
-- - facts: every insert into fact_sale_lines writes days_touched (0010's materialized view), which
--   writes days_state on the business days around the UTC date (0015's); a business day is within
--   a day of its UTC date (offsets -12 h to +14 h, or 0 when unknown, the view's own rule);
-- - aggregates: only the closing job writes them (services/bi-rollups/closing.ts), for a day it
--   found due, i.e. around a touched UTC date, hence with a days_state row from the touch; it
--   writes days_closed LAST. A crash between the aggregates and days_closed leaves the day touched
--   and not closed (or closed before the touch): not clean, so its new aggregates are skipped and
--   its facts read, as before; the next cycle closes it again;
-- - days_state has no TTL (the aggregates have), a rebuild (replay --rebuild) truncates the facts
--   and dimensions only, and re-inserted facts touch their days again.
-- One difference by design: the old bound (days_open_from) started after a store's last closed
-- day, so the facts of a day never closed before it (a neighbour of the first touched date that
-- the closing job had not closed) were not read; here they are, as the views' comments say (open
-- and dirty days from the facts). The closing job closes every touched neighbour day once it is
-- over, so in a running system there are none.
--
-- Measured on a copy of the bi-query bench's year, one chDB session, 2 threads, hash joins, the
-- 0046 view and this one alternately, 30 runs each (figures in the commit).
--
-- Views replaced (CREATE OR REPLACE, columns, comments and their order unchanged): bi_sales_daily,
-- bi_store_sales_daily, bi_sales_hourly.

CREATE OR REPLACE VIEW ${database}.bi_sales_daily
(
    sales_date          Date COMMENT 'The store''s business date (local calendar day; was the UTC date before migration 0010)',
    business_date       Date COMMENT 'The store''s business date (local calendar day, cut at local midnight)',
    store_id            String COMMENT 'Store code',
    sku                 String COMMENT 'Product code',
    units_sold          Int64 COMMENT 'Units sold',
    net_sales_minor     Int64 COMMENT 'Net sales, minor units',
    net_sales           Decimal(18, 2) COMMENT 'Net sales',
    discount_minor      Int64 COMMENT 'Discounts given, minor units',
    discount            Decimal(18, 2) COMMENT 'Discounts given',
    gross_sales_minor   Int64 COMMENT 'Sales before discounts, minor units',
    gross_sales         Decimal(18, 2) COMMENT 'Sales before discounts',
    sale_lines          Int64 COMMENT 'Sale lines',
    transactions        Int64 COMMENT 'Sales (baskets) with the product',
    currency                    String COMMENT 'Currency of the local amounts: the store''s (ISO 4217); empty for a store not in dim_store',
    reporting_currency          String COMMENT 'Currency of every *_reporting column (REPORTING_CURRENCY)',
    net_sales_reporting         Nullable(Float64) COMMENT 'net_sales in the reporting currency at the rate of the business date; NULL without a rate',
    net_sales_ex_tax            Nullable(Float64) COMMENT 'net_sales without the VAT it includes (the store''s VAT rate on the business date); NULL when that rate is unknown',
    net_sales_ex_tax_reporting  Nullable(Float64) COMMENT 'net_sales_ex_tax in the reporting currency; NULL without a rate or a VAT rate',
    discount_reporting          Nullable(Float64) COMMENT 'discount in the reporting currency; NULL without a rate',
    gross_sales_reporting       Nullable(Float64) COMMENT 'gross_sales in the reporting currency; NULL without a rate'
)
AS WITH ifNull((SELECT any(toString(currency)) FROM ${database}.reporting_currency FINAL), '') AS reporting
SELECT
    d.business_date AS sales_date, d.business_date AS business_date, d.store_id AS store_id, d.sku AS sku,
    d.units AS units_sold, d.net_minor AS net_sales_minor, toDecimal64(d.net_minor, 2) / 100 AS net_sales,
    d.discount_sum AS discount_minor, toDecimal64(d.discount_sum, 2) / 100 AS discount,
    d.net_minor + d.discount_sum AS gross_sales_minor, toDecimal64(d.net_minor + d.discount_sum, 2) / 100 AS gross_sales,
    d.lines AS sale_lines, d.baskets AS transactions,
    toString(s.currency) AS currency, reporting AS reporting_currency,
    d.net_minor * r.to_reporting / 100 AS net_sales_reporting,
    d.net_minor / (1 + v.vat_rate) / 100 AS net_sales_ex_tax,
    d.net_minor / (1 + v.vat_rate) * r.to_reporting / 100 AS net_sales_ex_tax_reporting,
    d.discount_sum * r.to_reporting / 100 AS discount_reporting,
    (d.net_minor + d.discount_sum) * r.to_reporting / 100 AS gross_sales_reporting
FROM
(
    SELECT a.business_date, a.store_id, a.sku, a.units_sold AS units, a.net_sales_minor AS net_minor, a.discount_minor AS discount_sum, a.sale_lines AS lines, a.transactions AS baskets
    FROM ${database}.sales_daily_store_sku AS a FINAL
    WHERE (a.store_id, a.business_date) NOT IN (SELECT toString(store_id) AS store_id, business_date FROM ${database}.days_state FINAL WHERE fact = 'sales' AND NOT (is_closed = 1 AND touched_at <= closed_at))
    UNION ALL
    SELECT
        toDate(f.occurred_at + toIntervalSecond(o.utc_offset_s)) AS business_date, toString(f.store_id) AS store_id, f.sku AS sku,
        sum(toInt64(f.quantity)) AS units, sum(f.net_amount) AS net_minor, sum(f.discount) AS discount_sum,
        toInt64(count()) AS lines, toInt64(uniqExact(f.event_id)) AS baskets
    FROM ${database}.fact_sale_lines AS f FINAL
    ASOF LEFT JOIN ${database}.dim_store_utc_offset AS o ON f.store_id = o.store_id AND f.occurred_at >= o.valid_from
    WHERE f.occurred_at >= (SELECT toDateTime(ifNull(minOrNull(business_date), toDate('2100-01-01')) - 1, 'UTC') FROM ${database}.days_state FINAL WHERE fact = 'sales' AND NOT (is_closed = 1 AND touched_at <= closed_at))
      AND (toString(f.store_id), business_date) IN (SELECT toString(store_id) AS store_id, business_date FROM ${database}.days_state FINAL WHERE fact = 'sales' AND NOT (is_closed = 1 AND touched_at <= closed_at))
    GROUP BY business_date, store_id, sku
) AS d
LEFT JOIN (SELECT toString(store_id) AS store_id, currency FROM ${database}.dim_store FINAL) AS s ON s.store_id = d.store_id
LEFT JOIN (SELECT currency, business_date, to_reporting FROM ${database}.exchange_rate_daily) AS r ON r.currency = s.currency AND r.business_date = d.business_date
-- The VAT rate in force on the business day (vat_rate_periods).
ASOF LEFT JOIN ${database}.vat_rate_periods AS v ON v.store_id = d.store_id AND d.business_date >= v.valid_from
COMMENT 'Sales per store x product x business day (cut at the store''s local midnight), local and in the reporting currency, with and without VAT: closed days from sales_daily_store_sku, open and dirty days from the facts';

CREATE OR REPLACE VIEW ${database}.bi_store_sales_daily
(
    business_date       Date COMMENT 'The store''s business date (local calendar day, cut at local midnight)',
    store_id            String COMMENT 'Store code',
    units_sold          Int64 COMMENT 'Units sold',
    net_sales_minor     Int64 COMMENT 'Net sales, minor units',
    net_sales           Decimal(18, 2) COMMENT 'Net sales',
    discount_minor      Int64 COMMENT 'Discounts given, minor units',
    discount            Decimal(18, 2) COMMENT 'Discounts given',
    gross_sales_minor   Int64 COMMENT 'Sales before discounts, minor units',
    gross_sales         Decimal(18, 2) COMMENT 'Sales before discounts',
    sale_lines          Int64 COMMENT 'Sale lines',
    transactions        Int64 COMMENT 'Sales (baskets)',
    products_sold       Int64 COMMENT 'Distinct products sold',
    currency                    String COMMENT 'Currency of the local amounts: the store''s (ISO 4217); empty for a store not in dim_store',
    reporting_currency          String COMMENT 'Currency of every *_reporting column (REPORTING_CURRENCY)',
    net_sales_reporting         Nullable(Float64) COMMENT 'net_sales in the reporting currency at the rate of the business date; NULL without a rate',
    net_sales_ex_tax            Nullable(Float64) COMMENT 'net_sales without the VAT it includes (the store''s VAT rate on the business date); NULL when that rate is unknown',
    net_sales_ex_tax_reporting  Nullable(Float64) COMMENT 'net_sales_ex_tax in the reporting currency; NULL without a rate or a VAT rate',
    discount_reporting          Nullable(Float64) COMMENT 'discount in the reporting currency; NULL without a rate',
    gross_sales_reporting       Nullable(Float64) COMMENT 'gross_sales in the reporting currency; NULL without a rate'
)
AS WITH ifNull((SELECT any(toString(currency)) FROM ${database}.reporting_currency FINAL), '') AS reporting
SELECT
    d.business_date AS business_date, d.store_id AS store_id,
    d.units AS units_sold, d.net_minor AS net_sales_minor, toDecimal64(d.net_minor, 2) / 100 AS net_sales,
    d.discount_sum AS discount_minor, toDecimal64(d.discount_sum, 2) / 100 AS discount,
    d.net_minor + d.discount_sum AS gross_sales_minor, toDecimal64(d.net_minor + d.discount_sum, 2) / 100 AS gross_sales,
    d.lines AS sale_lines, d.baskets AS transactions, d.skus AS products_sold,
    toString(s.currency) AS currency, reporting AS reporting_currency,
    d.net_minor * r.to_reporting / 100 AS net_sales_reporting,
    d.net_minor / (1 + v.vat_rate) / 100 AS net_sales_ex_tax,
    d.net_minor / (1 + v.vat_rate) * r.to_reporting / 100 AS net_sales_ex_tax_reporting,
    d.discount_sum * r.to_reporting / 100 AS discount_reporting,
    (d.net_minor + d.discount_sum) * r.to_reporting / 100 AS gross_sales_reporting
FROM
(
    SELECT a.business_date, a.store_id, a.units_sold AS units, a.net_sales_minor AS net_minor, a.discount_minor AS discount_sum, a.sale_lines AS lines, a.transactions AS baskets, a.products_sold AS skus
    FROM ${database}.sales_daily_store AS a FINAL
    LEFT ANTI JOIN (SELECT toString(store_id) AS store_id, business_date FROM ${database}.days_state FINAL WHERE fact = 'sales' AND NOT (is_closed = 1 AND touched_at <= closed_at)) AS n ON n.store_id = a.store_id AND n.business_date = a.business_date
    UNION ALL
    SELECT g.* FROM
    (
        SELECT
            toDate(f.occurred_at + toIntervalSecond(o.utc_offset_s)) AS business_date, toString(f.store_id) AS store_id,
            sum(toInt64(f.quantity)) AS units, sum(f.net_amount) AS net_minor, sum(f.discount) AS discount_sum,
            toInt64(count()) AS lines, toInt64(uniqExact(f.event_id)) AS baskets, toInt64(uniqExact(f.sku)) AS skus
        FROM ${database}.fact_sale_lines AS f FINAL
        ASOF LEFT JOIN ${database}.dim_store_utc_offset AS o ON f.store_id = o.store_id AND f.occurred_at >= o.valid_from
        WHERE f.occurred_at >= (SELECT toDateTime(ifNull(minOrNull(business_date), toDate('2100-01-01')) - 1, 'UTC') FROM ${database}.days_state FINAL WHERE fact = 'sales' AND NOT (is_closed = 1 AND touched_at <= closed_at))
        GROUP BY business_date, store_id
    ) AS g
    INNER JOIN (SELECT toString(store_id) AS store_id, business_date FROM ${database}.days_state FINAL WHERE fact = 'sales' AND NOT (is_closed = 1 AND touched_at <= closed_at)) AS n ON n.store_id = g.store_id AND n.business_date = g.business_date
) AS d
LEFT JOIN (SELECT toString(store_id) AS store_id, currency FROM ${database}.dim_store FINAL) AS s ON s.store_id = d.store_id
LEFT JOIN (SELECT currency, business_date, to_reporting FROM ${database}.exchange_rate_daily) AS r ON r.currency = s.currency AND r.business_date = d.business_date
-- The VAT rate in force on the business day (vat_rate_periods).
ASOF LEFT JOIN ${database}.vat_rate_periods AS v ON v.store_id = d.store_id AND d.business_date >= v.valid_from
COMMENT 'Sales per store x business day (cut at the store''s local midnight), local and in the reporting currency, with and without VAT, for chain and region dashboards: closed days from sales_daily_store, open and dirty days from the facts';

CREATE OR REPLACE VIEW ${database}.bi_sales_hourly
(
    hour_start_utc      DateTime('UTC') COMMENT 'Start of the hour (UTC)',
    business_date       Date COMMENT 'The store''s business date of the hour',
    local_hour          Int32 COMMENT 'Hour of the day on the store''s clock, 0-23',
    store_id            String COMMENT 'Store code',
    sku                 String COMMENT 'Product code',
    units_sold          Int64 COMMENT 'Units sold',
    net_sales_minor     Int64 COMMENT 'Net sales, minor units',
    net_sales           Decimal(18, 2) COMMENT 'Net sales',
    discount_minor      Int64 COMMENT 'Discounts given, minor units',
    discount            Decimal(18, 2) COMMENT 'Discounts given',
    gross_sales_minor   Int64 COMMENT 'Sales before discounts, minor units',
    gross_sales         Decimal(18, 2) COMMENT 'Sales before discounts',
    sale_lines          Int64 COMMENT 'Sale lines',
    transactions        Int64 COMMENT 'Sales (baskets) with the product',
    currency                    String COMMENT 'Currency of the local amounts: the store''s (ISO 4217); empty for a store not in dim_store',
    reporting_currency          String COMMENT 'Currency of every *_reporting column (REPORTING_CURRENCY)',
    net_sales_reporting         Nullable(Float64) COMMENT 'net_sales in the reporting currency at the rate of the business date; NULL without a rate',
    net_sales_ex_tax            Nullable(Float64) COMMENT 'net_sales without the VAT it includes (the store''s VAT rate on the business date); NULL when that rate is unknown',
    net_sales_ex_tax_reporting  Nullable(Float64) COMMENT 'net_sales_ex_tax in the reporting currency; NULL without a rate or a VAT rate',
    discount_reporting          Nullable(Float64) COMMENT 'discount in the reporting currency; NULL without a rate',
    gross_sales_reporting       Nullable(Float64) COMMENT 'gross_sales in the reporting currency; NULL without a rate'
)
AS WITH ifNull((SELECT any(toString(currency)) FROM ${database}.reporting_currency FINAL), '') AS reporting
SELECT
    d.hour_start_utc AS hour_start_utc, d.business_date AS business_date, toInt32(d.hour_local) AS local_hour, d.store_id AS store_id, d.sku AS sku,
    d.units AS units_sold, d.net_minor AS net_sales_minor, toDecimal64(d.net_minor, 2) / 100 AS net_sales,
    d.discount_sum AS discount_minor, toDecimal64(d.discount_sum, 2) / 100 AS discount,
    d.net_minor + d.discount_sum AS gross_sales_minor, toDecimal64(d.net_minor + d.discount_sum, 2) / 100 AS gross_sales,
    d.lines AS sale_lines, d.baskets AS transactions,
    toString(s.currency) AS currency, reporting AS reporting_currency,
    d.net_minor * r.to_reporting / 100 AS net_sales_reporting,
    d.net_minor / (1 + v.vat_rate) / 100 AS net_sales_ex_tax,
    d.net_minor / (1 + v.vat_rate) * r.to_reporting / 100 AS net_sales_ex_tax_reporting,
    d.discount_sum * r.to_reporting / 100 AS discount_reporting,
    (d.net_minor + d.discount_sum) * r.to_reporting / 100 AS gross_sales_reporting
FROM
(
    SELECT a.hour_start_utc, a.business_date, a.local_hour AS hour_local, a.store_id, a.sku, a.units_sold AS units, a.net_sales_minor AS net_minor, a.discount_minor AS discount_sum, a.sale_lines AS lines, a.transactions AS baskets
    FROM ${database}.sales_hourly_store_sku AS a FINAL
    WHERE (a.store_id, a.business_date) NOT IN (SELECT toString(store_id) AS store_id, business_date FROM ${database}.days_state FINAL WHERE fact = 'sales' AND NOT (is_closed = 1 AND touched_at <= closed_at))
    UNION ALL
    SELECT
        toStartOfHour(f.occurred_at) AS hour_start_utc,
        toDate(f.occurred_at + toIntervalSecond(o.utc_offset_s)) AS business_date,
        toHour(f.occurred_at + toIntervalSecond(o.utc_offset_s)) AS hour_local,
        toString(f.store_id) AS store_id, f.sku AS sku,
        sum(toInt64(f.quantity)) AS units, sum(f.net_amount) AS net_minor, sum(f.discount) AS discount_sum,
        toInt64(count()) AS lines, toInt64(uniqExact(f.event_id)) AS baskets
    FROM ${database}.fact_sale_lines AS f FINAL
    ASOF LEFT JOIN ${database}.dim_store_utc_offset AS o ON f.store_id = o.store_id AND f.occurred_at >= o.valid_from
    WHERE f.occurred_at >= (SELECT toDateTime(ifNull(minOrNull(business_date), toDate('2100-01-01')) - 1, 'UTC') FROM ${database}.days_state FINAL WHERE fact = 'sales' AND NOT (is_closed = 1 AND touched_at <= closed_at))
      AND (toString(f.store_id), business_date) IN (SELECT toString(store_id) AS store_id, business_date FROM ${database}.days_state FINAL WHERE fact = 'sales' AND NOT (is_closed = 1 AND touched_at <= closed_at))
    GROUP BY hour_start_utc, business_date, hour_local, store_id, sku
) AS d
LEFT JOIN (SELECT toString(store_id) AS store_id, currency FROM ${database}.dim_store FINAL) AS s ON s.store_id = d.store_id
LEFT JOIN (SELECT currency, business_date, to_reporting FROM ${database}.exchange_rate_daily) AS r ON r.currency = s.currency AND r.business_date = d.business_date
-- The VAT rate in force on the business day (vat_rate_periods).
ASOF LEFT JOIN ${database}.vat_rate_periods AS v ON v.store_id = d.store_id AND d.business_date >= v.valid_from
COMMENT 'Sales per store x product x hour, with the store''s business date and local hour, local and in the reporting currency, with and without VAT: closed days from sales_hourly_store_sku, open and dirty days from the facts';
