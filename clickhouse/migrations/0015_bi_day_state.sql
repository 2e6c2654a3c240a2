-- Which business days are clean, and where the open days start, as a small table kept by
-- materialized views instead of joins at every query (issue 11 item 5, the bi-query bench).
-- Every bi_* sales view reads days_clean twice (the closed days' aggregates, and the facts of
-- every other day) and days_open_from once; in 0010 each was a hash join of days_closed FINAL
-- with the touched dates expanded to the business days around them, and days_open_from joined
-- twice more. On the bench's year (18k closed days, 50 stores) days_open_from took about 40 ms
-- and days_clean 25 ms a query, before a row of sales was read; here both are a GROUP BY over
-- one row per store x day (days_state): about 11 and 14 ms on the same copy.
--
-- Same answers as 0010, row for row (checked on the bench's year: same rows, same hash):
--  - a day's closing is max(closed_at) over its days_closed rows: ReplacingMergeTree(closed_at)
--    keeps the row with the greatest closed_at, so FINAL gave that same value;
--  - a day's last touch is max(touched_at) over the UTC dates around it (1970 when none, as the
--    LEFT JOIN of 0010 gave the column's default), and the day is clean when that is not after
--    its closing.
-- Only maxima are kept, so a retried insert, a replay or a row seen both by a view and by the
-- backfill below changes nothing.

CREATE TABLE IF NOT EXISTS ${database}.days_state
(
    fact           LowCardinality(String) COMMENT 'Which facts: sales',
    store_id       LowCardinality(String) COMMENT 'Store',
    business_date  Date COMMENT 'A business day that was closed or may hold touched facts',
    is_closed      SimpleAggregateFunction(max, UInt8) COMMENT '1 once the closing job closed the day',
    closed_at      SimpleAggregateFunction(max, DateTime64(3, 'UTC')) COMMENT 'Its last closing (1970 when never closed)',
    touched_at     SimpleAggregateFunction(max, DateTime64(3, 'UTC')) COMMENT 'Last insert of facts on a UTC date around it (1970 when none)'
)
ENGINE = AggregatingMergeTree
ORDER BY (fact, store_id, business_date)
COMMENT 'Per store x business day: whether it was closed, when last, and the last insert of facts around it (maxima, so a repeated or retried insert changes nothing); kept by the two materialized views below, read by days_clean and days_open_from';

-- A closing marks its day.
CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.days_state_closed_mv TO ${database}.days_state
(
    fact           LowCardinality(String) COMMENT 'Which facts',
    store_id       LowCardinality(String) COMMENT 'Store',
    business_date  Date COMMENT 'The business day closed',
    is_closed      UInt8 COMMENT '1',
    closed_at      DateTime64(3, 'UTC') COMMENT 'When the closing began',
    touched_at     DateTime64(3, 'UTC') COMMENT '1970: a closing touches nothing'
)
AS SELECT fact, store_id, business_date, toUInt8(1) AS is_closed, closed_at, toDateTime64(0, 3, 'UTC') AS touched_at
FROM ${database}.days_closed
COMMENT 'Marks every closing in days_state';

-- A touched UTC date touches the business days around it (zones are within a day of UTC).
CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.days_state_touched_mv TO ${database}.days_state
(
    fact           LowCardinality(String) COMMENT 'Which facts',
    store_id       LowCardinality(String) COMMENT 'Store',
    business_date  Date COMMENT 'A business day around the touched UTC date',
    is_closed      UInt8 COMMENT '0: a touch closes nothing',
    closed_at      DateTime64(3, 'UTC') COMMENT '1970: a touch closes nothing',
    touched_at     DateTime64(3, 'UTC') COMMENT 'When facts of that UTC date were inserted'
)
AS SELECT fact, store_id, arrayJoin([utc_date - 1, utc_date, utc_date + 1]) AS business_date, toUInt8(0) AS is_closed, toDateTime64(0, 3, 'UTC') AS closed_at, touched_at
FROM ${database}.days_touched
COMMENT 'Marks every insert of facts in days_state, on the business days around its UTC date';

-- What was there before the views: after them, so a row inserted meanwhile is counted by one
-- or both, and counting it twice changes no maximum.
INSERT INTO ${database}.days_state (fact, store_id, business_date, is_closed, closed_at, touched_at)
SELECT fact, store_id, business_date, toUInt8(1), closed_at, toDateTime64(0, 3, 'UTC') FROM ${database}.days_closed;

INSERT INTO ${database}.days_state (fact, store_id, business_date, is_closed, closed_at, touched_at)
SELECT fact, store_id, arrayJoin([utc_date - 1, utc_date, utc_date + 1]), toUInt8(0), toDateTime64(0, 3, 'UTC'), touched_at FROM ${database}.days_touched;

CREATE OR REPLACE VIEW ${database}.days_clean
(
    fact           String COMMENT 'Which facts',
    store_id       String COMMENT 'Store',
    business_date  Date COMMENT 'A closed business day not touched since its closing: its aggregates are final'
)
AS SELECT toString(fact) AS fact, toString(store_id) AS store_id, business_date
FROM ${database}.days_state
GROUP BY fact, store_id, business_date
HAVING max(is_closed) = 1 AND max(touched_at) <= max(closed_at)
COMMENT 'Closed business days whose aggregates are final (no fact touched after the closing): the bi_* views read the facts for every other day';

CREATE OR REPLACE VIEW ${database}.days_open_from
(
    fact       String COMMENT 'Which facts',
    open_from  DateTime('UTC') COMMENT 'No fact before this instant belongs to a day that is not clean (a day of slack for any time zone)'
)
AS SELECT fact, toDateTime(min(first_open) - 1, 'UTC') AS open_from
FROM
(
    -- A store with closed days: its first day after the last closed one, or an earlier closed
    -- day touched since; a store never closed: its first touched UTC date.
    SELECT fact, store_id,
        if(max(closed) = 1,
           -- OrNull: with no dirty day, minIf would answer 1970 and read every fact.
           least(maxIf(business_date, closed = 1) + 1, ifNull(minIfOrNull(business_date, closed = 1 AND touched > closed_time), toDate('2149-06-06'))),
           minIf(business_date, touched > toDateTime64(0, 3, 'UTC')) + 1) AS first_open
    FROM
    (
        SELECT toString(fact) AS fact, toString(store_id) AS store_id, business_date, max(is_closed) AS closed, max(closed_at) AS closed_time, max(touched_at) AS touched
        FROM ${database}.days_state
        GROUP BY fact, store_id, business_date
    )
    GROUP BY fact, store_id
)
GROUP BY fact
COMMENT 'Where the views start reading facts: the earliest day not clean, over all stores (so the facts of clean days are not scanned)';
