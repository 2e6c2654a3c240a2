-- Views over the master data and pricing facts of 0011.
--
-- exchange_rate_daily answers the rate of any (currency, business date): the rate published
-- for that day, or else the latest earlier one (ASOF join; days_carried says how stale), and
-- the factor to the reporting currency (reporting_currency, written by `shelfstream init`) of
-- that same day. Every conversion reads it at query time, so a late or corrected rate changes
-- the figures without a rebuild. A day before a currency's first rate has no row: nothing is
-- converted at a guessed rate. Dates come from dim_date (CLICKHOUSE_CALENDAR_FROM/TO).
--
-- bi_promotion_uplift sets the units a promotion sold of each of its skus against the units of
-- the same hours of the same weekdays before it: the promotion's own time window shifted back
-- by whole weeks, starting at the first whole week that no longer overlaps the promotion (a
-- 10-day promotion is compared with the windows 2, 3, 4 and 5 weeks before), up to four weeks,
-- and only weeks after the store's first sale (before it there is no history, not zero demand).
-- Shifting the exact window keeps weekday and hour mix identical without cutting days in any
-- time zone. A baseline week may hold another promotion of the sku or a holiday: the uplift is
-- what BI sees, not a causal estimate.

CREATE VIEW IF NOT EXISTS ${database}.exchange_rate_daily
(
    currency            String COMMENT 'ISO 4217 code of the currency',
    business_date       Date COMMENT 'The date the rate is asked for (a sale''s business date)',
    rate                Float64 COMMENT 'Units of currency for one unit of base_currency in force that day',
    rate_date           Date COMMENT 'Date of the published rate used: business_date, or the latest earlier date with a rate',
    days_carried        Int32 COMMENT 'Days since that rate was published (0: a rate of the day itself)',
    base_currency       String COMMENT 'Currency the rates are quoted against',
    reporting_currency  String COMMENT 'REPORTING_CURRENCY, as shelfstream init wrote it',
    to_reporting        Nullable(Float64) COMMENT 'Multiply an amount in currency by this to get reporting_currency (both rates of the same business date); NULL when the reporting currency has no rate yet'
)
AS WITH
    rates AS (SELECT currency, base_currency, rate_date, rate FROM ${database}.dim_exchange_rate FINAL),
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
COMMENT 'Exchange rate of every currency on every calendar date (latest earlier rate when a day has none) and its factor to the reporting currency';

CREATE VIEW IF NOT EXISTS ${database}.bi_promotion_uplift
(
    store_id          String COMMENT 'Store code',
    promotion_id      String COMMENT 'Promotion id (sale lines it discounted carry it)',
    sku               String COMMENT 'Product on promotion',
    category          String COMMENT 'Category of the product (empty when the product is unknown)',
    discount_percent  Int32 COMMENT 'Price reduction in percent',
    started_at        DateTime64(3, 'UTC') COMMENT 'When the promotion started (UTC)',
    ended_at          DateTime64(3, 'UTC') COMMENT 'When it ended (UTC); for a running promotion, the earlier of its planned end and now',
    is_running        Bool COMMENT 'No ENDED event yet',
    units_during      Int64 COMMENT 'Units of the sku sold in the store from started_at to ended_at',
    baseline_weeks    Int32 COMMENT 'Earlier weeks compared (0-4): the same window shifted back by whole weeks past the promotion, after the store''s first sale',
    baseline_units    Nullable(Float64) COMMENT 'Mean units sold in those windows; NULL without a baseline week',
    uplift            Nullable(Float64) COMMENT 'units_during / baseline_units (1.5: half as many units again); NULL when the baseline is empty or sold nothing'
)
AS WITH
    promotions AS
    (
        SELECT store_id, promotion_id,
            anyIf(skus, phase = 'STARTED') AS skus, anyIf(discount_percent, phase = 'STARTED') AS discount_percent,
            minIf(occurred_at, phase = 'STARTED') AS started_at,
            countIf(phase = 'ENDED') = 0 AS running,
            if(running, least(max(ends_at), now64(3)), minIf(occurred_at, phase = 'ENDED')) AS ended_at
        FROM ${database}.fact_promotions FINAL
        GROUP BY store_id, promotion_id
        HAVING countIf(phase = 'STARTED') > 0
    ),
    windows AS
    (
        SELECT store_id, promotion_id, sku, discount_percent, started_at, ended_at, running,
            -- 0 is the promotion itself; then four weeks from the first that clears it.
            arrayJoin(arrayConcat([0], range(toUInt32(ceil(dateDiff('second', started_at, ended_at) / 604800)), toUInt32(ceil(dateDiff('second', started_at, ended_at) / 604800)) + 4))) AS weeks_back
        FROM promotions
        ARRAY JOIN skus AS sku
    ),
    lines AS
    (
        SELECT store_id, sku, occurred_at, quantity
        FROM ${database}.fact_sale_lines FINAL
        WHERE (store_id, sku) IN (SELECT store_id, sku FROM windows)
    ),
    first_sale AS (SELECT store_id, min(occurred_at) AS at FROM ${database}.fact_sale_lines FINAL GROUP BY store_id),
    units AS
    (
        SELECT w.store_id AS store_id, w.promotion_id AS promotion_id, w.sku AS sku, w.weeks_back AS weeks_back,
            any(w.discount_percent) AS discount_percent, any(w.started_at) AS started_at, any(w.ended_at) AS ended_at, any(w.running) AS running,
            toInt64(ifNull(sumIf(l.quantity, l.occurred_at >= w.started_at - toIntervalDay(7 * w.weeks_back) AND l.occurred_at < w.ended_at - toIntervalDay(7 * w.weeks_back)), 0)) AS units
        FROM windows AS w
        LEFT JOIN lines AS l ON l.store_id = w.store_id AND l.sku = w.sku
        GROUP BY w.store_id, w.promotion_id, w.sku, w.weeks_back
    )
SELECT
    toString(u.store_id) AS store_id, u.promotion_id AS promotion_id, u.sku AS sku, ifNull(p.category, '') AS category,
    any(u.discount_percent) AS discount_percent, any(u.started_at) AS started_at, any(u.ended_at) AS ended_at, toBool(any(u.running)) AS is_running,
    toInt64(sumIf(u.units, u.weeks_back = 0)) AS units_during,
    toInt32(countIf(u.weeks_back > 0 AND ifNull(u.started_at - toIntervalDay(7 * u.weeks_back) >= f.at, false))) AS baseline_weeks,
    if(baseline_weeks = 0, NULL, sumIf(u.units, u.weeks_back > 0 AND ifNull(u.started_at - toIntervalDay(7 * u.weeks_back) >= f.at, false)) / baseline_weeks) AS baseline_units,
    if(baseline_units > 0, units_during / baseline_units, NULL) AS uplift
FROM units AS u
LEFT JOIN first_sale AS f ON f.store_id = u.store_id
LEFT JOIN (SELECT sku, category FROM ${database}.dim_product FINAL) AS p ON p.sku = u.sku
GROUP BY u.store_id, u.promotion_id, u.sku, p.category
SETTINGS join_use_nulls = 1
COMMENT 'Units each promotion sold per sku against the same weekday hours of up to four weeks before it (uplift)';
