-- Alert delivery to subscribers (services/alerts): every message made for a subscription, and
-- every attempt to deliver it, so an operator can answer "was store S001 told, when, and what
-- did its endpoint say?" and `shelfstream alerts replay` can send a message again byte for byte.
-- Keys are deterministic (message_id is a hash of the subscription and the content; an attempt is
-- its number), so rows written again after a restart replace themselves. URLs appear only
-- redacted (scheme://host/***): a chat webhook URL is a credential. Kept as long as alerts.

CREATE TABLE IF NOT EXISTS ${database}.alert_messages
(
    message_id       String COMMENT 'The webhook-id: the same on every attempt; a hash of subscription and content',
    subscription_id  LowCardinality(String) COMMENT 'Subscription the message was made for',
    message_type     LowCardinality(String) COMMENT 'Payload type: <kind>.raised|updated|resolved, alerts.group, alerts.digest, alerts.summary, webhook.test',
    payload_format   LowCardinality(String) COMMENT 'standard, slack or teams',
    created_at       DateTime64(3, 'UTC') COMMENT 'When the message was made (its payload timestamp)',
    oldest_alert_at  DateTime64(3, 'UTC') COMMENT 'Event time of the oldest alert change it carries',
    alert_ids        Array(String) COMMENT 'Alerts it carries (alert_id)',
    store_ids        Array(LowCardinality(String)) COMMENT 'Stores of those alerts',
    body             String COMMENT 'The exact body sent (signed anew at each attempt)'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(created_at)
ORDER BY (subscription_id, message_id)
TTL toDateTime(created_at) + INTERVAL 365 DAY
COMMENT 'Alert webhook messages: one row per message, with the body as sent';

CREATE TABLE IF NOT EXISTS ${database}.alert_deliveries
(
    message_id        String COMMENT 'The webhook-id of the message',
    subscription_id   LowCardinality(String) COMMENT 'Subscription (endpoint) it went to',
    attempt           UInt8 COMMENT 'Attempt number, 1 to 8; 0 for a message dead-lettered before any attempt (endpoint disabled)',
    attempted_at      DateTime64(3, 'UTC') COMMENT 'When the attempt started (or the message was dead-lettered)',
    outcome           LowCardinality(String) COMMENT 'delivered, retry (failed, tried again later) or dead_letter (given up: see dead_letter_reason)',
    status_code       UInt16 COMMENT 'HTTP status answered; 0 when no answer (timeout, connection refused, address refused)',
    latency_ms        UInt32 COMMENT 'Milliseconds from sending to the answer (or the failure)',
    error             String COMMENT 'Why the attempt failed (HTTP status, timeout, connection error); empty when delivered',
    response_excerpt  String COMMENT 'First 512 bytes of the answer body',
    next_attempt_at   Nullable(DateTime64(3, 'UTC')) COMMENT 'When it will be tried again (outcome retry)',
    dead_letter_reason String COMMENT 'Why it was given up: attempts exhausted, 410 Gone, endpoint disabled',
    endpoint          String COMMENT 'Endpoint URL, redacted to scheme://host/***',
    alert_to_attempt_ms Int64 COMMENT 'Milliseconds from the oldest alert change in the message to this attempt'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(attempted_at)
ORDER BY (subscription_id, message_id, attempt)
TTL toDateTime(attempted_at) + INTERVAL 365 DAY
COMMENT 'Alert webhook delivery log: one row per attempt, and one per dead letter';

CREATE VIEW IF NOT EXISTS ${database}.bi_alert_deliveries
(
    message_id          String COMMENT 'The webhook-id of the message',
    subscription_id     String COMMENT 'Subscription (endpoint)',
    message_type        String COMMENT 'Payload type',
    attempt             UInt8 COMMENT 'Attempt number (0: dead-lettered without an attempt)',
    attempted_at        DateTime64(3, 'UTC') COMMENT 'When the attempt started',
    outcome             String COMMENT 'delivered, retry or dead_letter',
    status_code         UInt16 COMMENT 'HTTP status (0: no answer)',
    latency_ms          UInt32 COMMENT 'Milliseconds to the answer',
    error               String COMMENT 'Why it failed',
    dead_letter_reason  String COMMENT 'Why it was given up',
    endpoint            String COMMENT 'Endpoint, redacted',
    alert_count         UInt32 COMMENT 'Alerts the message carries (UInt32: BI tools read UInt64 as text or decimals)',
    alert_to_attempt_ms Int64 COMMENT 'Milliseconds from the oldest alert change to this attempt'
)
AS SELECT
    d.message_id, d.subscription_id, m.message_type, d.attempt, d.attempted_at, d.outcome, d.status_code, d.latency_ms,
    d.error, d.dead_letter_reason, d.endpoint, toUInt32(length(m.alert_ids)) AS alert_count, d.alert_to_attempt_ms
FROM ${database}.alert_deliveries AS d FINAL
LEFT JOIN (SELECT message_id, message_type, alert_ids FROM ${database}.alert_messages FINAL) AS m ON m.message_id = d.message_id
COMMENT 'Alert webhook deliveries for BI: every attempt with its outcome, without bodies';
