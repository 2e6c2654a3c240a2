-- Dimension tables filled from the compacted master-data topics (md.stores, md.products).
-- ReplacingMergeTree(updated_at): the newest version of a store or product wins, so reading
-- the topic again (a replay) replaces rows instead of adding them. Query with FINAL or
-- argMax(..., updated_at) for the current state.

CREATE TABLE IF NOT EXISTS ${database}.dim_store
(
    store_id    LowCardinality(String) COMMENT 'Store id; the key of md.stores',
    name        String COMMENT 'Display name',
    region      LowCardinality(String) COMMENT 'Sales region; BI row policies filter on it',
    time_zone   LowCardinality(String) COMMENT 'IANA time zone of the store',
    size_class  LowCardinality(String) COMMENT 'EXPRESS, SMALL, MEDIUM, LARGE or HYPERMARKET',
    currency    LowCardinality(String) COMMENT 'ISO 4217 currency the store sells in',
    opened_on   Date COMMENT 'Date the store opened',
    updated_at  DateTime64(3, 'UTC') COMMENT 'When this version was produced; the newest wins'
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY store_id
COMMENT 'Stores (dimension), one current row per store_id after merges';

CREATE TABLE IF NOT EXISTS ${database}.dim_product
(
    sku             String COMMENT 'Stock keeping unit; the key of md.products',
    name            String COMMENT 'Display name',
    category        LowCardinality(String) COMMENT 'Category',
    brand           LowCardinality(String) COMMENT 'Brand',
    unit_cost       Int64 COMMENT 'Cost of one unit in minor units (cents)',
    price           Int64 COMMENT 'Regular shelf price of one unit in minor units (cents)',
    currency        LowCardinality(String) COMMENT 'ISO 4217 currency of unit_cost and price',
    perishable      Bool COMMENT 'True when the product spoils',
    shelf_life_days Nullable(UInt16) COMMENT 'Days a unit keeps once received; NULL when not perishable',
    updated_at      DateTime64(3, 'UTC') COMMENT 'When this version was produced; the newest wins'
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY sku
COMMENT 'Products (dimension), one current row per sku after merges';
