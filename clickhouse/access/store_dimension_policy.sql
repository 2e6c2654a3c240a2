-- The BI user's row policy on dim_store itself: the same scope as store_policy.sql, read from
-- the row's own region (a policy on dim_store cannot look itself up).

CREATE ROW POLICY OR REPLACE ${bi_user}_stores ON ${database}.dim_store
    AS PERMISSIVE FOR SELECT
    USING (empty(${bi_stores}) AND empty(${bi_regions}))
        OR has(${bi_stores}, store_id)
        OR has(${bi_regions}, region)
    TO ${bi_user};
