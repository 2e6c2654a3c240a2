-- Every bi_* view in one reporting currency, with revenue excluding tax, on store-local days
-- (issue 14 items 1 and 2). Views only: no table changes, nothing to backfill.
--
-- Money. Each money column a BI user can sum across stores keeps its local amount and gets a
-- twin in the reporting currency, converted at query time at the rate of the row's business
-- date (exchange_rate_daily.to_reporting, a rate carried from the latest earlier day when the
-- day has none), so a late or corrected rate changes the figures without a rebuild. One naming
-- convention everywhere:
--   net_sales (local, Decimal) + currency         the amount as the store took it
--   net_sales_reporting                            in reporting_currency (REPORTING_CURRENCY)
--   net_sales_ex_tax, net_sales_ex_tax_reporting   without the VAT the shelf price includes
-- Converted and ex-tax amounts are Float64 in major units: a converted cent is not a whole
-- number, and rounding each row before a sum would bias the totals. They are NULL, never 0 or
-- a guess, when the day has no rate of the store's currency or of the reporting currency, and
-- ex-tax amounts are NULL when the store's VAT rate is unknown (dim_store.vat_rate): a total
-- that skipped a region's tax would look right and be wrong. VAT is the store's current rate
-- (dim_store keeps no history): a VAT change restates the past; see the README.
-- Fact-level views convert at the fact's own currency; the daily and hourly aggregates carry no
-- currency, so they take the store's (a store sells in one currency). Amounts that are not
-- summed across stores (a unit price or cost, a margin per unit) get no twin: the test
-- tests/integration/bi-money-columns.test.ts lists them with the reason, and fails on any new
-- money column that has neither.
--
-- Local time. Every view with a UTC instant gets the store's business_date and local_hour
-- beside it (ASOF JOIN on dim_store_utc_offset, as in 0010).
--
-- Every view keeps its columns, in order, and adds its new ones at the end (CREATE OR REPLACE):
-- a dashboard built on the old columns reads the same figures.

-- ── rates ────────────────────────────────────────────────────────────────────────────────
-- exchange_rate_daily (0013) as before, but the base currency is there every day whether the
-- rates feed lists it or not (a treasury file quotes the others against it): without this, a
-- chain importing only foreign rates would see its home stores' reporting figures empty.

CREATE OR REPLACE VIEW ${database}.exchange_rate_daily
(
    currency            String COMMENT 'ISO 4217 code of the currency',
    business_date       Date COMMENT 'The date the rate is asked for (a sale''s business date)',
    rate                Float64 COMMENT 'Units of currency for one unit of base_currency in force that day',
    rate_date           Date COMMENT 'Date of the published rate used: business_date, or the latest earlier date with a rate (business_date for an unpublished base currency, 1 by definition)',
    days_carried        Int32 COMMENT 'Days since that rate was published (0: a rate of the day itself)',
    base_currency       String COMMENT 'Currency the rates are quoted against',
    reporting_currency  String COMMENT 'REPORTING_CURRENCY, as shelfstream init wrote it',
    to_reporting        Nullable(Float64) COMMENT 'Multiply an amount in currency by this to get reporting_currency (both rates of the same business date); NULL when the reporting currency has no rate yet'
)
AS WITH
    rates AS (SELECT currency, base_currency, rate_date, rate FROM ${database}.dim_exchange_rate FINAL),
    -- The base currency is 1 by definition: a chain whose rates feed lists only the others still
    -- converts the base currency's sales, every day.
    bases AS (SELECT DISTINCT toString(base_currency) AS base FROM rates WHERE base_currency NOT IN (SELECT currency FROM rates)),
    by_day AS
    (
        SELECT toString(k.currency) AS currency, k.date AS business_date, r.rate AS rate, r.rate_date AS rate_date, toString(r.base_currency) AS base_currency
        FROM
        (
            SELECT c.currency AS currency, d.date AS date
            FROM (SELECT DISTINCT currency FROM rates) AS c
            CROSS JOIN (SELECT date FROM ${database}.dim_date FINAL) AS d
        ) AS k
        ASOF INNER JOIN rates AS r ON k.currency = r.currency AND k.date >= r.rate_date
        UNION ALL
        SELECT b.base AS currency, d.date AS business_date, 1 AS rate, d.date AS rate_date, b.base AS base_currency
        FROM bases AS b CROSS JOIN (SELECT date FROM ${database}.dim_date FINAL) AS d
    )
SELECT
    d.currency AS currency, d.business_date AS business_date, d.rate AS rate, d.rate_date AS rate_date,
    toInt32(dateDiff('day', d.rate_date, d.business_date)) AS days_carried, d.base_currency AS base_currency,
    toString(rep.currency) AS reporting_currency,
    -- The base currency needs no published rate of its own: it is 1 by definition.
    if(rep.currency = d.base_currency, 1, q.rate) / d.rate AS to_reporting
FROM by_day AS d
CROSS JOIN (SELECT currency FROM ${database}.reporting_currency FINAL) AS rep
LEFT JOIN by_day AS q ON q.currency = rep.currency AND q.business_date = d.business_date
SETTINGS join_use_nulls = 1
COMMENT 'Exchange rate of every currency on every calendar date (latest earlier rate when a day has none; the base currency 1 whether published or not) and its factor to the reporting currency';

-- ── facts ────────────────────────────────────────────────────────────────────────────────

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
    net_sales_ex_tax            Nullable(Float64) COMMENT 'net_sales without the VAT it includes (the store''s VAT rate); NULL when that rate is unknown',
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
    l.net_amount / (1 + s.vat_rate) / 100 AS net_sales_ex_tax,
    l.net_amount / (1 + s.vat_rate) * r.to_reporting / 100 AS net_sales_ex_tax_reporting
FROM
(
    SELECT f.*, toDate(f.occurred_at + toIntervalSecond(o.utc_offset_s)) AS day, toInt32(toHour(f.occurred_at + toIntervalSecond(o.utc_offset_s))) AS hour_local
    FROM ${database}.fact_sale_lines AS f FINAL
    ASOF LEFT JOIN ${database}.dim_store_utc_offset AS o ON f.store_id = o.store_id AND f.occurred_at >= o.valid_from
) AS l
LEFT JOIN (SELECT store_id, vat_rate FROM ${database}.dim_store FINAL) AS s ON s.store_id = l.store_id
LEFT JOIN (SELECT currency, business_date, to_reporting FROM ${database}.exchange_rate_daily) AS r ON r.currency = l.currency AND r.business_date = l.day
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
    refund_ex_tax            Nullable(Float64) COMMENT 'refund without the VAT it includes (the store''s VAT rate); NULL when that rate is unknown',
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
    l.refund_amount / (1 + s.vat_rate) / 100 AS refund_ex_tax,
    l.refund_amount / (1 + s.vat_rate) * r.to_reporting / 100 AS refund_ex_tax_reporting
FROM
(
    SELECT f.*, toDate(f.occurred_at + toIntervalSecond(o.utc_offset_s)) AS day, toInt32(toHour(f.occurred_at + toIntervalSecond(o.utc_offset_s))) AS hour_local
    FROM ${database}.fact_return_lines AS f FINAL
    ASOF LEFT JOIN ${database}.dim_store_utc_offset AS o ON f.store_id = o.store_id AND f.occurred_at >= o.valid_from
) AS l
LEFT JOIN (SELECT store_id, vat_rate FROM ${database}.dim_store FINAL) AS s ON s.store_id = l.store_id
LEFT JOIN (SELECT currency, business_date, to_reporting FROM ${database}.exchange_rate_daily) AS r ON r.currency = l.currency AND r.business_date = l.day
COMMENT 'Return lines for BI: one row per returned line, the refund local, in the reporting currency and ex tax, on the store''s business date';

CREATE OR REPLACE VIEW ${database}.bi_voids
(
    void_event_id     UUID COMMENT 'Void event id',
    voided_at         DateTime64(3, 'UTC') COMMENT 'When the void happened (UTC)',
    void_date         Date COMMENT 'Date of the void (UTC); business_date is the store''s day',
    store_id          String COMMENT 'Store code',
    terminal_id       String COMMENT 'Till',
    transaction_id    String COMMENT 'Transaction voided',
    cashier_id        String COMMENT 'Cashier',
    supervisor_id     Nullable(String) COMMENT 'Supervisor who approved it',
    lines_voided      Int32 COMMENT 'Lines on the voided transaction',
    void_value_minor  Int64 COMMENT 'Value voided, minor units',
    void_value        Decimal(18, 2) COMMENT 'Value voided',
    void_reason       String COMMENT 'Why it was voided',
    currency          String COMMENT 'Currency of the local amounts (ISO 4217)',
    business_date        Date COMMENT 'The store''s business date of the void (local calendar day)',
    local_hour           Int32 COMMENT 'Hour of the void on the store''s clock, 0-23',
    reporting_currency   String COMMENT 'Currency of every *_reporting column (REPORTING_CURRENCY)',
    void_value_reporting Nullable(Float64) COMMENT 'void_value in the reporting currency at the rate of the business date; NULL without a rate'
)
AS WITH ifNull((SELECT any(toString(currency)) FROM ${database}.reporting_currency FINAL), '') AS reporting
SELECT
    l.event_id AS void_event_id, l.occurred_at AS voided_at, toDate(l.occurred_at) AS void_date, toString(l.store_id) AS store_id, toString(l.terminal_id) AS terminal_id,
    l.transaction_id AS transaction_id, toString(l.cashier_id) AS cashier_id, l.supervisor_id AS supervisor_id, l.line_count AS lines_voided, l.void_total AS void_value_minor,
    toDecimal64(l.void_total, 2) / 100 AS void_value, toString(l.reason) AS void_reason, toString(l.currency) AS currency,
    l.day AS business_date, l.hour_local AS local_hour, reporting AS reporting_currency,
    l.void_total * r.to_reporting / 100 AS void_value_reporting
FROM
(
    SELECT f.*, toDate(f.occurred_at + toIntervalSecond(o.utc_offset_s)) AS day, toInt32(toHour(f.occurred_at + toIntervalSecond(o.utc_offset_s))) AS hour_local
    FROM ${database}.fact_voids AS f FINAL
    ASOF LEFT JOIN ${database}.dim_store_utc_offset AS o ON f.store_id = o.store_id AND f.occurred_at >= o.valid_from
) AS l
LEFT JOIN (SELECT currency, business_date, to_reporting FROM ${database}.exchange_rate_daily) AS r ON r.currency = l.currency AND r.business_date = l.day
COMMENT 'Voided transactions for BI, the value local and in the reporting currency, on the store''s business date';

CREATE OR REPLACE VIEW ${database}.bi_inventory_movements
(
    movement_id       UUID COMMENT 'Movement or count event id',
    moved_at          DateTime64(3, 'UTC') COMMENT 'When stock changed or was counted (UTC)',
    movement_date     Date COMMENT 'Date of the movement (UTC); business_date is the store''s day',
    store_id          String COMMENT 'Store code',
    sku               String COMMENT 'Product code',
    movement_type     String COMMENT 'RECEIPT, SHRINK, TRANSFER_IN, TRANSFER_OUT, COUNT_CORRECTION, or COUNT',
    units_change      Nullable(Int32) COMMENT 'Signed change of stock in units; empty for a COUNT',
    units_counted     Nullable(Int32) COMMENT 'Units found by a COUNT; empty for movements',
    movement_reason   String COMMENT 'Reason, or who counted',
    reference_id      Nullable(String) COMMENT 'Purchase order, transfer or count reference',
    unit_cost_minor   Nullable(Int64) COMMENT 'Cost of one unit for receipts, minor units',
    unit_cost         Nullable(Decimal(18, 2)) COMMENT 'Cost of one unit for receipts',
    business_date     Date COMMENT 'The store''s business date of the movement (local calendar day)',
    local_hour        Int32 COMMENT 'Hour of the movement on the store''s clock, 0-23',
    currency          String COMMENT 'Currency of unit_cost: the store''s (ISO 4217), as receipts are costed; empty for a store not in dim_store'
)
AS SELECT
    f.event_id AS movement_id, f.occurred_at AS moved_at, toDate(f.occurred_at) AS movement_date, toString(f.store_id) AS store_id, f.sku AS sku, toString(f.movement_type) AS movement_type,
    f.quantity_delta AS units_change, f.counted_on_hand AS units_counted, toString(f.reason) AS movement_reason, f.reference_id AS reference_id,
    f.unit_cost AS unit_cost_minor, toDecimal64(f.unit_cost, 2) / 100 AS unit_cost,
    toDate(f.occurred_at + toIntervalSecond(o.utc_offset_s)) AS business_date, toInt32(toHour(f.occurred_at + toIntervalSecond(o.utc_offset_s))) AS local_hour,
    toString(s.currency) AS currency
FROM ${database}.fact_inventory_movements AS f FINAL
ASOF LEFT JOIN ${database}.dim_store_utc_offset AS o ON f.store_id = o.store_id AND f.occurred_at >= o.valid_from
LEFT JOIN (SELECT toString(store_id) AS store_id, currency FROM ${database}.dim_store FINAL) AS s ON s.store_id = toString(f.store_id)
COMMENT 'Inventory movements and cycle counts for BI, on the store''s business date';

CREATE OR REPLACE VIEW ${database}.bi_replenishment_orders
(
    order_id              String COMMENT 'Purchase order id',
    ordered_at            DateTime64(3, 'UTC') COMMENT 'When the order was placed (UTC)',
    order_date            Date COMMENT 'Date of the order (UTC); business_date is the store''s day',
    store_id              String COMMENT 'Store code',
    sku                   String COMMENT 'Product code',
    units_ordered         Int32 COMMENT 'Units ordered',
    lead_time_days        Int32 COMMENT 'Supplier lead time, days',
    expected_delivery_at  DateTime64(3, 'UTC') COMMENT 'Planned delivery (UTC)',
    received_at           Nullable(DateTime64(3, 'UTC')) COMMENT 'First receipt against the order (UTC); empty while the order is open',
    units_received        Int64 COMMENT 'Units received against the order so far (a short delivery brings fewer than ordered)',
    delivery_delay_hours  Nullable(Float64) COMMENT 'Hours the first receipt came after the planned delivery (negative: early); empty while open',
    is_open               Bool COMMENT 'No receipt names the order yet: its units are still on order',
    business_date         Date COMMENT 'The store''s business date the order was placed on (local calendar day)',
    local_hour            Int32 COMMENT 'Hour the order was placed on the store''s clock, 0-23'
)
AS SELECT
    o.order_id AS order_id, o.occurred_at AS ordered_at, toDate(o.occurred_at) AS order_date, toString(o.store_id) AS store_id, o.sku AS sku,
    o.quantity AS units_ordered, o.lead_time_days AS lead_time_days, o.expected_delivery_at AS expected_delivery_at,
    r.received_at AS received_at, ifNull(r.units, 0) AS units_received,
    dateDiff('second', o.expected_delivery_at, r.received_at) / 3600 AS delivery_delay_hours,
    toBool(r.received_at IS NULL) AS is_open,
    toDate(o.occurred_at + toIntervalSecond(ifNull(z.utc_offset_s, 0))) AS business_date, toInt32(toHour(o.occurred_at + toIntervalSecond(ifNull(z.utc_offset_s, 0)))) AS local_hour
FROM ${database}.fact_replenishment_orders AS o FINAL
ASOF LEFT JOIN ${database}.dim_store_utc_offset AS z ON o.store_id = z.store_id AND o.occurred_at >= z.valid_from
LEFT JOIN
(
    SELECT store_id, reference_id, min(occurred_at) AS received_at, sum(quantity_delta) AS units
    FROM ${database}.fact_inventory_movements FINAL
    WHERE movement_type = 'RECEIPT' AND reference_id IS NOT NULL
    GROUP BY store_id, reference_id
) AS r ON r.store_id = o.store_id AND r.reference_id = o.order_id
SETTINGS join_use_nulls = 1
COMMENT 'Replenishment orders with their receipts: planned and actual delivery, units received, open orders; placed on the store''s business date';

CREATE OR REPLACE VIEW ${database}.bi_alerts
(
    alert_id       String COMMENT 'Alert id (the same situation keeps its id)',
    alert_state    String COMMENT 'RAISED or RESOLVED',
    occurred_at    DateTime64(3, 'UTC') COMMENT 'When it was raised or resolved (UTC, event time)',
    alert_date     Date COMMENT 'Date raised or resolved (UTC); business_date is the store''s day',
    store_id       String COMMENT 'Store code',
    sku            Nullable(String) COMMENT 'Product code; empty for store or till alerts',
    terminal_id    Nullable(String) COMMENT 'Till, for void bursts',
    alert_type     String COMMENT 'STOCKOUT_RISK, OUT_OF_STOCK, DEMAND_SPIKE, DEMAND_DROP, PHANTOM_INVENTORY, PRICE_ERROR or VOID_BURST',
    severity       String COMMENT 'INFO, WARNING or CRITICAL',
    score          Float64 COMMENT 'Strength of the evidence (probability or standardised deviation)',
    reason         String COMMENT 'Explanation',
    raised_by      String COMMENT 'Processor that raised it',
    measures_json  String COMMENT 'Numbers behind the alert as JSON ({"on_hand": 3, ...})',
    business_date  Date COMMENT 'The store''s business date it was raised or resolved on (local calendar day)',
    local_hour     Int32 COMMENT 'Hour it was raised or resolved on the store''s clock, 0-23'
)
AS SELECT
    a.alert_id AS alert_id, toString(a.state) AS alert_state, a.occurred_at AS occurred_at, toDate(a.occurred_at) AS alert_date, toString(a.store_id) AS store_id, a.sku AS sku, a.terminal_id AS terminal_id,
    toString(a.alert_type) AS alert_type, toString(a.severity) AS severity, a.score AS score, a.reason AS reason, toString(a.processor) AS raised_by, toJSONString(a.measures) AS measures_json,
    toDate(a.occurred_at + toIntervalSecond(o.utc_offset_s)) AS business_date, toInt32(toHour(a.occurred_at + toIntervalSecond(o.utc_offset_s))) AS local_hour
FROM ${database}.alerts AS a FINAL
ASOF LEFT JOIN ${database}.dim_store_utc_offset AS o ON a.store_id = o.store_id AND a.occurred_at >= o.valid_from
COMMENT 'Alerts (stock-out risk and anomalies) for BI, on the store''s business date';

-- ── rollups (0010's closed days and open days, unchanged inside) ────────────────────────
-- The daily and hourly aggregates hold the store's business date already; the twins convert at
-- that date's rate, so a day summed in the reporting currency is each store's day at its rate.

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
    net_sales_ex_tax            Nullable(Float64) COMMENT 'net_sales without the VAT it includes (the store''s VAT rate); NULL when that rate is unknown',
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
    d.net_minor / (1 + s.vat_rate) / 100 AS net_sales_ex_tax,
    d.net_minor / (1 + s.vat_rate) * r.to_reporting / 100 AS net_sales_ex_tax_reporting,
    d.discount_sum * r.to_reporting / 100 AS discount_reporting,
    (d.net_minor + d.discount_sum) * r.to_reporting / 100 AS gross_sales_reporting
FROM
(
    SELECT a.business_date, a.store_id, a.sku, a.units_sold AS units, a.net_sales_minor AS net_minor, a.discount_minor AS discount_sum, a.sale_lines AS lines, a.transactions AS baskets
    FROM ${database}.sales_daily_store_sku AS a FINAL
    WHERE (a.store_id, a.business_date) IN (SELECT store_id, business_date FROM ${database}.days_clean WHERE fact = 'sales')
    UNION ALL
    SELECT
        toDate(f.occurred_at + toIntervalSecond(o.utc_offset_s)) AS business_date, toString(f.store_id) AS store_id, f.sku AS sku,
        sum(toInt64(f.quantity)) AS units, sum(f.net_amount) AS net_minor, sum(f.discount) AS discount_sum,
        toInt64(count()) AS lines, toInt64(uniqExact(f.event_id)) AS baskets
    FROM ${database}.fact_sale_lines AS f FINAL
    ASOF LEFT JOIN ${database}.dim_store_utc_offset AS o ON f.store_id = o.store_id AND f.occurred_at >= o.valid_from
    WHERE f.occurred_at >= (SELECT ifNull(min(open_from), toDateTime(0, 'UTC')) FROM ${database}.days_open_from WHERE fact = 'sales')
      AND (toString(f.store_id), business_date) NOT IN (SELECT store_id, business_date FROM ${database}.days_clean WHERE fact = 'sales')
    GROUP BY business_date, store_id, sku
) AS d
LEFT JOIN (SELECT toString(store_id) AS store_id, currency, vat_rate FROM ${database}.dim_store FINAL) AS s ON s.store_id = d.store_id
LEFT JOIN (SELECT currency, business_date, to_reporting FROM ${database}.exchange_rate_daily) AS r ON r.currency = s.currency AND r.business_date = d.business_date
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
    net_sales_ex_tax            Nullable(Float64) COMMENT 'net_sales without the VAT it includes (the store''s VAT rate); NULL when that rate is unknown',
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
    d.net_minor / (1 + s.vat_rate) / 100 AS net_sales_ex_tax,
    d.net_minor / (1 + s.vat_rate) * r.to_reporting / 100 AS net_sales_ex_tax_reporting,
    d.discount_sum * r.to_reporting / 100 AS discount_reporting,
    (d.net_minor + d.discount_sum) * r.to_reporting / 100 AS gross_sales_reporting
FROM
(
    SELECT a.business_date, a.store_id, a.units_sold AS units, a.net_sales_minor AS net_minor, a.discount_minor AS discount_sum, a.sale_lines AS lines, a.transactions AS baskets, a.products_sold AS skus
    FROM ${database}.sales_daily_store AS a FINAL
    WHERE (a.store_id, a.business_date) IN (SELECT store_id, business_date FROM ${database}.days_clean WHERE fact = 'sales')
    UNION ALL
    SELECT
        toDate(f.occurred_at + toIntervalSecond(o.utc_offset_s)) AS business_date, toString(f.store_id) AS store_id,
        sum(toInt64(f.quantity)) AS units, sum(f.net_amount) AS net_minor, sum(f.discount) AS discount_sum,
        toInt64(count()) AS lines, toInt64(uniqExact(f.event_id)) AS baskets, toInt64(uniqExact(f.sku)) AS skus
    FROM ${database}.fact_sale_lines AS f FINAL
    ASOF LEFT JOIN ${database}.dim_store_utc_offset AS o ON f.store_id = o.store_id AND f.occurred_at >= o.valid_from
    WHERE f.occurred_at >= (SELECT ifNull(min(open_from), toDateTime(0, 'UTC')) FROM ${database}.days_open_from WHERE fact = 'sales')
      AND (toString(f.store_id), business_date) NOT IN (SELECT store_id, business_date FROM ${database}.days_clean WHERE fact = 'sales')
    GROUP BY business_date, store_id
) AS d
LEFT JOIN (SELECT toString(store_id) AS store_id, currency, vat_rate FROM ${database}.dim_store FINAL) AS s ON s.store_id = d.store_id
LEFT JOIN (SELECT currency, business_date, to_reporting FROM ${database}.exchange_rate_daily) AS r ON r.currency = s.currency AND r.business_date = d.business_date
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
    net_sales_ex_tax            Nullable(Float64) COMMENT 'net_sales without the VAT it includes (the store''s VAT rate); NULL when that rate is unknown',
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
    d.net_minor / (1 + s.vat_rate) / 100 AS net_sales_ex_tax,
    d.net_minor / (1 + s.vat_rate) * r.to_reporting / 100 AS net_sales_ex_tax_reporting,
    d.discount_sum * r.to_reporting / 100 AS discount_reporting,
    (d.net_minor + d.discount_sum) * r.to_reporting / 100 AS gross_sales_reporting
FROM
(
    SELECT a.hour_start_utc, a.business_date, a.local_hour AS hour_local, a.store_id, a.sku, a.units_sold AS units, a.net_sales_minor AS net_minor, a.discount_minor AS discount_sum, a.sale_lines AS lines, a.transactions AS baskets
    FROM ${database}.sales_hourly_store_sku AS a FINAL
    WHERE (a.store_id, a.business_date) IN (SELECT store_id, business_date FROM ${database}.days_clean WHERE fact = 'sales')
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
      AND (toString(f.store_id), business_date) NOT IN (SELECT store_id, business_date FROM ${database}.days_clean WHERE fact = 'sales')
    GROUP BY hour_start_utc, business_date, hour_local, store_id, sku
) AS d
LEFT JOIN (SELECT toString(store_id) AS store_id, currency, vat_rate FROM ${database}.dim_store FINAL) AS s ON s.store_id = d.store_id
LEFT JOIN (SELECT currency, business_date, to_reporting FROM ${database}.exchange_rate_daily) AS r ON r.currency = s.currency AND r.business_date = d.business_date
COMMENT 'Sales per store x product x hour, with the store''s business date and local hour, local and in the reporting currency, with and without VAT: closed days from sales_hourly_store_sku, open and dirty days from the facts';

-- ── stream outputs ───────────────────────────────────────────────────────────────────────

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
    net_sales_ex_tax            Nullable(Float64) COMMENT 'net_sales without the VAT it includes (the store''s VAT rate); NULL when that rate is unknown',
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
    v.revenue / (1 + s.vat_rate) / 100 AS net_sales_ex_tax,
    v.revenue / (1 + s.vat_rate) * r.to_reporting / 100 AS net_sales_ex_tax_reporting,
    v.gross_revenue * r.to_reporting / 100 AS gross_sales_reporting,
    v.discount * r.to_reporting / 100 AS discount_reporting
FROM
(
    SELECT m.window_start, toString(m.store_id) AS store_id, m.sku, m.units, m.revenue, m.gross_revenue, m.discount, m.transactions, m.lines, m.is_final,
        toDate(m.window_start + toIntervalSecond(o.utc_offset_s)) AS day, toInt32(toHour(m.window_start + toIntervalSecond(o.utc_offset_s))) AS hour_local
    FROM ${database}.sales_velocity_1m AS m FINAL
    ASOF LEFT JOIN ${database}.dim_store_utc_offset AS o ON m.store_id = o.store_id AND m.window_start >= o.valid_from
) AS v
LEFT JOIN (SELECT toString(store_id) AS store_id, currency, vat_rate FROM ${database}.dim_store FINAL) AS s ON s.store_id = v.store_id
LEFT JOIN (SELECT currency, business_date, to_reporting FROM ${database}.exchange_rate_daily) AS r ON r.currency = s.currency AND r.business_date = v.day
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
    net_sales_ex_tax            Nullable(Float64) COMMENT 'net_sales without the VAT it includes (the store''s VAT rate); NULL when that rate is unknown',
    net_sales_ex_tax_reporting  Nullable(Float64) COMMENT 'net_sales_ex_tax in the reporting currency; NULL without a rate or a VAT rate'
)
AS WITH ifNull((SELECT any(toString(currency)) FROM ${database}.reporting_currency FINAL), '') AS reporting
SELECT
    v.window_start AS hour_start_utc, v.store_id AS store_id, v.units AS units_sold, v.revenue AS net_sales_minor,
    toDecimal64(v.revenue, 2) / 100 AS net_sales, toInt64(v.skus_sold) AS products_sold,
    v.day AS business_date, v.hour_local AS local_hour,
    toString(s.currency) AS currency, reporting AS reporting_currency,
    v.revenue * r.to_reporting / 100 AS net_sales_reporting,
    v.revenue / (1 + s.vat_rate) / 100 AS net_sales_ex_tax,
    v.revenue / (1 + s.vat_rate) * r.to_reporting / 100 AS net_sales_ex_tax_reporting
FROM
(
    SELECT h.window_start, toString(h.store_id) AS store_id, h.units, h.revenue, h.skus_sold,
        toDate(h.window_start + toIntervalSecond(o.utc_offset_s)) AS day, toInt32(toHour(h.window_start + toIntervalSecond(o.utc_offset_s))) AS hour_local
    FROM ${database}.store_revenue_1h AS h
    ASOF LEFT JOIN ${database}.dim_store_utc_offset AS o ON h.store_id = o.store_id AND h.window_start >= o.valid_from
) AS v
LEFT JOIN (SELECT toString(store_id) AS store_id, currency, vat_rate FROM ${database}.dim_store FINAL) AS s ON s.store_id = v.store_id
LEFT JOIN (SELECT currency, business_date, to_reporting FROM ${database}.exchange_rate_daily) AS r ON r.currency = s.currency AND r.business_date = v.day
COMMENT 'Revenue per store per hour (from the velocity processor''s minutes), on the store''s business date and local hour, local and in the reporting currency';

CREATE OR REPLACE VIEW ${database}.bi_anomalies
(
    `Alert ID` String COMMENT 'Id of the alert (same as in alerts)',
    `Anomaly type` String COMMENT 'DEMAND_SPIKE, DEMAND_DROP, PHANTOM_INVENTORY, PRICE_ERROR or VOID_BURST',
    `Store ID` String COMMENT 'Store',
    `SKU` Nullable(String) COMMENT 'Product',
    `Terminal ID` Nullable(String) COMMENT 'Terminal (void bursts)',
    `Started at` DateTime64(3, 'UTC') COMMENT 'When it was raised (UTC)',
    `Ended at` Nullable(DateTime64(3, 'UTC')) COMMENT 'When it was resolved (UTC)',
    `Open` Bool COMMENT 'True while not resolved',
    `Duration hours` Nullable(Float64) COMMENT 'Hours from raise to resolution',
    `Severity` String COMMENT 'WARNING or CRITICAL',
    `Score` Float64 COMMENT 'Strength of the evidence',
    `Expected` Float64 COMMENT 'What the baseline expected',
    `Observed` Float64 COMMENT 'What was seen',
    `Reason` String COMMENT 'Explanation',
    `Resolution` String COMMENT 'Why it was resolved',
    `Business date` Date COMMENT 'The store''s business date it was raised on (local calendar day)',
    `Local hour` Int32 COMMENT 'Hour it was raised on the store''s clock, 0-23'
)
AS SELECT
    a.alert_id AS `Alert ID`,
    toString(a.anomaly_type) AS `Anomaly type`,
    toString(a.store_id) AS `Store ID`,
    a.sku AS `SKU`,
    a.terminal_id AS `Terminal ID`,
    a.started_at AS `Started at`,
    a.ended_at AS `Ended at`,
    a.state = 'RAISED' AS `Open`,
    if(a.ended_at IS NULL, NULL, dateDiff('second', a.started_at, assumeNotNull(a.ended_at)) / 3600.0) AS `Duration hours`,
    toString(a.severity) AS `Severity`,
    a.score AS `Score`,
    a.expected AS `Expected`,
    a.observed AS `Observed`,
    a.reason AS `Reason`,
    a.resolution AS `Resolution`,
    toDate(a.started_at + toIntervalSecond(o.utc_offset_s)) AS `Business date`,
    toInt32(toHour(a.started_at + toIntervalSecond(o.utc_offset_s))) AS `Local hour`
FROM ${database}.anomalies AS a FINAL
ASOF LEFT JOIN ${database}.dim_store_utc_offset AS o ON a.store_id = o.store_id AND a.started_at >= o.valid_from
COMMENT 'Anomalies for BI tools: one row per alert, its newest state, raised on the store''s business date';

-- ── product range (0016): the same views, with reporting-currency twins ─────────────────
-- A quadrant row sums a period of days, each converted at its own rate. Margins per unit stay in
-- the store's currency: they are compared within a category, never summed across stores.

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
    net_sales_ex_tax        Float64 COMMENT 'Sales net of discounts and of VAT',
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
    stores AS (SELECT store_id, region, currency, vat_rate FROM ${database}.dim_store FINAL),
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
            d.net_sales_minor / (1 + ifNull(s.vat_rate, 0)) AS net_ex_tax_minor,
            -- Same currency needs no rate; otherwise product currency -> base -> store currency.
            d.units_sold * p.unit_cost * if(p.currency = s.currency, 1, if(s.currency = base, 1, rs.rate) / if(p.currency = base, 1, rp.rate)) AS cost_minor,
            -- The store currency's factor of the day (the margins above stay in the store's currency).
            rs.to_reporting AS to_reporting
        FROM ${database}.bi_sales_daily AS d
        INNER JOIN stores AS s ON s.store_id = d.store_id
        INNER JOIN products AS p ON p.sku = d.sku
        LEFT JOIN rates AS rs ON rs.currency = s.currency AND rs.business_date = d.business_date
        LEFT JOIN rates AS rp ON rp.currency = p.currency AND rp.business_date = d.business_date
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
    net_sales_ex_tax            Nullable(Float64) COMMENT 'net_sales without the VAT it includes (the store''s VAT rate); NULL when that rate is unknown',
    net_sales_ex_tax_reporting  Nullable(Float64) COMMENT 'net_sales_ex_tax in the reporting currency; NULL without a rate or a VAT rate'
)
AS WITH
    ifNull((SELECT any(toString(currency)) FROM ${database}.reporting_currency FINAL), '') AS reporting,
    daily AS (SELECT store_id, sku, business_date, units_sold, net_sales_minor FROM ${database}.bi_sales_daily),
    first_sale AS (SELECT store_id, sku, min(business_date) AS first_date FROM daily GROUP BY store_id, sku),
    last_day AS (SELECT store_id, max(business_date) AS last_date FROM daily GROUP BY store_id),
    stock_events AS
    (
        SELECT store_id, sku, occurred_at, 1 AS kind, -toInt64(sum(quantity)) AS delta, CAST(NULL AS Nullable(Int64)) AS counted
        FROM ${database}.fact_sale_lines FINAL
        GROUP BY store_id, sku, event_id, occurred_at
        UNION ALL
        SELECT store_id, sku, occurred_at, 1, toInt64(quantity), NULL
        FROM ${database}.fact_return_lines FINAL
        WHERE restockable
        UNION ALL
        -- kind 0: a count sorts before a correction of the same instant, so the anchor is the level before it
        SELECT store_id, sku, occurred_at, if(movement_type = 'COUNT', 0, 1), toInt64(ifNull(quantity_delta, 0)), toNullable(toInt64(counted_on_hand))
        FROM ${database}.fact_inventory_movements FINAL
    ),
    booked AS
    (
        SELECT toString(e.store_id) AS store_id, e.sku AS sku, toDate(e.occurred_at + toIntervalSecond(o.utc_offset_s)) AS business_date, e.occurred_at AS occurred_at, e.kind AS kind, e.counted AS counted,
            e.delta AS delta,
            -- Events of the same instant and kind are taken in one fixed order (receipts before
            -- sales, then by count), so every read of the view gives the same books.
            sum(e.delta) OVER (PARTITION BY e.store_id, e.sku ORDER BY e.occurred_at, e.kind, e.delta DESC, ifNull(e.counted, -1) ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum
        FROM stock_events AS e
        ASOF LEFT JOIN ${database}.dim_store_utc_offset AS o ON e.store_id = o.store_id AND e.occurred_at >= o.valid_from
    ),
    anchored AS
    (
        SELECT *, argMinIf(toNullable(counted - cum), (occurred_at, kind, -delta, ifNull(counted, -1)), counted IS NOT NULL) OVER (PARTITION BY store_id, sku) AS anchor
        FROM booked
    ),
    books AS
    (
        SELECT store_id, sku, business_date, min(anchor + cum) AS min_book, argMax(anchor + cum, (occurred_at, kind, -delta, ifNull(counted, -1))) AS end_book
        FROM anchored
        WHERE anchor IS NOT NULL
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
            toString(s.currency) AS currency, r.to_reporting AS to_reporting, s.vat_rate AS vat_rate,
            b.min_book AS min_book,
            anyLast(b.end_book) OVER (PARTITION BY g.store_id, g.sku ORDER BY g.business_date ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_book
        FROM grid AS g
        LEFT JOIN daily AS d ON d.store_id = g.store_id AND d.sku = g.sku AND d.business_date = g.business_date
        LEFT JOIN books AS b ON b.store_id = g.store_id AND b.sku = g.sku AND b.business_date = g.business_date
        LEFT JOIN (SELECT store_id, currency, vat_rate FROM ${database}.dim_store FINAL) AS s ON s.store_id = g.store_id
        LEFT JOIN (SELECT currency, business_date, to_reporting FROM ${database}.exchange_rate_daily) AS r ON r.currency = s.currency AND r.business_date = g.business_date
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
