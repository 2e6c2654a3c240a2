-- Alerts raised and resolved by the stock and anomaly processors: the same events they publish
-- to the shelfstream.alerts topic, kept for BI and for scoring detection quality. alert_id is
-- deterministic (processor, type, store, sku and the input offset that raised it), so a replay
-- or a restart rewrites an alert in place: ReplacingMergeTree keeps one row per alert and state.

CREATE TABLE IF NOT EXISTS ${database}.alerts
(
    alert_id     String COMMENT 'Deterministic id of the situation (same after a replay)',
    state        LowCardinality(String) COMMENT 'RAISED or RESOLVED',
    occurred_at  DateTime64(3, 'UTC') COMMENT 'Event time of the record that raised or resolved the alert (UTC)',
    store_id     LowCardinality(String) COMMENT 'Store',
    sku          Nullable(String) COMMENT 'Product; null for store- or terminal-level alerts',
    terminal_id  Nullable(String) COMMENT 'Terminal, for void bursts; null otherwise',
    alert_type   LowCardinality(String) COMMENT 'STOCKOUT_RISK, OUT_OF_STOCK, DEMAND_SPIKE, DEMAND_DROP, PHANTOM_INVENTORY, PRICE_ERROR or VOID_BURST',
    severity     LowCardinality(String) COMMENT 'INFO, WARNING or CRITICAL',
    score        Float64 COMMENT 'Strength of the evidence: a probability for stock-out risk, a standardised deviation for anomalies',
    reason       String COMMENT 'Human-readable explanation',
    processor    LowCardinality(String) COMMENT 'Processor that raised it (stock, anomaly)',
    measures     Map(String, Float64) COMMENT 'Numbers behind the alert by name (on_hand, expected_units, ...)',
    version      UInt64 COMMENT 'Input offset that produced this row: the newest version of an alert state wins'
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (store_id, alert_type, alert_id, state)
TTL toDateTime(occurred_at) + INTERVAL 365 DAY
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Alerts (stock-out risk and anomalies): one row per alert and state, deduplicated by alert_id';
