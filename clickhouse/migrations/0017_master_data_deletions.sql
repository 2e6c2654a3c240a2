-- Deletions of stores and products (tombstones on the compacted md.stores and md.products).
-- The warehouse writes a deletion as a new version of the dimension row: the last attributes
-- again, with is_deleted = 1 and deleted_at, versioned after the last one, so ReplacingMergeTree
-- keeps the deleted version. The row stays because history needs it: facts of a deleted store
-- keep its region in totals, and its products their category. Only the views that list what
-- exists now (the store and product lists BI pick-lists are built from, reorder advice) leave
-- deleted rows out.

ALTER TABLE ${database}.dim_store
    ADD COLUMN IF NOT EXISTS is_deleted UInt8 DEFAULT 0 COMMENT '1 when the store was deleted (a tombstone on md.stores); the row keeps its last attributes for history',
    ADD COLUMN IF NOT EXISTS deleted_at Nullable(DateTime64(3, 'UTC')) COMMENT 'When the store was deleted (the tombstone''s Kafka timestamp); NULL while it exists';

ALTER TABLE ${database}.dim_product
    ADD COLUMN IF NOT EXISTS is_deleted UInt8 DEFAULT 0 COMMENT '1 when the product was deleted (a tombstone on md.products); the row keeps its last attributes for history',
    ADD COLUMN IF NOT EXISTS deleted_at Nullable(DateTime64(3, 'UTC')) COMMENT 'When the product was deleted (the tombstone''s Kafka timestamp); NULL while it exists';

CREATE OR REPLACE VIEW ${database}.bi_dim_store
(
    store_id      String COMMENT 'Store code',
    store_name    String COMMENT 'Store name',
    region        String COMMENT 'Sales region',
    time_zone     String COMMENT 'IANA time zone of the store',
    store_format  String COMMENT 'Store format: EXPRESS, SMALL, MEDIUM, LARGE or HYPERMARKET',
    currency      String COMMENT 'Currency the store sells in (ISO 4217)',
    opened_on     Date COMMENT 'Date the store opened'
)
AS SELECT
    store_id, name AS store_name, region, time_zone, size_class AS store_format, currency, opened_on
FROM ${database}.dim_store FINAL
WHERE is_deleted = 0
COMMENT 'Stores for BI: one row per existing store, current version (deleted stores left out)';

CREATE OR REPLACE VIEW ${database}.bi_dim_product
(
    sku               String COMMENT 'Product code (stock keeping unit)',
    product_name      String COMMENT 'Product name',
    category          String COMMENT 'Category',
    brand             String COMMENT 'Brand',
    unit_cost_minor   Int64 COMMENT 'Cost of one unit in minor units (cents)',
    unit_cost         Decimal(18, 2) COMMENT 'Cost of one unit',
    shelf_price_minor Int64 COMMENT 'Regular shelf price of one unit in minor units (cents)',
    shelf_price       Decimal(18, 2) COMMENT 'Regular shelf price of one unit',
    currency          String COMMENT 'Currency of cost and price (ISO 4217)',
    perishable        Bool COMMENT 'The product spoils',
    shelf_life_days   Nullable(Int32) COMMENT 'Days a unit keeps once received; empty when not perishable'
)
AS SELECT
    sku, name AS product_name, category, brand,
    dim_product.unit_cost AS unit_cost_minor, toDecimal64(dim_product.unit_cost, 2) / 100 AS unit_cost,
    price AS shelf_price_minor, toDecimal64(price, 2) / 100 AS shelf_price,
    currency, perishable, toNullable(toInt32(dim_product.shelf_life_days)) AS shelf_life_days
FROM ${database}.dim_product FINAL
WHERE is_deleted = 0
COMMENT 'Products for BI: one row per existing sku, current version (deleted products left out)';

CREATE OR REPLACE VIEW ${database}.bi_reorder_recommendation
(
    store_id                  String COMMENT 'Store code',
    sku                       String COMMENT 'Product code',
    as_of_date                Date COMMENT 'Date of the stock position and forecast used',
    units_on_hand             Int64 COMMENT 'Book units on hand',
    units_on_order            Int64 COMMENT 'Units ordered, not yet received',
    lead_time_days            Int32 COMMENT 'Days from order to delivery',
    service_level             Float64 COMMENT 'Target probability of not running out',
    units_expected_lead_time  Float64 COMMENT 'Expected units sold over lead time and review period',
    reorder_point             Float64 COMMENT 'Order when stock on hand and on order falls to this',
    units_to_order            Int64 COMMENT 'Advised order now, units',
    model_version             String COMMENT 'Model whose forecast was used'
)
AS SELECT store_id, sku, as_of_date, on_hand AS units_on_hand, on_order AS units_on_order, lead_time_days, service_level,
    demand_lead_time_mean AS units_expected_lead_time, reorder_point, order_quantity AS units_to_order, model_version
FROM ${database}.reorder_recommendation FINAL
-- Advice is for now: nothing is reordered for a deleted store or product.
WHERE store_id NOT IN (SELECT store_id FROM ${database}.dim_store FINAL WHERE is_deleted = 1)
    AND sku NOT IN (SELECT sku FROM ${database}.dim_product FINAL WHERE is_deleted = 1)
COMMENT 'Reorder advice per store x product for BI (deleted stores and products left out)';

-- History joins these, not the lists above: a deleted store's sales keep its region in totals.
CREATE VIEW IF NOT EXISTS ${database}.bi_dim_store_history
(
    store_id      String COMMENT 'Store code',
    store_name    String COMMENT 'Store name (its last one when deleted)',
    region        String COMMENT 'Sales region (its last one when deleted)',
    time_zone     String COMMENT 'IANA time zone of the store',
    store_format  String COMMENT 'Store format: EXPRESS, SMALL, MEDIUM, LARGE or HYPERMARKET',
    currency      String COMMENT 'Currency the store sells in (ISO 4217)',
    opened_on     Date COMMENT 'Date the store opened',
    is_deleted    Bool COMMENT 'The store was deleted (it no longer exists)',
    deleted_at    Nullable(DateTime64(3, 'UTC')) COMMENT 'When it was deleted (UTC); empty while it exists'
)
AS SELECT
    store_id, name AS store_name, region, time_zone, size_class AS store_format, currency, opened_on, CAST(dim_store.is_deleted = 1, 'Bool') AS is_deleted, deleted_at
FROM ${database}.dim_store FINAL
COMMENT 'Every store that ever sold, deleted ones included with their last attributes: join facts to this for totals by region over history';

CREATE VIEW IF NOT EXISTS ${database}.bi_dim_product_history
(
    sku           String COMMENT 'Product code (stock keeping unit)',
    product_name  String COMMENT 'Product name (its last one when deleted)',
    category      String COMMENT 'Category (its last one when deleted)',
    brand         String COMMENT 'Brand',
    is_deleted    Bool COMMENT 'The product was deleted (it is no longer sold)',
    deleted_at    Nullable(DateTime64(3, 'UTC')) COMMENT 'When it was deleted (UTC); empty while it exists'
)
AS SELECT sku, name AS product_name, category, brand, CAST(dim_product.is_deleted = 1, 'Bool') AS is_deleted, deleted_at
FROM ${database}.dim_product FINAL
COMMENT 'Every product that ever sold, deleted ones included with their last attributes: join facts to this for totals by category over history';
