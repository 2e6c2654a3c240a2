-- A store's lots, expiring stock and at-risk list compute that store's books only (issue 15, the
-- inventory bench). Same columns and answers as 0024; only the shape of the queries changes.
--
-- Why. The books of 0022 are window functions over every stock event of a store x sku. A filter
-- on store_id outside bi_inventory_history reaches the facts (the windows are partitioned by
-- store and sku, and the optimizer pushes a filter on a partition key through them), so one
-- store's history costs one store's events. It did not reach them through the views of 0024:
--  - bi_stock_lots (and bi_expiring_stock over it) joined the receipts to the latest day of
--    bi_inventory_history: the optimizer pushes a filter into a join's left side only, so every
--    store's books were computed for the right side, and one store's expiring stock took as long
--    as the chain's (26.8 s on the bench's quarter of 10 stores x 500 skus);
--  - bi_at_risk counted the other stores that must reorder each sku with a window partitioned by
--    sku, which no store filter may cross: one store's list computed the chain's books twice over
--    (its inputs and the lots of bi_expiring_stock), 61.6 s.
-- Here the receipts and the latest day are stacked (UNION ALL) and spread per store x sku by
-- windows partitioned by store and sku, which a store filter crosses; and the stores short of
-- each sku are counted apart (a GROUP BY sku over the chain's stock-out scores alone, which need
-- no lots) and joined on sku, so the store's own rows, lots included, are computed for the store
-- only. The count itself still needs every store's latest books: see bi_at_risk below.

CREATE OR REPLACE VIEW ${database}.bi_stock_lots
(
    store_id             String COMMENT 'Store code',
    sku                  String COMMENT 'Product code (perishable)',
    as_of_date           Date COMMENT 'The store''s latest business date with stock events: units are as of its end',
    lot_id               String COMMENT 'The lot: the receipt''s reference (purchase order), or the receipt event when it has none',
    received_date        Date COMMENT 'Business date the lot was received',
    expiry_date          Date COMMENT 'First business date the lot may no longer be sold: received_date + shelf life',
    days_left_to_sell    Int32 COMMENT 'Business days after as_of_date on which the lot may still be sold (expiry_date - as_of_date - 1); negative once expired',
    units_received       Int64 COMMENT 'Units the receipt brought',
    units_remaining      Int64 COMMENT 'Units of the lot still on hand, first in first out from the book on-hand',
    unit_cost            Nullable(Float64) COMMENT 'Cost of one unit of the lot (the receipt''s), store currency',
    unit_price           Nullable(Float64) COMMENT 'Shelf price of one unit as of as_of_date, store currency',
    value_at_cost        Nullable(Float64) COMMENT 'units_remaining x unit_cost',
    value_at_price       Nullable(Float64) COMMENT 'units_remaining x unit_price',
    value_at_cost_reporting Nullable(Float64) COMMENT 'value_at_cost in the reporting currency at the rate of as_of_date; NULL without a rate',
    currency             String COMMENT 'ISO 4217 currency of the store',
    reporting_currency   String COMMENT 'REPORTING_CURRENCY, the currency of the *_reporting columns',
    unit_cost_reporting  Nullable(Float64) COMMENT 'unit_cost in the reporting currency at the rate of as_of_date; NULL without a rate',
    unit_price_reporting Nullable(Float64) COMMENT 'unit_price in the reporting currency; NULL without a rate',
    value_at_price_reporting Nullable(Float64) COMMENT 'value_at_price in the reporting currency; NULL without a rate'
)
AS WITH
    shelf_lives AS (SELECT sku, assumeNotNull(shelf_life_days) AS shelf_life FROM ${database}.dim_product FINAL WHERE perishable AND shelf_life_days IS NOT NULL),
    -- is_receipt 0: the store x sku's latest day; 1: a receipt. Stacked rather than joined, so a
    -- store filter reaches both (see the header).
    stacked AS
    (
        SELECT h.store_id AS store_id, h.sku AS sku, 0 AS is_receipt, '' AS lot_id, toDateTime64(0, 3, 'UTC') AS received_at, '' AS event_key, toDate(0) AS received_date,
            toInt64(0) AS units, CAST(NULL AS Nullable(Int64)) AS unit_cost,
            h.business_date AS business_date, h.units_on_hand AS units_on_hand, h.unit_price AS unit_price, h.currency AS currency, h.reporting_currency AS reporting_currency
        FROM ${database}.bi_inventory_history AS h
        WHERE h.is_latest AND h.sku IN (SELECT sku FROM shelf_lives)
        UNION ALL
        SELECT toString(m.store_id), m.sku, 1, ifNull(m.reference_id, toString(m.event_id)), m.occurred_at, toString(m.event_id),
            toDate(m.occurred_at + toIntervalSecond(o.utc_offset_s)), toInt64(ifNull(m.quantity_delta, 0)), m.unit_cost,
            toDate(0), 0, NULL, '', ''
        FROM ${database}.fact_inventory_movements AS m FINAL
        ASOF LEFT JOIN ${database}.dim_store_utc_offset AS o ON m.store_id = o.store_id AND m.occurred_at >= o.valid_from
        WHERE m.movement_type = 'RECEIPT' AND m.sku IN (SELECT sku FROM shelf_lives)
    ),
    -- Each receipt gets its store x sku's latest day (what the inner join of 0024 gave it).
    spread AS
    (
        SELECT store_id, sku, lot_id, received_at, event_key, received_date, units, unit_cost, is_receipt,
            max(is_receipt = 0) OVER per_item AS has_latest,
            anyIf(business_date, is_receipt = 0) OVER per_item AS as_of_date,
            anyIf(units_on_hand, is_receipt = 0) OVER per_item AS on_hand,
            anyIf(unit_price, is_receipt = 0) OVER per_item AS latest_price,
            anyIf(currency, is_receipt = 0) OVER per_item AS latest_currency,
            anyIf(reporting_currency, is_receipt = 0) OVER per_item AS latest_reporting_currency
        FROM stacked
        WINDOW per_item AS (PARTITION BY store_id, sku)
    ),
    received AS
    (
        SELECT store_id, sku, lot_id, received_at, event_key, received_date, units, unit_cost, as_of_date, on_hand, latest_price, latest_currency, latest_reporting_currency
        FROM spread
        WHERE is_receipt = 1 AND has_latest AND received_date <= as_of_date
    ),
    held AS
    (
        SELECT r.store_id AS store_id, r.sku AS sku, r.lot_id AS lot_id, r.received_date AS received_date, r.units AS units, r.unit_cost AS unit_cost,
            r.as_of_date AS as_of_date, r.on_hand AS on_hand, r.latest_price AS unit_price, r.latest_currency AS currency, x.to_reporting AS to_reporting,
            r.latest_reporting_currency AS reporting_currency,
            r.received_date + s.shelf_life AS expiry_date,
            -- Units received after this lot (up to the as-of date): they are on hand before it.
            sum(r.units) OVER (PARTITION BY r.store_id, r.sku ORDER BY r.received_at DESC, r.event_key DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS newer_units
        FROM received AS r
        INNER JOIN shelf_lives AS s ON s.sku = r.sku
        LEFT JOIN (SELECT currency, business_date, to_reporting FROM ${database}.exchange_rate_daily) AS x ON x.currency = r.latest_currency AND x.business_date = r.as_of_date
    )
SELECT store_id, sku, as_of_date, lot_id, received_date, expiry_date,
    toInt32(dateDiff('day', as_of_date, expiry_date) - 1) AS days_left_to_sell,
    units AS units_received, toInt64(least(units, greatest(on_hand - newer_units, 0))) AS units_remaining,
    if(unit_cost IS NULL, NULL, toNullable(toFloat64(assumeNotNull(unit_cost)) / 100)) AS unit_cost, unit_price,
    units_remaining * unit_cost AS value_at_cost, units_remaining * unit_price AS value_at_price,
    value_at_cost * to_reporting AS value_at_cost_reporting, currency,
    reporting_currency, unit_cost * to_reporting AS unit_cost_reporting, unit_price * to_reporting AS unit_price_reporting, value_at_price * to_reporting AS value_at_price_reporting
FROM held
WHERE units_remaining > 0
COMMENT 'Lots of perishable stock still on hand per store x sku (first in, first out from the book on-hand), with their expiry date, as of the store''s latest business date';

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
    -- quicker than an order. This reads every store's latest books, whatever the filter outside.
    short_stores AS
    (
        SELECT sku, toInt64(countIf(stockout >= 0.5)) AS stores_short
        FROM stockout_scores
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

-- bi_waste joined the write-offs to bi_inventory_history for the day's unit cost, so a store's
-- waste computed every store's books (the join's right side); here the day's row is stacked
-- with the write-offs and spread over them by a window per store x sku x day.
CREATE OR REPLACE VIEW ${database}.bi_waste
(
    store_id             String COMMENT 'Store code',
    sku                  String COMMENT 'Product code',
    business_date        Date COMMENT 'The store''s business date of the write-off',
    units_expired        Int64 COMMENT 'Units written off because their lot expired (SHRINK, reason expired)',
    units_spoiled        Int64 COMMENT 'Units written off as spoiled, damaged or any other shrink reason',
    expired_value_at_cost Nullable(Float64) COMMENT 'Expired units x their lot''s receipt cost (else the day''s unit cost), store currency',
    spoiled_value_at_cost Nullable(Float64) COMMENT 'Other shrink units x the day''s unit cost, store currency',
    waste_value_at_cost_reporting Nullable(Float64) COMMENT 'Both values at cost in the reporting currency at the day''s rate; NULL without a rate',
    currency             String COMMENT 'ISO 4217 currency of the store',
    reporting_currency   String COMMENT 'REPORTING_CURRENCY, the currency of the *_reporting columns',
    expired_value_at_cost_reporting Nullable(Float64) COMMENT 'expired_value_at_cost in the reporting currency at the day''s rate; NULL without a rate',
    spoiled_value_at_cost_reporting Nullable(Float64) COMMENT 'spoiled_value_at_cost in the reporting currency at the day''s rate; NULL without a rate'
)
AS WITH
    lot_costs AS
    (
        SELECT toString(store_id) AS store_id, sku, assumeNotNull(reference_id) AS lot_id, toNullable(any(unit_cost)) AS lot_unit_cost
        FROM ${database}.fact_inventory_movements FINAL
        WHERE movement_type = 'RECEIPT' AND reference_id IS NOT NULL AND unit_cost IS NOT NULL
        GROUP BY store_id, sku, lot_id
    ),
    shrink AS
    (
        SELECT w.store_id AS store_id, w.sku AS sku, w.business_date AS business_date, w.expired AS expired, w.units AS units, c.lot_unit_cost AS lot_unit_cost
        FROM
        (
            SELECT toString(m.store_id) AS store_id, m.sku AS sku, toDate(m.occurred_at + toIntervalSecond(o.utc_offset_s)) AS business_date,
                m.reason = 'expired' AS expired, -toInt64(ifNull(m.quantity_delta, 0)) AS units, m.reference_id AS lot_id
            FROM ${database}.fact_inventory_movements AS m FINAL
            ASOF LEFT JOIN ${database}.dim_store_utc_offset AS o ON m.store_id = o.store_id AND m.occurred_at >= o.valid_from
            WHERE m.movement_type = 'SHRINK'
        ) AS w
        LEFT JOIN lot_costs AS c ON c.store_id = w.store_id AND c.sku = w.sku AND c.lot_id = ifNull(w.lot_id, '')
    ),
    -- is_shrink 0: the store x sku's day in bi_inventory_history; 1: a write-off.
    stacked AS
    (
        SELECT store_id, sku, business_date, 1 AS is_shrink, expired, units, lot_unit_cost, CAST(NULL AS Nullable(Float64)) AS unit_cost, '' AS currency, '' AS reporting_currency
        FROM shrink
        UNION ALL
        SELECT h.store_id, h.sku, h.business_date, 0, false, 0, NULL, h.unit_cost, h.currency, h.reporting_currency
        FROM ${database}.bi_inventory_history AS h
    ),
    spread AS
    (
        SELECT store_id, sku, business_date, is_shrink, expired, units, lot_unit_cost,
            anyIf(unit_cost, is_shrink = 0) OVER per_day AS day_unit_cost,
            anyIf(currency, is_shrink = 0) OVER per_day AS day_currency,
            anyIf(reporting_currency, is_shrink = 0) OVER per_day AS day_reporting_currency
        FROM stacked
        WINDOW per_day AS (PARTITION BY store_id, sku, business_date)
    ),
    costed AS
    (
        SELECT s.store_id AS store_id, s.sku AS sku, s.business_date AS business_date, s.expired AS expired, s.units AS units,
            s.units * if(s.expired AND s.lot_unit_cost IS NOT NULL, s.lot_unit_cost / 100, s.day_unit_cost) AS value_at_cost, x.to_reporting AS to_reporting,
            s.day_currency AS currency, s.day_reporting_currency AS reporting_currency
        FROM (SELECT * FROM spread WHERE is_shrink = 1) AS s
        LEFT JOIN (SELECT currency, business_date, to_reporting FROM ${database}.exchange_rate_daily) AS x ON x.currency = s.day_currency AND x.business_date = s.business_date
    )
SELECT store_id, sku, business_date,
    toInt64(sumIf(units, expired)) AS units_expired, toInt64(sumIf(units, NOT expired)) AS units_spoiled,
    sumIf(value_at_cost, expired) AS expired_value_at_cost, sumIf(value_at_cost, NOT expired) AS spoiled_value_at_cost,
    sum(value_at_cost * to_reporting) AS waste_value_at_cost_reporting, ifNull(any(currency), '') AS currency,
    ifNull(any(reporting_currency), '') AS reporting_currency,
    sumIf(value_at_cost * to_reporting, expired) AS expired_value_at_cost_reporting, sumIf(value_at_cost * to_reporting, NOT expired) AS spoiled_value_at_cost_reporting
FROM costed
GROUP BY store_id, sku, business_date
COMMENT 'Units and value written off per store x sku x business date: expired lots apart from spoilage and damage';
