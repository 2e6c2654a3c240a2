-- Fact tables written by the warehouse processor (streams/warehouse), one row per sale line,
-- return line, void and inventory movement. Keys are the event's own identity (event_id and
-- line), and the tables are ReplacingMergeTree: a replay or a retry re-writes a row in place
-- instead of adding one. Read with FINAL (the bi_* views do) for exact counts at any moment.

CREATE TABLE IF NOT EXISTS ${database}.fact_sale_lines
(
    event_id        UUID COMMENT 'The sale event (its idempotency key)',
    line_number     UInt16 COMMENT 'Position of the line in the basket',
    occurred_at     DateTime64(3, 'UTC') COMMENT 'When the sale completed (event time, UTC)',
    store_id        LowCardinality(String) COMMENT 'Store',
    terminal_id     LowCardinality(String) COMMENT 'Terminal',
    transaction_id  String COMMENT 'Transaction number at the terminal',
    cashier_id      LowCardinality(String) COMMENT 'Cashier',
    payment_method  LowCardinality(String) COMMENT 'CASH, CARD, MOBILE, GIFT_CARD or OTHER',
    currency        LowCardinality(String) COMMENT 'ISO 4217 currency',
    sku             String COMMENT 'Product',
    quantity        Int32 COMMENT 'Units sold',
    unit_price      Int64 COMMENT 'Shelf price of one unit, minor units',
    discount        Int64 COMMENT 'Discount on the line, minor units',
    net_amount      Int64 COMMENT 'quantity x unit_price - discount, minor units',
    promotion_id    Nullable(String) COMMENT 'Promotion that gave the discount',
    source_offset   UInt64 COMMENT 'Kafka offset of the event (the version: a re-read replaces the row with itself)'
)
ENGINE = ReplacingMergeTree(source_offset)
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (store_id, toDate(occurred_at), sku, event_id, line_number)
TTL toDateTime(occurred_at) + INTERVAL 730 DAY
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Sale lines (fact): one row per line of every completed sale';

CREATE TABLE IF NOT EXISTS ${database}.fact_return_lines
(
    event_id                 UUID COMMENT 'The return event',
    line_number              UInt16 COMMENT 'Position of the line in the return, from 1',
    occurred_at              DateTime64(3, 'UTC') COMMENT 'When the return was processed (UTC)',
    store_id                 LowCardinality(String) COMMENT 'Store',
    terminal_id              LowCardinality(String) COMMENT 'Terminal',
    return_id                String COMMENT 'Return number at the terminal',
    original_transaction_id  Nullable(String) COMMENT 'The sale returned, when known',
    sku                      String COMMENT 'Product returned',
    quantity                 Int32 COMMENT 'Units returned',
    refund_amount            Int64 COMMENT 'Refund, minor units',
    restockable              Bool COMMENT 'True when the units went back on the shelf',
    reason                   LowCardinality(String) COMMENT 'Why it was returned',
    currency                 LowCardinality(String) COMMENT 'ISO 4217 currency',
    source_offset            UInt64 COMMENT 'Kafka offset of the event (the version)'
)
ENGINE = ReplacingMergeTree(source_offset)
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (store_id, toDate(occurred_at), sku, event_id, line_number)
TTL toDateTime(occurred_at) + INTERVAL 730 DAY
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Return lines (fact): one row per line of every return';

CREATE TABLE IF NOT EXISTS ${database}.fact_voids
(
    event_id        UUID COMMENT 'The void event',
    occurred_at     DateTime64(3, 'UTC') COMMENT 'When the void happened (UTC)',
    store_id        LowCardinality(String) COMMENT 'Store',
    terminal_id     LowCardinality(String) COMMENT 'Terminal',
    transaction_id  String COMMENT 'Transaction voided',
    cashier_id      LowCardinality(String) COMMENT 'Cashier',
    supervisor_id   Nullable(String) COMMENT 'Supervisor who approved it',
    line_count      Int32 COMMENT 'Lines on the voided transaction',
    void_total      Int64 COMMENT 'Value voided, minor units',
    reason          LowCardinality(String) COMMENT 'Why it was voided',
    currency        LowCardinality(String) COMMENT 'ISO 4217 currency',
    source_offset   UInt64 COMMENT 'Kafka offset of the event (the version)'
)
ENGINE = ReplacingMergeTree(source_offset)
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (store_id, toDate(occurred_at), terminal_id, event_id)
TTL toDateTime(occurred_at) + INTERVAL 730 DAY
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Voided transactions (fact)';

CREATE TABLE IF NOT EXISTS ${database}.fact_inventory_movements
(
    event_id        UUID COMMENT 'The movement or count event',
    occurred_at     DateTime64(3, 'UTC') COMMENT 'When the stock changed or was counted (UTC)',
    store_id        LowCardinality(String) COMMENT 'Store',
    sku             String COMMENT 'Product',
    movement_type   LowCardinality(String) COMMENT 'RECEIPT, SHRINK, TRANSFER_IN, TRANSFER_OUT, COUNT_CORRECTION, or COUNT for an absolute cycle count',
    quantity_delta  Nullable(Int32) COMMENT 'Signed change of on_hand in units; NULL for a COUNT',
    counted_on_hand Nullable(Int32) COMMENT 'Units found by a COUNT; NULL for movements',
    reason          String COMMENT 'Reason, or who counted',
    reference_id    Nullable(String) COMMENT 'Purchase order, transfer or count reference',
    unit_cost       Nullable(Int64) COMMENT 'Cost of one unit for receipts, minor units',
    source_offset   UInt64 COMMENT 'Kafka offset of the event (the version)'
)
ENGINE = ReplacingMergeTree(source_offset)
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (store_id, sku, occurred_at, event_id)
TTL toDateTime(occurred_at) + INTERVAL 730 DAY
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Inventory movements and cycle counts (fact)';
