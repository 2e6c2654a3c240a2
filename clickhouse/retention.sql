-- Retention per table, applied by `shelfstream init` after the migrations: the CLICKHOUSE_TTL_*
-- options fill the placeholders, and the runner (clickhouse/retention.ts) runs a statement only
-- when the table's TTL differs, so a changed option takes effect on existing tables and an
-- unchanged one touches nothing. The migrations' own TTLs are the defaults for a table created
-- before init runs. ClickHouse re-evaluates existing parts after MODIFY TTL in a background
-- mutation (materialize_ttl_after_modify), so shortening a retention removes old rows without
-- waiting for the next merge. Every statement names one table and one TTL in days; a new
-- table with a retention adds its line here.

ALTER TABLE ${database}.fact_sale_lines MODIFY TTL toDateTime(occurred_at) + INTERVAL ${fact_days} DAY;
ALTER TABLE ${database}.fact_return_lines MODIFY TTL toDateTime(occurred_at) + INTERVAL ${fact_days} DAY;
ALTER TABLE ${database}.fact_voids MODIFY TTL toDateTime(occurred_at) + INTERVAL ${fact_days} DAY;
ALTER TABLE ${database}.fact_inventory_movements MODIFY TTL toDateTime(occurred_at) + INTERVAL ${fact_days} DAY;
ALTER TABLE ${database}.fact_replenishment_orders MODIFY TTL toDateTime(occurred_at) + INTERVAL ${fact_days} DAY;
ALTER TABLE ${database}.sales_velocity_1m MODIFY TTL window_start + INTERVAL ${velocity_days} DAY;
ALTER TABLE ${database}.alerts MODIFY TTL toDateTime(occurred_at) + INTERVAL ${alerts_days} DAY;
ALTER TABLE ${database}.fact_price_changes MODIFY TTL toDateTime(occurred_at) + INTERVAL ${fact_days} DAY;
ALTER TABLE ${database}.fact_promotions MODIFY TTL toDateTime(occurred_at) + INTERVAL ${fact_days} DAY;
ALTER TABLE ${database}.sales_daily_store_sku MODIFY TTL business_date + INTERVAL ${rollup_days} DAY;
ALTER TABLE ${database}.sales_daily_store MODIFY TTL business_date + INTERVAL ${rollup_days} DAY;
ALTER TABLE ${database}.sales_hourly_store_sku MODIFY TTL business_date + INTERVAL ${rollup_days} DAY;
ALTER TABLE ${database}.alert_messages MODIFY TTL toDateTime(created_at) + INTERVAL ${alerts_days} DAY;
ALTER TABLE ${database}.alert_deliveries MODIFY TTL toDateTime(attempted_at) + INTERVAL ${alerts_days} DAY;
