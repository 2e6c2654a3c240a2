-- vat_rate_periods is read from a table that a refreshable materialized view rewrites, instead of
-- being computed by every BI query (issue 11, the bi-query bench), as 0049 did for
-- exchange_rate_daily. Every bi_* view with an ex-tax column ASOF-joins it, and as the view of 0046
-- it cost every dashboard query a FINAL read of dim_vat_rate, a join with dim_store_utc_offset, two
-- GROUP BYs and a window, even a query that reads no ex-tax column (the join is not eliminated):
-- measured on a copy of the bi-query bench's year, one chDB session, 2 threads, `SELECT count()`
-- of the view p50 4.8 ms against 1.7 ms for the same rows in a plain table (figures of the
-- dashboard queries in the commit).
--
--   vat_rate_periods_computed  0046's definition, unchanged: what is materialised;
--   vat_rate_periods_rows      its rows, a plain MergeTree table (no versions, no FINAL);
--   vat_rate_periods_refresh   the refreshable materialized view that rewrites the whole table every
--                              10 seconds: a refresh fills a new table and swaps it in (EXCHANGE),
--                              so a reader sees the previous rows or the new ones, never a mix;
--   vat_rate_periods           the same columns and comments as before, read from the table: its
--                              readers (the bi_* views) are not redefined.
--
-- Its inputs are dim_vat_rate (written by 0044's materialized view from dim_store, so by the
-- warehouse processor's writes of md.stores, and by whoever inserts a rate by hand) and
-- dim_store_utc_offset (written by the BI closing job). Any write shows within one period (10 s,
-- plus the refresh); the writers ShelfStream owns (the warehouse processor after dim_store, the
-- closing job after new offsets) also ask for a refresh and wait for it
-- (clickhouse/vat-rate-refresh.ts), so their own changes show at once. Tests that write those
-- tables by hand refresh the same way (tests/harness/vat-rates.ts). The period: as 0049's (the
-- rows change a few times a day; a refresh reads a few hundred rows). Server requirements: as
-- 0049's (refreshable materialized views, SYSTEM REFRESH / WAIT VIEW, an Atomic database).

CREATE OR REPLACE VIEW ${database}.vat_rate_periods_computed
(
    store_id    String COMMENT 'Store the rate applies to (its shelf prices include it)',
    valid_from  Date COMMENT 'First business day (the store''s local date) the rate applies to, until the store''s next valid_from; 1970-01-01 for the store''s first known rate, which also covers the days before it was learnt',
    vat_rate    Nullable(Float64) COMMENT 'VAT included in the store''s shelf prices, as a fraction (0.055 = 5.5%); never NULL here, Nullable so that a LEFT JOIN that finds no rate reads NULL (unknown) rather than 0'
)
AS SELECT
    store_id,
    -- A store's first rate also covers its earlier days (0044): a later change must not leave them without one.
    if(day = min(day) OVER (PARTITION BY store_id), toDate(0), day) AS valid_from,
    toNullable(rate) AS vat_rate
FROM
(
    -- For one store and day the newest row wins (dim_vat_rate's rule), also when a store version
    -- and another writer's row land on the same local day.
    SELECT store_id, day, argMax(rate, updated_at) AS rate
    FROM
    (
        SELECT
            toString(r.store_id) AS store_id, r.updated_at AS updated_at, r.vat_rate AS rate,
            -- A store version takes effect on the store's local date of its updated_at: the UTC
            -- offset of the latest transition at or before it (none known: 0, the UTC date).
            -- Other rows name their day. The offset is picked by argMaxIf over the store's few
            -- transitions after a plain join: same rows as an ASOF join, cheaper (see above).
            if(r.source = 'md.stores', toDate(r.updated_at + toIntervalSecond(argMaxIf(o.utc_offset_s, o.valid_from, o.valid_from <= r.updated_at))), r.valid_from) AS day
        FROM ${database}.dim_vat_rate AS r FINAL
        LEFT JOIN ${database}.dim_store_utc_offset AS o ON o.store_id = r.store_id
        GROUP BY r.store_id, r.valid_from, r.updated_at, r.vat_rate, r.source
    )
    GROUP BY store_id, day
)
COMMENT 'vat_rate_periods computed from its inputs (the definition of 0046): what vat_rate_periods_refresh copies into vat_rate_periods_rows, and what a test compares them with';

CREATE TABLE IF NOT EXISTS ${database}.vat_rate_periods_rows
(
    store_id    String COMMENT 'Store the rate applies to (its shelf prices include it)',
    valid_from  Date COMMENT 'First business day (the store''s local date) the rate applies to, until the store''s next valid_from; 1970-01-01 for the store''s first known rate, which also covers the days before it was learnt',
    vat_rate    Nullable(Float64) COMMENT 'VAT included in the store''s shelf prices, as a fraction (0.055 = 5.5%); never NULL here, Nullable so that a LEFT JOIN that finds no rate reads NULL (unknown) rather than 0'
)
ENGINE = MergeTree
ORDER BY (store_id, valid_from)
COMMENT 'vat_rate_periods_computed materialised: rewritten whole by vat_rate_periods_refresh every 10 s and whenever ShelfStream writes a store or its UTC offsets';

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.vat_rate_periods_refresh
REFRESH EVERY 10 SECOND
TO ${database}.vat_rate_periods_rows
(
    store_id    String COMMENT 'Store the rate applies to (its shelf prices include it)',
    valid_from  Date COMMENT 'First business day (the store''s local date) the rate applies to, until the store''s next valid_from; 1970-01-01 for the store''s first known rate, which also covers the days before it was learnt',
    vat_rate    Nullable(Float64) COMMENT 'VAT included in the store''s shelf prices, as a fraction (0.055 = 5.5%); never NULL here, Nullable so that a LEFT JOIN that finds no rate reads NULL (unknown) rather than 0'
)
AS SELECT store_id, valid_from, vat_rate
FROM ${database}.vat_rate_periods_computed
COMMENT 'Rewrites vat_rate_periods_rows from vat_rate_periods_computed every 10 s (a new table swapped in); SYSTEM REFRESH VIEW runs it at once';

-- The first fill, before vat_rate_periods reads the table: the refresh that CREATE starts runs in
-- the background.
SYSTEM REFRESH VIEW ${database}.vat_rate_periods_refresh;
SYSTEM WAIT VIEW ${database}.vat_rate_periods_refresh;

CREATE OR REPLACE VIEW ${database}.vat_rate_periods
(
    store_id    String COMMENT 'Store the rate applies to (its shelf prices include it)',
    valid_from  Date COMMENT 'First business day (the store''s local date) the rate applies to, until the store''s next valid_from; 1970-01-01 for the store''s first known rate, which also covers the days before it was learnt',
    vat_rate    Nullable(Float64) COMMENT 'VAT included in the store''s shelf prices, as a fraction (0.055 = 5.5%); never NULL here, Nullable so that a LEFT JOIN that finds no rate reads NULL (unknown) rather than 0'
)
AS SELECT store_id, valid_from, vat_rate
FROM ${database}.vat_rate_periods_rows
COMMENT 'The VAT rate in force on each business day of a store: one row per store and first local business day of a rate, which applies until the next; join with ASOF on (store_id, business_date >= valid_from). Read by every bi_* view with revenue excluding tax';
