-- VAT per business day, stated once, from the store's local date, in every bi_* view with
-- revenue excluding tax (issue 14, after 0044 and 0045).
--
-- 1. One definition of "the rate in force on a business day": vat_rate_periods. 0045 repeated the
--    same dim_vat_rate subquery in five views; they read this view instead (same bodies
--    otherwise), and so do the four views that still divided by dim_store.vat_rate.
--
-- 2. A rate takes effect from the store's local business date. 0044's materialized view records a
--    store version's rate from the UTC date of its updated_at: a Dubai store that publishes a new
--    rate at 01:00 local (21:00 UTC the day before) had it applied to the whole local day before.
--    The fix is in this view, not in what fills dim_vat_rate: rows already written (and those the
--    materialized view keeps writing) still carry updated_at, so the local date is recomputed at
--    query time from the store's UTC offset at that instant (dim_store_utc_offset, as the facts
--    get their business dates; no offset known: the UTC date, as before). Rows of other writers
--    (a back office, 0044's backfill at 1970-01-01) already name a local date: taken as written.
--    Two rows that land on one store and local date: the newest updated_at wins, as
--    dim_vat_rate's own rule says. One thing cannot be recovered: two versions of a store within
--    one UTC date were one row of dim_vat_rate (ReplacingMergeTree by store and UTC date), so if
--    they straddle the local midnight only the newer is known.
--
-- 3. bi_sales_velocity, bi_store_revenue_hourly, bi_product_quadrants and bi_sales_rolling take
--    VAT out at the rate of the row's business day (0019's text, 0028's for bi_sales_rolling,
--    with only the VAT part changed): a VAT change no longer restates their past either. The
--    quadrants and the rolling averages join the rate per day before they sum, so a period that
--    spans a change sums each day at its own rate; the rolling view gives a day without a sale
--    its rate too (0 excluding tax, NULL when the rate is unknown, as before).
--
-- Shape and cost, measured on the bi-query bench's year (a copy, 50 stores with a rate each and a
-- change on 2026-06-30 22:30 UTC for half of them), alternately in one process, on a shared
-- machine at load 10-17:
-- - the consumers ASOF-join on (store_id, business date >= valid_from): a LEFT JOIN on the store
--   with valid_from <= day < valid_to gave the same rows at the same cost (12.8 vs 12.7 ms p50
--   over one store's year), so the view carries no valid_to;
-- - the view level itself costs nothing measurable: 0045's subquery behind a view answered the
--   dashboard queries as fast as inline (p50 66.8 vs 66.1 ms, top SKUs of a store);
-- - the local date does cost: the view reads dim_store_utc_offset, which 0045 did not. Alone,
--   the periods take p50 7.0-7.3 ms against 3.6-3.9 ms for 0045's subquery (80 runs); the
--   offset picked by argMaxIf after a plain join on the store is 1.5 ms cheaper than an ASOF join
--   (8.1-8.8 ms), a groupArray lookup or an array form (7.8, 9.1 ms). On the bi-query bench's
--   dashboard queries, 0045 and 0046 alternately, 40 runs each at load 11: revenue by region and
--   day p50 110.1 vs 109.5 ms (ratio 0.99, median of paired ratios 1.01), top SKUs of a store
--   69.8 vs 72.0 ms (1.03, paired 1.04): about 2 ms, the offsets read. At load 13-17 single runs
--   of 20 gave ratios from 0.67 to 1.39: the bench should be re-run on a quiet machine. Taking
--   the local date at write time instead would cost nothing at query time but would depend on
--   the closing job having written the store's offsets before the version lands (not so in a
--   rebuild, where dim_store comes first) and would leave the rows already written on UTC dates.
--
-- Views replaced (CREATE OR REPLACE, columns and their order unchanged): bi_sales_daily,
-- bi_store_sales_daily, bi_sales_hourly, bi_sales, bi_returns, bi_sales_velocity,
-- bi_store_revenue_hourly, bi_product_quadrants, bi_sales_rolling.

CREATE OR REPLACE VIEW ${database}.vat_rate_periods
(
    store_id    String COMMENT 'Store the rate applies to (its shelf prices include it)',
    valid_from  Date COMMENT 'First business day (the store''s local date) the rate applies to, until the store''s next valid_from; 1970-01-01 for the store''s first known rate, which also covers the days before it was learnt',
    vat_rate    Nullable(Float64) COMMENT 'VAT included in the store''s shelf prices, as a fraction (0.055 = 5.5%); never NULL here, Nullable so that a LEFT JOIN that finds no rate reads NULL (unknown) rather than 0'
)
AS SELECT
    store_id,
    -- A store's first rate also covers its earlier days (0044): a later change must not leave them without one.
    if(day = min(day) OVER (PARTITION BY store_id), toDate(0), day) AS valid_from,
    toNullable(rate) AS vat_rate
FROM
(
    -- For one store and day the newest row wins (dim_vat_rate's rule), also when a store version
    -- and another writer's row land on the same local day.
    SELECT store_id, day, argMax(rate, updated_at) AS rate
    FROM
    (
        SELECT
            toString(r.store_id) AS store_id, r.updated_at AS updated_at, r.vat_rate AS rate,
            -- A store version takes effect on the store's local date of its updated_at: the UTC
            -- offset of the latest transition at or before it (none known: 0, the UTC date).
            -- Other rows name their day. The offset is picked by argMaxIf over the store's few
            -- transitions after a plain join: same rows as an ASOF join, cheaper (see above).
            if(r.source = 'md.stores', toDate(r.updated_at + toIntervalSecond(argMaxIf(o.utc_offset_s, o.valid_from, o.valid_from <= r.updated_at))), r.valid_from) AS day
        FROM ${database}.dim_vat_rate AS r FINAL
        LEFT JOIN ${database}.dim_store_utc_offset AS o ON o.store_id = r.store_id
        GROUP BY r.store_id, r.valid_from, r.updated_at, r.vat_rate, r.source
    )
    GROUP BY store_id, day
)
COMMENT 'The VAT rate in force on each business day of a store: one row per store and first local business day of a rate, which applies until the next; join with ASOF on (store_id, business_date >= valid_from). Read by every bi_* view with revenue excluding tax';

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
    WHERE (a.store_id, a.business_date) IN (SELECT toString(store_id), business_date FROM ${database}.days_state FINAL WHERE fact = 'sales' AND is_closed = 1 AND touched_at <= closed_at)
    UNION ALL
    SELECT
        toDate(f.occurred_at + toIntervalSecond(o.utc_offset_s)) AS business_date, toString(f.store_id) AS store_id, f.sku AS sku,
        sum(toInt64(f.quantity)) AS units, sum(f.net_amount) AS net_minor, sum(f.discount) AS discount_sum,
        toInt64(count()) AS lines, toInt64(uniqExact(f.event_id)) AS baskets
    FROM ${database}.fact_sale_lines AS f FINAL
    ASOF LEFT JOIN ${database}.dim_store_utc_offset AS o ON f.store_id = o.store_id AND f.occurred_at >= o.valid_from
    WHERE f.occurred_at >= (SELECT ifNull(min(open_from), toDateTime(0, 'UTC')) FROM ${database}.days_open_from WHERE fact = 'sales')
      AND (toString(f.store_id), business_date) NOT IN (SELECT toString(store_id), business_date FROM ${database}.days_state FINAL WHERE fact = 'sales' AND is_closed = 1 AND touched_at <= closed_at)
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
    WHERE (a.store_id, a.business_date) IN (SELECT toString(store_id), business_date FROM ${database}.days_state FINAL WHERE fact = 'sales' AND is_closed = 1 AND touched_at <= closed_at)
    UNION ALL
    SELECT
        toDate(f.occurred_at + toIntervalSecond(o.utc_offset_s)) AS business_date, toString(f.store_id) AS store_id,
        sum(toInt64(f.quantity)) AS units, sum(f.net_amount) AS net_minor, sum(f.discount) AS discount_sum,
        toInt64(count()) AS lines, toInt64(uniqExact(f.event_id)) AS baskets, toInt64(uniqExact(f.sku)) AS skus
    FROM ${database}.fact_sale_lines AS f FINAL
    ASOF LEFT JOIN ${database}.dim_store_utc_offset AS o ON f.store_id = o.store_id AND f.occurred_at >= o.valid_from
    WHERE f.occurred_at >= (SELECT ifNull(min(open_from), toDateTime(0, 'UTC')) FROM ${database}.days_open_from WHERE fact = 'sales')
      AND (toString(f.store_id), business_date) NOT IN (SELECT toString(store_id), business_date FROM ${database}.days_state FINAL WHERE fact = 'sales' AND is_closed = 1 AND touched_at <= closed_at)
    GROUP BY business_date, store_id
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
    WHERE (a.store_id, a.business_date) IN (SELECT toString(store_id), business_date FROM ${database}.days_state FINAL WHERE fact = 'sales' AND is_closed = 1 AND touched_at <= closed_at)
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
    WHERE f.occurred_at >= (SELECT ifNull(min(open_from), toDateTime(0, 'UTC')) FROM ${database}.days_open_from WHERE fact = 'sales')
      AND (toString(f.store_id), business_date) NOT IN (SELECT toString(store_id), business_date FROM ${database}.days_state FINAL WHERE fact = 'sales' AND is_closed = 1 AND touched_at <= closed_at)
    GROUP BY hour_start_utc, business_date, hour_local, store_id, sku
) AS d
LEFT JOIN (SELECT toString(store_id) AS store_id, currency FROM ${database}.dim_store FINAL) AS s ON s.store_id = d.store_id
LEFT JOIN (SELECT currency, business_date, to_reporting FROM ${database}.exchange_rate_daily) AS r ON r.currency = s.currency AND r.business_date = d.business_date
-- The VAT rate in force on the business day (vat_rate_periods).
ASOF LEFT JOIN ${database}.vat_rate_periods AS v ON v.store_id = d.store_id AND d.business_date >= v.valid_from
COMMENT 'Sales per store x product x hour, with the store''s business date and local hour, local and in the reporting currency, with and without VAT: closed days from sales_hourly_store_sku, open and dirty days from the facts';

CREATE OR REPLACE VIEW ${database}.bi_sales
(
    sale_id             UUID COMMENT 'Sale event id',
    line_number         Int32 COMMENT 'Line in the basket',
    sold_at             DateTime64(3, 'UTC') COMMENT 'When the sale completed (UTC)',
    sales_date          Date COMMENT 'Date of the sale (UTC); business_date is the store''s day',
    store_id            String COMMENT 'Store code',
    terminal_id         String COMMENT 'Till',
    transaction_id      String COMMENT 'Transaction number at the till',
    cashier_id          String COMMENT 'Cashier',
    payment_method      String COMMENT 'CASH, CARD, MOBILE, GIFT_CARD or OTHER',
    currency            String COMMENT 'Currency of the local amounts (ISO 4217)',
    sku                 String COMMENT 'Product code',
    units_sold          Int32 COMMENT 'Units sold',
    unit_price_minor    Int64 COMMENT 'Shelf price of one unit, minor units',
    unit_price          Decimal(18, 2) COMMENT 'Shelf price of one unit',
    discount_minor      Int64 COMMENT 'Discount on the line, minor units',
    discount            Decimal(18, 2) COMMENT 'Discount on the line',
    net_sales_minor     Int64 COMMENT 'Units x price - discount, minor units',
    net_sales           Decimal(18, 2) COMMENT 'Units x price - discount',
    promotion_id        Nullable(String) COMMENT 'Promotion that gave the discount',
    business_date               Date COMMENT 'The store''s business date of the sale (local calendar day)',
    local_hour                  Int32 COMMENT 'Hour of the sale on the store''s clock, 0-23',
    reporting_currency          String COMMENT 'Currency of every *_reporting column (REPORTING_CURRENCY)',
    discount_reporting          Nullable(Float64) COMMENT 'discount in the reporting currency at the rate of the business date; NULL without a rate',
    net_sales_reporting         Nullable(Float64) COMMENT 'net_sales in the reporting currency at the rate of the business date; NULL without a rate',
    net_sales_ex_tax            Nullable(Float64) COMMENT 'net_sales without the VAT it includes (the store''s VAT rate on the business date); NULL when that rate is unknown',
    net_sales_ex_tax_reporting  Nullable(Float64) COMMENT 'net_sales_ex_tax in the reporting currency; NULL without a rate or a VAT rate'
)
AS WITH ifNull((SELECT any(toString(currency)) FROM ${database}.reporting_currency FINAL), '') AS reporting
SELECT
    l.event_id AS sale_id, toInt32(l.line_number) AS line_number, l.occurred_at AS sold_at, toDate(l.occurred_at) AS sales_date,
    toString(l.store_id) AS store_id, toString(l.terminal_id) AS terminal_id, l.transaction_id AS transaction_id, toString(l.cashier_id) AS cashier_id,
    toString(l.payment_method) AS payment_method, toString(l.currency) AS currency, l.sku AS sku, l.quantity AS units_sold,
    l.unit_price AS unit_price_minor, toDecimal64(l.unit_price, 2) / 100 AS unit_price,
    l.discount AS discount_minor, toDecimal64(l.discount, 2) / 100 AS discount,
    l.net_amount AS net_sales_minor, toDecimal64(l.net_amount, 2) / 100 AS net_sales,
    l.promotion_id AS promotion_id,
    l.day AS business_date, l.hour_local AS local_hour, reporting AS reporting_currency,
    l.discount * r.to_reporting / 100 AS discount_reporting,
    l.net_amount * r.to_reporting / 100 AS net_sales_reporting,
    l.net_amount / (1 + v.vat_rate) / 100 AS net_sales_ex_tax,
    l.net_amount / (1 + v.vat_rate) * r.to_reporting / 100 AS net_sales_ex_tax_reporting
FROM
(
    SELECT f.*, toDate(f.occurred_at + toIntervalSecond(o.utc_offset_s)) AS day, toInt32(toHour(f.occurred_at + toIntervalSecond(o.utc_offset_s))) AS hour_local
    FROM ${database}.fact_sale_lines AS f FINAL
    ASOF LEFT JOIN ${database}.dim_store_utc_offset AS o ON f.store_id = o.store_id AND f.occurred_at >= o.valid_from
) AS l
LEFT JOIN (SELECT currency, business_date, to_reporting FROM ${database}.exchange_rate_daily) AS r ON r.currency = l.currency AND r.business_date = l.day
-- The VAT rate in force on the business day (vat_rate_periods).
ASOF LEFT JOIN ${database}.vat_rate_periods AS v ON v.store_id = l.store_id AND l.day >= v.valid_from
COMMENT 'Sale lines for BI: one row per line of every sale, local amounts with their reporting-currency and ex-tax twins, on the store''s business date';

CREATE OR REPLACE VIEW ${database}.bi_returns
(
    return_event_id          UUID COMMENT 'Return event id',
    line_number              Int32 COMMENT 'Line in the return',
    returned_at              DateTime64(3, 'UTC') COMMENT 'When the return was processed (UTC)',
    return_date              Date COMMENT 'Date of the return (UTC); business_date is the store''s day',
    store_id                 String COMMENT 'Store code',
    terminal_id              String COMMENT 'Till',
    return_id                String COMMENT 'Return number at the till',
    original_transaction_id  Nullable(String) COMMENT 'The sale returned, when known',
    sku                      String COMMENT 'Product code',
    units_returned           Int32 COMMENT 'Units returned',
    refund_minor             Int64 COMMENT 'Refund, minor units',
    refund                   Decimal(18, 2) COMMENT 'Refund (VAT included, as the price was)',
    restockable              Bool COMMENT 'The units went back on the shelf',
    return_reason            String COMMENT 'Why it was returned',
    currency                 String COMMENT 'Currency of the local amounts (ISO 4217)',
    business_date            Date COMMENT 'The store''s business date of the return (local calendar day)',
    local_hour               Int32 COMMENT 'Hour of the return on the store''s clock, 0-23',
    reporting_currency       String COMMENT 'Currency of every *_reporting column (REPORTING_CURRENCY)',
    refund_reporting         Nullable(Float64) COMMENT 'refund in the reporting currency at the rate of the business date; NULL without a rate',
    refund_ex_tax            Nullable(Float64) COMMENT 'refund without the VAT it includes (the store''s VAT rate on the business date); NULL when that rate is unknown',
    refund_ex_tax_reporting  Nullable(Float64) COMMENT 'refund_ex_tax in the reporting currency; NULL without a rate or a VAT rate'
)
AS WITH ifNull((SELECT any(toString(currency)) FROM ${database}.reporting_currency FINAL), '') AS reporting
SELECT
    l.event_id AS return_event_id, toInt32(l.line_number) AS line_number, l.occurred_at AS returned_at,
    toDate(l.occurred_at) AS return_date, toString(l.store_id) AS store_id, toString(l.terminal_id) AS terminal_id, l.return_id AS return_id,
    l.original_transaction_id AS original_transaction_id, l.sku AS sku,
    l.quantity AS units_returned, l.refund_amount AS refund_minor, toDecimal64(l.refund_amount, 2) / 100 AS refund,
    l.restockable AS restockable, toString(l.reason) AS return_reason, toString(l.currency) AS currency,
    l.day AS business_date, l.hour_local AS local_hour, reporting AS reporting_currency,
    l.refund_amount * r.to_reporting / 100 AS refund_reporting,
    l.refund_amount / (1 + v.vat_rate) / 100 AS refund_ex_tax,
    l.refund_amount / (1 + v.vat_rate) * r.to_reporting / 100 AS refund_ex_tax_reporting
FROM
(
    SELECT f.*, toDate(f.occurred_at + toIntervalSecond(o.utc_offset_s)) AS day, toInt32(toHour(f.occurred_at + toIntervalSecond(o.utc_offset_s))) AS hour_local
    FROM ${database}.fact_return_lines AS f FINAL
    ASOF LEFT JOIN ${database}.dim_store_utc_offset AS o ON f.store_id = o.store_id AND f.occurred_at >= o.valid_from
) AS l
LEFT JOIN (SELECT currency, business_date, to_reporting FROM ${database}.exchange_rate_daily) AS r ON r.currency = l.currency AND r.business_date = l.day
-- The VAT rate in force on the business day (vat_rate_periods).
ASOF LEFT JOIN ${database}.vat_rate_periods AS v ON v.store_id = l.store_id AND l.day >= v.valid_from
COMMENT 'Return lines for BI: one row per returned line, the refund local, in the reporting currency and ex tax, on the store''s business date';

CREATE OR REPLACE VIEW ${database}.bi_sales_velocity
(
    minute_start_utc    DateTime('UTC') COMMENT 'Start of the minute (UTC)',
    store_id            String COMMENT 'Store code',
    sku                 String COMMENT 'Product code',
    units_sold          Int64 COMMENT 'Units sold in the minute',
    net_sales_minor     Int64 COMMENT 'Net sales, minor units',
    net_sales           Decimal(18, 2) COMMENT 'Net sales',
    gross_sales_minor   Int64 COMMENT 'Sales before discounts, minor units',
    gross_sales         Decimal(18, 2) COMMENT 'Sales before discounts',
    discount_minor      Int64 COMMENT 'Discounts given, minor units',
    discount            Decimal(18, 2) COMMENT 'Discounts given',
    transactions        Int64 COMMENT 'Sales (baskets) with the product',
    sale_lines          Int64 COMMENT 'Sale lines',
    is_final            Bool COMMENT 'The minute is closed and will not change',
    business_date               Date COMMENT 'The store''s business date of the minute',
    local_hour                  Int32 COMMENT 'Hour of the minute on the store''s clock, 0-23',
    currency                    String COMMENT 'Currency of the local amounts: the store''s (ISO 4217); empty for a store not in dim_store',
    reporting_currency          String COMMENT 'Currency of every *_reporting column (REPORTING_CURRENCY)',
    net_sales_reporting         Nullable(Float64) COMMENT 'net_sales in the reporting currency at the rate of the business date; NULL without a rate',
    net_sales_ex_tax            Nullable(Float64) COMMENT 'net_sales without the VAT it includes (the store''s VAT rate on the business date); NULL when that rate is unknown',
    net_sales_ex_tax_reporting  Nullable(Float64) COMMENT 'net_sales_ex_tax in the reporting currency; NULL without a rate or a VAT rate',
    gross_sales_reporting       Nullable(Float64) COMMENT 'gross_sales in the reporting currency; NULL without a rate',
    discount_reporting          Nullable(Float64) COMMENT 'discount in the reporting currency; NULL without a rate'
)
AS WITH ifNull((SELECT any(toString(currency)) FROM ${database}.reporting_currency FINAL), '') AS reporting
SELECT
    v.window_start AS minute_start_utc, v.store_id AS store_id, v.sku AS sku, v.units AS units_sold,
    v.revenue AS net_sales_minor, toDecimal64(v.revenue, 2) / 100 AS net_sales,
    v.gross_revenue AS gross_sales_minor, toDecimal64(v.gross_revenue, 2) / 100 AS gross_sales,
    v.discount AS discount_minor, toDecimal64(v.discount, 2) / 100 AS discount,
    toInt64(v.transactions) AS transactions, toInt64(v.lines) AS sale_lines, v.is_final AS is_final,
    v.day AS business_date, v.hour_local AS local_hour,
    toString(s.currency) AS currency, reporting AS reporting_currency,
    v.revenue * r.to_reporting / 100 AS net_sales_reporting,
    v.revenue / (1 + vat.vat_rate) / 100 AS net_sales_ex_tax,
    v.revenue / (1 + vat.vat_rate) * r.to_reporting / 100 AS net_sales_ex_tax_reporting,
    v.gross_revenue * r.to_reporting / 100 AS gross_sales_reporting,
    v.discount * r.to_reporting / 100 AS discount_reporting
FROM
(
    SELECT m.window_start, toString(m.store_id) AS store_id, m.sku, m.units, m.revenue, m.gross_revenue, m.discount, m.transactions, m.lines, m.is_final,
        toDate(m.window_start + toIntervalSecond(o.utc_offset_s)) AS day, toInt32(toHour(m.window_start + toIntervalSecond(o.utc_offset_s))) AS hour_local
    FROM ${database}.sales_velocity_1m AS m FINAL
    ASOF LEFT JOIN ${database}.dim_store_utc_offset AS o ON m.store_id = o.store_id AND m.window_start >= o.valid_from
) AS v
LEFT JOIN (SELECT toString(store_id) AS store_id, currency FROM ${database}.dim_store FINAL) AS s ON s.store_id = v.store_id
LEFT JOIN (SELECT currency, business_date, to_reporting FROM ${database}.exchange_rate_daily) AS r ON r.currency = s.currency AND r.business_date = v.day
-- The VAT rate in force on the business day (vat_rate_periods).
ASOF LEFT JOIN ${database}.vat_rate_periods AS vat ON vat.store_id = v.store_id AND v.day >= vat.valid_from
COMMENT 'Sales velocity per store x product x minute (stream output of the velocity processor), on the store''s business date, local and in the reporting currency';

CREATE OR REPLACE VIEW ${database}.bi_store_revenue_hourly
(
    hour_start_utc    DateTime('UTC') COMMENT 'Start of the hour (UTC)',
    store_id          String COMMENT 'Store code',
    units_sold        Int64 COMMENT 'Units sold in the hour',
    net_sales_minor   Int64 COMMENT 'Net sales, minor units',
    net_sales         Decimal(18, 2) COMMENT 'Net sales',
    products_sold     Int64 COMMENT 'Distinct products sold',
    business_date               Date COMMENT 'The store''s business date of the hour',
    local_hour                  Int32 COMMENT 'Hour of the day on the store''s clock, 0-23',
    currency                    String COMMENT 'Currency of the local amounts: the store''s (ISO 4217); empty for a store not in dim_store',
    reporting_currency          String COMMENT 'Currency of every *_reporting column (REPORTING_CURRENCY)',
    net_sales_reporting         Nullable(Float64) COMMENT 'net_sales in the reporting currency at the rate of the business date; NULL without a rate',
    net_sales_ex_tax            Nullable(Float64) COMMENT 'net_sales without the VAT it includes (the store''s VAT rate on the business date); NULL when that rate is unknown',
    net_sales_ex_tax_reporting  Nullable(Float64) COMMENT 'net_sales_ex_tax in the reporting currency; NULL without a rate or a VAT rate'
)
AS WITH ifNull((SELECT any(toString(currency)) FROM ${database}.reporting_currency FINAL), '') AS reporting
SELECT
    v.window_start AS hour_start_utc, v.store_id AS store_id, v.units AS units_sold, v.revenue AS net_sales_minor,
    toDecimal64(v.revenue, 2) / 100 AS net_sales, toInt64(v.skus_sold) AS products_sold,
    v.day AS business_date, v.hour_local AS local_hour,
    toString(s.currency) AS currency, reporting AS reporting_currency,
    v.revenue * r.to_reporting / 100 AS net_sales_reporting,
    v.revenue / (1 + vat.vat_rate) / 100 AS net_sales_ex_tax,
    v.revenue / (1 + vat.vat_rate) * r.to_reporting / 100 AS net_sales_ex_tax_reporting
FROM
(
    SELECT h.window_start, toString(h.store_id) AS store_id, h.units, h.revenue, h.skus_sold,
        toDate(h.window_start + toIntervalSecond(o.utc_offset_s)) AS day, toInt32(toHour(h.window_start + toIntervalSecond(o.utc_offset_s))) AS hour_local
    FROM ${database}.store_revenue_1h AS h
    ASOF LEFT JOIN ${database}.dim_store_utc_offset AS o ON h.store_id = o.store_id AND h.window_start >= o.valid_from
) AS v
LEFT JOIN (SELECT toString(store_id) AS store_id, currency FROM ${database}.dim_store FINAL) AS s ON s.store_id = v.store_id
LEFT JOIN (SELECT currency, business_date, to_reporting FROM ${database}.exchange_rate_daily) AS r ON r.currency = s.currency AND r.business_date = v.day
-- The VAT rate in force on the business day (vat_rate_periods).
ASOF LEFT JOIN ${database}.vat_rate_periods AS vat ON vat.store_id = v.store_id AND v.day >= vat.valid_from
COMMENT 'Revenue per store per hour (from the velocity processor''s minutes), on the store''s business date and local hour, local and in the reporting currency';

CREATE OR REPLACE VIEW ${database}.bi_product_quadrants
(
    scope                   String COMMENT 'store: one store''s range; region: the stores of a region selling in one currency, together',
    store_id                String COMMENT 'Store code; empty for a region row',
    region                  String COMMENT 'Sales region of the store, or the region classified',
    currency                String COMMENT 'ISO 4217 currency of every money column of the row (the store''s)',
    category                String COMMENT 'Product category the product is classified within',
    period_type             String COMMENT 'month (calendar month) or week (ISO week, Monday to Sunday), of business dates',
    period_start            Date COMMENT 'First business date of the period',
    sku                     String COMMENT 'Product code',
    units_sold              Int64 COMMENT 'Units sold in the period',
    net_sales               Float64 COMMENT 'Sales net of discounts, VAT included',
    net_sales_ex_tax        Float64 COMMENT 'Sales net of discounts and of VAT (each business day at the store''s rate of that day; VAT taken as 0 where the rate is unknown, as before)',
    cost_of_sales           Float64 COMMENT 'Units sold x unit cost, converted to the store''s currency at each day''s rates',
    unit_margin             Float64 COMMENT 'Contribution margin per unit: (net_sales_ex_tax - cost_of_sales) / units_sold',
    category_avg_margin     Float64 COMMENT 'The category''s contribution margin per unit, weighted by units (its total margin / its total units)',
    unit_share              Float64 COMMENT 'The product''s share of the category''s units in the period (0-1)',
    popularity_threshold    Float64 COMMENT '70% of an equal share: 0.7 / products_in_category',
    products_in_category    Int32 COMMENT 'Products of the category sold in the scope and period',
    high_margin             Bool COMMENT 'unit_margin >= category_avg_margin',
    high_popularity         Bool COMMENT 'unit_share >= popularity_threshold',
    quadrant                String COMMENT 'star (high margin, high popularity), plowhorse (low margin, high popularity), puzzle (high margin, low popularity) or dog (low, low)',
    reporting_currency          String COMMENT 'Currency of every *_reporting column (REPORTING_CURRENCY)',
    net_sales_reporting         Nullable(Float64) COMMENT 'net_sales in the reporting currency, each day at its rate; NULL when a day of the period has no rate',
    net_sales_ex_tax_reporting  Nullable(Float64) COMMENT 'net_sales_ex_tax in the reporting currency, each day at its rate; NULL when a day of the period has no rate',
    cost_of_sales_reporting     Nullable(Float64) COMMENT 'cost_of_sales in the reporting currency, each day at its rate; NULL when a day of the period has no rate'
)
AS WITH
    stores AS (SELECT store_id, region, currency FROM ${database}.dim_store FINAL),
    products AS (SELECT sku, category, unit_cost, currency FROM ${database}.dim_product FINAL),
    -- toNullable: a day without a rate must read as unknown, not as the default 0.
    -- The base currency is 1 by definition, published or not.
    (SELECT any(toString(base_currency)) FROM ${database}.dim_exchange_rate FINAL) AS base,
    ifNull((SELECT any(toString(currency)) FROM ${database}.reporting_currency FINAL), '') AS reporting,
    rates AS (SELECT currency, business_date, toNullable(rate) AS rate, to_reporting FROM ${database}.exchange_rate_daily),
    costed AS
    (
        SELECT d.business_date AS business_date, d.store_id AS store_id, toString(s.region) AS region, toString(s.currency) AS currency,
            toString(p.category) AS category, d.sku AS sku, d.units_sold AS units, d.net_sales_minor AS net_minor,
            d.net_sales_minor / (1 + ifNull(v.vat_rate, 0)) AS net_ex_tax_minor,
            -- Same currency needs no rate; otherwise product currency -> base -> store currency.
            d.units_sold * p.unit_cost * if(p.currency = s.currency, 1, if(s.currency = base, 1, rs.rate) / if(p.currency = base, 1, rp.rate)) AS cost_minor,
            -- The store currency's factor of the day (the margins above stay in the store's currency).
            rs.to_reporting AS to_reporting
        FROM ${database}.bi_sales_daily AS d
        INNER JOIN stores AS s ON s.store_id = d.store_id
        INNER JOIN products AS p ON p.sku = d.sku
        LEFT JOIN rates AS rs ON rs.currency = s.currency AND rs.business_date = d.business_date
        LEFT JOIN rates AS rp ON rp.currency = p.currency AND rp.business_date = d.business_date
        -- The VAT rate in force on the business day (vat_rate_periods).
        ASOF LEFT JOIN ${database}.vat_rate_periods AS v ON v.store_id = d.store_id AND d.business_date >= v.valid_from
    ),
    -- One branch per scope, each grouping on its own key (not an ARRAY JOIN of scopes), so a
    -- filter on store_id or region reaches bi_sales_daily instead of classifying the whole chain.
    per_store AS
    (
        SELECT 'store' AS scope, store_id AS scope_store, region, currency, category,
            period.1 AS period_type, period.2 AS period_start, sku,
            sum(units) AS product_units, sum(net_minor) AS product_net_minor, sum(net_ex_tax_minor) AS product_net_ex_tax_minor,
            sum(cost_minor) AS product_cost_minor, countIf(cost_minor IS NULL) AS days_without_cost,
            sum(net_minor * to_reporting) AS product_net_reporting_minor, sum(net_ex_tax_minor * to_reporting) AS product_net_ex_tax_reporting_minor,
            sum(cost_minor * to_reporting) AS product_cost_reporting_minor, countIf(to_reporting IS NULL) AS days_without_rate
        FROM costed
        ARRAY JOIN [('month', toStartOfMonth(business_date)), ('week', toMonday(business_date))] AS period
        GROUP BY store_id, region, currency, category, period_type, period_start, sku
    ),
    per_region AS
    (
        SELECT 'region' AS scope, '' AS scope_store, region, currency, category,
            period.1 AS period_type, period.2 AS period_start, sku,
            sum(units) AS product_units, sum(net_minor) AS product_net_minor, sum(net_ex_tax_minor) AS product_net_ex_tax_minor,
            sum(cost_minor) AS product_cost_minor, countIf(cost_minor IS NULL) AS days_without_cost,
            sum(net_minor * to_reporting) AS product_net_reporting_minor, sum(net_ex_tax_minor * to_reporting) AS product_net_ex_tax_reporting_minor,
            sum(cost_minor * to_reporting) AS product_cost_reporting_minor, countIf(to_reporting IS NULL) AS days_without_rate
        FROM costed
        ARRAY JOIN [('month', toStartOfMonth(business_date)), ('week', toMonday(business_date))] AS period
        GROUP BY region, currency, category, period_type, period_start, sku
    ),
    per_product AS
    (
        SELECT * FROM
        (
            SELECT * FROM per_store
            UNION ALL
            SELECT * FROM per_region
        )
        -- A product with a day of unknown cost has an unknown margin: left out rather than guessed.
        WHERE days_without_cost = 0 AND product_units > 0
    ),
    classified AS
    (
        SELECT *,
            (product_net_ex_tax_minor - product_cost_minor) / product_units AS margin_minor,
            sum(product_net_ex_tax_minor - product_cost_minor) OVER category_period / sum(product_units) OVER category_period AS avg_margin_minor,
            product_units / sum(product_units) OVER category_period AS share,
            count() OVER category_period AS products
        FROM per_product
        WINDOW category_period AS (PARTITION BY scope, scope_store, region, currency, category, period_type, period_start)
    )
SELECT
    scope, scope_store AS store_id, region, currency, category, period_type, period_start, sku,
    toInt64(product_units) AS units_sold,
    product_net_minor / 100 AS net_sales, product_net_ex_tax_minor / 100 AS net_sales_ex_tax, toFloat64(assumeNotNull(product_cost_minor)) / 100 AS cost_of_sales,
    toFloat64(assumeNotNull(margin_minor)) / 100 AS unit_margin, toFloat64(assumeNotNull(avg_margin_minor)) / 100 AS category_avg_margin,
    share AS unit_share, 0.7 / products AS popularity_threshold, toInt32(products) AS products_in_category,
    toBool(margin_minor >= avg_margin_minor) AS high_margin, toBool(share >= 0.7 / products) AS high_popularity,
    multiIf(high_margin AND high_popularity, 'star', high_popularity, 'plowhorse', high_margin, 'puzzle', 'dog') AS quadrant,
    reporting AS reporting_currency,
    -- sum() skips NULLs: a period with a day at an unknown rate has no total rather than a short one.
    if(days_without_rate > 0, NULL, product_net_reporting_minor / 100) AS net_sales_reporting,
    if(days_without_rate > 0, NULL, product_net_ex_tax_reporting_minor / 100) AS net_sales_ex_tax_reporting,
    if(days_without_rate > 0, NULL, product_cost_reporting_minor / 100) AS cost_of_sales_reporting
FROM classified
COMMENT 'Menu-engineering quadrants (Kasavana and Smith) of each product per store or region, category and month or ISO week: star, plowhorse, puzzle, dog';

CREATE OR REPLACE VIEW ${database}.bi_sales_rolling
(
    store_id                 String COMMENT 'Store code',
    sku                      String COMMENT 'Product code',
    business_date            Date COMMENT 'The store''s business date the windows end on (included)',
    currency                 String COMMENT 'ISO 4217 currency of the store''s money columns',
    units_sold               Int64 COMMENT 'Units sold that day (0 on a day without a sale)',
    net_sales                Float64 COMMENT 'Sales net of discounts that day, store currency',
    is_out_of_stock          Bool COMMENT 'The books reached 0 units that day, or stayed at 0 through it',
    days_in_window_7d        Int32 COMMENT 'Days of the 7-day window on or after the first sale (the divisor of the 7-day averages)',
    avg_units_7d             Float64 COMMENT 'Units per day over the 7 days ending on business_date, empty days as 0',
    avg_net_sales_7d         Float64 COMMENT 'Net sales per day over the 7 days, store currency',
    avg_net_sales_7d_reporting Nullable(Float64) COMMENT 'Net sales per day over the 7 days in the reporting currency, each day at its own rate; NULL when a day has no rate',
    stockout_days_7d         Int32 COMMENT 'Days of the 7-day window the sku was out of stock in the books',
    days_in_window_30d       Int32 COMMENT 'Days of the 30-day window on or after the first sale',
    avg_units_30d            Float64 COMMENT 'Units per day over the 30 days ending on business_date, empty days as 0',
    avg_net_sales_30d        Float64 COMMENT 'Net sales per day over the 30 days, store currency',
    avg_net_sales_30d_reporting Nullable(Float64) COMMENT 'Net sales per day over the 30 days in the reporting currency; NULL when a day has no rate',
    stockout_days_30d        Int32 COMMENT 'Days of the 30-day window the sku was out of stock in the books',
    days_in_window_90d       Int32 COMMENT 'Days of the 90-day window on or after the first sale',
    avg_units_90d            Float64 COMMENT 'Units per day over the 90 days ending on business_date, empty days as 0',
    avg_net_sales_90d        Float64 COMMENT 'Net sales per day over the 90 days, store currency',
    avg_net_sales_90d_reporting Nullable(Float64) COMMENT 'Net sales per day over the 90 days in the reporting currency; NULL when a day has no rate',
    stockout_days_90d        Int32 COMMENT 'Days of the 90-day window the sku was out of stock in the books',
    reporting_currency          String COMMENT 'Currency of every *_reporting column (REPORTING_CURRENCY)',
    net_sales_reporting         Nullable(Float64) COMMENT 'net_sales in the reporting currency at the rate of the business date; NULL without a rate',
    net_sales_ex_tax            Nullable(Float64) COMMENT 'net_sales without the VAT it includes (the store''s VAT rate on the business date); NULL when that rate is unknown',
    net_sales_ex_tax_reporting  Nullable(Float64) COMMENT 'net_sales_ex_tax in the reporting currency; NULL without a rate or a VAT rate'
)
AS WITH
    ifNull((SELECT any(toString(currency)) FROM ${database}.reporting_currency FINAL), '') AS reporting,
    daily AS (SELECT store_id, sku, business_date, units_sold, net_sales_minor FROM ${database}.bi_sales_daily),
    first_sale AS (SELECT store_id, sku, min(business_date) AS first_date FROM daily GROUP BY store_id, sku),
    last_day AS (SELECT store_id, max(business_date) AS last_date FROM daily GROUP BY store_id),
    -- The books, by the rule of streams/stock/ledger.ts and bi_inventory_history (0022): a cycle
    -- count at t sets the level to the units counted as of t, so it sorts after every other event
    -- of its instant (kind 2), its own correction included, and the level after an event is the
    -- latest count at or before it plus the deltas since (before the first count: that count less
    -- the deltas between). Ties of an instant and kind go by (delta DESC, event_key), as in 0022.
    stock_events AS
    (
        SELECT store_id, sku, occurred_at, 1 AS kind, -toInt64(sum(quantity)) AS delta, CAST(NULL AS Nullable(Int64)) AS counted, toString(event_id) AS event_key
        FROM ${database}.fact_sale_lines FINAL
        GROUP BY store_id, sku, event_id, occurred_at
        UNION ALL
        SELECT store_id, sku, occurred_at, 1, toInt64(quantity), NULL, concat(toString(event_id), '/', toString(line_number))
        FROM ${database}.fact_return_lines FINAL
        WHERE restockable
        UNION ALL
        SELECT store_id, sku, occurred_at, if(movement_type = 'COUNT', 2, 1), toInt64(ifNull(quantity_delta, 0)), if(movement_type = 'COUNT', toNullable(toInt64(counted_on_hand)), NULL), toString(event_id)
        FROM ${database}.fact_inventory_movements FINAL
    ),
    booked AS
    (
        SELECT toString(e.store_id) AS store_id, e.sku AS sku, toDate(e.occurred_at + toIntervalSecond(o.utc_offset_s)) AS business_date, e.occurred_at AS occurred_at, e.kind AS kind, e.counted AS counted,
            e.delta AS delta, e.event_key AS event_key,
            sum(e.delta) OVER (PARTITION BY e.store_id, e.sku ORDER BY e.occurred_at, e.kind, e.delta DESC, e.event_key ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum
        FROM stock_events AS e
        ASOF LEFT JOIN ${database}.dim_store_utc_offset AS o ON e.store_id = o.store_id AND e.occurred_at >= o.valid_from
    ),
    counted AS
    (
        SELECT *,
            -- anyLast skips NULLs: the latest count at or before the event, and the running sum it was taken at.
            anyLast(counted) OVER upto AS last_counted,
            anyLast(if(counted IS NULL, NULL, toNullable(cum))) OVER upto AS cum_at_last_count
        FROM booked
        WINDOW upto AS (PARTITION BY store_id, sku ORDER BY occurred_at, kind, delta DESC, event_key ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    ),
    anchored AS
    (
        SELECT *,
            argMinIf(toNullable(counted - cum), (occurred_at, kind, -delta, event_key), counted IS NOT NULL) OVER (PARTITION BY store_id, sku) AS first_anchor,
            if(last_counted IS NULL, first_anchor + cum, last_counted + cum - cum_at_last_count) AS level
        FROM counted
    ),
    books AS
    (
        SELECT store_id, sku, business_date, min(level) AS min_book, argMax(level, (occurred_at, kind, -delta, event_key)) AS end_book
        FROM anchored
        WHERE first_anchor IS NOT NULL
        GROUP BY store_id, sku, business_date
    ),
    -- The calendar starts at the earlier of the first sale and the first stock event, so a book
    -- at 0 carried into the first days of sale is seen; rows before the first sale are dropped.
    starts AS
    (
        SELECT f.store_id AS store_id, f.sku AS sku, f.first_date AS first_date, least(f.first_date, ifNull(b.first_book, f.first_date)) AS grid_from, l.last_date AS last_date
        FROM first_sale AS f
        INNER JOIN last_day AS l ON l.store_id = f.store_id
        LEFT JOIN (SELECT store_id, sku, min(business_date) AS first_book FROM books GROUP BY store_id, sku) AS b ON b.store_id = f.store_id AND b.sku = f.sku
    ),
    grid AS
    (
        SELECT store_id, sku, first_date, toDate(grid_from + offset) AS business_date
        FROM starts
        ARRAY JOIN range(toUInt32(dateDiff('day', grid_from, last_date) + 1)) AS offset
    ),
    days AS
    (
        SELECT g.store_id AS store_id, g.sku AS sku, g.business_date AS business_date, g.business_date >= g.first_date AS counted_day,
            toInt64(ifNull(d.units_sold, 0)) AS units, toInt64(ifNull(d.net_sales_minor, 0)) AS net_minor,
            toString(s.currency) AS currency, r.to_reporting AS to_reporting, v.vat_rate AS vat_rate,
            b.min_book AS min_book,
            anyLast(b.end_book) OVER (PARTITION BY g.store_id, g.sku ORDER BY g.business_date ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_book
        FROM grid AS g
        LEFT JOIN daily AS d ON d.store_id = g.store_id AND d.sku = g.sku AND d.business_date = g.business_date
        LEFT JOIN books AS b ON b.store_id = g.store_id AND b.sku = g.sku AND b.business_date = g.business_date
        LEFT JOIN (SELECT store_id, currency FROM ${database}.dim_store FINAL) AS s ON s.store_id = g.store_id
        LEFT JOIN (SELECT currency, business_date, to_reporting FROM ${database}.exchange_rate_daily) AS r ON r.currency = s.currency AND r.business_date = g.business_date
        -- The VAT rate in force on the business day (vat_rate_periods): a day without a sale too.
        ASOF LEFT JOIN ${database}.vat_rate_periods AS v ON v.store_id = g.store_id AND g.business_date >= v.valid_from
    ),
    flagged AS
    (
        SELECT *,
            ifNull(coalesce(min_book, prev_book), 1) <= 0 AS out_of_stock,
            if(counted_day, net_minor * to_reporting, 0) AS net_reporting_minor,
            counted_day AND to_reporting IS NULL AS rate_missing
        FROM days
    ),
    rolled AS
    (
        SELECT store_id, sku, business_date, counted_day, currency, units, net_minor, out_of_stock, to_reporting, vat_rate,
            sum(counted_day) OVER w7 AS n7, sum(units) OVER w7 AS units7, sum(net_minor) OVER w7 AS net7, sum(net_reporting_minor) OVER w7 AS rep7, max(rate_missing) OVER w7 AS miss7, sum(counted_day AND out_of_stock) OVER w7 AS oos7,
            sum(counted_day) OVER w30 AS n30, sum(units) OVER w30 AS units30, sum(net_minor) OVER w30 AS net30, sum(net_reporting_minor) OVER w30 AS rep30, max(rate_missing) OVER w30 AS miss30, sum(counted_day AND out_of_stock) OVER w30 AS oos30,
            sum(counted_day) OVER w90 AS n90, sum(units) OVER w90 AS units90, sum(net_minor) OVER w90 AS net90, sum(net_reporting_minor) OVER w90 AS rep90, max(rate_missing) OVER w90 AS miss90, sum(counted_day AND out_of_stock) OVER w90 AS oos90
        FROM flagged
        WINDOW
            w7 AS (PARTITION BY store_id, sku ORDER BY business_date ROWS BETWEEN 6 PRECEDING AND CURRENT ROW),
            w30 AS (PARTITION BY store_id, sku ORDER BY business_date ROWS BETWEEN 29 PRECEDING AND CURRENT ROW),
            w90 AS (PARTITION BY store_id, sku ORDER BY business_date ROWS BETWEEN 89 PRECEDING AND CURRENT ROW)
    )
SELECT
    store_id, sku, business_date, ifNull(currency, '') AS currency, units AS units_sold, net_minor / 100 AS net_sales, toBool(out_of_stock) AS is_out_of_stock,
    toInt32(n7) AS days_in_window_7d, units7 / n7 AS avg_units_7d, net7 / n7 / 100 AS avg_net_sales_7d, if(miss7, NULL, rep7 / n7 / 100) AS avg_net_sales_7d_reporting, toInt32(oos7) AS stockout_days_7d,
    toInt32(n30) AS days_in_window_30d, units30 / n30 AS avg_units_30d, net30 / n30 / 100 AS avg_net_sales_30d, if(miss30, NULL, rep30 / n30 / 100) AS avg_net_sales_30d_reporting, toInt32(oos30) AS stockout_days_30d,
    toInt32(n90) AS days_in_window_90d, units90 / n90 AS avg_units_90d, net90 / n90 / 100 AS avg_net_sales_90d, if(miss90, NULL, rep90 / n90 / 100) AS avg_net_sales_90d_reporting, toInt32(oos90) AS stockout_days_90d,
    reporting AS reporting_currency, net_minor * to_reporting / 100 AS net_sales_reporting,
    net_minor / (1 + vat_rate) / 100 AS net_sales_ex_tax, net_minor / (1 + vat_rate) * to_reporting / 100 AS net_sales_ex_tax_reporting
FROM rolled
WHERE counted_day
COMMENT 'Rolling 7, 30 and 90-day averages of units and net sales per store x sku x business date, days without a sale as zero, with the days out of stock in the books';
