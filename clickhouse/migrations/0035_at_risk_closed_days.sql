-- bi_at_risk's transfer rule reads the closed days' books (issue 15, the inventory bench). A store's
-- list needs, for each of its skus, how many other stores of the chain must reorder it; 0029
-- counted them over bi_inventory_history's latest day, which computed every day of every store
-- (window functions over the grid of days, the money joins) to keep one row per store x sku.
-- Here the count reads inventory_book_days (0034): the sparse day rows, closed days from
-- inventory_daily, grouped per store x sku into the latest level and the trailing 28-day sales,
-- and scored by the same rule (1 at 0 units, else 1 - cover / 7 days at the forecast P50 of the
-- latest day or the trailing mean, or the stock processor's risk when higher). Same columns and
-- rows as 0029; the store's own scores still come from bi_inventory_history, filtered to it.

CREATE OR REPLACE VIEW ${database}.bi_at_risk
(
    store_id             String COMMENT 'Store code',
    sku                  String COMMENT 'Product code',
    as_of_date           Date COMMENT 'The store''s latest business date with stock events',
    units_on_hand        Int64 COMMENT 'Book units on hand',
    expected_units_per_day Float64 COMMENT 'Forecast P50 a day, else the trailing 28-day mean',
    days_of_cover        Nullable(Float64) COMMENT 'Days the units on hand last at that rate; NULL when nothing is expected to sell',
    units_expiring_3d    Int64 COMMENT 'Units on hand expiring within 3 days (perishables)',
    days_without_sale    Int32 COMMENT 'Days since the last sale',
    stockout_score       Float64 COMMENT '0-1: 1 at 0 units, 1 - cover/7 days, or the stock processor''s risk of running out before the next delivery when higher',
    expiry_score         Float64 COMMENT '0-1: share of the units expiring within 3 days that 2 days of expected sales will not take',
    slow_score           Float64 COMMENT '0-1: days without a sale / 56 while units are on hand',
    at_risk_score        Float64 COMMENT 'The highest of the three scores',
    action               String COMMENT 'reorder, discount, clear, transfer, bundle or none (rules in migration 0024)',
    reason               String COMMENT 'Why, in words, with the figures that decided it'
)
AS WITH
    -- The latest day and the stock processor's risk are stacked and grouped per store x sku
    -- rather than joined (0024: ClickHouse 26.x reordered joins over the joins inside
    -- bi_inventory_history into a plan whose blocks disagreed on store_id's type).
    stockout_inputs AS
    (
        SELECT store_id, sku, 1 AS has_history, business_date, units_on_hand, expected_units_per_day, days_of_cover, days_without_sale,
            perishable, shelf_life_days, CAST(NULL AS Nullable(Float64)) AS processor_risk
        FROM ${database}.bi_inventory_history
        WHERE is_latest
        UNION ALL
        SELECT toString(store_id), sku, 0, toDate(0), 0, 0, NULL, 0, false, NULL, toNullable(toFloat64(assumeNotNull(risk)))
        FROM ${database}.stockout_risk FINAL
        WHERE risk IS NOT NULL
    ),
    -- One row per store x sku of the latest day, with its stock-out score: the store's own rows,
    -- and (all stores) what short_stores counts.
    stockout_scores AS
    (
        SELECT *,
            greatest(if(units_on_hand <= 0, 1, if(days_of_cover IS NULL, 0, greatest(0, 1 - assumeNotNull(days_of_cover) / 7))), ifNull(processor_risk, 0)) AS stockout
        FROM
        (
            SELECT store_id, sku,
                anyIf(business_date, has_history = 1) AS business_date, anyIf(units_on_hand, has_history = 1) AS units_on_hand,
                anyIf(expected_units_per_day, has_history = 1) AS expected_units_per_day, anyIf(days_of_cover, has_history = 1) AS days_of_cover,
                anyIf(days_without_sale, has_history = 1) AS days_without_sale, anyIf(perishable, has_history = 1) AS perishable,
                anyIf(shelf_life_days, has_history = 1) AS shelf_life_days, max(processor_risk) AS processor_risk
            FROM stockout_inputs
            GROUP BY store_id, sku
            HAVING max(has_history) = 1
        )
    ),
    -- Stores of the chain that must reorder each sku: a transfer from a store with too much is
    -- quicker than an order. Every store's latest day, scored as stockout_scores scores it, but
    -- from the sparse day rows of inventory_book_days (closed days from inventory_daily) grouped
    -- per store x sku, not from bi_inventory_history's every day of every store with its money.
    book_latest AS
    (
        SELECT store_id, sku, on_hand, last_date,
            arraySum(x -> if(x.1 > last_date - 28 AND x.1 <= last_date, x.2, 0), sales) / least(28, dateDiff('day', first_date, last_date) + 1) AS trailing_rate
        FROM
        (
            SELECT *, max(sku_last) OVER (PARTITION BY store_id) AS last_date
            FROM
            (
                SELECT store_id, sku, min(business_date) AS first_date, max(store_last_date) AS sku_last,
                    ifNull(argMaxIf(end_level, business_date, end_level IS NOT NULL), 0) AS on_hand,
                    groupArray((business_date, sold)) AS sales
                FROM ${database}.inventory_book_days
                GROUP BY store_id, sku
            )
        )
    ),
    chain_scores AS
    (
        SELECT b.store_id AS store_id, b.sku AS sku,
            ifNull(f.p50_per_day, b.trailing_rate) AS rate,
            greatest(if(b.on_hand <= 0, 1, if(rate > 0, greatest(0, 1 - greatest(b.on_hand, 0) / rate / 7), 0)), ifNull(r.processor_risk, 0)) AS stockout
        FROM book_latest AS b
        LEFT JOIN
        (
            SELECT toString(store_id) AS forecast_store_id, sku, origin_date, toNullable(avg(p50)) AS p50_per_day
            FROM ${database}.demand_forecast FINAL
            GROUP BY forecast_store_id, sku, origin_date
        ) AS f ON f.forecast_store_id = b.store_id AND f.sku = b.sku AND f.origin_date = b.last_date
        LEFT JOIN
        (
            SELECT toString(store_id) AS risk_store_id, sku, max(toNullable(toFloat64(assumeNotNull(risk)))) AS processor_risk
            FROM ${database}.stockout_risk FINAL
            WHERE risk IS NOT NULL
            GROUP BY risk_store_id, sku
        ) AS r ON r.risk_store_id = b.store_id AND r.sku = b.sku
    ),
    short_stores AS
    (
        SELECT sku, toInt64(countIf(stockout >= 0.5)) AS stores_short
        FROM chain_scores
        GROUP BY sku
    ),
    merged AS
    (
        SELECT store_id, sku,
            anyIf(business_date, is_scored = 1) AS business_date, anyIf(units_on_hand, is_scored = 1) AS units_on_hand,
            anyIf(expected_units_per_day, is_scored = 1) AS expected_units_per_day, anyIf(days_of_cover, is_scored = 1) AS days_of_cover,
            anyIf(days_without_sale, is_scored = 1) AS days_without_sale, anyIf(perishable, is_scored = 1) AS perishable,
            anyIf(shelf_life_days, is_scored = 1) AS shelf_life_days, anyIf(stockout, is_scored = 1) AS stockout, sum(expiring_units) AS expiring_units
        FROM
        (
            SELECT store_id, sku, 1 AS is_scored, business_date, units_on_hand, expected_units_per_day, days_of_cover, days_without_sale, perishable, shelf_life_days, stockout,
                toInt64(0) AS expiring_units
            FROM stockout_scores
            UNION ALL
            SELECT store_id, sku, 0, toDate(0), 0, 0, NULL, 0, false, NULL, 0, toInt64(units)
            FROM ${database}.bi_expiring_stock
            WHERE days_until_expiry <= 3
        )
        GROUP BY store_id, sku
        HAVING max(is_scored) = 1
    ),
    scored AS
    (
        SELECT l.store_id AS store_id, l.sku AS sku, l.business_date AS as_of_date, l.units_on_hand AS units_on_hand, l.expected_units_per_day AS rate, l.days_of_cover AS cover,
            l.expiring_units AS expiring, l.days_without_sale AS idle_days, l.stockout AS stockout,
            if(expiring > 0, greatest(0, expiring - 2 * l.expected_units_per_day) / expiring, 0) AS expiry,
            if(l.units_on_hand > 0, least(1, l.days_without_sale / 56), 0) AS slow,
            l.days_of_cover IS NOT NULL AND assumeNotNull(l.days_of_cover) > if(l.perishable AND l.shelf_life_days IS NOT NULL, assumeNotNull(l.shelf_life_days), 56) AS overstock,
            if(l.perishable AND l.shelf_life_days IS NOT NULL, assumeNotNull(l.shelf_life_days), 56) AS cover_limit,
            k.stores_short - (l.stockout >= 0.5) AS other_stores_short
        FROM merged AS l
        LEFT JOIN short_stores AS k ON k.sku = l.sku
    )
SELECT store_id, sku, as_of_date, units_on_hand, toFloat64(rate) AS expected_units_per_day, cover AS days_of_cover, expiring AS units_expiring_3d, idle_days AS days_without_sale,
    toFloat64(stockout) AS stockout_score, toFloat64(expiry) AS expiry_score, toFloat64(slow) AS slow_score,
    greatest(stockout_score, expiry_score, slow_score) AS at_risk_score,
    multiIf(
        stockout >= 0.5, 'reorder',
        expiry >= 0.5 AND rate > 0, 'discount',
        expiry >= 0.5 OR slow >= 1, 'clear',
        overstock AND other_stores_short > 0, 'transfer',
        slow >= 0.5, 'bundle',
        'none') AS action,
    multiIf(
        action = 'reorder', if(units_on_hand <= 0, format('the books show {} units: out of stock', toString(units_on_hand)),
            format('{} units on hand cover {} days at {} a day', toString(units_on_hand), toString(round(ifNull(cover, 0), 1)), toString(round(rate, 2)))),
        action = 'discount', format('{} of {} units expire within 3 days; about {} will sell before', toString(expiring), toString(units_on_hand), toString(round(2 * rate, 1))),
        action = 'clear' AND expiry >= 0.5, format('{} units expire within 3 days and nothing sells', toString(expiring)),
        action = 'clear', format('no sale for {} days with {} units on hand', toString(idle_days), toString(units_on_hand)),
        action = 'transfer', format('{} days of cover (limit {}) while {} other store(s) must reorder', toString(round(ifNull(cover, 0), 1)), toString(cover_limit), toString(other_stores_short)),
        action = 'bundle', format('no sale for {} days with {} units on hand', toString(idle_days), toString(units_on_hand)),
        '') AS reason
FROM scored
COMMENT 'Each store x sku scored 0-1 for stock-out, expiry and slow movement as of the store''s latest business date, with the recommended action (reorder, discount, clear, transfer, bundle or none) and the reason in words';
