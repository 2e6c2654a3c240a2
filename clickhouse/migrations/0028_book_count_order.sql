-- bi_sales_rolling (0016, redefined with reporting-currency columns in 0019) read its books with
-- a cycle count sorted *before* the COUNT_CORRECTION stamped with the same instant, and anchored
-- the level on the first count alone: the correction was then added on top of the count, and
-- after a first count that found the books wrong the level read 2 x counted - previous book
-- (every later day off by the correction), so out-of-stock days were missed or invented.
--
-- The simulator (simulators/pos/morning-routine.ts, inventory.ts count()) and the stock
-- processor (streams/stock/ledger.ts) agree on what a count means: the units counted as of its
-- instant, covering every change at or before it. The simulator stamps the correction (counted -
-- book) with the count's time and sets its book to the count, so after both the book is the
-- count. bi_inventory_history (0022) orders them that way (a count sorts after every delta of
-- its instant) and matches the simulator's end-of-day books; this view now takes the same rule,
-- as does the forecast's stock-out flag (services/forecast/features.ts).
--
-- Same columns, same order, same figures where no count has a correction at its own instant.

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
