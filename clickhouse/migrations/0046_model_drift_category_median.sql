-- Model drift (issue 15): category_error measures a category against the median of the store's
-- other categories that day (each its sales over its forecast), no longer against them pooled.
-- A holiday peaks in a few categories only, and their lags carry the peak into the weeks after:
-- pooled, those few moved the yardstick of every other category and flagged an ordinary one
-- (Frozen after Ramadan, Produce after the year-end, on the forecast-drift bench's seeds 11 and 12).
ALTER TABLE ${database}.model_drift
    COMMENT COLUMN measure 'forecast_error (the alerting measure), category_error (the category''s sales over its forecast against the median of the same ratio over its store''s other categories that day, which must drift too) or a demand feature: units_level, zero_share';
