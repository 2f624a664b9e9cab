-- Fraud signals (issue 3): clicks without a recorded impression, or over the per-IP click rate.
-- They are answered like clicks but counted here instead of in clicks, so clicks stays the clean count.
ALTER TABLE counter_minute ADD COLUMN suspect_clicks bigint NOT NULL DEFAULT 0;
