-- bi_alert_actions (0033) on the store's clock, like every bi_* view with a UTC instant (0019):
-- a store manager's "acknowledged this morning" is the store's morning, not UTC's.

CREATE OR REPLACE VIEW ${database}.bi_alert_actions
(
    alert_id       String COMMENT 'Alert id (bi_alerts.alert_id)',
    action         String COMMENT 'ACKNOWLEDGED or SNOOZED',
    acted_at       DateTime64(3, 'UTC') COMMENT 'When (UTC)',
    acted_by       String COMMENT 'Who (the signed-in user)',
    snoozed_until  Nullable(DateTime64(3, 'UTC')) COMMENT 'For a snooze: until when (UTC)',
    store_id       String COMMENT 'Store code',
    sku            Nullable(String) COMMENT 'Product code',
    alert_type     String COMMENT 'Type of the alert',
    business_date  Date COMMENT 'The store''s business date of the action (local calendar day)',
    local_hour     Int32 COMMENT 'Hour of the action on the store''s clock, 0-23'
)
AS SELECT
    a.alert_id AS alert_id, toString(a.action) AS action, a.acted_at AS acted_at, a.acted_by AS acted_by, a.snoozed_until AS snoozed_until,
    toString(a.store_id) AS store_id, a.sku AS sku, toString(a.alert_type) AS alert_type,
    toDate(a.acted_at + toIntervalSecond(o.utc_offset_s)) AS business_date, toInt32(toHour(a.acted_at + toIntervalSecond(o.utc_offset_s))) AS local_hour
FROM ${database}.alert_actions AS a FINAL
ASOF LEFT JOIN ${database}.dim_store_utc_offset AS o ON a.store_id = o.store_id AND a.acted_at >= o.valid_from
COMMENT 'Who acknowledged or snoozed which alert, and when (UTC and the store''s clock), for BI and the web app';
