-- A year of data (issue 22): counter_minute rolled up into hours and hours into days, so old
-- detail can be dropped by the partition and reports read the coarsest table that answers them.
-- Same columns as counter_minute; hours partitioned by UTC month, days by UTC year.
CREATE TABLE counter_hour (
    hour           timestamptz NOT NULL,
    campaign_id    bigint      NOT NULL,
    banner_id      bigint      NOT NULL,
    publisher_id   bigint      NOT NULL,
    impressions    bigint      NOT NULL DEFAULT 0,
    clicks         bigint      NOT NULL DEFAULT 0,
    conversions    bigint      NOT NULL DEFAULT 0,
    revenue_micros bigint      NOT NULL DEFAULT 0,
    suspect_clicks bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (hour, banner_id, publisher_id)
) PARTITION BY RANGE (hour);
CREATE INDEX counter_hour_campaign ON counter_hour (campaign_id, hour);
CREATE INDEX counter_hour_banner ON counter_hour (banner_id, hour);
CREATE INDEX counter_hour_publisher ON counter_hour (publisher_id, hour);

CREATE TABLE counter_day (
    day            timestamptz NOT NULL,
    campaign_id    bigint      NOT NULL,
    banner_id      bigint      NOT NULL,
    publisher_id   bigint      NOT NULL,
    impressions    bigint      NOT NULL DEFAULT 0,
    clicks         bigint      NOT NULL DEFAULT 0,
    conversions    bigint      NOT NULL DEFAULT 0,
    revenue_micros bigint      NOT NULL DEFAULT 0,
    suspect_clicks bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (day, banner_id, publisher_id)
) PARTITION BY RANGE (day);
CREATE INDEX counter_day_campaign ON counter_day (campaign_id, day);
CREATE INDEX counter_day_banner ON counter_day (banner_id, day);
CREATE INDEX counter_day_publisher ON counter_day (publisher_id, day);

-- Where each table is complete (all UTC instants, minute aligned):
--   counter_day  holds every count before days_until;
--   counter_hour holds every count in [hours_from, hours_until);
--   counter_minute holds every count from minutes_from on.
-- days_until <= hours_until, hours_from <= days_until, minutes_from <= hours_until. The rollup job
-- moves the boundaries under FOR UPDATE; every write-behind transaction reads them FOR SHARE and
-- adds a late count to each table that already holds its time, so no count is ever in one table
-- and missing from another that claims its time.
CREATE TABLE rollup_state (
    id                 int         PRIMARY KEY CHECK (id = 1),
    minutes_from       timestamptz NOT NULL,
    hours_from         timestamptz NOT NULL,
    hours_until        timestamptz NOT NULL,
    days_until         timestamptz NOT NULL,
    last_run           timestamptz,
    rows_rolled        bigint      NOT NULL DEFAULT 0,
    partitions_dropped bigint      NOT NULL DEFAULT 0
);
-- Start at the first day holding counts (or today), so the job rolls up existing history too.
-- Nothing was dropped yet: minutes (and, trivially, the empty hours before that day) are complete
-- from the epoch on, so a late count for any older minute still lands in every table.
INSERT INTO rollup_state (id, minutes_from, hours_from, hours_until, days_until)
SELECT 1, 'epoch', 'epoch', d, d
FROM (SELECT date_trunc('day', coalesce(min(minute), now()) AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS d
      FROM counter_minute) first_day;

-- Creates the partition of counter_hour (per month) or counter_day (per year) holding instant t.
CREATE FUNCTION ensure_rollup_partition(tbl text, t timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    unit text := CASE tbl WHEN 'counter_hour' THEN 'month' WHEN 'counter_day' THEN 'year' END;
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
