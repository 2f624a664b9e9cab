-- An optional day retention (ADGRID_ROLLUP_DAYRETENTION, "A year of data"): whole UTC years of
-- counter_day and of its summaries (campaign_day, banner_day) are dropped once they end before the
-- retention. counter_day then holds every count in [days_from, days_until), and no table holds any
-- count before days_from: the rollup job moves it only to a year start at or before hours_from and
-- minutes_from, and a late count for a time before it is added nowhere (CounterWriter). Reports that
-- reach before it are refused. 'epoch' (no report can ask before 1970): nothing dropped, the default.
ALTER TABLE rollup_state ADD COLUMN days_from timestamptz NOT NULL DEFAULT 'epoch';
