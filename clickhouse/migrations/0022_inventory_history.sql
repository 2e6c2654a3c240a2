-- Inventory history and value (issue 15 items 1, 3 and 5): what the books held at the end of
-- every business day, what it was worth, how long it lasts, how fast it turns, and which store x
-- sku needs which action. Views only, over the facts read with FINAL, so they are exact at every
-- moment and identical after a replay or a rebuild (the facts are keyed by event; nothing here
-- is written by a job that a replay would have to re-run).
--
-- The books. stockout_risk holds only the latest on-hand, so history is derived from the facts,
-- as the stock processor builds its books (streams/stock/ledger.ts): every sale (-), restocked
-- return (+) and movement (receipt, shrink, transfer, count correction) is a delta, and a cycle
-- count at t sets the level to the units counted *as of t*, covering every change at or before
-- t. So a count sorts after every other event of its instant (the simulator stamps a count's
-- correction with the count's time: the correction is inside the count, never added to it). The
-- level after an event is the latest count at or before it plus the deltas since; before the
-- first count it is that count less the deltas between, which is the opening stock only if no
-- event is missing. A store x sku never counted has no anchor and no row. Theft and phantom stock
-- are invisible to books until a count: these are book figures, not shelf figures.
--
-- Business days are cut at the store's local midnight (dim_store_utc_offset, as in 0010). A store
-- x sku has a row for every business date from its first stock event to the store's latest
-- business date with any stock event; days without an event carry the level forward.
--
-- Stock-out hours: the time of the day during which the books stood at 0 or below, from the event
-- that took them there to the next one (or the end of the store's latest business date). An
-- interval that crosses a DST change keeps the offset of its first instant (an hour's error on
-- two days a year).
--
-- Money. Unit cost is the cost of the latest receipt at or before the day (receipts carry it in
-- the store's currency), else the product's cost converted at the day's rates; unit price is the
-- latest shelf price change at or before the day, else the product's regular price converted.
-- Stock value is max(units, 0) x unit cost or price (negative books are worth nothing); the
-- reporting-currency columns multiply by exchange_rate_daily.to_reporting of the day, NULL when
-- the day has no rate.
--
-- Days of cover: units on hand / expected units a day, where expected units a day are the mean P50
-- of the forecast made on that business date (demand_forecast, origin_date = business_date) or,
-- without one, the mean units sold over the trailing 28 days of history (days before the first
-- stock event are not history). NULL when the rate is 0: nothing sells, cover is endless.
--
-- Thresholds (one place, in the views below): a slow mover is in stock and has sold nothing for
-- 28 days or more; overstock is cover beyond the product's shelf life (perishables: those units
-- will expire before they sell) or beyond 56 days (8 weeks) for everything else.

CREATE VIEW IF NOT EXISTS ${database}.bi_inventory_history
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
    stock_events AS
    (
        SELECT store_id, sku, occurred_at, 1 AS kind, -toInt64(sum(quantity)) AS delta, toInt64(sum(quantity)) AS sold, toInt64(sum(net_amount)) AS net_minor,
            toInt64(0) AS received, CAST(NULL AS Nullable(Int64)) AS receipt_cost, CAST(NULL AS Nullable(Int64)) AS counted, toString(event_id) AS event_key
        FROM ${database}.fact_sale_lines FINAL
        GROUP BY store_id, sku, event_id, occurred_at
        UNION ALL
        SELECT store_id, sku, occurred_at, 1, toInt64(quantity), 0, 0, 0, NULL, NULL, concat(toString(event_id), '/', toString(line_number))
        FROM ${database}.fact_return_lines FINAL
        WHERE restockable
        UNION ALL
        -- kind 2: a count sorts after every delta of its instant (its correction included), which it covers.
        SELECT store_id, sku, occurred_at, if(movement_type = 'COUNT', 2, 1), toInt64(ifNull(quantity_delta, 0)), 0, 0,
            if(movement_type = 'RECEIPT', toInt64(ifNull(quantity_delta, 0)), 0), if(movement_type = 'RECEIPT', unit_cost, NULL),
            if(movement_type = 'COUNT', toNullable(toInt64(counted_on_hand)), NULL), toString(event_id)
        FROM ${database}.fact_inventory_movements FINAL
    ),
    running AS
    (
        SELECT toString(e.store_id) AS store_id, e.sku AS sku, e.occurred_at AS occurred_at, o.utc_offset_s AS utc_offset_s, e.kind AS kind, e.delta AS delta,
            e.sold AS sold, e.net_minor AS net_minor, e.received AS received, e.receipt_cost AS receipt_cost, e.counted AS counted, e.event_key AS event_key,
            sum(e.delta) OVER upto AS cum,
            leadInFrame(e.occurred_at) OVER next AS next_at,
            leadInFrame(toUInt8(1)) OVER next AS has_next
        FROM stock_events AS e
        ASOF LEFT JOIN ${database}.dim_store_utc_offset AS o ON e.store_id = o.store_id AND e.occurred_at >= o.valid_from
        WINDOW
            upto AS (PARTITION BY e.store_id, e.sku ORDER BY e.occurred_at, e.kind, e.delta DESC, e.event_key ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
            next AS (PARTITION BY e.store_id, e.sku ORDER BY e.occurred_at, e.kind, e.delta DESC, e.event_key ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING)
    ),
    counted AS
    (
        SELECT *,
            -- anyLast skips NULLs: the latest count at or before the event, and the running sum it was taken at.
            anyLast(counted) OVER upto AS last_counted,
            anyLast(if(counted IS NULL, NULL, toNullable(cum))) OVER upto AS cum_at_last_count
        FROM running
        WINDOW upto AS (PARTITION BY store_id, sku ORDER BY occurred_at, kind, delta DESC, event_key ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    ),
    levels AS
    (
        SELECT *,
            toDate(occurred_at + toIntervalSecond(utc_offset_s)) AS business_date,
            -- Before the first count: that count less the deltas between it and the event.
            argMinIf(toNullable(counted - cum), (occurred_at, kind, -delta, event_key), counted IS NOT NULL) OVER (PARTITION BY store_id, sku) AS first_anchor,
            if(last_counted IS NULL, first_anchor + cum, last_counted + cum - cum_at_last_count) AS level,
            max(toDate(occurred_at + toIntervalSecond(utc_offset_s))) OVER (PARTITION BY store_id) AS store_last_date
        FROM counted
    ),
    known AS (SELECT * FROM levels WHERE first_anchor IS NOT NULL),
    per_day AS
    (
        SELECT store_id, sku, business_date,
            toNullable(argMax(level, (occurred_at, kind, -delta, event_key))) AS end_level,
            toNullable(min(level)) AS min_level,
            toNullable(sum(sold)) AS sold, toNullable(sum(net_minor)) AS net_minor, toNullable(sum(received)) AS received,
            argMaxIf(receipt_cost, (occurred_at, event_key), receipt_cost IS NOT NULL) AS day_receipt_cost,
            toNullable(max(counted IS NOT NULL)) AS counted_today
        FROM known
        GROUP BY store_id, sku, business_date
    ),
    -- Each interval the books stood at 0 or below, on the store's clock, cut into its business days.
    out_intervals AS
    (
        SELECT store_id, sku, local_from, local_to, toDate(local_from + toIntervalDay(d)) AS business_date
        FROM
        (
            SELECT store_id, sku,
                occurred_at + toIntervalSecond(utc_offset_s) AS local_from,
                if(has_next = 1, next_at + toIntervalSecond(utc_offset_s), toDateTime64(store_last_date + 1, 3, 'UTC')) AS local_to
            FROM known
            WHERE level <= 0
        )
        ARRAY JOIN range(toUInt32(greatest(dateDiff('day', toDate(local_from), toDate(local_to - toIntervalMillisecond(1))), -1) + 1)) AS d
        WHERE local_to > local_from
    ),
    out_hours AS
    (
        SELECT store_id, sku, business_date,
            toNullable(sum(dateDiff('millisecond', greatest(local_from, toDateTime64(business_date, 3, 'UTC')), least(local_to, toDateTime64(business_date + 1, 3, 'UTC'))))) / 3600000 AS hours
        FROM out_intervals
        GROUP BY store_id, sku, business_date
    ),
    price_days AS
    (
        SELECT toString(p.store_id) AS price_store_id, p.sku AS sku, toDate(p.effective_at + toIntervalSecond(o.utc_offset_s)) AS business_date,
            toNullable(argMax(p.new_price, (p.effective_at, p.event_id))) AS day_price
        FROM ${database}.fact_price_changes AS p FINAL
        ASOF LEFT JOIN ${database}.dim_store_utc_offset AS o ON p.store_id = o.store_id AND p.effective_at >= o.valid_from
        GROUP BY price_store_id, sku, business_date
    ),
    starts AS
    (
        SELECT store_id, sku, min(business_date) AS first_date, any(store_last_date) AS last_date
        FROM known
        GROUP BY store_id, sku
    ),
    grid AS
    (
        SELECT store_id, sku, first_date, last_date, toDate(first_date + offset) AS business_date
        FROM starts
        ARRAY JOIN range(toUInt32(dateDiff('day', first_date, last_date) + 1)) AS offset
    ),
    days AS
    (
        SELECT g.store_id AS store_id, g.sku AS sku, g.business_date AS business_date, g.first_date AS first_date, g.last_date AS last_date,
            ifNull(toString(s.currency), '') AS currency, s.vat_rate AS vat_rate,
            toInt64(ifNull(anyLast(d.end_level) OVER carry, 0)) AS on_hand,
            max(ifNull(d.counted_today, false)) OVER carry AS counted_by_now,
            ifNull(d.sold, 0) AS sold, ifNull(d.net_minor, 0) AS net_minor, ifNull(d.received, 0) AS received,
            -- Out at some moment: the books stood at 0 for a while (from the day before too), or an
            -- event of the day took them there, if only for an instant.
            ifNull(h.hours, 0) > 0 OR ifNull(d.min_level, 1) <= 0 AS out_of_stock,
            ifNull(h.hours, 0) AS out_hours,
            anyLast(d.day_receipt_cost) OVER carry AS receipt_cost,
            anyLast(pd.day_price) OVER carry AS changed_price,
            p.unit_cost AS product_cost, p.price AS product_price, p.currency AS product_currency, p.perishable AS perishable, p.shelf_life_days AS shelf_life_days,
            -- product currency -> store currency at the day's rates (1 when they are the same).
            if(p.currency = s.currency, 1, if(s.currency = base, 1, rs.rate) / if(p.currency = base, 1, rp.rate)) AS to_store_currency,
            rs.to_reporting AS to_reporting, rs.reporting_currency AS reporting_currency,
            maxIf(g.business_date, ifNull(d.sold, 0) > 0) OVER carry AS last_sale,
            sum(ifNull(d.sold, 0)) OVER trailing AS sold_28d, count() OVER trailing AS days_28d,
            f.p50_per_day AS forecast_per_day
        FROM grid AS g
        LEFT JOIN per_day AS d ON d.store_id = g.store_id AND d.sku = g.sku AND d.business_date = g.business_date
        LEFT JOIN out_hours AS h ON h.store_id = g.store_id AND h.sku = g.sku AND h.business_date = g.business_date
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

CREATE VIEW IF NOT EXISTS ${database}.bi_inventory_turnover
(
    store_id                String COMMENT 'Store code',
    sku                     String COMMENT 'Product code',
    period_type             String COMMENT 'month (calendar month) or week (ISO week, Monday to Sunday), of business dates',
    period_start            Date COMMENT 'First business date of the period',
    currency                String COMMENT 'ISO 4217 currency of the store, of every money column',
    days                    Int32 COMMENT 'Business days of the period in the history',
    units_sold              Int64 COMMENT 'Units sold in the period',
    cost_of_goods_sold      Nullable(Float64) COMMENT 'Units sold x the day''s unit cost, summed over the period',
    gross_margin            Nullable(Float64) COMMENT 'Net sales without VAT (dim_store.vat_rate, 0 when unknown) minus cost_of_goods_sold',
    avg_stock_value_at_cost Nullable(Float64) COMMENT 'Mean end-of-day stock value at cost over the days of the period',
    turnover                Nullable(Float64) COMMENT 'cost_of_goods_sold / avg_stock_value_at_cost: times the stock turned in the period; NULL without stock',
    gmroi                   Nullable(Float64) COMMENT 'Gross margin return on inventory: gross_margin / avg_stock_value_at_cost; NULL without stock',
    reporting_currency      String COMMENT 'REPORTING_CURRENCY, the currency of the *_reporting columns',
    cost_of_goods_sold_reporting      Nullable(Float64) COMMENT 'cost_of_goods_sold in the reporting currency, each day at its rate; NULL when a day has no rate',
    gross_margin_reporting            Nullable(Float64) COMMENT 'gross_margin in the reporting currency, each day at its rate; NULL when a day has no rate',
    avg_stock_value_at_cost_reporting Nullable(Float64) COMMENT 'avg_stock_value_at_cost in the reporting currency, each day at its rate; NULL when a day has no rate'
)
AS WITH
    by_period AS
    (
        SELECT h.store_id AS store_id, h.sku AS sku, period.1 AS period_type, period.2 AS period_start, any(h.currency) AS currency,
            count() AS day_count, sum(h.units_sold) AS sold,
            sum(h.units_sold * h.unit_cost) AS cogs, sum(h.net_sales_ex_tax) AS net_ex_tax,
            avg(h.stock_value_at_cost) AS avg_stock,
            any(h.reporting_currency) AS reporting,
            -- A day without a rate leaves the period's reporting figures unknown rather than short.
            countIf(h.unit_cost_reporting IS NULL OR h.net_sales_ex_tax_reporting IS NULL) = 0 AS rated,
            sum(h.units_sold * h.unit_cost_reporting) AS cogs_rep, sum(h.net_sales_ex_tax_reporting) AS net_ex_tax_rep, avg(h.stock_value_at_cost_reporting) AS avg_stock_rep
        FROM ${database}.bi_inventory_history AS h
        ARRAY JOIN [('month', toStartOfMonth(h.business_date)), ('week', toMonday(h.business_date))] AS period
        GROUP BY store_id, sku, period_type, period_start
    )
SELECT store_id, sku, period_type, period_start, currency, toInt32(day_count) AS days, toInt64(sold) AS units_sold,
    toNullable(toFloat64(cogs)) AS cost_of_goods_sold, toNullable(toFloat64(net_ex_tax - cogs)) AS gross_margin, toNullable(toFloat64(avg_stock)) AS avg_stock_value_at_cost,
    if(avg_stock > 0, cost_of_goods_sold / avg_stock, NULL) AS turnover, if(avg_stock > 0, gross_margin / avg_stock, NULL) AS gmroi,
    reporting AS reporting_currency,
    if(rated, toNullable(toFloat64(cogs_rep)), NULL) AS cost_of_goods_sold_reporting, if(rated, toNullable(toFloat64(net_ex_tax_rep - cogs_rep)), NULL) AS gross_margin_reporting,
    if(rated, toNullable(toFloat64(avg_stock_rep)), NULL) AS avg_stock_value_at_cost_reporting
FROM by_period
COMMENT 'Stock turnover and GMROI per store x sku x month or ISO week, from the end-of-day stock value at cost';

CREATE VIEW IF NOT EXISTS ${database}.bi_slow_movers
(
    store_id                String COMMENT 'Store code',
    sku                     String COMMENT 'Product code',
    as_of_date              Date COMMENT 'The store''s latest business date with stock events: the figures are as of its end',
    units_on_hand           Int64 COMMENT 'Book units on hand',
    last_sale_date          Nullable(Date) COMMENT 'Latest business date with a sale; NULL when none in the history',
    days_without_sale       Int32 COMMENT 'Days since the last sale (28 or more here; filter for a longer N)',
    stock_value_at_cost     Nullable(Float64) COMMENT 'Value of the units on hand at cost, store currency',
    stock_value_at_cost_reporting Nullable(Float64) COMMENT 'The same in the reporting currency',
    currency                String COMMENT 'ISO 4217 currency of the store',
    reporting_currency      String COMMENT 'REPORTING_CURRENCY, the currency of the *_reporting columns'
)
AS SELECT store_id, sku, business_date AS as_of_date, units_on_hand, last_sale_date, days_without_sale, stock_value_at_cost, stock_value_at_cost_reporting, currency, reporting_currency
FROM ${database}.bi_inventory_history
WHERE is_latest AND units_on_hand > 0 AND days_without_sale >= 28
COMMENT 'Products in stock that have not sold for 28 days or more, per store, as of the store''s latest business date';

CREATE VIEW IF NOT EXISTS ${database}.bi_overstock
(
    store_id                String COMMENT 'Store code',
    sku                     String COMMENT 'Product code',
    as_of_date              Date COMMENT 'The store''s latest business date with stock events',
    units_on_hand           Int64 COMMENT 'Book units on hand',
    expected_units_per_day  Float64 COMMENT 'Forecast P50 a day, else the trailing 28-day mean',
    days_of_cover           Float64 COMMENT 'Days the units on hand last at that rate',
    cover_limit_days        Int32 COMMENT 'Cover beyond which stock is excess: the shelf life for a perishable, 56 days otherwise',
    excess_units            Float64 COMMENT 'Units beyond the limit: units_on_hand - cover_limit_days x expected_units_per_day',
    excess_value_at_cost    Nullable(Float64) COMMENT 'excess_units x unit cost, store currency',
    currency                String COMMENT 'ISO 4217 currency of the store',
    reporting_currency      String COMMENT 'REPORTING_CURRENCY, the currency of the *_reporting columns',
    excess_value_at_cost_reporting Nullable(Float64) COMMENT 'excess_value_at_cost in the reporting currency at the rate of as_of_date; NULL without a rate'
)
AS SELECT store_id, sku, business_date AS as_of_date, units_on_hand, expected_units_per_day, assumeNotNull(cover) AS days_of_cover,
    toInt32(limit_days) AS cover_limit_days, units_on_hand - limit_days * expected_units_per_day AS excess_units, excess_units * unit_cost AS excess_value_at_cost, currency,
    reporting_currency, excess_units * unit_cost_reporting AS excess_value_at_cost_reporting
FROM
(
    -- Other names than the outer aliases: ClickHouse lets an alias shadow a column in WHERE.
    SELECT *, days_of_cover AS cover, if(perishable AND shelf_life_days IS NOT NULL, assumeNotNull(shelf_life_days), 56) AS limit_days
    FROM ${database}.bi_inventory_history
    WHERE is_latest AND days_of_cover IS NOT NULL
)
WHERE cover > limit_days
COMMENT 'Store x sku whose stock lasts beyond its shelf life (perishables) or beyond 8 weeks, as of the store''s latest business date; slow movers that sell nothing at all are in bi_slow_movers';
