-- Master data a chain's own systems publish beyond stores and products, and the pricing events
-- as facts, all landed by the warehouse processor (streams/warehouse).
--
-- dim_exchange_rate keeps every day's rate of every currency (md.exchange-rates is keyed by
-- currency and day), ReplacingMergeTree(updated_at) so a corrected rate replaces its day; the
-- views of 0013 convert at query time, so a late or corrected rate changes the figures without
-- a rebuild. reporting_currency holds the one currency BI totals are shown in (REPORTING_CURRENCY,
-- written by `shelfstream init`), so the views read it instead of having it baked into their DDL.
-- Prices and promotions are facts like the others: one row per event, keyed by the event,
-- versioned by the source offset, with the facts' TTL (retention.sql) and insert dedup window.

ALTER TABLE ${database}.dim_store
    ADD COLUMN IF NOT EXISTS vat_rate Nullable(Float64) COMMENT 'VAT rate included in the store''s shelf prices, as a fraction (0.055 = 5.5%); NULL when the chain''s systems did not send it' AFTER opened_on;

CREATE TABLE IF NOT EXISTS ${database}.dim_exchange_rate
(
    currency       LowCardinality(String) COMMENT 'ISO 4217 code of the quoted currency',
    base_currency  LowCardinality(String) COMMENT 'ISO 4217 code the rate is quoted against (the chain''s one base currency)',
    rate_date      Date COMMENT 'Business date the rate applies to; a day without a row takes the latest earlier rate',
    rate           Float64 COMMENT 'Units of currency for one unit of base_currency',
    source         String COMMENT 'Where the rate comes from (fixing, treasury system); empty when unknown',
    updated_at     DateTime64(3, 'UTC') COMMENT 'When this version was produced; the newest wins, so a correction replaces the first rate of its day'
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (currency, rate_date)
COMMENT 'Exchange rates per currency and day (dimension, from md.exchange-rates); read with FINAL';

CREATE TABLE IF NOT EXISTS ${database}.reporting_currency
(
    currency    LowCardinality(String) COMMENT 'ISO 4217 code every reporting-currency column of the bi_* views is in (REPORTING_CURRENCY)',
    updated_at  DateTime64(3, 'UTC') COMMENT 'When shelfstream init wrote it; the newest wins'
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY tuple()
COMMENT 'The reporting currency, one row after merges (read with FINAL); written by shelfstream init';

CREATE TABLE IF NOT EXISTS ${database}.fact_price_changes
(
    event_id       UUID COMMENT 'The price-change event',
    occurred_at    DateTime64(3, 'UTC') COMMENT 'When the change was published (UTC)',
    store_id       LowCardinality(String) COMMENT 'Store where the price applies',
    sku            String COMMENT 'Product repriced',
    old_price      Int64 COMMENT 'Shelf price before the change, minor units of currency, tax included',
    new_price      Int64 COMMENT 'Shelf price from effective_at on, minor units of currency, tax included',
    currency       LowCardinality(String) COMMENT 'ISO 4217 currency of the prices',
    effective_at   DateTime64(3, 'UTC') COMMENT 'When the new price takes effect (UTC)',
    source_offset  UInt64 COMMENT 'Kafka offset of the event (the version)'
)
ENGINE = ReplacingMergeTree(source_offset)
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (store_id, sku, occurred_at, event_id)
TTL toDateTime(occurred_at) + INTERVAL 730 DAY
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Shelf price changes per store x sku (fact, from pricing.prices)';

CREATE TABLE IF NOT EXISTS ${database}.fact_promotions
(
    event_id          UUID COMMENT 'The promotion event (a start or an end)',
    occurred_at       DateTime64(3, 'UTC') COMMENT 'When the promotion started or ended (UTC)',
    store_id          LowCardinality(String) COMMENT 'Store running the promotion',
    promotion_id      String COMMENT 'Promotion id; the sale lines it discounts carry it',
    phase             LowCardinality(String) COMMENT 'STARTED or ENDED',
    skus              Array(String) COMMENT 'Products on promotion',
    discount_percent  Int32 COMMENT 'Price reduction in percent',
    starts_at         DateTime64(3, 'UTC') COMMENT 'Planned start (UTC)',
    ends_at           DateTime64(3, 'UTC') COMMENT 'Planned end (UTC); the ENDED event says when it really stopped',
    source_offset     UInt64 COMMENT 'Kafka offset of the event (the version)'
)
ENGINE = ReplacingMergeTree(source_offset)
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (store_id, promotion_id, occurred_at, event_id)
TTL toDateTime(occurred_at) + INTERVAL 730 DAY
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Promotions starting and ending per store (fact, from pricing.promotions)';
