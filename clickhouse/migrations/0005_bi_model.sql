-- The BI side of the model: the date dimension with holidays, hourly and daily rollups for
-- dashboards, and the bi_* views that Metabase and Power BI read.
--
-- dim_date / dim_holiday are filled by `shelfstream init` (clickhouse/calendar.ts) from the
-- simulator's holiday rules (simulators/pos/calendar.ts), so BI and the simulated demand see
-- the same holidays from one source; this file only creates them.
--
-- Rollups and replays. The facts are ReplacingMergeTree: a replay re-inserts the same rows in
-- other blocks with other deduplication tokens, and a materialized view sees every insert. A
-- rollup holding sum(units) would therefore count a replayed line twice, and no token can
-- help because the replayed blocks differ from the first ones. The rollups here keep, per
-- store x sku x hour (or day), a maxMap state keyed by the line's identity (a 128-bit hash of
-- event_id and line_number; the event_id itself for movements) whose value is the tuple
-- (source_offset, measures...). Inserting a line again puts the same key with the same
-- value, so the state is unchanged: the rollup is idempotent per line, whatever the block
-- boundaries, and keeps the version with the highest source_offset, the same rule as the
-- facts' ReplacingMergeTree(source_offset). Counts of baskets are uniqExact(event_id), also
-- idempotent. The price is a state that grows with the lines it covers (about 40 bytes per
-- line): at store x sku x hour that is close to the fact table, and what the rollup saves is
-- FINAL and the scan of the fact's sort key at query time, not storage. The targets still set
-- non_replicated_deduplication_window so a retried insert (same token, with
-- deduplicate_blocks_in_dependent_materialized_views=1) does not even reach the merge.
--
-- TTLs below are defaults; `shelfstream init` sets each table's retention from the
-- CLICKHOUSE_TTL_* options (clickhouse/retention.sql).
--
-- bi_* views: snake_case business names (Metabase shows them as "Net Sales", Power BI users
-- can rename them once; both query them without quoting), no UInt64 (Power BI cannot load
-- it: counts are Int64), money both in minor units (*_minor, Int64) and as an amount
-- (Decimal(18, 2): every currency the chain sells in has two decimals), ReplacingMergeTree
-- tables read with FINAL. The views run with the invoker's rights, so the BI user's row
-- policies on the tables underneath apply to them (clickhouse/access/).

-- ── date dimension ───────────────────────────────────────────────────────────────────────

CREATE TABLE IF NOT EXISTS ${database}.dim_date
(
    date               Date COMMENT 'The calendar date',
    year               UInt16 COMMENT 'Calendar year',
    quarter            UInt8 COMMENT 'Quarter of the year, 1-4',
    month              UInt8 COMMENT 'Month, 1-12',
    month_name         LowCardinality(String) COMMENT 'Month name in English (January...)',
    day_of_month       UInt8 COMMENT 'Day of the month, 1-31',
    day_of_year        UInt16 COMMENT 'Day of the year, 1 = 1 January',
    day_of_week        UInt8 COMMENT 'ISO day of week: 1 = Monday ... 7 = Sunday',
    day_name           LowCardinality(String) COMMENT 'Day name in English (Monday...)',
    iso_week           UInt8 COMMENT 'ISO 8601 week number, 1-53',
    iso_year           UInt16 COMMENT 'ISO 8601 week-numbering year (differs from year around New Year)',
    is_weekend         Bool COMMENT 'Saturday or Sunday',
    western_holidays   String COMMENT 'Holidays kept in regions of western culture on this date, comma-separated; empty when none',
    muslim_holidays    String COMMENT 'Holidays kept in regions of muslim culture on this date (Ramadan, Eid...), comma-separated; empty when none',
    is_ramadan         Bool COMMENT 'A day of Ramadan (1 Ramadan to the eve of Eid al-Fitr)',
    calendar_version   String COMMENT 'Checksum of the holiday rules that produced the row; a changed rule set rewrites the range'
)
ENGINE = ReplacingMergeTree
ORDER BY date
COMMENT 'Dates (dimension): one row per date with calendar attributes and holidays per culture, filled by shelfstream init';

CREATE TABLE IF NOT EXISTS ${database}.dim_holiday
(
    date               Date COMMENT 'The date of the holiday (the store''s local date)',
    region             LowCardinality(String) COMMENT 'Sales region, as in dim_store.region',
    culture            LowCardinality(String) COMMENT 'How the region keeps holidays: western or muslim',
    holiday_name       LowCardinality(String) COMMENT 'Holiday or holiday period (Easter Sunday, Ramadan, Eid al-Fitr preparations...)',
    store_closed       Bool COMMENT 'Stores of the region close on this day',
    demand_factor      Float64 COMMENT 'Demand multiplier the simulator applies to categories without their own factor',
    calendar_version   String COMMENT 'Checksum of the holiday rules that produced the row'
)
ENGINE = ReplacingMergeTree
ORDER BY (date, region, holiday_name)
COMMENT 'Holidays per region and date (dimension): one row per region x date x holiday, filled by shelfstream init';

-- ── rollups: sales per store x sku x hour / day ──────────────────────────────────────────

CREATE TABLE IF NOT EXISTS ${database}.sales_rollup_1h
(
    hour_start      DateTime('UTC') COMMENT 'Start of the hour (UTC)',
    store_id        LowCardinality(String) COMMENT 'Store',
    sku             String COMMENT 'Product',
    sale_lines      AggregateFunction(maxMap, Map(FixedString(16), Tuple(UInt64, Int64, Int64, Int64))) COMMENT 'Per sale line (key: sipHash128(event_id, line_number)): (source_offset, quantity, net_amount, discount); idempotent under re-inserts',
    transactions    AggregateFunction(uniqExact, UUID) COMMENT 'Distinct sales (baskets) with the sku',
    first_sale_at   SimpleAggregateFunction(min, DateTime64(3, 'UTC')) COMMENT 'First sale in the hour (UTC)',
    last_sale_at    SimpleAggregateFunction(max, DateTime64(3, 'UTC')) COMMENT 'Last sale in the hour (UTC)'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour_start)
ORDER BY (store_id, sku, hour_start)
TTL hour_start + INTERVAL 1095 DAY
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Sales per store x sku x hour (rollup of fact_sale_lines, exact under replays); read through bi_sales_hourly';

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.sales_rollup_1h_mv TO ${database}.sales_rollup_1h
(
    hour_start      DateTime('UTC') COMMENT 'Start of the hour (UTC)',
    store_id        LowCardinality(String) COMMENT 'Store',
    sku             String COMMENT 'Product',
    sale_lines      AggregateFunction(maxMap, Map(FixedString(16), Tuple(UInt64, Int64, Int64, Int64))) COMMENT 'Per sale line: (source_offset, quantity, net_amount, discount)',
    transactions    AggregateFunction(uniqExact, UUID) COMMENT 'Distinct sales with the sku',
    first_sale_at   DateTime64(3, 'UTC') COMMENT 'First sale in the block for the hour',
    last_sale_at    DateTime64(3, 'UTC') COMMENT 'Last sale in the block for the hour'
)
AS SELECT
    toStartOfHour(occurred_at) AS hour_start,
    store_id,
    sku,
    maxMapState(map(sipHash128(event_id, line_number), (source_offset, toInt64(quantity), net_amount, discount))) AS sale_lines,
    uniqExactState(event_id) AS transactions,
    min(occurred_at) AS first_sale_at,
    max(occurred_at) AS last_sale_at
FROM ${database}.fact_sale_lines
GROUP BY hour_start, store_id, sku
COMMENT 'Feeds sales_rollup_1h from every insert into fact_sale_lines';

CREATE TABLE IF NOT EXISTS ${database}.sales_rollup_1d
(
    sales_date      Date COMMENT 'Date (UTC)',
    store_id        LowCardinality(String) COMMENT 'Store',
    sku             String COMMENT 'Product',
    sale_lines      AggregateFunction(maxMap, Map(FixedString(16), Tuple(UInt64, Int64, Int64, Int64))) COMMENT 'Per sale line (key: sipHash128(event_id, line_number)): (source_offset, quantity, net_amount, discount); idempotent under re-inserts',
    transactions    AggregateFunction(uniqExact, UUID) COMMENT 'Distinct sales (baskets) with the sku'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(sales_date)
ORDER BY (store_id, sku, sales_date)
TTL sales_date + INTERVAL 1095 DAY
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Sales per store x sku x day (UTC; rollup of fact_sale_lines, exact under replays); read through bi_sales_daily';

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.sales_rollup_1d_mv TO ${database}.sales_rollup_1d
(
    sales_date      Date COMMENT 'Date (UTC)',
    store_id        LowCardinality(String) COMMENT 'Store',
    sku             String COMMENT 'Product',
    sale_lines      AggregateFunction(maxMap, Map(FixedString(16), Tuple(UInt64, Int64, Int64, Int64))) COMMENT 'Per sale line: (source_offset, quantity, net_amount, discount)',
    transactions    AggregateFunction(uniqExact, UUID) COMMENT 'Distinct sales with the sku'
)
AS SELECT
    toDate(occurred_at) AS sales_date,
    store_id,
    sku,
    maxMapState(map(sipHash128(event_id, line_number), (source_offset, toInt64(quantity), net_amount, discount))) AS sale_lines,
    uniqExactState(event_id) AS transactions
FROM ${database}.fact_sale_lines
GROUP BY sales_date, store_id, sku
COMMENT 'Feeds sales_rollup_1d from every insert into fact_sale_lines';

-- ── rollups: inventory movements per store x sku x movement type x hour / day ────────────

CREATE TABLE IF NOT EXISTS ${database}.inventory_rollup_1h
(
    hour_start      DateTime('UTC') COMMENT 'Start of the hour (UTC)',
    store_id        LowCardinality(String) COMMENT 'Store',
    sku             String COMMENT 'Product',
    movement_type   LowCardinality(String) COMMENT 'RECEIPT, SHRINK, TRANSFER_IN, TRANSFER_OUT, COUNT_CORRECTION or COUNT',
    movements       AggregateFunction(maxMap, Map(UUID, Tuple(UInt64, Int64))) COMMENT 'Per movement (key: event_id): (source_offset, quantity_delta or 0 for a COUNT); idempotent under re-inserts'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour_start)
ORDER BY (store_id, sku, movement_type, hour_start)
TTL hour_start + INTERVAL 1095 DAY
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Inventory movements per store x sku x type x hour (rollup of fact_inventory_movements, exact under replays); read through bi_inventory_hourly';

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.inventory_rollup_1h_mv TO ${database}.inventory_rollup_1h
(
    hour_start      DateTime('UTC') COMMENT 'Start of the hour (UTC)',
    store_id        LowCardinality(String) COMMENT 'Store',
    sku             String COMMENT 'Product',
    movement_type   LowCardinality(String) COMMENT 'Movement type',
    movements       AggregateFunction(maxMap, Map(UUID, Tuple(UInt64, Int64))) COMMENT 'Per movement: (source_offset, quantity_delta or 0)'
)
AS SELECT
    toStartOfHour(occurred_at) AS hour_start,
    store_id,
    sku,
    movement_type,
    maxMapState(map(event_id, (source_offset, toInt64(ifNull(quantity_delta, 0))))) AS movements
FROM ${database}.fact_inventory_movements
GROUP BY hour_start, store_id, sku, movement_type
COMMENT 'Feeds inventory_rollup_1h from every insert into fact_inventory_movements';

CREATE TABLE IF NOT EXISTS ${database}.inventory_rollup_1d
(
    movement_date   Date COMMENT 'Date (UTC)',
    store_id        LowCardinality(String) COMMENT 'Store',
    sku             String COMMENT 'Product',
    movement_type   LowCardinality(String) COMMENT 'RECEIPT, SHRINK, TRANSFER_IN, TRANSFER_OUT, COUNT_CORRECTION or COUNT',
    movements       AggregateFunction(maxMap, Map(UUID, Tuple(UInt64, Int64))) COMMENT 'Per movement (key: event_id): (source_offset, quantity_delta or 0 for a COUNT); idempotent under re-inserts'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(movement_date)
ORDER BY (store_id, sku, movement_type, movement_date)
TTL movement_date + INTERVAL 1095 DAY
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Inventory movements per store x sku x type x day (UTC; rollup of fact_inventory_movements, exact under replays); read through bi_inventory_daily';

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.inventory_rollup_1d_mv TO ${database}.inventory_rollup_1d
(
    movement_date   Date COMMENT 'Date (UTC)',
    store_id        LowCardinality(String) COMMENT 'Store',
    sku             String COMMENT 'Product',
    movement_type   LowCardinality(String) COMMENT 'Movement type',
    movements       AggregateFunction(maxMap, Map(UUID, Tuple(UInt64, Int64))) COMMENT 'Per movement: (source_offset, quantity_delta or 0)'
)
AS SELECT
    toDate(occurred_at) AS movement_date,
    store_id,
    sku,
    movement_type,
    maxMapState(map(event_id, (source_offset, toInt64(ifNull(quantity_delta, 0))))) AS movements
FROM ${database}.fact_inventory_movements
GROUP BY movement_date, store_id, sku, movement_type
COMMENT 'Feeds inventory_rollup_1d from every insert into fact_inventory_movements';

-- ── bi_* views: dimensions ───────────────────────────────────────────────────────────────

CREATE VIEW IF NOT EXISTS ${database}.bi_dim_store
(
    store_id      String COMMENT 'Store code',
    store_name    String COMMENT 'Store name',
    region        String COMMENT 'Sales region',
    time_zone     String COMMENT 'IANA time zone of the store',
    store_format  String COMMENT 'Store format: EXPRESS, SMALL, MEDIUM, LARGE or HYPERMARKET',
    currency      String COMMENT 'Currency the store sells in (ISO 4217)',
    opened_on     Date COMMENT 'Date the store opened'
)
AS SELECT
    store_id, name AS store_name, region, time_zone, size_class AS store_format, currency, opened_on
FROM ${database}.dim_store FINAL
COMMENT 'Stores for BI: one row per store, current version';

CREATE VIEW IF NOT EXISTS ${database}.bi_dim_product
(
    sku               String COMMENT 'Product code (stock keeping unit)',
    product_name      String COMMENT 'Product name',
    category          String COMMENT 'Category',
    brand             String COMMENT 'Brand',
    unit_cost_minor   Int64 COMMENT 'Cost of one unit in minor units (cents)',
    unit_cost         Decimal(18, 2) COMMENT 'Cost of one unit',
    shelf_price_minor Int64 COMMENT 'Regular shelf price of one unit in minor units (cents)',
    shelf_price       Decimal(18, 2) COMMENT 'Regular shelf price of one unit',
    currency          String COMMENT 'Currency of cost and price (ISO 4217)',
    perishable        Bool COMMENT 'The product spoils',
    shelf_life_days   Nullable(Int32) COMMENT 'Days a unit keeps once received; empty when not perishable'
)
AS SELECT
    sku, name AS product_name, category, brand,
    dim_product.unit_cost AS unit_cost_minor, toDecimal64(dim_product.unit_cost, 2) / 100 AS unit_cost,
    price AS shelf_price_minor, toDecimal64(price, 2) / 100 AS shelf_price,
    currency, perishable, toNullable(toInt32(dim_product.shelf_life_days)) AS shelf_life_days
FROM ${database}.dim_product FINAL
COMMENT 'Products for BI: one row per sku, current version';

CREATE VIEW IF NOT EXISTS ${database}.bi_dim_date
(
    date               Date COMMENT 'Calendar date',
    year               Int32 COMMENT 'Year',
    quarter            Int32 COMMENT 'Quarter, 1-4',
    year_quarter       String COMMENT 'Year and quarter, e.g. 2026-Q1',
    month              Int32 COMMENT 'Month, 1-12',
    month_name         String COMMENT 'Month name',
    year_month         String COMMENT 'Year and month, e.g. 2026-01',
    day_of_month       Int32 COMMENT 'Day of the month',
    day_of_year        Int32 COMMENT 'Day of the year',
    day_of_week        Int32 COMMENT 'ISO day of week, 1 = Monday',
    day_name           String COMMENT 'Day name',
    iso_week           Int32 COMMENT 'ISO week number',
    iso_year           Int32 COMMENT 'ISO week-numbering year',
    is_weekend         Bool COMMENT 'Saturday or Sunday',
    western_holidays   String COMMENT 'Holidays in regions of western culture (comma-separated)',
    muslim_holidays    String COMMENT 'Holidays in regions of muslim culture (comma-separated)',
    is_ramadan         Bool COMMENT 'A day of Ramadan'
)
AS SELECT
    date, toInt32(dim_date.year) AS year, toInt32(dim_date.quarter) AS quarter, concat(toString(year), '-Q', toString(quarter)) AS year_quarter,
    toInt32(dim_date.month) AS month, month_name, concat(toString(year), '-', leftPad(toString(month), 2, '0')) AS year_month,
    toInt32(dim_date.day_of_month) AS day_of_month, toInt32(dim_date.day_of_year) AS day_of_year, toInt32(dim_date.day_of_week) AS day_of_week,
    day_name, toInt32(dim_date.iso_week) AS iso_week, toInt32(dim_date.iso_year) AS iso_year, is_weekend,
    western_holidays, muslim_holidays, is_ramadan
FROM ${database}.dim_date FINAL
COMMENT 'Calendar for BI: one row per date with holidays per culture';

CREATE VIEW IF NOT EXISTS ${database}.bi_holidays
(
    date            Date COMMENT 'Date of the holiday (local date)',
    region          String COMMENT 'Sales region',
    culture         String COMMENT 'western or muslim',
    holiday_name    String COMMENT 'Holiday or holiday period',
    store_closed    Bool COMMENT 'Stores of the region close on this day',
    demand_factor   Float64 COMMENT 'Demand multiplier for most categories (1 = a normal day)'
)
AS SELECT date, region, culture, holiday_name, store_closed, demand_factor
FROM ${database}.dim_holiday FINAL
COMMENT 'Holidays for BI: one row per region x date x holiday';

-- ── bi_* views: facts ────────────────────────────────────────────────────────────────────

CREATE VIEW IF NOT EXISTS ${database}.bi_sales
(
    sale_id             UUID COMMENT 'Sale event id',
    line_number         Int32 COMMENT 'Line in the basket',
    sold_at             DateTime64(3, 'UTC') COMMENT 'When the sale completed (UTC)',
    sales_date          Date COMMENT 'Date of the sale (UTC)',
    store_id            String COMMENT 'Store code',
    terminal_id         String COMMENT 'Till',
    transaction_id      String COMMENT 'Transaction number at the till',
    cashier_id          String COMMENT 'Cashier',
    payment_method      String COMMENT 'CASH, CARD, MOBILE, GIFT_CARD or OTHER',
    currency            String COMMENT 'Currency (ISO 4217)',
    sku                 String COMMENT 'Product code',
    units_sold          Int32 COMMENT 'Units sold',
    unit_price_minor    Int64 COMMENT 'Shelf price of one unit, minor units',
    unit_price          Decimal(18, 2) COMMENT 'Shelf price of one unit',
    discount_minor      Int64 COMMENT 'Discount on the line, minor units',
    discount            Decimal(18, 2) COMMENT 'Discount on the line',
    net_sales_minor     Int64 COMMENT 'Units x price - discount, minor units',
    net_sales           Decimal(18, 2) COMMENT 'Units x price - discount',
    promotion_id        Nullable(String) COMMENT 'Promotion that gave the discount'
)
AS SELECT
    event_id AS sale_id, toInt32(fact_sale_lines.line_number) AS line_number, occurred_at AS sold_at, toDate(occurred_at) AS sales_date,
    store_id, terminal_id, transaction_id, cashier_id, payment_method, currency, sku, quantity AS units_sold,
    fact_sale_lines.unit_price AS unit_price_minor, toDecimal64(unit_price_minor, 2) / 100 AS unit_price,
    fact_sale_lines.discount AS discount_minor, toDecimal64(discount_minor, 2) / 100 AS discount,
    net_amount AS net_sales_minor, toDecimal64(net_amount, 2) / 100 AS net_sales,
    promotion_id
FROM ${database}.fact_sale_lines FINAL
COMMENT 'Sale lines for BI: one row per line of every sale';

CREATE VIEW IF NOT EXISTS ${database}.bi_returns
(
    return_event_id          UUID COMMENT 'Return event id',
    line_number              Int32 COMMENT 'Line in the return',
    returned_at              DateTime64(3, 'UTC') COMMENT 'When the return was processed (UTC)',
    return_date              Date COMMENT 'Date of the return (UTC)',
    store_id                 String COMMENT 'Store code',
    terminal_id              String COMMENT 'Till',
    return_id                String COMMENT 'Return number at the till',
    original_transaction_id  Nullable(String) COMMENT 'The sale returned, when known',
    sku                      String COMMENT 'Product code',
    units_returned           Int32 COMMENT 'Units returned',
    refund_minor             Int64 COMMENT 'Refund, minor units',
    refund                   Decimal(18, 2) COMMENT 'Refund',
    restockable              Bool COMMENT 'The units went back on the shelf',
    return_reason            String COMMENT 'Why it was returned',
    currency                 String COMMENT 'Currency (ISO 4217)'
)
AS SELECT
    event_id AS return_event_id, toInt32(fact_return_lines.line_number) AS line_number, occurred_at AS returned_at,
    toDate(occurred_at) AS return_date, store_id, terminal_id, return_id, original_transaction_id, sku,
    quantity AS units_returned, refund_amount AS refund_minor, toDecimal64(refund_amount, 2) / 100 AS refund,
    restockable, reason AS return_reason, currency
FROM ${database}.fact_return_lines FINAL
COMMENT 'Return lines for BI: one row per returned line';

CREATE VIEW IF NOT EXISTS ${database}.bi_voids
(
    void_event_id     UUID COMMENT 'Void event id',
    voided_at         DateTime64(3, 'UTC') COMMENT 'When the void happened (UTC)',
    void_date         Date COMMENT 'Date of the void (UTC)',
    store_id          String COMMENT 'Store code',
    terminal_id       String COMMENT 'Till',
    transaction_id    String COMMENT 'Transaction voided',
    cashier_id        String COMMENT 'Cashier',
    supervisor_id     Nullable(String) COMMENT 'Supervisor who approved it',
    lines_voided      Int32 COMMENT 'Lines on the voided transaction',
    void_value_minor  Int64 COMMENT 'Value voided, minor units',
    void_value        Decimal(18, 2) COMMENT 'Value voided',
    void_reason       String COMMENT 'Why it was voided',
    currency          String COMMENT 'Currency (ISO 4217)'
)
AS SELECT
    event_id AS void_event_id, occurred_at AS voided_at, toDate(occurred_at) AS void_date, store_id, terminal_id,
    transaction_id, cashier_id, supervisor_id, line_count AS lines_voided, void_total AS void_value_minor,
    toDecimal64(void_total, 2) / 100 AS void_value, reason AS void_reason, currency
FROM ${database}.fact_voids FINAL
COMMENT 'Voided transactions for BI';

CREATE VIEW IF NOT EXISTS ${database}.bi_inventory_movements
(
    movement_id       UUID COMMENT 'Movement or count event id',
    moved_at          DateTime64(3, 'UTC') COMMENT 'When stock changed or was counted (UTC)',
    movement_date     Date COMMENT 'Date of the movement (UTC)',
    store_id          String COMMENT 'Store code',
    sku               String COMMENT 'Product code',
    movement_type     String COMMENT 'RECEIPT, SHRINK, TRANSFER_IN, TRANSFER_OUT, COUNT_CORRECTION, or COUNT',
    units_change      Nullable(Int32) COMMENT 'Signed change of stock in units; empty for a COUNT',
    units_counted     Nullable(Int32) COMMENT 'Units found by a COUNT; empty for movements',
    movement_reason   String COMMENT 'Reason, or who counted',
    reference_id      Nullable(String) COMMENT 'Purchase order, transfer or count reference',
    unit_cost_minor   Nullable(Int64) COMMENT 'Cost of one unit for receipts, minor units',
    unit_cost         Nullable(Decimal(18, 2)) COMMENT 'Cost of one unit for receipts'
)
AS SELECT
    event_id AS movement_id, occurred_at AS moved_at, toDate(occurred_at) AS movement_date, store_id, sku, movement_type,
    quantity_delta AS units_change, counted_on_hand AS units_counted, reason AS movement_reason, reference_id,
    fact_inventory_movements.unit_cost AS unit_cost_minor, toDecimal64(unit_cost_minor, 2) / 100 AS unit_cost
FROM ${database}.fact_inventory_movements FINAL
COMMENT 'Inventory movements and cycle counts for BI';

-- ── bi_* views: rollups ──────────────────────────────────────────────────────────────────

CREATE VIEW IF NOT EXISTS ${database}.bi_sales_hourly
(
    hour_start_utc      DateTime('UTC') COMMENT 'Start of the hour (UTC)',
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
    transactions        Int64 COMMENT 'Sales (baskets) with the product'
)
AS SELECT
    hour_start AS hour_start_utc, store_id, sku,
    units AS units_sold, net_minor AS net_sales_minor, toDecimal64(net_minor, 2) / 100 AS net_sales,
    discount_sum AS discount_minor, toDecimal64(discount_sum, 2) / 100 AS discount,
    net_minor + discount_sum AS gross_sales_minor, toDecimal64(net_minor + discount_sum, 2) / 100 AS gross_sales,
    lines AS sale_lines, baskets AS transactions
FROM
(
    SELECT
        hour_start, store_id, sku,
        mapValues(maxMapMerge(sale_lines)) AS line_values,
        arraySum(v -> v.2, line_values) AS units,
        arraySum(v -> v.3, line_values) AS net_minor,
        arraySum(v -> v.4, line_values) AS discount_sum,
        toInt64(length(line_values)) AS lines,
        toInt64(uniqExactMerge(transactions)) AS baskets
    FROM ${database}.sales_rollup_1h
    GROUP BY hour_start, store_id, sku
)
COMMENT 'Sales per store x product x hour for dashboards (from the hourly rollup)';

CREATE VIEW IF NOT EXISTS ${database}.bi_sales_daily
(
    sales_date          Date COMMENT 'Date (UTC)',
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
    transactions        Int64 COMMENT 'Sales (baskets) with the product'
)
AS SELECT
    sales_date, store_id, sku,
    units AS units_sold, net_minor AS net_sales_minor, toDecimal64(net_minor, 2) / 100 AS net_sales,
    discount_sum AS discount_minor, toDecimal64(discount_sum, 2) / 100 AS discount,
    net_minor + discount_sum AS gross_sales_minor, toDecimal64(net_minor + discount_sum, 2) / 100 AS gross_sales,
    lines AS sale_lines, baskets AS transactions
FROM
(
    SELECT
        sales_date, store_id, sku,
        mapValues(maxMapMerge(sale_lines)) AS line_values,
        arraySum(v -> v.2, line_values) AS units,
        arraySum(v -> v.3, line_values) AS net_minor,
        arraySum(v -> v.4, line_values) AS discount_sum,
        toInt64(length(line_values)) AS lines,
        toInt64(uniqExactMerge(transactions)) AS baskets
    FROM ${database}.sales_rollup_1d
    GROUP BY sales_date, store_id, sku
)
COMMENT 'Sales per store x product x day (UTC) for long-range dashboards (from the daily rollup)';

CREATE VIEW IF NOT EXISTS ${database}.bi_inventory_hourly
(
    hour_start_utc    DateTime('UTC') COMMENT 'Start of the hour (UTC)',
    store_id          String COMMENT 'Store code',
    sku               String COMMENT 'Product code',
    movement_type     String COMMENT 'RECEIPT, SHRINK, TRANSFER_IN, TRANSFER_OUT, COUNT_CORRECTION or COUNT',
    movements         Int64 COMMENT 'Movements (or counts) of this type',
    units_change      Int64 COMMENT 'Net change of stock in units (0 for counts)'
)
AS SELECT hour_start AS hour_start_utc, store_id, sku, movement_type, toInt64(length(v)) AS movements, arraySum(x -> x.2, v) AS units_change
FROM (SELECT hour_start, store_id, sku, movement_type, mapValues(maxMapMerge(movements)) AS v FROM ${database}.inventory_rollup_1h GROUP BY hour_start, store_id, sku, movement_type)
COMMENT 'Inventory movement totals per store x product x type x hour (from the hourly rollup)';

CREATE VIEW IF NOT EXISTS ${database}.bi_inventory_daily
(
    movement_date     Date COMMENT 'Date (UTC)',
    store_id          String COMMENT 'Store code',
    sku               String COMMENT 'Product code',
    movement_type     String COMMENT 'RECEIPT, SHRINK, TRANSFER_IN, TRANSFER_OUT, COUNT_CORRECTION or COUNT',
    movements         Int64 COMMENT 'Movements (or counts) of this type',
    units_change      Int64 COMMENT 'Net change of stock in units (0 for counts)'
)
AS SELECT movement_date, store_id, sku, movement_type, toInt64(length(v)) AS movements, arraySum(x -> x.2, v) AS units_change
FROM (SELECT movement_date, store_id, sku, movement_type, mapValues(maxMapMerge(movements)) AS v FROM ${database}.inventory_rollup_1d GROUP BY movement_date, store_id, sku, movement_type)
COMMENT 'Inventory movement totals per store x product x type x day (UTC, from the daily rollup)';

-- ── bi_* views: stream outputs ───────────────────────────────────────────────────────────

CREATE VIEW IF NOT EXISTS ${database}.bi_sales_velocity
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
    is_final            Bool COMMENT 'The minute is closed and will not change'
)
AS SELECT
    window_start AS minute_start_utc, store_id, sku, units AS units_sold,
    revenue AS net_sales_minor, toDecimal64(revenue, 2) / 100 AS net_sales,
    gross_revenue AS gross_sales_minor, toDecimal64(gross_revenue, 2) / 100 AS gross_sales,
    sales_velocity_1m.discount AS discount_minor, toDecimal64(discount_minor, 2) / 100 AS discount,
    toInt64(sales_velocity_1m.transactions) AS transactions, toInt64(lines) AS sale_lines, is_final
FROM ${database}.sales_velocity_1m FINAL
COMMENT 'Sales velocity per store x product x minute (stream output of the velocity processor)';

CREATE VIEW IF NOT EXISTS ${database}.bi_store_revenue_hourly
(
    hour_start_utc    DateTime('UTC') COMMENT 'Start of the hour (UTC)',
    store_id          String COMMENT 'Store code',
    units_sold        Int64 COMMENT 'Units sold in the hour',
    net_sales_minor   Int64 COMMENT 'Net sales, minor units',
    net_sales         Decimal(18, 2) COMMENT 'Net sales',
    products_sold     Int64 COMMENT 'Distinct products sold'
)
AS SELECT
    window_start AS hour_start_utc, store_id, units AS units_sold, revenue AS net_sales_minor,
    toDecimal64(revenue, 2) / 100 AS net_sales, toInt64(skus_sold) AS products_sold
FROM ${database}.store_revenue_1h
COMMENT 'Revenue per store per hour (from the velocity processor''s minutes)';

CREATE VIEW IF NOT EXISTS ${database}.bi_sales_rolling_rate
(
    store_id              String COMMENT 'Store code',
    sku                   String COMMENT 'Product code',
    as_of_utc             DateTime('UTC') COMMENT 'End of the newest minute with sales: the rates look back from here',
    units_last_hour       Int64 COMMENT 'Units sold in the last hour',
    units_per_hour_24h    Float64 COMMENT 'Average units per hour over the last 24 hours'
)
AS SELECT store_id, sku, as_of AS as_of_utc, units_last_1h AS units_last_hour, units_per_hour_24h
FROM ${database}.sales_velocity_rolling
COMMENT 'Rolling sales rate per store x product (last 1 h and 24 h)';

CREATE VIEW IF NOT EXISTS ${database}.bi_alerts
(
    alert_id       String COMMENT 'Alert id (the same situation keeps its id)',
    alert_state    String COMMENT 'RAISED or RESOLVED',
    occurred_at    DateTime64(3, 'UTC') COMMENT 'When it was raised or resolved (UTC, event time)',
    alert_date     Date COMMENT 'Date raised or resolved (UTC)',
    store_id       String COMMENT 'Store code',
    sku            Nullable(String) COMMENT 'Product code; empty for store or till alerts',
    terminal_id    Nullable(String) COMMENT 'Till, for void bursts',
    alert_type     String COMMENT 'STOCKOUT_RISK, OUT_OF_STOCK, DEMAND_SPIKE, DEMAND_DROP, PHANTOM_INVENTORY, PRICE_ERROR or VOID_BURST',
    severity       String COMMENT 'INFO, WARNING or CRITICAL',
    score          Float64 COMMENT 'Strength of the evidence (probability or standardised deviation)',
    reason         String COMMENT 'Explanation',
    raised_by      String COMMENT 'Processor that raised it',
    measures_json  String COMMENT 'Numbers behind the alert as JSON ({"on_hand": 3, ...})'
)
AS SELECT
    alert_id, state AS alert_state, occurred_at, toDate(occurred_at) AS alert_date, store_id, sku, terminal_id,
    alert_type, severity, score, reason, processor AS raised_by, toJSONString(measures) AS measures_json
FROM ${database}.alerts FINAL
COMMENT 'Alerts (stock-out risk and anomalies) for BI';
