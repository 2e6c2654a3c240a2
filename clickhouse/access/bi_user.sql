-- The read-only BI user for Metabase / Power BI, applied by `shelfstream init` when
-- CLICKHOUSE_BI_USER is set, on a ClickHouse server only (embedded chDB has no user
-- management). Every statement is safe to run again; a changed password or scope is applied.
--
-- readonly = 2: the user can read and can change session settings (Metabase and the ODBC
-- driver set formats and limits per query) but can write nothing and cannot change readonly.
-- The grant covers the whole database because the bi_* views run with the invoker's rights
-- (SQL SECURITY INVOKER, the default for plain views): the tables underneath are read as the
-- BI user, so the row policies in store_policy.sql filter what every view returns.

CREATE ROLE IF NOT EXISTS ${bi_role};
GRANT SELECT ON ${database}.* TO ${bi_role};
CREATE USER IF NOT EXISTS ${bi_user} IDENTIFIED WITH sha256_password BY ${bi_password} SETTINGS readonly = 2;
GRANT ${bi_role} TO ${bi_user};
ALTER USER ${bi_user} IDENTIFIED WITH sha256_password BY ${bi_password} DEFAULT ROLE ${bi_role} SETTINGS readonly = 2;
