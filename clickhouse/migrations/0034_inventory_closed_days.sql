-- End-of-business-day books per store x sku, written when a store's day closes (issue 15, the
-- inventory bench). bi_inventory_history (0022) ran its window functions over every stock event
-- of the store x sku at every query: a sku's quarter took 1.2 s and one store's at-risk list 11 s
-- on the bench's 10 stores x 500 skus x 91 days, where the web app needs well under a second.
-- Here the closing job (services/bi-rollups/inventory-closing.ts) writes one small row per store
-- x sku x closed business day, and the views read those rows for the closed days and the facts
-- only from the first day that is not clean on.
--
-- Exact under replay, as the sales aggregates of 0010: the rows are keyed (store, sku, day) in a
-- ReplacingMergeTree versioned by the closing time, so closing again replaces them; every insert
-- of stock facts (sales, returns, movements) marks its store x UTC date as touched under the fact
-- 'stock' (days_touched, hence days_state), and a closed day touched after its closing is dirty.
-- Books are cumulative: a late event changes every later day's level, so a store's rows are read
-- only *before* its first day that is not clean (inventory_open_from), and the job closes again
-- from that day to the last one it had closed.
--
-- Before its first cycle count a store x sku's level is relative (that count less the deltas
-- between, 0022): a late event before the first count moves every earlier day. Those days are
-- never written; the views compute them from the facts up to the first count each time.
--
-- The view part that reads the facts starts from the books of the last clean day: a seed, a
-- count of kind 0 (before every event of its instant) holding that day's end-of-day level, set
-- after the store x sku's first count and before any event of the first open day. Only the events
-- of the open days and those up to the first count are read, so the window functions of 0022 run
-- over a day or two of events instead of the whole history.

-- ── which stock days were touched (the sales of 0010 are one of three stock facts) ─────────

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.days_touched_stock_sales_mv TO ${database}.days_touched
(
    fact          LowCardinality(String) COMMENT 'Which facts: stock',
    store_id      LowCardinality(String) COMMENT 'Store',
    utc_date      Date COMMENT 'UTC date of the inserted sale lines',
    touched_at    DateTime64(3, 'UTC') COMMENT 'When they were inserted'
)
AS SELECT 'stock' AS fact, store_id, toDate(occurred_at) AS utc_date, now64(3) AS touched_at
FROM ${database}.fact_sale_lines
GROUP BY store_id, utc_date
COMMENT 'Marks the store x UTC dates of every insert into fact_sale_lines as touched stock days';

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.days_touched_stock_returns_mv TO ${database}.days_touched
(
    fact          LowCardinality(String) COMMENT 'Which facts: stock',
    store_id      LowCardinality(String) COMMENT 'Store',
    utc_date      Date COMMENT 'UTC date of the inserted return lines',
    touched_at    DateTime64(3, 'UTC') COMMENT 'When they were inserted'
)
AS SELECT 'stock' AS fact, store_id, toDate(occurred_at) AS utc_date, now64(3) AS touched_at
FROM ${database}.fact_return_lines
GROUP BY store_id, utc_date
COMMENT 'Marks the store x UTC dates of every insert into fact_return_lines as touched stock days';

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.days_touched_stock_movements_mv TO ${database}.days_touched
(
    fact          LowCardinality(String) COMMENT 'Which facts: stock',
    store_id      LowCardinality(String) COMMENT 'Store',
    utc_date      Date COMMENT 'UTC date of the inserted movements and counts',
    touched_at    DateTime64(3, 'UTC') COMMENT 'When they were inserted'
)
AS SELECT 'stock' AS fact, store_id, toDate(occurred_at) AS utc_date, now64(3) AS touched_at
FROM ${database}.fact_inventory_movements
GROUP BY store_id, utc_date
COMMENT 'Marks the store x UTC dates of every insert into fact_inventory_movements as touched stock days';

-- What was there before the views (after them: a row counted twice changes no maximum). The
-- days_state views of 0015 carry these into days_state.
INSERT INTO ${database}.days_touched (fact, store_id, utc_date, touched_at)
SELECT 'stock', store_id, toDate(occurred_at) AS utc_date, now64(3) FROM ${database}.fact_sale_lines GROUP BY store_id, utc_date;

INSERT INTO ${database}.days_touched (fact, store_id, utc_date, touched_at)
SELECT 'stock', store_id, toDate(occurred_at) AS utc_date, now64(3) FROM ${database}.fact_return_lines GROUP BY store_id, utc_date;

INSERT INTO ${database}.days_touched (fact, store_id, utc_date, touched_at)
SELECT 'stock', store_id, toDate(occurred_at) AS utc_date, now64(3) FROM ${database}.fact_inventory_movements GROUP BY store_id, utc_date;

-- ── the closed days' books ──────────────────────────────────────────────────────────────

CREATE TABLE IF NOT EXISTS ${database}.inventory_daily
(
    store_id         LowCardinality(String) COMMENT 'Store',
    sku              String COMMENT 'Product (counted by this day: the level is anchored on a cycle count)',
    business_date    Date COMMENT 'The store''s business date (local calendar day); every day from the first count to the store''s latest day with stock events has a row',
    units_on_hand    Int64 COMMENT 'Book units on hand at the end of the day (latest count plus every later delta)',
    min_level        Nullable(Int64) COMMENT 'Lowest book level after any event of the day; NULL on a day without a stock event',
    units_sold       Int64 COMMENT 'Units sold that day',
    net_sales_minor  Int64 COMMENT 'Sales net of discounts that day, VAT included, minor units of the store currency',
    units_received   Int64 COMMENT 'Units received that day (RECEIPT movements)',
    receipt_cost     Nullable(Int64) COMMENT 'Unit cost of the day''s latest receipt that carries one, minor units; NULL without',
    counted_today    UInt8 COMMENT '1 when a cycle count was taken that day',
    stockout_hours   Float64 COMMENT 'Hours of the day the books stood at 0 units or below',
    closed_at        DateTime64(3, 'UTC') COMMENT 'When the closing that wrote the row began (the version: a later closing replaces it)'
)
ENGINE = ReplacingMergeTree(closed_at)
PARTITION BY toYYYYMM(business_date)
ORDER BY (store_id, sku, business_date)
TTL business_date + INTERVAL 1095 DAY
COMMENT 'Book figures per store x sku x closed business day, from the first cycle count on, written by the closing job; read through bi_inventory_history for days before the store''s first day that is not clean';

CREATE OR REPLACE VIEW ${database}.inventory_open_from
(
    store_id   String COMMENT 'Store',
    open_date  Date COMMENT 'The store''s first business day that is not clean (not closed, or touched since its closing): inventory_daily is read before it, the facts from it on'
)
AS SELECT toString(store_id) AS store_id,
    if(countIf(NOT (is_closed = 1 AND touched_at <= closed_at)) > 0,
       minIf(business_date, NOT (is_closed = 1 AND touched_at <= closed_at)),
       max(business_date) + 1) AS open_date
FROM ${database}.days_state FINAL
WHERE fact = 'stock'
GROUP BY store_id
COMMENT 'Per store, where the inventory views stop reading closed-day rows and start reading the facts (a store absent here is read from the facts only)';

-- ── the books: closed days from inventory_daily, the rest from the facts ─────────────────

CREATE OR REPLACE VIEW ${database}.inventory_book_days
(
    store_id          String COMMENT 'Store code',
    sku               String COMMENT 'Product code',
    business_date     Date COMMENT 'A business day with a stock event or stock-out hours (closed days: every day from the first count)',
    end_level         Nullable(Int64) COMMENT 'Book units on hand at the end of the day; NULL on a day without an event (the level carries)',
    min_level         Nullable(Int64) COMMENT 'Lowest book level after any event of the day; NULL without an event',
    sold              Int64 COMMENT 'Units sold that day',
    net_minor         Int64 COMMENT 'Net sales that day, minor units of the store currency',
    received          Int64 COMMENT 'Units received that day',
    day_receipt_cost  Nullable(Int64) COMMENT 'Unit cost of the day''s latest receipt that carries one, minor units',
    counted_today     UInt8 COMMENT '1 when a cycle count was taken that day',
    hours             Float64 COMMENT 'Hours of the day the books stood at 0 units or below',
    store_last_date   Date COMMENT 'The store''s latest business date with stock events (as far as this row knows: the maximum over the store is the answer)'
)
AS WITH
    open_from AS (SELECT store_id AS open_store_id, open_date FROM ${database}.inventory_open_from),
    -- Below every store's first open day, with a day of slack for any time zone (a coarse cut the
    -- exact filter in `kept` refines).
    (SELECT toDateTime64(min(open_date), 3, 'UTC') - toIntervalDay(1) FROM ${database}.inventory_open_from) AS facts_from,
    first_counts AS
    (
        SELECT toString(store_id) AS count_store_id, sku AS count_sku, min(occurred_at) AS first_count_at
        FROM ${database}.fact_inventory_movements
        WHERE movement_type = 'COUNT'
        GROUP BY count_store_id, count_sku
    ),
    -- The latest first count of any store x sku: the facts before it are read for the days before the first count.
    (SELECT max(first_count_at) FROM first_counts) AS counts_until,
    closed_books AS
    (
        SELECT d.store_id AS store_id, d.sku AS sku, d.business_date AS business_date, d.units_on_hand AS units_on_hand, d.min_level AS min_level, d.units_sold AS units_sold,
            d.net_sales_minor AS net_sales_minor, d.units_received AS units_received, d.receipt_cost AS receipt_cost, d.counted_today AS counted_today, d.stockout_hours AS stockout_hours,
            b.open_date AS open_date
        FROM (SELECT toString(store_id) AS store_id, sku, business_date, units_on_hand, min_level, units_sold, net_sales_minor, units_received, receipt_cost, counted_today, stockout_hours
              FROM ${database}.inventory_daily FINAL) AS d
        INNER JOIN open_from AS b ON b.open_store_id = d.store_id
        WHERE d.business_date < b.open_date
    ),
    stock_events AS
    (
        SELECT toString(store_id) AS store_id, sku, occurred_at, 1 AS kind, -toInt64(sum(quantity)) AS delta, toInt64(sum(quantity)) AS sold, toInt64(sum(net_amount)) AS net_minor,
            toInt64(0) AS received, CAST(NULL AS Nullable(Int64)) AS receipt_cost, CAST(NULL AS Nullable(Int64)) AS counted, toString(event_id) AS event_key
        FROM ${database}.fact_sale_lines FINAL
        WHERE occurred_at >= facts_from OR occurred_at <= counts_until
        GROUP BY store_id, sku, event_id, occurred_at
        UNION ALL
        SELECT toString(store_id), sku, occurred_at, 1, toInt64(quantity), 0, 0, 0, NULL, NULL, concat(toString(event_id), '/', toString(line_number))
        FROM ${database}.fact_return_lines FINAL
        WHERE restockable AND (occurred_at >= facts_from OR occurred_at <= counts_until)
        UNION ALL
        -- kind 2: a count sorts after every delta of its instant (its correction included), which it covers.
        SELECT toString(store_id), sku, occurred_at, if(movement_type = 'COUNT', 2, 1), toInt64(ifNull(quantity_delta, 0)), 0, 0,
            if(movement_type = 'RECEIPT', toInt64(ifNull(quantity_delta, 0)), 0), if(movement_type = 'RECEIPT', unit_cost, NULL),
            if(movement_type = 'COUNT', toNullable(toInt64(counted_on_hand)), NULL), toString(event_id)
        FROM ${database}.fact_inventory_movements FINAL
        WHERE occurred_at >= facts_from OR occurred_at <= counts_until
        UNION ALL
        -- kind 0, the seed: the last clean day's level, sorting before every event of its instant.
        SELECT s.store_id, s.sku, greatest(toDateTime64(s.open_date - 1, 3, 'UTC'), c.first_count_at + toIntervalMillisecond(1)), 0, 0, 0, 0, 0, NULL, toNullable(s.level), ''
        FROM (SELECT store_id, sku, argMax(units_on_hand, business_date) AS level, any(open_date) AS open_date FROM closed_books GROUP BY store_id, sku) AS s
        INNER JOIN first_counts AS c ON c.count_store_id = s.store_id AND c.count_sku = s.sku
    ),
    kept AS
    (
        SELECT e.store_id AS store_id, e.sku AS sku, e.occurred_at AS occurred_at, e.utc_offset_s AS utc_offset_s, e.business_date AS business_date, e.kind AS kind, e.delta AS delta,
            e.sold AS sold, e.net_minor AS net_minor, e.received AS received, e.receipt_cost AS receipt_cost, e.counted AS counted, e.event_key AS event_key,
            ifNull(b.open_date, toDate(0)) AS open_date
        FROM
        (
            SELECT e.store_id AS store_id, e.sku AS sku, e.occurred_at AS occurred_at, o.utc_offset_s AS utc_offset_s, toDate(e.occurred_at + toIntervalSecond(o.utc_offset_s)) AS business_date,
                e.kind AS kind, e.delta AS delta, e.sold AS sold, e.net_minor AS net_minor, e.received AS received, e.receipt_cost AS receipt_cost, e.counted AS counted, e.event_key AS event_key
            FROM stock_events AS e
            ASOF LEFT JOIN (SELECT toString(store_id) AS offset_store_id, valid_from, utc_offset_s FROM ${database}.dim_store_utc_offset) AS o
                ON e.store_id = o.offset_store_id AND e.occurred_at >= o.valid_from
        ) AS e
        LEFT JOIN open_from AS b ON b.open_store_id = e.store_id
        LEFT JOIN first_counts AS c ON c.count_store_id = e.store_id AND c.count_sku = e.sku
        -- The open days' events, the events up to the first count (the days before it), the seed.
        WHERE e.kind = 0 OR e.business_date >= ifNull(b.open_date, toDate(0)) OR e.occurred_at <= c.first_count_at
    ),
    running AS
    (
        SELECT *,
            sum(delta) OVER upto AS cum,
            leadInFrame(occurred_at) OVER next AS next_at,
            leadInFrame(toUInt8(1)) OVER next AS has_next
        FROM kept
        WINDOW
            upto AS (PARTITION BY store_id, sku ORDER BY occurred_at, kind, delta DESC, event_key ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
            next AS (PARTITION BY store_id, sku ORDER BY occurred_at, kind, delta DESC, event_key ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING)
    ),
    counted AS
    (
        SELECT *,
            -- anyLast skips NULLs: the latest count (or seed) at or before the event, and the running sum it was taken at.
            anyLast(counted) OVER upto AS last_counted,
            anyLast(if(counted IS NULL, NULL, toNullable(cum))) OVER upto AS cum_at_last_count
        FROM running
        WINDOW upto AS (PARTITION BY store_id, sku ORDER BY occurred_at, kind, delta DESC, event_key ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    ),
    levels AS
    (
        SELECT *,
            -- Before the first count: that count less the deltas between it and the event.
            argMinIf(toNullable(counted - cum), (occurred_at, kind, -delta, event_key), counted IS NOT NULL) OVER (PARTITION BY store_id, sku) AS first_anchor,
            if(last_counted IS NULL, first_anchor + cum, last_counted + cum - cum_at_last_count) AS level,
            minIf(business_date, kind = 2) OVER (PARTITION BY store_id, sku) AS first_count_date,
            -- The seed's day is not a day of events.
            maxIf(business_date, kind != 0) OVER (PARTITION BY store_id) AS store_last_date
        FROM counted
    ),
    -- Days read from the facts: the open days, and the days before the first count.
    wanted AS (SELECT * FROM levels WHERE first_anchor IS NOT NULL),
    per_day AS
    (
        SELECT store_id, sku, business_date,
            toNullable(argMax(level, (occurred_at, kind, -delta, event_key))) AS end_level,
            toNullable(minIf(level, kind != 0)) AS min_level,
            toInt64(sum(sold)) AS sold, toInt64(sum(net_minor)) AS net_minor, toInt64(sum(received)) AS received,
            argMaxIf(receipt_cost, (occurred_at, event_key), receipt_cost IS NOT NULL) AS day_receipt_cost,
            toUInt8(max(kind = 2)) AS counted_today, toFloat64(0) AS hours,
            any(open_date) AS open_date, any(first_count_date) AS first_count_date, any(store_last_date) AS store_last_date
        FROM wanted
        WHERE kind != 0
        GROUP BY store_id, sku, business_date
    ),
    -- Each interval the books stood at 0 or below, on the store's clock, cut into its business days.
    out_intervals AS
    (
        SELECT store_id, sku, local_from, local_to, toDate(local_from + toIntervalDay(d)) AS business_date, open_date, first_count_date, store_last_date
        FROM
        (
            SELECT store_id, sku, open_date, first_count_date, store_last_date,
                occurred_at + toIntervalSecond(utc_offset_s) AS local_from,
                if(has_next = 1, next_at + toIntervalSecond(utc_offset_s), toDateTime64(store_last_date + 1, 3, 'UTC')) AS local_to
            FROM wanted
            WHERE level <= 0
        )
        ARRAY JOIN range(toUInt32(greatest(dateDiff('day', toDate(local_from), toDate(local_to - toIntervalMillisecond(1))), -1) + 1)) AS d
        WHERE local_to > local_from
    ),
    out_hours AS
    (
        SELECT store_id, sku, business_date,
            CAST(NULL AS Nullable(Int64)) AS end_level, CAST(NULL AS Nullable(Int64)) AS min_level, toInt64(0) AS sold, toInt64(0) AS net_minor, toInt64(0) AS received,
            CAST(NULL AS Nullable(Int64)) AS day_receipt_cost, toUInt8(0) AS counted_today,
            sum(dateDiff('millisecond', greatest(local_from, toDateTime64(business_date, 3, 'UTC')), least(local_to, toDateTime64(business_date + 1, 3, 'UTC')))) / 3600000 AS hours,
            any(open_date) AS open_date, any(first_count_date) AS first_count_date, any(store_last_date) AS store_last_date
        FROM out_intervals
        GROUP BY store_id, sku, business_date
    ),
    books AS
    (
        SELECT store_id, sku, business_date, toNullable(units_on_hand) AS end_level, min_level, units_sold AS sold, net_sales_minor AS net_minor, units_received AS received,
            receipt_cost AS day_receipt_cost, counted_today, stockout_hours AS hours, business_date AS store_last_date
        FROM closed_books
        UNION ALL
        SELECT store_id, sku, business_date, end_level, min_level, sold, net_minor, received, day_receipt_cost, counted_today, hours, store_last_date
        FROM (SELECT * FROM per_day UNION ALL SELECT * FROM out_hours)
        WHERE business_date >= open_date OR business_date < first_count_date
    )
SELECT store_id, sku, business_date,
    max(end_level) AS end_level, min(min_level) AS min_level, toInt64(sum(sold)) AS sold, toInt64(sum(net_minor)) AS net_minor, toInt64(sum(received)) AS received,
    max(day_receipt_cost) AS day_receipt_cost, toUInt8(max(counted_today)) AS counted_today, toFloat64(sum(hours)) AS hours, max(store_last_date) AS store_last_date
FROM books
GROUP BY store_id, sku, business_date
COMMENT 'The books per store x sku x day that has something to say (sparse: no row for a quiet day of an open range), closed days from inventory_daily and the rest from the facts; inventory_books_daily spreads them over every day';

CREATE OR REPLACE VIEW ${database}.inventory_books_daily
(
    store_id         String COMMENT 'Store code',
    sku              String COMMENT 'Product code',
    business_date    Date COMMENT 'The store''s business date; every day from the first stock event to the store''s latest day with stock events',
    first_date       Date COMMENT 'First business date of the store x sku''s history',
    last_date        Date COMMENT 'The store''s latest business date with stock events',
    units_on_hand    Int64 COMMENT 'Book units on hand at the end of the day',
    min_level        Nullable(Int64) COMMENT 'Lowest book level after any event of the day; NULL without an event',
    units_sold       Int64 COMMENT 'Units sold that day',
    net_sales_minor  Int64 COMMENT 'Net sales that day, minor units of the store currency',
    units_received   Int64 COMMENT 'Units received that day',
    receipt_cost     Nullable(Int64) COMMENT 'Unit cost of the day''s latest receipt that carries one, minor units',
    counted_today    UInt8 COMMENT '1 when a cycle count was taken that day',
    is_counted       UInt8 COMMENT '1 from the day of the first cycle count on',
    stockout_hours   Float64 COMMENT 'Hours of the day the books stood at 0 units or below'
)
AS WITH
    book_days AS (SELECT * FROM ${database}.inventory_book_days),
    -- Each day row is followed by the days without one up to the next (or to the store's latest
    -- day): a grid built from the rows themselves, since a join to a calendar is computed for every
    -- store whatever the filter outside (ClickHouse pushes a filter into a join's left side only).
    spread AS
    (
        SELECT *,
            leadInFrame(business_date) OVER next_day AS next_date,
            leadInFrame(toUInt8(1)) OVER next_day AS has_next_day,
            min(business_date) OVER (PARTITION BY store_id, sku) AS first_date,
            max(store_last_date) OVER (PARTITION BY store_id) AS last_date
        FROM book_days
        WINDOW next_day AS (PARTITION BY store_id, sku ORDER BY business_date ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING)
    ),
    grid AS
    (
        SELECT store_id, sku, first_date, last_date, toDate(business_date + k) AS day, k = 0 AS is_row,
            if(is_row, end_level, NULL) AS end_level, if(is_row, min_level, NULL) AS min_level, if(is_row, sold, 0) AS sold, if(is_row, net_minor, 0) AS net_minor,
            if(is_row, received, 0) AS received, if(is_row, day_receipt_cost, NULL) AS day_receipt_cost, if(is_row, counted_today, 0) AS counted_today, if(is_row, hours, 0) AS hours
        FROM spread
        ARRAY JOIN range(toUInt32(greatest(dateDiff('day', business_date, if(has_next_day = 1, next_date, last_date + 1)), 1))) AS k
    )
SELECT store_id, sku, day AS business_date, first_date, last_date,
    toInt64(ifNull(anyLast(end_level) OVER carry, 0)) AS units_on_hand, min_level,
    toInt64(sold) AS units_sold, toInt64(net_minor) AS net_sales_minor, toInt64(received) AS units_received, day_receipt_cost AS receipt_cost,
    toUInt8(counted_today) AS counted_today, toUInt8(max(counted_today) OVER carry) AS is_counted, toFloat64(hours) AS stockout_hours
FROM grid
WINDOW carry AS (PARTITION BY store_id, sku ORDER BY day ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
COMMENT 'Book figures per store x sku x business day (the books of 0022): closed days from inventory_daily, open days and the days before the first count from the facts; what the closing job writes and bi_inventory_history values';

-- bi_inventory_history: the same columns and figures as 0022; its books (units on hand, stock-out
-- hours, receipts, counts) now come from inventory_books_daily, the money, forecast and trailing
-- figures are computed over those day rows as before.

CREATE OR REPLACE VIEW ${database}.bi_inventory_history
(
    store_id                        String COMMENT 'Store code',
    sku                             String COMMENT 'Product code',
    business_date                   Date COMMENT 'The store''s business date (local calendar day); the figures are as of its end',
    currency                        String COMMENT 'ISO 4217 currency of the store, of every money column not marked reporting',
    units_on_hand                   Int64 COMMENT 'Book units on hand at the end of the day (the latest cycle count plus every later sale, restocked return and movement); may be negative when the books ran behind the shelf',
    is_counted                      Bool COMMENT 'A cycle count on or before this day anchors the level; before the first count the level is that count less the deltas between',
    units_sold                      Int64 COMMENT 'Units sold that day',
    units_received                  Int64 COMMENT 'Units received that day (RECEIPT movements)',
    net_sales                       Float64 COMMENT 'Sales net of discounts that day, VAT included, store currency',
    net_sales_ex_tax                Float64 COMMENT 'net_sales without VAT (dim_store.vat_rate, 0 when unknown)',
    stockout_hours                  Float64 COMMENT 'Hours of the day the books stood at 0 units or below',
    is_out_of_stock                 Bool COMMENT 'The books stood at 0 or below at some moment of the day',
    unit_cost                       Nullable(Float64) COMMENT 'Cost of one unit: the latest receipt''s, else the product''s converted at the day''s rates; NULL when unknown',
    unit_price                      Nullable(Float64) COMMENT 'Shelf price of one unit, VAT included: the latest price change''s, else the product''s regular price converted; NULL when unknown',
    stock_value_at_cost             Nullable(Float64) COMMENT 'max(units_on_hand, 0) x unit_cost, store currency',
    stock_value_at_price            Nullable(Float64) COMMENT 'max(units_on_hand, 0) x unit_price, store currency',
    reporting_currency              String COMMENT 'REPORTING_CURRENCY, the currency of the *_reporting columns',
    stock_value_at_cost_reporting   Nullable(Float64) COMMENT 'Stock value at cost in the reporting currency at the day''s rate; NULL without a rate',
    stock_value_at_price_reporting  Nullable(Float64) COMMENT 'Stock value at price in the reporting currency at the day''s rate; NULL without a rate',
    forecast_units_per_day          Nullable(Float64) COMMENT 'Mean P50 of the 7-day forecast made on this business date; NULL when none was made',
    trailing_units_per_day          Float64 COMMENT 'Mean units sold a day over the trailing 28 days of history (fewer at the start of the history)',
    expected_units_per_day          Float64 COMMENT 'The forecast when there is one, else the trailing mean: the rate days of cover divide by',
    cover_basis                     String COMMENT 'forecast or trailing_28d: where expected_units_per_day comes from',
    days_of_cover                   Nullable(Float64) COMMENT 'max(units_on_hand, 0) / expected_units_per_day; NULL when nothing is expected to sell',
    last_sale_date                  Nullable(Date) COMMENT 'Latest business date up to this one with a sale; NULL when none in the history',
    days_without_sale               Int32 COMMENT 'Days since last_sale_date (or since the first day of history when nothing sold)',
    perishable                      Bool COMMENT 'The product spoils (product master data)',
    shelf_life_days                 Nullable(Int32) COMMENT 'Days a unit keeps once received; NULL when not perishable',
    is_latest                       Bool COMMENT 'This is the store''s latest business date with stock events: the current state',
    net_sales_reporting             Nullable(Float64) COMMENT 'net_sales in the reporting currency at the day''s rate; NULL without a rate',
    net_sales_ex_tax_reporting      Nullable(Float64) COMMENT 'net_sales_ex_tax in the reporting currency; NULL without a rate',
    unit_cost_reporting             Nullable(Float64) COMMENT 'unit_cost in the reporting currency; NULL without a rate',
    unit_price_reporting            Nullable(Float64) COMMENT 'unit_price in the reporting currency; NULL without a rate'
)
AS WITH
    (SELECT any(toString(base_currency)) FROM ${database}.dim_exchange_rate FINAL) AS base,
    price_days AS
    (
        SELECT toString(p.store_id) AS price_store_id, p.sku AS sku, toDate(p.effective_at + toIntervalSecond(o.utc_offset_s)) AS business_date,
            toNullable(argMax(p.new_price, (p.effective_at, p.event_id))) AS day_price
        FROM ${database}.fact_price_changes AS p FINAL
        ASOF LEFT JOIN ${database}.dim_store_utc_offset AS o ON p.store_id = o.store_id AND p.effective_at >= o.valid_from
        GROUP BY price_store_id, sku, business_date
    ),
    days AS
    (
        SELECT g.store_id AS store_id, g.sku AS sku, g.business_date AS business_date, g.first_date AS first_date, g.last_date AS last_date,
            ifNull(toString(s.currency), '') AS currency, s.vat_rate AS vat_rate,
            g.units_on_hand AS on_hand, g.is_counted = 1 AS counted_by_now,
            g.units_sold AS sold, g.net_sales_minor AS net_minor, g.units_received AS received,
            -- Out at some moment: the books stood at 0 for a while (from the day before too), or an
            -- event of the day took them there, if only for an instant.
            g.stockout_hours > 0 OR ifNull(g.min_level, 1) <= 0 AS out_of_stock,
            g.stockout_hours AS out_hours,
            anyLast(g.receipt_cost) OVER carry AS receipt_cost,
            anyLast(pd.day_price) OVER carry AS changed_price,
            p.unit_cost AS product_cost, p.price AS product_price, p.currency AS product_currency, p.perishable AS perishable, p.shelf_life_days AS shelf_life_days,
            -- product currency -> store currency at the day's rates (1 when they are the same).
            if(p.currency = s.currency, 1, if(s.currency = base, 1, rs.rate) / if(p.currency = base, 1, rp.rate)) AS to_store_currency,
            rs.to_reporting AS to_reporting, rs.reporting_currency AS reporting_currency,
            maxIf(g.business_date, g.units_sold > 0) OVER carry AS last_sale,
            sum(g.units_sold) OVER trailing AS sold_28d, count() OVER trailing AS days_28d,
            f.p50_per_day AS forecast_per_day
        FROM ${database}.inventory_books_daily AS g
        LEFT JOIN price_days AS pd ON pd.price_store_id = g.store_id AND pd.sku = g.sku AND pd.business_date = g.business_date
        -- Keys cast to String get names of their own: joined under the LowCardinality column's name, the engine refused the blocks.
        LEFT JOIN (SELECT toString(store_id) AS dim_store_id, currency, vat_rate FROM ${database}.dim_store FINAL) AS s ON s.dim_store_id = g.store_id
        LEFT JOIN (SELECT sku, toNullable(unit_cost) AS unit_cost, toNullable(price) AS price, currency, perishable, shelf_life_days FROM ${database}.dim_product FINAL) AS p ON p.sku = g.sku
        LEFT JOIN (SELECT currency, business_date, toNullable(rate) AS rate, to_reporting, reporting_currency FROM ${database}.exchange_rate_daily) AS rs ON rs.currency = s.currency AND rs.business_date = g.business_date
        LEFT JOIN (SELECT currency, business_date, toNullable(rate) AS rate FROM ${database}.exchange_rate_daily) AS rp ON rp.currency = p.currency AND rp.business_date = g.business_date
        LEFT JOIN
        (
            SELECT toString(store_id) AS forecast_store_id, sku, origin_date, toNullable(avg(p50)) AS p50_per_day
            FROM ${database}.demand_forecast FINAL
            GROUP BY forecast_store_id, sku, origin_date
        ) AS f ON f.forecast_store_id = g.store_id AND f.sku = g.sku AND f.origin_date = g.business_date
        WINDOW
            carry AS (PARTITION BY g.store_id, g.sku ORDER BY g.business_date ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
            trailing AS (PARTITION BY g.store_id, g.sku ORDER BY g.business_date ROWS BETWEEN 27 PRECEDING AND CURRENT ROW)
    ),
    valued AS
    (
        SELECT *,
            if(receipt_cost IS NOT NULL, toNullable(toFloat64(receipt_cost)), product_cost * to_store_currency) / 100 AS cost_each,
            if(changed_price IS NOT NULL, toNullable(toFloat64(changed_price)), product_price * to_store_currency) / 100 AS price_each,
            sold_28d / days_28d AS trailing_rate,
            ifNull(forecast_per_day, trailing_rate) AS expected_rate
        FROM days
    )
SELECT
    store_id, sku, business_date, currency, on_hand AS units_on_hand, toBool(counted_by_now) AS is_counted,
    sold AS units_sold, received AS units_received, net_minor / 100 AS net_sales, net_sales / (1 + ifNull(vat_rate, 0)) AS net_sales_ex_tax,
    toFloat64(out_hours) AS stockout_hours, toBool(out_of_stock) AS is_out_of_stock,
    toNullable(toFloat64(cost_each)) AS unit_cost, toNullable(toFloat64(price_each)) AS unit_price,
    greatest(on_hand, 0) * unit_cost AS stock_value_at_cost, greatest(on_hand, 0) * unit_price AS stock_value_at_price,
    ifNull(reporting_currency, '') AS reporting_currency,
    stock_value_at_cost * to_reporting AS stock_value_at_cost_reporting, stock_value_at_price * to_reporting AS stock_value_at_price_reporting,
    toNullable(toFloat64(forecast_per_day)) AS forecast_units_per_day, toFloat64(trailing_rate) AS trailing_units_per_day, toFloat64(expected_rate) AS expected_units_per_day,
    if(forecast_per_day IS NULL, 'trailing_28d', 'forecast') AS cover_basis,
    if(expected_rate > 0, toNullable(greatest(on_hand, 0) / expected_rate), NULL) AS days_of_cover,
    if(last_sale = toDate(0), NULL, toNullable(last_sale)) AS last_sale_date,
    toInt32(if(last_sale = toDate(0), dateDiff('day', first_date, business_date) + 1, dateDiff('day', last_sale, business_date))) AS days_without_sale,
    toBool(ifNull(perishable, false)) AS perishable, CAST(shelf_life_days AS Nullable(Int32)) AS shelf_life_days,
    toBool(business_date = last_date) AS is_latest,
    net_sales * to_reporting AS net_sales_reporting, net_sales_ex_tax * to_reporting AS net_sales_ex_tax_reporting,
    unit_cost * to_reporting AS unit_cost_reporting, unit_price * to_reporting AS unit_price_reporting
FROM valued
COMMENT 'Book units on hand at the end of every business day per store x sku, with their value at cost and at price (store and reporting currency), days of cover, stock-out hours and days without a sale';

