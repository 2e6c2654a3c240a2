-- Analyses of a product range (issue 14 items 5 and 6): menu-engineering quadrants and rolling
-- averages. New views only, over bi_sales_daily (so closed days come from the closing job's
-- aggregates and open days from the facts, exact at every moment, and identical after a replay
-- or a rebuild): the existing views are not redefined here.
--
-- bi_product_quadrants applies Kasavana and Smith's menu engineering to a retail range. For each
-- scope (a store, or a region), category and period (calendar month, ISO week), a product's unit
-- contribution margin (revenue net of discounts and of VAT, minus unit cost, per unit) is set
-- against the category's average margin weighted by units (total margin / total units, as K&S
-- do), and its share of the category's units against 70% of an equal share (0.7 / products
-- sold in the category that period). High margin is margin >= average; high popularity is
-- share >= 0.7 / n. The products counted are those sold in the period: the views cannot see a
-- store's listed assortment, only what sold.
-- Money. Shelf prices include VAT (dim_store.vat_rate, taken as 0 when unknown), cost does not,
-- so the margin is taken on revenue excluding VAT. dim_product.unit_cost is in the product's
-- currency; for a store selling in another one, each day's cost is converted at that day's
-- rates (exchange_rate_daily: store rate / product rate, both against the base currency); a day
-- without a rate leaves its cost unknown and its product is left out of that period. A region
-- is classified per currency (region and currency are both in the key): every simulated region
-- sells in one currency, and a mixed one gets one set of quadrants per currency rather than
-- margins summed across currencies.
--
-- bi_sales_rolling gives per store x sku x business date the average units and revenue per day
-- over the last 7, 30 and 90 days, a day without a sale counting as zero. The calendar of a
-- store x sku runs from its first sale to the store's latest business date with a sale; days
-- before the first sale are not history, so a window near the start averages over the days it
-- has (days_in_window_*). Stock-out days come from the books, as the forecast's features flag
-- them (services/forecast/features.ts): every stock event is a delta, the first cycle count
-- anchors the absolute level, and a day is out of stock when the book reached 0 in it, or
-- started at 0 with no event that day. stockout_risk holds only the latest state, so it cannot
-- say which past days were out of stock; the books can, exactly, for what the books see (theft
-- and phantom stock are invisible to them). A store x sku never counted has no anchor and no
-- stock-out day.

CREATE VIEW IF NOT EXISTS ${database}.bi_product_quadrants
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
    quadrant                String COMMENT 'star (high margin, high popularity), plowhorse (low margin, high popularity), puzzle (high margin, low popularity) or dog (low, low)'
)
AS WITH
    stores AS (SELECT store_id, region, currency, vat_rate FROM ${database}.dim_store FINAL),
    products AS (SELECT sku, category, unit_cost, currency FROM ${database}.dim_product FINAL),
    -- toNullable: a day without a rate must read as unknown, not as the default 0.
    -- The base currency is 1 by definition, published or not.
    (SELECT any(toString(base_currency)) FROM ${database}.dim_exchange_rate FINAL) AS base,
    rates AS (SELECT currency, business_date, toNullable(rate) AS rate FROM ${database}.exchange_rate_daily),
    costed AS
    (
        SELECT d.business_date AS business_date, d.store_id AS store_id, toString(s.region) AS region, toString(s.currency) AS currency,
            toString(p.category) AS category, d.sku AS sku, d.units_sold AS units, d.net_sales_minor AS net_minor,
            d.net_sales_minor / (1 + ifNull(s.vat_rate, 0)) AS net_ex_tax_minor,
            -- Same currency needs no rate; otherwise product currency -> base -> store currency.
            d.units_sold * p.unit_cost * if(p.currency = s.currency, 1, if(s.currency = base, 1, rs.rate) / if(p.currency = base, 1, rp.rate)) AS cost_minor
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
            sum(cost_minor) AS product_cost_minor, countIf(cost_minor IS NULL) AS days_without_cost
        FROM costed
        ARRAY JOIN [('month', toStartOfMonth(business_date)), ('week', toMonday(business_date))] AS period
        GROUP BY store_id, region, currency, category, period_type, period_start, sku
    ),
    per_region AS
    (
        SELECT 'region' AS scope, '' AS scope_store, region, currency, category,
            period.1 AS period_type, period.2 AS period_start, sku,
            sum(units) AS product_units, sum(net_minor) AS product_net_minor, sum(net_ex_tax_minor) AS product_net_ex_tax_minor,
            sum(cost_minor) AS product_cost_minor, countIf(cost_minor IS NULL) AS days_without_cost
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
    multiIf(high_margin AND high_popularity, 'star', high_popularity, 'plowhorse', high_margin, 'puzzle', 'dog') AS quadrant
FROM classified
COMMENT 'Menu-engineering quadrants (Kasavana and Smith) of each product per store or region, category and month or ISO week: star, plowhorse, puzzle, dog';

CREATE VIEW IF NOT EXISTS ${database}.bi_sales_rolling
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
    stockout_days_90d        Int32 COMMENT 'Days of the 90-day window the sku was out of stock in the books'
)
AS WITH
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
            toString(s.currency) AS currency, r.to_reporting AS to_reporting,
            b.min_book AS min_book,
            anyLast(b.end_book) OVER (PARTITION BY g.store_id, g.sku ORDER BY g.business_date ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_book
        FROM grid AS g
        LEFT JOIN daily AS d ON d.store_id = g.store_id AND d.sku = g.sku AND d.business_date = g.business_date
        LEFT JOIN books AS b ON b.store_id = g.store_id AND b.sku = g.sku AND b.business_date = g.business_date
        LEFT JOIN (SELECT store_id, currency FROM ${database}.dim_store FINAL) AS s ON s.store_id = g.store_id
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
        SELECT store_id, sku, business_date, counted_day, currency, units, net_minor, out_of_stock,
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
    toInt32(n90) AS days_in_window_90d, units90 / n90 AS avg_units_90d, net90 / n90 / 100 AS avg_net_sales_90d, if(miss90, NULL, rep90 / n90 / 100) AS avg_net_sales_90d_reporting, toInt32(oos90) AS stockout_days_90d
FROM rolled
WHERE counted_day
COMMENT 'Rolling 7, 30 and 90-day averages of units and net sales per store x sku x business date, days without a sale as zero, with the days out of stock in the books';
