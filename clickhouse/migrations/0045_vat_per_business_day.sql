-- The daily and hourly sales views take VAT out at the rate of the sale's business day (issue 14,
-- with 0044), and read the clean days straight from days_state (issue 11).
--
-- VAT: net_sales_ex_tax (and its reporting twin) divided by dim_store.vat_rate, the store's
-- current rate, on every day; now by the dim_vat_rate row in force on the business date (an ASOF
-- join on the store and the latest valid_from on or before the day; a store's first row also
-- covers the days before it). A rate change from a date on changes the days from that date only.
-- Unknown rate: NULL, as before (the rate is Nullable on the right of the LEFT join).
--
-- Clean days: each view read the days_clean view twice (the closed branch's IN, the facts
-- branch's NOT IN); they read its one-line definition (days_state FINAL, closed and not touched
-- since) directly, a view level fewer for the planner twice per query. Measured on the
-- bi-query bench's year, old and new alternately in one process (15 runs each, 2 threads, a
-- loaded shared machine): with the VAT join added, top SKUs of a store p50 0.94x the old,
-- revenue by region and day 1.06x: the days_clean level saved about what the VAT join costs.
--
-- Same rows as 0019 while no store changed its rate: checked on the bench's year with a rate per
-- store (EXCEPT both ways, 0 rows) and by tests/integration/bi-vat-history.test.ts, which also
-- changes a rate mid-period. Views replaced: bi_sales_daily, bi_store_sales_daily,
-- bi_sales_hourly, and the line views bi_sales and bi_returns (VAT only). bi_sales_velocity,
-- bi_store_revenue_hourly, bi_product_quadrants and bi_sales_rolling still divide by the
-- current rate.

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
-- The VAT rate in force on the business day (0044); a store's first rate also covers the days before it.
ASOF LEFT JOIN
(
    SELECT toString(store_id) AS store_id, if(valid_from = min(valid_from) OVER (PARTITION BY store_id), toDate(0), valid_from) AS valid_from, toNullable(vat_rate) AS vat_rate
    FROM ${database}.dim_vat_rate FINAL
) AS v ON v.store_id = d.store_id AND d.business_date >= v.valid_from
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
-- The VAT rate in force on the business day (0044); a store's first rate also covers the days before it.
ASOF LEFT JOIN
(
    SELECT toString(store_id) AS store_id, if(valid_from = min(valid_from) OVER (PARTITION BY store_id), toDate(0), valid_from) AS valid_from, toNullable(vat_rate) AS vat_rate
    FROM ${database}.dim_vat_rate FINAL
) AS v ON v.store_id = d.store_id AND d.business_date >= v.valid_from
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
-- The VAT rate in force on the business day (0044); a store's first rate also covers the days before it.
ASOF LEFT JOIN
(
    SELECT toString(store_id) AS store_id, if(valid_from = min(valid_from) OVER (PARTITION BY store_id), toDate(0), valid_from) AS valid_from, toNullable(vat_rate) AS vat_rate
    FROM ${database}.dim_vat_rate FINAL
) AS v ON v.store_id = d.store_id AND d.business_date >= v.valid_from
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
-- The VAT rate in force on the business day (0044); a store's first rate also covers the days before it.
ASOF LEFT JOIN
(
    SELECT store_id, if(valid_from = min(valid_from) OVER (PARTITION BY store_id), toDate(0), valid_from) AS valid_from, toNullable(vat_rate) AS vat_rate
    FROM ${database}.dim_vat_rate FINAL
) AS v ON v.store_id = l.store_id AND l.day >= v.valid_from
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
-- The VAT rate in force on the business day (0044); a store's first rate also covers the days before it.
ASOF LEFT JOIN
(
    SELECT store_id, if(valid_from = min(valid_from) OVER (PARTITION BY store_id), toDate(0), valid_from) AS valid_from, toNullable(vat_rate) AS vat_rate
    FROM ${database}.dim_vat_rate FINAL
) AS v ON v.store_id = l.store_id AND l.day >= v.valid_from
COMMENT 'Return lines for BI: one row per returned line, the refund local, in the reporting currency and ex tax, on the store''s business date';
