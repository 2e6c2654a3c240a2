-- Lots, expiry and waste of perishable stock, and an at-risk score with an action per store x sku
-- (issue 15 items 2, 3 and 5). Views only, over the facts with FINAL and bi_inventory_history
-- (0022), so a replay or a rebuild gives the same rows.
--
-- Lots. A receipt (RECEIPT movement) of a perishable product (dim_product.shelf_life_days set) is
-- a lot: lot_id is the receipt's reference (the purchase order), it expires on its local business
-- date + shelf_life_days (the first date it may no longer be sold). Stock leaves first in, first
-- out, so whatever is on hand is the newest units received: with U units on hand in the books, a
-- lot keeps min(its units, max(U - units received after it, 0)). Only the on-hand count is needed,
-- not which event took which unit, so sales, shrink, count corrections and write-offs all work
-- through the books of 0022. Units beyond every receipt held (stock older than the facts) have no
-- known age and are left out. As of the end of each store's latest business date with stock
-- events (bi_inventory_history.is_latest).
--
-- Waste. A SHRINK movement with reason 'expired' is an expired lot written off (reference_id =
-- the lot: the simulator's --expiry-write-offs, simulators/README.md); other SHRINK reasons are
-- spoilage and damage. The cost of an expired unit is its lot's receipt cost, else the day's cost
-- from bi_inventory_history.
--
-- At risk. Each store x sku of bi_inventory_history's latest day gets three scores in 0-1:
--   stockout: 1 when the books are at 0 or below, else 1 - days of cover / 7 (a week of cover or
--             more scores 0), or the stock processor's probability of running out before the next
--             delivery (stockout_risk.risk) when that is higher;
--   expiry:   of the units expiring within 3 days (expiry_date <= as_of + 3: at most 2 more days of
--             sale), the share that the expected sales of 2 days will not take;
--   slow:     days without a sale / 56, at most 1, when units are on hand (0 otherwise).
-- The action is the first that applies, in this order:
--   reorder   stockout >= 0.5;
--   discount  expiry >= 0.5 and the product sells (expected units a day > 0): sell it before it expires;
--   clear     expiry >= 0.5 and nothing sells, or slow = 1 (no sale for 8 weeks): take it off the range;
--   transfer  overstock (bi_overstock's rule) while another store of the chain must reorder the sku;
--   bundle    slow >= 0.5 (no sale for 4 weeks or more): pair it with a product that sells;
--   none      otherwise.
-- at_risk_score is the highest of the three scores.

CREATE VIEW IF NOT EXISTS ${database}.bi_stock_lots
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
    latest AS
    (
        SELECT h.store_id AS store_id, h.sku AS sku, h.business_date AS business_date, h.units_on_hand AS units_on_hand, h.unit_price AS unit_price, h.currency AS currency,
            h.reporting_currency AS reporting_currency, x.to_reporting AS to_reporting
        FROM ${database}.bi_inventory_history AS h
        LEFT JOIN (SELECT currency, business_date, to_reporting FROM ${database}.exchange_rate_daily) AS x ON x.currency = h.currency AND x.business_date = h.business_date
        WHERE h.is_latest AND h.sku IN (SELECT sku FROM shelf_lives)
    ),
    receipts AS
    (
        SELECT toString(m.store_id) AS store_id, m.sku AS sku, ifNull(m.reference_id, toString(m.event_id)) AS lot_id, m.occurred_at AS received_at, toString(m.event_id) AS event_key,
            toDate(m.occurred_at + toIntervalSecond(o.utc_offset_s)) AS received_date, toInt64(ifNull(m.quantity_delta, 0)) AS units, m.unit_cost AS unit_cost
        FROM ${database}.fact_inventory_movements AS m FINAL
        ASOF LEFT JOIN ${database}.dim_store_utc_offset AS o ON m.store_id = o.store_id AND m.occurred_at >= o.valid_from
        WHERE m.movement_type = 'RECEIPT' AND m.sku IN (SELECT sku FROM shelf_lives)
    ),
    held AS
    (
        SELECT r.store_id AS store_id, r.sku AS sku, r.lot_id AS lot_id, r.received_date AS received_date, r.units AS units, r.unit_cost AS unit_cost,
            l.business_date AS as_of_date, l.units_on_hand AS on_hand, l.unit_price AS unit_price, l.currency AS currency, l.to_reporting AS to_reporting, l.reporting_currency AS reporting_currency,
            r.received_date + s.shelf_life AS expiry_date,
            -- Units received after this lot (up to the as-of date): they are on hand before it.
            sum(r.units) OVER (PARTITION BY r.store_id, r.sku ORDER BY r.received_at DESC, r.event_key DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS newer_units
        FROM receipts AS r
        INNER JOIN latest AS l ON l.store_id = r.store_id AND l.sku = r.sku
        INNER JOIN shelf_lives AS s ON s.sku = r.sku
        WHERE r.received_date <= l.business_date
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

CREATE VIEW IF NOT EXISTS ${database}.bi_expiring_stock
(
    store_id             String COMMENT 'Store code',
    sku                  String COMMENT 'Product code (perishable)',
    as_of_date           Date COMMENT 'The store''s latest business date with stock events',
    expiry_date          Date COMMENT 'First business date the units may no longer be sold',
    days_until_expiry    Int32 COMMENT 'expiry_date - as_of_date: units expiring within N days have days_until_expiry <= N',
    units                Int64 COMMENT 'Units on hand expiring on expiry_date',
    value_at_cost        Nullable(Float64) COMMENT 'Their value at cost, store currency',
    value_at_price       Nullable(Float64) COMMENT 'Their value at the shelf price, store currency',
    value_at_cost_reporting Nullable(Float64) COMMENT 'Their value at cost in the reporting currency',
    currency             String COMMENT 'ISO 4217 currency of the store',
    reporting_currency   String COMMENT 'REPORTING_CURRENCY, the currency of the *_reporting columns',
    value_at_price_reporting Nullable(Float64) COMMENT 'Their value at the shelf price in the reporting currency'
)
AS SELECT store_id, sku, as_of_date, expiry_date, toInt32(dateDiff('day', as_of_date, expiry_date)) AS days_until_expiry,
    toInt64(sum(units_remaining)) AS units, sum(value_at_cost) AS value_at_cost, sum(value_at_price) AS value_at_price, sum(value_at_cost_reporting) AS value_at_cost_reporting, any(currency) AS currency,
    any(reporting_currency) AS reporting_currency, sum(value_at_price_reporting) AS value_at_price_reporting
FROM ${database}.bi_stock_lots
GROUP BY store_id, sku, as_of_date, expiry_date
COMMENT 'Units and value of perishable stock on hand per store x sku x expiry date: "which products expire this week?" is days_until_expiry <= 7';

CREATE VIEW IF NOT EXISTS ${database}.bi_waste
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
    shrink AS
    (
        SELECT toString(m.store_id) AS store_id, m.sku AS sku, toDate(m.occurred_at + toIntervalSecond(o.utc_offset_s)) AS business_date,
            m.reason = 'expired' AS expired, -toInt64(ifNull(m.quantity_delta, 0)) AS units, m.reference_id AS lot_id
        FROM ${database}.fact_inventory_movements AS m FINAL
        ASOF LEFT JOIN ${database}.dim_store_utc_offset AS o ON m.store_id = o.store_id AND m.occurred_at >= o.valid_from
        WHERE m.movement_type = 'SHRINK'
    ),
    lot_costs AS
    (
        SELECT toString(store_id) AS store_id, sku, assumeNotNull(reference_id) AS lot_id, toNullable(any(unit_cost)) AS lot_unit_cost
        FROM ${database}.fact_inventory_movements FINAL
        WHERE movement_type = 'RECEIPT' AND reference_id IS NOT NULL AND unit_cost IS NOT NULL
        GROUP BY store_id, sku, lot_id
    ),
    days AS
    (
        SELECT h.store_id AS store_id, h.sku AS sku, h.business_date AS business_date, h.unit_cost AS unit_cost, h.currency AS currency, h.reporting_currency AS reporting_currency, x.to_reporting AS to_reporting
        FROM ${database}.bi_inventory_history AS h
        LEFT JOIN (SELECT currency, business_date, to_reporting FROM ${database}.exchange_rate_daily) AS x ON x.currency = h.currency AND x.business_date = h.business_date
    ),
    costed AS
    (
        SELECT w.store_id AS store_id, w.sku AS sku, w.business_date AS business_date, w.expired AS expired, w.units AS units,
            w.units * if(w.expired AND c.lot_unit_cost IS NOT NULL, c.lot_unit_cost / 100, d.unit_cost) AS value_at_cost, d.to_reporting AS to_reporting, d.currency AS currency,
            d.reporting_currency AS reporting_currency
        FROM shrink AS w
        LEFT JOIN lot_costs AS c ON c.store_id = w.store_id AND c.sku = w.sku AND c.lot_id = ifNull(w.lot_id, '')
        LEFT JOIN days AS d ON d.store_id = w.store_id AND d.sku = w.sku AND d.business_date = w.business_date
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

CREATE VIEW IF NOT EXISTS ${database}.bi_at_risk
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
    -- The three inputs are stacked and grouped per store x sku rather than joined: ClickHouse 26.x
    -- reordered joins over the joins inside bi_inventory_history into a plan whose blocks disagreed
    -- on store_id's type ("Block structure mismatch", String against LowCardinality) on some data.
    inputs AS
    (
        SELECT store_id, sku, 1 AS has_history, business_date, units_on_hand, expected_units_per_day, days_of_cover, days_without_sale,
            perishable, shelf_life_days, toInt64(0) AS expiring_units, CAST(NULL AS Nullable(Float64)) AS processor_risk
        FROM ${database}.bi_inventory_history
        WHERE is_latest
        UNION ALL
        SELECT store_id, sku, 0, toDate(0), 0, 0, NULL, 0, false, NULL, toInt64(units), NULL
        FROM ${database}.bi_expiring_stock
        WHERE days_until_expiry <= 3
        UNION ALL
        SELECT toString(store_id), sku, 0, toDate(0), 0, 0, NULL, 0, false, NULL, 0, toNullable(toFloat64(assumeNotNull(risk)))
        FROM ${database}.stockout_risk FINAL
        WHERE risk IS NOT NULL
    ),
    merged AS
    (
        SELECT store_id, sku,
            anyIf(business_date, has_history = 1) AS business_date, anyIf(units_on_hand, has_history = 1) AS units_on_hand,
            anyIf(expected_units_per_day, has_history = 1) AS expected_units_per_day, anyIf(days_of_cover, has_history = 1) AS days_of_cover,
            anyIf(days_without_sale, has_history = 1) AS days_without_sale, anyIf(perishable, has_history = 1) AS perishable,
            anyIf(shelf_life_days, has_history = 1) AS shelf_life_days, sum(expiring_units) AS expiring_units, max(processor_risk) AS processor_risk
        FROM inputs
        GROUP BY store_id, sku
        HAVING max(has_history) = 1
    ),
    scored AS
    (
        SELECT l.store_id AS store_id, l.sku AS sku, l.business_date AS as_of_date, l.units_on_hand AS units_on_hand, l.expected_units_per_day AS rate, l.days_of_cover AS cover,
            l.expiring_units AS expiring, l.days_without_sale AS idle_days,
            greatest(if(l.units_on_hand <= 0, 1, if(l.days_of_cover IS NULL, 0, greatest(0, 1 - assumeNotNull(l.days_of_cover) / 7))), ifNull(l.processor_risk, 0)) AS stockout,
            if(expiring > 0, greatest(0, expiring - 2 * l.expected_units_per_day) / expiring, 0) AS expiry,
            if(l.units_on_hand > 0, least(1, l.days_without_sale / 56), 0) AS slow,
            l.days_of_cover IS NOT NULL AND assumeNotNull(l.days_of_cover) > if(l.perishable AND l.shelf_life_days IS NOT NULL, assumeNotNull(l.shelf_life_days), 56) AS overstock,
            if(l.perishable AND l.shelf_life_days IS NOT NULL, assumeNotNull(l.shelf_life_days), 56) AS cover_limit
        FROM merged AS l
    ),
    -- Stores of the chain that must reorder each sku: a transfer from a store with too much is quicker than an order.
    short AS
    (
        SELECT *, countIf(stockout >= 0.5) OVER (PARTITION BY sku) - (stockout >= 0.5) AS other_stores_short
        FROM scored
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
FROM short
COMMENT 'Each store x sku scored 0-1 for stock-out, expiry and slow movement as of the store''s latest business date, with the recommended action (reorder, discount, clear, transfer, bundle or none) and the reason in words';
