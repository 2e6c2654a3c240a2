-- Row policies of the BI user, one per table that has a store_id (facts, stream outputs,
-- rollups, alerts); `shelfstream init` instantiates this file for each such table (${table}).
-- The user sees a row when its store is one of ${bi_stores}, or belongs to one of the regions
-- in ${bi_regions} (by the store's current dim_store row), or when both lists are empty.
-- Users without a policy on a table keep reading every row: ClickHouse's
-- access_control_improvements.users_without_row_policies_can_read_rows, true by default,
-- must stay true on the server, or the writer would see nothing.

CREATE ROW POLICY OR REPLACE ${bi_user}_stores ON ${database}.${table}
    AS PERMISSIVE FOR SELECT
    USING (empty(${bi_stores}) AND empty(${bi_regions}))
        OR has(${bi_stores}, store_id)
        OR store_id IN (SELECT store_id FROM ${database}.dim_store FINAL WHERE has(${bi_regions}, region))
    TO ${bi_user};
