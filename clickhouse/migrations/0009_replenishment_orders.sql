-- Replenishment (purchase) orders, landed by the warehouse processor from inventory.orders, and
-- what the stock processor now makes of them.
--
-- fact_replenishment_orders is a fact like fact_inventory_movements: one row per order event,
-- ReplacingMergeTree(source_offset) keyed by the event, so a replay rewrites rows in place, with
-- the facts' insert deduplication window and TTL (CLICKHOUSE_TTL_FACT_DAYS, via retention.sql).
-- An order is open until a RECEIPT movement names it in reference_id: bi_replenishment_orders
-- joins the two, so BI sees each order with when and how much of it was received; the forecast
-- job counts the units still on order from the same two tables (services/forecast/jobs.ts).

CREATE TABLE IF NOT EXISTS ${database}.fact_replenishment_orders
(
    event_id              UUID COMMENT 'The order event',
    occurred_at           DateTime64(3, 'UTC') COMMENT 'When the order was placed (UTC)',
    store_id              LowCardinality(String) COMMENT 'Store the goods are ordered for',
    sku                   String COMMENT 'Product ordered',
    order_id              String COMMENT 'Purchase order id; the RECEIPT movements of its delivery carry it in reference_id',
    quantity              Int32 COMMENT 'Units ordered',
    expected_delivery_at  DateTime64(3, 'UTC') COMMENT 'Planned delivery time (UTC): the lead time after the order, at the store''s receiving slot; a supplier may deliver later',
    lead_time_days        Int32 COMMENT 'Supplier lead time of the product, days',
    source_offset         UInt64 COMMENT 'Kafka offset of the event (the version)'
)
ENGINE = ReplacingMergeTree(source_offset)
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (store_id, sku, occurred_at, event_id)
TTL toDateTime(occurred_at) + INTERVAL 730 DAY
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Replenishment orders placed per store x sku with their planned delivery (fact)';

CREATE VIEW IF NOT EXISTS ${database}.bi_replenishment_orders
(
    order_id              String COMMENT 'Purchase order id',
    ordered_at            DateTime64(3, 'UTC') COMMENT 'When the order was placed (UTC)',
    order_date            Date COMMENT 'Date of the order (UTC)',
    store_id              String COMMENT 'Store code',
    sku                   String COMMENT 'Product code',
    units_ordered         Int32 COMMENT 'Units ordered',
    lead_time_days        Int32 COMMENT 'Supplier lead time, days',
    expected_delivery_at  DateTime64(3, 'UTC') COMMENT 'Planned delivery (UTC)',
    received_at           Nullable(DateTime64(3, 'UTC')) COMMENT 'First receipt against the order (UTC); empty while the order is open',
    units_received        Int64 COMMENT 'Units received against the order so far (a short delivery brings fewer than ordered)',
    delivery_delay_hours  Nullable(Float64) COMMENT 'Hours the first receipt came after the planned delivery (negative: early); empty while open',
    is_open               Bool COMMENT 'No receipt names the order yet: its units are still on order'
)
AS SELECT
    o.order_id AS order_id, o.occurred_at AS ordered_at, toDate(o.occurred_at) AS order_date, toString(o.store_id) AS store_id, o.sku AS sku,
    o.quantity AS units_ordered, o.lead_time_days AS lead_time_days, o.expected_delivery_at AS expected_delivery_at,
    r.received_at AS received_at, ifNull(r.units, 0) AS units_received,
    dateDiff('second', o.expected_delivery_at, r.received_at) / 3600 AS delivery_delay_hours,
    toBool(r.received_at IS NULL) AS is_open
FROM ${database}.fact_replenishment_orders AS o FINAL
LEFT JOIN
(
    SELECT store_id, reference_id, min(occurred_at) AS received_at, sum(quantity_delta) AS units
    FROM ${database}.fact_inventory_movements FINAL
    WHERE movement_type = 'RECEIPT' AND reference_id IS NOT NULL
    GROUP BY store_id, reference_id
) AS r ON r.store_id = o.store_id AND r.reference_id = o.order_id
SETTINGS join_use_nulls = 1
COMMENT 'Replenishment orders with their receipts: planned and actual delivery, units received, open orders';

-- The stock processor (streams/stock) now takes the next delivery from open orders and the
-- store's next review instead of the receipt cadence: the comments of 0006_stock.sql say so.
ALTER TABLE ${database}.stockout_risk
    COMMENT COLUMN next_delivery_expected_at 'Earliest next delivery: the planned delivery of an open order (an overdue one: the next receiving slot), or that of an order placed at the store''s next review, whichever comes first';
ALTER TABLE ${database}.stock_state
    COMMENT COLUMN sku 'Product; empty for the store''s own state (demand shape, review and receiving times, lead times of its orders)',
    COMMENT COLUMN state 'The key''s state as JSON: books, last applied offset per input topic, rate, open orders and lead time, open alerts';
