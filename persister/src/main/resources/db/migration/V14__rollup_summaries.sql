-- Reports that stay fast at size (issue 22): summaries of the rollup tables, so a campaign's report
-- reads one row per hour or day instead of one per (banner, publisher), and the top banners of a day
-- one row per banner.
--   campaign_hour  = counter_hour summed over banners and publishers, per (hour, campaign);
--   campaign_day   = counter_day summed over banners and publishers, per (day, campaign);
--   banner_day     = counter_day summed over publishers, per (day, banner, campaign).
-- Each is complete exactly where its source table is (rollup_state's boundaries, V8): the rollup job
-- writes it in the transaction that rolls the source, and a late count added to the source is added
-- to it in the same write-behind transaction. campaign_hour is partitioned by UTC month and dropped
-- with counter_hour's months; the day tables by UTC year, kept like counter_day.
CREATE TABLE campaign_hour (
    hour           timestamptz NOT NULL,
    campaign_id    bigint      NOT NULL,
    impressions    bigint      NOT NULL DEFAULT 0,
    clicks         bigint      NOT NULL DEFAULT 0,
    conversions    bigint      NOT NULL DEFAULT 0,
    revenue_micros bigint      NOT NULL DEFAULT 0,
    suspect_clicks bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (hour, campaign_id)
) PARTITION BY RANGE (hour);
CREATE INDEX campaign_hour_campaign ON campaign_hour (campaign_id, hour);

CREATE TABLE campaign_day (
    day            timestamptz NOT NULL,
    campaign_id    bigint      NOT NULL,
    impressions    bigint      NOT NULL DEFAULT 0,
    clicks         bigint      NOT NULL DEFAULT 0,
    conversions    bigint      NOT NULL DEFAULT 0,
    revenue_micros bigint      NOT NULL DEFAULT 0,
    suspect_clicks bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (day, campaign_id)
) PARTITION BY RANGE (day);
CREATE INDEX campaign_day_campaign ON campaign_day (campaign_id, day);

-- campaign_id is part of the key (not only a column) so that the price join stays exact even if a
-- banner's counts were ever kept under two campaigns.
CREATE TABLE banner_day (
    day            timestamptz NOT NULL,
    banner_id      bigint      NOT NULL,
    campaign_id    bigint      NOT NULL,
    impressions    bigint      NOT NULL DEFAULT 0,
    clicks         bigint      NOT NULL DEFAULT 0,
    conversions    bigint      NOT NULL DEFAULT 0,
    revenue_micros bigint      NOT NULL DEFAULT 0,
    suspect_clicks bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (day, banner_id, campaign_id)
) PARTITION BY RANGE (day);
CREATE INDEX banner_day_banner ON banner_day (banner_id, day);

-- Partitions of the summaries as of their source tables: months for hour tables, years for day tables.
CREATE OR REPLACE FUNCTION ensure_rollup_partition(tbl text, t timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    unit text := CASE WHEN tbl IN ('counter_hour', 'campaign_hour') THEN 'month'
                      WHEN tbl IN ('counter_day', 'campaign_day', 'banner_day') THEN 'year' END;
    lo timestamp := date_trunc(unit, t AT TIME ZONE 'UTC');
    hi timestamp := lo + ('1 ' || unit)::interval;
    part text := tbl || '_' || to_char(lo, CASE unit WHEN 'month' THEN 'YYYYMM' ELSE 'YYYY' END);
BEGIN
    IF unit IS NULL THEN
        RAISE EXCEPTION 'no rollup table %', tbl;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('adgrid.' || tbl || '.partitions'));
    IF to_regclass(part) IS NULL THEN
        EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                       part, tbl, lo AT TIME ZONE 'UTC', hi AT TIME ZONE 'UTC');
    END IF;
END
$$;

-- What is rolled up already is summed now, under the rollup boundaries' lock (no roll or late count meanwhile).
SELECT 1 FROM rollup_state FOR UPDATE;
SELECT ensure_rollup_partition('campaign_hour', m)
FROM (SELECT DISTINCT date_trunc('month', hour AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS m FROM counter_hour) months;
SELECT ensure_rollup_partition(t, y)
FROM (SELECT DISTINCT date_trunc('year', day AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS y FROM counter_day) years,
     (VALUES ('campaign_day'), ('banner_day')) tables(t);
INSERT INTO campaign_hour (hour, campaign_id, impressions, clicks, conversions, revenue_micros, suspect_clicks)
SELECT hour, campaign_id, sum(impressions), sum(clicks), sum(conversions), sum(revenue_micros), sum(suspect_clicks)
FROM counter_hour GROUP BY hour, campaign_id;
INSERT INTO campaign_day (day, campaign_id, impressions, clicks, conversions, revenue_micros, suspect_clicks)
SELECT day, campaign_id, sum(impressions), sum(clicks), sum(conversions), sum(revenue_micros), sum(suspect_clicks)
FROM counter_day GROUP BY day, campaign_id;
INSERT INTO banner_day (day, banner_id, campaign_id, impressions, clicks, conversions, revenue_micros, suspect_clicks)
SELECT day, banner_id, campaign_id, sum(impressions), sum(clicks), sum(conversions), sum(revenue_micros), sum(suspect_clicks)
FROM counter_day GROUP BY day, banner_id, campaign_id;

-- Reports that filter by a campaign read campaign_hour and campaign_day now, and those that filter
-- by a banner read banner_day for days: these indexes of the big rollup tables are no longer read,
-- and cost some 35 bytes a row each (docs/SCALING.md). Filtering hours by banner, and both by
-- publisher, still reads counter_hour and counter_day through theirs.
DROP INDEX counter_hour_campaign;
DROP INDEX counter_day_campaign;
DROP INDEX counter_day_banner;
