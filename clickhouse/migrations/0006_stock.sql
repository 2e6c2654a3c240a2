-- Written by the stock processor (streams/stock). stockout_risk holds the latest state of every
-- store x sku: one row per key, ReplacingMergeTree(version), where version grows with every
-- record applied to the key and every day its store's demand shape or delivery pool learned,
-- so the row of the final state wins and a replay rewrites rows in place. stock_state is the
-- processor's snapshot (state plus the input offsets it covers), read back when a task starts.
-- No insert deduplication window on either: rows are idempotent by key and version, and a replay
-- after a crash may carry the same offset ranges with other rows.
-- No TTL on either, on purpose. Both hold one row per store x sku after merges, so they stay as
-- small as the assortment without one. A TTL on the event time would remove the latest state of
-- a key whose last event is old: a sku that stopped selling would vanish from stockout_risk
-- (exactly the dead stock a store wants to see), and its snapshot from stock_state, so a restart
-- would rebuild its books from nothing; and a backfill of history older than the TTL would
-- write rows that ClickHouse drops at once (found by tests/integration/stock.test.ts, whose
-- simulated weeks lie in the past). Retention applies to the event tables the state came from.

CREATE TABLE IF NOT EXISTS ${database}.stockout_risk
(
    store_id                   LowCardinality(String) COMMENT 'Store',
    sku                        String COMMENT 'Product',
    on_hand                    Int64 COMMENT 'Book units on hand: the latest cycle count plus every later sale, restocked return and movement',
    on_hand_known              Bool COMMENT 'True once a cycle count set the absolute level; before, on_hand is relative to an unreported opening stock',
    last_count_at              Nullable(DateTime64(3, 'UTC')) COMMENT 'Time of the latest cycle count applied (UTC)',
    sales_rate_per_day         Float64 COMMENT 'Units sold per day, exponentially weighted over about two weeks',
    hours_to_stockout          Nullable(Float64) COMMENT 'Hours until expected sales reach on_hand (hour-of-week shaped); null when unknown or beyond 28 days',
    next_delivery_expected_at  DateTime64(3, 'UTC') COMMENT 'Expected next delivery, from the receipt cadence of the sku (or its store)',
    last_receipt_at            Nullable(DateTime64(3, 'UTC')) COMMENT 'Time of the latest delivery received (UTC)',
    expected_units_to_delivery Float64 COMMENT 'Units expected to sell until the next delivery',
    risk                       Nullable(Float64) COMMENT 'Probability of running out before the next delivery (negative binomial demand); null until the books are known and 3 days of sales history exist',
    risk_alert_open            Bool COMMENT 'True while a STOCKOUT_RISK alert is raised and not resolved',
    out_of_stock               Bool COMMENT 'True while an OUT_OF_STOCK alert is raised (books at 0 or below)',
    updated_at                 DateTime64(3, 'UTC') COMMENT 'Event time of the latest record applied to this store x sku (the as-of time of the figures)',
    version                    UInt64 COMMENT 'Grows with every state change; the newest row per store x sku wins'
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (store_id, sku)
COMMENT 'Stock-out risk per store x sku: latest book on-hand, sales rate, hours to stock-out, expected delivery and risk';

CREATE TABLE IF NOT EXISTS ${database}.stock_state
(
    input_partition UInt32 COMMENT 'Input partition whose task owns the key (all stock topics are co-partitioned by store_id)',
    store_id        LowCardinality(String) COMMENT 'Store',
    sku             String COMMENT 'Product; empty for the store''s own state (demand shape, delivery pool)',
    state           String COMMENT 'The key''s state as JSON: books, last applied offset per input topic, rate, cadence, open alerts',
    version         UInt64 COMMENT 'Records applied to the key: the newest snapshot wins',
    updated_at      DateTime64(3, 'UTC') COMMENT 'Event time of the latest record in the snapshot (UTC)'
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (input_partition, store_id, sku)
COMMENT 'Snapshot of the stock processor''s state per key, with the input offsets it covers (restored at task start, then replay)';

-- Business names in snake_case like the other bi_* views (0005_bi_model.sql), no UInt64 (Power
-- BI cannot load it), read with FINAL so each store x sku shows once.
CREATE VIEW IF NOT EXISTS ${database}.bi_stockout_risk
(
    store_id                    String COMMENT 'Store code',
    sku                         String COMMENT 'Product code (stock keeping unit)',
    units_on_hand               Int64 COMMENT 'Book units on hand',
    on_hand_known               Bool COMMENT 'True once a cycle count set the absolute level',
    last_count_at               Nullable(DateTime64(3, 'UTC')) COMMENT 'Latest cycle count (UTC)',
    units_sold_per_day          Float64 COMMENT 'Recent sales rate, units per day',
    hours_to_stockout           Nullable(Float64) COMMENT 'Hours until expected sales reach the units on hand',
    next_delivery_expected_at   DateTime64(3, 'UTC') COMMENT 'Expected next delivery (UTC)',
    last_delivery_at            Nullable(DateTime64(3, 'UTC')) COMMENT 'Latest delivery received (UTC)',
    units_expected_to_delivery  Float64 COMMENT 'Units expected to sell before the next delivery',
    stockout_risk               Nullable(Float64) COMMENT 'Probability of running out before the next delivery (0-1)',
    risk_alert_open             Bool COMMENT 'A stock-out risk alert is open',
    out_of_stock                Bool COMMENT 'The books show no units',
    as_of                       DateTime64(3, 'UTC') COMMENT 'Event time the figures refer to (UTC)'
)
AS SELECT
    toString(store_id) AS store_id,
    sku,
    on_hand AS units_on_hand,
    on_hand_known,
    last_count_at,
    sales_rate_per_day AS units_sold_per_day,
    hours_to_stockout,
    next_delivery_expected_at,
    last_receipt_at AS last_delivery_at,
    expected_units_to_delivery AS units_expected_to_delivery,
    risk AS stockout_risk,
    risk_alert_open,
    out_of_stock,
    updated_at AS as_of
FROM ${database}.stockout_risk FINAL
COMMENT 'Stock-out risk per store and product with business column names (no UInt64 columns, for Power BI)';
