-- exchange_rate_daily is read from a table that a refreshable materialized view rewrites, instead
-- of being computed by every BI query (issue 11, the bi-query bench). Every bi_* view with a
-- reporting-currency column LEFT JOINs it, and as the view of 0030 it cost every dashboard query
-- the calendar x currencies expansion, an ASOF JOIN and a window, even a query that reads no
-- converted column (the join is not eliminated): on the bench's year "top SKUs of a store" took
-- 75-89 ms with the view and 46-51 ms with the same rows read from a plain MergeTree table.
--
--   exchange_rate_daily_computed  0030's definition, unchanged: what is materialised;
--   exchange_rate_daily_rows      its rows, a plain MergeTree table (no versions, no FINAL);
--   exchange_rate_daily_refresh   the refreshable materialized view that rewrites the whole table
--                                 every 10 seconds: a refresh fills a new table and swaps it in
--                                 (EXCHANGE), so a reader sees the previous rows or the new ones,
--                                 never a mix or an empty table;
--   exchange_rate_daily           the same columns and comments as before, read from the table:
--                                 its readers (every bi_* view) are not redefined.
--
-- A late or corrected rate, a longer calendar or another reporting currency changes the figures
-- without anyone rebuilding anything: at the latest one period (10 s, plus the refresh) after the
-- write, whoever wrote it. The writers ShelfStream owns (the warehouse processor's writes of
-- dim_exchange_rate, fillCalendar, applyReportingCurrency) also ask for a refresh and wait for it
-- (clickhouse/exchange-rate-refresh.ts), so their own changes show at once.
--
-- Why 10 seconds: the rows change only when a rate, the calendar or the reporting currency is
-- written (a few times a day), so the period buys only the staleness of writes made outside those
-- writers (an INSERT by hand, a restore), and every period costs a whole refresh whether anything
-- changed or not. Measured (bench bi-rates, chDB, 2 cores at load 21-25, process CPU of 20
-- refreshes in a row less idle CPU): 26 ms of CPU a refresh on the bi-query bench's year (1
-- currency x 1,095 dates), 47 ms at the defaults' shape (the 2024-2030 calendar x 8 currencies,
-- 20,456 rows). Every 10 s that is 2.6-4.7 ms of CPU a second (0.3-0.5% of a core) for at most 10 s
-- of staleness; every second it would be 3-5% of a core, every minute 0.05-0.08% for a minute.
-- Tests that write rates by hand wait for the period (tests/harness/exchange-rates.ts).

-- On a ClickHouse server (CLICKHOUSE_URL): a refreshable view runs inside the server and stores
-- no credentials (a dictionary with a CLICKHOUSE source would hold a user and password, and break
-- when it rotates). Refreshable materialized views are production-ready from 24.10; on 23.12 to
-- 24.9 the migration needs `allow_experimental_refreshable_materialized_view = 1` in the
-- ShelfStream user's profile (and a version that knows SYSTEM WAIT VIEW, which came during that
-- experimental period), and older servers cannot run it. The swap needs an Atomic database
-- (the default since 20.10). The writers' `SYSTEM REFRESH VIEW` / `SYSTEM WAIT VIEW` need the
-- SYSTEM VIEWS privilege for ShelfStream's user (the default user has it).

CREATE OR REPLACE VIEW ${database}.exchange_rate_daily_computed
(
    currency            String COMMENT 'ISO 4217 code of the currency',
    business_date       Date COMMENT 'The date the rate is asked for (a sale''s business date)',
    rate                Float64 COMMENT 'Units of currency for one unit of base_currency in force that day',
    rate_date           Date COMMENT 'Date of the published rate used: business_date, or the latest earlier date with a rate (business_date for an unpublished base currency, 1 by definition)',
    days_carried        Int32 COMMENT 'Days since that rate was published (0: a rate of the day itself)',
    base_currency       String COMMENT 'Currency the rates are quoted against',
    reporting_currency  String COMMENT 'REPORTING_CURRENCY, as shelfstream init wrote it',
    to_reporting        Nullable(Float64) COMMENT 'Multiply an amount in currency by this to get reporting_currency (both rates of the same business date); NULL when the reporting currency has no rate yet'
)
AS WITH
    rates AS (SELECT currency, base_currency, rate_date, rate FROM ${database}.dim_exchange_rate FINAL),
    -- The base currency is 1 by definition: a chain whose rates feed lists only the others still
    -- converts the base currency's sales, every day.
    bases AS (SELECT DISTINCT toString(base_currency) AS base FROM rates WHERE base_currency NOT IN (SELECT currency FROM rates)),
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
        UNION ALL
        SELECT b.base AS currency, d.date AS business_date, 1 AS rate, d.date AS rate_date, b.base AS base_currency
        FROM bases AS b CROSS JOIN (SELECT date FROM ${database}.dim_date FINAL) AS d
    )
SELECT
    currency, business_date, rate, rate_date, toInt32(dateDiff('day', rate_date, business_date)) AS days_carried, base_currency, reporting_currency,
    -- The base currency needs no published rate of its own: it is 1 by definition.
    if(reporting_currency = base_currency, 1, reporting_rate) / rate AS to_reporting
FROM
(
    SELECT
        d.currency AS currency, d.business_date AS business_date, d.rate AS rate, d.rate_date AS rate_date, d.base_currency AS base_currency,
        toString(rep.currency) AS reporting_currency,
        -- The reporting currency's own rate that day, NULL when it has none.
        anyIf(toNullable(d.rate), d.currency = reporting_currency) OVER (PARTITION BY d.business_date) AS reporting_rate
    FROM by_day AS d
    CROSS JOIN (SELECT currency FROM ${database}.reporting_currency FINAL) AS rep
)
COMMENT 'exchange_rate_daily computed from its inputs (the definition of 0030): what exchange_rate_daily_refresh copies into exchange_rate_daily_rows, and what a test compares them with';

CREATE TABLE IF NOT EXISTS ${database}.exchange_rate_daily_rows
(
    currency            String COMMENT 'ISO 4217 code of the currency',
    business_date       Date COMMENT 'The date the rate is asked for (a sale''s business date)',
    rate                Float64 COMMENT 'Units of currency for one unit of base_currency in force that day',
    rate_date           Date COMMENT 'Date of the published rate used: business_date, or the latest earlier date with a rate (business_date for an unpublished base currency, 1 by definition)',
    days_carried        Int32 COMMENT 'Days since that rate was published (0: a rate of the day itself)',
    base_currency       String COMMENT 'Currency the rates are quoted against',
    reporting_currency  String COMMENT 'REPORTING_CURRENCY, as shelfstream init wrote it',
    to_reporting        Nullable(Float64) COMMENT 'Multiply an amount in currency by this to get reporting_currency (both rates of the same business date); NULL when the reporting currency has no rate yet'
)
ENGINE = MergeTree
ORDER BY (currency, business_date)
COMMENT 'exchange_rate_daily_computed materialised: rewritten whole by exchange_rate_daily_refresh every 10 s and whenever ShelfStream writes a rate, the calendar or the reporting currency';

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.exchange_rate_daily_refresh
REFRESH EVERY 10 SECOND
TO ${database}.exchange_rate_daily_rows
(
    currency            String COMMENT 'ISO 4217 code of the currency',
    business_date       Date COMMENT 'The date the rate is asked for (a sale''s business date)',
    rate                Float64 COMMENT 'Units of currency for one unit of base_currency in force that day',
    rate_date           Date COMMENT 'Date of the published rate used: business_date, or the latest earlier date with a rate (business_date for an unpublished base currency, 1 by definition)',
    days_carried        Int32 COMMENT 'Days since that rate was published (0: a rate of the day itself)',
    base_currency       String COMMENT 'Currency the rates are quoted against',
    reporting_currency  String COMMENT 'REPORTING_CURRENCY, as shelfstream init wrote it',
    to_reporting        Nullable(Float64) COMMENT 'Multiply an amount in currency by this to get reporting_currency (both rates of the same business date); NULL when the reporting currency has no rate yet'
)
AS SELECT currency, business_date, rate, rate_date, days_carried, base_currency, reporting_currency, to_reporting
FROM ${database}.exchange_rate_daily_computed
COMMENT 'Rewrites exchange_rate_daily_rows from exchange_rate_daily_computed every 10 s (a new table swapped in); SYSTEM REFRESH VIEW runs it at once';

-- The first fill, before exchange_rate_daily reads the table: the refresh that CREATE starts runs
-- in the background.
SYSTEM REFRESH VIEW ${database}.exchange_rate_daily_refresh;
SYSTEM WAIT VIEW ${database}.exchange_rate_daily_refresh;

CREATE OR REPLACE VIEW ${database}.exchange_rate_daily
(
    currency            String COMMENT 'ISO 4217 code of the currency',
    business_date       Date COMMENT 'The date the rate is asked for (a sale''s business date)',
    rate                Float64 COMMENT 'Units of currency for one unit of base_currency in force that day',
    rate_date           Date COMMENT 'Date of the published rate used: business_date, or the latest earlier date with a rate (business_date for an unpublished base currency, 1 by definition)',
    days_carried        Int32 COMMENT 'Days since that rate was published (0: a rate of the day itself)',
    base_currency       String COMMENT 'Currency the rates are quoted against',
    reporting_currency  String COMMENT 'REPORTING_CURRENCY, as shelfstream init wrote it',
    to_reporting        Nullable(Float64) COMMENT 'Multiply an amount in currency by this to get reporting_currency (both rates of the same business date); NULL when the reporting currency has no rate yet'
)
AS SELECT currency, business_date, rate, rate_date, days_carried, base_currency, reporting_currency, to_reporting
FROM ${database}.exchange_rate_daily_rows
COMMENT 'Exchange rate of every currency on every calendar date (latest earlier rate when a day has none; the base currency 1 whether published or not) and its factor to the reporting currency';
