-- Model drift (issue 15): a category's forecast errors alert only when its own part of them
-- drifted too, measured as category_error (its sales against its forecast, over the same ratio
-- of the store's other categories that day). The weeks after the year-end and after Ramadan
-- moved every category's errors together (a miss of the forecast across the chain, not a change
-- of one category's demand) and flagged most categories of a year without any change.
ALTER TABLE ${database}.model_drift
    COMMENT COLUMN measure 'forecast_error (the alerting measure), category_error (the category against the rest of its store, which must drift too) or a demand feature: units_level, zero_share',
    COMMENT COLUMN drifted 'psi > threshold with enough points on both sides; for forecast_error, category_error must have drifted too (where a store sells other categories), and then MODEL_DRIFT is raised';
