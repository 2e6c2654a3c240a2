-- Outputs of the anomaly processor (streams/anomaly): one row per alert it raised, and the
-- state it keeps between hours (baselines, evidence, books, shelf prices, open alerts), saved so
-- a restart resumes where the committed offsets point. alert_id is deterministic and version
-- orders the raise before its resolution, so a replay or a restart rewrites rows in place.

CREATE TABLE IF NOT EXISTS ${database}.anomalies
(
    alert_id      String COMMENT 'Deterministic id of the situation, the same as in the alerts table and topic',
    anomaly_type  LowCardinality(String) COMMENT 'DEMAND_SPIKE, DEMAND_DROP, PHANTOM_INVENTORY, PRICE_ERROR or VOID_BURST',
    store_id      LowCardinality(String) COMMENT 'Store',
    sku           Nullable(String) COMMENT 'Product; null for void bursts',
    terminal_id   Nullable(String) COMMENT 'Terminal, for void bursts; null otherwise',
    started_at    DateTime64(3, 'UTC') COMMENT 'Event time at which the anomaly was raised (UTC)',
    ended_at      Nullable(DateTime64(3, 'UTC')) COMMENT 'Event time at which it was resolved (UTC); null while it lasts',
    state         LowCardinality(String) COMMENT 'RAISED while it lasts, RESOLVED once over',
    severity      LowCardinality(String) COMMENT 'WARNING or CRITICAL',
    score         Float64 COMMENT 'Strength of the evidence: standardised deviation (spikes, drops), -log10 probability (phantom inventory, void bursts), log10 of the price factor (price errors)',
    expected      Float64 COMMENT 'What the baseline expected: units (demand, phantom), shelf price in minor units (price errors), voids per hour (void bursts)',
    observed      Float64 COMMENT 'What was seen, in the unit of expected',
    reason        String COMMENT 'Human-readable explanation of the raise',
    resolution    String COMMENT 'Why it was resolved; empty while it lasts',
    version       UInt64 COMMENT 'Event time (ms) x 2 + 1 once resolved: the newest state of an alert wins'
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(started_at)
ORDER BY (store_id, anomaly_type, alert_id)
TTL toDateTime(started_at) + INTERVAL 365 DAY
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Anomalies found by the anomaly processor: one row per alert, RAISED then RESOLVED in place';

CREATE TABLE IF NOT EXISTS ${database}.anomaly_state
(
    partition  UInt16 COMMENT 'Input partition number whose task owns this state (topics are co-partitioned by store_id)',
    store_id   String COMMENT 'Store; empty for the partition''s meta row',
    entity     String COMMENT 'What the state is about: meta, store, series:<sku> or terminal:<terminal_id>',
    state      String COMMENT 'The state as JSON (baselines, evidence, books, shelf price, open alerts; offsets and hours closed for meta)',
    version    UInt64 COMMENT 'Sum of the next input offsets covered by the state: grows with every record, so the newest state wins',
    saved_at   DateTime DEFAULT now() COMMENT 'When the row was written (wall clock): a series untouched for 90 days (delisted, store closed) expires'
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (partition, store_id, entity)
TTL saved_at + INTERVAL 90 DAY
COMMENT 'Snapshot of the anomaly processor''s state per partition, written after the rows it produced; restored at start';

-- For BI: business names, no UInt64 (Power BI cannot load it), the newest state of each alert.
CREATE VIEW IF NOT EXISTS ${database}.bi_anomalies
(
    `Alert ID` String COMMENT 'Id of the alert (same as in alerts)',
    `Anomaly type` String COMMENT 'DEMAND_SPIKE, DEMAND_DROP, PHANTOM_INVENTORY, PRICE_ERROR or VOID_BURST',
    `Store ID` String COMMENT 'Store',
    `SKU` Nullable(String) COMMENT 'Product',
    `Terminal ID` Nullable(String) COMMENT 'Terminal (void bursts)',
    `Started at` DateTime64(3, 'UTC') COMMENT 'When it was raised (UTC)',
    `Ended at` Nullable(DateTime64(3, 'UTC')) COMMENT 'When it was resolved (UTC)',
    `Open` Bool COMMENT 'True while not resolved',
    `Duration hours` Nullable(Float64) COMMENT 'Hours from raise to resolution',
    `Severity` String COMMENT 'WARNING or CRITICAL',
    `Score` Float64 COMMENT 'Strength of the evidence',
    `Expected` Float64 COMMENT 'What the baseline expected',
    `Observed` Float64 COMMENT 'What was seen',
    `Reason` String COMMENT 'Explanation',
    `Resolution` String COMMENT 'Why it was resolved'
)
AS SELECT
    alert_id AS `Alert ID`,
    toString(anomaly_type) AS `Anomaly type`,
    toString(store_id) AS `Store ID`,
    sku AS `SKU`,
    terminal_id AS `Terminal ID`,
    started_at AS `Started at`,
    ended_at AS `Ended at`,
    state = 'RAISED' AS `Open`,
    if(ended_at IS NULL, NULL, dateDiff('second', started_at, assumeNotNull(ended_at)) / 3600.0) AS `Duration hours`,
    toString(severity) AS `Severity`,
    score AS `Score`,
    expected AS `Expected`,
    observed AS `Observed`,
    reason AS `Reason`,
    resolution AS `Resolution`
FROM ${database}.anomalies FINAL
COMMENT 'Anomalies for BI tools: one row per alert, its newest state';
