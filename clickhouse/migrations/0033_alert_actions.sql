-- What store managers did about alerts from the web app (issue 16): each acknowledgement and
-- snooze, as the alerts service read it from shelfstream.alerts (state ACKNOWLEDGED or SNOOZED),
-- so the history answers "who acknowledged this, and when" next to the alert's own rows. A table
-- of its own rather than rows of `alerts`: that table keeps one row per alert and state, and a
-- second snooze of the same alert would replace the first. The key is the event itself (alert,
-- when, who, what), so an event read again after a restart replaces its row. It has a store_id,
-- so `init` gives it the BI users' row policy like every store table.

CREATE TABLE IF NOT EXISTS ${database}.alert_actions
(
    alert_id       String COMMENT 'The alert acted on (alerts.alert_id)',
    action         LowCardinality(String) COMMENT 'ACKNOWLEDGED or SNOOZED',
    acted_at       DateTime64(3, 'UTC') COMMENT 'When the person acted (UTC)',
    acted_by       String COMMENT 'The signed-in user who acted',
    snoozed_until  Nullable(DateTime64(3, 'UTC')) COMMENT 'For SNOOZED: no reminder before this time (UTC); null otherwise',
    store_id       LowCardinality(String) COMMENT 'Store of the alert',
    sku            Nullable(String) COMMENT 'Product of the alert; null for store-level alerts',
    alert_type     LowCardinality(String) COMMENT 'Type of the alert (STOCKOUT_RISK, OUT_OF_STOCK, ...)'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(acted_at)
ORDER BY (store_id, alert_id, acted_at, acted_by, action)
TTL toDateTime(acted_at) + INTERVAL 365 DAY
COMMENT 'Acknowledgements and snoozes of alerts from the web app: one row per action';

CREATE VIEW IF NOT EXISTS ${database}.bi_alert_actions
(
    alert_id       String COMMENT 'Alert id (bi_alerts.alert_id)',
    action         String COMMENT 'ACKNOWLEDGED or SNOOZED',
    acted_at       DateTime64(3, 'UTC') COMMENT 'When (UTC)',
    acted_by       String COMMENT 'Who (the signed-in user)',
    snoozed_until  Nullable(DateTime64(3, 'UTC')) COMMENT 'For a snooze: until when (UTC)',
    store_id       String COMMENT 'Store code',
    sku            Nullable(String) COMMENT 'Product code',
    alert_type     String COMMENT 'Type of the alert'
)
AS SELECT alert_id, action, acted_at, acted_by, snoozed_until, store_id, sku, alert_type
FROM ${database}.alert_actions FINAL
COMMENT 'Who acknowledged or snoozed which alert, and when, for BI and the web app';
