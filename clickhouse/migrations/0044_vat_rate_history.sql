-- VAT rates with the days they apply to (issue 14): revenue excluding tax of a past day is taken
-- out at the rate of that day, so a rate change does not restate history.
--
-- Until now every bi_* view divided by dim_store.vat_rate, the store's current rate, for every
-- day it ever sold: when a country changed its VAT, the chain's past revenue excluding tax moved
-- with it. dim_vat_rate keeps one row per store and first day a rate applies to; a view reads the
-- row in force on a sale's business day (the latest valid_from on or before it).
--
-- Where rows come from:
-- - every version of a store that md.stores delivers (dim_store, through the materialized view
--   below) records its rate from the UTC date of that version (updated_at): the chain's systems
--   publish a new rate when it takes effect. A version that repeats the rate adds a row with the
--   same rate, which changes no figure.
-- - the chain's back office or an operator may insert rows of their own, a rate announced for a
--   future date included (source says who wrote it).
-- - this migration: each store's rate as it stands, from the beginning (toDate(0)): it is the
--   rate every past day was reported with until now, so the figures stay as they were.
-- A store's first row applies also to the days before it (the views read it so): a rate learnt
-- with a store's first publication is the best knowledge of its earlier days, and a later change
-- must not leave those days without a rate.

CREATE TABLE IF NOT EXISTS ${database}.dim_vat_rate
(
    store_id    LowCardinality(String) COMMENT 'Store the rate applies to (its shelf prices include it)',
    valid_from  Date COMMENT 'First business day (the store''s local date) the rate applies to; it applies until the next valid_from of the store',
    vat_rate    Float64 COMMENT 'VAT included in the store''s shelf prices, as a fraction (0.055 = 5.5%)',
    source      LowCardinality(String) COMMENT 'Who wrote the row: md.stores (a store version), migration 0044 (the rate standing then), or the writer''s own name',
    updated_at  DateTime64(3, 'UTC') COMMENT 'When the row was written; for one store and day the newest wins'
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (store_id, valid_from)
COMMENT 'VAT rate per store and the business days it applies to (each row until the store''s next valid_from): revenue excluding tax uses the rate of the sale''s business day';

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.dim_vat_rate_from_stores_mv TO ${database}.dim_vat_rate
(
    store_id    LowCardinality(String) COMMENT 'Store of the version',
    valid_from  Date COMMENT 'UTC date of the version (updated_at)',
    vat_rate    Float64 COMMENT 'The version''s VAT rate',
    source      LowCardinality(String) COMMENT 'md.stores',
    updated_at  DateTime64(3, 'UTC') COMMENT 'When the version was produced'
)
AS SELECT store_id, toDate(updated_at) AS valid_from, assumeNotNull(vat_rate) AS vat_rate, 'md.stores' AS source, updated_at
FROM ${database}.dim_store
WHERE vat_rate IS NOT NULL
COMMENT 'Records the VAT rate of every store version md.stores delivers, from the UTC date of that version';

INSERT INTO ${database}.dim_vat_rate (store_id, valid_from, vat_rate, source, updated_at)
SELECT store_id, toDate(0), assumeNotNull(vat_rate), 'migration 0044', toDateTime64(0, 3, 'UTC')
FROM ${database}.dim_store FINAL
WHERE vat_rate IS NOT NULL;
