-- Holidays for every store's region, including regions the chain imports later.
--
-- dim_holiday held one row per region of the chain's built-in region table
-- (lib/domain/regions.ts) and date, so a store imported in a region outside it (`shelfstream
-- masterdata import`, a store system publishing md.stores) had no holidays at all: its Easter or
-- Eid was an ordinary day to BI and to the forecast. The holiday rules are per calendar (western,
-- muslim: lib/domain/calendar.ts), not per region, so `shelfstream init` now writes them once
-- per calendar (holiday_calendar) and the built-in regions' calendars (region_calendar), and
-- dim_holiday becomes a view that gives every region its calendar's holidays: the calendar a
-- store of the region declares (dim_store.holiday_calendar, from md.stores; the most recently
-- updated declaring store wins), else the built-in table's. A store published tomorrow in a new
-- region has its holidays at the next query, with no init and no rebuild.
--
-- dim_holiday's rows were derived data (init wrote them from the rules), so the table is
-- dropped, not migrated: init fills the new tables, as it filled the old one.

ALTER TABLE ${database}.dim_store
    ADD COLUMN IF NOT EXISTS holiday_calendar LowCardinality(String) DEFAULT '' COMMENT 'Holiday calendar the store keeps (western or muslim); empty: its region''s calendar in the chain''s region table' AFTER vat_rate;

CREATE TABLE IF NOT EXISTS ${database}.holiday_calendar
(
    date               Date COMMENT 'The date of the holiday (a store''s local date)',
    culture            LowCardinality(String) COMMENT 'Holiday calendar: western or muslim',
    holiday_name       LowCardinality(String) COMMENT 'Holiday or holiday period (Easter Sunday, Ramadan, Eid al-Fitr preparations...)',
    store_closed       Bool COMMENT 'Stores keeping this calendar close on this day',
    demand_factor      Float64 COMMENT 'Demand multiplier the simulator applies to categories without their own factor',
    calendar_version   String COMMENT 'Checksum of the holiday rules that produced the row'
)
ENGINE = ReplacingMergeTree
ORDER BY (date, culture, holiday_name)
COMMENT 'Holidays per calendar and date (dimension), filled by shelfstream init from lib/domain/calendar.ts; dim_holiday gives them to regions';

CREATE TABLE IF NOT EXISTS ${database}.region_calendar
(
    region             LowCardinality(String) COMMENT 'Sales region of the chain''s built-in region table (lib/domain/regions.ts)',
    culture            LowCardinality(String) COMMENT 'The holiday calendar the region keeps: western or muslim',
    calendar_version   String COMMENT 'Checksum of the region table and holiday rules that produced the row'
)
ENGINE = ReplacingMergeTree
ORDER BY region
COMMENT 'Holiday calendar of each built-in region, filled by shelfstream init; a store''s own dim_store.holiday_calendar overrides it for its region';

DROP TABLE IF EXISTS ${database}.dim_holiday;

CREATE VIEW IF NOT EXISTS ${database}.dim_holiday
(
    date               Date COMMENT 'The date of the holiday (the store''s local date)',
    region             String COMMENT 'Sales region, as in dim_store.region',
    culture            String COMMENT 'How the region keeps holidays: western or muslim',
    holiday_name       String COMMENT 'Holiday or holiday period (Easter Sunday, Ramadan, Eid al-Fitr preparations...)',
    store_closed       Bool COMMENT 'Stores of the region close on this day',
    demand_factor      Float64 COMMENT 'Demand multiplier the simulator applies to categories without their own factor',
    calendar_version   String COMMENT 'Checksum of the holiday rules that produced the row'
)
AS SELECT h.date AS date, r.region AS region, r.culture AS culture, toString(h.holiday_name) AS holiday_name,
          h.store_closed AS store_closed, h.demand_factor AS demand_factor, h.calendar_version AS calendar_version
FROM ${database}.holiday_calendar AS h FINAL
INNER JOIN
(
    -- A declaring store outranks the built-in table; among stores the newest declaration wins.
    SELECT region, argMax(culture, rank) AS culture
    FROM
    (
        SELECT toString(region) AS region, toString(culture) AS culture, tuple(0, toDateTime64(0, 3, 'UTC')) AS rank
        FROM ${database}.region_calendar FINAL
        UNION ALL
        SELECT toString(region), toString(holiday_calendar), tuple(1, updated_at)
        FROM ${database}.dim_store FINAL
        WHERE holiday_calendar != ''
    )
    GROUP BY region
) AS r ON r.culture = toString(h.culture)
COMMENT 'Holidays per region and date (dimension): every region of a store or of the built-in region table gets its calendar''s holidays';

CREATE OR REPLACE VIEW ${database}.bi_holidays
(
    date            Date COMMENT 'Date of the holiday (local date)',
    region          String COMMENT 'Sales region',
    culture         String COMMENT 'western or muslim',
    holiday_name    String COMMENT 'Holiday or holiday period',
    store_closed    Bool COMMENT 'Stores of the region close on this day',
    demand_factor   Float64 COMMENT 'Demand multiplier for most categories (1 = a normal day)'
)
AS SELECT date, region, culture, holiday_name, store_closed, demand_factor
FROM ${database}.dim_holiday
COMMENT 'Holidays for BI: one row per region x date x holiday, for every region of a store (including regions imported later)';
