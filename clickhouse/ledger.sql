-- The migration ledger: created by the runner before any migration, so it is not itself a
-- numbered migration. One row per applied migration; ReplacingMergeTree keeps one row per
-- version even if a crash between DDL and this insert makes the runner record it twice.
CREATE DATABASE IF NOT EXISTS ${database}
  COMMENT 'ShelfStream: retail facts, dimensions, stream outputs and forecasts';

CREATE TABLE IF NOT EXISTS ${database}.schema_migrations
(
    version     UInt32 COMMENT 'Migration number, the NNNN of clickhouse/migrations/NNNN_name.sql',
    name        String COMMENT 'Migration name, the name part of the file name',
    checksum    String COMMENT 'SHA-256 of the file as applied; an edit afterwards is refused',
    duration_ms UInt32 COMMENT 'How long the migration took to apply',
    applied_at  DateTime64(3, 'UTC') DEFAULT now64(3) COMMENT 'When it was applied (UTC)'
)
ENGINE = ReplacingMergeTree(applied_at)
ORDER BY version
COMMENT 'Which ClickHouse migrations have been applied (written by the migration runner)';
